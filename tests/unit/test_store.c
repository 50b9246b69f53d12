/*
 * The file:// store, and the backup pipeline on it: atomic puts, listing,
 * zero detection, dedup and a byte-exact restore.
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
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "repo/backup.h"
#include "repo/fetch.h"
#include "repo/layout.h"
#include "repo/lock.h"
#include "repo/restore.h"
#include "repo/verify.h"
#include "transport/store.h"
#include "tests/fakes/tmpdir.h"

static char dir[] = "/tmp/vv-test-store.XXXXXX";

static void
test_put_get_list(void **state)
{
	char *url = xasprintf("file://%s/s1", dir);
	struct store *s = store_open(url, 1, NULL);
	struct strlist keys = { 0 };
	void *buf = NULL;
	size_t len = 0;

	(void)state;
	assert_non_null(s);
	assert_int_equal(store_put(s, "chunks/ab/abcd", "hello", 5, 0), 0);
	assert_int_equal(store_put(s, "chunks/cd/cdef", "world!", 6, STORE_DURABLE), 0);
	assert_int_equal(store_put(s, "config", "{}", 2, STORE_EXCL), 0);
	assert_int_equal(store_put(s, "config", "{}", 2, STORE_EXCL), VV_EXISTS);
	assert_int_equal(store_get(s, "chunks/ab/abcd", &buf, &len, 100), 0);
	assert_int_equal(len, 5);
	assert_memory_equal(buf, "hello", 5);
	free(buf);
	/* Larger than the caller's cap: an error, not a huge allocation. */
	assert_int_equal(store_get(s, "chunks/cd/cdef", &buf, &len, 5), -1);
	assert_int_equal(store_get(s, "chunks/ef/none", &buf, &len, 100), VV_NOT_FOUND);
	assert_int_equal(store_exists(s, "chunks/ab/abcd"), 1);
	assert_int_equal(store_exists(s, "chunks/ab/none"), 0);
	assert_int_equal(store_list(s, "chunks/", &keys), 0);
	assert_int_equal(keys.n, 2);
	assert_true(strlist_contains(&keys, "chunks/ab/abcd"));
	assert_true(strlist_contains(&keys, "chunks/cd/cdef"));
	strlist_clear(&keys);
	assert_int_equal(store_list(s, "chunks/ab/", &keys), 0);
	assert_int_equal(keys.n, 1);
	strlist_clear(&keys);
	assert_int_equal(store_list(s, "snapshots/", &keys), 0);
	assert_int_equal(keys.n, 0);
	assert_int_equal(store_delete(s, "chunks/ab/abcd"), 0);
	assert_int_equal(store_delete(s, "chunks/ab/abcd"), VV_NOT_FOUND);
	/* Keys that would leave the root are refused. */
	assert_int_equal(store_put(s, "../escape", "x", 1, 0), -1);
	assert_int_equal(store_put(s, "/abs", "x", 1, 0), -1);
	assert_int_equal(store_sync(s), 0);
	store_close(s);
	assert_null(store_open("file://relative/path", 1, NULL));
	assert_null(store_open("ftp://x", 1, NULL));
	free(url);
}

