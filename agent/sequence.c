/*
 * The per-domain backup sequence (docs/ARCHITECTURE.md, "The path of a backup"):
 * describe, journal, atomic external snapshot, copy of the read-only
 * bases, active commit with pivot, cleanup, chain verification, publish.
 * Every phase is journaled first, so a crash anywhere is repaired by
 * repair.c.
 */
#include "agent/sequence.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent/cbt.h"
#include "agent/chain.h"
#include "agent/commit.h"
#include "state/journal.h"
#include "state/runs.h"
#include "state/lock.h"
#include "agent/overlay.h"
#include "agent/repair.h"
#include "common/log.h"
#include "common/run.h"
#include "repo/backup.h"
#include "common/clock.h"

#ifdef VV_FAULT_HOOKS
/*
 * Fault hook of the test build only (build/virtvault-faults; the shipped
 * binary has none): with VIRTVAULT_TEST_STALL=PHASE, the run stops at
 * PHASE (after journaling it), announces it in STATE/stall.DOM and waits
 * until that file is removed, so that tests can kill it, or change the
 * domain under it, at a known point.
 */
static bool
stall_wanted(const char *phase)
{
	const char *want = getenv("VIRTVAULT_TEST_STALL");

	return want != NULL && strcmp(want, phase) == 0;
}

static void
stall_point(const struct conf *c, const char *dom, const char *phase,
    const volatile sig_atomic_t *cancel)
{
	char *marker;
	FILE *f;

	if (!stall_wanted(phase))
		return;
	marker = xasprintf("%s/stall.%s", c->state_dir, dom);
	f = fopen(marker, "w");
	if (f != NULL) {
		fprintf(f, "%s %d\n", phase, (int)getpid());
		fclose(f);
	}
	while (access(marker, F_OK) == 0 && !(cancel && *cancel))
		usleep(50000);
	unlink(marker);
	free(marker);
}
#else
static bool
stall_wanted(const char *phase)
{
	(void)phase;
	return false;
}

static void
stall_point(const struct conf *c, const char *dom, const char *phase,
    const volatile sig_atomic_t *cancel)
{
	(void)c, (void)dom, (void)phase, (void)cancel;
}
#endif

static bool
disk_excluded(const struct strlist *ex, const char *dom, const char *target)
{
	char both[256];

	snprintf(both, sizeof(both), "%s:%s", dom, target);
	for (size_t i = 0; ex && i < ex->n; i++)
		if (fnmatch(ex->v[i], target, 0) == 0 || fnmatch(ex->v[i], both, 0) == 0)
			return true;
	return false;
}

/*
 * Choose the disks to back up; refuse the domain (-1, logged) for a disk
 * virtvault cannot snapshot and copy. A RUNNING domain (or a paused one)
 * gets overlays; a shut-off one is read as it is, and needs none.
 */
static int
select_disks(const struct domxml_domain *d, const struct conf *c, const struct seq_opts *o,
    bool running, bool *sel)
{
	size_t n = 0;

	for (size_t i = 0; i < d->ndisks; i++) {
		const struct domxml_disk *k = &d->disks[i];

		sel[i] = false;
		if (strcmp(k->device, "disk") != 0) {
			log_debug("domain %s, disk %s: %s skipped", d->name, k->target, k->device);
			continue;
		}
		if (!k->has_source || k->nchain == 0)
			continue;
		if (disk_excluded(o->exclude_disks, d->name, k->target)) {
			log_info("domain %s, disk %s: excluded by the job", d->name, k->target);
			continue;
		}
		if (k->transient || k->readonly) {
			log_info("domain %s, disk %s: %s, not backed up", d->name, k->target,
			    k->transient ? "transient" : "read-only");
			continue;
		}
		if (k->chain[0].type != DOMXML_FILE && k->chain[0].type != DOMXML_BLOCK) {
			log_error("domain %s, disk %s: a %s disk (%s) cannot be backed up by virtvault; exclude it with exclude_disks",
			    d->name, k->target, domxml_type_name(k->chain[0].type), k->chain[0].path);
			return -1;
		}
		/* A block device's overlay is a file: it needs a folder of its own. */
		if (running && k->chain[0].type == DOMXML_BLOCK &&
		    (c->overlay_dir == NULL || *c->overlay_dir == '\0')) {
			log_error("domain %s, disk %s: a block device (%s): its snapshot overlay is a file, and needs a folder: set overlay_dir in [agent]",
			    d->name, k->target, k->chain[0].path);
			return -1;
		}
		for (size_t j = 1; j < k->nchain; j++) {
			if (k->chain[j].type != DOMXML_FILE && k->chain[j].type != DOMXML_BLOCK) {
				log_error("domain %s, disk %s: its backing chain holds a %s image (%s), which cannot be copied",
				    d->name, k->target, domxml_type_name(k->chain[j].type), k->chain[j].path);
				return -1;
			}
		}
		if (overlay_is_ours(k->chain[0].path)) {
			log_error("domain %s, disk %s: runs on a virtvault overlay (%s) without a journal; run 'virtvault check-chain %s'",
			    d->name, k->target, k->chain[0].path, d->name);
			return -1;
		}
		sel[i] = true;
		n++;
	}
	if (n == 0) {
		log_error("domain %s: no disk to back up", d->name);
		return -1;
	}
	return 0;
}

