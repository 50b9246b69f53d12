/*
 * The backup children of the daemon: starting them, relaying their
 * output, recording their outcomes, retries, metrics and hooks.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "common/run.h"
#include "common/clock.h"
#include "scheduler/daemon_int.h"
#include "scheduler/plan.h"
#include "jobrun/notify.h"
#include "state/runs.h"

void
daemon_start_kid(struct daemon *d, const struct task *t, time_t now)
{
	int op[2], ep[2];
	pid_t pid;
	struct kid *k;

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
	k = &d->kids[d->nkids++];
	memset(k, 0, sizeof(*k));
	k->pid = pid;
	k->out = op[0];
	k->err = ep[0];
	k->t = *t;
	k->started = now;
	k->obuf = xmalloc(OUT_CAP + 1);
	log_info("job %s: backing up %s%s (pid %d)", t->job, t->domain,
	    t->attempt ? " again" : "", (int)pid);
}

void
daemon_start_prune(struct daemon *d)
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
daemon_reap_prune(struct daemon *d)
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

/* Track the background child PID (a hook, a message) until TIMEOUT seconds from now. */
static void
track_hook(struct daemon *d, pid_t pid, unsigned long long timeout, const char *job,
    const char *domain, const char *what)
{
	struct hook *h = &d->hooks[d->nhooks++];

	memset(h, 0, sizeof(*h));
	h->pid = pid;
	h->timeout = timeout;
	h->deadline = clock_mono() + (double)timeout;
	snprintf(h->job, sizeof(h->job), "%s", job);
	snprintf(h->domain, sizeof(h->domain), "%s", domain);
	snprintf(h->what, sizeof(h->what), "%s", what);
}

/*
 * Start HOOK with the run's details in the environment; the event loop
 * reaps it (daemon_reap_hooks) and kills it after TIMEOUT seconds, so that
 * child output and signals are answered meanwhile.
 */
static void
run_hook(struct daemon *d, const char *hook, const struct run_record *r, uint64_t timeout,
    const char *what)
{
	pid_t pid;

	if (d->nhooks >= MAX_HOOKS) {
		log_error("job %s, domain %s: %zu hooks run already; the %s hook is skipped", r->job,
		    r->domain, d->nhooks, what);
		return;
	}
	pid = fork();
	if (pid < 0) {
		log_error("job %s: cannot run its %s hook: %s", r->job, what, strerror(errno));
		return;
	}
	if (pid == 0) {
		int nul = open("/dev/null", O_RDONLY);

		sigprocmask(SIG_SETMASK, &d->oldmask, NULL);
		dup2(nul, 0);
		/* Only the documented variables: no password or key of ours. */
		{
			char **vars = state_run_hook_vars(r);
			char **env = run_child_env((const char *const *)vars);

			setpgid(0, 0);
			execle("/bin/sh", "sh", "-c", hook, (char *)NULL, env);
		}
		_exit(127);
	}
	track_hook(d, pid, (unsigned long long)timeout, r->job, r->domain, what);
}

