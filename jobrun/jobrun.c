/*
 * A job's run, or a manual backup of some domains, from start to end (the
 * order is at the top of jobrun.h).
 */
#include "jobrun/jobrun.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/sequence.h"
#include "common/log.h"
#include "jobrun/jobrun_copy.h"
#include "jobrun/jobrun_int.h"
#include "repo/layout.h"

/* What a run carries from domain to domain. */
struct jobrun_ctx {
	const struct conf *c;
	const struct conf_job *job;
	const struct jobrun_opts *o;
	const struct jobrun_report *rep;
	struct repo *r;
	struct strlist done;		/* backed up: the job's keep rules apply to them */
};

/*
 * The steps of a domain after its backup is published (RES: what the
 * sequence made), in order, before its record; each returns 0, or -1
 * (logged) to make the domain's run a failure (its snapshot stays
 * published) and skip the steps after it. The copy to the job's copy_to
 * is not one of them: its failure is its own (run_copy).
 */
struct jobrun_step {
	const char *name;
	int (*run)(struct jobrun_ctx *x, const char *dom, const struct seq_result *res);
};

/* The domain joins those the job's keep rules apply to. */
static int
step_done(struct jobrun_ctx *x, const char *dom, const struct seq_result *res)
{
	(void)res;
	strlist_add(&x->done, dom);
	return 0;
}

static const struct jobrun_step after_publish[] = {
	{ "keep rules", step_done },
};

/*
 * After a job's run: its keep rules applied to this host's snapshots of
 * the domains it backed up. Returns 0, or -1 (logged).
 */
static int
job_forget(struct jobrun_ctx *x, const struct jobrun_report *rep)
{
	const struct conf_job *job = x->job;
	const struct keep_policy *p = &job->keep;
	struct forget_plan plan;
	size_t failed;

	if (x->done.n == 0 || retention_policy_empty(p))
		return 0;
	if (forget_select(x->r, repo_host(x->r), &x->done, NULL, p, job->timezone, &plan) < 0)
		return -1;
	if (rep->forget != NULL)
		failed = rep->forget(rep->arg, job->name, x->r, &plan);
	else
		failed = forget_remove(x->r, &plan);
	if (plan.nremove > 0)
		log_info("job %s: %zu snapshots forgotten; 'virtvault prune' frees their data",
		    job->name, plan.nremove - failed);
	forget_plan_free(&plan);
	return failed ? -1 : 0;
}

/*
 * The copy after DOM's backup (D, a success) into the job's copy_to: its
 * outcome kept in D apart from the backup's, never failing it.
 */
static void
run_copy(struct jobrun_ctx *x, const char *dom, struct summary_domain *d)
{
	const char *to = x->job->copy_to;

	if (jobrun_copy_domain(x->c, x->job, x->r, dom, x->o->cancel, &d->copy) == 0)
		log_info("job %s: %s: copy to [repository %s] done: %llu snapshots copied, %llu forgotten there",
		    x->job->name, dom, to, (unsigned long long)d->copy.snapshots,
		    (unsigned long long)d->copy.forgotten);
	else
		log_warn("job %s: %s: backed up, but the copy to [repository %s] failed: %s", x->job->name,
		    dom, to, d->copy.error);
}

static void
tell(const struct jobrun_report *rep, enum jobrun_event ev, const struct summary_domain *d)
{
	if (rep->domain != NULL)
		rep->domain(rep->arg, ev, d);
}

/*
 * Back up domain DOM: the sequence, the steps after publish, the record
 * (into *REC) and its entry in S. Returns 0, or -1 when its record could
 * not be written.
 */
static int
run_domain(struct jobrun_ctx *x, struct hv *hv, const char *dom, struct summary *s,
    struct run_record *rec)
{
	const struct conf_job *job = x->job;
	const struct jobrun_opts *o = x->o;
	struct seq_opts so = {
		.job = job->name,
		.pre_hook = job->pre_backup,
		.post_hook = job->post_backup,
		.hook_timeout = (unsigned)job->hook_timeout,
		.quiesce = o->quiesce >= 0 ? (enum conf_quiesce)o->quiesce : job->quiesce,
		.exclude_disks = &job->exclude_disks,
		.quiet = o->quiet,
		.time = o->when ? *o->when : 0,
		.time_given = o->when != NULL,
		.no_cbt = o->flags & JOBRUN_NO_CBT,
		.check_cbt = o->flags & JOBRUN_CHECK_CBT,
		.cancel = o->cancel,
	};
	bool keep = !(o->flags & JOBRUN_DAEMON_CHILD);
	struct seq_result res;
	struct summary_domain *d;
	time_t started = time(NULL);
	char noerr[8];
	int rc, ret;

