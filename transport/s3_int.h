/*
 * Internals of the s3:// backend, shared by its files: the connection
 * state, one signed request with retries, and error reports.
 */
#ifndef VV_S3_INT_H
#define VV_S3_INT_H

#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/util.h"

#define S3_POOL 32
#define S3_ATTEMPTS 6
#define S3_SMALL_CAP (8 * 1024 * 1024)	/* listings and error bodies */

struct s3 {
	char *base;		/* scheme://host[:port] requests go to */
	char *host;		/* the Host header */
	char *endpoint;		/* as configured, for messages */
	char *bucket;
	char *prefix;		/* "" or "a/b/" */
	bool path_style;
	char *region;
	char *access;
	char *secret;
	char *ca_file;
	bool verify;
	bool unsigned_payload;	/* the body's SHA-256 left out of the signature (s3_payload_hash) */
	long timeout;
	curl_off_t bw_each;
	uint64_t multipart_threshold;
	int parallel;
	uint64_t requests;	/* under lock */
	pthread_mutex_t lock;
	CURL *pool[S3_POOL];
	int npool;
	/* Object Lock and storage class (s3_retention.c) */
	char *storage_class;	/* of chunks/ and indexes/, or NULL: STANDARD */
	int lock_mode;		/* STORE_LOCK_* */
	unsigned lock_days;	/* every put is retained this long */
};

/* A response body: grown as it arrives, up to CAP bytes (never allocated
 * ahead: most answers are a few hundred bytes). */
struct resp {
	char *buf;		/* NUL-terminated once a request returned */
	size_t len;
	size_t alloc;
	size_t cap;
	bool over;
	char etag[128];
	char date[64];		/* the answer's Date header (clock skew) */
	char retain[40];	/* x-amz-object-lock-retain-until-date, or "" */
	char version[128];	/* x-amz-version-id, or "" */
	char sclass[40];	/* x-amz-storage-class, or "" */
};

#define RESP_INIT(capacity) { NULL, 0, 0, (capacity), false, "", "", "", "", "" }

struct body {
	const char *p;
	size_t len;
	size_t off;
};

/* What x-amz-content-sha256 says of a body left out of the signature. */
#define S3_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"

/*
 * s3_payload_hash: what S signs of body DATA (LEN bytes; NULL: none) into
 * OUT: its SHA-256 in hex, or S3_UNSIGNED_PAYLOAD over https with the
 * certificate verified. There TLS already keeps the body from being
 * changed on the way, and neither side need hash every byte; over http,
 * or TLS unverified, the signature is what refuses a damaged body.
 */
void s3_payload_hash(const struct s3 *s, const void *data, size_t len, char out[65]);

/*
 * s3_request: one signed request, METHOD on PATH (not encoded, from '/')
 * with the canonical QUERY and body DATA, retried while that may help.
 * *HTTP is the final status. Returns 0 when a response came, -1 after a
 * network failure (reason in ERR).
 */
int s3_request(struct s3 *s, const char *method, const char *path, const char *query,
    const void *data, size_t dlen, struct resp *r, long *http, char *err, size_t errlen);

/* s3_request_hdr: s3_request with more (unsigned) HEADER lines, separated by '\n', or NULL. */
int s3_request_hdr(struct s3 *s, const char *method, const char *path, const char *query,
    const char *header, const void *data, size_t dlen, struct resp *r, long *http, char *err,
    size_t errlen);

/* s3_object_path: the request path of object KEY, a new string. */
char *s3_object_path(struct s3 *s, const char *key);

/*
 * The parsers of S3's answers, apart so that they can be fuzzed:
 * s3_error_code: the error code in BODY ("NoSuchKey"), or "".
 * store_s3_parse_list: the keys under PREFIX (and their sizes when SIZES) of one
 *   ListObjectsV2 page, and its continuation token (or ""). 0 or -1.
 * s3_parse_delete_answer: of N keys deleted, how many a DeleteObjects
 *   answer says failed (a missing key is no failure; logged), N when the
 *   answer is not XML.
 * s3_parse_uploads: the incomplete uploads of a ListMultipartUploads page
 *   begun before BEFORE (keys and upload IDs), whether more pages follow
 *   and their markers. 0 or -1 (not XML).
 * s3_parse_upload_id: the UploadId of an InitiateMultipartUpload answer
 *   into OUT. 0 or -1.
 */
void s3_error_code(const char *body, char *out, size_t len);
int store_s3_parse_list(const char *prefix, const char *xml, size_t len, struct strlist *keys,
    uint64_t **sizes, char *next, size_t nextlen);
