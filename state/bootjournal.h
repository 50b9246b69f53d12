/*
 * The journal of a boot check in progress: STATE/bootcheck/NAME.json, NAME
 * the throwaway domain's, written before anything is made and removed once
 * all is gone, with STATE/bootcheck/NAME.lock held (flock) by the check
 * all along. A journal whose lock nobody holds is a leftover of a check
 * that died (kill -9, a crash): `repair`, `check-chain` and the next boot
 * check find it.
 */
#ifndef VV_STATE_BOOTJOURNAL_H
#define VV_STATE_BOOTJOURNAL_H

#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "common/util.h"

struct bootjournal {
	char *name;		/* the throwaway domain */
	char *domain;		/* the domain whose snapshot is booted */
	char *snapshot;		/* the snapshot's ID */
	char *dir;		/* the work folder: overlays, firmware copies, logs */
	char *mount;		/* the mount point of the snapshot, or "" */
	pid_t mount_pid;	/* the `virtvault mount` serving it, or 0 */
	char *tpm_state;	/* a TPM state folder made for NAME outside DIR, or "" */
	pid_t pid;		/* the virtvault running the check */
	time_t started;
};

/*
 * bootjournal_lock: take NAME's lock (without waiting) into *FD. Returns
 * 0, 1 when another process holds it (a check running), or -1 (logged).
 */
int bootjournal_lock(const char *state_dir, const char *name, int *fd);

/*
 * bootjournal_busy: whether a running check holds NAME's lock (the lock is
 * not kept: a probe for a read-only look).
 */
bool bootjournal_busy(const char *state_dir, const char *name);

/* bootjournal_unlock: remove NAME's lock file and release FD (negative: no-op). */
void bootjournal_unlock(const char *state_dir, const char *name, int fd);

/* bootjournal_write: persist J atomically. Returns 0 or -1 (logged). */
int bootjournal_write(const char *state_dir, const struct bootjournal *j);

/* bootjournal_read: NAME's journal into *J. Returns 0, 1 when none, -1 (logged). */
int bootjournal_read(const char *state_dir, const char *name, struct bootjournal *j);

/* bootjournal_remove: forget NAME's journal. */
void bootjournal_remove(const char *state_dir, const char *name);

/* bootjournal_list: the names of every journal, sorted, appended to NAMES. Returns 0 or -1 (logged). */
int bootjournal_list(const char *state_dir, struct strlist *names);

/* bootjournal_clear: free J's fields. */
void bootjournal_clear(struct bootjournal *j);

#endif
