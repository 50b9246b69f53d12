/*
 * The active block commit of one disk's overlay back into its base, with
 * pivot: start, wait for the job to be ready (bounded, with progress),
 * pivot; restart when the guest writes faster than the commit converges.
 */
#ifndef VV_COMMIT_H
#define VV_COMMIT_H

#include <stdbool.h>

#include "agent/hv.h"

/*
 * commit_disk: commit disk TARGET of DOM (its active layer into the
 * immediate backing file) and pivot. A commit job already running on the
 * disk (a crashed run's) is taken over when JOIN. Gives up after TIMEOUT
 * seconds in all. Returns 0, or -1 (logged: the disk stays on its overlay,
 * and the journal asks for repair).
 */
int commit_disk(struct hv *hv, const char *dom, const char *target,
    unsigned long timeout, bool join, bool quiet);

#endif
