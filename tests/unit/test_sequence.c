/*
 * lint: long file: one scene and its helpers serve every failure path of the
 * sequence; split by phase they would be copied.
 *
 * The per-domain sequence and repair against the stateful fake hypervisor,
 * with real image files, a real local repository and real journals: a
 * failure at every call is rolled back, a connection lost at every call
 * is repaired from the journal, a crash in every phase is repaired, the
 * commit starts again when the guest outwrites it, and paused and shut-off
 * domains are handled.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent/chain.h"
#include "state/cbt.h"
#include "agent/domxml.h"
#include "agent/overlay.h"
#include "agent/repair.h"
#include "agent/sequence.h"
#include "common/log.h"
#include "repo/manifest.h"
#include "state/journal.h"
#include "state/lock.h"
#include "tests/fakes/hv_fake.h"
#include "tests/fakes/tmpdir.h"

static char dir[] = "/tmp/vv-test-seq.XXXXXX";
static struct conf c;
static struct repo *repo;
static char *vda, *vdb;

/* ---- the scene ---- */

static void
write_image(const char *path, size_t size, unsigned seed)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	for (size_t i = 0; i < size; i++)
		fputc((int)((i * 131 + seed) % 251), f);
	fclose(f);
}

/*
 * Two disks (vda a qcow2 image, so that a checkpoint is asked for; the
 * fake puts no bitmap in it: full reads) and a cdrom; LIVE: with the
 * chains libvirt's live XML gives.
 */
static char *
domain_xml(const char *a, const char *b, bool live)
{
	const char *end = live ? "<backingStore/>" : "";

	return xasprintf("<domain type='qemu'><name>d1</name><devices>"
	    "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
	    "<source file='%s'/>%s<target dev='vda' bus='virtio'/></disk>"
	    "<disk type='file' device='disk'><driver name='qemu' type='raw'/>"
	    "<source file='%s'/>%s<target dev='vdb' bus='virtio'/></disk>"
	    "<disk type='file' device='cdrom'><target dev='sda' bus='sata'/><readonly/></disk>"
	    "</devices></domain>", a, end, b, end);
}

static struct hv *
scene(enum hv_state state)
{
	struct hv *hv = hv_fake_new();
	char *xml = domain_xml(vda, vdb, state != HV_STATE_SHUTOFF);

	hv_fake_add_domain(hv, "d1", state, xml);
	free(xml);
	return hv;
}

/* Messages of a run go to a file, shown only when a check fails. */
static int saved_stderr = -1;

static void
hush(void)
{
	char *p = xasprintf("%s/log", dir);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	fflush(stderr);
	saved_stderr = dup(2);
	dup2(fd, 2);
	close(fd);
	free(p);
}

static void
unhush(void)
{
	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
}

/* EXPR evaluated with its messages hushed. */
static int quiet_rc;
#define QUIET(expr) (hush(), quiet_rc = (expr), unhush(), quiet_rc)

static void
show_log(void)
{
	char *cmd = xasprintf("tail -n 30 %s/log >&2", dir);

	if (system(cmd) != 0)
		fprintf(stderr, "(no log)\n");
	free(cmd);
}

/* Whether the last hushed run logged TEXT. */
static bool
log_has(const char *text)
{
	char *p = xasprintf("%s/log", dir), line[1024];
	FILE *f = fopen(p, "r");
	bool hit = false;

	while (f != NULL && !hit && fgets(line, sizeof(line), f) != NULL)
		hit = strstr(line, text) != NULL;
	if (f != NULL)
		fclose(f);
	free(p);
	return hit;
}

static int
backup(struct hv *hv, enum conf_quiesce q, const volatile sig_atomic_t *cancel,
    struct seq_result *res)
{
	struct seq_opts o = { .quiesce = q, .quiet = true, .cancel = cancel };

	return seq_backup_domain(hv, repo, &c, "d1", &o, res);
}

static size_t
count_snapshots(void)
{
	struct manifest **l = NULL;
	size_t n = 0, bad = 0;

	assert_int_equal(manifest_load_all(repo, NULL, "d1", &l, &n, &bad), 0);
	assert_int_equal(bad, 0);
	manifest_list_free(l, n);
	return n;
}

/*
 * Whether the domain is exactly as before any backup: each disk on its own
 * image in the live and persistent definitions, no overlay on disk, no
 * block job, no journal. Returns NULL or what is wrong.
 */
