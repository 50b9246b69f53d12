/*
 * The jobs' boot checks in the daemon ([job NAME] boot_check): at each
 * time of its schedule, a child `virtvault verify --boot --job NAME` (it
 * boots each domain's newest snapshot, records the outcomes and sends the
 * one message). What may start when is plan_boot_check's: one per job at
 * a time, never beside the job's own backup run.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "scheduler/daemon_int.h"
#include "scheduler/plan.h"
#include "state/runs.h"

/* The name of JOB's boot checks in STATE/jobs, into BUF. */
static const char *
fire_name(const char *job, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", job, STATE_BOOT_FIRE_SUFFIX);
	return buf;
}

void
daemon_boot_load(struct djob *j, const struct conf_job *cj, time_t now, bool waiting)
{
	char err[160], when[64];
	struct tm tm;
	time_t base;

	j->boot_scheduled = cj->boot_check != NULL &&
	    cron_parse(cj->boot_check, &j->boot_cron, err, sizeof(err)) == 0;
	j->boot_waiting = j->boot_scheduled && waiting;
	if (!j->boot_scheduled ||
	    plan_next(&j->boot_cron, cj->timezone, 0, 0, now, &base, &j->boot_next) < 0) {
		j->boot_next = 0;
		return;
	}
	localtime_r(&j->boot_next, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %Z", &tm);
	log_info("job %s: next boot check at %s", j->name, when);
}

void
daemon_boot_catch_up(struct daemon *d, time_t now)
{
	for (size_t i = 0; i < d->njobs; i++) {
		struct djob *j = &d->jobs[i];
		const struct conf_job *cj = daemon_job_conf(d, j->name);
		char name[160];
		time_t last;

		if (!j->boot_scheduled || cj == NULL)
			continue;
		last = state_job_last_fire(d->c->state_dir, fire_name(j->name, name, sizeof(name)));
		if (cj->catch_up && plan_missed(&j->boot_cron, cj->timezone, last, now)) {
			log_info("job %s: catching up a boot check missed while the daemon was down",
			    j->name);
			j->boot_waiting = true;
		} else if (last == 0) {
			state_job_set_last_fire(d->c->state_dir, name, now);
		}
	}
}

/* Whether job JOB's backup run is in progress: domains queued, backing up, or its message unsent. */
static bool
backup_in_progress(const struct daemon *d, const char *job)
{
	for (size_t i = 0; i < d->ntasks; i++)
		if (strcmp(d->tasks[i].job, job) == 0)
			return true;
	for (size_t i = 0; i < d->nchildren; i++)
		if (strcmp(d->children[i].t.job, job) == 0)
			return true;
	for (size_t i = 0; i < d->nbatches; i++)
		if (strcmp(d->batches[i].job, job) == 0)
			return true;
	return false;
}

static bool
boot_running(const struct daemon *d, const char *job)
{
	for (size_t i = 0; i < d->nboots; i++)
		if (strcmp(d->boots[i].job, job) == 0)
			return true;
	return false;
}

/* Start JOB's boot check child at NOW. */
static void
boot_start(struct daemon *d, const char *job, time_t now)
{
	struct bootchild *b;
	char name[160];
	pid_t pid;

	if (d->nboots == MAX_BOOTS) {
		log_error("job %s: %d boot checks run already; this one is skipped", job, MAX_BOOTS);
		return;
	}
	pid = fork();
	if (pid < 0) {
		log_error("job %s: cannot start its boot check: %s", job, strerror(errno));
		return;
	}
	if (pid == 0) {
		char *argv[10];
		int i;

		sigprocmask(SIG_SETMASK, &d->oldmask, NULL);
		i = daemon_self_argv(d, argv);
		argv[i++] = "verify";
		argv[i++] = "--boot";
		argv[i++] = "--job";
		argv[i++] = (char *)job;
		argv[i] = NULL;
		execv(d->o->self, argv);
		_exit(127);
	}
	b = &d->boots[d->nboots++];
	memset(b, 0, sizeof(*b));
	snprintf(b->job, sizeof(b->job), "%s", job);
	b->pid = pid;
	b->started = now;
	state_job_set_last_fire(d->c->state_dir, fire_name(job, name, sizeof(name)), now);
	log_info("job %s: boot check started (pid %d)", job, (int)pid);
}

void
daemon_boot_tick(struct daemon *d, time_t now)
{
	for (size_t i = 0; i < d->njobs; i++) {
		struct djob *j = &d->jobs[i];
		const struct conf_job *cj = daemon_job_conf(d, j->name);
		bool due = j->boot_next != 0 && j->boot_next <= now;
		time_t base;

		if (due && (cj == NULL ||
		    plan_next(&j->boot_cron, cj->timezone, 0, 0, now, &base, &j->boot_next) < 0))
			j->boot_next = 0;
		switch (plan_boot_check(due, j->boot_waiting, boot_running(d, j->name),
		    backup_in_progress(d, j->name), d->stopping)) {
		case PLAN_BOOT_NONE:
			break;
		case PLAN_BOOT_START:
			j->boot_waiting = false;
			boot_start(d, j->name, now);
			break;
		case PLAN_BOOT_WAIT:
			if (!j->boot_waiting)
				log_info("job %s: boot check due; it starts when the job's run has ended",
				    j->name);
			j->boot_waiting = true;
			break;
		case PLAN_BOOT_SKIP:
			j->boot_waiting = false;
			log_warn("job %s: the last boot check still runs; this one is skipped", j->name);
			break;
		}
	}
}

void
daemon_boot_reap(struct daemon *d)
{
	for (size_t i = 0; i < d->nboots;) {
		struct bootchild *b = &d->boots[i];
		int st;

		if (waitpid(b->pid, &st, WNOHANG) != b->pid) {
			i++;
			continue;
		}
		if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
			log_info("job %s: boot check passed (pid %d)", b->job, (int)b->pid);
		else if (WIFEXITED(st) && WEXITSTATUS(st) == 1)
			log_error("job %s: boot check FAILED (pid %d): see its messages above and 'virtvault status'",
			    b->job, (int)b->pid);
		else if (WIFEXITED(st))
			log_error("job %s: boot check could not run (pid %d, exit %d; see its messages above)",
			    b->job, (int)b->pid, WEXITSTATUS(st));
		else
			log_error("job %s: boot check killed by signal %d (pid %d); 'virtvault repair' cleans up what it left",
			    b->job, WTERMSIG(st), (int)b->pid);
		*b = d->boots[--d->nboots];
	}
}

void
daemon_boot_stop(struct daemon *d)
{
	for (size_t i = 0; i < d->nboots; i++)
		kill(d->boots[i].pid, SIGTERM);
}
