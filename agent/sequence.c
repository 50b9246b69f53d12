/*
 * The per-domain backup sequence (docs/ARCHITECTURE.md, "The path of a
 * backup"): preflight (lock, repair of a crashed run, describe, choose
 * the disks, the pre_backup hook, the journal), snapshot, copy of the
 * read-only bases, commit with pivot and cleanup, then verify and publish.
 * Every phase is journaled first, so a crash anywhere is repaired by
 * repair.c. The phases share one struct seq_run.
 */
#include "agent/sequence.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/cbt_tidy.h"
#include "agent/chain.h"
#include "agent/commit.h"
#include "agent/repair.h"
#include "agent/seq_int.h"
#include "common/clock.h"
#include "common/fault.h"
#include "common/log.h"
#include "common/run.h"
#include "repo/backup.h"
#include "state/journal.h"
#include "state/lock.h"
#include "state/runs.h"

/* One domain's run, from the lock to the result. */
struct seq_run {
	struct hv *hv;
	struct repo *r;
	const struct conf *c;
	const char *dom;
	const struct seq_opts *o;
	struct seq_result *res;
	struct domxml_domain *d;
	struct backup *b;
	struct journal *j;
	char *xml_live, *xml_inactive;
	bool *sel;
	bool persistent;
	bool running;		/* running or paused at the start: it gets overlays */
	bool snapped;		/* a failure from here puts the disks back */
	double t_overlay;
	struct cbt_run cbt;
};

/*
 * Run the job's HOOK (PHASE "pre" or "post") for DOM on the host. Returns
 * 0, or -1 (logged) when it failed or outlived its timeout.
 */
static int
run_phase_hook(const struct seq_opts *o, const char *dom, const char *hook, const char *phase)
{
	char *vars[4] = {
		xasprintf("VIRTVAULT_JOB=%s", o->job ? o->job : ""),
		xasprintf("VIRTVAULT_DOMAIN=%s", dom),
		xasprintf("VIRTVAULT_PHASE=%s", phase),
		NULL,
	};
	unsigned timeout = o->hook_timeout ? o->hook_timeout : 60;
	int st = 0, rc = run_shell(hook, (const char *const *)vars, timeout, &st);

	for (int i = 0; i < 3; i++)
		free(vars[i]);
	if (rc == 1)
		log_error("domain %s: the %s_backup hook did not finish within %us (killed)", dom, phase,
		    timeout);
	else if (rc == 0 && st != 0)
		log_error("domain %s: the %s_backup hook failed (exit %d)", dom, phase, st);
	return rc == 0 && st == 0 ? 0 : -1;
}

/*
 * After a failure past the snapshot: bring the disks back now if we can.
 * Returns 0 or -1 (logged).
 */
static int
roll_back(struct hv *hv, const struct conf *c, const char *dom)
{
	bool did = false;

	log_warn("domain %s: putting its disks back after the failure", dom);
	if (repair_domain(hv, c, dom, &did, true) < 0) {
		log_error("domain %s: could not put the disks back; run 'virtvault repair %s'", dom, dom);
		return -1;
	}
	return 0;
}


/*
 * Preflight: repair a crashed run, describe the domain, choose its disks,
 * check no block job runs, the job's pre_backup hook, the journal and the
 * changed-block tracking of this run. Nothing is touched before it ends.
 * Returns 0 or -1 (logged).
 */
static int
preflight(struct seq_run *s)
{
	const char *dom = s->dom;
	enum hv_state state;
	bool did;
	int rc;

	/* A crashed run first: its overlay must go before a new one. */
	rc = journal_read(s->c->state_dir, dom, &s->j);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		journal_free(s->j);
		s->j = NULL;
		log_warn("domain %s: an earlier backup was interrupted; repairing it first", dom);
		if (repair_domain(s->hv, s->c, dom, &did, s->o->quiet) < 0)
			return -1;
	}
	rc = hv_domain_state(s->hv, dom, &state, &s->persistent);
	if (rc == VV_NOT_FOUND)
		log_error("domain %s: not found at %s", dom, hv_uri(s->hv));
	if (rc != 0)
		return -1;
	if (state == HV_STATE_OTHER) {
		log_error("domain %s: neither running, paused nor shut off; not backed up", dom);
		return -1;
	}
	s->running = state != HV_STATE_SHUTOFF;
	if (chain_describe(s->hv, dom, &s->d) != 0 ||
	    hv_domain_xml(s->hv, dom, false, &s->xml_live) != 0 ||
	    (s->persistent && hv_domain_xml(s->hv, dom, true, &s->xml_inactive) != 0))
		return -1;
	s->sel = xcalloc(s->d->ndisks + 1, sizeof(*s->sel));
	if (seq_select_disks(s->d, s->c, s->o, s->running, s->sel) < 0)
		return -1;
	for (size_t i = 0; s->running && i < s->d->ndisks; i++) {
		struct hv_block_job job;

		if (!s->sel[i])
			continue;
		rc = hv_block_job(s->hv, dom, s->d->disks[i].target, &job);
		if (rc == 1)
			log_error("domain %s, disk %s: a block job (%s) is running; nothing touched",
			    dom, s->d->disks[i].target, job.type);
		if (rc != 0)
			return -1;
	}
	/* The job's own preparation, before anything is touched. */
	if (s->o->pre_hook != NULL && run_phase_hook(s->o, dom, s->o->pre_hook, "pre") < 0) {
		log_error("domain %s: not backed up (its pre_backup hook failed); nothing touched", dom);
		return -1;
	}
	s->j = seq_journal_plan(s->c, s->d, s->sel, s->running);
	if (journal_write(s->c->state_dir, s->j) < 0)
		return -1;
	/* The changed-block tracking of this run: one entry per journaled disk. */
	cbt_run_init(&s->cbt, s->r, s->o->name ? s->o->name : dom, s->c->state_dir, s->j);
	s->cbt.off = s->o->no_cbt || !s->c->cbt;
	s->cbt.check = s->o->check_cbt;
	/* Checkpoints no flow needs go before this run makes its own. */
	cbt_tidy_run(s->hv, s->c, &s->cbt, s->d, s->running);
	return 0;
}

