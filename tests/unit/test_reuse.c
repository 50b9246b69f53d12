/*
 * The reuse rule of a backup over the in-memory store (docs/FORMAT.md,
 * "Locks and prune"): the chunks of the newest snapshot of its own group
 * are reused unasked, any other chunk is asked for before it is stored,
 * chunks/ is never listed, quarantined chunks are stored again, and a
 * prune beside a backup never leaves a manifest naming a missing chunk.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "repo/backup.h"
#include "repo/backup_seed.h"
#include "repo/layout.h"
#include "repo/prune.h"
#include "tests/fakes/memrepo.h"
#include "tests/fakes/store_mem.h"
#include "tests/fakes/tmpdir.h"

static char dir[] = "/tmp/vv-test-reuse.XXXXXX";
static const time_t t0 = 1795564800;	/* 2026-11-25T00:00:00Z */

#define CHUNKS 20	/* chunks of the files made here, each different */

static const char *const ops[] = { "list", "get", "exists", "put", "del", "sync" };
#define NOPS (sizeof(ops) / sizeof(ops[0]))

/* A file of CHUNKS chunks of 4 KiB whose chunks start at byte SEED; a new path. */
static char *
file_of(unsigned seed)
{
	char name[32];

	snprintf(name, sizeof(name), "f%u", seed);
	return memrepo_file(dir, name, CHUNKS * 4096, seed);
}

/*
 * Back up PATH as snapshot NAME at T into R; its figures into *ST and the
 * store calls it made of each of OPS into CALLS (may be NULL). Returns 0
 * or -1.
 */
static int
backup_counted(struct repo *r, const char *name, const char *path, time_t t,
    struct backup_stats *st, unsigned long calls[NOPS])
{
	struct store *s = repo_store(r);
	unsigned long before[NOPS];
	struct backup *b;
	int ret = -1;

	for (size_t i = 0; i < NOPS; i++)
		before[i] = store_mem_calls(s, ops[i]);
	b = backup_new(r, name);
	if (b != NULL) {
		backup_set_time(b, t);
		if (backup_add_file(b, path, "disk.raw", NULL, NULL) == 0 && backup_commit(b) == 0)
			ret = 0;
		*st = *backup_stats(b);
	}
	backup_free(b);
	for (size_t i = 0; calls != NULL && i < NOPS; i++)
		calls[i] = store_mem_calls(s, ops[i]) - before[i];
	return ret;
}

static void
expect_consistent(struct repo *r, const char *ctx)
{
	char why[256];

	if (memrepo_check(r, why, sizeof(why)) < 0)
		fail_msg("%s: %s", ctx, why);
}

/* The key of the only manifest of R, a new string. */
static char *
only_manifest(struct repo *r)
{
	struct strlist keys = { 0 };
	char *k;

	assert_int_equal(store_list(repo_store(r), LAYOUT_SNAPSHOTS, &keys), 0);
	assert_int_equal(keys.n, 1);
	k = xstrdup(keys.v[0]);
	strlist_clear(&keys);
	return k;
}

/* N chunk objects of no snapshot put straight into S (another host's, say). */
static void
add_foreign_chunks(struct store *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t id[CRYPTO_HASH_LEN];
		char key[LAYOUT_KEY_MAX];

		crypto_sha256(&i, sizeof(i), id);
		layout_chunk_key(id, key, sizeof(key));
		assert_int_equal(store_put(s, key, "x", 1, 0), 0);
	}
}

/*
 * A nightly run costs the same store calls whether the repository holds
 * few chunks or thousands more (listed in pages of 100, a listing of
 * chunks/ would add 30 calls), and asks for none of its own chunks.
 */