static const char *
unclean(struct hv *hv)
{
	static char why[512];
	struct domxml_domain *d = NULL;
	char *xml = NULL, err[128], *phase = NULL;
	DIR *dh;
	struct dirent *e;

	if (journal_peek(c.state_dir, "d1", &phase) != 0) {
		snprintf(why, sizeof(why), "a journal is left (phase %s)", phase);
		free(phase);
		return why;
	}
	if (hv_fake_jobs(hv, "d1") != 0)
		return "a block job still runs";
	if (chain_describe(hv, "d1", &d) != 0)
		return "cannot describe the domain";
	for (size_t i = 0; i < 2; i++) {
		const struct domxml_disk *k = &d->disks[i];

		if (k->nchain != 1 || strcmp(k->chain[0].path, i ? vdb : vda) != 0) {
			snprintf(why, sizeof(why), "disk %s runs on %s (%zu images)", k->target,
			    k->nchain ? k->chain[0].path : "nothing", k->nchain);
			domxml_free(d);
			return why;
		}
	}
	domxml_free(d);
	if (hv_domain_xml(hv, "d1", true, &xml) != 0)
		return "no persistent definition";
	d = domxml_parse(xml, err, sizeof(err));
	free(xml);
	if (d == NULL || strcmp(d->disks[0].chain[0].path, vda) != 0 ||
	    strcmp(d->disks[1].chain[0].path, vdb) != 0) {
		domxml_free(d);
		return "the persistent definition names another image";
	}
	domxml_free(d);
	dh = opendir(dir);
	while ((e = readdir(dh)) != NULL) {
		if (overlay_is_ours(e->d_name)) {
			snprintf(why, sizeof(why), "overlay %s is left", e->d_name);
			closedir(dh);
			return why;
		}
	}
	closedir(dh);
	return NULL;
}

static void
expect_clean(struct hv *hv, const char *ctx)
{
	const char *why = unclean(hv);

	if (why != NULL) {
		show_log();
		fail_msg("%s: %s", ctx, why);
	}
}

/* A clean backup of the domain works (after whatever came before). */
static void
expect_next_backup_works(struct hv *hv, const char *ctx)
{
	struct seq_result res;
	int rc;

	hush();
	rc = backup(hv, CONF_QUIESCE_TRY, NULL, &res);
	unhush();
	if (rc != 0) {
		show_log();
		fail_msg("%s: the next backup failed", ctx);
	}
	expect_clean(hv, ctx);
}

/* Calls to the hypervisor of one clean backup of a running domain. */
static unsigned long
calls_of_a_backup(void)
{
	struct hv *hv = scene(HV_STATE_RUNNING);
	struct seq_result res;
	unsigned long n;

	assert_int_equal(QUIET(backup(hv, CONF_QUIESCE_TRY, NULL, &res)), 0);
	n = hv_fake_calls(hv, NULL);
	hv_close(hv);
	return n;
}

/* ---- whole runs ---- */

static void
test_running(void **state)
{
	struct hv *hv = scene(HV_STATE_RUNNING);
	struct seq_result res;
	size_t before = count_snapshots();

	(void)state;
	assert_int_equal(QUIET(backup(hv, CONF_QUIESCE_TRY, NULL, &res)), 0);
	assert_int_equal(res.quiesced, 1);
	assert_int_equal(strlen(res.snapshot), 16);
	assert_int_equal(count_snapshots(), before + 1);
	assert_int_equal(hv_fake_calls(hv, "snapshot_disks"), 1);
	assert_int_equal(hv_fake_calls(hv, "block_commit"), 2);
	assert_int_equal(hv_fake_calls(hv, "block_abort"), 0);
	expect_clean(hv, "running");
	hv_close(hv);
}

/*
 * Checkpoints: one before each snapshot; the older ones of the same
 * backups go after a published backup, a failed run deletes its own, one
 * that no reference names goes before the next run, another flow's goes
 * once it is older than cbt_forget_after, and a checkpoint that cannot be
 * created only means full reads.
 */