/*
 * Snapshot: the running domain's disks onto overlays (a shut-off one is
 * read as it is), then the changed-block plan in the snapshot window.
 * Returns 0 or -1 (logged).
 */
static int
snapshot_phase(struct seq_run *s)
{
	double t = clock_mono();
	int rc;

	if (s->running) {
		/* From here a failure puts the disks back: repair finds out
		 * whether the snapshot was taken, even when it said it failed. */
		s->snapped = true;
		cbt_checkpoint(s->hv, &s->cbt, s->d);
		rc = seq_take_snapshot(s->hv, s->c, s->d, s->sel, s->j, s->o, &s->res->quiesced);
		if (rc == 1) {
			/* Refused: no disk left its image; nothing to put back. */
			s->snapped = false;
			log_info("domain %s: nothing was touched", s->dom);
		}
		if (rc != 0)
			return -1;
		s->t_overlay = clock_mono();
		s->res->seconds_snapshot = s->t_overlay - t;
		log_info("domain %s: snapshot %s taken (%s)", s->dom, s->j->snapshot,
		    s->res->quiesced ? "quiesced" : "crash-consistent");
	} else {
		snprintf(s->cbt.why_none, sizeof(s->cbt.why_none),
		    "the domain is shut off: no checkpoint is taken, the disks are read whole");
	}
	/* In the snapshot window: the bases are read-only backing files. */
	cbt_plan_disks(s->hv, s->r, s->c, &s->cbt);
	return 0;
}

/* Copy: the read-only bases, firmware and TPM files. Returns 0 or -1 (logged). */
static int
copy_phase(struct seq_run *s)
{
	double t;

	if (journal_set_phase(s->c->state_dir, s->j, "copy") < 0)
		return -1;
	seq_stall(s->c, s->dom, "copy", s->o->cancel);
	t = clock_mono();
	if (seq_copy_disks(s->b, s->c, s->dom, s->j, &s->cbt, s->o->quiet, s->o->cancel) < 0) {
		if (s->o->cancel && *s->o->cancel)
			log_warn("domain %s: stopping on a signal: putting its disks back first", s->dom);
		return -1;
	}
	if (seq_copy_firmware(s->b, s->d) < 0)
		return -1;
	s->res->seconds_copy = clock_mono() - t;
	return 0;
}

/*
 * Commit and cleanup: every overlay committed back with a pivot, then
 * deleted; a shut-off domain is only checked to be still shut off.
 * Returns 0 or -1 (logged).
 */
static int
commit_phase(struct seq_run *s)
{
	enum hv_state state2;
	double t = clock_mono();

	if (!s->running) {
		/* Nothing guards a shut-off domain from being started meanwhile:
		 * the copy checks each image's size and modification time, and
		 * the state is checked again here; either way, nothing was touched. */
		if (hv_domain_state(s->hv, s->dom, &state2, NULL) != 0 || state2 != HV_STATE_SHUTOFF) {
			log_error("domain %s: started while its disks were being copied; this backup is discarded",
			    s->dom);
			return -1;
		}
		return 0;
	}
	if (journal_set_phase(s->c->state_dir, s->j, "commit") < 0)
		return -1;
	for (size_t i = 0; i < s->j->ndisks; i++) {
		if (i == 0 && fault_wanted("commit")) {
			/* Fault hook: start the commit, then stall before the pivot. */
			hv_block_commit(s->hv, s->dom, s->j->disks[i].target);
			seq_stall(s->c, s->dom, "commit", s->o->cancel);
		}
		if (commit_disk(s->hv, s->dom, s->j->disks[i].target,
		    (unsigned long)s->c->commit_timeout, false, s->o->quiet) < 0)
			return -1;
	}
	s->res->seconds_commit = clock_mono() - t;
	s->res->seconds_on_overlay = clock_mono() - s->t_overlay;
	if (journal_set_phase(s->c->state_dir, s->j, "cleanup") < 0)
		return -1;
	seq_stall(s->c, s->dom, "cleanup", s->o->cancel);
	for (size_t i = 0; i < s->j->ndisks; i++) {
		if (unlink(s->j->disks[i].overlay) < 0 && errno != ENOENT) {
			log_error("domain %s, disk %s: cannot delete overlay %s: %s", s->dom,
			    s->j->disks[i].target, s->j->disks[i].overlay, strerror(errno));
			return -1;
		}
	}
	s->snapped = false;
	return 0;
}

