/*
 * Patches (repository format 3) end to end over the in-memory store: a
 * nightly with a fine plan reads only the changed units of a changed
 * chunk and stores them as a patch of the reference's chunk; restore,
 * verify --deep and the consistency check see the same bytes; a chunk
 * changed too much, or patched too often, is read whole; --check-cbt
 * catches a fine plan that calls a changed unit unchanged.
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
#include "repo/fetch.h"
#include "repo/restore.h"
#include "repo/verify.h"
#include "tests/fakes/memrepo.h"
#include "tests/fakes/tmpdir.h"

static char dir[] = "/tmp/vv-test-patch.XXXXXX";
static const time_t t0 = 1795564800;	/* 2026-11-25T00:00:00Z */

enum { CS = 65536, GRAIN = 4096, CHUNKS = 4, SIZE = CS * CHUNKS, UNITS = SIZE / GRAIN };

struct bed {
	struct conf c;
	struct repo *r;
	char *path;
	uint8_t data[SIZE];
	int night;
};

static void
write_image(struct bed *b)
{
	int fd = open(b->path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, b->data, SIZE), SIZE);
	close(fd);
}

static void
bed_init_format(struct bed *b, int version)
{
	uint32_t x = 12345;

	memset(b, 0, sizeof(*b));
	memrepo_conf(&b->c, NULL);
	b->c.chunk_size = CS;
	b->r = memrepo_new_format(&b->c, version);
	assert_non_null(b->r);
	assert_int_equal(repo_version(b->r), version);
	for (size_t i = 0; i < SIZE; i++) {
		x = x * 1103515245u + 12345u;
		b->data[i] = (uint8_t)(x >> 16);
	}
	b->path = xasprintf("%s/disk.raw", dir);
	write_image(b);
}

static void
bed_init(struct bed *b)
{
	bed_init_format(b, 3);
}

static void
bed_clear(struct bed *b)
{
	repo_close(b->r);
	free(b->path);
}

/* Unit K of the image changed (new bytes). */
static void
change_unit(struct bed *b, size_t k)
{
	for (size_t i = 0; i < GRAIN; i++)
		b->data[k * GRAIN + i] ^= (uint8_t)(0x5a + b->night + i);
}

/* The newest snapshot of "vm" and its index. */
static struct manifest *
latest(struct bed *b, struct index *ix)
{
	struct manifest *m = NULL;
	char err[200];

	assert_int_equal(manifest_find(b->r, "vm@latest", &m, err, sizeof(err)), 0);
	if (ix != NULL)
		assert_int_equal(fetch_index(b->r, m, &m->files[0], ix), 0);
	return m;
}

/*
 * Back the image up as the next night's snapshot: with the plan that the
 * units in CHANGED (N of them) changed since the newest (ref NULL: a full
 * read); LIE: a unit to call unchanged although it changed. Its figures
 * into *ST. Returns what the backup returned.
 */
static int
nightly(struct bed *b, const size_t *changed, size_t n, bool check, long lie,
    struct backup_stats *st)
{
	struct index ref = { 0 };
	struct manifest *m = NULL;
	uint8_t skip[CHUNKS], fine[UNITS];
	struct backup_reuse u = { 0 };
	struct backup *bk;
	int rc = -1;

	write_image(b);
	if (changed != NULL) {
		m = latest(b, &ref);
		memset(fine, 1, sizeof(fine));
		memset(skip, 1, sizeof(skip));
		for (size_t i = 0; i < n; i++) {
			fine[changed[i]] = changed[i] == (size_t)lie;
			skip[changed[i] * GRAIN / CS] = 0;
		}
		u = (struct backup_reuse){ &ref, skip, CHUNKS, check, "test plan", fine, UNITS, GRAIN };
	}
	bk = backup_new(b->r, "vm");
	assert_non_null(bk);
	backup_set_time(bk, t0 + 86400 * b->night++);
	if (backup_add_file_reuse(bk, b->path, "disk.raw", NULL, changed ? &u : NULL, NULL) == 0 &&
	    backup_commit(bk) == 0)
		rc = 0;
	*st = *backup_stats(bk);
	backup_free(bk);
	index_clear(&ref);
	manifest_free(m);
	return rc;
}

