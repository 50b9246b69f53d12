/*
 * virtvault copy (repo/copy.h) over in-memory stores: between repositories
 * of different keys, again (nothing moves), under a fault at every store
 * call then again (consistent, then complete), from format 3 with patches
 * into format 2 (flattened), and refused between chunk sizes.
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

#include "common/util.h"
#include "repo/backup.h"
#include "repo/copy.h"
#include "repo/fetch.h"
#include "repo/layout.h"
#include "repo/prune.h"
#include "repo/restore.h"
#include "tests/fakes/memrepo.h"
#include "tests/fakes/store_mem.h"
#include "tests/fakes/tmpdir.h"

static char dir[] = "/tmp/vv-test-copy.XXXXXX";
static const time_t t0 = 1795564800;	/* 2026-11-25T00:00:00Z */

/* Two repositories: A (source) and B (destination), their confs. */
struct pair {
	struct conf ca, cb;
	struct repo *a, *b;
};

static void
pair_new(struct pair *p, char *pwa, char *pwb, int va, int vb, uint64_t csb)
{
	memrepo_conf(&p->ca, pwa);
	memrepo_conf(&p->cb, pwb);
	p->cb.chunk_size = csb;
	p->a = memrepo_new_format(&p->ca, va);
	p->b = memrepo_new_format(&p->cb, vb);
	assert_non_null(p->a);
	assert_non_null(p->b);
}

static void
pair_free(struct pair *p)
{
	repo_close(p->a);
	repo_close(p->b);
}

/* Three nights of "vm" in R: twice the same image with a hole (chunk 1 of
 * seed 255 is zeros), then another. */
static void
three_nights(struct repo *r)
{
	for (unsigned n = 0; n < 3; n++) {
		char *path = memrepo_file(dir, "img", 6 * 4096 + 100, n == 2 ? 7 : 255);
		struct backup *b = backup_new(r, "vm");

		assert_non_null(b);
		backup_set_time(b, t0 + 86400 * n);
		assert_int_equal(backup_add_file(b, path, "disk.raw", "vda", NULL), 0);
		backup_set_domain(b, xstrdup("<domain><name>vm</name></domain>"), NULL, 1);
		assert_int_equal(backup_commit(b), 0);
		backup_free(b);
		free(path);
	}
}

/*
 * Copy every snapshot of SRC missing from DST, oldest first, as the
 * command does. *COPIED gets how many were copied. Returns how many failed.
 */
static int
copy_all(struct repo *src, struct repo *dst, size_t *copied)
{
	struct manifest **l = NULL;
	size_t n = 0, bad = 0;
	int failed = 0;

	*copied = 0;
	if (copy_check(src, dst) < 0 || manifest_load_all(src, NULL, NULL, &l, &n, &bad) < 0)
		return 1;
	for (size_t i = n; i-- > 0;) {
		struct backup_stats st;
		int rc = copy_present(dst, l[i]);

		if (rc == 0)
			rc = copy_snapshot(src, dst, l[i], copy_previous(l, n, i), NULL, &st) == 0 ? 2 : -1;
		if (rc < 0)
			failed++;
		else if (rc == 2)
			(*copied)++;
	}
	manifest_list_free(l, n);
	return failed;
}

/* The SHA-256 of snapshot REF of R's file as restored. */
static void
restored_sha(struct repo *r, const char *ref, char sha[65])
{
	struct manifest *m = NULL;
	struct strlist only = { 0 };
	char (*shas)[65], err[200], *out = xasprintf("%s/out", dir);

	assert_int_equal(manifest_find(r, ref, &m, err, sizeof(err)), 0);
	shas = xcalloc(m->nfiles, sizeof(*shas));
	mkdir(out, 0700);
	assert_int_equal(restore_files(r, m, out, &only, true, shas, NULL, NULL), 0);
	memcpy(sha, shas[0], 65);
	free(shas);
	free(out);
	manifest_free(m);
}

static void
same_text(const char *a, const char *b)
{
	assert_true((a == NULL) == (b == NULL));
	if (a != NULL)
		assert_string_equal(a, b);
}