static void
test_checkpoints(void **state)
{
	struct hv *hv = scene(HV_STATE_RUNNING);
	struct seq_result res;
	char prefix[32], *first;

	(void)state;
	assert_int_equal(QUIET(backup(hv, CONF_QUIESCE_TRY, NULL, &res)), 0);
	assert_int_equal(hv_fake_calls(hv, "checkpoint_create"), 1);
	assert_int_equal(hv_fake_checkpoints(hv, "d1"), 1);
	/* The fake writes no bitmap, so no reference is made: name the
	 * first run's checkpoint in one, as a real run would. */
	{
		struct strlist names = { 0 };
		struct cbt_ref ref = { 0 };
		uint8_t map[1] = { 0 };
		char *flow;

		assert_int_equal(hv_checkpoints(hv, "d1", &names), 0);
		assert_int_equal(names.n, 1);
		first = xstrdup(names.v[0]);
		snprintf(prefix, sizeof(prefix), "%.19s", first);
		flow = xasprintf("%.8s-d1", first + 10);
		ref.snapshot = "s";
		ref.checkpoint = first;
		ref.path = vda;
		ref.map = map;
		ref.maplen = 1;
		assert_int_equal(cbt_ref_write(c.state_dir, "d1", flow, "vda", &ref), 0);
		free(flow);
		strlist_clear(&names);
	}
	/* A run failing at its commit: its own checkpoint goes with it. */
	hv_fake_fault(hv, "block_commit", 1, HV_FAKE_FAIL);
	assert_int_equal(QUIET(backup(hv, CONF_QUIESCE_TRY, NULL, &res)), -1);
	assert_int_equal(hv_fake_checkpoints(hv, "d1"), 1);
	/* One of this flow that no reference names (a run killed), another
	 * flow's of long ago and another flow's of today. */
	{
		struct strlist names = { 0 };
		char now[32], err[128], *xml;
		const char *mine[] = { NULL, "virtvault-0badf00d-20000101T000000Z-1-00000000", NULL };
		time_t t = time(NULL);

		strftime(now, sizeof(now), "%Y%m%dT%H%M%SZ", gmtime(&t));
		mine[0] = xasprintf("%s20000101T000000Z-1-00000000", prefix);
		mine[2] = xasprintf("virtvault-0badf00d-%s-1-00000000", now);
		for (size_t i = 0; i < 3; i++) {
			xml = xasprintf("<domaincheckpoint><name>%s</name></domaincheckpoint>", mine[i]);
			assert_int_equal(hv_checkpoint_create(hv, "d1", xml, err, sizeof(err)), 0);
			free(xml);
		}
		assert_int_equal(hv_fake_checkpoints(hv, "d1"), 4);
		assert_int_equal(QUIET(backup(hv, CONF_QUIESCE_TRY, NULL, &res)), 0);
		assert_int_equal(hv_checkpoints(hv, "d1", &names), 0);
		/* The referenced one, this run's, and the other flow's of today. */
		assert_int_equal(names.n, 3);
		assert_true(strlist_contains(&names, first));
		assert_false(strlist_contains(&names, mine[0]));
		assert_false(strlist_contains(&names, mine[1]));
		assert_true(strlist_contains(&names, mine[2]));
		assert_int_equal(hv_checkpoint_delete(hv, "d1", mine[2]), 0);
		assert_int_equal(hv_checkpoint_delete(hv, "d1", first), 0);
		free((char *)mine[0]);
		free((char *)mine[2]);
		strlist_clear(&names);
	}
	assert_int_equal(cbt_ref_forget_domain(c.state_dir, "d1"), 0);
	free(first);
	assert_int_equal(hv_fake_checkpoints(hv, "d1"), 1);
	/* No checkpoint: the backup goes on, reading whole, and says why. */
	hv_fake_fault(hv, "checkpoint_create", 1, HV_FAKE_FAIL);
	assert_int_equal(QUIET(backup(hv, CONF_QUIESCE_TRY, NULL, &res)), 0);
	assert_true(res.nreads >= 1);
	assert_string_equal(res.reads[0].mode, "full");
	if (strstr(res.reads[0].reason, "the checkpoint could not be created") == NULL)
		fail_msg("reason: %s", res.reads[0].reason);
	/* The earlier one, which no reference names, went before it. */
	assert_int_equal(hv_fake_checkpoints(hv, "d1"), 0);
	expect_clean(hv, "checkpoints");
	hv_close(hv);
}

static void
test_paused(void **state)
{
	struct hv *hv = scene(HV_STATE_PAUSED);
	struct seq_result res;

	(void)state;
	assert_int_equal(QUIET(backup(hv, CONF_QUIESCE_TRY, NULL, &res)), 0);
	assert_int_equal(hv_fake_calls(hv, "snapshot_disks"), 1);
	assert_int_equal(hv_fake_calls(hv, "block_pivot") >= 2, 1);
	expect_clean(hv, "paused");
	hv_close(hv);
}

static void
test_shutoff(void **state)
{
	struct hv *hv = scene(HV_STATE_SHUTOFF);
	struct seq_result res;
	size_t before = count_snapshots();

	(void)state;
	assert_int_equal(QUIET(backup(hv, CONF_QUIESCE_TRY, NULL, &res)), 0);
	assert_int_equal(res.quiesced, -1);
	assert_int_equal(count_snapshots(), before + 1);
	assert_int_equal(hv_fake_calls(hv, "snapshot_disks"), 0);
	assert_int_equal(hv_fake_calls(hv, "block_commit"), 0);
	expect_clean(hv, "shut off");
	hv_close(hv);
}

static void
start_domain(struct hv *hv, void *arg)
{
	(void)arg;
	hv_fake_set_state(hv, "d1", HV_STATE_RUNNING);
}

static void
test_shutoff_started_during_copy(void **state)
{
	struct hv *hv = scene(HV_STATE_SHUTOFF);
	struct seq_result res;
	size_t before = count_snapshots();

	(void)state;
	/* The domain starts just before the state is looked at again. */
	hv_fake_on_call(hv, "domain_state", 2, start_domain, NULL);
	assert_int_equal(QUIET(backup(hv, CONF_QUIESCE_TRY, NULL, &res)), -1);
	assert_int_equal(count_snapshots(), before);
	assert_int_equal(hv_fake_calls(hv, "snapshot_disks"), 0);
	expect_clean(hv, "started during copy");
	hv_close(hv);
}

