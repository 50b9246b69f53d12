/*
 * AWS Signature Version 4 for S3, as pure functions: no clock, no network,
 * so they are tested against AWS's published examples.
 */
#ifndef VV_S3_SIGN_H
#define VV_S3_SIGN_H

#include <stddef.h>

struct s3_header {
	const char *name;	/* lower case */
	const char *value;	/* trimmed */
};

struct s3_sign_req {
	const char *method;		/* "GET", "PUT", ... */
	const char *path;		/* canonical URI: already percent-encoded */
	const char *query;		/* canonical query string (s3_query), or "" */
	const struct s3_header *headers;	/* to sign, sorted by name */
	size_t nheaders;
	const char *payload_hash;	/* hex SHA-256, or "UNSIGNED-PAYLOAD" */
	const char *access_key;
	const char *secret_key;
	const char *region;
	const char *amz_date;		/* YYYYMMDDTHHMMSSZ */
};

/*
 * s3_sign: the Authorization header value of R into OUT (LEN bytes).
 * Returns 0, or -1 when OUT is too small.
 */
int s3_sign(const struct s3_sign_req *r, char *out, size_t len);

/*
 * s3_uri_encode: IN percent-encoded per RFC 3986 (unreserved kept,
 * upper-case hex escapes); '/' kept unless ENCODE_SLASH. Returns a new
 * string.
 */
char *s3_uri_encode(const char *in, int encode_slash);

/*
 * s3_query: the canonical query string of N name/value pairs (a value may
 * be "" for names such as "uploads"): names and values encoded, sorted by
 * name, '=' always present. Returns a new string.
 */
char *s3_query(const char *const *names, const char *const *values, size_t n);

#endif
