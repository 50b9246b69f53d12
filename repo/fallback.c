#include "repo/fallback.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/util_time.h"

/* The keys read from an older version, for fallback_taken. */
static pthread_mutex_t taken_mu = PTHREAD_MUTEX_INITIALIZER;
static struct strlist taken;

static void
note_taken(const char *key)
{
	pthread_mutex_lock(&taken_mu);
	if (!strlist_contains(&taken, key))
		strlist_add(&taken, key);
	pthread_mutex_unlock(&taken_mu);
}

void
fallback_taken(struct strlist *keys)
{
	pthread_mutex_lock(&taken_mu);
	for (size_t i = 0; i < taken.n; i++)
		strlist_add(keys, taken.v[i]);
	pthread_mutex_unlock(&taken_mu);
}

/* The versions of a key, as listed. */
struct vlist {
	struct store_version *v;
	size_t n;
};

static int
collect(const struct store_version *v, void *ctx)
{
	struct vlist *l = ctx;

	l->v = xrealloc(l->v, alloc_mult(l->n + 1, sizeof(*l->v)));
	l->v[l->n++] = *v;
	return 0;
}

/* What a search of the versions looks for. */
struct search {
	struct store *s;
	const char *key;
	size_t cap;
	time_t as_of;		/* 0: any */
	bool skip_latest;	/* the current one was tried already */
	fallback_check_fn check;
	void *ctx;
	/* Out: the version taken. */
	struct store_version got;
	bool taken;		/* an older version was taken */
	void *raw;
	size_t len;
};

/* The newest version S->check accepts: 0, VV_NOT_FOUND, or -1 (logged). */
static int
search(struct search *q)
{
	struct vlist l = { NULL, 0 };
	char why[200];
	int ret = VV_NOT_FOUND;

	if (store_versions(q->s, q->key, collect, &l) < 0)
		return -1;
	for (size_t i = 0; i < l.n && ret == VV_NOT_FOUND; i++) {
		void *raw = NULL;
		size_t len = 0;
		int rc;

		if (l.v[i].delete_marker || (q->skip_latest && l.v[i].latest) ||
		    (q->as_of != 0 && l.v[i].modified > q->as_of))
			continue;
		rc = store_get_version(q->s, q->key, l.v[i].id, &raw, &len, q->cap);
		if (rc < 0) {
			ret = -1;
		} else if (rc == 0 && q->check(q->key, raw, len, q->ctx, why, sizeof(why)) == 0) {
			q->got = l.v[i];
			q->taken = true;
			q->raw = raw;
			q->len = len;
			raw = NULL;
			ret = 0;
		}
		free(raw);
	}
	free(l.v);
	return ret;
}

static void
give(void *got, size_t glen, void **raw, size_t *len)
{
	if (raw != NULL) {
		*raw = got;
		*len = glen;
	} else {
		free(got);
	}
}

/*
 * The current KEY in CUR (CLEN bytes; RC what reading it returned) when
 * CHECK accepts it: 0; else the newest older version it accepts into
 * *RAW, warned (as fallback_get).
 */
static int
fall_back(struct search *q, int rc, const void *cur, size_t clen, char *why, size_t whylen)
{
	char when[32];

	why[0] = '\0';
	if (rc < 0)
		return -1;
	if (rc == 0 && q->check(q->key, cur, clen, q->ctx, why, whylen) == 0)
		return 0;
	if (rc == VV_NOT_FOUND)
		snprintf(why, whylen, "missing");
	rc = search(q);
	if (rc == VV_NOT_FOUND && strcmp(why, "missing") == 0)
		return VV_NOT_FOUND;
	if (rc != 0)
		return -1;
	util_format_utc(q->got.modified, when, sizeof(when));
	log_warn("repository %s: object %s is %s%s%s; read its older version %s of %s instead (run 'virtvault recover' as the admin)",
	    store_url(q->s), q->key, strcmp(why, "missing") == 0 ? "missing (deleted?)" :
	    "not authentic", strcmp(why, "missing") == 0 ? "" : ": ",
	    strcmp(why, "missing") == 0 ? "" : why, q->got.id, when);
	note_taken(q->key);
	return 0;
}

