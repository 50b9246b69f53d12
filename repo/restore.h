/*
 * Restoring backups.
 */
#ifndef VV_RESTORE_H
#define VV_RESTORE_H

#include <stdbool.h>

#include "common/progress.h"
#include "repo/manifest.h"
#include "repo/repo.h"

/*
 * restore_files: write the files of M (those named in ONLY by file name or
 * disk target, or all when ONLY is empty) into DIR, sparse, on worker
 * threads; each is checked against its SHA-256 before it gets its name.
 * Existing files are refused unless FORCE. On failure no partial file is
 * left. Returns 0 or -1 (logged, naming the file, chunk and offset).
 */
int restore_files(struct repo *r, const struct manifest *m, const char *dir,
    const struct strlist *only, bool force, struct progress *progress);

/* restore_selected: whether file F is among ONLY (names or disk targets; all when empty). */
bool restore_selected(const struct manifest_file *f, const struct strlist *only);

#endif
