#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "repo/index.h"

static void
test_round_trip(void **state)
{
	static const struct {
		uint64_t size;
		uint32_t cs;
		uint64_t count;
	} cases[] = {
		{ 0, 1 << 20, 0 }, { 1, 1 << 20, 1 }, { 1 << 20, 1 << 20, 1 },
		{ (1 << 20) + 1, 1 << 20, 2 }, { 10ULL << 30, 16 << 20, 640 },
		{ 1000, 256 << 10, 1 },
	};

	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct index ix = { 0 }, back = { 0 };
		uint8_t *buf;
		size_t len;
		char err[160];

		ix.chunk_size = cases[c].cs;
		ix.file_size = cases[c].size;
		ix.count = index_count(ix.file_size, ix.chunk_size);
		assert_int_equal(ix.count, cases[c].count);
		ix.ids = xcalloc(ix.count + 1, CRYPTO_HASH_LEN);
		for (uint64_t i = 0; i < ix.count; i++)
			memset(ix.ids[i], (int)(i % 7), CRYPTO_HASH_LEN);	/* 0: zero chunk */
		buf = index_encode(&ix, &len);
		assert_int_equal(len, INDEX_HEADER_LEN + ix.count * CRYPTO_HASH_LEN);
		assert_int_equal(index_decode(buf, len, &back, err, sizeof(err)), 0);
		assert_int_equal(back.count, ix.count);
		assert_int_equal(back.file_size, ix.file_size);
		assert_int_equal(back.chunk_size, ix.chunk_size);
		assert_memory_equal(back.ids, ix.ids, ix.count * CRYPTO_HASH_LEN);
		index_clear(&back);
		/* Truncated by one byte or one entry: refused. */
		if (len > INDEX_HEADER_LEN) {
			assert_int_equal(index_decode(buf, len - 1, &back, err, sizeof(err)), -1);
			assert_int_equal(index_decode(buf, len - CRYPTO_HASH_LEN, &back, err, sizeof(err)), -1);
		}
		assert_int_equal(index_decode(buf, INDEX_HEADER_LEN - 1, &back, err, sizeof(err)), -1);
		index_clear(&back);
		index_clear(&ix);
		free(buf);
	}
}

static void
test_inconsistent(void **state)
{
	struct index ix = { 0 }, back;
	uint8_t *buf;
	size_t len;
	char err[160];

	(void)state;
	ix.chunk_size = 1 << 20;
	ix.file_size = 3 << 20;
	ix.count = 3;
	ix.ids = xcalloc(3, CRYPTO_HASH_LEN);
	buf = index_encode(&ix, &len);
	buf[8] = 1;	/* the file size no longer matches the count */
	assert_int_equal(index_decode(buf, len, &back, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "do not cover"));
	buf[8] = 0;
	buf[5] = 0x11;	/* not a power of two */
	assert_int_equal(index_decode(buf, len, &back, err, sizeof(err)), -1);
	buf[5] = 0;
	buf[0] = 'X';
	assert_int_equal(index_decode(buf, len, &back, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not an index"));
	free(buf);
	index_clear(&ix);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_inconsistent),
	};

	return cmocka_run_group_tests_name("index", tests, NULL, NULL);
}
