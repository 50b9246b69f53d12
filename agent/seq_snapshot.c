/*
 * The atomic external snapshot of one domain's disks: quiesced per the
 * policy, and when a call reports an error, whether it was taken all the
 * same (the guest agent failed to thaw, the reply was lost).
 */
#include "agent/seq_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/chain.h"
#include "common/log.h"

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

/* Whether none of J's overlay files exists (a refused snapshot left none). */
static bool
overlays_absent(const struct journal *j)
{
	for (size_t i = 0; i < j->ndisks; i++)
		if (j->disks[i].overlay[0] != '\0' && access(j->disks[i].overlay, F_OK) == 0)
			return false;
	return true;
}

/*
 * The snapshot of the disks SEL of D, quiesced per O. Returns 0 (taken;
 * *QUIESCED says how), 1 when it was refused and nothing was touched (no
 * disk runs on an overlay, no overlay file exists: logged), or -1 (logged;
 * the snapshot may have been taken: the caller repairs).
 */
int
seq_take_snapshot(struct hv *hv, const struct conf *c, const struct domxml_domain *d,
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
			log_error("domain %s: not backed up: the quiesced snapshot failed (quiesce = require): %s",
			    d->name, err);
			r = 1;
			goto out;
		}
		log_warn("domain %s: cannot quiesce (%s); taking a crash-consistent snapshot instead",
		    d->name, err);
	}
	r = snapshot_attempt(hv, d->name, xml, j, false, &taken, err, sizeof(err));
	if (r == 0 && !taken) {
		log_error("domain %s: not backed up: the snapshot failed: %s", d->name, err);
		r = 1;
	}
out:
	free(xml);
	if (r == 1 && !overlays_absent(j))
		r = -1;
	return r == 0 && taken ? 0 : r == 1 ? 1 : -1;
}

