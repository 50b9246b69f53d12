/*
 * Restoring backups.
 */
#ifndef VV_RESTORE_H
#define VV_RESTORE_H

#include <signal.h>
#include <stdbool.h>

#include "common/progress.h"
#include "repo/manifest.h"
#include "repo/repo.h"

/*
 * restore_files: write the files of M (those named in ONLY by file name or
 * disk target, or all when ONLY is empty) into DIR, sparse, on worker
 * threads. Each chunk is checked against its ID as it is fetched and each
 * index against the manifest's chunk digest; a file whose manifest records
 * a whole-file SHA-256 (versions 1 and 2) is also read back and checked
 * against it, before it gets its name. With SHA non-NULL (M->nfiles
 * entries), every restored file's SHA-256 is computed into SHA[i] (hex).
 * Existing files are refused unless FORCE. Each folder below DIR is
 * opened without following symbolic links. The restore stops as soon as
 * *CANCEL (may be NULL) becomes non-zero. On failure or cancel no partial
 * file is left. Returns 0 or -1 (logged, naming the file, chunk and offset).
 */
int restore_files(struct repo *r, const struct manifest *m, const char *dir,
    const struct strlist *only, bool force, char (*sha)[65],
    const volatile sig_atomic_t *cancel, struct progress *progress);

/*
 * restore_to_device: write file F of M onto the block device DEV (an LVM
 * volume, a partition) of at least F's size, opened exclusively; zero
 * chunks are zeroed (a device has no holes), the rest of DEV is left as it
 * is. A device holding a file system or partition signature is refused
 * unless FORCE. Chunks checked as by restore_files; SHA_OUT (or NULL) gets
 * the SHA-256 read back. Returns 0 or -1 (logged, naming DEV).
 */
int restore_to_device(struct repo *r, const struct manifest *m, const struct manifest_file *f,
    const char *dev, bool force, char *sha_out, const volatile sig_atomic_t *cancel,
    struct progress *progress);

/* restore_has: whether M has a file or a disk target named NAME. */
bool restore_has(const struct manifest *m, const char *name);

/* restore_selected: whether file F is among ONLY (names or disk targets; all when empty). */
bool restore_selected(const struct manifest_file *f, const struct strlist *only);

#endif
