/*
 * A job's run in the daemon (a firing): which domains it backs up (asked
 * of a child, read from its summary), and its one message once every
 * domain had its last attempt.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/run.h"
#include "jobrun/jobrun.h"
#include "jobrun/notify.h"
#include "jobrun/summary.h"
#include "scheduler/daemon_int.h"
#include "scheduler/sched_env.h"

/* A new job run of JOB expecting nothing yet, or NULL when MAX_BATCHES are open (logged). */
static struct batch *
batch_new(struct daemon *d, const char *job)
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

/* Job run ID, or NULL. */
static struct batch *
batch_find(struct daemon *d, unsigned id)
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
	if (d->stopping || d->hooks.n >= MAX_HOOKS) {
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
	daemon_hook_track(&d->hooks, pid, notify_max_seconds(d->c) + 10, b->job, "(the run)", "notify");
}

/* How long the report of a job run may take before it is killed. */
#define REPORT_TIMEOUT 600

/*
 * [agent] report_file: after job run B, `virtvault report --html FILE` in
 * a child of its own, tracked (and bounded) like a hook.
 */
static void
batch_report(struct daemon *d, const struct batch *b)
{
	pid_t pid;

	if (d->c->report_file == NULL || d->stopping)
		return;
	if (d->hooks.n >= MAX_HOOKS) {
		log_warn("job %s: %zu programs run already; the report %s is not written this time",
		    b->job, d->hooks.n, d->c->report_file);
		return;
	}
	pid = fork();
	if (pid < 0) {
		log_error("job %s: cannot write the report %s: %s", b->job, d->c->report_file,
		    strerror(errno));
		return;
	}
	if (pid == 0) {
		char *argv[8];
		int i;

		sigprocmask(SIG_SETMASK, &d->oldmask, NULL);
		i = daemon_self_argv(d, argv);
		argv[i++] = "report";
		argv[i++] = "--html";
		argv[i++] = d->c->report_file;
		argv[i] = NULL;
		execv(d->o->self, argv);
		_exit(127);
	}
	daemon_hook_track(&d->hooks, pid, REPORT_TIMEOUT, b->job, "(the run)", "report");
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
	struct batch *b = batch_find(d, id);

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
	batch_report(d, b);
	batch_remove(d, b);
}

void
daemon_batch_flush(struct daemon *d)
{
	for (size_t i = 0; i < d->ntasks; i++) {
		struct task *t = &d->tasks[i];
		struct run_record r;

		if (batch_find(d, t->batch) == NULL)
			continue;
		memset(&r, 0, sizeof(r));
		snprintf(r.job, sizeof(r.job), "%s", t->job);
		snprintf(r.domain, sizeof(r.domain), "%s", t->domain);
		r.started = r.finished = sched_env_now();
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

/*
 * The domains of JOB, from the selection a child
 * `virtvault backup --job JOB --dry-run --json --daemon-child` writes,
 * into OUT; the names or globs of the job that matched no domain into
 * UNMATCHED. Returns 0, or -1 with the reason in ERR (logged).
 */
static int
job_domains(struct daemon *d, const char *job, struct strlist *out, struct strlist *unmatched,
    char *err, size_t errlen)
{
	char *argv[12], why[400];
	struct run_result r;
	int i, rc, ret = -1;

	i = daemon_self_argv(d, argv);
	argv[i++] = "-q";
	argv[i++] = "backup";
	argv[i++] = "--job";
	argv[i++] = (char *)job;
	argv[i++] = "--dry-run";
	argv[i++] = "--json";
	argv[i++] = "--daemon-child";
	argv[i] = NULL;
	snprintf(err, errlen, "cannot start virtvault to list the job's domains");
	if (run_capture(argv, OUT_CAP, &r) < 0)
		return -1;
	why[0] = '\0';
	rc = summary_parse_selection(r.out, out, unmatched, why, sizeof(why));
	if (rc == 0 && r.status == 0) {
		ret = 0;
	} else if (rc == 1) {
		snprintf(err, errlen, "cannot list the job's domains: %s", why);
		log_error("job %s: cannot list its domains: %s", job, why);
	} else {
		snprintf(err, errlen, "cannot list the job's domains: unreadable answer");
		log_error("job %s: cannot list its domains: unreadable answer '%.200s' (exit %d) %s", job,
		    r.out, r.status, r.err);
	}
	run_result_clear(&r);
	return ret;
}

void
daemon_batch_fire(struct daemon *d, struct djob *j, time_t now, const char *why)
{
	struct strlist doms = { 0 }, unmatched = { 0 };
	struct batch *b = batch_new(d, j->name);
	struct run_record r;
	unsigned id;

	log_info("job %s: %s", j->name, why);
	state_job_set_last_fire(d->c->state_dir, j->name, now);
	memset(&r, 0, sizeof(r));
	if (job_domains(d, j->name, &doms, &unmatched, r.error, sizeof(r.error)) == 0) {
		for (size_t i = 0; i < doms.n; i++)
			if (daemon_enqueue(d, j->name, doms.v[i], 0, now, j->next, b ? b->id : 0) && b)
				b->pending++;
		if (doms.n == 0)
			log_warn("job %s selects no domain", j->name);
		/* A name or glob that matched nothing: a failure of the run, by
		 * name, in its message (no domain's record: it names none). The
		 * last record added may send the message and end the batch:
		 * from here on it is known by its id only. */
		id = b ? b->id : 0;
		if (b != NULL)
			b->pending += unmatched.n;
		b = NULL;
		for (size_t i = 0; i < unmatched.n; i++) {
			struct run_record u;

			log_error("job %s: '%s' in its domains matches no domain", j->name,
			    unmatched.v[i]);
			if (id == 0)
				continue;
			jobrun_record_unmatched_make(j->name, unmatched.v[i], NULL, now, now, &u);
			daemon_batch_add(d, id, &u);
		}
		b = id ? batch_find(d, id) : NULL;
		if (b != NULL && b->pending == 0)
			daemon_batch_add(d, b->id, NULL);
	} else if (b != NULL) {
		/* The run could not start: its message says so. */
		snprintf(r.job, sizeof(r.job), "%s", j->name);
		snprintf(r.domain, sizeof(r.domain), "(every domain of the job)");
		r.started = r.finished = now;
		b->pending = 1;
		daemon_batch_add(d, b->id, &r);
	}
	strlist_clear(&doms);
	strlist_clear(&unmatched);
}
