/*
 * What instant restore and the boot check share: a snapshot served by a
 * `virtvault mount` child, and qcow2 overlays whose backing files are the
 * mount's images (agent/instant.c, agent/bootcheck.c).
 */
#ifndef VV_INSTANT_MOUNT_H
#define VV_INSTANT_MOUNT_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/util.h"
#include "repo/manifest.h"

/* instant_mount_active: whether PATH is a mount point (another device than its parent's). */
bool instant_mount_active(const char *path);

/*
 * instant_mount_start: start `SELF [-c CONFIG] mount --allow-other ID MNT`
 * in a session of its own (it outlives a crash of this process: a guest
 * keeps reading), its output in LOG; its files readable by root and QEMU's
 * account alone. Returns its pid once MNT is mounted, or -1 (logged; the
 * child is stopped).
 */
pid_t instant_mount_start(const char *self, const char *config_path, const char *id,
    const char *mnt, const char *log);

/*
 * instant_mount_release: end the mount PID serving MNT (ours or, after a
 * crash, an earlier run's: PID is signalled only when it is still that
 * mount), unmount MNT if it stayed, remove the mount point.
 */
void instant_mount_release(pid_t pid, const char *mnt);

/*
 * instant_mount_disks: every disk of M is one file (not a chain): the
 * disks' targets into TARGETS and their file names into FILES, in the
 * same order. WHAT names the command for the messages ("--instant").
 * Returns 0, or -1 (logged: a chain, or no disk).
 */
int instant_mount_disks(const struct manifest *m, const char *what, struct strlist *targets,
    struct strlist *files);

/*
 * instant_mount_overlays: a qcow2 overlay OVERLAYS[i] over MNT/FILES[i] (in
 * its format in M) for each file. Returns 0 or -1 (logged; those made stay
 * for the caller to remove).
 */
int instant_mount_overlays(const struct manifest *m, const struct strlist *files,
    const struct strlist *overlays, const char *mnt);

#endif
