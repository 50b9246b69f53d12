/*
 * The file:// store's reads and writes of large objects: direct I/O around
 * block boundaries, and a worker's buffer kept from one get to the next.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "transport/store.h"
#include "tests/fakes/store_mem.h"
#include "tests/fakes/tmpdir.h"

static char dir[] = "/tmp/vv-test-store-io.XXXXXX";

/*
 * Large objects go to and from the disk with O_DIRECT (an aligned buffer;
 * its unaligned tail through the page cache), small or unaligned ones
 * through the page cache: every size around a block boundary reads back
 * byte for byte, as does an object read back while its tail is still dirty.
 */
static void
test_direct_sizes(void **state)
{
	char *url = xasprintf("file://%s/s3", dir);
	struct store *s = store_open(url, 1, NULL);
	const size_t sizes[] = { 65535, 65536, 65537, 131072, 131073, 135167, 200000, 1048576 + 17 };
	uint8_t *src = xmalloc_aligned(ALLOC_DIRECT_ALIGN, 2 * 1048576);

	(void)state;
	assert_non_null(s);
	for (size_t i = 0; i < 2 * 1048576; i++)
		src[i] = (uint8_t)(i * 2654435761u >> 13);
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		for (int unaligned = 0; unaligned < 2; unaligned++) {
			char key[64];
			void *buf = NULL;
			size_t len = 0;

			snprintf(key, sizeof(key), "chunks/%02zx/%zu-%d", k, sizes[k], unaligned);
			assert_int_equal(store_put(s, key, src + unaligned, sizes[k], STORE_IF_ABSENT), 0);
			assert_int_equal(store_get(s, key, &buf, &len, 4 * 1048576), 0);
			assert_int_equal(len, sizes[k]);
			assert_memory_equal(buf, src + unaligned, sizes[k]);
			free(buf);
		}
	}
	assert_int_equal(store_sync(s), 0);
	free(src);
	store_close(s);
	free(url);
}

/*
 * One store_buf through many gets (a restore worker's): each object reads
 * back byte for byte, the buffer is kept once it is large enough (the
 * point of it), a missing key leaves it as it was, and a buffer from the
 * generic path (the in-memory store: a store_get's) serves file:// too.
 */
static void
test_get_buf_reuses(void **state)
{
	char *url = xasprintf("file://%s/s4", dir);
	struct store *s = store_open(url, 1, NULL), *m = store_mem_new("mem://getbuf");
	const size_t sizes[] = { 1048576 + 17, 200000, 65537, 65535, 100, 131072, 1048576 };
	uint8_t *src = xmalloc(2 * 1048576);
	struct store_buf b = { NULL, 0 };
	void *kept = NULL;
	size_t len = 0;

	(void)state;
	assert_non_null(s);
	for (size_t i = 0; i < 2 * 1048576; i++)
		src[i] = (uint8_t)(i * 2654435761u >> 11);
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		char key[64];

		snprintf(key, sizeof(key), "chunks/%02zx/%zu", k, sizes[k]);
		assert_int_equal(store_put(s, key, src + k, sizes[k], STORE_IF_ABSENT), 0);
		assert_int_equal(store_put(m, key, src + k, sizes[k], STORE_IF_ABSENT), 0);
	}
	for (int round = 0; round < 2; round++) {
		for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
			char key[64];

			snprintf(key, sizeof(key), "chunks/%02zx/%zu", k, sizes[k]);
			/* The in-memory store's buffer first, then file:// on it. */
			assert_int_equal(store_get_buf(m, key, &b, &len, 4 * 1048576), 0);
			assert_int_equal(len, sizes[k]);
			assert_memory_equal(b.p, src + k, sizes[k]);
			assert_int_equal(store_get_buf(s, key, &b, &len, 4 * 1048576), 0);
			assert_int_equal(len, sizes[k]);
			assert_memory_equal(b.p, src + k, sizes[k]);
		}
	}
	/* file:// alone: the first (largest) object's buffer serves them all. */
	store_buf_free(&b);
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		char key[64];

		snprintf(key, sizeof(key), "chunks/%02zx/%zu", k, sizes[k]);
		assert_int_equal(store_get_buf(s, key, &b, &len, 4 * 1048576), 0);
		assert_memory_equal(b.p, src + k, sizes[k]);
		if (k == 0)
			kept = b.p;
		assert_ptr_equal(b.p, kept);
	}
	assert_int_equal(store_get_buf(s, "chunks/ff/missing", &b, &len, 4 * 1048576), VV_NOT_FOUND);
	assert_ptr_equal(b.p, kept);
	/* Larger than the cap: an error, the buffer still B's. */
	assert_int_equal(store_get_buf(s, "chunks/00/1048593", &b, &len, 4096), -1);
	assert_ptr_equal(b.p, kept);
	store_buf_free(&b);
	assert_null(b.p);
	free(src);
	store_close(m);
	store_close(s);
	free(url);
}

TMPDIR_FIXTURES(dir)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_direct_sizes),
		cmocka_unit_test(test_get_buf_reuses),
	};

	return cmocka_run_group_tests_name("store_io", tests, setup, teardown);
}
