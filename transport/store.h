/*
 * The object store: a flat namespace of immutable objects under a
 * repository URL. One interface, one backend per URL scheme
 * (store_file.c for file://, store_s3.c for s3://), behind a table of
 * functions. The transport knows nothing of the configuration: the caller
 * fills the options.
 */
#ifndef VV_STORE_H
#define VV_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/outcome.h"
#include "common/util.h"

struct store;

/* Flags of store_put. */
#define STORE_DURABLE 0x1	/* on stable storage before put returns */
#define STORE_EXCL 0x2		/* fail with VV_EXISTS if the key exists */
/* Put unless the key exists (VV_EXISTS then), in one request where the
 * store can tell (file: link; S3: If-None-Match); else it overwrites:
 * for content-addressed objects, whose content is the same. */
#define STORE_IF_ABSENT 0x4

/* How to reach an s3:// store; every field is the caller's choice. */
struct store_s3_opts {
	const char *endpoint;		/* https://HOST[:PORT], or NULL: AWS */
	const char *region;		/* NULL: us-east-1 */
	const char *addressing;		/* "path", "virtual", or NULL: path for an endpoint */
	const char *access_key;		/* NULL: environment, then ~/.aws/credentials */
	const char *secret_key;
	const char *ca_file;		/* or NULL */
	bool tls_verify;
	long request_timeout;		/* seconds a request may stall */
	int parallel;			/* requests at once, at least 1 */
	uint64_t multipart_threshold;	/* bytes */
	uint64_t bandwidth_limit;	/* bytes per second in all; 0: none */
	const char *storage_class;	/* x-amz-storage-class of chunks/ and indexes/; NULL: STANDARD */
	bool object_lock;		/* a bucket made by store_open is made with Object Lock */
};

struct store_opts {
	struct store_s3_opts s3;
};

/*
 * store_open: the store at URL with options O (may be NULL for file://).
 * CREATE: make its root (folder, bucket) when missing. Returns NULL after
 * logging why (naming URL).
 */
struct store *store_open(const char *url, int create, const struct store_opts *o);

/* store_requests: the network requests made so far (0 for local stores). */
uint64_t store_requests(struct store *s);

/* store_parallelism: how many requests are worth running at once (0: no preference). */
int store_parallelism(struct store *s);

/* store_url: the URL it was opened with. */
const char *store_url(const struct store *s);

/*
 * store_put: write LEN bytes at BUF as object KEY, atomically: a reader
 * sees the whole object or none. Returns 0, VV_EXISTS (with
 * STORE_EXCL), VV_DENIED (the store refused this credential: 403
 * AccessDenied; not logged, the caller decides), or -1 (logged, naming KEY).
 */
int store_put(struct store *s, const char *key, const void *buf, size_t len,
    int flags);

/*
 * store_get: object KEY into *BUF (a new buffer the caller frees) of *LEN
 * bytes. An object larger than CAP is an error. Returns 0,
 * VV_NOT_FOUND (not logged), or -1 (logged).
 */
int store_get(struct store *s, const char *key, void **buf, size_t *len,
    size_t cap);

/*
 * A buffer a worker keeps from one store_get_buf to the next: a fresh
 * buffer for every object costs a new page per 4 KiB on each read (perf:
 * 12 % of a restore's time in clear_page). { NULL, 0 } to begin with;
 * store_buf_free at the end.
 */
struct store_buf {
	void *p;
	size_t room;
};

/*
 * store_get_buf: as store_get, object KEY into B's buffer, which it
 * replaces by a larger one when KEY does not fit (its first *LEN bytes
 * are the object; it stays B's).
 */
int store_get_buf(struct store *s, const char *key, struct store_buf *b, size_t *len,
    size_t cap);

/* store_buf_free: B's buffer freed, B empty again. */
void store_buf_free(struct store_buf *b);

/* store_exists: 1 when KEY exists, 0 when not, -1 on error (logged). */
int store_exists(struct store *s, const char *key);

/*
 * store_list_fn: called by store_list_each with each KEY listed and its
 * SIZE in bytes (STORE_SIZE_UNKNOWN where the store cannot tell without
 * a request per key: file://). Returns 0 to go on; anything else stops
 * the listing, and store_list_each returns it (the callback logs why).
 */
typedef int (*store_list_fn)(const char *key, uint64_t size, void *ctx);

#define STORE_SIZE_UNKNOWN UINT64_MAX

/*
 * store_list_each: call CB(key, size, CTX) for every key that starts with
 * PREFIX, as the listing streams: the whole listing is never in memory
 * (file://: one readdir at a time; s3://: one page of up to 1000 keys; in
 * no particular order). A listing that fails half-way has called CB for
 * some keys already. Returns 0, what CB returned when it stopped the
 * listing, or -1 (logged).
 */
int store_list_each(struct store *s, const char *prefix, store_list_fn cb, void *ctx);

/*
 * store_list: append to KEYS every key that starts with PREFIX. Returns 0
 * or -1 (logged; KEYS as it was).
 */
int store_list(struct store *s, const char *prefix, struct strlist *keys);

/*
 * store_size: the size of object KEY into *SIZE (STORE_SIZE_UNKNOWN when
 * the store cannot tell: s3://, whose listings give sizes). Returns 0,
 * VV_NOT_FOUND (not logged), or -1 (logged).
 */
int store_size(struct store *s, const char *key, uint64_t *size);

/*
 * store_delete: remove KEY (in a versioned bucket: hide it behind a delete
 * marker). Returns 0, VV_NOT_FOUND, VV_DENIED (403 AccessDenied: not
 * logged, the caller decides), or -1 (logged).
 */
