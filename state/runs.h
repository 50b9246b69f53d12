/*
 * What the scheduler keeps in state_dir: the last fire time of each job
 * (for catch-up), the outcome of each domain's last run (for status,
 * metrics and hooks), and which domains run now.
 *
 *   STATE/jobs/JOB.json       {"last_fire": EPOCH}
 *   STATE/runs/DOMAIN.json    the last run of DOMAIN (struct run_record)
 *   STATE/running/DOMAIN      the pid of the run in progress
 */
#ifndef VV_STATE_H
#define VV_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "common/util.h"

struct run_record {
	char job[128];
	char domain[256];
	bool ok;
	time_t started;
	time_t finished;
	time_t last_success;		/* 0: never */
	uint64_t failures_total;
	uint64_t bytes_read;
	uint64_t bytes_stored;
	uint64_t chunks_new;
	uint64_t chunks_reused;
	char snapshot[17];
	int quiesced;			/* -1 unknown */
	char error[512];
};

/* state_job_last_fire: the last fire of JOB, or 0. */
time_t state_job_last_fire(const char *state_dir, const char *job);
/* state_job_set_last_fire: persist it. Returns 0 or -1 (logged). */
int state_job_set_last_fire(const char *state_dir, const char *job, time_t t);

/* state_run_read: DOMAIN's last run into *R. Returns 0, 1 when none. */
int state_run_read(const char *state_dir, const char *domain, struct run_record *r);
/* state_run_write: persist R atomically. Returns 0 or -1 (logged). */
int state_run_write(const char *state_dir, const struct run_record *r);

/*
 * state_run_record: R (its domain, ok and finished set) becomes its
 * domain's last run: last_success and failures_total carried on from the
 * record before it, then written. Returns what state_run_write does.
 */
int state_run_record(const char *state_dir, struct run_record *r);
/*
 * state_run_hook_vars: the documented environment of an on_success or
 * on_failure hook for run R ("VIRTVAULT_JOB=...", DOMAIN, RESULT,
 * SNAPSHOT, ERROR), a new NULL-terminated array; free with run_env_free.
 */
char **state_run_hook_vars(const struct run_record *r);

/* state_run_list: the domains with a run record, appended to NAMES. */
void state_run_list(const char *state_dir, struct strlist *names);

/* state_running_set / _clear / _pid: the run in progress of DOMAIN. */
void state_running_set(const char *state_dir, const char *domain, int pid);
void state_running_clear(const char *state_dir, const char *domain);
/* state_running_pid: the pid of a live run of DOMAIN, or 0. */
int state_running_pid(const char *state_dir, const char *domain);

/*
 * state_write_metrics: the Prometheus textfile PATH, atomically, from
 * every run record. Returns 0 or -1 (logged).
 */
int state_write_metrics(const char *state_dir, const char *path);

#endif