static void
test_tmp_files_invisible(void **state)
{
	char *url = xasprintf("file://%s/s2", dir);
	char *tmp = xasprintf("%s/s2/chunks/aa/aaaa.tmp-XYZ123", dir);
	char *d = xasprintf("%s/s2/chunks/aa", dir);
	struct store *s = store_open(url, 1, NULL);
	struct strlist keys = { 0 };
	FILE *f;

	(void)state;
	/* A half-written object left by a crash is not listed. */
	assert_int_equal(store_put(s, "chunks/aa/bbbb", "x", 1, 0), 0);
	f = fopen(tmp, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(store_list(s, "chunks/", &keys), 0);
	assert_int_equal(keys.n, 1);
	strlist_clear(&keys);
	store_close(s);
	free(url);
	free(tmp);
	free(d);
}

/* Write a test image: random, compressible, zero and hole regions. */
static char *
make_image(size_t size)
{
	char *p = xasprintf("%s/image.raw", dir);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	uint8_t *buf = xmalloc(1 << 20);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	crypto_random(buf, 1 << 20);
	assert_int_equal(pwrite(fd, buf, 1 << 20, 0), 1 << 20);		/* chunk 0: random */
	assert_int_equal(pwrite(fd, buf, 1 << 20, 2 << 20), 1 << 20);	/* chunk 2 = chunk 0 */
	{
		uint8_t *zero = xcalloc(1, 1 << 20);
		ssize_t w = pwrite(fd, zero, 1 << 20, 3 << 20);	/* chunk 3: written zeros */

		assert_int_equal(w, 1 << 20);
		free(zero);
	}
	memset(buf, 'x', 1000);
	assert_int_equal(pwrite(fd, buf, 1000, (off_t)size - 1000), 1000);	/* tail */
	close(fd);
	free(buf);
	return p;
}

static void
test_backup_restore(void **state)
{
	struct conf c;
	char *url = xasprintf("file://%s/repo", dir);
	char *out = xasprintf("%s/out", dir);
	char *img, *cmd;
	struct repo *r;
	struct backup *b;
	const struct backup_stats *st;
	struct strlist none = { 0 };

	(void)state;
	memset(&c, 0, sizeof(c));
	c.url = url;
	c.host = "unit";
	c.encryption = CONF_CIPHER_AES256GCM;
	c.compression = CONF_COMP_ZSTD;
	c.zstd_level = 1;
	c.chunk_size = 1 << 20;
	c.password = "unit-test-password";
	assert_int_equal(repo_init(&c), 0);
	assert_int_equal(repo_init(&c), -1);	/* refuses to overwrite */
	r = repo_open(&c);
	assert_non_null(r);

	img = make_image((6 << 20) + 12345);
	b = backup_new(r, "unit");
	assert_non_null(b);
	assert_int_equal(backup_add_file(b, img, "image.raw", NULL, NULL), 0);
	st = backup_stats(b);
	/* 7 chunks: 0 random, 1 hole, 2 = 0, 3 zeros, 4-5 holes, 6 tail. */
	assert_int_equal(st->chunks_total, 7);
	assert_int_equal(st->chunks_zero, 4);
	assert_int_equal(st->chunks_new, 2);
	assert_int_equal(st->chunks_reused, 1);
	assert_int_equal(backup_commit(b), 0);
	{
		char *json = manifest_to_json(backup_manifest(b));
		struct manifest *m = manifest_from_json(json, "k", (char[64]){ 0 }, 64);

		free(json);
		assert_non_null(m);
		mkdir(out, 0700);
		assert_int_equal(restore_files(r, m, out, &none, false, NULL, NULL, NULL), 0);
		/* Refused a second time, accepted with force. */
		assert_int_equal(restore_files(r, m, out, &none, false, NULL, NULL, NULL), -1);
		assert_int_equal(restore_files(r, m, out, &none, true, NULL, NULL, NULL), 0);
		/* --sha256: the restored file's, as sha256sum says. */
		{
			char (*sha)[65] = xcalloc(m->nfiles, sizeof(*sha));
			char *want = NULL;
			FILE *p;

			assert_int_equal(restore_files(r, m, out, &none, true, sha, NULL, NULL), 0);
			cmd = xasprintf("sha256sum < %s", img);
			p = popen(cmd, "r");
			want = xcalloc(1, 65);
			assert_int_equal(fread(want, 1, 64, p), 64);
			pclose(p);
			assert_string_equal(sha[0], want);
			free(want);
			free(cmd);
			free(sha);
		}
		/* A manifest whose chunk digest does not match the index: refused. */
		m->files[0].digest[0] = m->files[0].digest[0] == 'a' ? 'b' : 'a';
		assert_int_equal(restore_files(r, m, out, &none, true, NULL, NULL, NULL), -1);
		manifest_free(m);
	}
	backup_free(b);
	cmd = xasprintf("cmp %s %s/image.raw", img, out);
	assert_int_equal(system(cmd), 0);
	free(cmd);

	/* The same image again stores no new chunk. */
	b = backup_new(r, "unit");
	assert_int_equal(backup_add_file(b, img, "image.raw", NULL, NULL), 0);
	assert_int_equal(backup_stats(b)->chunks_new, 0);
	backup_free(b);
	repo_close(r);

	/* A wrong password is refused before any work. */
	c.password = "not-the-password";
	assert_null(repo_open(&c));
	free(img);
	free(url);
	free(out);
}

/*
 * In an unencrypted repository anyone can write a well-formed chunk: one
 * whose content is not what its ID says must be refused as it is read,
 * naming the chunk, not only by the file's SHA-256 at the end.
 */
static void
test_restore_checks_chunk_ids(void **state)
{
	struct conf c;
	char *url = xasprintf("file://%s/plain", dir);
	char *out = xasprintf("%s/out-plain", dir);
	char *img;
	struct repo *r;
	struct backup *b;
	struct strlist none = { 0 };
	struct index ix = { 0 };
	char key[LAYOUT_KEY_MAX];
	uint8_t forged[1 << 16];

	(void)state;
	memset(&c, 0, sizeof(c));
	c.url = url;
	c.host = "unit";
	c.encryption = CONF_CIPHER_NONE;
	c.compression = CONF_COMP_NONE;
	c.chunk_size = 1 << 16;
	assert_int_equal(repo_init(&c), 0);
	r = repo_open(&c);
	assert_non_null(r);
	img = make_image((1 << 20) + 12345);
	b = backup_new(r, "plain");
	assert_non_null(b);
	assert_int_equal(backup_add_file(b, img, "image.raw", NULL, NULL), 0);
	assert_int_equal(backup_commit(b), 0);
	{
		const struct manifest *m = backup_manifest(b);

		assert_int_equal(fetch_index(r, m, &m->files[0], &ix), 0);
		/* Chunk 0 rewritten, validly encoded, with other bytes. */
		memset(forged, 'F', sizeof(forged));
		layout_chunk_key(ix.ids[0], key, sizeof(key));
		assert_int_equal(store_delete(repo_store(r), key), 0);
		assert_int_equal(repo_put_object(r, CODEC_KIND_CHUNK, key, forged, sizeof(forged), 0), 0);
		mkdir(out, 0700);
		assert_int_equal(restore_files(r, m, out, &none, false, NULL, NULL, NULL), -1);
		/* The forged chunk stands at offsets 0 and 2 MiB of the image. */
		{
			struct verify_opts vo = { .deep = true };
			struct verify_result vr;

			assert_int_equal(verify_snapshots(r, (struct manifest *const *)&m, 1, &vo, &vr,
			    NULL), 2);
			assert_int_equal(vr.chunks_bad, 1);
			assert_int_equal(vr.nbroken, 1);
			free(vr.broken);
			free(vr.per);
			/* Moved aside: the next verify finds it missing, twice. */
			assert_int_equal(verify_snapshots(r, (struct manifest *const *)&m, 1, &vo, &vr,
			    NULL), 2);
			free(vr.broken);
			free(vr.per);
		}
		index_clear(&ix);
	}
	backup_free(b);
	repo_close(r);
	free(img);
	free(url);
	free(out);
}

TMPDIR_FIXTURES(dir)

/* Locks: who conflicts with whom, stale ones, and what a lost lock means. */
/* Set field K of the JSON object in file PATH to V (a JSON text; NULL: drop it). */
static void
edit_json(const char *path, const char *k, const char *v)
{
	assert_int_equal(tmpdir_edit_json(path, k, v), 0);
}

static void
copy_file(const char *from, const char *to)
{
	char *cmd = xasprintf("cp '%s' '%s'", from, to);

	assert_int_equal(system(cmd), 0);
	free(cmd);
}

/*
 * Whoever can write the store but has no password changes no parameter
 * unnoticed: each tampered field of the config object is refused, an
 * unencrypted config is refused where the host asks for encryption, and a
 * planted key object with a huge scrypt cost is skipped, not worked on.
 */
static void
test_config_tamper(void **state)
{
	static const struct {
		const char *k, *v;
	} cases[] = {
		{ "chunk_size", "2097152" },
		{ "version", "1" },
		{ "id_hash", "\"sha256\"" },
		{ "format", "\"virtvault2\"" },
		{ "mac", "\"00000000000000000000000000000000000000000000000000000000000000ff\"" },
	};
	struct conf c;
	char *url = xasprintf("file://%s/tamper", dir);
	char *cfg = xasprintf("%s/tamper/config", dir);
	char *orig = xasprintf("%s/config.orig", dir);
	char *planted = xasprintf("%s/tamper/keys/00000000planted", dir);
	struct repo *r;
	json_object *o;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.url = url;
	c.host = "unit";
	c.encryption = CONF_CIPHER_AES256GCM;
	c.chunk_size = 1 << 20;
	c.password = "unit-test-password";
	assert_int_equal(repo_init(&c), 0);
	copy_file(cfg, orig);
	o = json_object_from_file(cfg);
	assert_non_null(json_object_object_get(o, "mac"));
	json_object_put(o);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		edit_json(cfg, cases[i].k, cases[i].v);
		r = repo_open(&c);
		if (r != NULL)
			fail_msg("a config with %s = %s was accepted", cases[i].k, cases[i].v);
		copy_file(orig, cfg);
	}
	/* The downgrade: "cipher" none (with its id_hash) where encryption is asked for. */
	edit_json(cfg, "cipher", "\"none\"");
	edit_json(cfg, "id_hash", "\"sha256\"");
	assert_null(repo_open(&c));
	copy_file(orig, cfg);
	/* A key object costing N = 2^24 (16 GiB): skipped, the real key opens. */
	{
		FILE *f = fopen(planted, "w");

		assert_non_null(f);
		fprintf(f, "{\"kdf\":\"scrypt\",\"n\":16777216,\"r\":8,\"p\":16,"
		    "\"salt\":\"%064d\",\"nonce\":\"%024d\",\"wrapped\":\"%096d\"}", 0, 0, 0);
		fclose(f);
	}
	r = repo_open(&c);
	assert_non_null(r);
	repo_close(r);
	/* Its MAC stripped, the config is refused (its key records the MAC), never re-signed. */
	edit_json(cfg, "mac", NULL);
	assert_null(repo_open(&c));
	o = json_object_from_file(cfg);
	assert_null(json_object_object_get(o, "mac"));
	json_object_put(o);
	free(url);
	free(cfg);
	free(orig);
	free(planted);
}

