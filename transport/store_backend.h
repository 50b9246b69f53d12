/* What a store backend provides. Only backends and store.c include it. */
#ifndef VV_STORE_BACKEND_H
#define VV_STORE_BACKEND_H

#include <time.h>

#include "transport/store.h"

struct store_ops {
	int (*put)(struct store *s, const char *key, const void *buf, size_t len,
	    int flags);
	/* As store_get; NULL: store.c hands over a new buffer get_buf filled. */
	int (*get)(struct store *s, const char *key, void **buf, size_t *len,
	    size_t cap);
	/* As store_get_buf; NULL: store.c gives a store_get's new buffer to B. */
	int (*get_buf)(struct store *s, const char *key, struct store_buf *b, size_t *len,
	    size_t cap);
	int (*exists)(struct store *s, const char *key);
	/* CB for each key under PREFIX, as store_list_each; with SIZES, a size
	 * the store must look up per key is looked up (else STORE_SIZE_UNKNOWN). */
	int (*list)(struct store *s, const char *prefix, bool sizes, store_list_fn cb, void *ctx);
	/* The size of KEY: 0, VV_NOT_FOUND or -1 (logged). NULL: the listing gives sizes. */
	int (*size)(struct store *s, const char *key, uint64_t *size);
	int (*del)(struct store *s, const char *key);
	/* Delete N keys; the number that could not be (each logged). NULL: one by one. */
	size_t (*del_many)(struct store *s, char *const *keys, size_t n);
	/* Debris of interrupted writes begun before BEFORE (epoch seconds): count
	 * them into *FOUND and remove them unless DRY_RUN. 0 or -1 (logged). */
	int (*cleanup)(struct store *s, time_t before, bool dry_run, size_t *found);
	int (*sync)(struct store *s);
	int (*parallel)(struct store *s);	/* requests worth running at once, or 0 */
	uint64_t (*requests)(struct store *s);	/* network requests made, retries included */
	void (*close)(struct store *s);
	/* Versions of KEY, newest first, as store_versions; NULL: no versions
	 * (store.c gives the current object as the only one). */
	int (*versions)(struct store *s, const char *key, store_version_fn cb, void *ctx);
	/* Version VERSION (never "") of KEY, as store_get_version. */
	int (*get_version)(struct store *s, const char *key, const char *version, void **buf,
	    size_t *len, size_t cap);
	/* Remove version VERSION (never "") of KEY, as store_delete_version. */
	int (*del_version)(struct store *s, const char *key, const char *version);
	/* Every version under PREFIX, as store_list_versions; NULL: no versions. */
	int (*list_versions)(struct store *s, const char *prefix, store_key_version_fn cb,
	    void *ctx);
	/* Object Lock (store.h); NULL: a store without it (file://). */
	int (*set_lock)(struct store *s, int mode, unsigned days);
	int (*lock_enabled)(struct store *s);
	int (*retention)(struct store *s, const char *key, time_t *until, char *version, size_t vlen);
	int (*extend_retention)(struct store *s, const char *key, const char *version, time_t until);
};

struct store {
	const struct store_ops *ops;
	char *url;
	void *priv;
};

/*
 * store_list_add: a backend's list appends KEY to KEYS and, when SIZES is
 * not NULL, SIZE to *SIZES, which it keeps as large as KEYS's capacity (so
 * both grow geometrically).
 */
void store_list_add(struct strlist *keys, uint64_t **sizes, const char *key, uint64_t size);

/* store_file_open: the file:// backend at PATH. */
struct store *store_file_open(const char *url, const char *path, int create);

/* store_s3_open: the s3:// backend with options O. */
struct store *store_s3_open(const char *url, const struct store_s3_opts *o, int create);

#endif
