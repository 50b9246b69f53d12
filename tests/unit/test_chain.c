/*
 * check-chain against the fake hypervisor and real files in a temporary
 * folder: each problem it must find, and silence on a healthy domain.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/chain.h"
#include "state/journal.h"
#include "tests/fakes/hv_fake.h"
#include "tests/fakes/tmpdir.h"

static char dir[] = "/tmp/vv-test-chain.XXXXXX";

static void
touch(const char *name)
{
	char *p = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(p, "w");

	assert_non_null(f);
	fclose(f);
	free(p);
}

static void
rm(const char *name)
{
	char *p = xasprintf("%s/%s", dir, name);

	unlink(p);
	free(p);
}

/* A running domain whose vda is ACTIVE (backed by base.qcow2 when given). */
static char *
domain_xml(const char *active, bool backing)
{
	char *bs = backing ? xasprintf("<backingStore type='file'><format type='qcow2'/>"
	    "<source file='%s/base.qcow2'/><backingStore/></backingStore>", dir) :
	    xstrdup("<backingStore/>");
	char *xml = xasprintf(
	    "<domain type='qemu'><name>d1</name><devices>"
	    "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
	    "<source file='%s/%s'/>%s<target dev='vda' bus='virtio'/></disk>"
	    "<disk type='file' device='disk'><driver name='qemu' type='raw'/>"
	    "<source file='%s/raw.img'/><backingStore/><target dev='vdb' bus='virtio'/></disk>"
	    "<disk type='file' device='cdrom'><target dev='sda' bus='sata'/><readonly/></disk>"
	    "</devices></domain>",
	    dir, active, bs, dir);

	free(bs);
	return xml;
}

static struct hv *
fake_with(const char *active, bool backing)
{
	struct hv *hv = hv_fake_new();
	char *xml = domain_xml(active, backing);

	hv_fake_add_domain(hv, "d1", HV_STATE_RUNNING, xml);
	free(xml);
	return hv;
}

static void
expect(struct hv *hv, size_t n, const char *needle)
{
	struct strlist problems = { 0 };

	assert_int_equal(chain_check(hv, dir, "", "d1", &problems), 0);
	if (problems.n != n || (needle && (n == 0 || strstr(problems.v[0], needle) == NULL))) {
		for (size_t i = 0; i < problems.n; i++)
			print_message("  problem: %s\n", problems.v[i]);
		fail_msg("want %zu problems, the first with '%s'", n, needle ? needle : "");
	}
	strlist_clear(&problems);
}

static void
test_healthy(void **state)
{
	struct hv *hv = fake_with("base.qcow2", false);

	(void)state;
	expect(hv, 0, NULL);
	hv_close(hv);
}

static void
test_missing_images(void **state)
{
	struct hv *hv = fake_with("top.qcow2", true);

	(void)state;
	touch("top.qcow2");
	rm("base.qcow2");
	expect(hv, 1, "disk vda: image");
	expect(hv, 1, "base.qcow2 (backing file of");
	rm("top.qcow2");
	expect(hv, 2, "disk vda: active image");
	touch("base.qcow2");
	hv_close(hv);
}

static void
test_our_overlay_active(void **state)
{
	struct hv *hv = fake_with("base.qcow2.virtvault-overlay-S1", true);

	(void)state;
	touch("base.qcow2.virtvault-overlay-S1");
	expect(hv, 1, "disk vda: runs on");
	expect(hv, 1, "is a virtvault overlay left by an interrupted backup");
	rm("base.qcow2.virtvault-overlay-S1");
	hv_close(hv);
}

static void
test_stray_overlay_file(void **state)
{
	struct hv *hv = fake_with("base.qcow2", false);

	(void)state;
	touch("base.qcow2.virtvault-overlay-S2");
	expect(hv, 1, "leftover overlay file");
	rm("base.qcow2.virtvault-overlay-S2");
	/* Someone else's file of a similar name is not ours. */
	touch("base.qcow2.bak");
	expect(hv, 0, NULL);
	rm("base.qcow2.bak");
	hv_close(hv);
}

