/*
 * Changed-block tracking's pure part: parsing qemu-img's map, the map's
 * encoding, and the rule deciding which chunks of a qcow2 file need no
 * reading, against brute force on random maps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agent/cbtmap.h"
#include "agent/qimg.h"

#define KiB 1024ULL
#define MiB (1024 * KiB)

static void
test_parse(void **state)
{
	const char *text =
	    "[{ \"start\": 0, \"length\": 65536, \"depth\": 0, \"present\": true, \"zero\": false, \"data\": true, \"offset\": 327680},\n"
	    "{ \"start\": 65536, \"length\": 65536, \"depth\": 0, \"present\": true, \"zero\": false, \"data\": true, \"offset\": 393216},\n"
	    "{ \"start\": 131072, \"length\": 65536, \"depth\": 1, \"present\": true, \"zero\": false, \"data\": true, \"offset\": 5000},\n"
	    "{ \"start\": 196608, \"length\": 65536, \"depth\": 0, \"present\": false, \"zero\": true, \"data\": false},\n"
	    "{ \"start\": 262144, \"length\": 65536, \"depth\": 0, \"present\": true, \"zero\": false, \"data\": true, \"compressed\": true},\n"
	    "{ \"start\": 327680, \"length\": 131072, \"depth\": 0, \"present\": true, \"zero\": false, \"data\": true, \"offset\": 65536}]\n";
	struct cbt_map m = { 0 }, d = { 0 };
	char err[128], a[65], b[65];
	uint8_t *buf;
	size_t len;

	(void)state;
	assert_int_equal(cbt_map_parse(text, &m, err, sizeof(err)), 0);
	/* Two adjacent extents merged; backing-file and compressed ones left out. */
	assert_int_equal(m.n, 2);
	assert_true(m.v[0].start == 0 && m.v[0].len == 131072 && m.v[0].offset == 327680);
	assert_true(m.v[1].start == 327680 && m.v[1].len == 131072 && m.v[1].offset == 65536);
	m.virtual_size = 1 * MiB;
	m.file_size = 512 * KiB;
	buf = cbt_map_encode(&m, &len);
	assert_int_equal(cbt_map_decode(buf, len, &d, err, sizeof(err)), 0);
	cbt_map_digest(&m, a);
	cbt_map_digest(&d, b);
	assert_string_equal(a, b);
	cbt_map_clear(&d);
	assert_int_equal(cbt_map_decode(buf, len - 1, &d, err, sizeof(err)), -1);
	free(buf);
	cbt_map_clear(&d);
	cbt_map_clear(&m);
	assert_int_equal(cbt_map_parse("{}", &m, err, sizeof(err)), -1);
	assert_int_equal(cbt_map_parse("[{\"start\": 5, \"length\": 1, \"depth\": 0},{\"start\": 0, \"length\": 1, \"depth\": 0}]",
	    &m, err, sizeof(err)), -1);
}

static void
test_bitmaps_parse(void **state)
{
	const char *text = "{ \"virtual-size\": 67108864, \"format\": \"qcow2\", \"format-specific\": { \"type\": \"qcow2\", \"data\": {"
	    " \"bitmaps\": [ { \"flags\": [ \"auto\" ], \"name\": \"a\", \"granularity\": 65536 },"
	    " { \"flags\": [ \"in-use\", \"auto\" ], \"name\": \"b\", \"granularity\": 65536 } ] } } }";
	struct strlist names = { 0 }, flags = { 0 };
	uint64_t vs = 0;
	char err[128];

	(void)state;
	assert_int_equal(qimg_bitmaps_parse(text, &vs, &names, &flags, err, sizeof(err)), 0);
	assert_true(vs == 64 * MiB);
	assert_int_equal(names.n, 2);
	assert_string_equal(flags.v[0], "auto");
	assert_string_equal(flags.v[1], "in-use,auto");
	strlist_clear(&names);
	strlist_clear(&flags);
}

/* Brute force: host byte H is "good" when a clean guest byte of NEW maps to
 * it and OLD maps that guest byte to the same place. */
static int
good_byte(const struct cbt_map *old, const struct cbt_map *new, const struct cbt_ranges *dirty,
    uint64_t h)
{
	for (size_t i = 0; i < new->n; i++) {
		const struct cbt_extent *e = &new->v[i];
		uint64_t g;

		if (h < e->offset || h >= e->offset + e->len)
			continue;
		g = e->start + (h - e->offset);
		for (size_t k = 0; k < dirty->n; k++)
			if (g >= dirty->v[k].start && g < dirty->v[k].start + dirty->v[k].len)
				return 0;
		for (size_t k = 0; k < old->n; k++) {
			const struct cbt_extent *o = &old->v[k];

			if (g >= o->start && g < o->start + o->len)
				return o->offset + (g - o->start) == h;
		}
		return 0;
	}
	return 0;
}

