/*
 * The daemon's children: the backup children (starting them, relaying
 * their output, keeping their outcome from their summary, retries,
 * metrics and hooks) and the prune child.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "common/run.h"
#include "jobrun/jobrun.h"
#include "scheduler/daemon_int.h"
#include "scheduler/plan.h"
#include "state/runs.h"

void
daemon_child_start(struct daemon *d, const struct task *t, time_t now)
{
	int op[2], ep[2];
	pid_t pid;
	struct child *c;

	if (pipe2(op, O_CLOEXEC) < 0 || pipe2(ep, O_CLOEXEC) < 0) {
		log_error("domain %s: cannot start its backup: %s", t->domain, strerror(errno));
		return;
	}
	pid = fork();
	if (pid < 0) {
		log_error("domain %s: cannot start its backup: %s", t->domain, strerror(errno));
		close(op[0]), close(op[1]), close(ep[0]), close(ep[1]);
		return;
	}
	if (pid == 0) {
		char *argv[14];
		int i;

		sigprocmask(SIG_SETMASK, &d->oldmask, NULL);
		dup2(op[1], 1);
		dup2(ep[1], 2);
		i = daemon_self_argv(d, argv);
		/* Not -q: its warnings (a failed quiesce, a roll-back) belong in the log. */
		argv[i++] = "backup";
		argv[i++] = "--job";
		argv[i++] = (char *)t->job;
		argv[i++] = "--json";
		argv[i++] = "--daemon-child";
		/* Options end here: a domain may be named "-x". */
		argv[i++] = "--";
		argv[i++] = (char *)t->domain;
		argv[i] = NULL;
		execv(d->o->self, argv);
		_exit(127);
	}
	close(op[1]);
	close(ep[1]);
	c = &d->children[d->nchildren++];
	memset(c, 0, sizeof(*c));
	c->pid = pid;
	c->out = op[0];
	c->err = ep[0];
	c->t = *t;
	c->started = now;
	c->obuf = xmalloc(OUT_CAP + 1);
	log_info("job %s: backing up %s%s (pid %d)", t->job, t->domain,
	    t->attempt ? " again" : "", (int)pid);
}

void
daemon_child_prune(struct daemon *d)
{
	pid_t pid;

	if (d->prune_pid > 0) {
		log_warn("prune: the last one (pid %d) still runs; this run is skipped", (int)d->prune_pid);
		return;
	}
	pid = fork();
	if (pid < 0) {
		log_error("prune: cannot start it: %s", strerror(errno));
		return;
	}
	if (pid == 0) {
		char *argv[6];
		int i;

		sigprocmask(SIG_SETMASK, &d->oldmask, NULL);
		i = daemon_self_argv(d, argv);
		argv[i++] = "prune";
		argv[i] = NULL;
		execv(d->o->self, argv);
		_exit(127);
	}
	d->prune_pid = pid;
	log_info("prune: started (pid %d)", (int)pid);
}

void
daemon_child_reap_prune(struct daemon *d)
{
	int st;

	if (d->prune_pid <= 0 || waitpid(d->prune_pid, &st, WNOHANG) != d->prune_pid)
		return;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		log_info("prune: done (pid %d)", (int)d->prune_pid);
	else if (WIFEXITED(st))
		log_error("prune: failed (pid %d, exit %d; see its messages above)", (int)d->prune_pid,
		    WEXITSTATUS(st));
	else
		log_error("prune: killed by signal %d (pid %d); the next one collects what it left",
		    WTERMSIG(st), (int)d->prune_pid);
	d->prune_pid = 0;
}

/*
 * The run record of child C from its summary (jobrun/summary.h): its
 * domain's entry; a child that wrote none (killed, or it could not start)
 * failed. OK: it exited 0. A child killed during its copy backed up: its
 * last line, the partial summary, says so, and its copy failed. Returns
 * whether the domain was backed up.
 */
static bool
child_record(struct daemon *d, struct child *c, int status, bool ok, time_t now,
    struct run_record *r)
{
	struct summary s;
	const struct summary_domain *e = NULL;

