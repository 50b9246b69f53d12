/*
 * What a backup may reuse without asking the store (docs/FORMAT.md, "Locks
 * and prune"): the chunks of the newest snapshot of its own group, listed
 * after its shared lock was taken. A backup never lists chunks/.
 */
#ifndef VV_BACKUP_SEED_H
#define VV_BACKUP_SEED_H

#include "repo/chunkset.h"
#include "repo/repo.h"

/*
 * backup_seed_known: add to KNOWN the chunk IDs of the newest snapshot of
 * (this host, NAME) in R whose time is not in the future, listed now, less
 * the zero ID and the IDs under quarantine/chunks/ (listed now too). A
 * snapshot of another chunk size seeds nothing; one whose manifest or
 * index cannot be read seeds less (logged). Call it with R's shared lock
 * held: by the invariant, what it adds exists until a manifest published
 * under that lock. *SEEDED (may be NULL) gets how many IDs were added.
 * Returns 0, or -1 (logged: a listing failed).
 */
int backup_seed_known(struct repo *r, const char *name, struct chunkset *known,
    size_t *seeded);

/* backup_seed_group: backup_seed_known for the group (HOST, NAME): a copy's
 * group is its snapshot's, not this host's. */
int backup_seed_group(struct repo *r, const char *host, const char *name,
    struct chunkset *known, size_t *seeded);

#endif
