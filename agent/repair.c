#include "agent/repair.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/chain.h"
#include "agent/commit.h"
#include "state/journal.h"
#include "agent/domxml.h"
#include "agent/qimg.h"
#include "state/cbt.h"
#include "common/log.h"
#include "common/proc.h"
#include "common/util.h"

/*
 * A shut-off domain left on an overlay: commit it offline into its base
 * with qemu-img, then point the definition back at the base (edited with
 * libxml2: paths may hold any character). Returns 0 or -1 (logged; the
 * overlay stays).
 */
static int
offline_commit(struct hv *hv, const char *dom, const struct journal_disk *jd)
{
	char *xml = NULL, *fixed = NULL, err[256];
	int rc, ret = -1;

	if (qimg_commit(jd->overlay) < 0)
		return -1;
	if (hv_domain_xml(hv, dom, true, &xml) != 0)
		return -1;
	rc = domxml_replace_source(xml, jd->target, jd->overlay, jd->chain.v[0], jd->format, &fixed, err,
	    sizeof(err));
	if (rc < 0)
		log_error("domain %s: its definition cannot be read: %s", dom, err);
	else if (rc == VV_NOT_FOUND)
		log_error("domain %s, disk %s: the definition does not name overlay %s; not redefined",
		    dom, jd->target, jd->overlay);
	else
		ret = hv_define(hv, fixed);
	free(fixed);
	free(xml);
	return ret;
}

/*
 * Whether DOM still uses PATH: in its live XML or its persistent
 * definition. Returns 1, 0, or -1 (logged).
 */
static int
still_uses(struct hv *hv, const char *dom, bool persistent, const char *path)
{
	for (int inactive = 0; inactive <= (persistent ? 1 : 0); inactive++) {
		struct domxml_domain *d;
		char *xml = NULL, err[256];
		bool uses;

		if (hv_domain_xml(hv, dom, inactive, &xml) != 0)
			return -1;
		d = domxml_parse(xml, err, sizeof(err));
		free(xml);
		if (d == NULL) {
			log_error("domain %s: its XML cannot be read: %s", dom, err);
			return -1;
		}
		uses = domxml_references(d, path);
		domxml_free(d);
		if (uses)
			return 1;
	}
	return 0;
}

/*
 * The reader J records (a qemu-nbd the interrupted run started) may still
 * hold an image: stop it when it is that very process (same start time,
 * same program on the same image), then remove the folder made for it.
 * Returns 0, or -1 (logged) when it does not end.
 */
static int
stop_reader(const char *state_dir, const char *dom, struct journal *j)
{
	const struct journal_reader *rd = j->reader;
	const char *base = strrchr(rd->dir, '/') ? strrchr(rd->dir, '/') + 1 : rd->dir;

	if (rd->pid > 0 && proc_is(rd->pid, rd->start, rd->program, rd->image)) {
		log_info("domain %s: stopping %s (pid %d) left by the interrupted run; it holds %s",
		    dom, rd->program, rd->pid, rd->image);
		if (proc_end(rd->pid, rd->start, 2000) < 0) {
			log_error("domain %s: %s (pid %d) holding %s does not end; the journal stays",
			    dom, rd->program, rd->pid, rd->image);
			return -1;
		}
	}
	/* Only a folder of the shape the run makes: a journal is not a list
	 * of paths to delete. */
	if (strncmp(base, "virtvault-nbd.", 14) == 0) {
		char *f = xasprintf("%s/nbd.sock", rd->dir);

		unlink(f);
		free(f);
		f = xasprintf("%s/qemu-nbd.err", rd->dir);
		unlink(f);
		free(f);
		if (rmdir(rd->dir) < 0 && errno != ENOENT)
			log_warn("domain %s: cannot remove %s: %s", dom, rd->dir, strerror(errno));
	}
	return journal_clear_reader(state_dir, j);
}

int
repair_domain(struct hv *hv, const struct conf *c, const char *dom, bool *did, bool quiet)
{
	struct journal *j = NULL;
	struct domxml_domain *d = NULL;
	enum hv_state state;
	bool persistent = false;
	int rc, ret = -1;

	*did = false;
	rc = journal_read(c->state_dir, dom, &j);
	if (rc == VV_NOT_FOUND) {
		log_info("domain %s: no interrupted backup to repair", dom);
		return 0;
	}
	if (rc < 0)
		return -1;
	*did = true;
	log_info("domain %s: repairing the backup interrupted in phase '%s'", dom, j->phase);
	/* First: a reader left running holds a lock the commit needs. */
	if (j->reader != NULL && stop_reader(c->state_dir, dom, j) < 0)
		goto out;
	rc = hv_domain_state(hv, dom, &state, &persistent);
	if (rc != 0) {
		if (rc == VV_NOT_FOUND)
			log_error("domain %s: not found at %s; its journal stays", dom, hv_uri(hv));
		goto out;
	}
	if (chain_describe(hv, dom, &d) != 0)
		goto out;
	for (size_t i = 0; i < j->ndisks; i++) {
		const struct journal_disk *jd = &j->disks[i];

		if (domxml_runs_on(d, jd->target, jd->overlay)) {
			if (state == HV_STATE_SHUTOFF) {
				log_info("domain %s, disk %s: shut off on overlay %s: committing it offline",
				    dom, jd->target, jd->overlay);
				rc = offline_commit(hv, dom, jd);
				/* qemu-img's commit is not libvirt's bitmap merge: the
				 * next backup reads the disks whole. */
				if (cbt_ref_forget_domain(c->state_dir, dom) == 0)
					log_info("domain %s: its next backup reads every disk whole (changed-block tracking starts again after an offline commit)",
					    dom);
			} else {
				log_info("domain %s, disk %s: still on overlay %s: committing and pivoting",
				    dom, jd->target, jd->overlay);
				rc = commit_disk(hv, dom, jd->target, (unsigned long)c->commit_timeout,
				    true, quiet);
			}
			if (rc < 0)
				goto out;
		}
		if (jd->overlay[0] != '\0' && access(jd->overlay, F_OK) == 0) {
			/* Never delete what the domain still points at. */
			rc = still_uses(hv, dom, persistent, jd->overlay);
			if (rc != 0) {
				if (rc == 1)
					log_error("domain %s, disk %s: still refers to overlay %s; it stays, and so does the journal",
					    dom, jd->target, jd->overlay);
				goto out;
			}
			if (unlink(jd->overlay) < 0) {
				log_error("domain %s, disk %s: cannot delete overlay %s: %s", dom,
				    jd->target, jd->overlay, strerror(errno));
				goto out;
			}
			log_info("domain %s, disk %s: deleted overlay %s", dom, jd->target, jd->overlay);
		}
	}
	if (chain_verify(hv, dom, j) < 0) {
		log_error("domain %s: the chains differ from the journal's after repair; the journal stays",
		    dom);
		goto out;
	}
	if (journal_remove(c->state_dir, dom) < 0)
		goto out;
	log_info("domain %s: repaired; every disk is back on its own image", dom);
	ret = 0;
out:
	domxml_free(d);
	journal_free(j);
	return ret;
}
