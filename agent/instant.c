#include "agent/instant.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/define.h"
#include "agent/domxml.h"
#include "agent/instant_mount.h"
#include "agent/qimg.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/progress.h"
#include "repo/restore.h"
#include "state/instant.h"

/* Whether disk TARGET of DOM still has a backing file (live XML). -1 on error. */
static int
still_backed(struct hv *hv, const char *dom, const char *target)
{
	struct domxml_domain *d = NULL;
	const struct domxml_disk *k;
	char *xml = NULL, err[256];
	int ret = -1;

	if (hv_domain_xml(hv, dom, false, &xml) != 0 || (d = domxml_parse(xml, err, sizeof(err))) == NULL)
		goto out;
	k = domxml_find_disk(d, target);
	/* Unknown (an inactive XML says nothing of the chain): ask qemu-img then. */
	ret = k != NULL && (k->nchain > 1 || !k->chain_complete) ? 1 : 0;
out:
	free(xml);
	domxml_free(d);
	return ret;
}

/*
 * Pull every disk of J still backed by the mount, one after the other
 * (QEMU 7.2 has crashed running two stream jobs at once), while DOM runs;
 * wait, with progress, until each stands alone. Returns 0, or -1 (logged).
 */
static int
pull_disks(struct hv *hv, const struct instant_journal *j, bool quiet,
    const volatile sig_atomic_t *cancel)
{
	for (size_t i = 0; i < j->targets.n; i++) {
		const char *t = j->targets.v[i];
		struct progress *p = progress_new(t, 0, stderr, -1, quiet);
		struct hv_block_job job;
		int rc = hv_block_job(hv, j->domain, t, &job), ret = -1;

		if (rc < 0)
			goto next;
		if (rc == 0 && still_backed(hv, j->domain, t) == 1 && hv_block_pull(hv, j->domain, t) < 0)
			goto next;
		while ((rc = hv_block_job(hv, j->domain, t, &job)) == 1) {
			progress_set_total(p, job.end);
			progress_set(p, job.cur);
			if (cancel != NULL && *cancel) {
				log_warn("domain %s: stopped waiting on a signal; the pull goes on in QEMU: 'virtvault repair %s' finishes it",
				    j->domain, j->domain);
				goto next;
			}
			usleep(200000);
		}
		if (rc < 0)
			goto next;
		if (still_backed(hv, j->domain, t) != 0) {
			log_error("domain %s, disk %s: the block pull ended, yet the disk still reads from the mount; 'virtvault repair %s' tries again",
			    j->domain, t, j->domain);
			goto next;
		}
		progress_finish(p);
		ret = 0;
next:
		progress_free(p);
		if (ret < 0)
			return -1;
	}
	return 0;
}