static void
test_quiesce(void **state)
{
	struct hv *hv = scene(HV_STATE_RUNNING);
	struct seq_result res;
	size_t before;

	(void)state;
	hv_fake_set_agent(hv, "d1", false);
	assert_int_equal(QUIET(backup(hv, CONF_QUIESCE_TRY, NULL, &res)), 0);
	assert_int_equal(res.quiesced, 0);
	expect_clean(hv, "quiesce try");
	/* Refused: nothing was touched, so no talk of putting disks back. */
	before = hv_fake_checkpoints(hv, "d1");
	assert_int_equal(QUIET(backup(hv, CONF_QUIESCE_REQUIRE, NULL, &res)), -1);
	if (!log_has("quiesce = require") || log_has("putting its disks back") ||
	    log_has("repairing the backup")) {
		show_log();
		fail_msg("a refused quiesced snapshot is not reported plainly");
	}
	/* This run's checkpoint went with it (an unused older one too). */
	assert_true(hv_fake_checkpoints(hv, "d1") <= before);
	expect_clean(hv, "quiesce require");
	assert_int_equal(QUIET(backup(hv, CONF_QUIESCE_OFF, NULL, &res)), 0);
	assert_int_equal(res.quiesced, 0);
	hv_close(hv);
}

static void
test_not_found_and_busy(void **state)
{
	struct hv *hv = scene(HV_STATE_RUNNING);
	struct seq_opts o = { .quiet = true };
	struct seq_result res;

	(void)state;
	assert_int_equal(QUIET(seq_backup_domain(hv, repo, &c, "nosuch", &o, &res)), -1);
	hv_fake_set_block_job(hv, "d1", "vdb", "copy");
	assert_int_equal(QUIET(backup(hv, CONF_QUIESCE_TRY, NULL, &res)), -1);
	assert_int_equal(hv_fake_calls(hv, "snapshot_disks"), 0);
	hv_close(hv);
}

/* Another virtvault works on the domain: nothing is touched. */
static void
test_lock_busy(void **state)
{
	struct hv *hv = scene(HV_STATE_RUNNING);
	struct seq_result res;
	int fd, fd2;

	(void)state;
	assert_int_equal(state_lock_domain(c.state_dir, "d1", &fd), 0);
	assert_true(fd >= 0);
	assert_int_equal(QUIET(state_lock_domain(c.state_dir, "d1", &fd2)), VV_BUSY);
	assert_int_equal(fd2, -1);
	assert_int_equal(QUIET(backup(hv, CONF_QUIESCE_TRY, NULL, &res)), VV_BUSY);
	assert_int_equal(hv_fake_calls(hv, NULL), 0);
	state_unlock_domain(fd);
	expect_next_backup_works(hv, "after the lock was released");
	hv_close(hv);
}

static volatile sig_atomic_t cancel_flag;

static void
raise_cancel(struct hv *hv, void *arg)
{
	(void)hv, (void)arg;
	cancel_flag = 1;
}

static void
test_cancel_during_copy(void **state)
{
	struct hv *hv = scene(HV_STATE_RUNNING);
	struct seq_result res;
	size_t before = count_snapshots();

	(void)state;
	cancel_flag = 0;
	/* The signal comes while the snapshot is taken: the copy stops. */
	hv_fake_on_call(hv, "snapshot_disks", 1, raise_cancel, NULL);
	assert_int_equal(QUIET(backup(hv, CONF_QUIESCE_TRY, &cancel_flag, &res)), -1);
	assert_int_equal(count_snapshots(), before);
	assert_int_equal(hv_fake_calls(hv, "block_pivot") >= 2, 1);
	expect_clean(hv, "cancelled");
	hv_close(hv);
}

static void
break_publish(struct hv *hv, void *arg)
{
	char *snaps = xasprintf("%s/repo/snapshots", dir);
	char *aside = xasprintf("%s/repo/snapshots.aside", dir);

	(void)hv, (void)arg;
	assert_int_equal(rename(snaps, aside), 0);
	write_image(snaps, 1, 0);
	free(snaps);
	free(aside);
}

static void
test_publish_fails(void **state)
{
	struct hv *hv = scene(HV_STATE_RUNNING);
	unsigned long calls = calls_of_a_backup();
	char *snaps = xasprintf("%s/repo/snapshots", dir);
	char *aside = xasprintf("%s/repo/snapshots.aside", dir);
	struct seq_result res;
	size_t before = count_snapshots();

	(void)state;
	/* The manifest cannot be written: before the last call ahead of the
	 * publish, so disks are back (after it come only the checkpoints'
	 * listing and clean-up, one call on a fresh scene). */
	hv_fake_on_call(hv, NULL, calls - 1, break_publish, NULL);
	assert_int_equal(QUIET(backup(hv, CONF_QUIESCE_TRY, NULL, &res)), -1);
	assert_int_equal(unlink(snaps), 0);
	assert_int_equal(rename(aside, snaps), 0);
	assert_int_equal(count_snapshots(), before);
	expect_clean(hv, "publish failed");
	expect_next_backup_works(hv, "after a failed publish");
	free(snaps);
	free(aside);
	hv_close(hv);
}