static void
test_block_job(void **state)
{
	struct hv *hv = fake_with("base.qcow2", false);

	(void)state;
	hv_fake_set_block_job(hv, "d1", "vdb", "active commit");
	expect(hv, 1, "disk vdb: a block job is running (active commit, 50 of 100)");
	hv_close(hv);
}

static void
test_snapshots(void **state)
{
	struct hv *hv = fake_with("base.snap1", true);
	char *snap;

	(void)state;
	touch("base.snap1");
	snap = xasprintf("<domainsnapshot><name>snap1</name><disks>"
	    "<disk name='vda' snapshot='external' type='file'><source file='%s/base.snap1'/></disk>"
	    "</disks></domainsnapshot>", dir);
	hv_fake_add_snapshot(hv, "d1", snap);
	free(snap);
	expect(hv, 1, "disk vda: runs on overlay");
	hv_fake_add_snapshot(hv, "d1",
	    "<domainsnapshot><name>virtvault-S3</name><disks/></domainsnapshot>");
	expect(hv, 2, NULL);
	rm("base.snap1");
	hv_close(hv);
}

static void
test_journal(void **state)
{
	struct hv *hv = fake_with("base.qcow2", false);
	char *jd = xasprintf("%s/journal", dir);
	char *jp = xasprintf("%s/d1.json", jd);
	struct journal *j = xcalloc(1, sizeof(*j)), *back = NULL;
	struct journal_disk *d;
	FILE *f;

	(void)state;
	j->domain = xstrdup("d1");
	j->phase = xstrdup("prepare");
	j->snapshot = xstrdup("virtvault-S");
	j->running = true;
	d = journal_add_disk(j);
	d->target = xstrdup("vda");
	d->format = xstrdup("qcow2");
	d->overlay = xasprintf("%s/base.qcow2.virtvault-overlay-S", dir);
	strlist_add(&d->chain, "/vm/base.qcow2");
	assert_int_equal(journal_write(dir, j), 0);
	assert_int_equal(journal_set_phase(dir, j, "copy"), 0);
	expect(hv, 1, "needs repair: a backup was interrupted in phase 'copy'");
	/* What was written reads back whole. */
	assert_int_equal(journal_read(dir, "d1", &back), 0);
	assert_string_equal(back->phase, "copy");
	assert_string_equal(back->snapshot, "virtvault-S");
	assert_true(back->running);
	assert_int_equal(back->ndisks, 1);
	assert_string_equal(back->disks[0].overlay, d->overlay);
	assert_string_equal(back->disks[0].chain.v[0], "/vm/base.qcow2");
	journal_free(back);
	assert_int_equal(journal_remove(dir, "d1"), 0);
	expect(hv, 0, NULL);
	assert_int_equal(journal_read(dir, "d1", &back), VV_NOT_FOUND);
	/* A damaged journal still says the domain needs repair. */
	f = fopen(jp, "w");
	assert_non_null(f);
	fputs("{\"phase\": ", f);
	fclose(f);
	expect(hv, 1, "interrupted in phase 'unknown'");
	unlink(jp);
	rmdir(jd);
	journal_free(j);
	free(jp);
	free(jd);
	hv_close(hv);
}

static void
test_not_found_and_errors(void **state)
{
	struct hv *hv = fake_with("base.qcow2", false);
	struct strlist problems = { 0 };

	(void)state;
	assert_int_equal(chain_check(hv, dir, "", "nosuch", &problems), VV_NOT_FOUND);
	hv_fake_fail(hv);
	assert_int_equal(chain_check(hv, dir, "", "d1", &problems), -1);
	assert_int_equal(problems.n, 0);
	hv_close(hv);
}

static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	touch("base.qcow2");
	touch("raw.img");
	return 0;
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
		cmocka_unit_test(test_healthy),
		cmocka_unit_test(test_missing_images),
		cmocka_unit_test(test_our_overlay_active),
		cmocka_unit_test(test_stray_overlay_file),
		cmocka_unit_test(test_block_job),
		cmocka_unit_test(test_snapshots),
		cmocka_unit_test(test_journal),
		cmocka_unit_test(test_not_found_and_errors),
	};

	return cmocka_run_group_tests_name("chain", tests, setup, teardown);
}