/* The snapshot XML: an external overlay for each selected disk, no snapshot of the others. */
static char *
snapshot_xml(const struct domxml_domain *d, const bool *sel, const struct journal *j)
{
	struct domxml_snapreq *req = xcalloc(d->ndisks + 1, sizeof(*req));
	size_t k = 0;
	char *xml;

	for (size_t i = 0; i < d->ndisks; i++) {
		req[i].target = d->disks[i].target;
		req[i].overlay = sel[i] ? j->disks[k++].overlay : NULL;
	}
	xml = domxml_snapshot_request(j->snapshot, req, d->ndisks);
	free(req);
	return xml;
}

/* Names in the manifest: base names, a folder per disk where they clash. */
static char *
file_name(const struct manifest *m, const char *target, const char *path)
{
	const char *base = util_basename(path);

	for (size_t i = 0; i < m->nfiles; i++)
		if (strcmp(util_basename(m->files[i].name), base) == 0)
			return xasprintf("%s/%s", target, base);
	return xstrdup(base);
}

static int
copy_disks(struct backup *b, const struct conf *c, const char *dom,
    const struct journal *j, const struct cbt_run *cbt, bool quiet,
    const volatile sig_atomic_t *cancel)
{
	static const struct backup_reuse backing = { .reason = "a backing file: read whole" };

	for (size_t i = 0; i < j->ndisks; i++) {
		const struct journal_disk *d = &j->disks[i];

		for (size_t k = 0; k < d->chain.n; k++) {
			char *name = file_name(backup_manifest(b), d->target, d->chain.v[k]);
			char *label = xasprintf("copy %s %s", d->target, util_basename(d->chain.v[k]));
			struct progress *p = progress_new(label, 0, stderr, -1, quiet);
			const struct cbt_disk *cd = k == 0 ? &cbt->disks[i] : NULL;
			int r = backup_add_file_reuse(b, d->chain.v[k], name, d->target,
			    cd ? &cd->reuse : &backing, p);

			/* The next run's reference, recorded with this snapshot. */
			if (r == 0 && cd != NULL && cd->mapped && cbt->checkpoint != NULL)
				backup_set_cbt(b, name, cbt->checkpoint, cd->map_sha);
			if (r == 0)
				progress_finish(p);
			progress_free(p);
			free(label);
			free(name);
			if (r < 0)
				return -1;	/* logged where it failed, naming the image */
		}
		if (i == 0)
			stall_point(c, dom, "copy-mid", cancel);
	}
	return 0;
}

/* Whether NAME (a d_name) is a regular file in the folder DIRFD. */
static bool
regular_in(int dirfd, const char *name)
{
	struct stat st;

	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
}

