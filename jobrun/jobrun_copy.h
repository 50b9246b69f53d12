/*
 * A job's copy_to (docs/virtvault.conf.5, [job] copy_to): after a
 * domain's backup is published, the snapshots of its group the
 * destination lacks (bounded: see jobrun_copy_plan) are copied into the
 * [repository NAME] named (repo/copy.h), then the destination's own
 * keep_* rules are applied to that group there. The copy's outcome is
 * its own (struct run_copy): a failed copy never fails the backup.
 */
#ifndef VV_JOBRUN_COPY_H
#define VV_JOBRUN_COPY_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "conf/conf.h"
#include "repo/manifest.h"
#include "repo/repo.h"
#include "state/runs.h"

/* The most snapshots of a domain one run copies (the newest of those missing). */
#define JOBRUN_COPY_MAX 8

/*
 * jobrun_copy_plan: which of the group's snapshots L (N, newest first,
 * as manifest_load_all gives them) a run copies, given the destination's
 * newest copy of the group (DST_NEWEST, its time; DST_HAS false: it
 * holds none). Those newer than DST_NEWEST are missing (none in the
 * future); when the destination holds none, only the newest is (a
 * history is copied by `virtvault copy`, not by a night's run). At most
 * MAX of them, the newest, go into IDX (indexes into L, oldest first);
 * how many more were missing into *LEFT. Returns how many went into IDX.
 */
size_t jobrun_copy_plan(struct manifest *const *l, size_t n, bool dst_has, time_t dst_newest,
    size_t max, size_t *idx, size_t *left);

/*
 * jobrun_copy_domain: the copy of DOM's snapshots of SRC (this host's)
 * into JOB's copy_to repository (its section in C's file), and that
 * repository's keep_* rules applied to DOM's group there; CANCEL (may be
 * NULL) stops it between chunks. The outcome into *OUT (its repository,
 * result, times, counts and, for a failure, the error logged). Returns 0,
 * or -1 when the copy failed (logged).
 */
int jobrun_copy_domain(const struct conf *c, const struct conf_job *job, struct repo *src,
    const char *dom, const volatile sig_atomic_t *cancel, struct run_copy *out);

#endif
