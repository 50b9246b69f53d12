/*
 * A job's boot checks (`verify --boot --job J`, what the daemon and the
 * timer run by the job's boot_check rule): the newest snapshot this host
 * made of each domain of the job, booted one after another
 * (agent/bootcheck.h), each recorded with the job's name.
 */
#ifndef VV_JOBRUN_BOOT_H
#define VV_JOBRUN_BOOT_H

#include "agent/bootcheck.h"
#include "agent/hv.h"
#include "conf/conf.h"
#include "repo/repo.h"
#include "state/bootrec.h"

/* How the front end hears of each check as it ends (may be NULL). */
typedef void (*jobrun_boot_each)(void *arg, const struct boot_record *rec);

/*
 * jobrun_boot: the boot checks of job JOB at HV, from R, with O (its job,
 * command and timeout set from the job's rule here). A domain of the job
 * without a snapshot of this host is a failed check. Every record into
 * *RECS (a new array of *N, free()), EACH called after each check.
 * Returns 0 when every check passed, 1 when any failed, -1 when the job is
 * unknown or its domains cannot be listed (logged).
 */
int jobrun_boot(struct hv *hv, struct repo *r, const struct conf *c, const char *job,
    const struct bootcheck_opts *o, jobrun_boot_each each, void *arg, struct boot_record **recs,
    size_t *n);

/*
 * jobrun_boot_after: after the N boot checks RECS of JOB ("manual" for
 * one by hand): the metrics file rewritten and the message sent as
 * [notify] asks (notify_boot). Failures are logged.
 */
void jobrun_boot_after(const struct conf *c, const char *job, const struct boot_record *recs,
    size_t n);

#endif