/* Every snapshot of A is in B with its name, host, time, ID and XML, and restores the same. */
static void
same_snapshots(struct pair *p)
{
	struct manifest **la = NULL, **lb = NULL;
	size_t na = 0, nb = 0, bad = 0;
	char why[300];

	assert_int_equal(manifest_load_all(p->a, NULL, NULL, &la, &na, &bad), 0);
	assert_int_equal(manifest_load_all(p->b, NULL, NULL, &lb, &nb, &bad), 0);
	assert_int_equal(na, nb);
	for (size_t i = 0; i < na; i++) {
		char sa[65], sb[65];

		assert_string_equal(la[i]->id, lb[i]->id);
		assert_int_equal(la[i]->nfiles, lb[i]->nfiles);
		assert_string_equal(la[i]->name, lb[i]->name);
		assert_string_equal(la[i]->host, lb[i]->host);
		assert_string_equal(la[i]->time, lb[i]->time);
		same_text(la[i]->domain_xml, lb[i]->domain_xml);
		same_text(la[i]->files[0].disk, lb[i]->files[0].disk);
		assert_int_equal(la[i]->stats.chunks_new, lb[i]->stats.chunks_new);
		restored_sha(p->a, la[i]->id, sa);
		restored_sha(p->b, lb[i]->id, sb);
		assert_string_equal(sa, sb);
	}
	assert_int_equal(memrepo_check(p->b, why, sizeof(why)), 0);
	manifest_list_free(la, na);
	manifest_list_free(lb, nb);
}

/* Between two keys: the IDs change, the bytes do not; a second copy moves nothing. */
static void
test_copy_between_keys(void **state)
{
	struct pair p;
	struct manifest *ma = NULL, *mb = NULL;
	size_t copied;
	unsigned long puts;
	char err[200];

	(void)state;
	pair_new(&p, "pass-a", "pass-b", 3, 3, 4096);
	three_nights(p.a);
	assert_int_equal(copy_all(p.a, p.b, &copied), 0);
	assert_int_equal(copied, 3);
	same_snapshots(&p);
	/* Keyed IDs: the index (and its key) are the destination's own. */
	assert_int_equal(manifest_find(p.a, "vm@latest", &ma, err, sizeof(err)), 0);
	assert_int_equal(manifest_find(p.b, "vm@latest", &mb, err, sizeof(err)), 0);
	assert_string_not_equal(ma->files[0].index, mb->files[0].index);
	/* Each distinct chunk stored once: as many chunks as the source holds. */
	assert_int_equal(store_mem_count(repo_store(p.b), "chunks/"),
	    store_mem_count(repo_store(p.a), "chunks/"));

	puts = store_mem_calls(repo_store(p.b), "put");
	assert_int_equal(copy_all(p.a, p.b, &copied), 0);
	assert_int_equal(copied, 0);
	assert_int_equal(store_mem_calls(repo_store(p.b), "put"), puts);
	manifest_free(ma);
	manifest_free(mb);
	pair_free(&p);
}

/*
 * A night like the one before, copied after it: no chunk read from the
 * source (the previous copy's index gives the destination's IDs); without
 * the previous snapshot, every chunk is read.
 */
static void
test_copy_reads_what_changed(void **state)
{
	struct pair p;
	struct manifest **l = NULL;
	struct backup_stats st;
	size_t n = 0, bad = 0;
	unsigned long g0, g1, g2;

	(void)state;
	pair_new(&p, "pass-a", "pass-b", 3, 3, 4096);
	three_nights(p.a);
	assert_int_equal(manifest_load_all(p.a, NULL, NULL, &l, &n, &bad), 0);
	assert_int_equal(n, 3);
	/* l: night 3, 2, 1. Nights 1 and 2 hold the same image. */
	assert_int_equal(copy_snapshot(p.a, p.b, l[2], copy_previous(l, n, 2), NULL, &st), 0);
	assert_null(copy_previous(l, n, 2));
	g0 = store_mem_calls(repo_store(p.a), "get");
	assert_ptr_equal(copy_previous(l, n, 1), l[2]);
	assert_int_equal(copy_snapshot(p.a, p.b, l[1], l[2], NULL, &st), 0);
	g1 = store_mem_calls(repo_store(p.a), "get");
	/* Its index and the previous one's: no chunk. */
	assert_true(g1 - g0 <= 2);
	assert_int_equal(st.chunks_new, 0);
	/* Night 3 copied without its previous snapshot: its 6 chunks (and index) read. */
	assert_int_equal(copy_snapshot(p.a, p.b, l[0], NULL, NULL, &st), 0);
	g2 = store_mem_calls(repo_store(p.a), "get");
	assert_true(g2 - g1 >= 7);
	manifest_list_free(l, n);
	same_snapshots(&p);
	pair_free(&p);
}

