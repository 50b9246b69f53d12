#include "agent/repair.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/chain.h"
#include "agent/commit.h"
#include "agent/journal.h"
#include "agent/sequence.h"
#include "common/log.h"
#include "common/run.h"

/* The active image of disk TARGET now, or NULL. */
static char *
active_of(const struct domxml_domain *d, const char *target)
{
	for (size_t i = 0; i < d->ndisks; i++)
		if (strcmp(d->disks[i].target, target) == 0 && d->disks[i].nchain > 0)
			return xstrdup(d->disks[i].chain[0].path);
	return NULL;
}

/*
 * A shut-off domain left on an overlay: commit it offline into its base
 * with qemu-img, then point the definition back at the base.
 */
static int
offline_commit(struct hv *hv, const char *dom, const struct journal_disk *jd)
{
	char *argv[] = { "qemu-img", "commit", "-q", "-f", "qcow2", jd->overlay, NULL };
	struct run_result r;
	char *xml = NULL, *at, *fixed = NULL, *needle;
	int ret = -1;

	if (run_capture(argv, 64 * 1024, &r) < 0)
		return -1;
	if (r.status != 0) {
		log_error("domain %s, disk %s: qemu-img commit of %s failed: %s", dom, jd->target,
		    jd->overlay, r.err);
		run_result_clear(&r);
		return -1;
	}
	run_result_clear(&r);
	if (hv_domain_xml(hv, dom, true, &xml) != 0)
		return -1;
	needle = xasprintf("'%s'", jd->overlay);
	at = strstr(xml, needle);
	if (at == NULL) {
		free(needle);
		needle = xasprintf("\"%s\"", jd->overlay);
		at = strstr(xml, needle);
	}
	if (at != NULL) {
		fixed = xasprintf("%.*s'%s'%s", (int)(at - xml), xml, jd->chain.v[0],
		    at + strlen(needle));
		ret = hv_define(hv, fixed);
	} else {
		ret = 0;
	}
	free(needle);
	free(fixed);
	free(xml);
	return ret;
}

int
repair_domain(struct hv *hv, const struct conf *c, const char *dom, bool *did, bool quiet)
{
	struct journal *j = NULL;
	struct domxml_domain *d = NULL;
	enum hv_state state;
	int rc, ret = -1;

	*did = false;
	rc = journal_read(c->state_dir, dom, &j);
	if (rc == 1) {
		log_info("domain %s: no interrupted backup to repair", dom);
		return 0;
	}
	if (rc < 0)
		return -1;
	*did = true;
	log_info("domain %s: repairing the backup interrupted in phase '%s'", dom, j->phase);
	rc = hv_domain_state(hv, dom, &state, NULL);
	if (rc != 0) {
		if (rc == HV_NOT_FOUND)
			log_error("domain %s: not found at %s; its journal stays", dom, hv_uri(hv));
		goto out;
	}
	if (chain_describe(hv, dom, &d) != 0)
		goto out;
	for (size_t i = 0; i < j->ndisks; i++) {
		const struct journal_disk *jd = &j->disks[i];
		char *active = active_of(d, jd->target);

		if (active != NULL && strcmp(active, jd->overlay) == 0) {
			if (state == HV_STATE_SHUTOFF) {
				log_info("domain %s, disk %s: shut off on overlay %s: committing it offline",
				    dom, jd->target, jd->overlay);
				rc = offline_commit(hv, dom, jd);
			} else {
				log_info("domain %s, disk %s: still on overlay %s: committing and pivoting",
				    dom, jd->target, jd->overlay);
				rc = commit_disk(hv, dom, jd->target, (unsigned long)c->commit_timeout,
				    true, quiet);
			}
			if (rc < 0) {
				free(active);
				goto out;
			}
		}
		free(active);
		if (jd->overlay[0] != '\0' && access(jd->overlay, F_OK) == 0) {
			if (unlink(jd->overlay) < 0) {
				log_error("domain %s, disk %s: cannot delete overlay %s: %s", dom,
				    jd->target, jd->overlay, strerror(errno));
				goto out;
			}
			log_info("domain %s, disk %s: deleted overlay %s", dom, jd->target, jd->overlay);
		}
	}
	if (seq_verify_chains(hv, dom, j) < 0) {
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
