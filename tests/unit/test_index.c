#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "repo/index.h"
#include "repo/patch.h"

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

/* A patched index: its encoding "VVI2", decoded back, slots looked up. */
static void
test_patched_round_trip(void **state)
{
	struct index ix = { 0 }, back = { 0 }, plain = { 0 };
	const struct index_patch *first;
	uint8_t *buf, *pbuf;
	size_t len, plen;
	char err[160], d1[65], d2[65];

	(void)state;
	ix.chunk_size = 1 << 20;
	ix.file_size = 5 << 20;
	ix.count = 5;
	ix.ids = xcalloc(5, CRYPTO_HASH_LEN);
	memset(ix.ids[1], 1, CRYPTO_HASH_LEN);
	memset(ix.ids[3], 3, CRYPTO_HASH_LEN);
	/* Chunk 0 (a zero base) has one patch, chunk 3 two, in this order. */
	ix.npatches = 3;
	ix.patches = xcalloc(3, sizeof(*ix.patches));
	ix.patches[0].slot = 0;
	memset(ix.patches[0].id, 0xa0, CRYPTO_HASH_LEN);
	ix.patches[1].slot = 3;
	memset(ix.patches[1].id, 0xb0, CRYPTO_HASH_LEN);
	ix.patches[2].slot = 3;
	memset(ix.patches[2].id, 0xb1, CRYPTO_HASH_LEN);
	buf = index_encode(&ix, &len);
	assert_memory_equal(buf, "VVI2", 4);
	assert_int_equal(len, INDEX_PATCHED_HEADER_LEN + 5 * CRYPTO_HASH_LEN + 3 * 40);
	assert_int_equal(index_decode(buf, len, &back, err, sizeof(err)), 0);
	assert_int_equal(back.npatches, 3);
	assert_memory_equal(back.patches, ix.patches, 3 * sizeof(*ix.patches));
	assert_int_equal(index_slot_patches(&back, 0, &first), 1);
	assert_int_equal(first->id[0], 0xa0);
	assert_int_equal(index_slot_patches(&back, 1, &first), 0);
	assert_null(first);
	assert_int_equal(index_slot_patches(&back, 3, &first), 2);
	assert_int_equal(first[0].id[0], 0xb0);
	assert_int_equal(first[1].id[0], 0xb1);
	assert_int_equal(index_slot_patches(&back, 4, &first), 0);
	index_clear(&back);
	/* The digest covers the patches: the same IDs without them differ,
	 * and an index without patches is "VVI1" as format 2 wrote it. */
	plain = ix;
	plain.npatches = 0;
	plain.patches = NULL;
	index_digest(&ix, d1);
	index_digest(&plain, d2);
	assert_string_not_equal(d1, d2);
	pbuf = index_encode(&plain, &plen);
	assert_memory_equal(pbuf, "VVI1", 4);
	assert_int_equal(plen, INDEX_HEADER_LEN + 5 * CRYPTO_HASH_LEN);
	free(pbuf);
	/* Truncated, a patch beyond the file, out of order, or zero: refused. */
	assert_int_equal(index_decode(buf, len - 1, &back, err, sizeof(err)), -1);
	assert_int_equal(index_decode(buf, len - 40, &back, err, sizeof(err)), -1);
	buf[len - 40] = 9;	/* the last patch's slot: 9 of 5 chunks */
	assert_int_equal(index_decode(buf, len, &back, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "patch 2"));
	buf[len - 40] = 0;	/* slot 0 after slot 3 */
	assert_int_equal(index_decode(buf, len, &back, err, sizeof(err)), -1);
	buf[len - 40] = 3;
	memset(buf + len - 32, 0, 32);	/* a zero patch ID */
	assert_int_equal(index_decode(buf, len, &back, err, sizeof(err)), -1);
	free(buf);
	index_clear(&ix);
}

/* More patches on one chunk than a reader accepts: refused. */
static void
test_patched_too_many(void **state)
{
	struct index ix = { 0 }, back;
	uint8_t *buf;
	size_t len;
	char err[160];

	(void)state;
	ix.chunk_size = 1 << 20;
	ix.file_size = 1 << 20;
	ix.count = 1;
	ix.ids = xcalloc(1, CRYPTO_HASH_LEN);
	ix.npatches = INDEX_MAX_SLOT_PATCHES + 1;
	ix.patches = xcalloc(ix.npatches, sizeof(*ix.patches));
	for (uint64_t i = 0; i < ix.npatches; i++)
		memset(ix.patches[i].id, (int)i + 1, CRYPTO_HASH_LEN);
	buf = index_encode(&ix, &len);
	assert_int_equal(index_decode(buf, len, &back, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "more than"));
	free(buf);
	ix.npatches--;
	buf = index_encode(&ix, &len);
	assert_int_equal(index_decode(buf, len, &back, err, sizeof(err)), 0);
	index_clear(&back);
	free(buf);
	index_clear(&ix);
}

/* A patch carries its ranges and writes exactly them. */
static void
test_patch_apply(void **state)
{
	enum { CL = 1 << 16 };
	const struct patch_range r[] = { { 0, CL }, { 3 * CL, 2 * CL }, { 15 * CL, CL - 100 } };
	uint8_t *newc = xmalloc(16 * CL), *old = xmalloc(16 * CL), *p;
	size_t len;
	char err[200];

	(void)state;
	for (size_t i = 0; i < 16 * CL; i++) {
		newc[i] = (uint8_t)(i * 7 + 1);
		old[i] = (uint8_t)(i * 3);
	}
	p = patch_encode(r, 3, newc, 16 * CL, &len);
	assert_int_equal(len, PATCH_HEADER_LEN + 3 * 8 + 4 * CL - 100);
	assert_int_equal(patch_bytes(p, len), 4 * CL - 100);
	assert_true(len <= patch_max_len(16 * CL, CL));
	assert_int_equal(patch_apply(p, len, old, 16 * CL, err, sizeof(err)), 0);
	assert_memory_equal(old, newc, CL);
	assert_memory_not_equal(old + CL, newc + CL, 2 * CL);
	assert_memory_equal(old + 3 * CL, newc + 3 * CL, 2 * CL);
	assert_memory_equal(old + 15 * CL, newc + 15 * CL, CL - 100);
	assert_memory_not_equal(old + 16 * CL - 100, newc + 16 * CL - 100, 100);
	/* Too short a chunk for its ranges, truncated, or overlapping: refused. */
	assert_int_equal(patch_apply(p, len, old, 15 * CL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "outside the chunk"));
	assert_int_equal(patch_apply(p, len - 1, old, 16 * CL, err, sizeof(err)), -1);
	p[PATCH_HEADER_LEN + 8] = 0;	/* range 1 at offset 2*CL ... */
	p[PATCH_HEADER_LEN + 9] = 0;
	p[PATCH_HEADER_LEN + 10] = 0;	/* ... now at 0: overlaps range 0 */
	assert_int_equal(patch_apply(p, len, old, 16 * CL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "overlaps"));
	memcpy(p, "VVPX", 4);
	assert_int_equal(patch_apply(p, len, old, 16 * CL, err, sizeof(err)), -1);
	assert_int_equal(patch_bytes(p, len), 0);
	free(p);
	free(old);
	free(newc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_inconsistent),
		cmocka_unit_test(test_patched_round_trip),
		cmocka_unit_test(test_patched_too_many),
		cmocka_unit_test(test_patch_apply),
	};

	return cmocka_run_group_tests_name("index", tests, NULL, NULL);
}
