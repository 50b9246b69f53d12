/*
 * Internals of the daemon, shared by daemon.c (scheduling, signals) and
 * daemon_kids.c (the backup children, their outcomes and hooks).
 */
#ifndef VV_DAEMON_INT_H
#define VV_DAEMON_INT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "common/cron.h"
#include "scheduler/daemon.h"
#include "state/runs.h"

#define MAX_KIDS 64
#define MAX_TASKS 1024
#define OUT_CAP (256 * 1024)

struct djob {
	char *name;
	struct cron cron;
	bool scheduled;
	time_t next;		/* the next run, with its random delay */
	time_t base;		/* the schedule's time of that run */
};

struct task {
	char job[128];
	char domain[256];
	int attempt;		/* 0: first */
	time_t not_before;
	time_t window_end;	/* the job's next run: retries stop there */
	unsigned batch;		/* the job run it belongs to (struct batch), 0: none */
};

struct kid {
	pid_t pid;
	int out, err;		/* pipes, -1 once closed */
	struct task t;
	time_t started;
	char *obuf;
	size_t olen;
	char lasterr[512];
	char ebuf[1024];
	size_t elen;
};

/* A hook running in the background, killed at its deadline. */
struct hook {
	pid_t pid;
	double deadline;	/* clock_mono() */
	unsigned long long timeout;
	char job[128];
	char domain[256];
	char what[16];		/* "on_success", "on_failure" */
};

#define MAX_HOOKS 64

/* One run of a job (a firing): its domains' outcomes, for its one message. */
struct batch {
	unsigned id;
	char job[128];
	size_t pending;		/* domains not ended yet (a queued retry keeps one) */
	struct run_record *recs;
	size_t n;
};

#define MAX_BATCHES 64

struct daemon {
	const struct daemon_opts *o;
	struct conf *c;
	struct djob *jobs;
	size_t njobs;
	struct task tasks[MAX_TASKS];
	size_t ntasks;
	struct kid kids[MAX_KIDS];
	size_t nkids;
	struct hook hooks[MAX_HOOKS];
	size_t nhooks;
	struct batch batches[MAX_BATCHES];
	size_t nbatches;
	unsigned last_batch;
	/* [repository] prune_schedule: one `virtvault prune` child at a time. */
	struct cron prune_cron;
	bool prune_scheduled;
	time_t prune_next;
	pid_t prune_pid;
	bool stopping;
	int sigfd;
	sigset_t oldmask;
};

/* daemon_job_conf: the configuration of job NAME, or NULL. */
const struct conf_job *daemon_job_conf(struct daemon *d, const char *name);

/*
 * daemon_enqueue: queue a run of DOM for JOB (deduplicated), part of job
 * run BATCH (0: none). Returns whether it was queued.
 */
bool daemon_enqueue(struct daemon *d, const char *job, const char *dom, int attempt,
    time_t not_before, time_t window_end, unsigned batch);

/*
 * daemon_batch_new: a new job run of JOB expecting nothing yet, or NULL
 * when MAX_BATCHES are open (logged); daemon_batch_find: run ID, or NULL.
 */
struct batch *daemon_batch_new(struct daemon *d, const char *job);
struct batch *daemon_batch_find(struct daemon *d, unsigned id);

/*
 * daemon_batch_add: R is the last word on one domain of job run ID (no
 * retry follows; NULL: none, only see whether the run ended); once every
 * expected domain had it, the run's message is sent ([notify], in a child
 * tracked as a hook) and the run forgotten.
 */
void daemon_batch_add(struct daemon *d, unsigned id, const struct run_record *r);

/*
 * daemon_batch_flush: at the end, the domains still queued count as not
 * run, and the message of every open job run is sent, waiting for it.
 */
void daemon_batch_flush(struct daemon *d);

/* daemon_start_kid: start the backup child of task T. */
void daemon_start_kid(struct daemon *d, const struct task *t, time_t now);

/* daemon_read_kid: take what the child K wrote on FD (its stdout or stderr). */
void daemon_read_kid(struct kid *k, int fd);

/*
 * daemon_finish_kid: record the outcome of child IDX (STATUS from
 * waitpid), write metrics, queue a retry, run the hook; removes the child.
 */
void daemon_finish_kid(struct daemon *d, size_t idx, int status, time_t now);

/*
 * daemon_self_argv: the start of a child's command line into ARGV: this
 * virtvault, with -c and the daemon's configuration file when one was
 * named. Returns how many entries it filled (at most 3).
 */
int daemon_self_argv(const struct daemon *d, char **argv);

/* daemon_start_prune: start the prune child (its output goes to the daemon's). */
void daemon_start_prune(struct daemon *d);

/* daemon_reap_prune: collect the prune child when it ended, logging how; never blocks. */
void daemon_reap_prune(struct daemon *d);

/*
 * daemon_reap_hooks: collect the hooks that ended (logging a failure) and
 * kill those past their deadline; never blocks.
 */
void daemon_reap_hooks(struct daemon *d);

#endif