int
fallback_get(struct store *s, const char *key, size_t cap, fallback_check_fn check,
    void *ctx, void **raw, size_t *len, char *why, size_t whylen)
{
	struct search q = { .s = s, .key = key, .cap = cap, .skip_latest = true, .check = check,
		.ctx = ctx };
	void *cur = NULL;
	size_t clen = 0;
	int rc = store_get(s, key, &cur, &clen, cap);

	rc = fall_back(&q, rc, cur, clen, why, whylen);
	if (rc == 0 && q.taken) {
		free(cur);
		give(q.raw, q.len, raw, len);
	} else if (rc == 0) {
		give(cur, clen, raw, len);
	} else {
		free(cur);
	}
	return rc;
}

int
fallback_get_buf(struct store *s, const char *key, size_t cap, fallback_check_fn check,
    void *ctx, struct store_buf *b, char *why, size_t whylen)
{
	struct search q = { .s = s, .key = key, .cap = cap, .skip_latest = true, .check = check,
		.ctx = ctx };
	size_t clen = 0;
	int rc = store_get_buf(s, key, b, &clen, cap);

	rc = fall_back(&q, rc, b->p, clen, why, whylen);
	free(q.raw);
	return rc;
}

int
fallback_last_good(struct store *s, const char *key, size_t cap, time_t as_of,
    fallback_check_fn check, void *ctx, char *id, size_t idlen, void **raw, size_t *len,
    bool *current)
{
	struct search q = { .s = s, .key = key, .cap = cap, .as_of = as_of, .check = check,
		.ctx = ctx };
	int rc = search(&q);

	if (rc != 0)
		return rc;
	snprintf(id, idlen, "%s", q.got.id);
	*current = q.got.latest;
	give(q.raw, q.len, raw, len);
	return 0;
}

/* What a listing of versions collects. */
struct seen_keys {
	struct store *s;
	struct strlist *keys;
	char last[512];		/* the key whose versions come now */
	bool hidden;		/* its newest is a delete marker */
	bool added;
};

static int
on_version(const char *key, const struct store_version *v, void *ctx)
{
	struct seen_keys *sk = ctx;

	if (strcmp(key, sk->last) != 0) {
		snprintf(sk->last, sizeof(sk->last), "%s", key);
		sk->added = false;
		sk->hidden = v->delete_marker;
		if (!v->delete_marker) {
			strlist_add(sk->keys, key);
			sk->added = true;
		}
		return 0;
	}
	/* Hidden by a delete marker, with a version before it: readable still. */
	if (sk->hidden && !sk->added && !v->delete_marker) {
		log_warn("repository %s: object %s is hidden by a delete marker (deleted with a credential that may not delete versions?); its older versions are read",
		    store_url(sk->s), key);
		strlist_add(sk->keys, key);
		sk->added = true;
	}
	return 0;
}

int
fallback_list(struct store *s, const char *prefix, struct strlist *keys)
{
	struct seen_keys sk = { s, keys, "", false, false };
	size_t n0 = keys->n;

	if (store_list_versions(s, prefix, on_version, &sk) == 0)
		return 0;
	while (keys->n > n0)
		free(keys->v[--keys->n]);
	/* A store that cannot list versions still lists its objects. */
	log_warn("repository %s: the versions under %s cannot be listed; listing the current objects only",
	    store_url(s), prefix);
	return store_list(s, prefix, keys);
}

static int
add_id(const struct store_version *v, void *ctx)
{
	if (v->id[0] != '\0')
		strlist_add(ctx, v->id);
	return 0;
}

int
fallback_erase(struct store *s, const char *key)
{
	struct strlist ids = { 0 };
	int rc = store_delete(s, key), ret;

	if (rc == VV_DENIED || rc < 0)
		return rc;
	if (store_versions(s, key, add_id, &ids) < 0)
		return -1;
	ret = rc;
	for (size_t i = 0; i < ids.n && ret >= 0; i++) {
		rc = store_delete_version(s, key, ids.v[i]);
		if (rc == VV_LOCKED || rc == VV_DENIED)
			ret = VV_LOCKED;
		else if (rc < 0)
			ret = -1;
	}
	strlist_clear(&ids);
	return ret;
}
