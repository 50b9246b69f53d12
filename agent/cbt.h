/*
 * Changed-block tracking in the sequence: a libvirt checkpoint (a
 * persistent dirty bitmap in each qcow2 disk) just before each snapshot;
 * in the snapshot window, while the base is the read-only backing file,
 * its dirty map since the reference checkpoint (qemu-nbd and libnbd) and
 * its cluster map (qemu-img map) give the chunks that need no reading
 * (agent/cbtmap.h); after a published backup the new checkpoint becomes
 * the reference (state/cbt.h) and older ones of the same backups go.
 * Anything doubtful means a full read, with the reason recorded.
 */
#ifndef VV_CBT_H
#define VV_CBT_H

#include <stdbool.h>
#include <stdint.h>

#include "agent/cbtmap.h"
#include "agent/domxml.h"
#include "agent/hv.h"
#include "conf/conf.h"
#include "repo/backup.h"
#include "repo/index.h"
#include "repo/repo.h"
#include "state/journal.h"

/* The plan of one disk's top image in one run. */
struct cbt_disk {
	char *target;
	char *path;
	bool qcow2;		/* this run's checkpoint, if taken, holds a bitmap here */
	/* Out: the plan for the copy. */
	struct backup_reuse reuse;
	struct index ref;
	uint8_t *skip;
	uint8_t *fine;		/* the plan in 64 KiB units (format 3), or NULL */
	char reason[320];
	/* Out: the next reference (when MAPPED). */
	bool mapped;
	struct cbt_map map;
	char map_sha[65];
	uint64_t dev, ino;
	unsigned runs;		/* incremental runs since the last whole read */
};

/* What one run does, for every disk it backs up. */
struct cbt_run {
	const char *dom;
	const char *state_dir;	/* where J is written */
	struct journal *j;	/* the run's journal: records the bitmap reader */
	char *prefix;		/* "virtvault-XXXXXXXX-": checkpoints of these backups */
	char *flow;		/* "XXXXXXXX-NAME": their references in the state folder */
	const char *repository;	/* the repository's URL (borrowed) */
	char *planned;		/* this run's checkpoint name */
	char *checkpoint;	/* this run's, or NULL when none was taken */
	bool check;		/* --check-cbt: read whole, compare with the plan */
	bool off;		/* --no-cbt or cbt = no */
	char why_none[256];	/* when CHECKPOINT is NULL: why */
	struct cbt_disk *disks;
	size_t ndisks;
};

/*
 * cbt_run_init: prepare RUN for the backups NAME in R of the run journal J
 * plans (its domain, disks and snapshot stamp).
 */
void cbt_run_init(struct cbt_run *run, struct repo *r, const char *name, const char *state_dir,
    struct journal *j);

/*
 * cbt_checkpoint: before the snapshot of running domain DOM (described by
 * D), create RUN's checkpoint with a bitmap in each of its qcow2 disks and
 * none in every other disk of D. A failure only means full reads (logged
 * as a warning, RUN->checkpoint NULL).
 */
void cbt_checkpoint(struct hv *hv, struct cbt_run *run, const struct domxml_domain *d);

/*
 * cbt_plan_disks: in the snapshot window, the plan of each disk of RUN:
 * incremental from its reference, or full with the reason. Never fails:
 * doubt means a full read.
 */
void cbt_plan_disks(struct hv *hv, struct repo *r, const struct conf *c, struct cbt_run *run);

/*
 * cbt_finish: after backup M was published: make this run's checkpoint
 * the reference of each mapped disk and delete the older checkpoints of
 * these backups. Failures are logged as warnings (the next run then reads
 * more, never less).
 */
void cbt_finish(struct hv *hv, const struct conf *c, struct cbt_run *run, const char *key);

/* cbt_run_clear: free RUN. */
void cbt_run_clear(struct cbt_run *run);

/*
 * cbt_dirty: the guest ranges dirty in bitmap BITMAP of the qcow2 image
 * PATH (virtual size SIZE), not in use for writing, read through qemu-nbd
 * and libnbd. The qemu-nbd dies with us, and while it runs it is recorded
 * in the journal J (written in STATE_DIR; J may be NULL) for repair.
 * Returns 0, or -1 with the reason in ERR.
 */
int cbt_dirty(const char *path, const char *bitmap, uint64_t size, const char *state_dir,
    struct journal *j, struct cbt_ranges *out, char *err, size_t errlen);

/*
 * cbt_strip_bitmaps: remove every persistent bitmap from the qcow2 image
 * PATH (a restored copy starts clean). Returns 0 or -1 (logged).
 */
int cbt_strip_bitmaps(const char *path);

#endif