/*
 * A fault at the Nth store call of the destination (fails, or done and
 * its reply lost), for every N until a copy meets none: consistent after
 * it, complete after a second copy.
 */
static void
test_copy_fault_then_again(void **state)
{
	struct pair p;
	unsigned long total, before;
	size_t copied;

	(void)state;
	/* The source made once (its key costs a KDF); an unencrypted
	 * destination each time: its IDs differ from the source's all the same. */
	pair_new(&p, "pass-a", NULL, 3, 3, 4096);
	three_nights(p.a);
	before = store_mem_calls(repo_store(p.b), NULL);
	assert_int_equal(copy_all(p.a, p.b, &copied), 0);
	total = store_mem_calls(repo_store(p.b), NULL) - before;
	assert_true(total > 10);
	for (int kind = 0; kind < 2; kind++) {
		for (unsigned long nth = 1; nth <= total; nth++) {
			char why[300];

			repo_close(p.b);
			p.b = memrepo_new_format(&p.cb, 3);
			store_mem_fault(repo_store(p.b), NULL, nth, kind ? STORE_MEM_FAIL_AFTER : STORE_MEM_FAIL);
			memrepo_quiet();
			copy_all(p.a, p.b, &copied);
			memrepo_loud();
			if (memrepo_check(p.b, why, sizeof(why)) != 0)
				fail_msg("fault %d at call %lu of %lu: %s", kind, nth, total, why);
			if (copy_all(p.a, p.b, &copied) != 0)
				fail_msg("fault %d at call %lu of %lu: the copy again failed", kind, nth, total);
			same_snapshots(&p);
		}
	}
	pair_free(&p);
}

/* A prune of the destination run from inside a copy (a store hook): its result. */
struct prune_probe {
	const struct conf *c;
	int rc;
	bool ran;
};

static void
prune_beside(struct store *s, void *arg)
{
	struct prune_probe *pp = arg;
	struct repo *r = repo_open_in(pp->c, store_mem_share(s));
	struct prune_stats st;

	assert_non_null(r);
	pp->rc = prune_run(r, false, &st);
	pp->ran = true;
	repo_close(r);
}

/*
 * The destination's prune protocol: night 1's copy forgotten there, its
 * chunks are garbage until night 2's copy finds them (HEAD) and uses them.
 * A prune between that and night 2's manifest must not take them: it
 * waits for the copy's shared lock (here: gives up, lock_wait 0).
 */
static void
test_copy_prune_beside(void **state)
{
	struct pair p;
	struct manifest **l = NULL;
	struct backup_stats st;
	struct strlist keys = { 0 };
	struct prune_probe pp = { 0 };
	size_t n = 0, bad = 0;
	char why[300];

	(void)state;
	pair_new(&p, "pass-a", NULL, 3, 3, 4096);
	three_nights(p.a);
	assert_int_equal(manifest_load_all(p.a, NULL, NULL, &l, &n, &bad), 0);
	assert_int_equal(copy_snapshot(p.a, p.b, l[2], NULL, NULL, &st), 0);
	assert_int_equal(store_list(repo_store(p.b), LAYOUT_SNAPSHOTS, &keys), 0);
	assert_int_equal(keys.n, 1);
	assert_int_equal(store_delete(repo_store(p.b), keys.v[0]), 0);
	/* Put 1 is the copy's lock, put 2 its index: the chunks are found by then. */
	pp.c = &p.cb;
	store_mem_on_call(repo_store(p.b), "put", 2, prune_beside, &pp);
	memrepo_quiet();
	assert_int_equal(copy_snapshot(p.a, p.b, l[1], NULL, NULL, &st), 0);
	memrepo_loud();
	assert_true(pp.ran);
	assert_int_equal(pp.rc, VV_BUSY);
	assert_int_equal(st.chunks_new, 0);
	if (memrepo_check(p.b, why, sizeof(why)) != 0)
		fail_msg("after a prune beside the copy: %s", why);
	strlist_clear(&keys);
	manifest_list_free(l, n);
	pair_free(&p);
}

