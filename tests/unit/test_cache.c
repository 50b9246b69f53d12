/*
 * The local cache (repo/cache.h) and selection from keys
 * (manifest_load_all, manifest_find) over the in-memory store, counting
 * the store's reads: a second load reads nothing, NAME@latest reads one
 * manifest, a corrupt or another repository's cache file is replaced by
 * the store's, no cache means no file, eviction keeps the bound, and
 * manifest_find answers as manifest_resolve over every manifest.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "repo/cache.h"
#include "repo/layout.h"
#include "repo/manifest.h"
#include "tests/fakes/memrepo.h"
#include "tests/fakes/store_mem.h"
#include "tests/fakes/tmpdir.h"

static char dir[] = "/tmp/vv-test-cache.XXXXXX";
static const time_t t0 = 1795564800;	/* 2026-11-25T00:00:00Z */

/* A repository of C (cache of CACHE bytes under DIR/state) with, per host
 * of HOSTS and name of NAMES, PER snapshots an hour apart. */
static struct repo *
scene(struct conf *c, char *password, uint64_t cache, const char *const *hosts,
    const char *const *names, int per)
{
	char *f = memrepo_file(dir, "f", 2 * 4096, 1);
	const char *host;
	struct repo *r;
	int k = 0;

	memrepo_conf(c, password);
	c->state_dir = xasprintf("%s/state", dir);
	c->cache_size = cache;
	c->read_parallel = 4;
	r = memrepo_new(c);
	assert_non_null(r);
	host = c->host;
	for (size_t h = 0; hosts[h] != NULL; h++)
		for (size_t n = 0; names[n] != NULL; n++)
			for (int i = 0; i < per; i++) {
				c->host = (char *)hosts[h];
				assert_int_equal(memrepo_backup(r, names[n], f, t0 + 3600 * k++), 0);
			}
	c->host = (char *)host;
	free(f);
	return r;
}

static void
scene_free(struct repo *r, struct conf *c)
{
	repo_close(r);
	free(c->state_dir);
	tmpdir_remove(dir);
	assert_int_equal(mkdir(dir, 0700), 0);
}

/* Bytes in the files below PATH. */
static uint64_t
du(const char *path)
{
	char *cmd = xasprintf("find %s -type f -printf '%%s\\n' 2>/dev/null | awk '{ n += $1 } END { print n + 0 }'",
	    path);
	FILE *p = popen(cmd, "r");
	unsigned long long n = 0;

	assert_non_null(p);
	if (fscanf(p, "%llu", &n) != 1)
		n = 0;
	pclose(p);
	free(cmd);
	return n;
}

static const char *const one_host[] = { "unit", NULL };
static const char *const three[] = { "a", "b", "c", NULL };