	log_last_error(noerr, sizeof(noerr), true);
	memset(&res, 0, sizeof(res));
	rc = seq_backup_domain(hv, x->r, x->c, dom, &so, &res);
	for (size_t k = 0; rc == 0 && k < sizeof(after_publish) / sizeof(after_publish[0]); k++)
		if (after_publish[k].run(x, dom, &res) < 0)
			rc = -1;
	if (rc == VV_BUSY)
		/* Another run has it: skipped, not failed; its record stays. */
		d = summary_add(s, dom, SUMMARY_BUSY, "another run holds the domain", NULL);
	else if (rc != 0 && *o->cancel)
		d = summary_add(s, dom, SUMMARY_INTERRUPTED,
		    "interrupted by a signal: its disks were put back; nothing published", NULL);
	else if (rc != 0)
		d = summary_add(s, dom, SUMMARY_FAILURE, NULL, NULL);	/* the error logged last */
	else
		d = summary_add(s, dom, SUMMARY_SUCCESS, NULL, &res);
	if (rc == 0 && job->copy_to != NULL) {
		snprintf(d->copy.repository, sizeof(d->copy.repository), "%s", job->copy_to);
		snprintf(d->copy.result, sizeof(d->copy.result), "failure");
		d->copy.started = d->copy.finished = time(NULL);
		snprintf(d->copy.error, sizeof(d->copy.error),
		    "the run was killed during the copy to [repository %s] (the snapshot was published; the next run copies it)",
		    job->copy_to);
		tell(x->rep, JOBRUN_COPYING, d);
		run_copy(x, dom, d);
	}
	ret = jobrun_record_run(x->c, job, d, started, keep, rec);
	tell(x->rep, JOBRUN_ENDED, d);
	return ret;
}

/* A signal came before domain SEL[I]: it and those after it are not backed up. */
static int
run_cancelled(struct jobrun_ctx *x, const struct strlist *sel, size_t i, struct summary *s,
    struct run_record *recs, size_t *nrecs)
{
	bool keep = !(x->o->flags & JOBRUN_DAEMON_CHILD);
	int ret = 0;

	log_warn("stopping on a signal: %s and the domains after it are not backed up", sel->v[i]);
	for (; i < sel->n; i++) {
		struct summary_domain *d = summary_add(s, sel->v[i], SUMMARY_INTERRUPTED,
		    "interrupted by a signal before it started; nothing touched", NULL);

		if (jobrun_record_run(x->c, x->job, d, time(NULL), keep, &recs[(*nrecs)++]) < 0)
			ret = -1;
		/* The summary's word for it, shorter than the record's. */
		snprintf(d->error, sizeof(d->error), "interrupted by a signal before it started");
	}
	return ret;
}

/*
 * The domains of the run into RES->selected (and RES->unmatched), HV
 * asked. Returns JOBRUN_OK, or what the run ends with (logged).
 */
static enum jobrun_status
select_domains(struct jobrun_ctx *x, struct hv *hv, struct jobrun_result *res)
{
	const struct jobrun_opts *o = x->o;

	if (o->all || (o->job != NULL && o->domains->n == 0)) {
		if (jobrun_select_job(hv, x->job, o->all, &res->selected, &res->unmatched) < 0)
			return JOBRUN_FAILED;
		for (size_t i = 0; i < res->unmatched.n; i++)
			log_error("job %s: '%s' in its domains matches no domain at %s", o->job,
			    res->unmatched.v[i], hv_uri(hv));
		if (res->selected.n == 0) {
			log_error("%s selects no domain at %s", o->all ? "--all" : o->job, hv_uri(hv));
			return JOBRUN_FAILED;
		}
	} else if (jobrun_select_named(hv, o->domains, &res->selected) != 0) {
		return JOBRUN_FAILED;
	}
	strlist_sort(&res->selected);
	if (o->flags & JOBRUN_DRY_RUN)
		return JOBRUN_OK;
	/* A name the repository cannot hold fails at once, before any work. */
	for (size_t i = 0; i < res->selected.n; i++) {
		if (!layout_name_valid(res->selected.v[i])) {
			log_error("domain %s: its name cannot name a backup (" LAYOUT_NAME_RULE "); nothing done",
			    res->selected.v[i]);
			return JOBRUN_REFUSED;
		}
	}
	return JOBRUN_OK;
}

