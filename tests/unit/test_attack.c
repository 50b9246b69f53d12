/*
 * Hosts that cannot destroy, over a versioned in-memory bucket (below):
 * a credential that may not delete releases locks by a released record
 * and forgets by a request; objects overwritten with junk or hidden by
 * delete markers are read from their older versions (named for verify);
 * recover makes the last good versions current again. The same against a
 * real RGW: tests/integration/t_attack.sh.
 *
 * lint: long file: the versioned bucket (a store backend of its own, no
 * other test needs it) sits beside the tests that use it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repo/fallback.h"
#include "repo/fetch.h"
#include "repo/forget.h"
#include "repo/layout.h"
#include "repo/lock.h"
#include "repo/recover.h"
#include "repo/verify.h"
#include "tests/fakes/memrepo.h"
#include "tests/fakes/tmpdir.h"
#include "transport/store_backend.h"

/* The bucket: every key with all its versions, oldest first. */
struct vobj {
	char *key;
	struct vver {
		char id[16];
		void *data;	/* NULL: a delete marker */
		size_t len;
	} *v;
	size_t n;
};

/* Backups put from several threads: every operation under this (recursive:
 * recover reads versions from within a listing's callback). */
static pthread_mutex_t bucket_mu = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;

static struct {
	struct vobj *o;
	size_t n;
	unsigned next;
	bool deny;		/* deletes refused (403) */
	const char *deny_put;	/* puts of keys under this refused (403), or NULL */
	bool no_version_list;	/* ListObjectVersions fails (a store without it) */
} bucket;

static struct vobj *
find(const char *key, bool make)
{
	for (size_t i = 0; i < bucket.n; i++)
		if (strcmp(bucket.o[i].key, key) == 0)
			return &bucket.o[i];
	if (!make)
		return NULL;
	bucket.o = xrealloc(bucket.o, (bucket.n + 1) * sizeof(*bucket.o));
	/* Sorted by key, as S3 lists them. */
	size_t at = 0;
	while (at < bucket.n && strcmp(bucket.o[at].key, key) < 0)
		at++;
	memmove(bucket.o + at + 1, bucket.o + at, (bucket.n - at) * sizeof(*bucket.o));
	bucket.n++;
	bucket.o[at] = (struct vobj){ xstrdup(key), NULL, 0 };
	return &bucket.o[at];
}

static struct vver *
current(const char *key)
{
	struct vobj *o = find(key, false);

	return o == NULL || o->n == 0 || o->v[o->n - 1].data == NULL ? NULL : &o->v[o->n - 1];
}

static void
add(const char *key, const void *data, size_t len)
{
	struct vobj *o = find(key, true);

	o->v = xrealloc(o->v, (o->n + 1) * sizeof(*o->v));
	snprintf(o->v[o->n].id, sizeof(o->v[0].id), "v%u", ++bucket.next);
	o->v[o->n].data = data ? xmalloc(len + 1) : NULL;
	if (data)
		memcpy(o->v[o->n].data, data, len);
	o->v[o->n].len = len;
	o->n++;
}

static int
b_put_unlocked(struct store *s, const char *key, const void *buf, size_t len, int flags)
{
	(void)s;
	if ((flags & (STORE_EXCL | STORE_IF_ABSENT)) && current(key) != NULL)
		return VV_EXISTS;
	if (bucket.deny_put != NULL && strncmp(key, bucket.deny_put, strlen(bucket.deny_put)) == 0)
		return VV_DENIED;
	add(key, buf, len);
	return 0;
}

static int
copy_out(const struct vver *v, void **buf, size_t *len)
{
	*buf = xmalloc(v->len + 1);
	memcpy(*buf, v->data, v->len);
	*len = v->len;
	return 0;
}

static int
b_get_unlocked(struct store *s, const char *key, void **buf, size_t *len, size_t cap)
{
	struct vver *v = current(key);

	(void)s;
	(void)cap;
	return v == NULL ? VV_NOT_FOUND : copy_out(v, buf, len);
}