/* The newest snapshot restores to the image's bytes and verifies deep. */
static void
restores_identical(struct bed *b)
{
	struct manifest *m = latest(b, NULL);
	struct strlist only = { 0 };
	struct verify_opts vo = { .deep = true };
	struct verify_result res;
	char *out = xasprintf("%s/out", dir), *file = xasprintf("%s/out/disk.raw", dir), why[300];
	uint8_t *got = xmalloc(SIZE);
	int fd;

	mkdir(out, 0700);
	assert_int_equal(restore_files(b->r, m, out, &only, true, NULL, NULL, NULL), 0);
	fd = open(file, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, got, SIZE), SIZE);
	close(fd);
	assert_memory_equal(got, b->data, SIZE);
	assert_int_equal(verify_snapshots(b->r, &m, 1, &vo, &res, NULL), 0);
	free(res.broken);
	free(res.per);
	assert_int_equal(memrepo_check(b->r, why, sizeof(why)), 0);
	manifest_free(m);
	free(got);
	free(out);
	free(file);
}

/* A nightly reads only the changed units and stores them as patches. */
static void
test_patch_nightly_reads_changed_units(void **state)
{
	static const size_t night1[] = { 1, 2, 2 * CS / GRAIN + 15 }, night2[] = { 3 };
	struct bed b;
	struct backup_stats st;
	struct index ix = { 0 };
	struct manifest *m;
	const struct index_patch *p;

	(void)state;
	bed_init(&b);
	assert_int_equal(nightly(&b, NULL, 0, false, -1, &st), 0);
	assert_int_equal(st.bytes_read, SIZE);
	for (size_t i = 0; i < 3; i++)
		change_unit(&b, night1[i]);
	assert_int_equal(nightly(&b, night1, 3, false, -1, &st), 0);
	assert_int_equal(st.bytes_read, 3 * GRAIN);	/* not the 2 chunks they lie in */
	assert_int_equal(st.chunks_patched, 2);
	m = latest(&b, &ix);
	assert_int_equal(ix.npatches, 2);
	assert_int_equal(index_slot_patches(&ix, 0, &p), 1);
	assert_int_equal(index_slot_patches(&ix, 2, &p), 1);
	assert_int_equal(m->files[0].bytes_skipped, SIZE - 3 * GRAIN);
	index_clear(&ix);
	manifest_free(m);
	restores_identical(&b);
	/* A second patch on chunk 0, applied after the first. */
	change_unit(&b, night2[0]);
	assert_int_equal(nightly(&b, night2, 1, false, -1, &st), 0);
	assert_int_equal(st.bytes_read, GRAIN);
	m = latest(&b, &ix);
	assert_int_equal(index_slot_patches(&ix, 0, &p), 2);
	assert_int_equal(ix.npatches, 3);
	index_clear(&ix);
	manifest_free(m);
	restores_identical(&b);
	/* The same unit changed again: the later patch wins. */
	change_unit(&b, night2[0]);
	assert_int_equal(nightly(&b, night2, 1, false, -1, &st), 0);
	restores_identical(&b);
	bed_clear(&b);
}

