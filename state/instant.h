/*
 * The journal of an instant restore: a domain started on qcow2 overlays
 * whose backing files are in a virtvault mount, until a block pull made
 * them stand alone. Kept in STATE/instant/DOMAIN.json from before the
 * domain is defined until the mount is released, so that `repair` can
 * finish what a crash interrupted.
 */
#ifndef VV_STATE_INSTANT_H
#define VV_STATE_INSTANT_H

#include <sys/types.h>

#include "common/util.h"

struct instant_journal {
	char *domain;
	char *snapshot;		/* the snapshot's ID */
	char *mount;		/* the mount point the overlays' backing files are in */
	pid_t mount_pid;	/* the `virtvault mount` serving it */
	struct strlist targets;	/* the disks being pulled */
	struct strlist overlays;	/* their overlays, in the same order */
};

/* instant_journal_write: persist J atomically. Returns 0 or -1 (logged). */
int instant_journal_write(const char *state_dir, const struct instant_journal *j);

/* instant_journal_read: DOMAIN's journal into *J. Returns 0, 1 when none, -1 (logged). */
int instant_journal_read(const char *state_dir, const char *domain, struct instant_journal *j);

/* instant_journal_remove: forget DOMAIN's journal. */
void instant_journal_remove(const char *state_dir, const char *domain);

/* instant_journal_clear: free J's fields. */
void instant_journal_clear(struct instant_journal *j);

#endif
