/*
 * Prune over the in-memory store: what it deletes and keeps, a snapshot
 * forgotten or published during its mark, and a failure (or a failure
 * after the deed) at every store call, after which the repository is
 * never left with a manifest that needs a missing object.
 * lint: long file: the plan's tables and the runs over the store share
 * one scene and its checks.
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

/* The chunk IDs of BODY ("c1+c2") into IX (index_clear). */
static void
index_of(const char *body, struct index *ix)
{
	struct strlist ch = { 0 };

	for (const char *q = body; *q; q++) {
		char name[8];
		size_t len = strcspn(q, "+");

		snprintf(name, sizeof(name), "%.*s", (int)len, q);
		strlist_add(&ch, name);
		q += len - (q[len] == '\0');
	}
	memset(ix, 0, sizeof(*ix));
	ix->count = ch.n;
	ix->ids = xcalloc(ch.n + 1, sizeof(*ix->ids));
	for (size_t k = 0; k < ch.n; k++)
		crypto_sha256(ch.v[k], strlen(ch.v[k]), ix->ids[k]);
	strlist_clear(&ch);
}

/*
 * Mark the indexes NAMES (up to 3) as prune does for manifests naming
 * them, with CONTENTS ("i1:c1+c2"; "i1:-" missing, "i1:!c1" unreadable the
 * first time).
 */
static void
mark_names(struct prune_plan *p, const char *const *names, const struct strlist *contents,
    bool *failed_once)
{
	for (size_t m = 0; m < 3 && names[m] != NULL; m++) {
		char *ik = key_of(names[m]);

		assert_int_not_equal(prune_plan_index_seen(p, ik), -1);
		for (size_t c = 0; c < contents->n && prune_plan_index_seen(p, ik) == 0; c++) {
			const char *body = strchr(contents->v[c], ':') + 1;
			struct index ix;

			if (strncmp(contents->v[c], names[m], (size_t)(body - 1 - contents->v[c])) != 0)
				continue;
			if (*body == '!' && !*failed_once) {
				*failed_once = true;	/* the read failed: not marked */
				continue;
			}
			if (*body == '-') {
				assert_int_equal(prune_plan_index_mark(p, ik, NULL), 0);
				continue;
			}
			index_of(body + (*body == '!'), &ix);
			assert_int_equal(prune_plan_index_mark(p, ik, &ix), 0);
			index_clear(&ix);
		}
		free(ik);
	}
}

/* List NAMES (comma-separated) into P, under indexes/ when INDEXES; each of SIZE bytes. */
static void
list_names(struct prune_plan *p, bool indexes, const char *names, uint64_t size)
{
	struct strlist l = { 0 };

	keys_of(names, &l);
	for (size_t k = 0; k < l.n; k++)
		prune_plan_listed(p, indexes, l.v[k], size);
	strlist_clear(&l);
}

/* Whether the N candidates C (chunks, or indexes when INDEXES) are the objects WANT names. */
static void
expect_candidates(size_t i, bool indexes, const struct prune_plan_candidate *c, size_t n,
    const char *want)
{
	struct strlist w = { 0 };

	keys_of(want, &w);
	if (n != w.n)
		fail_msg("case %zu: %zu %s to delete, want %zu", i, n, indexes ? "indexes" : "chunks", w.n);
	for (size_t k = 0; k < n; k++) {
		char buf[LAYOUT_KEY_MAX];
		const char *key = indexes ? layout_index_key(c[k].id, buf, sizeof(buf)) :
		    layout_chunk_key(c[k].id, buf, sizeof(buf));

		if (!strlist_contains(&w, key))
			fail_msg("case %zu: %s deleted", i, key);
	}
	strlist_clear(&w);
}

/*
 * Each case: the indexes the manifests read first name and the chunks
 * each index holds ("i1:c1+c2"; "i1:-" missing, "i1:!" unreadable), what
 * was listed then, the indexes of manifests published during the mark
 * (read after the listings), and what is to be deleted.
 */
