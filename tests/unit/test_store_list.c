/*
 * Listings as a stream (store_list_each) on file:// and on the in-memory
 * store, whose pages stand for S3's (the S3 backend's own paging is run
 * against a real server by tests/integration/t_s3.sh), and store_list and
 * store_list_sizes built on them.
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
#include "transport/store.h"
#include "tests/fakes/memrepo.h"
#include "tests/fakes/store_mem.h"
#include "tests/fakes/tmpdir.h"

static char dir[] = "/tmp/vv-test-store-list.XXXXXX";

/* What a store_list_each test collects: the keys, their sizes, where to stop. */
struct seen {
	struct strlist keys;
	uint64_t sizes[64];
	size_t stop_at;		/* stop (return 7) at this key, 0: never */
};

static int
see(const char *key, uint64_t size, void *ctx)
{
	struct seen *w = ctx;

	if (w->keys.n < 64)
		w->sizes[w->keys.n] = size;
	strlist_add(&w->keys, key);
	return w->keys.n == w->stop_at ? 7 : 0;
}

/* Objects of 1..5 bytes in three chunks/XX folders and one elsewhere. */
static void
put_some(struct store *s)
{
	static const char *const keys[] = { "chunks/aa/aa01", "chunks/aa/aa02", "chunks/bb/bb01",
		"chunks/cc/cc01", "chunks/cc/cc02", "indexes/aa/aa03" };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		assert_int_equal(store_put(s, keys[i], "12345", i % 5 + 1, 0), 0);
}

/*
 * store_list_each on file://: every key under the prefix once, sizes
 * unknown (no stat per key), a callback's stop value returned, and
 * store_size for the keys a caller wants the size of.
 */
static void
test_list_each_file(void **state)
{
	char *url = xasprintf("file://%s/each", dir);
	struct store *s = store_open(url, 1, NULL);
	struct seen w = { 0 };
	uint64_t size;

	(void)state;
	assert_non_null(s);
	put_some(s);
	assert_int_equal(store_list_each(s, "chunks/", see, &w), 0);
	assert_int_equal(w.keys.n, 5);
	for (size_t i = 0; i < w.keys.n; i++) {
		assert_int_equal(strncmp(w.keys.v[i], "chunks/", 7), 0);
		assert_true(w.sizes[i] == STORE_SIZE_UNKNOWN);
	}
	assert_true(strlist_contains(&w.keys, "chunks/bb/bb01"));
	strlist_clear(&w.keys);
	w.stop_at = 2;
	assert_int_equal(store_list_each(s, "chunks/", see, &w), 7);
	assert_int_equal(w.keys.n, 2);
	strlist_clear(&w.keys);
	w.stop_at = 0;
	assert_int_equal(store_list_each(s, "chunks/cc/", see, &w), 0);
	assert_int_equal(w.keys.n, 2);
	strlist_clear(&w.keys);
	assert_int_equal(store_list_each(s, "snapshots/", see, &w), 0);
	assert_int_equal(w.keys.n, 0);
	assert_int_equal(store_size(s, "chunks/cc/cc02", &size), 0);
	assert_int_equal(size, 5);
	assert_int_equal(store_size(s, "chunks/cc/none", &size), VV_NOT_FOUND);
	store_close(s);
	free(url);
}

/*
 * store_list_each on the in-memory store, whose listings come in pages as
 * S3's: sizes from the listing, a page per call, a failure half-way is an
 * error after the keys of the pages before it were seen.
 */
static void
test_list_each_mem(void **state)
{
	struct store *s = store_mem_new("mem://each");
	struct seen w = { 0 };
	struct strlist keys = { 0 };
	uint64_t *sizes = NULL;
	unsigned long calls;

	(void)state;
	put_some(s);
	store_mem_page(s, 2);
	calls = store_mem_calls(s, "list");
	assert_int_equal(store_list_each(s, "chunks/", see, &w), 0);
	assert_int_equal(store_mem_calls(s, "list") - calls, 3);
	assert_int_equal(w.keys.n, 5);
	/* Sorted as S3 lists: chunks/aa/aa01 is 1 byte, chunks/cc/cc02 5. */
	assert_string_equal(w.keys.v[0], "chunks/aa/aa01");
	assert_int_equal(w.sizes[0], 1);
	assert_string_equal(w.keys.v[4], "chunks/cc/cc02");
	assert_int_equal(w.sizes[4], 5);
	strlist_clear(&w.keys);
	store_mem_fault(s, "list", 2, STORE_MEM_FAIL);
	memrepo_quiet();
	assert_int_equal(store_list_each(s, "chunks/", see, &w), -1);
	memrepo_loud();
	assert_int_equal(w.keys.n, 2);
	strlist_clear(&w.keys);
	/* store_list and store_list_sizes over it: all or nothing. */
	store_mem_fault(s, "list", 3, STORE_MEM_FAIL);
	memrepo_quiet();
	assert_int_equal(store_list(s, "chunks/", &keys), -1);
	memrepo_loud();
	assert_int_equal(keys.n, 0);
	assert_int_equal(store_list_sizes(s, "chunks/", &keys, &sizes), 0);
	assert_int_equal(keys.n, 5);
	assert_int_equal(sizes[1], 2);
	strlist_clear(&keys);
	free(sizes);
	store_close(s);
}

static int
count_version(const struct store_version *v, void *ctx)
{
	struct store_version *last = ctx;

	*last = *v;
	last->modified++;	/* counts the calls: the store gives 0 */
	return 0;
}

/*
 * A store without versions (file://): the current object is its only
 * version, id ""; a version id names nothing; "" reads and deletes the
 * current object.
 */
static void
test_versions_file(void **state)
{
	char *url = xasprintf("file://%s/versions", dir);
	struct store *s = store_open(url, 1, NULL);
	struct store_version v = { .modified = 0 };
	void *buf;
	size_t len;

	(void)state;
	assert_non_null(s);
	put_some(s);
	assert_int_equal(store_versions(s, "chunks/cc/cc02", count_version, &v), 0);
	assert_int_equal(v.modified, 1);
	assert_string_equal(v.id, "");
	assert_true(v.latest && !v.delete_marker);
	assert_int_equal(v.size, 5);
	memset(&v, 0, sizeof(v));
	assert_int_equal(store_versions(s, "chunks/cc/none", count_version, &v), 0);
	assert_int_equal(v.modified, 0);
	assert_int_equal(store_get_version(s, "chunks/cc/cc02", "", &buf, &len, 64), 0);
	assert_int_equal(len, 5);
	free(buf);
	assert_int_equal(store_get_version(s, "chunks/cc/cc02", "v1", &buf, &len, 64), VV_NOT_FOUND);
	assert_int_equal(store_get_version(s, "chunks/cc/cc02", "a b", &buf, &len, 64), -1);
	assert_int_equal(store_delete_version(s, "chunks/cc/cc02", "v1"), VV_NOT_FOUND);
	assert_int_equal(store_delete_version(s, "chunks/cc/cc02", ""), 0);
	assert_int_equal(store_exists(s, "chunks/cc/cc02"), 0);
	store_close(s);
	free(url);
}

TMPDIR_FIXTURES(dir)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_each_file),
		cmocka_unit_test(test_list_each_mem),
		cmocka_unit_test(test_versions_file),
	};

	return cmocka_run_group_tests_name("store listings", tests, setup, teardown);
}