static int
add_state_file(struct backup *b, const char *dom, const char *path, const char *name,
    const char *kind)
{
	if (backup_add_file(b, path, name, NULL, NULL) < 0) {
		log_error("domain %s: its %s file %s could not be backed up", dom,
		    strcmp(kind, MANIFEST_KIND_NVRAM) == 0 ? "NVRAM" : "TPM state", path);
		return -1;
	}
	return backup_set_kind(b, name, kind);
}

/*
 * The domain's firmware variables (<nvram>) and its emulated TPM's state
 * folder, as files of the snapshot: nvram/FILE and tpm/FILE. Neither exists
 * before the domain's first start: then it is said, and nothing is missed.
 */
static int
copy_state(struct backup *b, const struct domxml_domain *d)
{
	char *tpm = domxml_tpm_state(d);
	int ret = 0;

	if (d->nvram != NULL) {
		if (access(d->nvram, F_OK) != 0) {
			log_warn("domain %s: its NVRAM file %s does not exist (libvirt makes it at the first start): not backed up",
			    d->name, d->nvram);
		} else {
			char *name = xasprintf("nvram/%s", util_basename(d->nvram));

			ret = add_state_file(b, d->name, d->nvram, name, MANIFEST_KIND_NVRAM);
			free(name);
		}
	}
	if (ret == 0 && tpm != NULL) {
		DIR *dir = opendir(tpm);
		struct strlist files = { 0 };
		struct dirent *e;

		if (dir == NULL) {
			if (errno == ENOENT)
				log_warn("domain %s: no TPM state in %s (swtpm makes it at the first start): not backed up",
				    d->name, tpm);
			else {
				log_error("domain %s: cannot read its TPM state folder %s: %s", d->name, tpm,
				    strerror(errno));
				ret = -1;
			}
		} else {
			while ((e = readdir(dir)) != NULL)
				if (e->d_name[0] != '.' && regular_in(dirfd(dir), e->d_name))
					strlist_add(&files, e->d_name);
			closedir(dir);
			strlist_sort(&files);
			for (size_t i = 0; ret == 0 && i < files.n; i++) {
				char *path = util_path_join(tpm, files.v[i]);
				char *name = xasprintf("tpm/%s", files.v[i]);

				ret = add_state_file(b, d->name, path, name, MANIFEST_KIND_TPM);
				free(path);
				free(name);
			}
			strlist_clear(&files);
		}
	}
	free(tpm);
	return ret;
}

/* Journal the plan: the disks, their chains, the overlays to create. */
static struct journal *
plan(const struct conf *c, const struct domxml_domain *d, const bool *sel, bool running)
{
	struct journal *j = xcalloc(1, sizeof(*j));
	char stamp[48], when[32];
	time_t t = time(NULL);

	/* Time and pid: two runs in one second never share overlay names. */
	strftime(when, sizeof(when), "%Y%m%dT%H%M%SZ", gmtime(&t));
	snprintf(stamp, sizeof(stamp), "%s-%d", when, (int)getpid());
	j->domain = xstrdup(d->name);
	j->phase = xstrdup("prepare");
	j->snapshot = xasprintf("%s%s", OVERLAY_SNAPSHOT_PREFIX, stamp);
	j->running = running;
	for (size_t i = 0; i < d->ndisks; i++) {
		struct journal_disk *jd;

		if (!sel[i])
			continue;
		jd = journal_add_disk(j);
		jd->target = xstrdup(d->disks[i].target);
		jd->format = xstrdup(d->disks[i].chain[0].format ? d->disks[i].chain[0].format : "raw");
		for (size_t k = 0; k < d->disks[i].nchain; k++)
			strlist_add(&jd->chain, d->disks[i].chain[k].path);
		if (d->disks[i].chain[0].type == DOMXML_BLOCK) {
			/* Two volumes of one name (vg1/root, vg2/root): the target tells them apart. */
			char *st = xasprintf("%s-%s", stamp, d->disks[i].target);

			jd->overlay = overlay_path(d->disks[i].chain[0].path, c->overlay_dir, st);
			free(st);
		} else {
			jd->overlay = overlay_path(d->disks[i].chain[0].path, c->overlay_dir, stamp);
		}
	}
	return j;
}

