/*
 * Internals of the daemon, by concern:
 *   daemon.c        the event loop: schedule, signals, reload, the queue
 *   daemon_child.c  the backup children (and the prune child): start,
 *                   relay their output, keep their outcome, retry
 *   daemon_batch.c  a job's run (a firing): its domains, its one message
 *   daemon_hook.c   programs in the background with a deadline (the
 *                   on_success/on_failure hooks, a message being sent)
 *   daemon_boot.c   the jobs' boot checks: `verify --boot --job J`
 *                   children, one per job at a time, after the job's run
 *   daemon_copy.c   the second repositories' prune schedules, kept
 *                   apart from the copies into them (copy_to)
 * A child's outcome comes from its summary (jobrun/summary.h), never from
 * how it prints.
 */
#ifndef VV_DAEMON_INT_H
#define VV_DAEMON_INT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "common/cron.h"
#include "scheduler/daemon.h"
#include "state/runs.h"

#define MAX_CHILDREN 64
#define MAX_TASKS 1024
#define OUT_CAP (256 * 1024)

struct djob {
	char *name;
	struct cron cron;
	bool scheduled;
	time_t next;		/* the next run, with its random delay */
	time_t base;		/* the schedule's time of that run */
	/* boot_check: its schedule, its next time, and whether one waits for the job's run */
	struct cron boot_cron;
	bool boot_scheduled;
	time_t boot_next;
	bool boot_waiting;
};

/* A boot check child: `virtvault verify --boot --job J`. */
struct bootchild {
	char job[128];
	pid_t pid;
	time_t started;
};

#define MAX_BOOTS 64

struct task {
	char job[128];
	char domain[256];
	int attempt;		/* 0: first */
	time_t not_before;
	time_t window_end;	/* the job's next run: retries stop there */
	unsigned batch;		/* the job run it belongs to (struct batch), 0: none */
};

/* A backup child: `virtvault backup --job J --json --daemon-child -- DOMAIN`. */
struct child {
	pid_t pid;
	int out, err;		/* pipes, -1 once closed */
	struct task t;
	time_t started;
	char *obuf;		/* its standard output: the summary */
	size_t olen;
	char ebuf[1024];	/* its standard error, relayed by lines */
	size_t elen;
};

/* A program running in the background, killed at its deadline. */
struct hook {
	pid_t pid;
	double deadline;	/* clock_mono() */
	unsigned long long timeout;
	char job[128];
	char domain[256];
	char what[16];		/* "on_success", "on_failure", "notify" */
};

#define MAX_HOOKS 64

struct hooks {
	struct hook v[MAX_HOOKS];
	size_t n;
	const sigset_t *oldmask;	/* the signal mask a program starts with */
};

/* One run of a job (a firing): its domains' outcomes, for its one message. */
struct batch {
	unsigned id;
	char job[128];
	size_t pending;		/* domains not ended yet (a queued retry keeps one) */
	struct run_record *recs;
	size_t n;
};

#define MAX_BATCHES 64

/* A second repository's prune schedule ([repository NAME] prune_schedule; daemon_copy.c). */
struct dprune {
	char name[128];
	struct cron cron;
	time_t next;		/* its next run, 0: none */
	bool due;		/* due, not started yet */
	bool waiting;		/* due, waiting for the copies into it to end (logged once) */
	pid_t pid;		/* its `virtvault --repo NAME prune` child, 0: none */
};

struct daemon {
	const struct daemon_opts *o;
	struct conf *c;
	struct djob *jobs;
	size_t njobs;
	struct task tasks[MAX_TASKS];
	size_t ntasks;
	struct child children[MAX_CHILDREN];
	size_t nchildren;
	struct hooks hooks;
	struct batch batches[MAX_BATCHES];
	size_t nbatches;
	unsigned last_batch;
	/* [repository] prune_schedule: one `virtvault prune` child at a time. */
	struct cron prune_cron;
	bool prune_scheduled;
	time_t prune_next;
	pid_t prune_pid;
	struct bootchild boots[MAX_BOOTS];
	size_t nboots;
	struct dprune *dprunes;		/* the second repositories' prune schedules */
	size_t ndprunes;
	bool stopping;
	int sigfd;
	sigset_t oldmask;
};

/* daemon.c */

/* daemon_job_conf: the configuration of job NAME, or NULL. */
const struct conf_job *daemon_job_conf(struct daemon *d, const char *name);

/*
 * daemon_enqueue: queue a run of DOM for JOB (deduplicated), part of job
 * run BATCH (0: none). Returns whether it was queued.
 */
bool daemon_enqueue(struct daemon *d, const char *job, const char *dom, int attempt,
    time_t not_before, time_t window_end, unsigned batch);

