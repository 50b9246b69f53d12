/*
 * Changed-block tracking's checkpoints kept few: at most one per flow
 * (one repository and backup name, "virtvault-XXXXXXXX-" in the name),
 * none for a flow that has not run for cbt_forget_after or whose
 * repository is gone, and all of a domain's on request (virtvault repair
 * --forget-cbt). Dropping a checkpoint drops its bitmaps from the images
 * and the state folder's references that name it, leaving a note the
 * flow's next backup gives as the reason of its full read.
 */
#ifndef VV_CBT_TIDY_H
#define VV_CBT_TIDY_H

#include <stdbool.h>
#include <stddef.h>

#include "agent/cbt.h"
#include "agent/domxml.h"
#include "agent/hv.h"
#include "conf/conf.h"

/*
 * cbt_tidy_drop: delete checkpoint NAME of DOM (described by D) with its
 * bitmaps: through libvirt while DOM runs (RUNNING); shut off, where
 * libvirt deletes no checkpoint, bitmap NAME goes from every qcow2 image
 * of D that holds it and libvirt forgets the checkpoint. Returns 0, or -1
 * (logged).
 */
int cbt_tidy_drop(struct hv *hv, const char *dom, const struct domxml_domain *d,
    bool running, const char *name);

/*
 * cbt_tidy_run: before RUN takes its checkpoint: drop the checkpoints of
 * RUN's flow that no reference names (left by runs that did not finish),
 * and those of other flows whose backups last ran before C's
 * cbt_forget_after, or whose file:// repository is gone (their
 * references forgotten). Failures are warnings: a checkpoint stays.
 */
void cbt_tidy_run(struct hv *hv, const struct conf *c, const struct cbt_run *run,
    const struct domxml_domain *d, bool running);

/*
 * cbt_tidy_abandon: after RUN failed: drop its own checkpoint, which no
 * reference will name. A failure is a warning (the next run drops it).
 */
void cbt_tidy_abandon(struct hv *hv, struct cbt_run *run, const struct domxml_domain *d);

/*
 * cbt_tidy_forget_domain: drop every checkpoint of virtvault of DOM and
 * every reference of DOM in C's state folder: its next backups read
 * whole, saying why. *DROPPED: how many checkpoints went. Returns 0,
 * VV_NOT_FOUND (no such domain, logged by nobody) or -1 (logged).
 */
int cbt_tidy_forget_domain(struct hv *hv, const struct conf *c, const char *dom,
    size_t *dropped);

#endif