/*
 * The snapshot's time: one from the future is refused at the commit point
 * (nothing published, the domain put back); 1970-01-01T00:00:00Z is a time
 * like any other, not "now".
 */
static void
test_snapshot_time(void **state)
{
	struct hv *hv = scene(HV_STATE_RUNNING);
	struct seq_result res;
	struct seq_opts o = { .quiesce = CONF_QUIESCE_TRY, .quiet = true, .time_given = true };
	struct manifest **l = NULL;
	size_t before = count_snapshots(), n = 0, bad = 0;
	bool found = false;

	(void)state;
	o.time = time(NULL) + UTIL_CLOCK_SKEW + 60;
	if (QUIET(seq_backup_domain(hv, repo, &c, "d1", &o, &res)) != -1) {
		show_log();
		fail_msg("a snapshot 11 minutes ahead of the clock was published");
	}
	assert_int_equal(count_snapshots(), before);
	expect_clean(hv, "time in the future");
	o.time = 0;
	assert_int_equal(QUIET(seq_backup_domain(hv, repo, &c, "d1", &o, &res)), 0);
	assert_int_equal(manifest_load_all(repo, NULL, "d1", &l, &n, &bad), 0);
	for (size_t i = 0; i < n; i++)
		found = found || (strcmp(l[i]->id, res.snapshot) == 0 &&
		    strcmp(l[i]->time, "1970-01-01T00:00:00Z") == 0);
	manifest_list_free(l, n);
	assert_true(found);
	hv_close(hv);
}

/* ---- a fault at every call ---- */

/* Each call of a backup fails once (KIND): the run fails or not, but the
 * domain is put back at once, and the next backup works. */
static void
fault_at_every_call(enum hv_fake_fault kind, const char *what)
{
	unsigned long total = calls_of_a_backup();
	unsigned failed = 0;

	for (unsigned long n = 1; n <= total; n++) {
		struct hv *hv = scene(HV_STATE_RUNNING);
		struct seq_result res;
		char ctx[96];
		int rc;

		snprintf(ctx, sizeof(ctx), "%s at call %lu of %lu", what, n, total);
		hv_fake_fault(hv, NULL, n, kind);
		hush();
		rc = backup(hv, CONF_QUIESCE_TRY, NULL, &res);
		unhush();
		failed += rc != 0;
		expect_clean(hv, ctx);
		expect_next_backup_works(hv, ctx);
		hv_close(hv);
	}
	/* Nearly every call matters; some are retried or only looked at. */
	assert_true(failed >= total / 2);
}

static void
test_fail_at_every_call(void **state)
{
	(void)state;
	fault_at_every_call(HV_FAKE_FAIL, "failure");
}

static void
test_fail_after_at_every_call(void **state)
{
	(void)state;
	fault_at_every_call(HV_FAKE_FAIL_AFTER, "failure after the deed");
}

/*
 * The connection is lost at every call in turn: nothing can be put back
 * then; the journal says what to do, and repair (or the next backup) does
 * it once the hypervisor answers again.
 */
static void
test_disconnect_at_every_call(void **state)
{
	unsigned long total = calls_of_a_backup();
	struct strlist phases = { 0 };

	(void)state;
	for (unsigned long n = 1; n <= total; n++) {
		for (int via_backup = 0; via_backup <= 1; via_backup++) {
			struct hv *hv = scene(HV_STATE_RUNNING);
			struct seq_result res;
			char ctx[96], *phase = NULL;
			bool did;
			int rc;

			snprintf(ctx, sizeof(ctx), "connection lost at call %lu of %lu%s", n,
			    total, via_backup ? ", the next backup repairs" : "");
			hv_fake_fault(hv, NULL, n, HV_FAKE_DISCONNECT);
			rc = QUIET(backup(hv, CONF_QUIESCE_TRY, NULL, &res));
			/* The last call, listing checkpoints to delete old ones, comes
			 * after the publish: the backup stands, the old ones stay. */
			if (n == total && rc != 0)
				fail_msg("%s: the backup failed after its publish", ctx);
			if (n < total && rc != -1)
				fail_msg("%s: the backup did not fail", ctx);
			if (journal_peek(c.state_dir, "d1", &phase) == 1) {
				if (!strlist_contains(&phases, phase))
					strlist_add(&phases, phase);
				free(phase);
			}
			hv_fake_reconnect(hv);
			if (!via_backup) {
				hush();
				rc = repair_domain(hv, &c, "d1", &did, true);
				unhush();
				if (rc != 0) {
					show_log();
					fail_msg("%s: repair failed", ctx);
				}
				expect_clean(hv, ctx);
			}
			expect_next_backup_works(hv, ctx);
			hv_close(hv);
		}
	}
	/* Both phases that leave a disk on its overlay were met (a failed
	 * verification after the cleanup leaves nothing to repair). */
	assert_true(strlist_contains(&phases, "snapshot"));
	assert_true(strlist_contains(&phases, "commit"));
	strlist_clear(&phases);
}

