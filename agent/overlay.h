/*
 * Names of what a backup creates on a host, so that anything left behind
 * is recognisably ours: overlay files and snapshot names.
 */
#ifndef VV_OVERLAY_H
#define VV_OVERLAY_H

#include <stdbool.h>

/* An overlay of IMAGE is named IMAGE-BASENAME.virtvault-overlay-STAMP. */
#define OVERLAY_TAG ".virtvault-overlay-"
/* Snapshots taken by virtvault are named virtvault-STAMP. */
#define OVERLAY_SNAPSHOT_PREFIX "virtvault-"

/*
 * overlay_path: where the overlay of IMAGE goes for the backup STAMP: in
 * OVERLAY_DIR when it is non-empty, else next to IMAGE. A new string.
 */
char *overlay_path(const char *image, const char *overlay_dir, const char *stamp);

/* overlay_is_ours: whether PATH's file name is one of our overlays. */
bool overlay_is_ours(const char *path);

/* overlay_is_ours_of: whether NAME (a file name) is an overlay of IMAGE. */
bool overlay_is_ours_of(const char *name, const char *image);

#endif
