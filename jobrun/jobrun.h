/*
 * A job's run, or a manual backup of some domains, from start to end: the
 * one place both `virtvault backup` and the daemon's children run it.
 *
 *   1. select the domains: the job's globs less its exclusions (and the
 *      job's names that match nothing: a failure each, by name), or the
 *      domains named (a name that is not a domain: nothing is done);
 *   2. per domain, in order (jobrun.c, "the steps of a domain"):
 *        the sequence (agent/sequence.h: pre_backup hook, snapshot, copy,
 *        commit, verify, publish, post_backup hook);
 *        the steps after publish (a success only: the after_publish
 *        table in jobrun.c);
 *        the copy to the job's copy_to (a success only; jobrun_copy.h):
 *        its outcome kept apart, never failing the domain's run;
 *        the record (state/runs.h) and the on_success/on_failure hook;
 *   3. the job's keep rules on what it backed up (retention);
 *   4. the metrics file and the run's message ([notify], notify.h).
 *
 * A daemon's child (JOBRUN_DAEMON_CHILD) does 1 and 2 but leaves the
 * records, hooks, metrics and the message to the daemon, which reads the
 * child's summary (summary.h) and keeps them with jobrun_record_* below.
 */
#ifndef VV_JOBRUN_H
#define VV_JOBRUN_H

#include <signal.h>
#include <stdbool.h>
#include <time.h>

#include "conf/conf.h"
#include "jobrun/summary.h"
#include "repo/forget.h"
#include "state/runs.h"

/* jobrun_opts.flags */
#define JOBRUN_NO_CBT 1		/* --no-cbt: read every disk whole */
#define JOBRUN_CHECK_CBT 2	/* --check-cbt */
#define JOBRUN_DAEMON_CHILD 4	/* the daemon keeps records, hooks, metrics, message */
#define JOBRUN_DRY_RUN 8	/* select only */

struct jobrun_opts {
	const char *job;			/* [job NAME], or NULL: a manual run */
	const struct strlist *domains;		/* the domains named (may be empty, not NULL) */
	bool all;				/* --all: every domain */
	int quiesce;				/* enum conf_quiesce, or -1: the job's */
	const time_t *when;			/* the snapshot time, or NULL: now */
	unsigned flags;				/* JOBRUN_* */
	bool quiet;				/* no progress lines */
	const volatile sig_atomic_t *cancel;	/* set by SIGTERM/SIGINT */
};

/* What jobrun_report.domain is told about. */
enum jobrun_event {
	JOBRUN_ENDED,		/* a domain's run ended (not one a signal stopped before its start) */
	JOBRUN_UNMATCHED,	/* a name of the job that matched no domain (a failure) */
	/*
	 * A domain backed up, its copy about to start: D's copy is what a run
	 * killed during the copy leaves (a failure; the next run copies).
	 */
	JOBRUN_COPYING,
};

/* How the front end hears of the run as it goes (every member may be NULL). */
struct jobrun_report {
	void *arg;
	/* A domain's outcome, as it is known. */
	void (*domain)(void *arg, enum jobrun_event ev, const struct summary_domain *d);
	/*
	 * Apply the job's forget PLAN to R: remove (forget_remove) and say
	 * what it did. Returns how many could not be removed. NULL: removed
	 * without a word.
	 */
	size_t (*forget)(void *arg, const char *job, struct repo *r, struct forget_plan *plan);
};

enum jobrun_status {
	JOBRUN_OK,		/* every domain backed up (or selected, in a dry run) */
	JOBRUN_PARTIAL,		/* some failed or were skipped, others not */
	JOBRUN_FAILED,		/* none backed up, or the run could not start (logged) */
	JOBRUN_REFUSED,		/* a configuration or usage error: nothing done (logged) */
};

struct jobrun_result {
	struct summary summary;		/* every domain's outcome, once the run got to them */
	bool summary_whole;		/* the run went through its domains */
	struct strlist selected;	/* the domains selected, sorted */
	struct strlist unmatched;	/* the job's names that matched no domain */
};

/*
 * jobrun_run: run O under C (see the top of this file), telling REP as it
 * goes, the outcome into *RES (free it with jobrun_result_clear). Returns
 * a jobrun_status.
 */
enum jobrun_status jobrun_run(const struct conf *c, const struct jobrun_opts *o,
    const struct jobrun_report *rep, struct jobrun_result *res);

/* jobrun_result_clear: free RES. */
void jobrun_result_clear(struct jobrun_result *res);

/*
 * jobrun_record_make: the run record of D, a run of JOB (NULL: manual)
 * from STARTED to FINISHED, into *OUT. A failure without an error gets
 * none here: the caller says why.
 */
void jobrun_record_make(const char *job, const struct summary_domain *d, time_t started,
    time_t finished, struct run_record *out);

/*
 * jobrun_record_keep: R becomes the last run of its (domain, job) in
 * C's state_dir; a busy run (R->result "busy") is counted as skipped and
 * the last outcome kept. Returns 0, or -1 (logged).
 */
int jobrun_record_keep(const struct conf *c, struct run_record *r);

/*
 * jobrun_record_hook: the hook JOB runs after the run R (on_success after
 * a success, on_failure after a failure or an interruption; none after a
 * busy run), with its name ("on_success", "on_failure") into *WHAT; NULL
 * when there is none.
 */
const char *jobrun_record_hook(const struct conf_job *job, const struct run_record *r,
    const char **what);

/*
 * jobrun_record_unmatched_make: the record of PATTERN of job JOB that
 * matched no domain (at URI, when not NULL), from STARTED to FINISHED, into
 * *OUT: for the run's message only, it names no domain to keep it for.
 */
void jobrun_record_unmatched_make(const char *job, const char *pattern, const char *uri,
    time_t started, time_t finished, struct run_record *out);

#endif