size_t s3_parse_delete_answer(const char *bucket, const char *endpoint, const char *buf,
    size_t len, size_t n);
int s3_parse_uploads(const char *buf, size_t len, time_t before, struct strlist *keys,
    struct strlist *ids, bool *truncated, char *key_marker, size_t kml, char *id_marker,
    size_t iml);
int s3_parse_upload_id(const char *buf, char *out, size_t len);

/*
 * s3_xml_child_text: the text of N's child element NAME (an xmlNode of
 * libxml2), a new string, or NULL when N has no such child.
 */
struct _xmlNode;
char *s3_xml_child_text(const struct _xmlNode *n, const char *name);

/*
 * s3_parse_versions: append to *OUT (of *N entries) the versions and delete
 *   markers of exactly KEY (the full key, prefix included) in one
 *   ListObjectVersions page, in its order (by key, newest first); whether
 *   more pages follow and their markers. With KEYS not NULL, KEY is a
 *   prefix: every entry under it is taken and its key, without its first
 *   STRIP bytes, appended to KEYS. 0, or -1 (not XML, or truncated
 *   without a marker).
 * s3_refusal: what a refused answer means: VV_LOCKED (403 AccessDenied
 *   for Object Lock retention), VV_DENIED (403 AccessDenied otherwise), or
 *   0 (anything else).
 */
struct store_version;
int s3_parse_versions(const char *key, size_t strip, struct strlist *keys, const char *buf,
    size_t len, struct store_version **out, size_t *n, bool *truncated, char *key_marker, size_t kml, char *vid_marker, size_t vml);
int s3_refusal(long http, const struct resp *r);

/* s3_report: log a failed response to WHAT of KEY in an operator's words. */
void s3_report(struct s3 *s, const char *what, const char *key, long http, const struct resp *r);

/* s3_delete_many, s3_cleanup: the store operations (s3_batch.c). */
struct store;
size_t s3_delete_many(struct store *st, char *const *keys, size_t n);
int s3_cleanup(struct store *st, time_t before, bool dry_run, size_t *found);

/* s3_versions, s3_list_versions, s3_get_version, s3_delete_version: the store operations (s3_versions.c). */
int s3_versions(struct store *st, const char *key,
    int (*cb)(const struct store_version *v, void *ctx), void *ctx);
int s3_list_versions(struct store *st, const char *prefix,
    int (*cb)(const char *key, const struct store_version *v, void *ctx), void *ctx);
int s3_get_version(struct store *st, const char *key, const char *version, void **out,
    size_t *outlen, size_t cap);
int s3_delete_version(struct store *st, const char *key, const char *version);

/* s3_put_multipart: KEY of LEN bytes in parts; aborted on failure. 0 or -1. */
int s3_put_multipart(struct s3 *s, const char *key, const uint8_t *buf, size_t len);

/*
 * s3_retention_headers: the header lines (each ending in '\n') a PUT of
 * KEY (LEN bytes at BUF) carries into OUT (LEN bytes): If-None-Match with
 * IF_ABSENT, the storage class CLASS (NULL: none) for chunks/ and
 * indexes/ keys, Object Lock MODE (STORE_LOCK_*) until UNTIL with the
 * body's Content-MD5 (S3 requires it). "" when none. Returns 0, or -1
 * when OUT is too small.
 */
int s3_retention_headers(const char *key, const void *buf, size_t len, bool if_absent,
    const char *sclass, int mode, time_t until, char *out, size_t outlen);

/* s3_retention_put_headers: s3_retention_headers with S's settings, the lock from now. */
int s3_retention_put_headers(struct s3 *s, const char *key, const void *buf, size_t len,
    bool if_absent, char *out, size_t outlen);

/* s3_retention_format: UNTIL as S3 writes dates (2026-12-05T03:00:00.000Z) into OUT (32 bytes). */
void s3_retention_format(time_t until, char out[32]);

/* s3_retention_parse: a date as S3 writes it (ISO 8601 in UTC, or an HTTP date) into *UNTIL. 0, or -1. */
int s3_retention_parse(const char *text, time_t *until);

/* s3_retention_ops: the Object Lock operations of the store table (s3_retention.c). */
int s3_set_lock(struct store *st, int mode, unsigned days);
int s3_retention(struct store *st, const char *key, time_t *until, char *version, size_t vlen);
int s3_extend_retention(struct store *st, const char *key, const char *version, time_t until);
int s3_lock_enabled(struct store *st);

#endif