int store_delete(struct store *s, const char *key);

/*
 * store_list_sizes: as store_list, with the size of each key in a new
 * array *SIZES (free()), in the order of KEYS; file:// stats each key.
 */
int store_list_sizes(struct store *s, const char *prefix, struct strlist *keys,
    uint64_t **sizes);

/*
 * store_delete_many: remove the N KEYS (a missing one is no error), in
 * batches where the store has them (S3 DeleteObjects, 1000 keys each).
 * Returns the number that could not be removed (each logged).
 */
size_t store_delete_many(struct store *s, char *const *keys, size_t n);

/*
 * store_cleanup: the debris of interrupted writes begun before BEFORE
 * (epoch seconds): temporary files of file://, incomplete multipart
 * uploads of s3://. Counts them into *FOUND and removes them unless
 * DRY_RUN. Returns 0 or -1 (logged).
 */
int store_cleanup(struct store *s, time_t before, bool dry_run, size_t *found);

/*
 * store_sync: every object put so far is on stable storage when it
 * returns 0; -1 (logged) otherwise. Called before a manifest is written.
 */
int store_sync(struct store *s);

/* One version of an object, as store_versions lists them. */
struct store_version {
	char id[128];		/* "" for the current object of an unversioned store */
	time_t modified;	/* 0 where the store cannot tell */
	uint64_t size;		/* STORE_SIZE_UNKNOWN where the store cannot tell */
	bool latest;		/* the current version */
	bool delete_marker;	/* a delete marker, with no content */
};

/*
 * store_version_fn: called by store_versions with each version V. Returns
 * 0 to go on; anything else stops, and store_versions returns it.
 */
typedef int (*store_version_fn)(const struct store_version *v, void *ctx);

/*
 * store_versions: call CB(version, CTX) for each version of exactly KEY,
 * newest first (S3: ListObjectVersions, delete markers included). A store
 * without versions (file://, an unversioned bucket) gives one entry for
 * the current object (id "" where it has no id), or none when KEY does not
 * exist. Returns 0, what CB returned when it stopped, or -1 (logged).
 */
int store_versions(struct store *s, const char *key, store_version_fn cb, void *ctx);

/*
 * store_key_version_fn: called by store_list_versions with each KEY and
 * version V. Returns 0 to go on; anything else stops, and
 * store_list_versions returns it.
 */
typedef int (*store_key_version_fn)(const char *key, const struct store_version *v, void *ctx);

/*
 * store_list_versions: call CB(key, version, CTX) for every version (and
 * delete marker) of every key under PREFIX, by key and newest first,
 * page by page: a key hidden by a delete marker is listed too. A store
 * without versions gives each listed key once, id "". Returns 0, what CB
 * returned when it stopped, or -1 (logged).
 */
int store_list_versions(struct store *s, const char *prefix, store_key_version_fn cb,
    void *ctx);

/*
 * store_get_version: version VERSION of KEY ("": the current one) into
 * *BUF (a new buffer the caller frees) of *LEN bytes, at most CAP.
 * Returns 0, VV_NOT_FOUND (no such version, or a delete marker; not
 * logged), or -1 (logged).
 */
int store_get_version(struct store *s, const char *key, const char *version, void **buf,
    size_t *len, size_t cap);

/*
 * store_delete_version: remove version VERSION of KEY for good ("": the
 * current object, as store_delete). Returns 0, VV_NOT_FOUND, VV_LOCKED
 * (refused: the version is under Object Lock retention), VV_DENIED (403
 * AccessDenied for this credential), neither logged, or -1 (logged).
 */
int store_delete_version(struct store *s, const char *key, const char *version);

/* Object Lock modes (store_set_lock). */
#define STORE_LOCK_NONE 0
#define STORE_LOCK_GOVERNANCE 1
#define STORE_LOCK_COMPLIANCE 2

/*
 * store_set_lock: every later put of S carries Object Lock MODE
 * (STORE_LOCK_*) with a retain-until date DAYS days after the put (and the
 * Content-MD5 S3 asks for with it). STORE_LOCK_NONE: no lock. Returns 0,
 * or -1 (logged: a store without Object Lock, file://).
 */
int store_set_lock(struct store *s, int mode, unsigned days);

/*
 * store_lock_enabled: whether the bucket of S has Object Lock enabled
 * (GetObjectLockConfiguration). Returns 1, 0 (not enabled, or a store
 * without it: file://), or -1 (logged).
 */
int store_lock_enabled(struct store *s);

/*
 * store_retention: the retain-until date of object KEY's current version
 * into *UNTIL (0: none) and its version ID into VERSION (VLEN bytes; ""
 * unversioned), by one HEAD. Returns 0, VV_NOT_FOUND (not logged), or -1
 * (logged). A store without Object Lock (file://): 0 with *UNTIL 0.
 */
int store_retention(struct store *s, const char *key, time_t *until, char *version, size_t vlen);

/*
 * store_extend_retention: retain version VERSION of KEY (NULL or "": the
 * current one) until UNTIL, in the mode of store_set_lock
 * (PutObjectRetention). The store never shortens a retention: it is never
 * asked to bypass governance. Returns 0, VV_NOT_FOUND (not logged), or -1
 * (logged). A store without Object Lock: 0, nothing done.
 */
int store_extend_retention(struct store *s, const char *key, const char *version, time_t until);

/* store_close: close S; NULL is a no-op. */
void store_close(struct store *s);

#endif