/*
 * How many disks of J run on their overlay now: after a snapshot call that
 * reported an error, the snapshot may still have been taken (the guest
 * agent failed to thaw, the reply was lost). Returns the count or -1.
 */
static int
disks_on_overlay(struct hv *hv, const char *dom, const struct journal *j)
{
	struct domxml_domain *d = NULL;
	int n = 0;

	if (chain_describe(hv, dom, &d) != 0)
		return -1;
	for (size_t i = 0; i < j->ndisks; i++)
		n += domxml_runs_on(d, j->disks[i].target, j->disks[i].overlay);
	domxml_free(d);
	return n;
}

/*
 * One snapshot attempt; on an error, whether it was taken all the same.
 * Returns 0 with *TAKEN (when false, ERR says why), or -1 (taken on some
 * disks only, or the domain cannot be looked at: logged).
 */
static int
snapshot_attempt(struct hv *hv, const char *dom, const char *xml, const struct journal *j,
    bool quiesce, bool *taken, char *err, size_t errlen)
{
	int n;

	*taken = hv_snapshot_disks(hv, dom, xml, quiesce, err, errlen) == 0;
	if (*taken)
		return 0;
	n = disks_on_overlay(hv, dom, j);
	if (n < 0)
		return -1;
	if (n == 0)
		return 0;
	if ((size_t)n < j->ndisks) {
		log_error("domain %s: the snapshot failed (%s) with %d of %zu disks on their overlays",
		    dom, err, n, j->ndisks);
		return -1;
	}
	log_warn("domain %s: the snapshot reported an error (%s) but was taken; going on", dom, err);
	*taken = true;
	return 0;
}

static int
take_snapshot(struct hv *hv, const struct conf *c, const struct domxml_domain *d,
    const bool *sel, struct journal *j, const struct seq_opts *o, int *quiesced)
{
	char *xml = snapshot_xml(d, sel, j);
	char err[512];
	bool taken = false;
	int r = -1;

	if (journal_set_phase(c->state_dir, j, "snapshot") < 0)
		goto out;
	*quiesced = 0;
	if (o->quiesce != CONF_QUIESCE_OFF) {
		r = snapshot_attempt(hv, d->name, xml, j, true, &taken, err, sizeof(err));
		if (r < 0 || taken) {
			*quiesced = taken;
			goto out;
		}
		if (o->quiesce == CONF_QUIESCE_REQUIRE) {
			log_error("domain %s: the quiesced snapshot failed (quiesce = require): %s",
			    d->name, err);
			goto out;
		}
		log_warn("domain %s: cannot quiesce (%s); taking a crash-consistent snapshot instead",
		    d->name, err);
	}
	r = snapshot_attempt(hv, d->name, xml, j, false, &taken, err, sizeof(err));
	if (r == 0 && !taken)
		log_error("domain %s: the snapshot failed: %s", d->name, err);
out:
	free(xml);
	return r == 0 && taken ? 0 : -1;
}

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

/* After a failure past the snapshot: bring the disks back now if we can. */
static void
roll_back(struct hv *hv, const struct conf *c, const char *dom)
{
	bool did = false;

	log_warn("domain %s: putting its disks back after the failure", dom);
	if (repair_domain(hv, c, dom, &did, true) < 0)
		log_error("domain %s: could not put the disks back; run 'virtvault repair %s'", dom, dom);
}

