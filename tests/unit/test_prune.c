/*
 * Prune over the in-memory store: what it deletes and keeps, a snapshot
 * forgotten or published during its mark, and a failure (or a failure
 * after the deed) at every store call, after which the repository is
 * never left with a manifest that needs a missing object.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "repo/layout.h"
#include "repo/prune.h"
#include "repo/prune_plan.h"
#include "tests/fakes/memrepo.h"
#include "tests/fakes/store_mem.h"
#include "tests/fakes/tmpdir.h"

static char dir[] = "/tmp/vv-test-prune.XXXXXX";
static const time_t t0 = 1795564800;	/* 2026-11-25T00:00:00Z */

/* ---- the plan, over plain data ---- */

/* The key of object NAME ("c1": chunks/, "i1": indexes/; else NAME as is), a new string. */
static char *
key_of(const char *name)
{
	uint8_t id[CRYPTO_HASH_LEN];
	char buf[LAYOUT_KEY_MAX];

	if ((name[0] != 'c' && name[0] != 'i') || strchr(name, '/') != NULL)
		return xstrdup(name);
	crypto_sha256(name, strlen(name), id);
	return xstrdup(name[0] == 'c' ? layout_chunk_key(id, buf, sizeof(buf)) :
	    layout_index_key(id, buf, sizeof(buf)));
}

/* NAMES (comma-separated) as keys into L. */
static void
keys_of(const char *names, struct strlist *l)
{
	struct strlist n = { 0 };

	strlist_split(&n, names);
	for (size_t i = 0; i < n.n; i++) {
		char *k = key_of(n.v[i]);

		strlist_add(l, k);
		free(k);
	}
	strlist_clear(&n);
}

/*
 * Each case: what was listed, the indexes the manifests name and the
 * chunks each index holds ("i1:c1+c2"; "i1:-" missing, "i1:!" unreadable),
 * and what is to be deleted.
 */