enum jobrun_status
jobrun_run(const struct conf *c, const struct jobrun_opts *o, const struct jobrun_report *rep,
    struct jobrun_result *res)
{
	static const struct jobrun_report quiet_report;
	struct jobrun_ctx x = { .c = c, .o = o, .rep = rep ? rep : &quiet_report };
	struct conf_job none;
	struct hv *hv = NULL;
	struct summary *s = &res->summary;
	struct run_record *recs = NULL;
	size_t nrecs = 0;
	time_t run_started = time(NULL);
	bool dry_run = o->flags & JOBRUN_DRY_RUN, keep = !(o->flags & JOBRUN_DAEMON_CHILD);
	bool ran = false, unwritten = false;
	enum jobrun_status ret = JOBRUN_FAILED;

	memset(res, 0, sizeof(*res));
	memset(&none, 0, sizeof(none));
	none.quiesce = CONF_QUIESCE_TRY;
	if (o->job != NULL && (x.job = conf_find_job(c, o->job)) == NULL) {
		log_error("no [job %s] in %s", o->job, c->path ? c->path : CONF_DEFAULT_PATH);
		return JOBRUN_REFUSED;
	}
	if (x.job == NULL)
		x.job = &none;
	if ((hv = hv_open_libvirt(c->libvirt_uri)) == NULL) {
		/* The domains it was to back up failed: those named, or those
		 * the job backed up before. */
		if (!dry_run) {
			for (size_t i = 0; i < o->domains->n; i++)
				strlist_add(&res->selected, o->domains->v[i]);
			if (o->job != NULL && o->domains->n == 0)
				jobrun_select_known(c, o->job, &res->selected);
			recs = xcalloc(res->selected.n + 1, sizeof(*recs));
			ran = res->selected.n > 0;
			jobrun_record_early(c, x.job, &res->selected, run_started, keep, s, recs, &nrecs);
		}
		goto out;
	}
	if ((ret = select_domains(&x, hv, res)) != JOBRUN_OK || dry_run)
		goto out;
	ret = JOBRUN_FAILED;
	ran = true;
	recs = xcalloc(res->selected.n + res->unmatched.n + 1, sizeof(*recs));
	/* The repository last: a run that cannot reach it (a store down, a
	 * wrong password) failed for each domain it was to back up. */
	if ((x.r = repo_open(c)) == NULL) {
		if (jobrun_record_early(c, x.job, &res->selected, run_started, keep, s, recs, &nrecs) < 0)
			unwritten = true;
		goto out;
	}
	/* A name or glob of the job that matched nothing failed, by name. */
	for (size_t i = 0; i < res->unmatched.n; i++) {
		jobrun_record_unmatched(x.job, res->unmatched.v[i], hv_uri(hv), run_started, s,
		    &recs[nrecs++]);
		tell(x.rep, JOBRUN_UNMATCHED, &s->v[s->n - 1]);
	}
	for (size_t i = 0; i < res->selected.n; i++) {
		if (*o->cancel) {
			if (run_cancelled(&x, &res->selected, i, s, recs, &nrecs) < 0)
				unwritten = true;
			break;
		}
		if (run_domain(&x, hv, res->selected.v[i], s, &recs[nrecs++]) < 0)
			unwritten = true;
	}
	res->summary_whole = true;
	ret = s->failed + s->skipped == 0 ? JOBRUN_OK : s->ok == 0 ? JOBRUN_FAILED : JOBRUN_PARTIAL;
	/* Retention only after the job's own run; a failure to forget is a failure. */
	if (o->job != NULL && job_forget(&x, x.rep) < 0) {
		log_last_error(s->error, sizeof(s->error), false);
		if (ret == JOBRUN_OK)
			ret = JOBRUN_PARTIAL;
	}
out:
	/* The daemon writes its children's records and metrics itself. */
	if (keep && ran && c->metrics_file != NULL &&
	    state_write_metrics(c->state_dir, c->metrics_file) < 0) {
		log_error("the metrics file %s cannot be written", c->metrics_file);
		unwritten = true;
	}
	if (unwritten && ret == JOBRUN_OK) {
		log_error("the backups are done, but their records or metrics are not written: monitoring does not see them");
		ret = JOBRUN_FAILED;
	}
	/* The daemon sends its children's message itself, one per job run. */
	if (keep && !dry_run && (ran || ret != JOBRUN_OK))
		jobrun_record_notify(c, x.job, o->domains, recs, nrecs, run_started);
	free(recs);
	strlist_clear(&x.done);
	repo_close(x.r);
	hv_close(hv);
	return ret;
}

void
jobrun_result_clear(struct jobrun_result *res)
{
	summary_clear(&res->summary);
	strlist_clear(&res->selected);
	strlist_clear(&res->unmatched);
}