/* ---- repair of a crash in each phase ---- */

enum crash_left {
	LEFT_NOTHING,		/* before the snapshot */
	LEFT_OVERLAYS,		/* snapshot taken */
	LEFT_JOB,		/* snapshot taken, vda's commit running */
	LEFT_READY_JOB,		/* snapshot taken, vda's commit ready to pivot */
	LEFT_PIVOTED,		/* both pivoted, overlay files on disk */
	LEFT_ONE_DELETED,	/* both pivoted, vda's overlay deleted */
	LEFT_DONE,		/* pivoted and deleted */
};

static struct journal *
crash_journal(const char *phase, const char *stamp)
{
	struct journal *j = xcalloc(1, sizeof(*j));

	j->domain = xstrdup("d1");
	j->phase = xstrdup(phase);
	j->snapshot = xasprintf("%s%s", OVERLAY_SNAPSHOT_PREFIX, stamp);
	j->running = true;
	for (int i = 0; i < 2; i++) {
		struct journal_disk *jd = journal_add_disk(j);
		const char *img = i ? vdb : vda;

		jd->target = xstrdup(i ? "vdb" : "vda");
		jd->format = xstrdup("raw");
		strlist_add(&jd->chain, img);
		jd->overlay = overlay_path(img, "", stamp);
	}
	return j;
}

static void
pivot(struct hv *hv, const char *target)
{
	struct hv_block_job job;
	char err[128];
	int r;

	do {
		assert_int_equal(hv_block_job(hv, "d1", target, &job), 1);
		r = hv_block_pivot(hv, "d1", target, err, sizeof(err));
	} while (r == VV_BUSY);
	assert_int_equal(r, 0);
}

/* Bring the fake and the files where a crash in PHASE leaves them. */
static void
crash_in(struct hv *hv, const struct journal *j, enum crash_left left)
{
	struct domxml_snapreq req[3] = {
		{ "vda", j->disks[0].overlay }, { "vdb", j->disks[1].overlay }, { "sda", NULL },
	};
	char *xml, err[256];

	if (left == LEFT_NOTHING)
		return;
	xml = domxml_snapshot_request(j->snapshot, req, 3);
	assert_int_equal(hv_snapshot_disks(hv, "d1", xml, false, err, sizeof(err)), 0);
	free(xml);
	if (left >= LEFT_JOB)
		assert_int_equal(hv_block_commit(hv, "d1", "vda"), 0);
	if (left == LEFT_READY_JOB) {
		struct hv_block_job job;

		while (hv_block_job(hv, "d1", "vda", &job) == 1 && job.cur != job.end)
			;
	}
	if (left >= LEFT_PIVOTED) {
		pivot(hv, "vda");
		assert_int_equal(hv_block_commit(hv, "d1", "vdb"), 0);
		pivot(hv, "vdb");
	}
	if (left >= LEFT_ONE_DELETED)
		assert_int_equal(unlink(j->disks[0].overlay), 0);
	if (left >= LEFT_DONE)
		assert_int_equal(unlink(j->disks[1].overlay), 0);
}

static void
test_repair_every_phase(void **state)
{
	static const struct {
		const char *phase;
		enum crash_left left;
		enum hv_state state;
	} cases[] = {
		{ "prepare", LEFT_NOTHING, HV_STATE_RUNNING },
		{ "snapshot", LEFT_NOTHING, HV_STATE_RUNNING },
		{ "snapshot", LEFT_OVERLAYS, HV_STATE_RUNNING },
		{ "copy", LEFT_OVERLAYS, HV_STATE_RUNNING },
		{ "copy", LEFT_OVERLAYS, HV_STATE_PAUSED },
		{ "commit", LEFT_OVERLAYS, HV_STATE_RUNNING },
		{ "commit", LEFT_JOB, HV_STATE_RUNNING },
		{ "commit", LEFT_READY_JOB, HV_STATE_PAUSED },
		{ "commit", LEFT_PIVOTED, HV_STATE_RUNNING },
		{ "cleanup", LEFT_PIVOTED, HV_STATE_RUNNING },
		{ "cleanup", LEFT_ONE_DELETED, HV_STATE_RUNNING },
		{ "verify", LEFT_DONE, HV_STATE_RUNNING },
		{ "publish", LEFT_DONE, HV_STATE_RUNNING },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct hv *hv = scene(cases[i].state);
		struct journal *j = crash_journal(cases[i].phase, "20261126T000000Z-1");
		char ctx[96];
		bool did = false;
		int rc;

		snprintf(ctx, sizeof(ctx), "crash in phase %s (case %zu)", cases[i].phase, i);
		crash_in(hv, j, cases[i].left);
		assert_int_equal(journal_write(c.state_dir, j), 0);
		hush();
		rc = repair_domain(hv, &c, "d1", &did, true);
		unhush();
		if (rc != 0 || !did) {
			show_log();
			fail_msg("%s: repair failed", ctx);
		}
		expect_clean(hv, ctx);
		/* Nothing left to do: a second repair says so. */
		assert_int_equal(QUIET(repair_domain(hv, &c, "d1", &did, true)), 0);
		assert_false(did);
		journal_free(j);
		hv_close(hv);
	}
}