static void
test_plan_table(void **state)
{
	static const struct {
		const char *chunks, *indexes;	/* listed */
		const char *manifests[3];	/* the indexes each names */
		const char *contents;		/* index:chunk+chunk,... */
		const char *del_chunks, *del_indexes;
	} cases[] = {
		/* Nothing referenced: everything listed goes. */
		{ "c1,c2", "i1", { NULL }, "", "c1,c2", "i1" },
		/* One snapshot: its index and chunks stay. */
		{ "c1,c2,c3", "i1,i2", { "i1" }, "i1:c1+c2", "c3", "i2" },
		/* Two snapshots share an index; a third names another. */
		{ "c1,c2,c3,c4", "i1,i2", { "i1", "i1", "i2" }, "i1:c1,i2:c2+c3", "c4", "" },
		/* A referenced chunk not listed (uploaded after the listing): nothing to do. */
		{ "c1", "i1", { "i1" }, "i1:c1+c9", "", "" },
		/* Foreign names under the prefixes are never deleted. */
		{ "c1,chunks/README,chunks/zz/notanid", "indexes/x", { NULL }, "", "c1", "" },
		/* A missing index protects nothing but is not listed either. */
		{ "c1", "", { "i1" }, "i1:-", "c1", "" },
		/* An unreadable index is not marked: named again, it is read again. */
		{ "c1,c2", "i1", { "i1", "i1" }, "i1:!c1+c2", "", "" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct prune_plan *p = prune_plan_new();
		struct prune_plan_sweep sw;
		struct strlist l = { 0 }, want = { 0 }, contents = { 0 };
		bool failed_once = false;

		keys_of(cases[i].chunks, &l);
		prune_plan_listed(p, false, &l, NULL);
		assert_int_equal(l.n, 0);
		keys_of(cases[i].indexes, &l);
		prune_plan_listed(p, true, &l, NULL);
		strlist_split(&contents, cases[i].contents);
		for (size_t m = 0; m < 3 && cases[i].manifests[m] != NULL; m++) {
			char *ik = key_of(cases[i].manifests[m]);

			assert_int_not_equal(prune_plan_index_seen(p, ik), -1);
			if (prune_plan_index_seen(p, ik) == 0) {
				for (size_t c = 0; c < contents.n; c++) {
					const char *body = strchr(contents.v[c], ':') + 1;
					struct index ix = { 0 };
					struct strlist ch = { 0 };

					if (strncmp(contents.v[c], cases[i].manifests[m], (size_t)(body - 1 - contents.v[c])) != 0)
						continue;
					if (*body == '!' && !failed_once) {
						failed_once = true;	/* the read failed: not marked */
						continue;
					}
					if (*body == '-') {
						assert_int_equal(prune_plan_index_mark(p, ik, NULL), 0);
						continue;
					}
					for (const char *q = body + (*body == '!'); *q; q++) {
						char name[8];
						size_t len = strcspn(q, "+");

						snprintf(name, sizeof(name), "%.*s", (int)len, q);
						strlist_add(&ch, name);
						q += len - (q[len] == '\0');
					}
					ix.count = ch.n;
					ix.ids = xcalloc(ch.n + 1, sizeof(*ix.ids));
					for (size_t k = 0; k < ch.n; k++)
						crypto_sha256(ch.v[k], strlen(ch.v[k]), ix.ids[k]);
					assert_int_equal(prune_plan_index_mark(p, ik, &ix), 0);
					index_clear(&ix);
					strlist_clear(&ch);
				}
			}
			free(ik);
		}
		prune_plan_sweep(p, &sw);
		keys_of(cases[i].del_chunks, &want);
		if (sw.nchunks_unused != want.n)
			fail_msg("case %zu: %zu chunks to delete, want %zu", i, sw.nchunks_unused, want.n);
		for (size_t k = 0; k < want.n; k++)
			if (strcmp(sw.chunks[k], want.v[k]) != 0 && !strlist_contains(&want, sw.chunks[k]))
				fail_msg("case %zu: chunk %s deleted", i, sw.chunks[k]);
		strlist_clear(&want);
		keys_of(cases[i].del_indexes, &want);
		if (sw.nindexes_unused != want.n)
			fail_msg("case %zu: %zu indexes to delete, want %zu", i, sw.nindexes_unused, want.n);
		for (size_t k = 0; k < want.n; k++)
			if (!strlist_contains(&want, sw.indexes[k]))
				fail_msg("case %zu: index %s deleted", i, sw.indexes[k]);
		strlist_clear(&want);
		strlist_clear(&contents);
		prune_plan_sweep_clear(&sw);
		prune_plan_free(p);
	}
}

/* ---- prune over the in-memory store ---- */

static void
expect_consistent(struct repo *r, const char *ctx)
{
	char why[512];

	if (memrepo_check(r, why, sizeof(why)) < 0)
		fail_msg("%s: %s", ctx, why);
}

/*
 * The scene: snapshots a and b of the same file (one index, shared), c of
 * another file that shares its first chunks, and d of a third file, then
 * forgotten: its index and its own chunks are garbage.
 */
static struct repo *
scene(void)
{
	struct conf *c = xcalloc(1, sizeof(*c));
	char *f1 = memrepo_file(dir, "f1", 5 * 4096, 10);
	char *f2 = memrepo_file(dir, "f2", 4 * 4096 + 100, 12);
	char *f3 = memrepo_file(dir, "f3", 3 * 4096, 100);
	struct repo *r;
	struct strlist keys = { 0 };

	memrepo_conf(c, NULL);
	r = memrepo_new(c);
	assert_non_null(r);
	store_mem_page(repo_store(r), 2);
	assert_int_equal(memrepo_backup(r, "a", f1, t0), 0);
	assert_int_equal(memrepo_backup(r, "b", f1, t0 + 60), 0);
	assert_int_equal(memrepo_backup(r, "c", f2, t0 + 120), 0);
	assert_int_equal(memrepo_backup(r, "d", f3, t0 + 180), 0);
	assert_int_equal(store_list(repo_store(r), "snapshots/unit/d/", &keys), 0);
	assert_int_equal(keys.n, 1);
	assert_int_equal(store_delete(repo_store(r), keys.v[0]), 0);
	strlist_clear(&keys);
	free(f1);
	free(f2);
	free(f3);
	return r;
}

static void
free_scene(struct repo *r)
{
	const struct conf *c = repo_conf(r);

	repo_close(r);
	free((void *)c);
}

static void
test_prune_deletes_garbage_only(void **state)
{
	struct repo *r = scene();
	struct prune_stats st;
	size_t chunks = store_mem_count(repo_store(r), LAYOUT_CHUNKS);

	(void)state;
	/* f1: 5 chunks; f2: 3 of them and 2 of its own; f3: 3 chunks. */
	assert_int_equal(chunks, 5 + 2 + 3);
	assert_int_equal(store_mem_count(repo_store(r), LAYOUT_INDEXES), 3);
	assert_int_equal(prune_run(r, true, &st), 0);
	assert_int_equal(st.chunks_unused, 3);
	assert_int_equal(st.indexes_unused, 1);
	assert_int_equal(store_mem_count(repo_store(r), LAYOUT_CHUNKS), chunks);
	assert_int_equal(prune_run(r, false, &st), 0);
	assert_int_equal(st.snapshots, 3);
	assert_int_equal(st.chunks, 10);
	assert_int_equal(st.chunks_unused, 3);
	assert_int_equal(st.indexes_unused, 1);
	assert_int_equal(store_mem_count(repo_store(r), LAYOUT_CHUNKS), 7);
	assert_int_equal(store_mem_count(repo_store(r), LAYOUT_INDEXES), 2);
	assert_int_equal(store_mem_count(repo_store(r), LAYOUT_LOCKS), 0);
	expect_consistent(r, "after prune");
	free_scene(r);
}

/* Forget the first manifest listed (ARG: the store's repository). */
static void
forget_first(struct store *s, void *arg)
{
	struct strlist keys = { 0 };

	(void)arg;
	assert_int_equal(store_list(s, LAYOUT_SNAPSHOTS, &keys), 0);
	assert_int_equal(store_delete(s, keys.v[0]), 0);
	strlist_clear(&keys);
}

/*
 * Snapshot a is forgotten while prune reads the index it shares with b,
 * and that read fails: a is skipped, but b's chunks, marked through the
 * same index, must stay.
 */
static void
test_forgotten_during_mark_shared_index(void **state)
{
	struct repo *r = scene();
	struct prune_stats st;
	struct store *s = repo_store(r);

	(void)state;
	/* Three listings (chunks, indexes, snapshots) in pages of 2; then
	 * get 1 is manifest a, get 2 its index. */
	store_mem_on_call(s, "get", 2, forget_first, NULL);
	store_mem_fault(s, "get", 2, STORE_MEM_FAIL);
	memrepo_quiet();
	prune_run(r, false, &st);
	memrepo_loud();
	expect_consistent(r, "a forgotten while its shared index was read");
	free_scene(r);
}

/* Store a new snapshot of f1 named late (ARG: the repository). */
static void
publish_late(struct store *s, void *arg)
{
	char *f = memrepo_file(dir, "late", 2 * 4096, 200);

	(void)s;
	assert_int_equal(memrepo_backup(arg, "late", f, t0 + 600), 0);
	free(f);
}

/* A backup that publishes between prune's listings and its sweep keeps its chunks. */
static void
test_published_during_mark(void **state)
{
	struct repo *r = scene();
	struct prune_stats st;

	(void)state;
	/* After the first page of the chunk listing: its new chunks are listed or not. */
	store_mem_on_call(repo_store(r), "list", 2, publish_late, r);
	assert_int_equal(prune_run(r, false, &st), 0);
	expect_consistent(r, "a snapshot published during the mark");
	free_scene(r);
}

static const char *const ops[] = { "list", "get", "exists", "put", "del", "del_many", "cleanup" };

/*
 * Every store call of a prune, of each operation in turn, fails once
 * (KIND): the repository stays consistent, and the next prune finishes
 * the work. A lock is left only where deleting it failed: its process's,
 * stale once the process ends, which the test plays by removing it.
 */
static void
fault_at_every_call(enum store_mem_fault kind, const char *what)
{
	struct prune_stats st;
	unsigned long total = 0, failed = 0;

	for (size_t o = 0; o < sizeof(ops) / sizeof(ops[0]); o++) {
		struct repo *r = scene();
		unsigned long before = store_mem_calls(repo_store(r), ops[o]), calls;

		assert_int_equal(prune_run(r, false, &st), 0);
		calls = store_mem_calls(repo_store(r), ops[o]) - before;
		free_scene(r);
		total += calls;
		for (unsigned long n = 1; n <= calls; n++) {
			struct strlist locks = { 0 };
			char ctx[96];
			int rc;

			r = scene();
			snprintf(ctx, sizeof(ctx), "%s at %s %lu of %lu", what, ops[o], n, calls);
			store_mem_fault(repo_store(r), ops[o], n, kind);
			memrepo_quiet();
			rc = prune_run(r, false, &st);
			memrepo_loud();
			failed += rc != 0;
			expect_consistent(r, ctx);
			assert_int_equal(store_list(repo_store(r), LAYOUT_LOCKS, &locks), 0);
			if (locks.n > 0 && !(kind == STORE_MEM_FAIL && strcmp(ops[o], "del") == 0))
				fail_msg("%s: a lock was left behind", ctx);
			for (size_t i = 0; i < locks.n; i++)
				store_delete(repo_store(r), locks.v[i]);
			strlist_clear(&locks);
			/* The next prune, without faults, finishes the work. */
			if (prune_run(r, false, &st) != 0)
				fail_msg("%s: the next prune failed", ctx);
			if (store_mem_count(repo_store(r), LAYOUT_CHUNKS) != 7 ||
			    store_mem_count(repo_store(r), LAYOUT_INDEXES) != 2)
				fail_msg("%s: the next prune left garbage", ctx);
			expect_consistent(r, ctx);
			free_scene(r);
		}
	}
	assert_true(total >= 20);
	assert_true(failed >= total / 2);
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

static int
setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	return tmpdir_remove(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_table),
		cmocka_unit_test(test_prune_deletes_garbage_only),
		cmocka_unit_test(test_forgotten_during_mark_shared_index),
		cmocka_unit_test(test_published_during_mark),
		cmocka_unit_test(test_fail_at_every_call),
		cmocka_unit_test(test_fail_after_at_every_call),
	};

	return cmocka_run_group_tests_name("prune", tests, setup, teardown);
}