static int
b_exists_unlocked(struct store *s, const char *key)
{
	(void)s;
	return current(key) != NULL;
}

static int
b_list_unlocked(struct store *s, const char *prefix, bool sizes, store_list_fn cb, void *ctx)
{
	(void)s;
	(void)sizes;
	for (size_t i = 0; i < bucket.n; i++) {
		struct vver *v = current(bucket.o[i].key);
		int rc;

		if (v != NULL && strncmp(bucket.o[i].key, prefix, strlen(prefix)) == 0 &&
		    (rc = cb(bucket.o[i].key, v->len, ctx)) != 0)
			return rc;
	}
	return 0;
}

static int
b_del_unlocked(struct store *s, const char *key)
{
	(void)s;
	if (bucket.deny)
		return VV_DENIED;
	if (current(key) == NULL)
		return VV_NOT_FOUND;
	add(key, NULL, 0);
	return 0;
}

static int
b_cleanup(struct store *s, time_t before, bool dry_run, size_t *found)
{
	(void)s;
	(void)before;
	(void)dry_run;
	*found = 0;
	return 0;
}

static int
b_sync(struct store *s)
{
	(void)s;
	return 0;
}

static void
b_close(struct store *s)
{
	(void)s;
}

static int
versions_of(const struct vobj *o, int (*cb)(const char *, const struct store_version *, void *),
    void *ctx)
{
	for (size_t j = o->n; j-- > 0;) {
		struct store_version v = { .size = o->v[j].len, .latest = j == o->n - 1,
			.delete_marker = o->v[j].data == NULL, .modified = 1000 + (time_t)j };
		int rc;

		snprintf(v.id, sizeof(v.id), "%s", o->v[j].id);
		if ((rc = cb(o->key, &v, ctx)) != 0)
			return rc;
	}
	return 0;
}

/* Adapts a store_version_fn to the keyed walk. */
struct one {
	store_version_fn cb;
	void *ctx;
};

static int
one_cb(const char *key, const struct store_version *v, void *ctx)
{
	struct one *x = ctx;

	(void)key;
	return x->cb(v, x->ctx);
}

static int
b_versions_unlocked(struct store *s, const char *key, store_version_fn cb, void *ctx)
{
	struct vobj *o = find(key, false);
	struct one x = { cb, ctx };

	(void)s;
	return o == NULL ? 0 : versions_of(o, one_cb, &x);
}

static int
b_list_versions_unlocked(struct store *s, const char *prefix, store_key_version_fn cb, void *ctx)
{
	(void)s;
	if (bucket.no_version_list)
		return -1;
	for (size_t i = 0; i < bucket.n; i++) {
		int rc;

		if (strncmp(bucket.o[i].key, prefix, strlen(prefix)) == 0 &&
		    (rc = versions_of(&bucket.o[i], cb, ctx)) != 0)
			return rc;
	}
	return 0;
}

static int
b_get_version_unlocked(struct store *s, const char *key, const char *id, void **buf, size_t *len,
    size_t cap)
{
	struct vobj *o = find(key, false);

	(void)s;
	(void)cap;
	for (size_t j = 0; o != NULL && j < o->n; j++)
		if (strcmp(o->v[j].id, id) == 0)
			return o->v[j].data == NULL ? VV_NOT_FOUND : copy_out(&o->v[j], buf, len);
	return VV_NOT_FOUND;
}

static int
b_del_version_unlocked(struct store *s, const char *key, const char *id)
{
	struct vobj *o = find(key, false);

	(void)s;
	if (bucket.deny)
		return VV_DENIED;
	for (size_t j = 0; o != NULL && j < o->n; j++) {
		if (strcmp(o->v[j].id, id) == 0) {
			free(o->v[j].data);
			memmove(o->v + j, o->v + j + 1, (o->n - j - 1) * sizeof(*o->v));
			o->n--;
			return 0;
		}
	}
	return VV_NOT_FOUND;
}

