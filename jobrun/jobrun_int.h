/*
 * Internals of a run (jobrun.c), shared with the selection of its domains
 * (jobrun_select.c) and its records (jobrun_record.c).
 */
#ifndef VV_JOBRUN_INT_H
#define VV_JOBRUN_INT_H

#include "agent/hv.h"
#include "jobrun/jobrun.h"

/*
 * jobrun_select_job: the domains JOB selects at HV (every one when ALL):
 * its globs less its exclusions, sorted, into OUT; each name or glob of
 * its domains that matches no domain at all into UNMATCHED (a typo, or a
 * domain that is gone: a failure of its own). Returns 0, or -1 (logged).
 */
int jobrun_select_job(struct hv *hv, const struct conf_job *job, bool all, struct strlist *out,
    struct strlist *unmatched);

/*
 * jobrun_select_named: the domains NAMED, once each, into OUT, when each
 * is a domain at HV. Returns 0; 1 when some are not (each logged: nothing
 * is to be done); -1 when HV could not say (logged).
 */
int jobrun_select_named(struct hv *hv, const struct strlist *named, struct strlist *out);

/*
 * jobrun_select_known: the domains JOB is to back up when libvirt cannot
 * be asked: those it backed up before (its run records in C's
 * state_dir), appended to OUT.
 */
void jobrun_select_known(const struct conf *c, const char *job, struct strlist *out);

/*
 * jobrun_record_run: the outcome D of DOM's run by JOB (a failure without
 * an error takes the last one logged) as its run record into *OUT; when
 * KEEP, written as the last run of (domain, job) and the job's hook run.
 * Returns 0, or -1 when the record could not be written (logged).
 */
int jobrun_record_run(const struct conf *c, const struct conf_job *job, struct summary_domain *d,
    time_t started, bool keep, struct run_record *out);

/*
 * jobrun_record_unmatched: the record of PATTERN of JOB that matched no
 * domain at URI (for the message; not kept: it names no domain), into
 * *OUT, and its entry in S.
 */
void jobrun_record_unmatched(const struct conf_job *job, const char *pattern, const char *uri,
    time_t started, struct summary *s, struct run_record *out);

/*
 * jobrun_record_early: a run that failed before its first domain: a
 * failure of each domain of SEL (the reason logged last), kept unless
 * the daemon keeps them (KEEP false), appended to RECS (*NRECS) and S.
 * Returns 0, or -1 when a record could not be written.
 */
int jobrun_record_early(const struct conf *c, const struct conf_job *job, const struct strlist *sel,
    time_t started, bool keep, struct summary *s, struct run_record *recs, size_t *nrecs);

/*
 * jobrun_record_notify: the run's message ([notify]) once every domain
 * ended: RECS, or when the run failed before any domain started, one line
 * per domain NAMED (or for the job) with the error that stopped it.
 */
void jobrun_record_notify(const struct conf *c, const struct conf_job *job,
    const struct strlist *named, const struct run_record *recs, size_t n, time_t started);

#endif
