/*
 * Copying snapshots into another repository (virtvault copy; docs/FORMAT.md,
 * "Copies"): manifests, indexes and chunks, every object authenticated as
 * it is read from the source and stored under the destination's key. A
 * chunk's ID is a keyed hash of its bytes in each repository, so the
 * indexes are written anew with the destination's IDs: each file is read
 * through the source's index (patches applied) and stored by the backup
 * pipeline of the destination (repo/backup.h), which keeps its rules: its
 * shared lock from the seeding to the manifest, chunks seeded from the
 * group's newest snapshot there or asked for (HEAD) before they are
 * stored (create-if-absent), the manifest published last (create-exclusive).
 */
#ifndef VV_REPO_COPY_H
#define VV_REPO_COPY_H

#include <signal.h>
#include <stdbool.h>

#include "repo/manifest.h"
#include "repo/repo.h"

/*
 * copy_check: whether DST can take the snapshots of SRC: the same chunk
 * size (a copy does not re-chunk: it would lose every chunk shared with
 * the destination's own snapshots, and the slot-by-slot reading of the
 * source). Returns 0, or -1 (logged, naming both repositories and sizes).
 */
int copy_check(struct repo *src, struct repo *dst);

/*
 * copy_present: whether DST holds snapshot M already: the manifest of M's
 * host, name, time and ID (one HEAD). Returns 1, 0, or -1 (logged).
 */
int copy_present(struct repo *dst, const struct manifest *m);

/*
 * copy_snapshot: snapshot M of SRC into DST (copy_check passed, M not
 * present), keeping its name, host, time, ID, domain XML, files' names,
 * disks, kinds and the original backup's figures. PREV (or NULL) is the
 * previous snapshot of M's group in SRC: when DST holds its copy, a slot
 * of a file that PREV's file has the same (same base and patches) takes
 * the ID of that slot in the copy's index, unread (when the destination
 * knows the chunk: seeded from the group's newest snapshot there). Every
 * other slot is read. CANCEL (may be NULL) stops it between chunks. *ST
 * gets what the copy itself stored. A copy stopped at any point leaves
 * only unreferenced objects, reused by the next. Returns 0, or -1 (logged,
 * naming the snapshot).
 */
int copy_snapshot(struct repo *src, struct repo *dst, const struct manifest *m,
    const struct manifest *prev, const volatile sig_atomic_t *cancel, struct backup_stats *st);

/*
 * copy_previous: the snapshot before L[I] in its group among L (N
 * manifests, newest first, as manifest_load_all gives them), not from
 * the future; NULL when none.
 */
const struct manifest *copy_previous(struct manifest *const *l, size_t n, size_t i);

#endif
