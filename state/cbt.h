/*
 * Changed-block tracking's reference, per disk, on this host: what the
 * next incremental read of a disk compares with. It names the snapshot
 * whose index the unchanged chunks are taken from, the checkpoint (a
 * dirty bitmap in the image) created just before that snapshot, the
 * image file's identity (a replaced or restored file is another inode),
 * and the image's cluster map at that snapshot (opaque bytes here,
 * agent/cbtmap.h). The snapshot's manifest records the checkpoint and
 * the map's digest, so that a reference and its index always belong
 * together.
 */
#ifndef VV_STATE_CBT_H
#define VV_STATE_CBT_H

#include <stddef.h>
#include <stdint.h>

struct cbt_ref {
	char *snapshot;		/* the manifest's key */
	char *checkpoint;
	char *path;		/* the image file */
	uint64_t dev, ino;
	unsigned runs;		/* incremental runs since the disk was last read whole */
	uint8_t *map;
	size_t maplen;
};

/*
 * cbt_ref_read: the reference of disk TARGET for the backups FLOW (one
 * repository and backup name: a domain backed up into two repositories
 * has two) of domain DOM. Returns 0, VV_NOT_FOUND, or -1 (logged: unreadable).
 */
int cbt_ref_read(const char *state_dir, const char *dom, const char *flow,
    const char *target, struct cbt_ref *ref);

/* cbt_ref_write: make REF the reference, durably. Returns 0 or -1 (logged). */
int cbt_ref_write(const char *state_dir, const char *dom, const char *flow,
    const char *target, const struct cbt_ref *ref);

/*
 * cbt_ref_forget_domain: drop every reference of DOM (its next backups
 * read whole), after something changed its disks behind the bitmaps'
 * back (a repair). Returns 0 or -1 (logged).
 */
int cbt_ref_forget_domain(const char *state_dir, const char *dom);

void cbt_ref_clear(struct cbt_ref *ref);

#endif
