/*
 * The daemon's event loop: the jobs' schedules, the prune schedule, the
 * jobs' boot checks, the queue of domains to back up, signals (SIGHUP reloads; SIGTERM/SIGINT
 * stop at a safe point), the children's output. What each concern does
 * is in daemon_int.h.
 */
#include "scheduler/daemon.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cron.h"
#include "common/log.h"
#include "common/run.h"
#include "scheduler/daemon_int.h"
#include "scheduler/plan.h"
#include "scheduler/sched_env.h"
#include "state/journal.h"
#include "state/runs.h"

int
daemon_self_argv(const struct daemon *d, char **argv)
{
	int i = 0;

	argv[i++] = (char *)d->o->self;
	if (d->o->config_path) {
		argv[i++] = "-c";
		argv[i++] = (char *)d->o->config_path;
	}
	return i;
}

const struct conf_job *
daemon_job_conf(struct daemon *d, const char *name)
{
	return conf_find_job(d->c, name);
}

/* The next run of job J (configured as CJ) after AFTER. */
static void
job_next(struct djob *j, const struct conf_job *cj, time_t after)
{
	if (!j->scheduled ||
	    plan_next(&j->cron, cj->timezone, cj->randomized_delay, sched_env_random(), after,
	    &j->base, &j->next) < 0)
		j->next = j->base = 0;
}

static void
free_jobs(struct daemon *d)
{
	for (size_t i = 0; i < d->njobs; i++)
		free(d->jobs[i].name);
	free(d->jobs);
	d->jobs = NULL;
	d->njobs = 0;
}