static void
test_plan_table(void **state)
{
	static const struct {
		const char *manifests[3];	/* the indexes each names */
		const char *contents;		/* index:chunk+chunk,... */
		const char *chunks, *indexes;	/* listed */
		const char *late[3];		/* the indexes of late manifests */
		const char *del_chunks, *del_indexes;
	} cases[] = {
		/* Nothing referenced: everything listed goes. */
		{ { NULL }, "", "c1,c2", "i1", { NULL }, "c1,c2", "i1" },
		/* One snapshot: its index and chunks stay. */
		{ { "i1" }, "i1:c1+c2", "c1,c2,c3", "i1,i2", { NULL }, "c3", "i2" },
		/* Two snapshots share an index; a third names another. */
		{ { "i1", "i1", "i2" }, "i1:c1,i2:c2+c3", "c1,c2,c3,c4", "i1,i2", { NULL }, "c4", "" },
		/* A referenced chunk not listed (uploaded after the listing): nothing to do. */
		{ { "i1" }, "i1:c1+c9", "c1", "i1", { NULL }, "", "" },
		/* Foreign names under the prefixes are never deleted. */
		{ { NULL }, "", "c1,chunks/README,chunks/zz/notanid", "indexes/x", { NULL }, "c1", "" },
		/* A missing index protects nothing but is not listed either. */
		{ { "i1" }, "i1:-", "c1", "", { NULL }, "c1", "" },
		/* An unreadable index is not marked: named again, it is read again. */
		{ { "i1", "i1" }, "i1:!c1+c2", "c1,c2", "i1", { NULL }, "", "" },
		/* A manifest published during the mark rescues its index and chunks. */
		{ { "i1" }, "i1:c1,i2:c2+c3", "c1,c2,c3,c4", "i1,i2", { "i2" }, "c4", "" },
		/* A late manifest naming an index marked before changes nothing. */
		{ { "i1" }, "i1:c1", "c1,c2", "i1", { "i1" }, "c2", "" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct prune_plan *p = prune_plan_new();
		struct prune_plan_sweep sw;
		struct strlist contents = { 0 };
		bool failed_once = false;

		strlist_split(&contents, cases[i].contents);
		mark_names(p, cases[i].manifests, &contents, &failed_once);
		list_names(p, false, cases[i].chunks, 100);
		list_names(p, true, cases[i].indexes, 10);
		mark_names(p, cases[i].late, &contents, &failed_once);
		prune_plan_sweep(p, &sw);
		expect_candidates(i, false, sw.chunks, sw.nchunks_unused, cases[i].del_chunks);
		expect_candidates(i, true, sw.indexes, sw.nindexes_unused, cases[i].del_indexes);
		assert_true(sw.bytes_total_known);
		assert_int_equal(sw.bytes_unused, 100 * sw.nchunks_unused + 10 * sw.nindexes_unused);
		strlist_clear(&contents);
		prune_plan_free(p);
	}
}

/*
 * The referenced chunks are known by 8-byte ID prefixes: an unreferenced
 * chunk whose ID begins like a referenced one's is kept (garbage left, a
 * live chunk never deleted); one that differs in its first 8 bytes goes.
 */
static void
test_plan_prefix_false_positive_keeps(void **state)
{
	struct prune_plan *p = prune_plan_new();
	struct prune_plan_sweep sw;
	struct index ix;
	uint8_t twin[CRYPTO_HASH_LEN], other[CRYPTO_HASH_LEN];
	char k1[LAYOUT_KEY_MAX], k2[LAYOUT_KEY_MAX], k3[LAYOUT_KEY_MAX];
	char *ik = key_of("i1");

	(void)state;
	index_of("c1", &ix);
	memcpy(twin, ix.ids[0], sizeof(twin));
	twin[31] ^= 0xff;	/* the same first 8 bytes */
	memcpy(other, ix.ids[0], sizeof(other));
	other[7] ^= 0x01;	/* not */
	assert_int_equal(prune_plan_index_mark(p, ik, &ix), 0);
	prune_plan_listed(p, false, layout_chunk_key(ix.ids[0], k1, sizeof(k1)), 1);
	prune_plan_listed(p, false, layout_chunk_key(twin, k2, sizeof(k2)), UINT64_MAX);
	prune_plan_listed(p, false, layout_chunk_key(other, k3, sizeof(k3)), 1);
	prune_plan_sweep(p, &sw);
	assert_int_equal(sw.nchunks, 3);
	assert_int_equal(sw.nchunks_unused, 1);
	assert_memory_equal(sw.chunks[0].id, other, sizeof(other));
	/* One listed size unknown: no total. */
	assert_false(sw.bytes_total_known);
	index_clear(&ix);
	free(ik);
	prune_plan_free(p);
}

/*
 * Memory: N chunks referenced by many indexes (the same IDs again and
 * again, as nightly snapshots of one disk) and listed; then N listed that
 * nothing references. The per-chunk sets stay near 8 bytes a referenced
 * chunk (at most 16 while growing) and 40 a candidate (60 while growing).
 */
static void
test_plan_memory(void **state)
{
	enum { N = 100000, COPIES = 20 };
	struct prune_plan *p = prune_plan_new();
	struct prune_plan_sweep sw;
	struct index ix = { 0 };
	char key[LAYOUT_KEY_MAX];

	(void)state;
	ix.count = N;
	ix.ids = xcalloc(N, sizeof(*ix.ids));
	for (uint32_t i = 0; i < N; i++) {
		crypto_sha256(&i, sizeof(i), ix.ids[i]);
	}
	/* COPIES indexes naming the same chunks. */
	for (int c = 0; c < COPIES; c++) {
		char name[16];
		char *ik;

		snprintf(name, sizeof(name), "i%d", c);
		ik = key_of(name);
		assert_int_equal(prune_plan_index_mark(p, ik, &ix), 0);
		free(ik);
	}
	for (uint32_t i = 0; i < N; i++)
		prune_plan_listed(p, false, layout_chunk_key(ix.ids[i], key, sizeof(key)), 10);
	prune_plan_sweep(p, &sw);
	assert_int_equal(sw.nchunks_unused, 0);
	if (sw.peak_bytes > 16 * N + N / 8 + 1)
		fail_msg("referenced: %zu bytes for %d chunks", sw.peak_bytes, N);
	prune_plan_free(p);
	/* Garbage only: candidates. */
	p = prune_plan_new();
	for (uint32_t i = 0; i < N; i++)
		prune_plan_listed(p, false, layout_chunk_key(ix.ids[i], key, sizeof(key)), 10);
	prune_plan_sweep(p, &sw);
	assert_int_equal(sw.nchunks_unused, N);
	assert_int_equal(sw.bytes_unused, 10ull * N);
	/* Sorted by ID, each once. */
	for (size_t i = 1; i < sw.nchunks_unused; i++)
		assert_true(memcmp(sw.chunks[i - 1].id, sw.chunks[i].id, CRYPTO_HASH_LEN) < 0);
	if (sw.peak_bytes > 60 * N + N / 8 + 1)
		fail_msg("unreferenced: %zu bytes for %d chunks", sw.peak_bytes, N);
	prune_plan_free(p);
	index_clear(&ix);
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
	/* The snapshots listed first; then get 1 is manifest a, get 2 its index. */
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

/*
 * A backup that publishes after prune read the manifests and before it
 * lists chunks/: its new chunks and index are listed as candidates (no
 * manifest read so far names them), and the late read under the exclusive
 * lock must drop them all.
 */
static void
test_published_during_mark(void **state)
{
	struct repo *r = scene();
	struct prune_stats st;

	(void)state;
	/* List calls 1 and 2 look for forget requests, 3 and 4 are the
	 * snapshots (3 in pages of 2); 5 begins chunks/. */
	store_mem_on_call(repo_store(r), "list", 5, publish_late, r);
	assert_int_equal(prune_run(r, false, &st), 0);
	assert_int_equal(st.late_snapshots, 1);
	assert_int_equal(st.chunks, 10 + 2);
	assert_int_equal(st.chunks_unused, 3);
	assert_int_equal(st.indexes_unused, 1);
	assert_int_equal(store_mem_count(repo_store(r), LAYOUT_CHUNKS), 7 + 2);
	assert_int_equal(store_mem_count(repo_store(r), LAYOUT_INDEXES), 2 + 1);
	expect_consistent(r, "a snapshot published during the mark");
	free_scene(r);
}

/*
 * More snapshots than one batch of the mark (PRUNE_MARK_BATCH, 64), read
 * at once: 150 snapshots of three files share three indexes, each index is
 * read once, and the garbage goes. Then a manifest of the third batch that
 * cannot be read stops the prune: nothing deleted.
 */
static void
test_prune_many_batches(void **state)
{
	struct repo *r = scene();
	struct store *s = repo_store(r);
	char *f[3] = { memrepo_file(dir, "m0", 2 * 4096, 300), memrepo_file(dir, "m1", 2 * 4096, 301),
		memrepo_file(dir, "m2", 4096 + 7, 302) };
	struct strlist keys = { 0 };
	struct prune_stats st;
	unsigned long gets;
	size_t chunks;

	(void)state;
	for (int i = 0; i < 150; i++) {
		char name[16];

		snprintf(name, sizeof(name), "m%03d", i);
		assert_int_equal(memrepo_backup(r, name, f[i % 3], t0 + 1000 + i), 0);
	}
	chunks = store_mem_count(s, LAYOUT_CHUNKS);
	gets = store_mem_calls(s, "get");
	assert_int_equal(prune_run(r, false, &st), 0);
	assert_int_equal(st.snapshots, 3 + 150);
	assert_int_equal(st.chunks_unused, 3);
	assert_int_equal(store_mem_count(s, LAYOUT_CHUNKS), chunks - 3);
	/* 153 manifests, 2 + 3 indexes, and the locks read in taking one. */
	assert_true(store_mem_calls(s, "get") - gets <= 153 + 5 + 4);
	expect_consistent(r, "after a prune of several batches");
	/* Garbage again (snapshot g forgotten), and snapshot m140 (in the
	 * third batch) unreadable: prune stops, deleting nothing. */
	assert_int_equal(memrepo_backup(r, "g", f[2], t0 + 2000), 0);
	free(f[2]);
	f[2] = memrepo_file(dir, "g", 2 * 4096, 303);
	assert_int_equal(memrepo_backup(r, "g", f[2], t0 + 2001), 0);
	chunks = store_mem_count(s, LAYOUT_CHUNKS);
	assert_int_equal(store_list(s, "snapshots/unit/g/", &keys), 0);
	assert_int_equal(keys.n, 2);
	assert_int_equal(store_delete(s, strcmp(keys.v[0], keys.v[1]) > 0 ? keys.v[0] : keys.v[1]), 0);
	strlist_clear(&keys);
	assert_int_equal(store_list(s, "snapshots/unit/m140/", &keys), 0);
	assert_int_equal(keys.n, 1);
	assert_int_equal(store_put(s, keys.v[0], "garbage", 7, 0), 0);
	memrepo_quiet();
	assert_int_equal(prune_run(r, false, &st), -1);
	assert_int_equal(prune_run(r, true, &st), -1);
	memrepo_loud();
	assert_int_equal(store_mem_count(s, LAYOUT_CHUNKS), chunks);
	/* The unreadable one forgotten: the garbage goes. */
	assert_int_equal(store_delete(s, keys.v[0]), 0);
	assert_int_equal(prune_run(r, false, &st), 0);
	assert_int_equal(st.chunks_unused, 2);
	assert_int_equal(store_mem_count(s, LAYOUT_CHUNKS), chunks - 2);
	expect_consistent(r, "after the unreadable snapshot was forgotten");
	strlist_clear(&keys);
	for (int i = 0; i < 3; i++)
		free(f[i]);
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

TMPDIR_FIXTURES(dir)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_table),
		cmocka_unit_test(test_plan_prefix_false_positive_keeps),
		cmocka_unit_test(test_plan_memory),
		cmocka_unit_test(test_prune_deletes_garbage_only),
		cmocka_unit_test(test_forgotten_during_mark_shared_index),
		cmocka_unit_test(test_published_during_mark),
		cmocka_unit_test(test_prune_many_batches),
		cmocka_unit_test(test_fail_at_every_call),
		cmocka_unit_test(test_fail_after_at_every_call),
	};

	return cmocka_run_group_tests_name("prune", tests, setup, teardown);
}
