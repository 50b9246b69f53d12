/*
 * The per-domain lock: STATE/locks/DOM.lock, held with flock() for the
 * whole sequence, so that two virtvault runs (CLI or daemon) never work on
 * one domain at once. The kernel drops it when the holder dies.
 */
#ifndef VV_LOCK_H
#define VV_LOCK_H

#include "common/outcome.h"

/*
 * state_lock_domain: take DOM's lock into *FD (a descriptor to pass to
 * state_unlock_domain; -1 unless 0 is returned). Returns 0, VV_BUSY when
 * another process holds it (logged, with its pid), or -1 (logged).
 */
int state_lock_domain(const char *state_dir, const char *dom, int *fd);

/* state_unlock_domain: release the lock FD (negative: no-op). */
void state_unlock_domain(int fd);

#endif
