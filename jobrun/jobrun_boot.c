#include "jobrun/jobrun_boot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "jobrun/jobrun_int.h"
#include "jobrun/notify.h"
#include "state/runs.h"
#include "repo/manifest.h"

/* The job's own boot_check_command and boot_timeout over O's. */
static void
job_settings(const struct conf_job *job, struct bootcheck_opts *o)
{
	o->job = job->name;
	if (job->boot_check_command != NULL)
		o->command = job->boot_check_command;
	if (job->boot_timeout > 0)
		o->timeout = (int)job->boot_timeout;
}

/* The newest snapshot of DOM made by this host (not one in the future), or NULL. */
static struct manifest *
newest(struct repo *r, const struct conf *c, const char *dom)
{
	struct manifest *m = NULL;
	char *sel = xasprintf("%s/%s@latest", c->host, dom), err[300];

	/* One listing of the group and one manifest read, not all of them. */
	if (manifest_find(r, sel, &m, err, sizeof(err)) != 0)
		m = NULL;
	free(sel);
	return m;
}

/* The record of a domain with nothing to boot. */
static void
no_snapshot(const struct conf *c, const struct bootcheck_opts *o, const char *dom, struct boot_record *rec)
{
	memset(rec, 0, sizeof(*rec));
	snprintf(rec->domain, sizeof(rec->domain), "%s", dom);
	snprintf(rec->job, sizeof(rec->job), "%s", o->job);
	snprintf(rec->snapshot_host, sizeof(rec->snapshot_host), "%s", c->host);
	snprintf(rec->command, sizeof(rec->command), "%s", o->command ? o->command : "");
	snprintf(rec->reason, sizeof(rec->reason), "no snapshot of this host (%s) to boot", c->host);
	rec->started = rec->finished = time(NULL);
	rec->seconds_to_agent = -1;
	rec->command_exit = -1;
	log_error("boot check of %s: %s", dom, rec->reason);
	state_boot_write(c->state_dir, rec);
}

void
jobrun_boot_after(const struct conf *c, const char *job, const struct boot_record *recs, size_t n)
{
	if (n == 0)
		return;
	if (c->metrics_file != NULL && state_write_metrics(c->state_dir, c->metrics_file) < 0)
		log_error("the metrics file %s cannot be written", c->metrics_file);
	/* Its failure is logged; the checks' outcome stands. */
	notify_boot(c, job, recs, n, c->state_dir);
}

int
jobrun_boot(struct hv *hv, struct repo *r, const struct conf *c, const char *job,
    const struct bootcheck_opts *o, jobrun_boot_each each, void *arg, struct boot_record **recs,
    size_t *n)
{
	const struct conf_job *cj = conf_find_job(c, job);
	struct strlist doms = { 0 }, unmatched = { 0 };
	struct bootcheck_opts jo = *o;
	int ret = 0;

	*recs = NULL;
	*n = 0;
	if (cj == NULL) {
		log_error("no [job %s] in %s", job, c->path ? c->path : "the configuration");
		return -1;
	}
	job_settings(cj, &jo);
	if (jobrun_select_job(hv, cj, false, &doms, &unmatched) < 0) {
		strlist_clear(&unmatched);
		return -1;
	}
	*recs = xcalloc(doms.n ? doms.n : 1, sizeof(**recs));
	for (size_t i = 0; i < doms.n; i++) {
		struct boot_record *rec = &(*recs)[*n];
		struct manifest *m;

		if (o->cancel != NULL && *o->cancel)
			break;
		if ((m = newest(r, c, doms.v[i])) == NULL) {
			no_snapshot(c, &jo, doms.v[i], rec);
		} else {
			bootcheck_run(hv, r, c, m, &jo, rec);
			manifest_free(m);
		}
		if (!rec->ok)
			ret = 1;
		(*n)++;
		if (each != NULL)
			each(arg, rec);
	}
	jobrun_boot_after(c, job, *recs, *n);
	strlist_clear(&doms);
	strlist_clear(&unmatched);
	return ret;
}