/* The definition still names an overlay: repair keeps it, and the journal. */
static void
test_repair_keeps_overlay_in_use(void **state)
{
	struct hv *hv = scene(HV_STATE_RUNNING);
	struct journal *j = crash_journal("copy", "20261126T000000Z-2");
	bool did;

	(void)state;
	crash_in(hv, j, LEFT_OVERLAYS);
	assert_int_equal(journal_write(c.state_dir, j), 0);
	/* The commit fails to start: the disks stay on their overlays. */
	hv_fake_fault(hv, "block_commit", 1, HV_FAKE_FAIL);
	assert_int_equal(QUIET(repair_domain(hv, &c, "d1", &did, true)), -1);
	assert_int_equal(access(j->disks[0].overlay, F_OK), 0);
	assert_int_equal(access(j->disks[1].overlay, F_OK), 0);
	assert_int_equal(journal_peek(c.state_dir, "d1", NULL), 1);
	assert_int_equal(QUIET(repair_domain(hv, &c, "d1", &did, true)), 0);
	expect_clean(hv, "repair after failed commits");
	journal_free(j);
	hv_close(hv);
}

static void
qemu(const char *fmt, ...)
{
	va_list ap;
	char *cmd;

	va_start(ap, fmt);
	cmd = xvasprintf(fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		fail_msg("failed: %s", cmd);
	free(cmd);
}

/* A shut-off domain left on a real qcow2 overlay: committed offline with
 * qemu-img, redefined on its base, overlay deleted; a failed define keeps
 * the overlay and the journal, and a second repair finishes. */
static void
test_repair_shutoff_offline(void **state)
{
	char *base = xasprintf("%s/sys.qcow2", dir);
	char *ovl = overlay_path(base, "", "20261126T000000Z-3");
	char *xml = xasprintf("<domain type='qemu'><name>d2</name><devices>"
	    "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
	    "<source file='%s'/><target dev='vda' bus='virtio'/></disk>"
	    "</devices></domain>", ovl);
	struct hv *hv = hv_fake_new();
	struct journal *j = xcalloc(1, sizeof(*j));
	struct journal_disk *jd;
	struct domxml_domain *d;
	char *def, err[128];
	bool did;

	(void)state;
	qemu("qemu-img create -q -f qcow2 '%s' 4M", base);
	qemu("qemu-img create -q -f qcow2 -b '%s' -F qcow2 '%s'", base, ovl);
	qemu("qemu-io -f qcow2 -c 'write -q -P 0x5a 0 64k' '%s'", ovl);
	hv_fake_add_domain(hv, "d2", HV_STATE_SHUTOFF, xml);
	j->domain = xstrdup("d2");
	j->phase = xstrdup("copy");
	j->snapshot = xstrdup("virtvault-20261126T000000Z-3");
	j->running = true;
	jd = journal_add_disk(j);
	jd->target = xstrdup("vda");
	jd->format = xstrdup("qcow2");
	strlist_add(&jd->chain, base);
	jd->overlay = xstrdup(ovl);
	assert_int_equal(journal_write(c.state_dir, j), 0);

	hv_fake_fault(hv, "define", 1, HV_FAKE_FAIL);
	assert_int_equal(QUIET(repair_domain(hv, &c, "d2", &did, true)), -1);
	assert_int_equal(access(ovl, F_OK), 0);
	assert_int_equal(journal_peek(c.state_dir, "d2", NULL), 1);

	{
		/* A changed-block tracking reference of the domain... */
		struct cbt_ref ref = { .snapshot = "snapshots/x", .checkpoint = "virtvault-x",
			.path = base, .map = (uint8_t *)"m", .maplen = 1 };

		assert_int_equal(cbt_ref_write(c.state_dir, "d2", "flow-d2", "vda", &ref), 0);
	}
	assert_int_equal(QUIET(repair_domain(hv, &c, "d2", &did, true)), 0);
	assert_true(did);
	{
		/* ...is dropped by the offline commit (not libvirt's bitmap merge). */
		struct cbt_ref ref;

		assert_int_equal(cbt_ref_read(c.state_dir, "d2", "flow-d2", "vda", &ref), VV_NOT_FOUND);
	}
	assert_int_equal(access(ovl, F_OK), -1);
	assert_int_equal(journal_peek(c.state_dir, "d2", NULL), 0);
	assert_int_equal(hv_domain_xml(hv, "d2", true, &def), 0);
	d = domxml_parse(def, err, sizeof(err));
	assert_non_null(d);
	assert_string_equal(d->disks[0].chain[0].path, base);
	assert_int_equal(d->disks[0].nchain, 1);
	/* The guest's write reached the base. */
	qemu("qemu-io -f qcow2 -r -c 'read -q -P 0x5a 0 64k' '%s'", base);
	domxml_free(d);
	free(def);
	journal_free(j);
	hv_close(hv);
	unlink(base);
	free(base);
	free(ovl);
	free(xml);
}

/* ---- the commit when the guest writes faster than it copies ---- */

static void
test_commit_restarts(void **state)
{
	struct hv *hv = scene(HV_STATE_RUNNING);
	struct seq_result res;

	(void)state;
	hv_fake_outwrite(hv, "d1", 1);
	assert_int_equal(QUIET(backup(hv, CONF_QUIESCE_TRY, NULL, &res)), 0);
	assert_int_equal(hv_fake_calls(hv, "block_abort"), 1);
	assert_int_equal(hv_fake_calls(hv, "block_commit"), 3);
	expect_clean(hv, "commit restarted");
	hv_close(hv);
}

static void
test_commit_never_converges(void **state)
{
	struct hv *hv = scene(HV_STATE_RUNNING);
	struct seq_result res;
	char *phase = NULL;
	bool did;

	(void)state;
	hv_fake_outwrite(hv, "d1", 1000);
	assert_int_equal(QUIET(backup(hv, CONF_QUIESCE_TRY, NULL, &res)), -1);
	/* Neither the run nor its roll-back could commit: the journal stays. */
	assert_int_equal(journal_peek(c.state_dir, "d1", &phase), 1);
	assert_string_equal(phase, "commit");
	free(phase);
	assert_int_equal(hv_fake_jobs(hv, "d1"), 0);
	hv_fake_outwrite(hv, "d1", 0);
	assert_int_equal(QUIET(repair_domain(hv, &c, "d1", &did, true)), 0);
	expect_clean(hv, "repair after a commit that never converged");
	hv_close(hv);
}

static int
setup(void **state)
{
	char *url;

	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	log_setup("test_sequence", LOG_LVL_INFO, false);
	vda = xasprintf("%s/vda.img", dir);
	vdb = xasprintf("%s/disk b.img", dir);
	write_image(vdb, (1 << 20) + 4096, 1);
	{
		char *cmd = xasprintf("qemu-img convert -f raw -O qcow2 '%s' '%s'", vdb, vda);

		if (system(cmd) != 0)
			return -1;
		free(cmd);
	}
	write_image(vdb, 300000, 2);
	url = xasprintf("file://%s/repo", dir);
	memset(&c, 0, sizeof(c));
	c.url = url;
	c.state_dir = xasprintf("%s/state", dir);
	c.overlay_dir = xstrdup("");
	c.host = xstrdup("unit");
	c.commit_timeout = 1;
	c.cbt = true;
	c.cbt_forget_after = 30 * 86400;
	c.encryption = CONF_CIPHER_NONE;
	c.compression = CONF_COMP_NONE;
	c.chunk_size = 1 << 20;
	if (repo_init(&c) != 0)
		return -1;
	repo = repo_open(&c);
	return repo == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	repo_close(repo);
	free(c.url);
	free(c.state_dir);
	free(c.overlay_dir);
	free(c.host);
	free(vda);
	free(vdb);
	return tmpdir_remove(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_running),
		cmocka_unit_test(test_paused),
		cmocka_unit_test(test_shutoff),
		cmocka_unit_test(test_shutoff_started_during_copy),
		cmocka_unit_test(test_quiesce),
		cmocka_unit_test(test_not_found_and_busy),
		cmocka_unit_test(test_lock_busy),
		cmocka_unit_test(test_cancel_during_copy),
		cmocka_unit_test(test_publish_fails),
		cmocka_unit_test(test_snapshot_time),
		cmocka_unit_test(test_checkpoints),
		cmocka_unit_test(test_fail_at_every_call),
		cmocka_unit_test(test_fail_after_at_every_call),
		cmocka_unit_test(test_disconnect_at_every_call),
		cmocka_unit_test(test_repair_every_phase),
		cmocka_unit_test(test_repair_keeps_overlay_in_use),
		cmocka_unit_test(test_repair_shutoff_offline),
		cmocka_unit_test(test_commit_restarts),
		cmocka_unit_test(test_commit_never_converges),
	};

	return cmocka_run_group_tests_name("sequence", tests, setup, teardown);
}
