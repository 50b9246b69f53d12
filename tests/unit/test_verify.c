/*
 * verify over the in-memory store: each distinct index is read once
 * however many snapshots name it, a problem of a shared index or chunk
 * is reported for every snapshot naming it, and the chunks/ listing is
 * streamed, not collected.
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
#include "repo/fetch.h"
#include "repo/layout.h"
#include "repo/manifest.h"
#include "repo/verify.h"
#include "tests/fakes/memrepo.h"
#include "tests/fakes/store_mem.h"
#include "tests/fakes/tmpdir.h"

static char dir[] = "/tmp/vv-test-verify.XXXXXX";
static const time_t t0 = 1795564800;	/* 2026-11-25T00:00:00Z */

/* Snapshots a and b of one file (one index, shared), c of another. */
static struct repo *
scene(struct manifest ***l, size_t *n)
{
	struct conf *c = xcalloc(1, sizeof(*c));
	char *f1 = memrepo_file(dir, "f1", 5 * 4096, 10);
	char *f2 = memrepo_file(dir, "f2", 3 * 4096, 50);
	struct repo *r;
	size_t bad = 0;

	memrepo_conf(c, NULL);
	r = memrepo_new(c);
	assert_non_null(r);
	store_mem_page(repo_store(r), 3);
	assert_int_equal(memrepo_backup(r, "a", f1, t0), 0);
	assert_int_equal(memrepo_backup(r, "b", f1, t0 + 60), 0);
	assert_int_equal(memrepo_backup(r, "c", f2, t0 + 120), 0);
	assert_int_equal(manifest_load_all(r, NULL, NULL, l, n, &bad), 0);
	assert_int_equal(*n, 3);
	assert_int_equal(bad, 0);
	free(f1);
	free(f2);
	return r;
}

static void
free_scene(struct repo *r, struct manifest **l, size_t n)
{
	const struct conf *c = repo_conf(r);

	manifest_list_free(l, n);
	repo_close(r);
	free((void *)c);
}

/* The manifest of L named NAME. */
static struct manifest *
named(struct manifest **l, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(l[i]->name, name) == 0)
			return l[i];
	fail_msg("no snapshot %s", name);
	return NULL;
}

/* Quick verify of a healthy repository: one get per distinct index, nothing else read. */
static void
test_index_read_once(void **state)
{
	struct manifest **l = NULL;
	size_t n = 0;
	struct repo *r = scene(&l, &n);
	struct verify_opts vo = { 0 };
	struct verify_result vr;
	unsigned long gets = store_mem_calls(repo_store(r), "get");

	(void)state;
	assert_int_equal(verify_snapshots(r, l, n, &vo, &vr, NULL), 0);
	/* Two distinct indexes for three snapshots. */
	assert_int_equal(store_mem_calls(repo_store(r), "get") - gets, 2);
	assert_int_equal(vr.nbroken, 0);
	free(vr.broken);
	free(vr.per);
	free_scene(r, l, n);
}

/*
 * A chunk of the shared index is missing: both snapshots that name it are
 * broken, each with the problem; the other is not.
 */
static void
test_missing_chunk_of_shared_index(void **state)
{
	struct manifest **l = NULL;
	size_t n = 0;
	struct repo *r = scene(&l, &n);
	struct manifest *a = named(l, n, "a");
	struct verify_opts vo = { 0 };
	struct verify_result vr;
	struct index ix = { 0 };
	char key[LAYOUT_KEY_MAX];

	(void)state;
	assert_int_equal(fetch_index(r, a, &a->files[0], &ix), 0);
	assert_int_equal(store_delete(repo_store(r), layout_chunk_key(ix.ids[1], key, sizeof(key))), 0);
	index_clear(&ix);
	memrepo_quiet();
	assert_int_equal(verify_snapshots(r, l, n, &vo, &vr, NULL), 2);
	memrepo_loud();
	assert_int_equal(vr.nbroken, 2);
	for (size_t i = 0; i < vr.nbroken; i++)
		assert_true(strcmp(vr.broken[i]->name, "c") != 0);
	/* Each snapshot's count and first message, for the verify record. */
	for (size_t k = 0; k < n; k++) {
		bool c = strcmp(l[k]->name, "c") == 0;

		assert_int_equal(vr.per[k].count, c ? 0 : 1);
		assert_true(c ? vr.per[k].first[0] == '\0' : strstr(vr.per[k].first, "is missing") != NULL);
	}
	free(vr.broken);
	free(vr.per);
	free_scene(r, l, n);
}

/* The shared index is missing: read (tried) once, both snapshots broken. */
static void
test_missing_shared_index(void **state)
{
	struct manifest **l = NULL;
	size_t n = 0;
	struct repo *r = scene(&l, &n);
	struct manifest *a = named(l, n, "a");
	struct verify_opts vo = { 0 };
	struct verify_result vr;
	unsigned long gets;

	(void)state;
	assert_int_equal(store_delete(repo_store(r), a->files[0].index), 0);
	gets = store_mem_calls(repo_store(r), "get");
	memrepo_quiet();
	assert_int_equal(verify_snapshots(r, l, n, &vo, &vr, NULL), 2);
	memrepo_loud();
	assert_int_equal(store_mem_calls(repo_store(r), "get") - gets, 2);
	assert_int_equal(vr.nbroken, 2);
	free(vr.broken);
	free(vr.per);
	free_scene(r, l, n);
}

/* A listing that fails: the check could not run. */
static void
test_listing_fails(void **state)
{
	struct manifest **l = NULL;
	size_t n = 0;
	struct repo *r = scene(&l, &n);
	struct verify_opts vo = { 0 };
	struct verify_result vr;

	(void)state;
	store_mem_fault(repo_store(r), "list", 2, STORE_MEM_FAIL);
	memrepo_quiet();
	assert_int_equal(verify_snapshots(r, l, n, &vo, &vr, NULL), -1);
	memrepo_loud();
	free_scene(r, l, n);
}

/* Deep: every distinct chunk read once, nothing wrong. */
static void
test_deep_reads_each_chunk_once(void **state)
{
	struct manifest **l = NULL;
	size_t n = 0;
	struct repo *r = scene(&l, &n);
	struct verify_opts vo = { .deep = true };
	struct verify_result vr;

	(void)state;
	assert_int_equal(verify_snapshots(r, l, n, &vo, &vr, NULL), 0);
	assert_int_equal(vr.chunks_read, store_mem_count(repo_store(r), LAYOUT_CHUNKS));
	assert_int_equal(vr.nbroken, 0);
	free(vr.broken);
	free(vr.per);
	free_scene(r, l, n);
}

TMPDIR_FIXTURES(dir)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_index_read_once),
		cmocka_unit_test(test_missing_chunk_of_shared_index),
		cmocka_unit_test(test_missing_shared_index),
		cmocka_unit_test(test_listing_fails),
		cmocka_unit_test(test_deep_reads_each_chunk_once),
	};

	return cmocka_run_group_tests_name("verify", tests, setup, teardown);
}