	c->obuf[c->olen] = '\0';
	if (summary_parse(c->obuf, &s) == 0)
		for (size_t i = 0; i < s.n && e == NULL; i++)
			if (strcmp(s.v[i].domain, c->t.domain) == 0)
				e = &s.v[i];
	if (e != NULL) {
		jobrun_record_make(c->t.job, e, c->started, now, r);
	} else {
		memset(r, 0, sizeof(*r));
		r->quiesced = -1;
		snprintf(r->job, sizeof(r->job), "%s", c->t.job);
		snprintf(r->domain, sizeof(r->domain), "%s", c->t.domain);
		r->started = c->started;
		r->finished = now;
	}
	if (!ok && e != NULL && s.partial && e->result == SUMMARY_SUCCESS && WIFSIGNALED(status)) {
		log_warn("job %s: %s: its copy to [repository %s] was killed by signal %d (pid %d); the snapshot is published, the next run copies it",
		    c->t.job, c->t.domain, e->copy.repository, WTERMSIG(status), (int)c->pid);
		ok = true;
	}
	r->ok = ok;
	if (ok || (e != NULL && e->result == SUMMARY_BUSY)) {
		/* As the summary says. */
	} else if (d->stopping) {
		snprintf(r->result, sizeof(r->result), "interrupted");
		snprintf(r->error, sizeof(r->error),
		    "interrupted: the daemon was stopped during the run (its disks were put back; nothing published)");
	} else {
		if (strcmp(r->result, "interrupted") != 0)
			snprintf(r->result, sizeof(r->result), "failure");
		/* A domain backed up, but the job's keep rules failed: the run's error. */
		if (r->error[0] == '\0' && s.error[0] != '\0')
			snprintf(r->error, sizeof(r->error), "%s", s.error);
		if (r->error[0] == '\0')
			snprintf(r->error, sizeof(r->error), "%s",
			    WIFSIGNALED(status) ? "the backup was killed by a signal (see the daemon's log)" :
			    "the backup failed (see the daemon's log)");
	}
	summary_clear(&s);
	return ok;
}

void
daemon_child_finish(struct daemon *d, size_t idx, int status, time_t now)
{
	struct child *c = &d->children[idx];
	const struct conf_job *cj = daemon_job_conf(d, c->t.job);
	struct run_record r;
	bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0, busy, again = false;
	const char *hook, *what = NULL;

	ok = child_record(d, c, status, ok, now, &r);
	busy = strcmp(r.result, "busy") == 0;
	jobrun_record_keep(d->c, &r);
	if (d->c->metrics_file)
		state_write_metrics(d->c->state_dir, d->c->metrics_file);
	if (ok)
		log_info("job %s: %s backed up: snapshot %s", r.job, r.domain, r.snapshot);
	else if (busy)
		log_warn("job %s: %s skipped: another run holds it", r.job, r.domain);
	else
		log_error("job %s: %s failed: %s", r.job, r.domain, r.error);
	if (!ok && !busy && cj != NULL && !d->stopping) {
		time_t at = plan_retry_at(now, (unsigned long)cj->retry_delay, c->t.attempt + 1,
		    cj->retries, c->t.window_end);

		if (at > 0) {
			log_info("job %s: %s will be tried again in %llds (attempt %d of %d)", r.job,
			    r.domain, (long long)(at - now), c->t.attempt + 2, cj->retries + 1);
			again = daemon_enqueue(d, r.job, r.domain, c->t.attempt + 1, at, c->t.window_end,
			    c->t.batch);
		} else if (cj->retries > 0) {
			log_warn("job %s: %s: no retry left in this run window", r.job, r.domain);
		}
	}
	/* The run's message waits for the last attempt of each domain. */
	if (!again)
		daemon_batch_add(d, c->t.batch, &r);
	if ((hook = jobrun_record_hook(cj, &r, &what)) != NULL)
		daemon_hook_start(&d->hooks, hook, &r, cj->hook_timeout, what);
	if (c->out >= 0)
		close(c->out);
	if (c->err >= 0)
		close(c->err);
	free(c->obuf);
	d->children[idx] = d->children[--d->nchildren];
}

/* Relay a child's standard error line by line (its outcome is in its summary). */
static void
relay_err(struct child *c, bool flush)
{
	char *nl;

	while ((nl = memchr(c->ebuf, '\n', c->elen)) != NULL || (flush && c->elen > 0)) {
		size_t n = nl ? (size_t)(nl - c->ebuf) : c->elen;

		fprintf(stderr, "%.*s\n", (int)n, c->ebuf);
		n = nl ? n + 1 : n;
		memmove(c->ebuf, c->ebuf + n, c->elen - n);
		c->elen -= n;
	}
}

void
daemon_child_read(struct child *c, int fd)
{
	char tmp[4096];
	ssize_t n = read(fd, tmp, sizeof(tmp));

	if (n <= 0) {
		if (fd == c->err)
			relay_err(c, true);
		close(fd);
		if (fd == c->out)
			c->out = -1;
		else
			c->err = -1;
		return;
	}
	if (fd == c->out) {
		/* The last line is the summary: past the cap, the oldest bytes go. */
		if (c->olen + (size_t)n > OUT_CAP) {
			size_t drop = c->olen + (size_t)n - OUT_CAP;

			memmove(c->obuf, c->obuf + drop, c->olen - drop);
			c->olen -= drop;
		}
		memcpy(c->obuf + c->olen, tmp, (size_t)n);
		c->olen += (size_t)n;
	} else {
		size_t take = c->elen + (size_t)n > sizeof(c->ebuf) ? sizeof(c->ebuf) - c->elen : (size_t)n;

		memcpy(c->ebuf + c->elen, tmp, take);
		c->elen += take;
		relay_err(c, c->elen == sizeof(c->ebuf));
	}
}