static int
b_put(struct store *s, const char *key, const void *buf, size_t len, int flags)
{
	int rc;

	pthread_mutex_lock(&bucket_mu);
	rc = b_put_unlocked(s, key, buf, len, flags);
	pthread_mutex_unlock(&bucket_mu);
	return rc;
}

static int
b_get(struct store *s, const char *key, void **buf, size_t *len, size_t cap)
{
	int rc;

	pthread_mutex_lock(&bucket_mu);
	rc = b_get_unlocked(s, key, buf, len, cap);
	pthread_mutex_unlock(&bucket_mu);
	return rc;
}

static int
b_exists(struct store *s, const char *key)
{
	int rc;

	pthread_mutex_lock(&bucket_mu);
	rc = b_exists_unlocked(s, key);
	pthread_mutex_unlock(&bucket_mu);
	return rc;
}

static int
b_list(struct store *s, const char *prefix, bool sizes, store_list_fn cb, void *ctx)
{
	int rc;

	pthread_mutex_lock(&bucket_mu);
	rc = b_list_unlocked(s, prefix, sizes, cb, ctx);
	pthread_mutex_unlock(&bucket_mu);
	return rc;
}

static int
b_del(struct store *s, const char *key)
{
	int rc;

	pthread_mutex_lock(&bucket_mu);
	rc = b_del_unlocked(s, key);
	pthread_mutex_unlock(&bucket_mu);
	return rc;
}

static int
b_versions(struct store *s, const char *key, store_version_fn cb, void *ctx)
{
	int rc;

	pthread_mutex_lock(&bucket_mu);
	rc = b_versions_unlocked(s, key, cb, ctx);
	pthread_mutex_unlock(&bucket_mu);
	return rc;
}

static int
b_list_versions(struct store *s, const char *prefix, store_key_version_fn cb, void *ctx)
{
	int rc;

	pthread_mutex_lock(&bucket_mu);
	rc = b_list_versions_unlocked(s, prefix, cb, ctx);
	pthread_mutex_unlock(&bucket_mu);
	return rc;
}

static int
b_get_version(struct store *s, const char *key, const char *id, void **buf, size_t *len,
    size_t cap)
{
	int rc;

	pthread_mutex_lock(&bucket_mu);
	rc = b_get_version_unlocked(s, key, id, buf, len, cap);
	pthread_mutex_unlock(&bucket_mu);
	return rc;
}

static int
b_del_version(struct store *s, const char *key, const char *id)
{
	int rc;

	pthread_mutex_lock(&bucket_mu);
	rc = b_del_version_unlocked(s, key, id);
	pthread_mutex_unlock(&bucket_mu);
	return rc;
}

static const struct store_ops bucket_ops = {
	.put = b_put, .get = b_get, .exists = b_exists, .list = b_list, .del = b_del,
	.cleanup = b_cleanup, .sync = b_sync, .close = b_close, .versions = b_versions,
	.get_version = b_get_version, .del_version = b_del_version,
	.list_versions = b_list_versions,
};

static struct store *
bucket_store(void)
{
	struct store *s = xcalloc(1, sizeof(*s));

	s->ops = &bucket_ops;
	s->url = xstrdup("s3://versioned/unit");
	return s;
}

static void
bucket_clear(void)
{
	for (size_t i = 0; i < bucket.n; i++) {
		for (size_t j = 0; j < bucket.o[i].n; j++)
			free(bucket.o[i].v[j].data);
		free(bucket.o[i].v);
		free(bucket.o[i].key);
	}
	free(bucket.o);
	memset(&bucket, 0, sizeof(bucket));
}

static char dir[] = "/tmp/vv-test-attack.XXXXXX";
static char password[] = "attack-unit-password";
static const time_t t0 = 1795564800;	/* 2026-11-25T00:00:00Z */