/* A format-3 snapshot with patches, copied into format 2: whole chunks there. */
static void
test_copy_flattens_patches(void **state)
{
	enum { CS = 65536, GRAIN = 4096, CHUNKS = 4, SIZE = CS * CHUNKS, UNITS = SIZE / GRAIN };
	struct pair p;
	struct manifest *m = NULL;
	struct index ref = { 0 }, ix = { 0 };
	uint8_t *data = xmalloc(SIZE), skip[CHUNKS], fine[UNITS];
	struct backup_reuse u;
	char *path = xasprintf("%s/p.raw", dir), err[200], sa[65], sb[65];
	struct backup *bk;
	size_t copied;
	int fd;

	(void)state;
	memrepo_conf(&p.ca, NULL);
	memrepo_conf(&p.cb, "pass-b");
	p.ca.chunk_size = p.cb.chunk_size = CS;
	p.a = memrepo_new_format(&p.ca, 3);
	p.b = memrepo_new_format(&p.cb, 2);
	for (size_t i = 0; i < SIZE; i++)
		data[i] = (uint8_t)(i * 7 + i / 300);
	for (int night = 0; night < 2; night++) {
		if (night == 1) {
			memset(data + 5 * GRAIN, 0xab, GRAIN);	/* unit 5: chunk 0 */
			assert_int_equal(manifest_find(p.a, "vm@latest", &m, err, sizeof(err)), 0);
			assert_int_equal(fetch_index(p.a, m, &m->files[0], &ref), 0);
			memset(skip, 1, sizeof(skip));
			memset(fine, 1, sizeof(fine));
			skip[0] = 0;
			fine[5] = 0;
			u = (struct backup_reuse){ &ref, skip, CHUNKS, false, "test", fine, UNITS, GRAIN };
		}
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		assert_int_equal(write(fd, data, SIZE), SIZE);
		close(fd);
		bk = backup_new(p.a, "vm");
		backup_set_time(bk, t0 + 86400 * night);
		assert_int_equal(backup_add_file_reuse(bk, path, "disk.raw", NULL, night ? &u : NULL, NULL), 0);
		assert_int_equal(backup_commit(bk), 0);
		backup_free(bk);
	}
	manifest_free(m);
	index_clear(&ref);
	assert_int_equal(manifest_find(p.a, "vm@latest", &m, err, sizeof(err)), 0);
	assert_int_equal(fetch_index(p.a, m, &m->files[0], &ix), 0);
	assert_int_equal(ix.npatches, 1);
	index_clear(&ix);
	manifest_free(m);

	assert_int_equal(copy_all(p.a, p.b, &copied), 0);
	assert_int_equal(copied, 2);
	assert_int_equal(manifest_find(p.b, "vm@latest", &m, err, sizeof(err)), 0);
	assert_int_equal(fetch_index(p.b, m, &m->files[0], &ix), 0);
	assert_int_equal(ix.npatches, 0);
	index_clear(&ix);
	manifest_free(m);
	restored_sha(p.a, "vm@latest", sa);
	restored_sha(p.b, "vm@latest", sb);
	assert_string_equal(sa, sb);
	same_snapshots(&p);
	pair_free(&p);
	free(data);
	free(path);
}

/* Another chunk size: refused before anything moves. */
static void
test_copy_chunk_size_refused(void **state)
{
	struct pair p;
	size_t copied;

	(void)state;
	pair_new(&p, NULL, NULL, 3, 3, 8192);
	three_nights(p.a);
	memrepo_quiet();
	assert_int_equal(copy_check(p.a, p.b), -1);
	assert_int_not_equal(copy_all(p.a, p.b, &copied), 0);
	memrepo_loud();
	assert_int_equal(store_mem_count(repo_store(p.b), "snapshots/"), 0);
	assert_int_equal(store_mem_count(repo_store(p.b), "chunks/"), 0);
	pair_free(&p);
}

TMPDIR_FIXTURES(dir)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_copy_between_keys),
		cmocka_unit_test(test_copy_reads_what_changed),
		cmocka_unit_test(test_copy_fault_then_again),
		cmocka_unit_test(test_copy_prune_beside),
		cmocka_unit_test(test_copy_flattens_patches),
		cmocka_unit_test(test_copy_chunk_size_refused),
	};

	return cmocka_run_group_tests_name("copy", tests, setup, teardown);
}
