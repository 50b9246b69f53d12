/*
 * Repair of an interrupted backup from its journal.
 */
#ifndef VV_REPAIR_H
#define VV_REPAIR_H

#include <stdbool.h>

#include "agent/hv.h"
#include "conf/conf.h"

/*
 * repair_domain: bring DOM back from its journal: commit and pivot an
 * overlay still active (offline with qemu-img when the domain is shut
 * off), delete overlays, verify the chains, remove the journal. Each
 * action is logged. The caller holds DOM's lock. *DID says whether there
 * was anything to repair. Returns 0 or -1 (logged; the journal stays).
 */
int repair_domain(struct hv *hv, const struct conf *c, const char *dom, bool *did,
    bool quiet);

#endif
