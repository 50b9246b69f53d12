#include "transport/store.h"

#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "transport/store_backend.h"

/* Keys are relative paths of safe characters: no "..", no leading '/'. */
static int
valid_key(const char *key)
{
	if (*key == '\0' || *key == '/' || strstr(key, "..") != NULL ||
	    strspn(key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_.-@:") != strlen(key))
		return 0;
	return 1;
}

struct store *
store_open(const char *url, int create, const struct store_opts *o)
{
	if (strncmp(url, "file://", 7) == 0)
		return store_file_open(url, url + 7, create);
	if (strncmp(url, "s3://", 5) == 0) {
		if (o == NULL) {
			log_error("repository %s: an s3:// store needs its options", url);
			return NULL;
		}
		return store_s3_open(url, &o->s3, create);
	}
	log_error("repository %s: unknown URL scheme (file:// or s3://)", url);
	return NULL;
}

const char *
store_url(const struct store *s)
{
	return s->url;
}

int
store_put(struct store *s, const char *key, const void *buf, size_t len, int flags)
{
	if (!valid_key(key)) {
		log_error("repository %s: invalid object key '%s'", s->url, key);
		return -1;
	}
	return s->ops->put(s, key, buf, len, flags);
}

int
store_get(struct store *s, const char *key, void **buf, size_t *len, size_t cap)
{
	if (!valid_key(key)) {
		log_error("repository %s: invalid object key '%s'", s->url, key);
		return -1;
	}
	if (s->ops->get == NULL) {
		/* A backend that reads into a buffer: a new one, handed over. */
		struct store_buf b = { NULL, 0 };
		int rc = s->ops->get_buf(s, key, &b, len, cap);

		if (rc == 0)
			*buf = b.p;
		else
			store_buf_free(&b);
		return rc;
	}
	return s->ops->get(s, key, buf, len, cap);
}

int
store_get_buf(struct store *s, const char *key, struct store_buf *b, size_t *len, size_t cap)
{
	void *fresh = NULL;
	int rc;

	if (!valid_key(key)) {
		log_error("repository %s: invalid object key '%s'", s->url, key);
		return -1;
	}
	if (s->ops->get_buf != NULL)
		return s->ops->get_buf(s, key, b, len, cap);
	/* The old buffer first: never two of them at once. */
	store_buf_free(b);
	rc = s->ops->get(s, key, &fresh, len, cap);
	if (rc == 0) {
		b->p = fresh;
		b->room = *len;
	}
	return rc;
}

void
store_buf_free(struct store_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->room = 0;
}

int
store_exists(struct store *s, const char *key)
{
	if (!valid_key(key)) {
		log_error("repository %s: invalid object key '%s'", s->url, key);
		return -1;
	}
	return s->ops->exists(s, key);
}

/* A listing that failed half-way (a page of many) leaves KEYS as it was. */
static void
list_undo(struct strlist *keys, size_t n0)
{
	for (size_t i = n0; i < keys->n; i++)
		free(keys->v[i]);
	if (keys->n > n0)
		keys->n = n0;
	if (n0 == 0) {
		free(keys->v);
		keys->v = NULL;
		keys->cap = 0;
	}
}

int
store_list_each(struct store *s, const char *prefix, store_list_fn cb, void *ctx)
{
	return s->ops->list(s, prefix, false, cb, ctx);
}

/* Where store_list and store_list_sizes collect a listing. */
struct collect {
	struct strlist *keys;
	uint64_t **sizes;	/* or NULL */
};

static int
collect_one(const char *key, uint64_t size, void *ctx)
{
	struct collect *c = ctx;

	store_list_add(c->keys, c->sizes, key, size);
	return 0;
}

int
store_list(struct store *s, const char *prefix, struct strlist *keys)
{
	struct collect c = { keys, NULL };
	size_t n0 = keys->n;
	int rc = s->ops->list(s, prefix, false, collect_one, &c);

	if (rc < 0)
		list_undo(keys, n0);
	return rc;
}

int
store_list_sizes(struct store *s, const char *prefix, struct strlist *keys, uint64_t **sizes)
{
	struct collect c = { keys, sizes };
	size_t n0 = keys->n;
	int rc;

	*sizes = NULL;
	rc = s->ops->list(s, prefix, true, collect_one, &c);
	if (rc < 0) {
		list_undo(keys, n0);
		free(*sizes);
		*sizes = NULL;
	}
	return rc;
}

int
store_size(struct store *s, const char *key, uint64_t *size)
{
	*size = STORE_SIZE_UNKNOWN;
	if (!valid_key(key)) {
		log_error("repository %s: invalid object key '%s'", s->url, key);
		return -1;
	}
	return s->ops->size != NULL ? s->ops->size(s, key, size) : 0;
}

void
store_list_add(struct strlist *keys, uint64_t **sizes, const char *key, uint64_t size)
{
	size_t cap = keys->cap;

	strlist_add(keys, key);
	if (sizes == NULL)
		return;
	if (*sizes == NULL || keys->cap != cap)
		*sizes = xrealloc(*sizes, alloc_mult(keys->cap, sizeof(**sizes)));
	(*sizes)[keys->n - 1] = size;
}

size_t
store_delete_many(struct store *s, char *const *keys, size_t n)
{
	size_t failed = 0;

	for (size_t i = 0; i < n; i++) {
		if (!valid_key(keys[i])) {
			log_error("repository %s: invalid object key '%s'", s->url, keys[i]);
			return n;
		}
	}
	if (s->ops->del_many != NULL)
		return s->ops->del_many(s, keys, n);
	for (size_t i = 0; i < n; i++)
		failed += s->ops->del(s, keys[i]) < 0;
	return failed;
}

int
store_cleanup(struct store *s, time_t before, bool dry_run, size_t *found)
{
	*found = 0;
	return s->ops->cleanup(s, before, dry_run, found);
}

int
store_delete(struct store *s, const char *key)
{
	if (!valid_key(key)) {
		log_error("repository %s: invalid object key '%s'", s->url, key);
		return -1;
	}
	return s->ops->del(s, key);
}

uint64_t
store_requests(struct store *s)
{
	return s->ops->requests ? s->ops->requests(s) : 0;
}

int
store_parallelism(struct store *s)
{
	return s->ops->parallel ? s->ops->parallel(s) : 0;
}

int
store_sync(struct store *s)
{
	return s->ops->sync(s);
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	s->ops->close(s);
	free(s->url);
	free(s);
}

/* Version ids travel in a query string: printable, no spaces, bounded. */
static int
valid_version(const char *v)
{
	size_t n = strlen(v);

	if (n >= sizeof(((struct store_version *)0)->id))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (v[i] <= ' ' || v[i] > '~')
			return 0;
	return 1;
}

int
store_versions(struct store *s, const char *key, store_version_fn cb, void *ctx)
{
	struct store_version v = { .id = "", .size = STORE_SIZE_UNKNOWN, .latest = true };
	int rc;

	if (!valid_key(key)) {
		log_error("repository %s: invalid object key '%s'", s->url, key);
		return -1;
	}
	if (s->ops->versions != NULL)
		return s->ops->versions(s, key, cb, ctx);
	/* No versions: the current object is the only one. */
	rc = store_size(s, key, &v.size);
	if (rc == VV_NOT_FOUND)
		return 0;
	if (rc < 0)
		return -1;
	if (v.size == STORE_SIZE_UNKNOWN && (rc = s->ops->exists(s, key)) <= 0)
		return rc;
	return cb(&v, ctx);
}

int
store_get_version(struct store *s, const char *key, const char *version, void **buf,
    size_t *len, size_t cap)
{
	if (version[0] == '\0')
		return store_get(s, key, buf, len, cap);
	if (!valid_key(key) || !valid_version(version)) {
		log_error("repository %s: invalid object key '%s' or version '%s'", s->url, key,
		    version);
		return -1;
	}
	if (s->ops->get_version == NULL)
		return VV_NOT_FOUND;
	return s->ops->get_version(s, key, version, buf, len, cap);
}

int
store_delete_version(struct store *s, const char *key, const char *version)
{
	if (version[0] == '\0')
		return store_delete(s, key);
	if (!valid_key(key) || !valid_version(version)) {
		log_error("repository %s: invalid object key '%s' or version '%s'", s->url, key,
		    version);
		return -1;
	}
	if (s->ops->del_version == NULL)
		return VV_NOT_FOUND;
	return s->ops->del_version(s, key, version);
}

/* Where a store without versions lists its keys as versions. */
struct as_versions {
	store_key_version_fn cb;
	void *ctx;
};

static int
as_version(const char *key, uint64_t size, void *ctx)
{
	struct as_versions *a = ctx;
	struct store_version v = { .id = "", .size = size, .latest = true };

	return a->cb(key, &v, a->ctx);
}

int
store_list_versions(struct store *s, const char *prefix, store_key_version_fn cb, void *ctx)
{
	struct as_versions a = { cb, ctx };

	if (s->ops->list_versions != NULL)
		return s->ops->list_versions(s, prefix, cb, ctx);
	return s->ops->list(s, prefix, false, as_version, &a);
}

int
store_set_lock(struct store *s, int mode, unsigned days)
{
	if (s->ops->set_lock == NULL) {
		if (mode == STORE_LOCK_NONE)
			return 0;
		log_error("repository %s: Object Lock needs an s3:// store", s->url);
		return -1;
	}
	return s->ops->set_lock(s, mode, days);
}

int
store_lock_enabled(struct store *s)
{
	return s->ops->lock_enabled == NULL ? 0 : s->ops->lock_enabled(s);
}

int
store_retention(struct store *s, const char *key, time_t *until, char *version, size_t vlen)
{
	if (!valid_key(key)) {
		log_error("repository %s: invalid object key '%s'", s->url, key);
		return -1;
	}
	if (s->ops->retention == NULL) {
		int rc = s->ops->exists(s, key);

		*until = 0;
		if (vlen > 0)
			version[0] = '\0';
		return rc == 1 ? 0 : rc == 0 ? VV_NOT_FOUND : -1;
	}
	return s->ops->retention(s, key, until, version, vlen);
}

int
store_extend_retention(struct store *s, const char *key, const char *version, time_t until)
{
	if (!valid_key(key)) {
		log_error("repository %s: invalid object key '%s'", s->url, key);
		return -1;
	}
	if (s->ops->extend_retention == NULL)
		return 0;
	return s->ops->extend_retention(s, key, version, until);
}