/* A random qcow2-like map: CL-sized clusters at random free host places. */
static void
random_map(struct cbt_map *m, uint64_t clusters, uint64_t cl, uint64_t host_clusters,
    const struct cbt_map *like, unsigned moves)
{
	uint8_t *used = calloc(host_clusters, 1);

	m->v = calloc(clusters, sizeof(*m->v));
	m->n = 0;
	for (uint64_t c = 0; c < clusters; c++) {
		uint64_t h = 0;
		int keep = 0;

		if (like != NULL) {
			for (size_t k = 0; k < like->n; k++)
				if (like->v[k].start == c * cl) {
					h = like->v[k].offset / cl;
					keep = (unsigned)rand() % 100 >= moves;
					break;
				}
		}
		if (!keep && rand() % 3 == 0)
			continue;	/* unallocated */
		if (!keep) {
			/* Mostly the next free cluster, as qcow2 allocates;
			 * now and then anywhere. */
			if (rand() % 8 == 0)
				h = 1 + (uint64_t)rand() % (host_clusters - 1);
			else
				for (h = 1 + (uint64_t)(rand() % 3); h < host_clusters - 1 && used[h]; h++)
					;
			if (used[h])
				continue;
		}
		if (used[h])
			continue;
		used[h] = 1;
		m->v[m->n].start = c * cl;
		m->v[m->n].len = cl;
		m->v[m->n].offset = h * cl;
		m->n++;
	}
	m->virtual_size = clusters * cl;
	free(used);
}

static void
test_plan_random(void **state)
{
	const uint64_t cl = 4 * KiB, clusters = 96, host = 160;
	const uint32_t cs = 16 * KiB;

	uint64_t skipped = 0, read = 0;

	(void)state;
	srand(7);
	for (int round = 0; round < 300; round++) {
		struct cbt_map old = { 0 }, new = { 0 };
		struct cbt_ranges dirty = { 0 };
		uint64_t count, marked, expect = 0;
		uint8_t *skip;

		random_map(&old, clusters, cl, host, NULL, 0);
		random_map(&new, clusters, cl, host, &old, (unsigned)(rand() % 15));
		old.file_size = (host - (uint64_t)(rand() % 40)) * cl - (uint64_t)(rand() % 3) * 512;
		new.file_size = round % 5 == 0 ? old.file_size : host * cl - (uint64_t)(rand() % 2) * 1000;
		for (uint64_t g = 0; g < clusters * cl; g += 512)
			if (rand() % 600 == 0)
				cbt_ranges_add(&dirty, g, 512 * (1 + (uint64_t)(rand() % 12)));
		count = (new.file_size + cs - 1) / cs;
		skip = calloc(count, 1);
		marked = cbt_plan(&old, &new, &dirty, cs, skip, count);
		for (uint64_t c = 0; c < count; c++) {
			uint64_t a = c * cs, b = a + cs < new.file_size ? a + cs : new.file_size;
			uint64_t ob = a + cs < old.file_size ? a + cs : old.file_size;
			int want = b <= old.file_size && ob == b;

			for (uint64_t h = a; want && h < b; h += 512)
				want = good_byte(&old, &new, &dirty, h);
			assert_int_equal(skip[c], want);
			if (want)
				expect += b - a;
			skipped += want;
			read += !want;
		}
		assert_true(marked == expect);
		free(skip);
		cbt_ranges_clear(&dirty);
		cbt_map_clear(&old);
		cbt_map_clear(&new);
	}
	/* The cases cover both outcomes plenty. */
	assert_true(skipped > 500 && read > 500);
}

static void
test_plan_cases(void **state)
{
	struct cbt_extent ov[] = { { 0, 64 * KiB, 64 * KiB } };
	struct cbt_extent nv[] = { { 0, 64 * KiB, 64 * KiB } };
	struct cbt_map old = { 1 * MiB, 128 * KiB, ov, 1 }, new = { 1 * MiB, 128 * KiB, nv, 1 };
	struct cbt_ranges dirty = { 0 };
	uint8_t skip[8];

	(void)state;
	/* 16 KiB chunks: the first 4 hold the header and tables, the next 4 data. */
	assert_true(cbt_plan(&old, &new, &dirty, 16 * KiB, skip, 8) == 64 * KiB);
	assert_memory_equal(skip, "\0\0\0\0\1\1\1\1", 8);
	/* One dirty byte range: its chunk is read. */
	cbt_ranges_add(&dirty, 20 * KiB, 100);
	cbt_plan(&old, &new, &dirty, 16 * KiB, skip, 8);
	assert_memory_equal(skip, "\0\0\0\0\1\0\1\1", 8);
	/* The cluster moved: everything is read. */
	nv[0].offset = 0;
	new.v = nv;
	cbt_ranges_clear(&dirty);
	cbt_plan(&old, &new, &dirty, 16 * KiB, skip, 8);
	assert_memory_equal(skip, "\0\0\0\0\0\0\0\0", 8);
	/* The file grew: past the old end nothing is skipped. */
	nv[0].offset = 64 * KiB;
	old.file_size = 96 * KiB;
	cbt_plan(&old, &new, &dirty, 16 * KiB, skip, 8);
	assert_memory_equal(skip, "\0\0\0\0\1\1\0\0", 8);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_bitmaps_parse),
		cmocka_unit_test(test_plan_cases),
		cmocka_unit_test(test_plan_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
