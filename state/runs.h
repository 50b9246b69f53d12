/*
 * What the scheduler keeps in state_dir: the last fire time of each job
 * (for catch-up), the outcome of the last run of each (domain, job) (for
 * status, metrics and hooks; manual runs are the job "manual"), and which
 * domains run now.
 *
 *   STATE/jobs/JOB.json        {"last_fire": EPOCH}
 *   STATE/jobs/JOB@boot.json   the same of JOB's boot checks (boot_check)
 *   STATE/runs/DOMAIN@JOB.json the last run of DOMAIN by JOB (struct
 *                              run_record); a DOMAIN.json of an earlier
 *                              version is read as the record of the job
 *                              it names, and replaced by the next one
 *   STATE/running/DOMAIN       the pid of the run in progress (written by
 *                              the run holding the domain's lock)
 */
#ifndef VV_STATE_H
#define VV_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "common/util.h"

struct json_object;

/* The job of runs no job asked for. */
#define STATE_MANUAL_JOB "manual"

/*
 * The copy of a domain's new snapshot into the job's copy_to repository
 * (state/copyrec.c): an outcome of its own, apart from the backup's.
 */
struct run_copy {
	char repository[128];		/* [repository NAME]; "": the job copies nothing */
	char result[16];		/* "success", "failure"; "": no copy this run */
	time_t started;
	time_t finished;
	time_t last_success;		/* 0: never */
	uint64_t failures_total;	/* failed copies */
	uint64_t snapshots;		/* snapshots copied by it */
	uint64_t bytes_stored;		/* at the destination */
	uint64_t forgotten;		/* there, by its keep_* rules */
	uint64_t missing;		/* of the group, newer than the destination's newest, left uncopied */
	char error[512];
};

struct run_record {
	char job[128];
	char domain[256];
	bool ok;
	char result[16];		/* "success", "failure" or "interrupted" */
	time_t started;
	time_t finished;
	time_t last_success;		/* 0: never */
	uint64_t failures_total;	/* failed or interrupted runs */
	uint64_t skipped_total;		/* runs refused: another run held the domain */
	time_t last_skipped;		/* 0: never */
	uint64_t bytes_read;
	uint64_t bytes_stored;
	uint64_t chunks_new;
	uint64_t chunks_reused;
	char snapshot[17];
	int quiesced;			/* -1 unknown */
	char error[512];
	/* For the history only (state/history.h), not in the record's file: */
	double seconds;			/* the run's own time; 0: finished - started */
	double seconds_on_overlay;	/* the disks on overlays (a success) */
	char read_modes[32];		/* the files' read modes, "incremental,full", or "" */
	struct run_copy copy;		/* the copy after the backup (copy_to) */
};

/* The name of a job's boot checks in STATE/jobs: JOB@boot ('@' is in no job's name). */
#define STATE_BOOT_FIRE_SUFFIX "@boot"

/* state_job_last_fire: the last fire of JOB, or 0. */
time_t state_job_last_fire(const char *state_dir, const char *job);
/* state_job_set_last_fire: persist it. Returns 0 or -1 (logged). */
int state_job_set_last_fire(const char *state_dir, const char *job, time_t t);

/*
 * state_run_read: the last run of DOMAIN by JOB into *R. Returns 0, 1
 * when there is none.
 */
int state_run_read(const char *state_dir, const char *domain, const char *job,
    struct run_record *r);
/* state_run_write: persist R atomically. Returns 0 or -1 (logged). */
int state_run_write(const char *state_dir, const struct run_record *r);

/*
 * state_run_record: R (its job, domain, ok, result and finished set; an
 * empty result is "success" or "failure" by OK) becomes the last run of
 * its (domain, job): last_success, failures_total and the skipped count
 * carried on from the record before it, then written, and appended to
 * the run history (state/history.h; a failure there is logged, not
 * returned). Returns what state_run_write does.
 */
int state_run_record(const char *state_dir, struct run_record *r);

/*
 * state_run_skipped: a run of DOMAIN by JOB at WHEN was refused because
 * another run held the domain: counted (skipped_total, last_skipped), the
 * last outcome kept. Returns 0 or -1 (logged).
 */
int state_run_skipped(const char *state_dir, const char *domain, const char *job, time_t when);

/*
 * state_run_hook_vars: the documented environment of an on_success or
 * on_failure hook for run R ("VIRTVAULT_JOB=...", DOMAIN, RESULT,
 * SNAPSHOT, ERROR), a new NULL-terminated array; free with run_env_free.
 */
char **state_run_hook_vars(const struct run_record *r);

/*
 * state_run_list: every run record, sorted by domain then job, into a new
 * *RECS (free it) of *N. Returns 0 or -1 (logged).
 */
int state_run_list(const char *state_dir, struct run_record **recs, size_t *n);

/*
 * state_run_remove: forget the records of DOMAIN (of every job), and its
 * run history. Returns the count of records removed, or -1 (logged).
 */
int state_run_remove(const char *state_dir, const char *domain);

/*
 * state_running_set / _clear / _pid: the run in progress of DOMAIN, set
 * and cleared by the run that holds its lock. state_running_set returns 0
 * or -1 (logged).
 */
int state_running_set(const char *state_dir, const char *domain, int pid);
void state_running_clear(const char *state_dir, const char *domain);
/* state_running_pid: the pid of a live run of DOMAIN, or 0. */
int state_running_pid(const char *state_dir, const char *domain);

/*
 * state_needs_repair: the domains whose journal asks for repair and whose
 * run is no longer alive (killed), sorted, appended to DOMS.
 */
void state_needs_repair(const char *state_dir, struct strlist *doms);

/*
 * state_write_metrics: the Prometheus textfile PATH, atomically, from
 * every run record, the runs in progress, the domains that need repair
 * and the last boot check of each domain (state/bootrec.h). Returns 0 or -1 (logged).
 */
int state_write_metrics(const char *state_dir, const char *path);

/*
 * state_copy_json: C as a new JSON object ({"repository", "result",
 * "started", "finished", "last_success", "failures_total", "snapshots",
 * "bytes_stored", "forgotten", "missing", "error"}; times as epoch
 * seconds), or NULL when C names no repository.
 */
struct json_object *state_copy_json(const struct run_copy *c);

/* state_copy_parse: the reverse, from O (may be NULL: none), into *C (zeroed first). */
void state_copy_parse(struct json_object *o, struct run_copy *c);

/*
 * state_copy_carry: the copy outcome C of a run whose record follows
 * PREV's: without a copy this run (result ""), PREV's outcome stays;
 * otherwise its last success and failure count carried on.
 */
void state_copy_carry(struct run_copy *c, const struct run_copy *prev);

/* state_copy_failed: whether C is a copy that failed. */
bool state_copy_failed(const struct run_copy *c);

/*
 * state_copy_metrics: the copy gauges of the N records R on OUT:
 * virtvault_copy_success, _seconds, _timestamp_seconds, _last_success_
 * timestamp_seconds and virtvault_copy_failures_total, labelled domain,
 * job and repository.
 */
void state_copy_metrics(const struct run_record *r, size_t n, FILE *out);

#endif