/*
 * Verify and publish: the post_backup hook, every chain as journaled, the
 * snapshot published, this run's checkpoint made the reference, and the
 * result. Returns 0 or -1 (logged).
 */
static int
publish_phase(struct seq_run *s)
{
	const struct manifest *m;
	double t;

	/* The disks are back on their bases: the job's follow-up. */
	if (s->o->post_hook != NULL && run_phase_hook(s->o, s->dom, s->o->post_hook, "post") < 0)
		log_warn("domain %s: its post_backup hook failed; the backup goes on", s->dom);
	t = clock_mono();
	if (journal_set_phase(s->c->state_dir, s->j, "verify") < 0 || chain_verify(s->hv, s->dom, s->j) < 0)
		return -1;
	s->res->seconds_verify = clock_mono() - t;
	backup_set_domain(s->b, s->xml_live, s->xml_inactive, s->res->quiesced);
	s->xml_live = s->xml_inactive = NULL;
	t = clock_mono();
	if (journal_set_phase(s->c->state_dir, s->j, "publish") < 0 || backup_commit(s->b) < 0)
		return -1;
	journal_remove(s->c->state_dir, s->dom);
	m = backup_manifest(s->b);
	cbt_finish(s->hv, s->c, &s->cbt, m->key);
	s->res->seconds_publish = clock_mono() - t;
	snprintf(s->res->snapshot, sizeof(s->res->snapshot), "%s", m->id);
	s->res->stats = *backup_stats(s->b);
	for (size_t i = 0; i < m->nfiles && s->res->nreads < SEQ_MAX_READS; i++) {
		const struct manifest_file *f = &m->files[i];
		struct seq_read *rd = &s->res->reads[s->res->nreads++];

		snprintf(rd->file, sizeof(rd->file), "%s", f->name);
		snprintf(rd->mode, sizeof(rd->mode), "%s", f->read_mode ? f->read_mode : "full");
		snprintf(rd->reason, sizeof(rd->reason), "%s", f->read_reason ? f->read_reason : "-");
		rd->bytes_skipped = f->bytes_skipped;
	}
	return 0;
}

int
seq_backup_domain(struct hv *hv, struct repo *r, const struct conf *c, const char *dom,
    const struct seq_opts *o, struct seq_result *res)
{
	struct seq_run s = { .hv = hv, .r = r, .c = c, .dom = dom, .o = o, .res = res };
	double t;
	int lock, rc, ret = -1;

	memset(res, 0, sizeof(*res));
	res->quiesced = -1;
	rc = state_lock_domain(c->state_dir, dom, &lock);
	if (rc != 0)
		return rc == VV_BUSY ? VV_BUSY : -1;
	/* Only the run holding the lock says it runs (status, metrics). */
	state_running_set(c->state_dir, dom, (int)getpid());
	t = clock_mono();
	/* Nothing is touched before the preflight ends: no roll-back. */
	if (preflight(&s) < 0)
		goto out;
	res->seconds_describe = clock_mono() - t;
	s.b = backup_new(r, o->name ? o->name : dom);
	if (s.b == NULL)
		goto fail;
	backup_set_cancel(s.b, o->cancel);
	if (o->time_given)
		backup_set_time(s.b, o->time);
	if (o->cancel && *o->cancel) {
		log_warn("domain %s: cancelled before its snapshot; nothing touched", dom);
		goto fail;
	}
	if (snapshot_phase(&s) < 0 || copy_phase(&s) < 0 || commit_phase(&s) < 0 ||
	    publish_phase(&s) < 0)
		goto fail;
	ret = 0;
	goto out;
fail:
	/* This run's checkpoint will never be a reference: it goes once the
	 * disks are back on their images. */
	if (s.snapped ? roll_back(hv, c, dom) == 0 :
	    s.j == NULL || journal_remove(c->state_dir, dom) == 0)
		cbt_tidy_abandon(hv, &s.cbt, s.d);
out:
	cbt_run_clear(&s.cbt);
	free(s.xml_live);
	free(s.xml_inactive);
	free(s.sel);
	journal_free(s.j);
	domxml_free(s.d);
	backup_free(s.b);
	state_running_clear(c->state_dir, dom);
	state_unlock_domain(lock);
	return ret;
}