static void
test_second_load_reads_nothing(void **state)
{
	struct conf c;
	struct repo *r;
	struct manifest **l = NULL, **l2 = NULL;
	size_t n = 0, n2 = 0, bad = 0;
	unsigned long gets;
	struct stat st;

	(void)state;
	r = scene(&c, NULL, 1 << 20, one_host, three, 4);
	gets = store_mem_calls(repo_store(r), "get");
	assert_int_equal(manifest_load_all(r, NULL, NULL, &l, &n, &bad), 0);
	assert_int_equal(n, 12);
	assert_true(store_mem_calls(repo_store(r), "get") - gets <= 12);
	gets = store_mem_calls(repo_store(r), "get");
	assert_int_equal(manifest_load_all(r, NULL, NULL, &l2, &n2, &bad), 0);
	assert_int_equal(store_mem_calls(repo_store(r), "get") - gets, 0);
	assert_int_equal(n2, 12);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(l[i]->key, l2[i]->key);
	/* Only this user reads it. */
	assert_int_equal(stat(repo_cache_dir(r), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	{
		char *p = xasprintf("%s/%s", repo_cache_dir(r), l[0]->key);

		assert_int_equal(stat(p, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
		free(p);
	}
	/* Deleted under it: a miss, and kept again. */
	assert_int_equal(tmpdir_remove(repo_cache_dir(r)), 0);
	manifest_list_free(l2, n2);
	gets = store_mem_calls(repo_store(r), "get");
	assert_int_equal(manifest_load_all(r, NULL, "b", &l2, &n2, &bad), 0);
	assert_int_equal(n2, 4);
	assert_int_equal(store_mem_calls(repo_store(r), "get") - gets, 4);
	assert_true(du(repo_cache_dir(r)) > 0);
	manifest_list_free(l, n);
	manifest_list_free(l2, n2);
	scene_free(r, &c);
}

static const char *const hosts3[] = { "h1", "h2", "h3", NULL };
static const char *const names4[] = { "a", "b", "c", "d", NULL };

static void
test_latest_reads_one(void **state)
{
	static const char *const refs[] = { "h2/b@latest", "c@latest", "h3/d@latest" };
	struct conf c;
	struct repo *r;
	struct manifest *m = NULL;
	char err[512];

	(void)state;
	/* No cache: every manifest read is a store read. */
	r = scene(&c, NULL, 0, hosts3, names4, 5);
	assert_null(repo_cache_dir(r));
	c.host = "h1";
	for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
		unsigned long gets = store_mem_calls(repo_store(r), "get");
		unsigned long lists = store_mem_calls(repo_store(r), "list");

		assert_int_equal(manifest_find(r, refs[i], &m, err, sizeof(err)), 0);
		assert_int_equal(store_mem_calls(repo_store(r), "get") - gets, 1);
		assert_int_equal(store_mem_calls(repo_store(r), "list") - lists, 1);
		/* The newest of its group. */
		assert_int_equal((m->when - t0) % (3600 * 5), 3600 * 4);
		manifest_free(m);
	}
	/* An ID: the keys listed, one manifest read. */
	{
		struct strlist keys = { 0 };
		struct layout_snapshot ks;
		unsigned long gets;

		assert_int_equal(store_list(repo_store(r), "snapshots/h3/a/", &keys), 0);
		assert_int_equal(layout_snapshot_parse(2, keys.v[2], &ks), 0);
		gets = store_mem_calls(repo_store(r), "get");
		assert_int_equal(manifest_find(r, ks.id, &m, err, sizeof(err)), 0);
		assert_int_equal(store_mem_calls(repo_store(r), "get") - gets, 1);
		assert_string_equal(m->key, keys.v[2]);
		manifest_free(m);
		strlist_clear(&keys);
	}
	/* No manifest file cached anywhere. */
	{
		char *p = xasprintf("%s/cache", c.state_dir);
		struct stat st;

		assert_int_equal(stat(p, &st), -1);
		free(p);
	}
	scene_free(r, &c);
}

/*
 * A copy of manifest KEY as snapshot ID of HOST/NAME at T, written
 * directly (a planted one), under the key of time KEYT (T when 0).
 */
static void
plant(struct repo *r, const char *key, const char *host, const char *name, time_t t,
    const char *id, time_t keyt)
{
	char kt[UTIL_UTC_LEN];
	struct manifest *m = NULL;
	char *text, *nk;

	assert_int_equal(manifest_load(r, key, &m), 0);
	free(m->host);
	free(m->name);
	m->host = xstrdup(host);
	m->name = xstrdup(name);
	util_format_utc(t, m->time, sizeof(m->time));
	snprintf(m->id, sizeof(m->id), "%s", id);
	text = manifest_to_json(m);
	util_format_utc(keyt ? keyt : t, kt, sizeof(kt));
	nk = layout_snapshot_key(repo_version(r), host, name, kt, id);
	assert_int_equal(repo_put_object(r, CODEC_KIND_MANIFEST, nk, text, strlen(text), 0), 0);
	free(nk);
	free(text);
	manifest_free(m);
}

/* manifest_find answers as manifest_resolve over all: the same key, or the same error. */
static void
same_answer(struct repo *r, const char *ref)
{
	struct manifest **l = NULL, *m = NULL;
	size_t n = 0, bad = 0;
	char e1[512] = "", e2[512] = "";
	int rc = manifest_find(r, ref, &m, e1, sizeof(e1));
	long k;

	assert_int_equal(manifest_load_all(r, NULL, NULL, &l, &n, &bad), 0);
	k = manifest_resolve(l, n, ref, repo_host(r), e2, sizeof(e2));
	if (k >= 0 && rc == 0) {
		assert_string_equal(m->key, l[k]->key);
	} else if (k < 0 && rc == 1) {
		if (strcmp(e1, e2) != 0)
			fail_msg("%s: manifest_find says '%s', manifest_resolve '%s'", ref, e1, e2);
	} else {
		fail_msg("%s: manifest_find %d (%s), manifest_resolve %ld (%s)", ref, rc, e1, k, e2);
	}
	manifest_free(m);
	manifest_list_free(l, n);
}

static void
test_find_as_resolve(void **state)
{
	static const char *const hosts2[] = { "h1", "h2", NULL };
	static const char *const names2[] = { "a", "b", NULL };
	struct conf c;
	struct repo *r;
	struct strlist keys = { 0 };
	struct layout_snapshot ks;
	char *f = NULL, *ref = NULL, hexname[5];

	(void)state;
	r = scene(&c, NULL, 1 << 20, hosts2, names2, 3);
	f = memrepo_file(dir, "g", 4096, 7);
	/* Only on h1; on h2 only one in the future; a group named like an ID's start. */
	c.host = "h1";
	assert_int_equal(memrepo_backup(r, "only1", f, t0), 0);
	assert_int_equal(store_list(repo_store(r), "snapshots/h1/a/", &keys), 0);
	plant(r, keys.v[0], "h2", "fut", time(NULL) + 86400, "fefefefe01010101", 0);
	/* On h1 the newest of b is in the future: the one before is @latest. */
	plant(r, keys.v[0], "h1", "b", time(NULL) + 86400, "fefefefe02020202", 0);
	/* The newest key of h1/a holds an old manifest: not what its key says, skipped. */
	plant(r, keys.v[0], "h1", "a", t0 - 86400, "abababab03030303", t0 + 86400 * 100);
	c.host = "h2";
	assert_int_equal(layout_snapshot_parse(2, keys.v[1], &ks), 0);
	snprintf(hexname, sizeof(hexname), "%.4s", ks.id);
	assert_int_equal(memrepo_backup(r, hexname, f, t0 + 999), 0);
	{
		const char *fixed[] = { "a@latest", "b@latest", "h1/a@latest", "h2/b@latest",
			"h3/a@latest", "zz@latest", "only1@latest", "h1/only1@latest", "fut@latest",
			"h2/fut@latest", "dddd", "abc", "a@first", "a", "x/y/z@latest", "a@0000",
			"h1/b@ffff", "h1/b@latest", "fefefefe", "fefefefe0202", "b@fefefefe02", hexname };

		memrepo_quiet();
		for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
			same_answer(r, fixed[i]);
		memrepo_loud();
	}
	memrepo_quiet();
	same_answer(r, ks.id);
	ref = xasprintf("%.6s", ks.id);
	same_answer(r, ref);
	free(ref);
	ref = xasprintf("a@%.5s", ks.id);
	same_answer(r, ref);
	free(ref);
	ref = xasprintf("h1/a@%.5s", ks.id);
	same_answer(r, ref);
	free(ref);
	ref = xasprintf("h2/a@%.5s", ks.id);
	same_answer(r, ref);
	free(ref);
	ref = xasprintf("%s@latest", hexname);
	same_answer(r, ref);
	free(ref);
	memrepo_loud();
	{
		struct manifest *m = NULL;

		memrepo_quiet();
		assert_int_equal(manifest_find(r, "h1/a@latest", &m, (char[200]){ 0 }, 200), 0);
		memrepo_loud();
		assert_string_not_equal(m->id, "abababab03030303");
		manifest_free(m);
	}
	strlist_clear(&keys);
	free(f);
	scene_free(r, &c);
}

/* The raw bytes of object KEY in R's store, compared with file PATH. */
static bool
file_is_stored(struct repo *r, const char *key, const char *path)
{
	void *raw = NULL, *got = NULL;
	size_t rawlen = 0, gotlen = 0;
	FILE *fp = fopen(path, "r");
	bool same;

	if (fp == NULL)
		return false;
	got = xmalloc(1 << 20);
	gotlen = fread(got, 1, 1 << 20, fp);
	fclose(fp);
	assert_int_equal(store_get(repo_store(r), key, &raw, &rawlen, 1 << 20), 0);
	same = rawlen == gotlen && memcmp(raw, got, rawlen) == 0;
	free(raw);
	free(got);
	return same;
}

static void
test_corrupt_file_replaced(void **state)
{
	static char password[] = "pw";
	struct conf c;
	struct repo *r;
	struct manifest **l = NULL, *m = NULL;
	size_t n = 0, bad = 0;
	unsigned long gets;
	char *path;
	int fd;

	(void)state;
	r = scene(&c, password, 1 << 20, one_host, three, 2);
	assert_int_equal(manifest_load_all(r, NULL, NULL, &l, &n, &bad), 0);
	path = xasprintf("%s/%s", repo_cache_dir(r), l[2]->key);
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "XXXX", 4, 40), 4);
	close(fd);
	assert_false(file_is_stored(r, l[2]->key, path));
	memrepo_quiet();
	gets = store_mem_calls(repo_store(r), "get");
	assert_int_equal(manifest_load(r, l[2]->key, &m), 0);
	memrepo_loud();
	assert_int_equal(store_mem_calls(repo_store(r), "get") - gets, 1);
	assert_string_equal(m->id, l[2]->id);
	assert_true(file_is_stored(r, l[2]->key, path));
	/* Cut short: the same. */
	assert_int_equal(truncate(path, 10), 0);
	manifest_free(m);
	memrepo_quiet();
	assert_int_equal(manifest_load(r, l[2]->key, &m), 0);
	memrepo_loud();
	assert_true(file_is_stored(r, l[2]->key, path));
	manifest_free(m);
	free(path);
	manifest_list_free(l, n);
	scene_free(r, &c);
}

static void
test_other_repository(void **state)
{
	static char password[] = "pw";
	static const char *const one[] = { "a", NULL };
	struct conf ca, cb;
	struct repo *a, *b;
	struct manifest **la = NULL, **lb = NULL, *m = NULL;
	size_t na = 0, nb = 0, bad = 0;
	char *cmd, *dst;
	unsigned long gets;

	(void)state;
	a = scene(&ca, password, 1 << 20, one_host, one, 2);
	assert_int_equal(manifest_load_all(a, NULL, NULL, &la, &na, &bad), 0);
	/* B: another repository, the same state_dir. */
	memrepo_conf(&cb, password);
	cb.state_dir = ca.state_dir;
	cb.cache_size = 1 << 20;
	b = memrepo_new(&cb);
	assert_non_null(b);
	{
		char *f = memrepo_file(dir, "f", 4096, 3);

		assert_int_equal(memrepo_backup(b, "a", f, t0 + 60), 0);
		free(f);
	}
	/* A's cache under B's ID, and A's manifest in place of B's own. */
	cmd = xasprintf("cp -a %s/. %s/", repo_cache_dir(a), repo_cache_dir(b));
	assert_int_equal(system(cmd), 0);
	free(cmd);
	assert_int_equal(manifest_load_all(b, NULL, NULL, &lb, &nb, &bad), 0);
	assert_int_equal(nb, 1);
	dst = xasprintf("%s/%s", repo_cache_dir(b), lb[0]->key);
	cmd = xasprintf("cp %s/%s %s", repo_cache_dir(a), la[0]->key, dst);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	/* A's snapshots are not B's: the listing decides, never the cache. */
	manifest_list_free(lb, nb);
	memrepo_quiet();
	gets = store_mem_calls(repo_store(b), "get");
	assert_int_equal(manifest_load_all(b, NULL, NULL, &lb, &nb, &bad), 0);
	memrepo_loud();
	assert_int_equal(nb, 1);
	assert_int_equal(bad, 0);
	assert_int_equal(store_mem_calls(repo_store(b), "get") - gets, 1);
	assert_true(file_is_stored(b, lb[0]->key, dst));
	assert_int_equal(manifest_find(b, la[0]->id, &m, (char[200]){ 0 }, 200), 1);
	assert_null(m);
	free(dst);
	manifest_list_free(la, na);
	manifest_list_free(lb, nb);
	repo_close(b);
	scene_free(a, &ca);
}

static void
test_eviction(void **state)
{
	struct conf c;
	struct repo *r;
	struct manifest **l = NULL;
	size_t n = 0, bad = 0;

	(void)state;
	r = scene(&c, NULL, 4096, one_host, three, 6);
	assert_int_equal(manifest_load_all(r, NULL, NULL, &l, &n, &bad), 0);
	assert_int_equal(n, 18);
	assert_true(du(repo_cache_dir(r)) > 0);
	assert_true(du(repo_cache_dir(r)) <= 4096);
	manifest_list_free(l, n);
	scene_free(r, &c);
}

/* Write FILE (a path) with TEXT. */
static void
put_text(const char *file, const char *text)
{
	FILE *f = fopen(file, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/*
 * Processes share a tally of the folder's bytes: a write adds to it and
 * scans nothing (a file planted by hand stays unseen), until the tally is
 * missing, unreadable or past the bound: then the folder is counted, and
 * evicted down to the bound.
 */
static void
test_tally(void **state)
{
	static const char id[] = "fedcba9876543210fedcba9876543210";
	char *state_dir = xasprintf("%s/tally", dir), *tally, *planted;
	struct cache *c = cache_open(state_dir, id, 1000);
	char data[100], big[2001] = { 0 };

	(void)state;
	assert_non_null(c);
	memset(data, 'y', sizeof(data));
	tally = xasprintf("%s/tally", cache_dir(c));
	planted = xasprintf("%s/indexes/aa/planted", cache_dir(c));
	cache_put(c, "indexes/aa/1", data, sizeof(data));
	/* A second process: its first write reads the tally, no count. */
	cache_free(c);
	c = cache_open(state_dir, id, 1000);
	cache_put(c, "indexes/aa/2", data, sizeof(data));
	assert_true(du(cache_dir(c)) <= 1000);
	put_text(tally, "200\n");
	/* 2000 bytes planted: past the bound, unseen while the tally holds. */
	memset(big, 'z', sizeof(big) - 1);
	put_text(planted, big);
	cache_put(c, "indexes/aa/3", data, sizeof(data));
	assert_int_equal(access(planted, F_OK), 0);
	/* An unreadable tally: counted again, the bound kept. */
	put_text(tally, "many\n");
	cache_put(c, "indexes/aa/4", data, sizeof(data));
	assert_true(du(cache_dir(c)) <= 1000);
	assert_int_equal(access(planted, F_OK), -1);
	/* A tally that would pass the bound: counted again too. */
	put_text(tally, "950\n");
	cache_put(c, "indexes/aa/5", data, sizeof(data));
	assert_true(du(cache_dir(c)) <= 1000);
	/* The tally deleted with the cache: made again by a count. */
	assert_int_equal(unlink(tally), 0);
	cache_put(c, "indexes/aa/6", data, sizeof(data));
	assert_int_equal(access(tally, F_OK), 0);
	cache_free(c);
	free(planted);
	free(tally);
	free(state_dir);
}

/* The least recently used go first; a read counts as a use. */
static void
test_lru(void **state)
{
	static const char id[] = "0123456789abcdef0123456789abcdef";
	char *state_dir = xasprintf("%s/st", dir), *p;
	struct cache *c = cache_open(state_dir, id, 1000);
	char data[300];
	void *got = NULL;
	size_t len = 0;
	struct timespec ts[2] = { { 0, UTIME_OMIT }, { 0, 0 } };
	const char *keys[] = { "indexes/aa/a", "indexes/aa/b", "indexes/aa/c" };

	(void)state;
	assert_non_null(c);
	memset(data, 'x', sizeof(data));
	for (int i = 0; i < 3; i++) {
		cache_put(c, keys[i], data, sizeof(data));
		p = xasprintf("%s/%s", cache_dir(c), keys[i]);
		ts[1].tv_sec = time(NULL) - 300 + 100 * i;
		assert_int_equal(utimensat(AT_FDCWD, p, ts, 0), 0);
		free(p);
	}
	assert_int_equal(cache_get(c, "indexes/aa/a", &got, &len, 1000), 0);
	assert_int_equal(len, 300);
	free(got);
	cache_put(c, "indexes/aa/d", data, sizeof(data));
	assert_true(du(cache_dir(c)) <= 1000);
	assert_int_equal(cache_get(c, "indexes/aa/b", &got, &len, 1000), 1);
	assert_int_equal(cache_get(c, "indexes/aa/a", &got, &len, 1000), 0);
	free(got);
	assert_int_equal(cache_get(c, "indexes/aa/d", &got, &len, 1000), 0);
	free(got);
	/* Too large for the caller: a miss. */
	assert_int_equal(cache_get(c, "indexes/aa/d", &got, &len, 100), 1);
	cache_free(c);
	assert_null(cache_open(state_dir, id, 0));
	assert_null(cache_open(NULL, id, 1000));
	assert_null(cache_open(state_dir, "../../etc", 1000));
	free(state_dir);
}

static void
test_key_ok(void **state)
{
	static const struct {
		const char *key;
		bool ok;
	} cases[] = {
		{ "snapshots/h/n/20261126T020000Z-0123456789abcdef", true },
		{ "indexes/ab/abcdef", true },
		{ "snapshots/../x", false },
		{ "snapshots/h/../../x", false },
		{ "snapshots//x", false },
		{ "snapshots/h/.hidden", false },
		{ "indexes/ab/", false },
		{ "config", false },
		{ "keys/0123", false },
		{ "chunks/ab/abcdef", false },
		{ "locks/x", false },
		{ "quarantine/chunks/ab/cd", false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (cache_key_ok(cases[i].key) != cases[i].ok)
			fail_msg("%s: want %d", cases[i].key, cases[i].ok);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_second_load_reads_nothing),
		cmocka_unit_test(test_latest_reads_one),
		cmocka_unit_test(test_find_as_resolve),
		cmocka_unit_test(test_corrupt_file_replaced),
		cmocka_unit_test(test_other_repository),
		cmocka_unit_test(test_eviction),
		cmocka_unit_test(test_lru),
		cmocka_unit_test(test_tally),
		cmocka_unit_test(test_key_ok),
	};
	int rc;

	if (mkdtemp(dir) == NULL)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	tmpdir_remove(dir);
	return rc;
}