static void
test_cost_independent_of_chunk_count(void **state)
{
	struct conf c;
	struct repo *r;
	struct backup_stats st;
	unsigned long few[NOPS], many[NOPS];
	char *f = file_of(10);

	(void)state;
	memrepo_conf(&c, NULL);
	r = memrepo_new(&c);
	store_mem_page(repo_store(r), 100);
	assert_int_equal(backup_counted(r, "vm", f, t0, &st, NULL), 0);
	assert_int_equal(st.chunks_new, CHUNKS);
	assert_int_equal(backup_counted(r, "vm", f, t0 + 60, &st, few), 0);
	assert_int_equal(st.chunks_new, 0);
	assert_int_equal(st.chunks_reused, CHUNKS);
	add_foreign_chunks(repo_store(r), 3000);
	assert_int_equal(backup_counted(r, "vm", f, t0 + 120, &st, many), 0);
	assert_int_equal(st.chunks_reused, CHUNKS);
	for (size_t i = 0; i < NOPS; i++)
		if (few[i] != many[i])
			fail_msg("%s calls: %lu with few chunks, %lu with 3000 more", ops[i], few[i],
			    many[i]);
	/* Every chunk was known from the previous snapshot: none asked for. */
	assert_int_equal(many[2], 0);
	expect_consistent(r, "after three backups");
	repo_close(r);
	free(f);
}

/*
 * The newest snapshot of the group seeds, not an older one: after a
 * snapshot of other data, the data of the older one is asked for (and
 * found, so not stored again).
 */
static void
test_newest_of_group_seeds(void **state)
{
	struct conf c;
	struct repo *r;
	struct backup_stats st;
	unsigned long calls[NOPS];
	char *f1 = file_of(10), *f2 = file_of(100);

	(void)state;
	memrepo_conf(&c, NULL);
	r = memrepo_new(&c);
	assert_int_equal(backup_counted(r, "vm", f1, t0, &st, NULL), 0);
	assert_int_equal(backup_counted(r, "vm", f2, t0 + 60, &st, NULL), 0);
	assert_int_equal(backup_counted(r, "vm", f2, t0 + 120, &st, calls), 0);
	assert_int_equal(calls[2], 0);
	assert_int_equal(backup_counted(r, "vm", f1, t0 + 180, &st, calls), 0);
	assert_int_equal(calls[2], CHUNKS);
	assert_int_equal(st.chunks_new, 0);
	assert_int_equal(st.chunks_reused, CHUNKS);
	expect_consistent(r, "after four backups");
	repo_close(r);
	free(f1);
	free(f2);
}

/*
 * Another host's snapshot of the same name seeds nothing on this host,
 * yet its chunks are found by asking (cross-host deduplication of one
 * template) and not stored again.
 */
static void
test_other_host_asks_and_reuses(void **state)
{
	struct conf c, c2;
	struct repo *r, *r2;
	struct backup_stats st;
	unsigned long calls[NOPS];
	char *f = file_of(10);
	size_t chunks, seeded = 99;
	struct chunkset *known = chunkset_new();

	(void)state;
	memrepo_conf(&c, NULL);
	r = memrepo_new(&c);
	assert_int_equal(backup_counted(r, "vm", f, t0, &st, NULL), 0);
	chunks = store_mem_count(repo_store(r), LAYOUT_CHUNKS);
	c2 = c;
	c2.host = "other";
	r2 = repo_open_in(&c2, store_mem_share(repo_store(r)));
	assert_non_null(r2);
	assert_int_equal(backup_seed_known(r2, "vm", known, &seeded), 0);
	assert_int_equal(seeded, 0);
	assert_int_equal(chunkset_count(known), 0);
	assert_int_equal(backup_counted(r2, "vm", f, t0 + 60, &st, calls), 0);
	assert_int_equal(calls[2], CHUNKS);
	assert_int_equal(st.chunks_new, 0);
	assert_int_equal(st.chunks_reused, CHUNKS);
	assert_int_equal(store_mem_count(repo_store(r), LAYOUT_CHUNKS), chunks);
	/* This host's seed is its own snapshot. */
	assert_int_equal(backup_seed_known(r, "vm", known, &seeded), 0);
	assert_int_equal(seeded, CHUNKS);
	expect_consistent(r, "after a backup of another host");
	chunkset_free(known);
	repo_close(r2);
	repo_close(r);
	free(f);
}