int
seq_backup_domain(struct hv *hv, struct repo *r, const struct conf *c, const char *dom,
    const struct seq_opts *o, struct seq_result *res)
{
	struct domxml_domain *d = NULL;
	struct backup *b = NULL;
	struct journal *j = NULL;
	char *xml_live = NULL, *xml_inactive = NULL;
	bool *sel = NULL, persistent = false, snapped = false, did;
	enum hv_state state, state2;
	double t, t_overlay = 0;
	struct cbt_run cbt = { 0 };
	int lock, rc, ret = -1;

	memset(res, 0, sizeof(*res));
	res->quiesced = -1;
	rc = state_lock_domain(c->state_dir, dom, &lock);
	if (rc != 0)
		return rc == VV_BUSY ? VV_BUSY : -1;
	/* Only the run holding the lock says it runs (status, metrics). */
	state_running_set(c->state_dir, dom, (int)getpid());
	t = clock_mono();
	/* A crashed run first: its overlay must go before a new one. */
	rc = journal_read(c->state_dir, dom, &j);
	if (rc < 0)
		goto out;
	if (rc == 0) {
		journal_free(j);
		j = NULL;
		log_warn("domain %s: an earlier backup was interrupted; repairing it first", dom);
		if (repair_domain(hv, c, dom, &did, o->quiet) < 0)
			goto out;
	}
	rc = hv_domain_state(hv, dom, &state, &persistent);
	if (rc == VV_NOT_FOUND) {
		log_error("domain %s: not found at %s", dom, hv_uri(hv));
		goto out;
	}
	if (rc < 0)
		goto out;
	if (state == HV_STATE_OTHER) {
		log_error("domain %s: neither running, paused nor shut off; not backed up", dom);
		goto out;
	}
	if (chain_describe(hv, dom, &d) != 0 ||
	    hv_domain_xml(hv, dom, false, &xml_live) != 0 ||
	    (persistent && hv_domain_xml(hv, dom, true, &xml_inactive) != 0))
		goto out;
	sel = xcalloc(d->ndisks + 1, sizeof(*sel));
	if (select_disks(d, c, o, state != HV_STATE_SHUTOFF, sel) < 0)
		goto out;
	if (state != HV_STATE_SHUTOFF) {
		for (size_t i = 0; i < d->ndisks; i++) {
			struct hv_block_job job;

			if (!sel[i])
				continue;
			rc = hv_block_job(hv, dom, d->disks[i].target, &job);
			if (rc != 0) {
				if (rc == 1)
					log_error("domain %s, disk %s: a block job (%s) is running; nothing touched",
					    dom, d->disks[i].target, job.type);
				goto out;
			}
		}
	}
	/* The job's own preparation, before anything is touched. */
	if (o->pre_hook != NULL && run_phase_hook(o, dom, o->pre_hook, "pre") < 0) {
		log_error("domain %s: not backed up (its pre_backup hook failed); nothing touched", dom);
		goto out;
	}
	j = plan(c, d, sel, state != HV_STATE_SHUTOFF);
	if (journal_write(c->state_dir, j) < 0)
		goto out;
	/* The changed-block tracking of this run: one entry per journaled disk. */
	cbt_run_init(&cbt, r, o->name ? o->name : dom, c->state_dir, j);
	cbt.off = o->no_cbt || !c->cbt;
	cbt.check = o->check_cbt;
	res->seconds_describe = clock_mono() - t;

	b = backup_new(r, o->name ? o->name : dom);
	if (b == NULL)
		goto fail;
	backup_set_cancel(b, o->cancel);
	if (o->time_given)
		backup_set_time(b, o->time);
	if (o->cancel && *o->cancel) {
		log_warn("domain %s: cancelled before its snapshot; nothing touched", dom);
		goto fail;
	}
	t = clock_mono();
	if (state != HV_STATE_SHUTOFF) {
		/* From here a failure puts the disks back: repair finds out
		 * whether the snapshot was taken, even when it said it failed. */
		snapped = true;
		cbt_checkpoint(hv, &cbt, d);
		if (take_snapshot(hv, c, d, sel, j, o, &res->quiesced) < 0)
			goto fail;
		t_overlay = clock_mono();
		res->seconds_snapshot = t_overlay - t;
		log_info("domain %s: snapshot %s taken (%s)", dom, j->snapshot,
		    res->quiesced ? "quiesced" : "crash-consistent");
	} else {
		snprintf(cbt.why_none, sizeof(cbt.why_none),
		    "the domain is shut off: no checkpoint is taken, the disks are read whole");
	}
	/* In the snapshot window: the bases are read-only backing files. */
	cbt_plan_disks(hv, r, c, &cbt);
	if (journal_set_phase(c->state_dir, j, "copy") < 0)
		goto fail;
	stall_point(c, dom, "copy", o->cancel);
	t = clock_mono();
	if (copy_disks(b, c, dom, j, &cbt, o->quiet, o->cancel) < 0) {
		if (o->cancel && *o->cancel)
			log_warn("domain %s: stopping on a signal: putting its disks back first", dom);
		goto fail;
	}
	if (copy_state(b, d) < 0)
		goto fail;
	res->seconds_copy = clock_mono() - t;

	if (state == HV_STATE_SHUTOFF) {
		/* Nothing guards a shut-off domain from being started meanwhile:
		 * the copy checks each image's size and modification time, and
		 * the state is checked again here; either way, nothing was touched. */
		if (hv_domain_state(hv, dom, &state2, NULL) != 0 || state2 != HV_STATE_SHUTOFF) {
			log_error("domain %s: started while its disks were being copied; this backup is discarded",
			    dom);
			goto fail;
		}
	} else {
		t = clock_mono();
		if (journal_set_phase(c->state_dir, j, "commit") < 0)
			goto fail;
		for (size_t i = 0; i < j->ndisks; i++) {
			if (i == 0 && stall_wanted("commit")) {
				/* Fault hook: start the commit, then stall before the pivot. */
				hv_block_commit(hv, dom, j->disks[i].target);
				stall_point(c, dom, "commit", o->cancel);
			}
			if (commit_disk(hv, dom, j->disks[i].target, (unsigned long)c->commit_timeout,
			    false, o->quiet) < 0)
				goto fail;
		}
		res->seconds_commit = clock_mono() - t;
		res->seconds_on_overlay = clock_mono() - t_overlay;
		if (journal_set_phase(c->state_dir, j, "cleanup") < 0)
			goto fail;
		stall_point(c, dom, "cleanup", o->cancel);
		for (size_t i = 0; i < j->ndisks; i++) {
			if (unlink(j->disks[i].overlay) < 0 && errno != ENOENT) {
				log_error("domain %s, disk %s: cannot delete overlay %s: %s", dom,
				    j->disks[i].target, j->disks[i].overlay, strerror(errno));
				goto fail;
			}
		}
		snapped = false;
	}
	/* The disks are back on their bases: the job's follow-up. */
	if (o->post_hook != NULL && run_phase_hook(o, dom, o->post_hook, "post") < 0)
		log_warn("domain %s: its post_backup hook failed; the backup goes on", dom);
	t = clock_mono();
	if (journal_set_phase(c->state_dir, j, "verify") < 0 || chain_verify(hv, dom, j) < 0)
		goto fail;
	res->seconds_verify = clock_mono() - t;

	backup_set_domain(b, xml_live, xml_inactive, res->quiesced);
	xml_live = xml_inactive = NULL;
	t = clock_mono();
	if (journal_set_phase(c->state_dir, j, "publish") < 0 || backup_commit(b) < 0)
		goto fail;
	journal_remove(c->state_dir, dom);
	cbt_finish(hv, c, &cbt, backup_manifest(b)->key);
	res->seconds_publish = clock_mono() - t;
	snprintf(res->snapshot, sizeof(res->snapshot), "%s", backup_manifest(b)->id);
	res->stats = *backup_stats(b);
	for (size_t i = 0; i < backup_manifest(b)->nfiles && res->nreads < SEQ_MAX_READS; i++) {
		const struct manifest_file *f = &backup_manifest(b)->files[i];
		struct seq_read *rd = &res->reads[res->nreads++];

		snprintf(rd->file, sizeof(rd->file), "%s", f->name);
		snprintf(rd->mode, sizeof(rd->mode), "%s", f->read_mode ? f->read_mode : "full");
		snprintf(rd->reason, sizeof(rd->reason), "%s", f->read_reason ? f->read_reason : "-");
		rd->bytes_skipped = f->bytes_skipped;
	}
	ret = 0;
	goto out;
fail:
	if (snapped)
		roll_back(hv, c, dom);
	else if (j != NULL)
		journal_remove(c->state_dir, dom);
out:
	cbt_run_clear(&cbt);
	free(xml_live);
	free(xml_inactive);
	free(sel);
	journal_free(j);
	domxml_free(d);
	backup_free(b);
	state_running_clear(c->state_dir, dom);
	state_unlock_domain(lock);
	return ret;
}