/* The prune schedule of the configuration, and its next run. */
static void
load_prune(struct daemon *d, time_t now)
{
	char err[160], when[64];
	struct tm tm;
	time_t base;

	d->prune_scheduled = d->c->prune_schedule != NULL &&
	    cron_parse(d->c->prune_schedule, &d->prune_cron, err, sizeof(err)) == 0;
	if (!d->prune_scheduled ||
	    plan_next(&d->prune_cron, NULL, 0, 0, now, &base, &d->prune_next) < 0) {
		d->prune_next = 0;
		return;
	}
	localtime_r(&d->prune_next, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %Z", &tm);
	log_info("prune: next run at %s", when);
}

/* (Re)build the job table from the configuration; logs each job's next run. */
static void
load_jobs(struct daemon *d, time_t now)
{
	struct strlist waiting = { 0 };

	/* A boot check waiting for its job's run still waits after a reload. */
	for (size_t i = 0; i < d->njobs; i++)
		if (d->jobs[i].boot_waiting)
			strlist_add(&waiting, d->jobs[i].name);
	free_jobs(d);
	d->jobs = xcalloc(d->c->njobs + 1, sizeof(*d->jobs));
	for (size_t i = 0; i < d->c->njobs; i++) {
		const struct conf_job *cj = &d->c->jobs[i];
		struct djob *j = &d->jobs[d->njobs++];
		char err[160], when[64];

		j->name = xstrdup(cj->name);
		j->scheduled = cj->schedule != NULL &&
		    cron_parse(cj->schedule, &j->cron, err, sizeof(err)) == 0;
		job_next(j, cj, now);
		if (j->next) {
			struct tm tm;

			localtime_r(&j->next, &tm);
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %Z", &tm);
			log_info("job %s: next run at %s", j->name, when);
		} else {
			log_info("job %s: no schedule; run it with 'virtvault backup --job %s'",
			    j->name, j->name);
		}
		daemon_boot_load(j, cj, now, strlist_contains(&waiting, j->name));
	}
	strlist_clear(&waiting);
}

bool
daemon_enqueue(struct daemon *d, const char *job, const char *dom, int attempt, time_t not_before,
    time_t window_end, unsigned batch)
{
	struct task *t;

	for (size_t i = 0; i < d->ntasks; i++)
		if (strcmp(d->tasks[i].domain, dom) == 0 && strcmp(d->tasks[i].job, job) == 0 &&
		    d->tasks[i].attempt == attempt)
			return false;
	if (d->ntasks == MAX_TASKS) {
		log_error("job %s, domain %s: too many queued runs; skipped", job, dom);
		return false;
	}
	t = &d->tasks[d->ntasks++];
	memset(t, 0, sizeof(*t));
	snprintf(t->job, sizeof(t->job), "%s", job);
	snprintf(t->domain, sizeof(t->domain), "%s", dom);
	t->attempt = attempt;
	t->not_before = not_before;
	t->window_end = window_end;
	t->batch = batch;
	return true;
}

static bool
domain_running(struct daemon *d, const char *dom)
{
	for (size_t i = 0; i < d->nchildren; i++)
		if (strcmp(d->children[i].t.domain, dom) == 0)
			return true;
	return false;
}

static void
repair_leftovers(struct daemon *d)
{
	struct strlist doms = { 0 };

	journal_list(d->c->state_dir, &doms);
	for (size_t k = 0; k < doms.n; k++) {
		const char *dom = doms.v[k];
		char *argv[8];
		struct run_result r;
		int i;

		log_warn("domain %s: a backup was interrupted; repairing it before scheduling", dom);
		i = daemon_self_argv(d, argv);
		argv[i++] = "repair";
		argv[i++] = "--";
		argv[i++] = (char *)dom;
		argv[i] = NULL;
		if (run_capture(argv, OUT_CAP, &r) == 0) {
			fputs(r.err, stderr);
			if (r.status == 0)
				log_info("domain %s: %s", dom, "repaired");
			else
				log_error("domain %s: repair failed; its backups will fail until it is repaired", dom);
			run_result_clear(&r);
		}
	}
	strlist_clear(&doms);
}

static void
reload(struct daemon *d, time_t now)
{
	struct conf *n = conf_load(d->o->config_path, true);

	if (n->errors.n > 0) {
		for (size_t i = 0; i < n->errors.n; i++)
			log_error("reload: %s", n->errors.v[i]);
		log_error("reload: the new configuration has %zu error%s; still running on the old one",
		    n->errors.n, n->errors.n == 1 ? "" : "s");
		conf_free(n);
		return;
	}
	conf_free(d->c);
	d->c = n;
	log_setup("virtvault", (enum log_level)n->log_level, n->syslog);
	log_info("reload: configuration reloaded from %s", n->path);
	load_jobs(d, now);
	load_prune(d, now);
	daemon_copy_load(d, now);
}

static void
handle_signal(struct daemon *d, int sig, time_t now)
{
	if (sig == SIGHUP) {
		reload(d, now);
		return;
	}
	if (sig == SIGCHLD)
		return;
	if (d->stopping) {
		log_warn("already stopping: waiting for %zu backup%s to reach a safe point", d->nchildren,
		    d->nchildren == 1 ? "" : "s");
		return;
	}
	d->stopping = true;
	d->ntasks = 0;
	log_info("stopping (%s): no new runs; %zu backup%s brought to a safe point first",
	    strsignal(sig), d->nchildren, d->nchildren == 1 ? "" : "s");
	for (size_t i = 0; i < d->nchildren; i++)
		kill(d->children[i].pid, SIGTERM);
	/* A prune may stop anywhere: what it did not delete, the next one does. */
	if (d->prune_pid > 0)
		kill(d->prune_pid, SIGTERM);
	daemon_copy_stop(d);
	daemon_boot_stop(d);
}

int
daemon_run(const struct daemon_opts *o, struct conf *c)
{
	struct daemon d;
	sigset_t mask;
	double speed = sched_env_speed();
	time_t now, *times = NULL;

	memset(&d, 0, sizeof(d));
	d.o = o;
	d.c = c;
	d.hooks.oldmask = &d.oldmask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, &d.oldmask);
	d.sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (d.sigfd < 0) {
		log_error("cannot receive signals: %s", strerror(errno));
		return -1;
	}
	if (o->pidfile) {
		FILE *f = fopen(o->pidfile, "w");

		if (f == NULL) {
			log_error("pidfile %s: %s", o->pidfile, strerror(errno));
			return -1;
		}
		fprintf(f, "%d\n", (int)getpid());
		fclose(f);
	}
	now = sched_env_now();
	log_info("daemon started (pid %d%s)", (int)getpid(), speed != 1 ? ", test clock" : "");
	repair_leftovers(&d);
	load_jobs(&d, now);
	for (size_t i = 0; i < d.njobs; i++) {
		const struct conf_job *cj = daemon_job_conf(&d, d.jobs[i].name);
		time_t last = state_job_last_fire(c->state_dir, d.jobs[i].name);

		if (cj->catch_up && d.jobs[i].scheduled && plan_missed(&d.jobs[i].cron, cj->timezone, last, now))
			daemon_batch_fire(&d, &d.jobs[i], now, "catching up a run missed while the daemon was down");
		else if (last == 0 && d.jobs[i].scheduled)
			state_job_set_last_fire(c->state_dir, d.jobs[i].name, now);
	}
	daemon_boot_catch_up(&d, now);

	load_prune(&d, now);
	daemon_copy_load(&d, now);
	while (!d.stopping || d.nchildren > 0 || d.hooks.n > 0 || d.prune_pid > 0 || d.nboots > 0 ||
	    daemon_copy_running(&d) > 0) {
		struct pollfd pf[1 + 2 * MAX_CHILDREN];
		size_t np;
		int timeout;

		now = sched_env_now();
		for (size_t i = 0; !d.stopping && i < d.njobs; i++) {
			if (d.jobs[i].next != 0 && d.jobs[i].next <= now) {
				struct djob *j = &d.jobs[i];
				time_t base = j->base;

				job_next(j, daemon_job_conf(&d, j->name), base);
				daemon_batch_fire(&d, j, now, "scheduled run");
			}
		}
		if (!d.stopping && d.prune_next != 0 && d.prune_next <= now) {
			time_t base;

			daemon_child_prune(&d);
			if (plan_next(&d.prune_cron, NULL, 0, 0, now, &base, &d.prune_next) < 0)
				d.prune_next = 0;
		}
		daemon_copy_tick(&d, now);
		daemon_boot_tick(&d, now);
		/* Start what may start: max_parallel, one run per domain. */
		for (size_t i = 0; !d.stopping && i < d.ntasks && d.nchildren < (size_t)d.c->max_parallel &&
		    d.nchildren < MAX_CHILDREN;) {
			struct task t = d.tasks[i];

			if (t.not_before > now || domain_running(&d, t.domain) || daemon_copy_blocks(&d, t.job)) {
				i++;
				continue;
			}
			memmove(&d.tasks[i], &d.tasks[i + 1], (d.ntasks - i - 1) * sizeof(t));
			d.ntasks--;
			daemon_child_start(&d, &t, now);
		}
		/* Sleep until the next run or retry, a signal or child output. */
		np = 0;
		times = xrealloc(times, (2 * d.njobs + d.ntasks + d.ndprunes + 1) * sizeof(*times));
		for (size_t i = 0; i < d.njobs; i++) {
			times[np++] = d.jobs[i].next;
			times[np++] = d.jobs[i].boot_next;
		}
		for (size_t i = 0; i < d.ntasks; i++)
			times[np++] = d.tasks[i].not_before;
		times[np++] = d.prune_next;
		daemon_copy_wake(&d, times, &np);
		timeout = plan_timeout_ms(plan_wake(times, np), now, speed, 1000);
		np = 0;
		pf[np++] = (struct pollfd){ d.sigfd, POLLIN, 0 };
		for (size_t i = 0; i < d.nchildren; i++) {
			if (d.children[i].out >= 0)
				pf[np++] = (struct pollfd){ d.children[i].out, POLLIN, 0 };
			if (d.children[i].err >= 0)
				pf[np++] = (struct pollfd){ d.children[i].err, POLLIN, 0 };
		}
		if (poll(pf, np, timeout) < 0 && errno != EINTR) {
			log_error("poll: %s", strerror(errno));
			break;
		}
		for (size_t p = 1; p < np; p++) {
			if (!(pf[p].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			for (size_t i = 0; i < d.nchildren; i++)
				if (d.children[i].out == pf[p].fd || d.children[i].err == pf[p].fd)
					daemon_child_read(&d.children[i], pf[p].fd);
		}
		if (pf[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			while (read(d.sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				handle_signal(&d, (int)si.ssi_signo, sched_env_now());
		}
		daemon_hook_reap(&d.hooks);
		daemon_child_reap_prune(&d);
		daemon_copy_reap(&d);
		daemon_boot_reap(&d);
		/* Reap the children whose output has ended. */
		for (size_t i = 0; i < d.nchildren;) {
			int st;

			if (d.children[i].out < 0 && d.children[i].err < 0 &&
			    waitpid(d.children[i].pid, &st, 0) == d.children[i].pid) {
				daemon_child_finish(&d, i, st, sched_env_now());
				continue;
			}
			i++;
		}
	}
	daemon_batch_flush(&d);
	free(times);
	log_info("daemon stopped");
	free_jobs(&d);
	daemon_copy_free(&d);
	conf_free(d.c);
	close(d.sigfd);
	if (o->pidfile)
		unlink(o->pidfile);
	return 0;
}