/* Move chunk KEY of S aside as verify --deep does with a bad one. */
static void
quarantine(struct store *s, const char *key)
{
	void *buf = NULL;
	size_t len = 0;
	char *aside = xasprintf("%s%s", LAYOUT_QUARANTINE, key);

	assert_int_equal(store_get(s, key, &buf, &len, 1 << 20), 0);
	assert_int_equal(store_put(s, aside, buf, len, 0), 0);
	assert_int_equal(store_delete(s, key), 0);
	free(buf);
	free(aside);
}

/*
 * A chunk of the previous snapshot moved to quarantine/ is not reused
 * from the seed: the next backup of the same data stores it again, and
 * both snapshots are whole.
 */
static void
test_quarantined_chunk_stored_again(void **state)
{
	struct conf c;
	struct repo *r;
	struct backup_stats st;
	struct strlist keys = { 0 };
	char *f = file_of(10);

	(void)state;
	memrepo_conf(&c, NULL);
	r = memrepo_new(&c);
	assert_int_equal(backup_counted(r, "vm", f, t0, &st, NULL), 0);
	assert_int_equal(store_list(repo_store(r), LAYOUT_CHUNKS, &keys), 0);
	quarantine(repo_store(r), keys.v[3]);
	strlist_clear(&keys);
	assert_int_equal(backup_counted(r, "vm", f, t0 + 60, &st, NULL), 0);
	assert_int_equal(st.chunks_new, 1);
	assert_int_equal(st.chunks_reused, CHUNKS - 1);
	expect_consistent(r, "after the quarantined chunk was stored again");
	repo_close(r);
	free(f);
}

/*
 * A backup that seeded its known chunks from the previous snapshot holds
 * its shared lock: that snapshot forgotten, a prune now is refused and
 * deletes nothing; the backup publishes without storing anything, and a
 * prune after it finds nothing unused.
 */
static void
test_prune_beside_seeded_backup(void **state)
{
	struct conf c;
	struct repo *r;
	struct backup_stats st;
	struct prune_stats ps;
	struct backup *b;
	char *f = file_of(10), *key;
	size_t chunks;

	(void)state;
	memrepo_conf(&c, NULL);
	r = memrepo_new(&c);
	assert_int_equal(backup_counted(r, "vm", f, t0, &st, NULL), 0);
	chunks = store_mem_count(repo_store(r), LAYOUT_CHUNKS);
	key = only_manifest(r);
	b = backup_new(r, "vm");
	assert_non_null(b);
	/* forget, then prune, while the backup is between seeding and storing */
	assert_int_equal(store_delete(repo_store(r), key), 0);
	memrepo_quiet();
	assert_int_equal(prune_run(r, false, &ps), VV_BUSY);
	memrepo_loud();
	assert_int_equal(store_mem_count(repo_store(r), LAYOUT_CHUNKS), chunks);
	backup_set_time(b, t0 + 60);
	assert_int_equal(backup_add_file(b, f, "disk.raw", NULL, NULL), 0);
	assert_int_equal(backup_commit(b), 0);
	assert_int_equal(backup_stats(b)->chunks_new, 0);
	backup_free(b);
	assert_int_equal(prune_run(r, false, &ps), 0);
	assert_int_equal(ps.chunks_unused, 0);
	expect_consistent(r, "a backup published after a prune was refused beside it");
	repo_close(r);
	free(key);
	free(f);
}

/*
 * The previous snapshot forgotten and pruned before the backup took its
 * lock: nothing of it is known or found, everything is stored again.
 */