/*
 * daemon_self_argv: the start of a child's command line into ARGV: this
 * virtvault, with -c and the daemon's configuration file when one was
 * named. Returns how many entries it filled (at most 3).
 */
int daemon_self_argv(const struct daemon *d, char **argv);

/* daemon_batch.c */

/*
 * daemon_batch_fire: a run of job J at NOW: its domains asked of a child
 * (`backup --job J --dry-run --json --daemon-child`), each queued, those
 * of its names that matched nothing a failure in its message.
 */
void daemon_batch_fire(struct daemon *d, struct djob *j, time_t now, const char *why);

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

/* daemon_child.c */

/* daemon_child_start: start the backup child of task T. */
void daemon_child_start(struct daemon *d, const struct task *t, time_t now);

/* daemon_child_read: take what child C wrote on FD (its stdout or stderr). */
void daemon_child_read(struct child *c, int fd);

/*
 * daemon_child_finish: keep the outcome of child IDX (STATUS from
 * waitpid; its summary), write metrics, queue a retry, run the hook;
 * removes the child.
 */
void daemon_child_finish(struct daemon *d, size_t idx, int status, time_t now);

/* daemon_child_prune: start the prune child (its output goes to the daemon's). */
void daemon_child_prune(struct daemon *d);

/* daemon_child_reap_prune: collect the prune child when it ended, logging how; never blocks. */
void daemon_child_reap_prune(struct daemon *d);

/* daemon_boot.c */

/*
 * daemon_boot_load: job J's boot_check schedule (configured as CJ) and its
 * next time after NOW (logged); WAITING carries a check that was waiting
 * over a reload.
 */
void daemon_boot_load(struct djob *j, const struct conf_job *cj, time_t now, bool waiting);

/*
 * daemon_boot_catch_up: at start-up, for each job with catch_up, a boot
 * check missed while the daemon was down waits to run (after the job's
 * run, if it is catching up too); a job never checked starts its count.
 */
void daemon_boot_catch_up(struct daemon *d, time_t now);

/*
 * daemon_boot_tick: start each job's boot check that is due at NOW (or
 * waited) when plan_boot_check allows; otherwise it waits or is skipped
 * (logged).
 */
void daemon_boot_tick(struct daemon *d, time_t now);

/* daemon_boot_reap: collect the boot check children that ended, logging how; never blocks. */
void daemon_boot_reap(struct daemon *d);

/* daemon_boot_stop: SIGTERM to every boot check child (their clean-up is theirs). */
void daemon_boot_stop(struct daemon *d);

/* daemon_copy.c */

/*
 * daemon_copy_load: the prune schedule of each [repository NAME] of the
 * configuration, and its next run after NOW (logged); a prune running
 * over a reload is still followed.
 */
void daemon_copy_load(struct daemon *d, time_t now);

/*
 * daemon_copy_tick: each second repository's prune due at NOW is
 * started, or waits while a backup child of a job copying into it runs.
 */
void daemon_copy_tick(struct daemon *d, time_t now);

/* daemon_copy_blocks: whether a backup child of JOB must wait: the prune of its copy_to runs. */
bool daemon_copy_blocks(struct daemon *d, const char *job);

/* daemon_copy_running: how many second repositories' prunes run. */
size_t daemon_copy_running(const struct daemon *d);

/* daemon_copy_reap: collect the prune children that ended, logging how; never blocks. */
void daemon_copy_reap(struct daemon *d);

/* daemon_copy_stop: SIGTERM to every such prune; none starts after. */
void daemon_copy_stop(struct daemon *d);

/* daemon_copy_wake: each schedule's next run appended to TIMES (*N; room for ndprunes). */
void daemon_copy_wake(const struct daemon *d, time_t *times, size_t *n);

/* daemon_copy_free: the schedules forgotten. */
void daemon_copy_free(struct daemon *d);

/* daemon_hook.c */

/*
 * daemon_hook_track: follow the background program PID (a hook, a
 * message) until TIMEOUT seconds from now. Returns 0, or -1 when MAX_HOOKS
 * are followed already (logged by the caller).
 */
int daemon_hook_track(struct hooks *hs, pid_t pid, unsigned long long timeout, const char *job,
    const char *domain, const char *what);

/*
 * daemon_hook_start: start CMD (a hook named WHAT) with the run R's
 * details in its environment; daemon_hook_reap kills it after TIMEOUT
 * seconds, so that child output and signals are answered meanwhile.
 * Failures to start are logged.
 */
void daemon_hook_start(struct hooks *hs, const char *cmd, const struct run_record *r,
    uint64_t timeout, const char *what);

/*
 * daemon_hook_reap: collect the programs that ended (logging a failed
 * hook) and kill those past their deadline; never blocks.
 */
void daemon_hook_reap(struct hooks *hs);

#endif
