/*
 * Verifying backups.
 */
#ifndef VV_VERIFY_H
#define VV_VERIFY_H

#include <stdbool.h>

#include "common/progress.h"
#include "repo/manifest.h"
#include "repo/repo.h"

/*
 * verify_snapshots: check the N manifests of L: every index and chunk they
 * reference exists; with DEEP, every chunk is read, authenticated,
 * decompressed and re-hashed, and each file's SHA-256 recomputed. Each
 * problem is logged with snapshot, file and byte offset. Returns the
 * number of problems, or -1 when the check itself could not run.
 */
long verify_snapshots(struct repo *r, struct manifest *const *l, size_t n,
    bool deep, struct progress *progress);

#endif