/* An encrypted repository in the bucket with two snapshots of "a"; open. */
static struct repo *
scene(struct conf *c)
{
	char *f = memrepo_file(dir, "f", 3 * 4096, 1), *g = memrepo_file(dir, "g", 2 * 4096, 9);
	struct store *s = bucket_store();
	struct repo *r;

	bucket_clear();
	memrepo_conf(c, password);
	assert_int_equal(repo_init_in(c, s, REPO_FORMAT_VERSION), 0);
	r = repo_open_in(c, s);
	assert_non_null(r);
	assert_int_equal(memrepo_backup(r, "a", f, t0), 0);
	assert_int_equal(memrepo_backup(r, "a", g, t0 + 3600), 0);
	free(f);
	free(g);
	return r;
}

/* Deep verify of every snapshot: its problem count. */
static long
verify_all(struct repo *r)
{
	struct manifest **l = NULL;
	struct verify_opts vo = { true, 1.0 };
	struct verify_result vr;
	size_t n = 0, bad = 0;
	long p;

	assert_int_equal(manifest_load_all(r, NULL, NULL, &l, &n, &bad), 0);
	assert_int_equal(n, 2);
	assert_int_equal(bad, 0);
	p = verify_snapshots(r, l, n, &vo, &vr, NULL);
	free(vr.broken);
	free(vr.per);
	manifest_list_free(l, n);
	return p;
}

/* Overwrite (JUNK) or hide (not JUNK) every object of the repository but the locks. */
static size_t
attack(bool junk)
{
	size_t n = 0;

	for (size_t i = 0; i < bucket.n; i++) {
		const char *k = bucket.o[i].key;

		if (strncmp(k, LAYOUT_LOCKS, strlen(LAYOUT_LOCKS)) == 0 || current(k) == NULL)
			continue;
		if (junk)
			add(k, "not what it was, not at all", 27);
		else
			add(k, NULL, 0);
		n++;
	}
	return n;
}

static void
test_junk_read_back_and_recovered(void **state)
{
	struct conf c;
	struct repo *r = scene(&c);
	struct recover_opts o = { 0, false };
	struct recover_stats st;
	struct strlist taken = { 0 };
	size_t n;

	(void)state;
	repo_close(r);
	n = attack(true);
	assert_true(n > 6);
	/* Opened (config and key object older versions), every snapshot whole. */
	r = repo_open_in(&c, bucket_store());
	assert_non_null(r);
	assert_int_equal(verify_all(r), 0);
	fallback_taken(&taken);
	assert_true(strlist_contains(&taken, "config"));
	assert_true(taken.n >= n);
	strlist_clear(&taken);
	o.dry_run = true;
	assert_int_equal(recover_run(r, &o, &st), 0);
	assert_int_equal(st.rewritten, n);
	assert_int_equal(current("config")->len == 27, true);
	o.dry_run = false;
	assert_int_equal(recover_run(r, &o, &st), 0);
	assert_int_equal(st.rewritten, n);
	assert_int_equal(st.lost, 0);
	assert_true(current("config")->len != 27);
	/* Nothing left to rewrite. */
	assert_int_equal(recover_run(r, &o, &st), 0);
	assert_int_equal(st.rewritten, 0);
	repo_close(r);
	memrepo_conf(&c, password);
	bucket_clear();
}

static void
test_delete_markers_read_through(void **state)
{
	struct conf c;
	struct repo *r = scene(&c);
	struct recover_opts o = { 0, false };
	struct recover_stats st;
	struct strlist keys = { 0 };
	size_t n;

	(void)state;
	repo_close(r);
	n = attack(false);
	assert_int_equal(store_list(&(struct store){ &bucket_ops, "x", NULL }, "", &keys), 0);
	assert_int_equal(keys.n, 0);
	r = repo_open_in(&c, bucket_store());
	assert_non_null(r);
	assert_int_equal(verify_all(r), 0);
	assert_int_equal(recover_run(r, &o, &st), 0);
	assert_int_equal(st.rewritten, n);
	assert_int_equal(store_list(repo_store(r), "chunks/", &keys), 0);
	assert_true(keys.n > 0);
	strlist_clear(&keys);
	repo_close(r);
	bucket_clear();
}

