/*
 * Repository locks (docs/FORMAT.md, "Locks"): objects locks/ID that say
 * who works on the repository. Backups, restores and verifies hold a
 * shared lock; prune holds the exclusive one only while it deletes. A lock
 * is refreshed while held and is stale when its holder did not refresh it
 * for REPO_LOCK_STALE seconds, or when its holder ran on this machine
 * (same boot ID) and its process is gone. A lock whose times lie in the
 * future (util_time_future) is invalid, and counts as stale.
 */
#ifndef VV_REPO_LOCK_H
#define VV_REPO_LOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "repo/repo.h"

#define REPO_LOCK_REFRESH 300	/* seconds between refreshes */
#define REPO_LOCK_STALE 1800	/* seconds without one: stale */

enum repo_lock_kind { REPO_LOCK_SHARED, REPO_LOCK_EXCLUSIVE };

struct repo_lock;

/*
 * repo_lock_take: take a lock of KIND on R for WHAT ("backup web1"),
 * waiting up to [repository] lock_wait for conflicting ones (an exclusive
 * lock conflicts with every other, a shared one with an exclusive one);
 * stale locks do not count. Returns 0 with *OUT, VV_BUSY (logged, naming
 * the holder), or -1 (logged).
 */
int repo_lock_take(struct repo *r, enum repo_lock_kind kind, const char *what,
    struct repo_lock **out);

/*
 * repo_lock_check: whether L still holds: its object is there and was
 * refreshed within the stale bound (measured on this machine's monotonic
 * clock). Returns 0, or -1 (logged): the work under it must not be
 * published.
 */
int repo_lock_check(struct repo_lock *l);

/* repo_lock_release: stop refreshing L and delete its object; NULL: no-op. */
void repo_lock_release(struct repo_lock *l);

struct repo_lock_info {
	char key[64];		/* locks/ID */
	char kind[16];		/* "shared", "exclusive" */
	char host[160];
	long pid;
	char what[160];
	time_t created;
	time_t refreshed;
	bool stale;
	bool invalid;		/* stale because its times are in the future */
	bool unreadable;	/* listed as stale, but the store failed to read it: no proof */
	bool released;		/* a released record (a host that may not delete): no lock */
	char why[96];		/* why it is stale */
};

/*
 * repo_lock_expired: whether a lock CREATED and last REFRESHED (0: no
 * valid time) is stale at NOW by its times alone: not refreshed for
 * REPO_LOCK_STALE seconds, or invalid (*INVALID set): either time in the
 * future. Why into WHY. Returns true when stale.
 */
bool repo_lock_expired(time_t created, time_t refreshed, time_t now, bool *invalid,
    char *why, size_t len);

/*
 * repo_locks_list: every lock object of R into a new array *OUT of *N
 * (free()); an unreadable lock object is listed as stale. Returns 0 or -1.
 */
int repo_locks_list(struct repo *r, struct repo_lock_info **out, size_t *n);

/*
 * repo_lock_probe_delete: whether this credential may delete, tried on a
 * lock object of its own (a released record) before command CMD deletes
 * anything. Returns 0, VV_DENIED (logged: CMD needs the admin credential,
 * naming admin_access_key and admin_secret_key), or -1 (logged).
 */
int repo_lock_probe_delete(struct repo *r, const char *cmd);

/* repo_lock_remove: delete lock object KEY. Returns 0 or -1 (logged). */
int repo_lock_remove(struct repo *r, const char *key);

#endif