static void
test_locks(void **state)
{
	struct conf c;
	char *url = xasprintf("file://%s/locks", dir);
	struct repo *r;
	struct repo_lock *s1 = NULL, *s2 = NULL, *x = NULL;
	struct repo_lock_info *l = NULL;
	size_t n = 0;
	char *dead, *path;
	pid_t pid;
	FILE *f;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.url = url;
	c.host = "unit";
	c.encryption = CONF_CIPHER_NONE;
	c.compression = CONF_COMP_NONE;
	c.chunk_size = 1 << 20;
	c.lock_wait = 0;	/* no waiting: a conflict is at once VV_BUSY */
	assert_int_equal(repo_init(&c), 0);
	r = repo_open(&c);
	assert_non_null(r);
	/* Shared locks share; the exclusive one waits for them all. */
	assert_int_equal(repo_lock_take(r, REPO_LOCK_SHARED, "backup a", &s1), 0);
	assert_int_equal(repo_lock_take(r, REPO_LOCK_SHARED, "backup b", &s2), 0);
	assert_int_equal(repo_lock_take(r, REPO_LOCK_EXCLUSIVE, "prune", &x), VV_BUSY);
	assert_null(x);
	repo_lock_release(s1);
	assert_int_equal(repo_lock_take(r, REPO_LOCK_EXCLUSIVE, "prune", &x), VV_BUSY);
	repo_lock_release(s2);
	assert_int_equal(repo_locks_list(r, &l, &n), 0);
	assert_int_equal(n, 0);	/* released locks leave nothing */
	free(l);
	assert_int_equal(repo_lock_take(r, REPO_LOCK_EXCLUSIVE, "prune", &x), 0);
	assert_int_equal(repo_lock_take(r, REPO_LOCK_SHARED, "backup c", &s1), VV_BUSY);
	assert_int_equal(repo_lock_check(x), 0);
	/* Removed from under its holder: the work must not be published. */
	assert_int_equal(repo_locks_list(r, &l, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(l[0].kind, "exclusive");
	assert_int_equal(l[0].pid, (long)getpid());
	assert_false(l[0].stale);
	assert_int_equal(repo_lock_remove(r, l[0].key), 0);
	free(l);
	assert_int_equal(repo_lock_check(x), -1);
	repo_lock_release(x);
	/* The lock of a process that is gone, on this machine, is stale. */
	pid = fork();
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	assert_int_equal(repo_lock_take(r, REPO_LOCK_EXCLUSIVE, "prune", &x), 0);
	assert_int_equal(repo_locks_list(r, &l, &n), 0);
	path = xasprintf("%s/locks/%s", dir, l[0].key);
	free(l);
	f = fopen(path, "r");
	assert_non_null(f);
	{
		char buf[1024] = "", pidstr[32], *at;
		size_t len = fread(buf, 1, sizeof(buf) - 1, f);

		buf[len] = '\0';
		snprintf(pidstr, sizeof(pidstr), "\"pid\":%d", (int)getpid());
		at = strstr(buf, pidstr);
		assert_non_null(at);
		dead = xasprintf("%.*s\"pid\":%d%s", (int)(at - buf), buf, (int)pid, at + strlen(pidstr));
	}
	fclose(f);
	repo_lock_release(x);
	/* Planted as locks/dead: stale, so it blocks nobody. */
	free(path);
	path = xasprintf("%s/locks/locks/dead", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(dead, f);
	fclose(f);
	assert_int_equal(repo_locks_list(r, &l, &n), 0);
	assert_int_equal(n, 1);
	assert_true(l[0].stale);
	assert_non_null(strstr(l[0].why, "is gone"));
	free(l);
	assert_int_equal(repo_lock_take(r, REPO_LOCK_EXCLUSIVE, "prune", &x), 0);
	repo_lock_release(x);
	unlink(path);
	/* Refreshed in 2099 by a live process: invalid, so it blocks nobody. */
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "{\"kind\":\"exclusive\",\"host\":\"x\",\"pid\":%d,\"what\":\"prune\","
	    "\"created\":\"2099-01-01T00:00:00Z\",\"refreshed\":\"2099-01-01T00:00:00Z\"}", (int)getpid());
	fclose(f);
	assert_int_equal(repo_locks_list(r, &l, &n), 0);
	assert_int_equal(n, 1);
	assert_true(l[0].stale);
	assert_true(l[0].invalid);
	assert_non_null(strstr(l[0].why, "refreshed 2099-01-01T00:00:00Z is in the future"));
	free(l);
	assert_int_equal(repo_lock_take(r, REPO_LOCK_SHARED, "backup d", &x), 0);
	repo_lock_release(x);
	free(dead);
	free(path);
	repo_close(r);
	free(url);
}

/* A lock's times alone, against an exact clock. */
static void
test_lock_times(void **state)
{
	const time_t now = 1795564800;	/* 2026-11-25T00:00:00Z */
	static const struct {
		long long created, refreshed;	/* relative to now; REFRESHED 1: none */
		bool stale, invalid;
		const char *why;
	} cases[] = {
		{ -60, -10, false, false, "" },
		{ -3600, -REPO_LOCK_STALE, false, false, "" },
		{ -3600, -REPO_LOCK_STALE - 1, true, false, "not refreshed for 1801s" },
		{ -60, UTIL_CLOCK_SKEW, false, false, "" },	/* within the skew: fresh */
		{ -60, UTIL_CLOCK_SKEW + 1, true, true, "refreshed 2026-11-25T00:10:01Z is in the future (601s ahead" },
		/* 2099-01-01T00:00:00Z: an age of minus 72 years is no proof of life. */
		{ 4070908800LL - 1795564800LL, 4070908800LL - 1795564800LL, true, true,
		  "refreshed 2099-01-01T00:00:00Z is in the future" },
		{ 4 * 3600, -10, true, true, "created 2026-11-25T04:00:00Z is in the future" },
		{ -60, 1, true, false, "no valid refreshed time" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char why[96] = "";
		bool invalid = !cases[i].invalid;
		time_t refreshed = cases[i].refreshed == 1 ? 0 : now + (time_t)cases[i].refreshed;
		bool stale = repo_lock_expired(now + (time_t)cases[i].created, refreshed, now, &invalid,
		    why, sizeof(why));

		if (stale != cases[i].stale || invalid != cases[i].invalid ||
		    strstr(why, cases[i].why) == NULL)
			fail_msg("case %zu: got stale=%d invalid=%d '%s'", i, stale, invalid, why);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_get_list),
		cmocka_unit_test(test_tmp_files_invisible),
		cmocka_unit_test(test_backup_restore),
		cmocka_unit_test(test_restore_checks_chunk_ids),
		cmocka_unit_test(test_locks),
		cmocka_unit_test(test_lock_times),
		cmocka_unit_test(test_config_tamper),
	};

	return cmocka_run_group_tests_name("store", tests, setup, teardown);
}