static void
test_host_without_delete(void **state)
{
	struct conf c;
	struct repo *r = scene(&c);
	struct repo_lock *l = NULL;
	struct repo_lock_info *info = NULL;
	struct manifest **ml = NULL;
	size_t n = 0, bad = 0, applied = 0;
	struct vver *v;

	(void)state;
	bucket.deny = true;
	/* A lock released by a released record, which is no lock. */
	assert_int_equal(repo_lock_take(r, REPO_LOCK_EXCLUSIVE, "unit", &l), 0);
	repo_lock_release(l);
	assert_int_equal(repo_locks_list(r, &info, &n), 0);
	assert_int_equal(n, 1);
	assert_true(info[0].released && info[0].stale);
	v = current(info[0].key);
	assert_non_null(strstr(v->data, "\"released\""));
	free(info);
	assert_int_equal(repo_lock_take(r, REPO_LOCK_EXCLUSIVE, "unit", &l), 0);
	repo_lock_release(l);
	/* Delete is refused: the probe says so. */
	assert_int_equal(repo_lock_probe_delete(r, "prune"), VV_DENIED);
	/* forget: a request, which hides the snapshot. */
	assert_int_equal(manifest_load_all(r, NULL, NULL, &ml, &n, &bad), 0);
	assert_int_equal(n, 2);
	assert_int_equal(forget_manifest(r, ml[0]), 0);
	assert_non_null(current(ml[0]->key));
	manifest_list_free(ml, n);
	assert_int_equal(manifest_load_all(r, NULL, NULL, &ml, &n, &bad), 0);
	assert_int_equal(n, 1);
	manifest_list_free(ml, n);
	/* The admin carries it out. */
	bucket.deny = false;
	assert_int_equal(forget_requests_apply(r, false, &applied), 0);
	assert_int_equal(applied, 1);
	assert_int_equal(forget_requests_apply(r, false, &applied), 0);
	assert_int_equal(applied, 0);
	assert_int_equal(manifest_load_all(r, NULL, NULL, &ml, &n, &bad), 0);
	assert_int_equal(n, 1);
	manifest_list_free(ml, n);
	repo_close(r);
	bucket_clear();
}

/*
 * A host's credential (an attacker's, maybe) asks to forget every snapshot
 * of a group: the admin's prune does not carry that out; the manifests and
 * the requests stay. Once one snapshot of the group is not asked for, the
 * others are removed.
 */
static void
test_requests_never_empty_a_group(void **state)
{
	struct conf c;
	struct repo *r = scene(&c);
	struct manifest **ml = NULL;
	char *keys[2];
	size_t n = 0, bad = 0, applied = 0;

	(void)state;
	assert_int_equal(manifest_load_all(r, NULL, NULL, &ml, &n, &bad), 0);
	assert_int_equal(n, 2);
	keys[0] = xstrdup(ml[0]->key);
	keys[1] = xstrdup(ml[1]->key);
	bucket.deny = true;
	assert_int_equal(forget_manifest(r, ml[0]), 0);
	assert_int_equal(forget_manifest(r, ml[1]), 0);
	manifest_list_free(ml, n);
	bucket.deny = false;
	assert_int_equal(forget_requests_apply(r, false, &applied), 0);
	assert_int_equal(applied, 0);
	assert_non_null(current(keys[0]));
	assert_non_null(current(keys[1]));
	/* A third snapshot of the group, not asked for: the two go. */
	{
		char *f = memrepo_file(dir, "h", 2 * 4096, 5);

		assert_int_equal(memrepo_backup(r, "a", f, t0 + 7200), 0);
		free(f);
	}
	assert_int_equal(forget_requests_apply(r, false, &applied), 0);
	assert_int_equal(applied, 2);
	assert_null(current(keys[0]));
	assert_null(current(keys[1]));
	free(keys[0]);
	free(keys[1]);
	repo_close(r);
	bucket_clear();
}

