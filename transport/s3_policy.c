#include "transport/s3_policy.h"

#include <string.h>

bool
s3_should_retry(bool net_error, long http, const char *body)
{
	if (net_error)
		return true;
	if (http == 500 || http == 502 || http == 503 || http == 504 || http == 429)
		return true;
	return body != NULL && strstr(body, "<Code>SlowDown</Code>") != NULL;
}

unsigned long
s3_backoff_ms(int attempt, double jitter)
{
	unsigned long ms = 200;

	for (int i = 1; i < attempt && ms < 10000; i++)
		ms *= 2;
	if (ms > 10000)
		ms = 10000;
	/* Half fixed, half random: retries of many clients spread out. */
	return ms / 2 + (unsigned long)((double)(ms / 2) * jitter);
}

int
s3_part_size(uint64_t size, uint64_t *part, uint64_t *count)
{
	const uint64_t mib = 1024 * 1024;
	uint64_t p;

	if (size > S3_OBJECT_MAX)
		return -1;
	p = (size + S3_PARTS_MAX - 1) / S3_PARTS_MAX;
	p = (p + mib - 1) / mib * mib;
	if (p < S3_PART_MIN)
		p = S3_PART_MIN;
	*part = p;
	*count = size == 0 ? 1 : (size + p - 1) / p;
	return 0;
}