/* More than half a chunk changed, or too many patches: read whole. */
static void
test_patch_limits_read_whole(void **state)
{
	size_t half[CS / GRAIN / 2 + 1];
	struct bed b;
	struct backup_stats st;
	struct index ix = { 0 };
	struct manifest *m;
	const struct index_patch *p;

	(void)state;
	bed_init(&b);
	assert_int_equal(nightly(&b, NULL, 0, false, -1, &st), 0);
	for (size_t i = 0; i < sizeof(half) / sizeof(half[0]); i++) {
		half[i] = CS / GRAIN + i;	/* chunk 1, just over half of it */
		change_unit(&b, half[i]);
	}
	assert_int_equal(nightly(&b, half, sizeof(half) / sizeof(half[0]), false, -1, &st), 0);
	assert_int_equal(st.bytes_read, CS);
	m = latest(&b, &ix);
	assert_int_equal(ix.npatches, 0);
	index_clear(&ix);
	manifest_free(m);
	restores_identical(&b);
	/* Night after night on chunk 3: at most BACKUP_MAX_PATCHES, then whole. */
	for (int k = 0; k <= BACKUP_MAX_PATCHES; k++) {
		size_t u = 3 * CS / GRAIN + (size_t)k % 4;

		change_unit(&b, u);
		assert_int_equal(nightly(&b, &u, 1, false, -1, &st), 0);
		m = latest(&b, &ix);
		assert_int_equal(index_slot_patches(&ix, 3, &p),
		    k < BACKUP_MAX_PATCHES ? (size_t)k + 1 : 0);
		assert_int_equal(st.bytes_read, k < BACKUP_MAX_PATCHES ? GRAIN : CS);
		index_clear(&ix);
		manifest_free(m);
	}
	restores_identical(&b);
	bed_clear(&b);
}

/* --check-cbt reads whole and catches a fine plan that lies by one unit. */
static void
test_patch_check_catches_lying_plan(void **state)
{
	static const size_t ch[] = { 5, 6 };
	struct bed b;
	struct backup_stats st;
	int rc;

	(void)state;
	bed_init(&b);
	assert_int_equal(nightly(&b, NULL, 0, false, -1, &st), 0);
	change_unit(&b, 2);
	assert_int_equal(nightly(&b, &(size_t){ 2 }, 1, false, -1, &st), 0);
	change_unit(&b, 5);
	change_unit(&b, 6);
	/* Truthful: read whole, compared with the patched reference, stored. */
	assert_int_equal(nightly(&b, ch, 2, true, -1, &st), 0);
	assert_int_equal(st.bytes_read, SIZE);
	restores_identical(&b);
	change_unit(&b, 5);
	change_unit(&b, 6);
	memrepo_quiet();
	rc = nightly(&b, ch, 2, true, 6, &st);
	memrepo_loud();
	assert_int_equal(rc, -1);
	bed_clear(&b);
}

/* A repository of format 2 gets no patches: hosts before format 3 read it. */
static void
test_patch_none_in_format_2(void **state)
{
	static const size_t ch[] = { 1, 2 * CS / GRAIN + 3 };
	struct bed b;
	struct backup_stats st;
	struct index ix = { 0 };
	struct manifest *m;
	uint8_t *buf;
	size_t len;

	(void)state;
	bed_init_format(&b, 2);
	assert_int_equal(nightly(&b, NULL, 0, false, -1, &st), 0);
	change_unit(&b, ch[0]);
	change_unit(&b, ch[1]);
	assert_int_equal(nightly(&b, ch, 2, false, -1, &st), 0);
	assert_int_equal(st.bytes_read, 2 * CS);	/* the two chunks, whole */
	assert_int_equal(st.chunks_patched, 0);
	m = latest(&b, &ix);
	assert_int_equal(ix.npatches, 0);
	buf = index_encode(&ix, &len);
	assert_memory_equal(buf, "VVI1", 4);
	free(buf);
	index_clear(&ix);
	manifest_free(m);
	restores_identical(&b);
	bed_clear(&b);
}

TMPDIR_FIXTURES(dir)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_patch_nightly_reads_changed_units),
		cmocka_unit_test(test_patch_limits_read_whole),
		cmocka_unit_test(test_patch_check_catches_lying_plan),
		cmocka_unit_test(test_patch_none_in_format_2),
	};

	return cmocka_run_group_tests_name("patch", tests, setup, teardown);
}