void
daemon_reap_hooks(struct daemon *d)
{
	double now = clock_mono();

	for (size_t i = 0; i < d->nhooks;) {
		struct hook *h = &d->hooks[i];
		int st;
		pid_t w = waitpid(h->pid, &st, WNOHANG);

		if (w == 0 && now > h->deadline) {
			kill(-h->pid, SIGKILL);
			kill(h->pid, SIGKILL);
			waitpid(h->pid, &st, 0);
			log_error("job %s, domain %s: the %s hook ran over %llus and was killed", h->job,
			    h->domain, h->what, h->timeout);
		} else if (w == h->pid) {
			/* A message not delivered was logged by its sender. */
			if ((!WIFEXITED(st) || WEXITSTATUS(st) != 0) && strcmp(h->what, "notify") != 0)
				log_error("job %s, domain %s: the %s hook failed (%s %d)", h->job,
				    h->domain, h->what, WIFEXITED(st) ? "exit" : "signal",
				    WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
		} else if (w == 0) {
			i++;
			continue;
		}
		/* Ended (or lost: waitpid failed); the slot is free. */
		*h = d->hooks[--d->nhooks];
	}
}

/* Fill R from the child's JSON summary (its last line of output). */
static void
parse_summary(struct kid *k, struct run_record *r)
{
	char *line;
	json_object *o, *doms, *dd, *v;

	k->obuf[k->olen] = '\0';
	while (k->olen > 0 && (k->obuf[k->olen - 1] == '\n'))
		k->obuf[--k->olen] = '\0';
	line = strrchr(k->obuf, '\n');
	line = line ? line + 1 : k->obuf;
	o = json_tokener_parse(line);
	if (o == NULL || !json_object_object_get_ex(o, "domains", &doms) ||
	    json_object_array_length(doms) < 1) {
		json_object_put(o);
		return;
	}
	dd = json_object_array_get_idx(doms, 0);
	if (json_object_object_get_ex(dd, "result", &v))
		snprintf(r->result, sizeof(r->result), "%s", json_object_get_string(v));
	if (json_object_object_get_ex(dd, "error", &v) && json_object_get_string(v)[0] != '\0')
		snprintf(r->error, sizeof(r->error), "%s", json_object_get_string(v));
	if (json_object_object_get_ex(dd, "snapshot", &v))
		snprintf(r->snapshot, sizeof(r->snapshot), "%s", json_object_get_string(v));
	if (json_object_object_get_ex(dd, "quiesced", &v))
		r->quiesced = json_object_get_boolean(v);
	if (json_object_object_get_ex(dd, "bytes_read", &v))
		r->bytes_read = (uint64_t)json_object_get_int64(v);
	if (json_object_object_get_ex(dd, "bytes_stored", &v))
		r->bytes_stored = (uint64_t)json_object_get_int64(v);
	if (json_object_object_get_ex(dd, "chunks_new", &v))
		r->chunks_new = (uint64_t)json_object_get_int64(v);
	if (json_object_object_get_ex(dd, "chunks_reused", &v))
		r->chunks_reused = (uint64_t)json_object_get_int64(v);
	json_object_put(o);
}

void
daemon_finish_kid(struct daemon *d, size_t idx, int status, time_t now)
{
	struct kid *k = &d->kids[idx];
	const struct conf_job *cj = daemon_job_conf(d, k->t.job);
	struct run_record r;
	bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0, busy;

	memset(&r, 0, sizeof(r));
	r.quiesced = -1;
	snprintf(r.job, sizeof(r.job), "%s", k->t.job);
	snprintf(r.domain, sizeof(r.domain), "%s", k->t.domain);
	r.ok = ok;
	r.started = k->started;
	r.finished = now;
	parse_summary(k, &r);
	busy = strcmp(r.result, "busy") == 0;
	if (ok || busy) {
		/* As the summary says. */
	} else if (d->stopping) {
		snprintf(r.result, sizeof(r.result), "interrupted");
		snprintf(r.error, sizeof(r.error),
		    "interrupted: the daemon was stopped during the run (its disks were put back; nothing published)");
	} else {
		if (strcmp(r.result, "interrupted") != 0)
			snprintf(r.result, sizeof(r.result), "failure");
		if (r.error[0] == '\0')
			snprintf(r.error, sizeof(r.error), "%s", k->lasterr[0] ? k->lasterr :
			    WIFSIGNALED(status) ? "the backup was killed by a signal (see the daemon's log)" :
			    "the backup failed (see the daemon's log)");
	}
	if (busy)
		state_run_skipped(d->c->state_dir, r.domain, r.job, now);
	else
		state_run_record(d->c->state_dir, &r);
	if (d->c->metrics_file)
		state_write_metrics(d->c->state_dir, d->c->metrics_file);
	if (ok)
		log_info("job %s: %s backed up: snapshot %s", r.job, r.domain, r.snapshot);
	else if (busy)
		log_warn("job %s: %s skipped: another run holds it", r.job, r.domain);
	else
		log_error("job %s: %s failed: %s", r.job, r.domain, r.error);

	bool again = false;

	if (!ok && !busy && cj != NULL && !d->stopping) {
		time_t at = sched_retry_at(now, (unsigned long)cj->retry_delay, k->t.attempt + 1,
		    cj->retries, k->t.window_end);

		if (at > 0) {
			log_info("job %s: %s will be tried again in %llds (attempt %d of %d)", r.job,
			    r.domain, (long long)(at - now), k->t.attempt + 2, cj->retries + 1);
			again = daemon_enqueue(d, r.job, r.domain, k->t.attempt + 1, at, k->t.window_end,
			    k->t.batch);
		} else if (cj->retries > 0) {
			log_warn("job %s: %s: no retry left in this run window", r.job, r.domain);
		}
	}
	/* The run's message waits for the last attempt of each domain. */
	if (!again)
		daemon_batch_add(d, k->t.batch, &r);
	if (cj != NULL && ok && cj->on_success)
		run_hook(d, cj->on_success, &r, cj->hook_timeout, "on_success");
	if (cj != NULL && !ok && !busy && cj->on_failure)
		run_hook(d, cj->on_failure, &r, cj->hook_timeout, "on_failure");
	if (k->out >= 0)
		close(k->out);
	if (k->err >= 0)
		close(k->err);
	free(k->obuf);
	d->kids[idx] = d->kids[--d->nkids];
}

struct batch *
daemon_batch_new(struct daemon *d, const char *job)
{
	struct batch *b;

	if (d->nbatches == MAX_BATCHES) {
		log_warn("job %s: %d job runs are open; this one sends no message of its own", job,
		    MAX_BATCHES);
		return NULL;
	}
	b = &d->batches[d->nbatches++];
	memset(b, 0, sizeof(*b));
	b->id = ++d->last_batch ? d->last_batch : ++d->last_batch;
	snprintf(b->job, sizeof(b->job), "%s", job);
	return b;
}

struct batch *
daemon_batch_find(struct daemon *d, unsigned id)
{
	for (size_t i = 0; id != 0 && i < d->nbatches; i++)
		if (d->batches[i].id == id)
			return &d->batches[i];
	return NULL;
}

/* Send B's message in a child of its own, tracked (and bounded) like a hook. */
static void
batch_send(struct daemon *d, struct batch *b)
{
	pid_t pid;

	if (!notify_due(d->c, b->recs, b->n))
		return;
	if (d->stopping || d->nhooks >= MAX_HOOKS) {
		/* At the end (or no slot): in this process, waiting for it. */
		notify_send(d->c, b->job, b->recs, b->n);
		return;
	}
	pid = fork();
	if (pid < 0) {
		log_error("job %s: cannot send the run's message: %s", b->job, strerror(errno));
		return;
	}
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, &d->oldmask, NULL);
		_exit(notify_send(d->c, b->job, b->recs, b->n) == 0 ? 0 : 1);
	}
	/* Its bound: every channel's attempts and the waits between them, and a margin. */
	track_hook(d, pid, notify_max_seconds(d->c) + 10, b->job, "(the run)", "notify");
}

