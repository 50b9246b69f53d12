/*
 * Decisions of the S3 backend, as pure functions: when to retry, how to
 * cut a large object into multipart parts.
 */
#ifndef VV_S3_POLICY_H
#define VV_S3_POLICY_H

#include <stdbool.h>
#include <stdint.h>

/* S3's multipart bounds. */
#define S3_PART_MIN (5ULL * 1024 * 1024)
#define S3_PART_MAX (5ULL * 1024 * 1024 * 1024)
#define S3_PARTS_MAX 10000
#define S3_OBJECT_MAX (5ULL * 1024 * 1024 * 1024 * 1024)

/*
 * s3_should_retry: whether a request that ended with a network error
 * (NET_ERROR true: connection refused or reset, timeout, stall) or HTTP
 * status HTTP with BODY (may be NULL) is worth another try: network
 * errors, 500, 502, 503, 504, 429 and SlowDown; never 400, 403, 404.
 */
bool s3_should_retry(bool net_error, long http, const char *body);

/*
 * s3_backoff_ms: how long to wait before attempt ATTEMPT (1 = first retry):
 * exponential from 200 ms, capped at 10 s, with JITTER (0..1) spreading it.
 */
unsigned long s3_backoff_ms(int attempt, double jitter);

/*
 * s3_part_size: the part size for an object of SIZE bytes: at least 5 MiB,
 * a whole number of MiB, and few enough parts (at most 10,000). Returns 0
 * with *PART and *COUNT set, or -1 when SIZE is above S3's 5 TiB limit.
 */
int s3_part_size(uint64_t size, uint64_t *part, uint64_t *count);

#endif
