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
#include <time.h>

#include "common/util.h"

struct cbt_ref {
	char *snapshot;		/* the manifest's key */
	char *checkpoint;
	char *path;		/* the image file */
	uint64_t dev, ino;
	unsigned runs;		/* incremental runs since the disk was last read whole */
	uint8_t *map;
	size_t maplen;
	char *repository;	/* the repository's URL, or NULL (older references) */
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

/*
 * cbt_ref_flows: the flows of DOM that have references here, appended to
 * FLOWS. Returns 0 or -1 (logged).
 */
int cbt_ref_flows(const char *state_dir, const char *dom, struct strlist *flows);

/*
 * cbt_ref_flow_info: the checkpoints the references of FLOW of DOM name
 * (appended to CHECKPOINTS), the repository URL they record (*REPOSITORY,
 * a new string, NULL for references written before it was recorded) and
 * when the newest was written (*LAST). Returns 0 or -1 (logged).
 */
int cbt_ref_flow_info(const char *state_dir, const char *dom, const char *flow,
    struct strlist *checkpoints, char **repository, time_t *last);

/*
 * cbt_ref_forget: drop the references of FLOW of DOM (FLOW NULL: of every
 * flow that has some), leaving WHY as a note that the next backup of the flow gives as
 * the reason of its full read. Returns 0 or -1 (logged).
 */
int cbt_ref_forget(const char *state_dir, const char *dom, const char *flow, const char *why);

/*
 * cbt_ref_note: the note cbt_ref_forget left for FLOW of DOM into BUF
 * (LEN bytes). Returns 0 or VV_NOT_FOUND.
 */
int cbt_ref_note(const char *state_dir, const char *dom, const char *flow, char *buf,
    size_t len);

void cbt_ref_clear(struct cbt_ref *ref);

#endif