/*
 * A key object replaced by a well-formed one that does not open with the
 * password (its salt changed): the older version opens the repository.
 */
static void
test_forged_key_read_past(void **state)
{
	struct conf c;
	struct repo *r = scene(&c);
	struct vver *v = NULL;
	char *forged, *salt;

	(void)state;
	repo_close(r);
	for (size_t i = 0; i < bucket.n && v == NULL; i++)
		if (strncmp(bucket.o[i].key, LAYOUT_KEYS, strlen(LAYOUT_KEYS)) == 0)
			v = current(bucket.o[i].key);
	assert_non_null(v);
	forged = xstrndup(v->data, v->len);
	salt = strstr(forged, "\"salt\"");
	assert_non_null(salt);
	salt = strchr(salt + 6, '"') + 1;
	salt[0] = salt[0] == 'a' ? 'b' : 'a';
	for (size_t i = 0; i < bucket.n; i++)
		if (strncmp(bucket.o[i].key, LAYOUT_KEYS, strlen(LAYOUT_KEYS)) == 0)
			add(bucket.o[i].key, forged, strlen(forged));
	free(forged);
	r = repo_open_in(&c, bucket_store());
	assert_non_null(r);
	repo_close(r);
	bucket_clear();
}

/*
 * --as-of: a current version newer than the time asked is rewritten from
 * the newest one not newer (the bucket's times: 1000 + the version's place).
 */
static void
test_recover_as_of(void **state)
{
	struct conf c;
	struct repo *r = scene(&c);
	struct recover_opts o = { 0, false };
	struct recover_stats st;
	struct vver *v = current("config");
	char *copy = xstrndup(v->data, v->len);

	(void)state;
	add("config", copy, strlen(copy));	/* authentic, of time 1001 */
	free(copy);
	assert_int_equal(recover_run(r, &o, &st), 0);
	assert_int_equal(st.rewritten, 0);
	o.as_of = 1000;
	assert_int_equal(recover_run(r, &o, &st), 0);
	assert_int_equal(st.rewritten, 1);
	assert_int_equal(find("config", false)->n, 3);
	repo_close(r);
	bucket_clear();
}

/* A store that cannot list versions: the current objects are listed still. */
static void
test_no_version_listing(void **state)
{
	struct conf c;
	struct repo *r = scene(&c);
	struct manifest **l = NULL;
	size_t n = 0, bad = 0;

	(void)state;
	repo_close(r);
	bucket.no_version_list = true;
	memrepo_quiet();
	r = repo_open_in(&c, bucket_store());
	assert_non_null(r);
	assert_int_equal(manifest_load_all(r, NULL, NULL, &l, &n, &bad), 0);
	memrepo_loud();
	assert_int_equal(n, 2);
	manifest_list_free(l, n);
	repo_close(r);
	bucket_clear();
}

/* A put refused (403) fails the backup: its index, or its manifest. */
static void
test_denied_put_fails(void **state)
{
	static const char *const prefixes[] = { "indexes/", "snapshots/" };
	struct conf c;
	struct repo *r = scene(&c);
	char *f = memrepo_file(dir, "f", 3 * 4096, 77);

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		bucket.deny_put = prefixes[i];
		memrepo_quiet();
		assert_int_not_equal(memrepo_backup(r, "b", f, t0 + 7200), 0);
		memrepo_loud();
		bucket.deny_put = NULL;
	}
	free(f);
	repo_close(r);
	bucket_clear();
}

TMPDIR_FIXTURES(dir)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_junk_read_back_and_recovered),
		cmocka_unit_test(test_delete_markers_read_through),
		cmocka_unit_test(test_host_without_delete),
		cmocka_unit_test(test_requests_never_empty_a_group),
		cmocka_unit_test(test_denied_put_fails),
		cmocka_unit_test(test_forged_key_read_past),
		cmocka_unit_test(test_no_version_listing),
		cmocka_unit_test(test_recover_as_of),
	};

	return cmocka_run_group_tests_name("attack", tests, setup, teardown);
}
