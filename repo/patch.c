#include "repo/patch.h"

#include <stdio.h>
#include <string.h>

#include "common/endian.h"
#include "common/util.h"

size_t
patch_max_len(uint32_t chunk_size, uint32_t grain)
{
	size_t ranges = grain > 0 ? (chunk_size + grain - 1) / grain : chunk_size;

	return PATCH_HEADER_LEN + 8 * ranges + chunk_size;
}

uint8_t *
patch_encode(const struct patch_range *r, size_t n, const uint8_t *chunk, size_t chunk_len,
    size_t *len)
{
	size_t total = PATCH_HEADER_LEN + 8 * n, at;
	uint8_t *b;

	(void)chunk_len;
	for (size_t i = 0; i < n; i++)
		total += r[i].len;
	b = xmalloc(total);
	memcpy(b, PATCH_MAGIC, 4);
	le_store(b + 4, n, 4);
	at = PATCH_HEADER_LEN;
	for (size_t i = 0; i < n; i++, at += 8) {
		le_store(b + at, r[i].off, 4);
		le_store(b + at + 4, r[i].len, 4);
	}
	for (size_t i = 0; i < n; i++) {
		memcpy(b + at, chunk + r[i].off, r[i].len);
		at += r[i].len;
	}
	*len = total;
	return b;
}

/* The range count of P, checked against LEN and CHUNK_LEN; -1 with ERR. */
static long long
check_header(const uint8_t *p, size_t len, size_t chunk_len, char *err, size_t errlen)
{
	uint64_t n, data = 0, end = 0;

	if (len < PATCH_HEADER_LEN || memcmp(p, PATCH_MAGIC, 4) != 0) {
		snprintf(err, errlen, "not a patch (bad header)");
		return -1;
	}
	n = le_load(p + 4, 4);
	if (n == 0 || n > (len - PATCH_HEADER_LEN) / 8) {
		snprintf(err, errlen, "a patch of %llu ranges in %zu bytes",
		    (unsigned long long)n, len);
		return -1;
	}
	for (uint64_t i = 0; i < n; i++) {
		uint64_t off = le_load(p + PATCH_HEADER_LEN + 8 * i, 4);
		uint64_t rlen = le_load(p + PATCH_HEADER_LEN + 8 * i + 4, 4);

		if (rlen == 0 || off < end || off + rlen > chunk_len) {
			snprintf(err, errlen, "patch range %llu (%llu bytes at %llu) is empty, overlaps or lies outside the chunk of %zu bytes",
			    (unsigned long long)i, (unsigned long long)rlen,
			    (unsigned long long)off, chunk_len);
			return -1;
		}
		end = off + rlen;
		data += rlen;
	}
	if (PATCH_HEADER_LEN + 8 * n + data != len) {
		snprintf(err, errlen, "a patch of %zu bytes whose ranges hold %llu",
		    len, (unsigned long long)data);
		return -1;
	}
	return (long long)n;
}

int
patch_apply(const uint8_t *p, size_t len, uint8_t *chunk, size_t chunk_len, char *err,
    size_t errlen)
{
	long long n = check_header(p, len, chunk_len, err, errlen);
	size_t at;

	if (n < 0)
		return -1;
	at = PATCH_HEADER_LEN + 8 * (size_t)n;
	for (long long i = 0; i < n; i++) {
		size_t off = (size_t)le_load(p + PATCH_HEADER_LEN + 8 * i, 4);
		size_t rlen = (size_t)le_load(p + PATCH_HEADER_LEN + 8 * i + 4, 4);

		memcpy(chunk + off, p + at, rlen);
		at += rlen;
	}
	return 0;
}

uint64_t
patch_bytes(const uint8_t *p, size_t len)
{
	uint64_t n;

	if (len < PATCH_HEADER_LEN || memcmp(p, PATCH_MAGIC, 4) != 0)
		return 0;
	n = le_load(p + 4, 4);
	if (n > (len - PATCH_HEADER_LEN) / 8)
		return 0;
	return len - PATCH_HEADER_LEN - 8 * n;
}