static void
batch_remove(struct daemon *d, struct batch *b)
{
	free(b->recs);
	*b = d->batches[--d->nbatches];
}

void
daemon_batch_add(struct daemon *d, unsigned id, const struct run_record *r)
{
	struct batch *b = daemon_batch_find(d, id);

	if (b == NULL)
		return;
	if (r != NULL) {
		b->recs = xrealloc(b->recs, (b->n + 1) * sizeof(*b->recs));
		b->recs[b->n++] = *r;
		if (b->pending > 0)
			b->pending--;
	}
	if (b->pending > 0)
		return;
	batch_send(d, b);
	batch_remove(d, b);
}

void
daemon_batch_flush(struct daemon *d)
{
	for (size_t i = 0; i < d->ntasks; i++) {
		struct task *t = &d->tasks[i];
		struct run_record r;

		if (daemon_batch_find(d, t->batch) == NULL)
			continue;
		memset(&r, 0, sizeof(r));
		snprintf(r.job, sizeof(r.job), "%s", t->job);
		snprintf(r.domain, sizeof(r.domain), "%s", t->domain);
		r.started = r.finished = sched_now();
		snprintf(r.error, sizeof(r.error), "not %s: the daemon was stopped first",
		    t->attempt ? "tried again" : "backed up");
		daemon_batch_add(d, t->batch, &r);
	}
	while (d->nbatches > 0) {
		struct batch *b = &d->batches[0];

		batch_send(d, b);
		batch_remove(d, b);
	}
}

/* Relay a child's standard error line by line; keep its last error. */
static void
relay_err(struct kid *k, bool flush)
{
	char *nl;

	while ((nl = memchr(k->ebuf, '\n', k->elen)) != NULL || (flush && k->elen > 0)) {
		size_t n = nl ? (size_t)(nl - k->ebuf) : k->elen;

		fprintf(stderr, "%.*s\n", (int)n, k->ebuf);
		if (memmem(k->ebuf, n, "error: ", 7) != NULL) {
			const char *e = memmem(k->ebuf, n, "error: ", 7) + 7;

			snprintf(k->lasterr, sizeof(k->lasterr), "%.*s", (int)(n - (size_t)(e - k->ebuf)), e);
		}
		n = nl ? n + 1 : n;
		memmove(k->ebuf, k->ebuf + n, k->elen - n);
		k->elen -= n;
	}
}

void
daemon_read_kid(struct kid *k, int fd)
{
	char tmp[4096];
	ssize_t n = read(fd, tmp, sizeof(tmp));

	if (n <= 0) {
		if (fd == k->err)
			relay_err(k, true);
		close(fd);
		if (fd == k->out)
			k->out = -1;
		else
			k->err = -1;
		return;
	}
	if (fd == k->out) {
		size_t take = k->olen + (size_t)n > OUT_CAP ? OUT_CAP - k->olen : (size_t)n;

		memcpy(k->obuf + k->olen, tmp, take);
		k->olen += take;
	} else {
		size_t take = k->elen + (size_t)n > sizeof(k->ebuf) ? sizeof(k->ebuf) - k->elen : (size_t)n;

		memcpy(k->ebuf + k->elen, tmp, take);
		k->elen += take;
		relay_err(k, k->elen == sizeof(k->ebuf));
	}
}

/* At start-up: repair every domain a journal names. */