static void
test_pruned_before_lock_stored_again(void **state)
{
	struct conf c;
	struct repo *r;
	struct backup_stats st;
	struct prune_stats ps;
	char *f = file_of(10), *key;

	(void)state;
	memrepo_conf(&c, NULL);
	r = memrepo_new(&c);
	assert_int_equal(backup_counted(r, "vm", f, t0, &st, NULL), 0);
	key = only_manifest(r);
	assert_int_equal(store_delete(repo_store(r), key), 0);
	assert_int_equal(prune_run(r, false, &ps), 0);
	assert_int_equal(ps.chunks_unused, CHUNKS);
	assert_int_equal(store_mem_count(repo_store(r), LAYOUT_CHUNKS), 0);
	assert_int_equal(backup_counted(r, "vm", f, t0 + 60, &st, NULL), 0);
	assert_int_equal(st.chunks_new, CHUNKS);
	expect_consistent(r, "a backup after its group's chunks were pruned");
	repo_close(r);
	free(key);
	free(f);
}

/*
 * Every store call of a seeded backup, of each operation in turn, fails
 * once (KIND): whatever is published is whole, and the next backup of the
 * same data succeeds and is whole too.
 */
static void
fault_at_every_call(enum store_mem_fault kind, const char *what)
{
	unsigned long total = 0, calls[NOPS];
	char *f = file_of(10), *f2 = file_of(50);
	struct backup_stats st;
	struct conf c;
	struct repo *r;

	/* How many calls of each operation the second backup makes. */
	memrepo_conf(&c, NULL);
	r = memrepo_new(&c);
	assert_int_equal(backup_counted(r, "vm", f, t0, &st, NULL), 0);
	assert_int_equal(backup_counted(r, "vm", f2, t0 + 60, &st, calls), 0);
	repo_close(r);
	for (size_t o = 0; o < NOPS; o++) {
		total += calls[o];
		for (unsigned long n = 1; n <= calls[o]; n++) {
			struct strlist locks = { 0 };
			char ctx[96];

			memrepo_conf(&c, NULL);
			r = memrepo_new(&c);
			assert_int_equal(backup_counted(r, "vm", f, t0, &st, NULL), 0);
			snprintf(ctx, sizeof(ctx), "%s at %s %lu of %lu", what, ops[o], n, calls[o]);
			store_mem_fault(repo_store(r), ops[o], n, kind);
			memrepo_quiet();
			backup_counted(r, "vm", f2, t0 + 60, &st, NULL);
			memrepo_loud();
			expect_consistent(r, ctx);
			/* A lock left behind is its process's: gone with it. */
			assert_int_equal(store_list(repo_store(r), LAYOUT_LOCKS, &locks), 0);
			for (size_t i = 0; i < locks.n; i++)
				store_delete(repo_store(r), locks.v[i]);
			strlist_clear(&locks);
			if (backup_counted(r, "vm", f2, t0 + 120, &st, NULL) != 0)
				fail_msg("%s: the next backup failed", ctx);
			expect_consistent(r, ctx);
			repo_close(r);
		}
	}
	assert_true(total >= 20);
	free(f);
	free(f2);
}

static void
test_fail_at_every_call(void **state)
{
	(void)state;
	fault_at_every_call(STORE_MEM_FAIL, "failure");
}

static void
test_fail_after_at_every_call(void **state)
{
	(void)state;
	fault_at_every_call(STORE_MEM_FAIL_AFTER, "failure after the deed");
}

TMPDIR_FIXTURES(dir)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cost_independent_of_chunk_count),
		cmocka_unit_test(test_newest_of_group_seeds),
		cmocka_unit_test(test_other_host_asks_and_reuses),
		cmocka_unit_test(test_quarantined_chunk_stored_again),
		cmocka_unit_test(test_prune_beside_seeded_backup),
		cmocka_unit_test(test_pruned_before_lock_stored_again),
		cmocka_unit_test(test_fail_at_every_call),
		cmocka_unit_test(test_fail_after_at_every_call),
	};

	return cmocka_run_group_tests_name("reuse", tests, setup, teardown);
}
