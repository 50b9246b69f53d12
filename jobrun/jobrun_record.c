/*
 * A run's records: each domain's outcome as its run record (state/runs.h),
 * kept as the last run of (domain, job), the job's on_success/on_failure
 * hook, and the run's message. The daemon keeps its children's records
 * with the same jobrun_record_make/keep/hook.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/run.h"
#include "jobrun/jobrun_int.h"
#include "jobrun/notify.h"

/* Why a run failed, when no error was logged: where its messages went. */
#define SEE_LOG "the backup failed (its messages went to the standard error of the run; " \
	"under systemd: journalctl -u 'virtvault*')"

/* The read modes of SEQ's files, each once, "incremental,full", into BUF. */
static void
read_modes(const struct seq_result *seq, char *buf, size_t len)
{
	static const char *const modes[] = { "incremental", "full" };
	size_t at = 0;

	buf[0] = '\0';
	for (size_t k = 0; k < sizeof(modes) / sizeof(modes[0]); k++)
		for (size_t i = 0; i < seq->nreads; i++) {
			if (strcmp(seq->reads[i].mode, modes[k]) != 0)
				continue;
			if (at < len)
				at += (size_t)snprintf(buf + at, len - at, "%s%s", at ? "," : "", modes[k]);
			break;
		}
}

void
jobrun_record_make(const char *job, const struct summary_domain *d, time_t started,
    time_t finished, struct run_record *out)
{
	bool ok = d->result == SUMMARY_SUCCESS;

	memset(out, 0, sizeof(*out));
	snprintf(out->job, sizeof(out->job), "%s", job ? job : STATE_MANUAL_JOB);
	snprintf(out->domain, sizeof(out->domain), "%s", d->domain);
	snprintf(out->result, sizeof(out->result), "%s", summary_result_name(d->result));
	out->ok = ok;
	out->started = started;
	out->finished = finished;
	out->quiesced = ok ? d->seq.quiesced : -1;
	out->copy = d->copy;
	if (ok) {
		out->bytes_read = d->seq.stats.bytes_read;
		out->bytes_stored = d->seq.stats.bytes_stored;
		out->chunks_new = d->seq.stats.chunks_new;
		out->chunks_reused = d->seq.stats.chunks_reused;
		snprintf(out->snapshot, sizeof(out->snapshot), "%s", d->seq.snapshot);
		out->seconds = d->seq.stats.seconds;
		out->seconds_on_overlay = d->seq.seconds_on_overlay;
		read_modes(&d->seq, out->read_modes, sizeof(out->read_modes));
	} else {
		snprintf(out->error, sizeof(out->error), "%s", d->error);
	}
}

int
jobrun_record_keep(const struct conf *c, struct run_record *r)
{
	if (strcmp(r->result, "busy") == 0)
		return state_run_skipped(c->state_dir, r->domain, r->job, r->finished);
	if (state_run_record(c->state_dir, r) < 0) {
		log_error("domain %s: its run record cannot be written in %s", r->domain, c->state_dir);
		return -1;
	}
	return 0;
}

const char *
jobrun_record_hook(const struct conf_job *job, const struct run_record *r, const char **what)
{
	if (job == NULL || job->name == NULL || strcmp(r->result, "busy") == 0)
		return NULL;
	*what = r->ok ? "on_success" : "on_failure";
	return r->ok ? job->on_success : job->on_failure;
}

int
jobrun_record_run(const struct conf *c, const struct conf_job *job, struct summary_domain *d,
    time_t started, bool keep, struct run_record *out)
{
	const char *hook, *what = NULL;
	int ret = 0;

	if (d->result != SUMMARY_SUCCESS && d->error[0] == '\0') {
		log_last_error(d->error, sizeof(d->error), false);
		if (d->error[0] == '\0')
			snprintf(d->error, sizeof(d->error), "%s", SEE_LOG);
	}
	jobrun_record_make(job->name, d, started, time(NULL), out);
	if (keep && jobrun_record_keep(c, out) < 0)
		ret = -1;
	hook = jobrun_record_hook(job, out, &what);
	if (keep && hook != NULL) {
		char **vars = state_run_hook_vars(out);
		int st = 0, rc = run_shell(hook, (const char *const *)vars,
		    job->hook_timeout ? (unsigned)job->hook_timeout : 60, &st);

		if (rc != 0 || st != 0)
			log_error("job %s, domain %s: the %s hook failed (%s %d)", out->job, out->domain,
			    what, rc == 1 ? "timed out after" : "exit",
			    rc == 1 ? (int)job->hook_timeout : st);
		run_env_free(vars);
	}
	return ret;
}

void
jobrun_record_unmatched_make(const char *job, const char *pattern, const char *uri,
    time_t started, time_t finished, struct run_record *out)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->job, sizeof(out->job), "%s", job);
	snprintf(out->domain, sizeof(out->domain), "%s", pattern);
	out->started = started;
	out->finished = finished;
	out->quiesced = -1;
	snprintf(out->error, sizeof(out->error), "'%s' in the job's domains matches no domain%s%s",
	    pattern, uri ? " at " : "", uri ? uri : "");
}

void
jobrun_record_unmatched(const struct conf_job *job, const char *pattern, const char *uri,
    time_t started, struct summary *s, struct run_record *out)
{
	jobrun_record_unmatched_make(job->name, pattern, uri, started, time(NULL), out);
	summary_add(s, pattern, SUMMARY_FAILURE, out->error, NULL);
}

int
jobrun_record_early(const struct conf *c, const struct conf_job *job, const struct strlist *sel,
    time_t started, bool keep, struct summary *s, struct run_record *recs, size_t *nrecs)
{
	char err[sizeof(recs->error)];
	int ret = 0;

	log_last_error(err, sizeof(err), false);
	for (size_t i = 0; i < sel->n; i++) {
		struct summary_domain *d = summary_add(s, sel->v[i], SUMMARY_FAILURE,
		    err[0] ? err : "the run failed before any domain", NULL);

		if (jobrun_record_run(c, job, d, started, keep, &recs[(*nrecs)++]) < 0)
			ret = -1;
	}
	return ret;
}

void
jobrun_record_notify(const struct conf *c, const struct conf_job *job,
    const struct strlist *named, const struct run_record *recs, size_t n, time_t started)
{
	const char *jn = job->name ? job->name : STATE_MANUAL_JOB;
	struct run_record *early = NULL;

	if (n == 0) {
		char err[sizeof(early->error)];
		size_t k = named->n ? named->n : 1;

		log_last_error(err, sizeof(err), false);
		early = xcalloc(k, sizeof(*early));
		for (size_t i = 0; i < k; i++) {
			struct run_record *r = &early[i];

			snprintf(r->job, sizeof(r->job), "%s", jn);
			snprintf(r->domain, sizeof(r->domain), "%s",
			    named->n ? named->v[i] : "(every domain of the job)");
			r->started = started;
			r->finished = time(NULL);
			snprintf(r->error, sizeof(r->error), "%s",
			    err[0] ? err : "the run failed before any domain (see the log)");
		}
		recs = early;
		n = k;
	}
	if (notify_due(c, recs, n))
		notify_send(c, jn, recs, n);
	free(early);
}