int
instant_restore(struct hv *hv, struct repo *r, const struct conf *c, const struct manifest *m,
    const struct instant_opts *o)
{
	struct instant_journal j = { 0 };
	struct strlist files = { 0 }, state_files = { 0 };
	char *mnt = NULL, *log = NULL;
	double t0 = clock_mono();
	bool defined = false;
	int ret = -1;

	if (m->domain_xml == NULL) {
		log_error("snapshot %s holds image files, not a domain: --instant needs a domain", m->id);
		return -1;
	}
	j.domain = xstrdup(o->newname);
	j.snapshot = xstrdup(m->id);
	if (instant_mount_disks(m, "--instant", &j.targets, &files) < 0)
		goto out;
	for (size_t i = 0; i < files.n; i++) {
		char *ov = xasprintf("%s/%s", o->dir, files.v[i]);

		if (access(ov, F_OK) == 0) {
			log_error("restore target %s exists: refusing to overwrite it", ov);
			free(ov);
			goto out;
		}
		strlist_add(&j.overlays, ov);
		free(ov);
	}
	/* The firmware and TPM state, small, as plain files first. */
	for (size_t i = 0; i < m->nfiles; i++)
		if (m->files[i].kind != NULL)
			strlist_add(&state_files, m->files[i].name);
	if (state_files.n > 0 && restore_files(r, m, o->dir, &state_files, false, NULL, o->cancel, NULL) < 0)
		goto out;
	mnt = xasprintf("%s/.virtvault-mount-%s", o->dir, m->id);
	log = xasprintf("%s/.virtvault-mount-%s.log", o->dir, m->id);
	/* Covered by the mount, whose files are root's and QEMU's alone. */
	if (mkdir(mnt, 0700) < 0 && errno != EEXIST) {
		log_error("instant restore: cannot make the mount point %s: %s", mnt, strerror(errno));
		goto out;
	}
	j.mount = xstrdup(mnt);
	if ((j.mount_pid = instant_mount_start(o->self, o->config_path, m->id, mnt, log)) < 0) {
		rmdir(mnt);
		goto out;
	}
	if (instant_journal_write(c->state_dir, &j) < 0)
		goto undo;
	if (instant_mount_overlays(m, &files, &j.overlays, mnt) < 0)
		goto undo;
	if (define_restored_on(hv, m, o->dir, o->newname, "qcow2") < 0)
		goto undo;
	defined = true;
	if (hv_domain_start(hv, o->newname) < 0)
		goto undo;
	log_info("domain %s started %.1fs after the command, on overlays over the mount of snapshot %s; pulling its data in",
	    o->newname, clock_mono() - t0, m->id);
	printf("domain %s started (instant restore of snapshot %s); pulling its disks\n", o->newname, m->id);
	fflush(stdout);
	if (pull_disks(hv, &j, o->quiet, o->cancel) < 0)
		goto out;	/* running: the journal stays for repair */
	instant_mount_release(j.mount_pid, mnt);
	unlink(log);
	instant_journal_remove(c->state_dir, o->newname);
	log_info("domain %s: its disks stand alone (%.1fs in all); the mount is released", o->newname,
	    clock_mono() - t0);
	ret = 0;
	goto out;
undo:
	/* Not started: nothing stays (the definition, the overlays, the mount). */
	if (defined)
		hv_undefine(hv, o->newname);
	for (size_t i = 0; i < j.overlays.n; i++)
		unlink(j.overlays.v[i]);
	for (size_t i = 0; i < state_files.n; i++) {
		char *f = xasprintf("%s/%s", o->dir, state_files.v[i]);

		unlink(f);
		free(f);
	}
	instant_mount_release(j.mount_pid, mnt);
	instant_journal_remove(c->state_dir, o->newname);
out:
	free(mnt);
	free(log);
	strlist_clear(&files);
	strlist_clear(&state_files);
	instant_journal_clear(&j);
	return ret;
}

int
instant_repair(struct hv *hv, const struct conf *c, const char *dom, bool quiet)
{
	struct instant_journal j;
	enum hv_state state;
	int rc = instant_journal_read(c->state_dir, dom, &j), ret = -1;

	if (rc != 0)
		return rc;
	log_warn("domain %s: an instant restore (snapshot %s) was interrupted; finishing it", dom, j.snapshot);
	if (!instant_mount_active(j.mount) || (j.mount_pid > 0 && kill(j.mount_pid, 0) != 0)) {
		log_error("domain %s: the mount its disks read from (%s) is gone; stop the domain and restore the snapshot without --instant",
		    dom, j.mount);
		goto out;
	}
	if (hv_domain_state(hv, dom, &state, NULL) != 0)
		goto out;
	if (state == HV_STATE_SHUTOFF) {
		/* Offline: qemu-img copies what the mount gives into each overlay. */
		for (size_t i = 0; i < j.overlays.n; i++) {
			log_info("domain %s, disk %s: copying in what it still reads from the mount (offline)",
			    dom, j.targets.v[i]);
			if (qimg_standalone(j.overlays.v[i]) < 0)
				goto out;
		}
	} else if (pull_disks(hv, &j, quiet, NULL) < 0) {
		goto out;
	}
	instant_mount_release(j.mount_pid, j.mount);
	instant_journal_remove(c->state_dir, dom);
	log_info("domain %s: repaired; its disks stand alone and the mount is released", dom);
	ret = 0;
out:
	instant_journal_clear(&j);
	return ret;
}
