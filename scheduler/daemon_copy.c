/*
 * The prune schedules of the second repositories ([repository NAME]
 * prune_schedule): `virtvault --repo NAME prune` children, one per
 * repository at a time, never while a backup child of a job that copies
 * into that repository (copy_to = NAME) runs: a prune due then waits for
 * those children to end, and such a child waits in the queue while the
 * prune runs. (The repository's locks would keep them apart all the same,
 * one waiting on the other for lock_wait; the daemon does not make them.)
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

/* The next run of P after NOW into P->next (0: none), logged. */
static void
next_run(struct dprune *p, time_t now)
{
	char when[64];
	struct tm tm;
	time_t base;

	if (plan_next(&p->cron, NULL, 0, 0, now, &base, &p->next) < 0) {
		p->next = 0;
		return;
	}
	localtime_r(&p->next, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %Z", &tm);
	log_info("prune of [repository %s]: next run at %s", p->name, when);
}

void
daemon_copy_load(struct daemon *d, time_t now)
{
	struct dprune *old = d->dprunes;
	size_t nold = d->ndprunes;

	d->dprunes = xcalloc(d->c->repo_names.n + nold + 1, sizeof(*d->dprunes));
	d->ndprunes = 0;
	for (size_t i = 0; i < d->c->repo_names.n; i++) {
		const char *name = d->c->repo_names.v[i];
		struct conf *rc = conf_load_repo(d->c->path, true, name);
		struct dprune *p = &d->dprunes[d->ndprunes];
		char err[160];

		if (rc->prune_schedule != NULL &&
		    cron_parse(rc->prune_schedule, &p->cron, err, sizeof(err)) == 0) {
			snprintf(p->name, sizeof(p->name), "%s", name);
			next_run(p, now);
			d->ndprunes++;
		}
		conf_free(rc);
	}
	/* A prune running over a reload is still followed, its schedule gone or not. */
	for (size_t k = 0; k < nold; k++) {
		struct dprune *p = NULL;

		if (old[k].pid <= 0)
			continue;
		for (size_t i = 0; i < d->ndprunes && p == NULL; i++)
			if (strcmp(d->dprunes[i].name, old[k].name) == 0)
				p = &d->dprunes[i];
		if (p == NULL) {
			p = &d->dprunes[d->ndprunes++];
			*p = old[k];
			p->next = 0;
			p->due = p->waiting = false;
		}
		p->pid = old[k].pid;
	}
	free(old);
}

/* Whether a backup child of a job copying into NAME runs. */
static bool
copies_into(struct daemon *d, const char *name)
{
	for (size_t i = 0; i < d->nchildren; i++) {
		const struct conf_job *cj = daemon_job_conf(d, d->children[i].t.job);

		if (cj != NULL && cj->copy_to != NULL && strcmp(cj->copy_to, name) == 0)
			return true;
	}
	return false;
}

/* Start P's prune child. */
static void
start(struct daemon *d, struct dprune *p)
{
	pid_t pid = fork();

	if (pid < 0) {
		log_error("prune of [repository %s]: cannot start it: %s", p->name, strerror(errno));
		return;
	}
	if (pid == 0) {
		char *argv[8];
		int i;

		sigprocmask(SIG_SETMASK, &d->oldmask, NULL);
		i = daemon_self_argv(d, argv);
		argv[i++] = "--repo";
		argv[i++] = p->name;
		argv[i++] = "prune";
		argv[i] = NULL;
		execv(d->o->self, argv);
		_exit(127);
	}
	p->pid = pid;
	log_info("prune of [repository %s]: started (pid %d)", p->name, (int)pid);
}

void
daemon_copy_tick(struct daemon *d, time_t now)
{
	for (size_t i = 0; i < d->ndprunes; i++) {
		struct dprune *p = &d->dprunes[i];

		if (p->next != 0 && p->next <= now) {
			if (p->pid > 0 || p->due)
				log_warn("prune of [repository %s]: the last one still %s; this run is skipped",
				    p->name, p->pid > 0 ? "runs" : "waits");
			else
				p->due = true;
			next_run(p, now);
		}
		if (!p->due || d->stopping)
			continue;
		if (copies_into(d, p->name)) {
			if (!p->waiting)
				log_info("prune of [repository %s]: waits for the copies into it to end", p->name);
			p->waiting = true;
			continue;
		}
		p->due = p->waiting = false;
		start(d, p);
	}
}

bool
daemon_copy_blocks(struct daemon *d, const char *job)
{
	const struct conf_job *cj = daemon_job_conf(d, job);

	for (size_t i = 0; cj != NULL && cj->copy_to != NULL && i < d->ndprunes; i++)
		if (strcmp(d->dprunes[i].name, cj->copy_to) == 0 && d->dprunes[i].pid > 0)
			return true;
	return false;
}

size_t
daemon_copy_running(const struct daemon *d)
{
	size_t n = 0;

	for (size_t i = 0; i < d->ndprunes; i++)
		n += d->dprunes[i].pid > 0;
	return n;
}

void
daemon_copy_reap(struct daemon *d)
{
	for (size_t i = 0; i < d->ndprunes; i++) {
		struct dprune *p = &d->dprunes[i];
		int st;

		if (p->pid <= 0 || waitpid(p->pid, &st, WNOHANG) != p->pid)
			continue;
		if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
			log_info("prune of [repository %s]: done (pid %d)", p->name, (int)p->pid);
		else if (WIFEXITED(st))
			log_error("prune of [repository %s]: failed (pid %d, exit %d; see its messages above)",
			    p->name, (int)p->pid, WEXITSTATUS(st));
		else
			log_error("prune of [repository %s]: killed by signal %d (pid %d); the next one collects what it left",
			    p->name, WTERMSIG(st), (int)p->pid);
		p->pid = 0;
	}
}

void
daemon_copy_stop(struct daemon *d)
{
	for (size_t i = 0; i < d->ndprunes; i++) {
		d->dprunes[i].due = false;
		if (d->dprunes[i].pid > 0)
			kill(d->dprunes[i].pid, SIGTERM);
	}
}

void
daemon_copy_wake(const struct daemon *d, time_t *times, size_t *n)
{
	for (size_t i = 0; i < d->ndprunes; i++)
		times[(*n)++] = d->dprunes[i].next;
}

void
daemon_copy_free(struct daemon *d)
{
	free(d->dprunes);
	d->dprunes = NULL;
	d->ndprunes = 0;
}
