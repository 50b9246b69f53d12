/*
 * Inside the per-domain sequence (agent/sequence.c runs the phases;
 * seq_disks.c chooses, plans and copies the disks; seq_snapshot.c takes
 * the snapshot). Not for other modules: agent/sequence.h is the interface.
 */
#ifndef VV_SEQ_INT_H
#define VV_SEQ_INT_H

#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>

#include "agent/cbt.h"
#include "agent/domxml.h"
#include "agent/hv.h"
#include "agent/sequence.h"
#include "common/fault.h"
#include "common/util.h"
#include "conf/conf.h"
#include "repo/backup.h"
#include "state/journal.h"

/*
 * seq_stall: the fault build's stop at PHASE of DOM's run (common/fault.h),
 * announced in STATE/stall.DOM; nothing in the shipped binary.
 */
static inline void
seq_stall(const struct conf *c, const char *dom, const char *phase,
    const volatile sig_atomic_t *cancel)
{
	char *marker;

	if (!fault_wanted(phase))
		return;
	marker = xasprintf("%s/stall.%s", c->state_dir, dom);
	fault_stall(phase, marker, cancel);
	free(marker);
}

/*
 * seq_select_disks: choose the disks of D to back up into SEL (one bool
 * per disk); a RUNNING (or paused) domain gets overlays, a shut-off one is
 * read as it is. Returns 0, or -1 (logged) for a disk virtvault cannot
 * snapshot and copy.
 */
int seq_select_disks(const struct domxml_domain *d, const struct conf *c, const struct seq_opts *o,
    bool running, bool *sel);

/*
 * seq_journal_plan: the journal of this run: the disks SEL of D, their
 * chains and the overlays to create. A new journal (journal_free).
 */
struct journal *seq_journal_plan(const struct conf *c, const struct domxml_domain *d,
    const bool *sel, bool running);

/*
 * seq_copy_disks: every image of every disk of J into B, the top image of
 * each through the changed-block plan of CBT. Returns 0 or -1 (logged,
 * naming the image).
 */
int seq_copy_disks(struct backup *b, const struct conf *c, const char *dom,
    const struct journal *j, const struct cbt_run *cbt, bool quiet,
    const volatile sig_atomic_t *cancel);

/*
 * seq_copy_firmware: D's firmware variables (<nvram>) and its emulated
 * TPM's state folder into B, as nvram/FILE and tpm/FILE. Returns 0 or -1
 * (logged).
 */
int seq_copy_firmware(struct backup *b, const struct domxml_domain *d);

/*
 * seq_take_snapshot: the snapshot of the disks SEL of D, quiesced per O.
 * Returns 0 (taken; *QUIESCED says how), 1 when it was refused and nothing
 * was touched (logged), or -1 (logged; it may have been taken: the caller
 * repairs).
 */
int seq_take_snapshot(struct hv *hv, const struct conf *c, const struct domxml_domain *d,
    const bool *sel, struct journal *j, const struct seq_opts *o, int *quiesced);

#endif
