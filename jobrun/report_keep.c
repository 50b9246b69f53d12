/*
 * Retention in the report: which rule keeps each snapshot now, and when
 * its job's rules will drop it. The date is found by running the rules
 * forward (repo/retention.h): a new snapshot at each of the job's
 * scheduled runs (one a day when it has none), each run assumed to
 * succeed, the job's rules applied after each as the job does (what they
 * remove is gone), until every snapshot of today has been dropped or the
 * horizon is reached. Exact under that assumption; a failed or extra run
 * moves the dates.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cron.h"
#include "jobrun/report_int.h"
#include "repo/retention.h"

/* How far ahead the rules are run, and how many runs at most. */
#define HORIZON_DAYS 400
#define MAX_STEPS 4000

static const struct conf_job *
group_job(const struct conf *c, const char *name, size_t *matches)
{
	const struct conf_job *found = NULL;

	*matches = 0;
	for (size_t i = 0; i < c->njobs; i++) {
		const struct conf_job *j = &c->jobs[i];

		if (retention_policy_empty(&j->keep) || !strlist_glob_any(&j->domains, name) ||
		    strlist_glob_any(&j->exclude_domains, name))
			continue;
		if (found == NULL)
			found = j;
		(*matches)++;
	}
	return found;
}

static void
policy_text(const struct keep_policy *p, char *buf, size_t len)
{
	const struct {
		const char *name;
		unsigned v;
	} r[] = {
		{ "last", p->last }, { "hourly", p->hourly }, { "daily", p->daily },
		{ "weekly", p->weekly }, { "monthly", p->monthly }, { "yearly", p->yearly },
	};
	size_t at = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++)
		if (r[i].v > 0 && at < len)
			at += (size_t)snprintf(buf + at, len - at, "%skeep %s %u", at ? ", " : "",
			    r[i].name, r[i].v);
	if (p->within > 0 && at < len) {
		uint64_t w = p->within;
		const char *unit = w % 86400 == 0 ? "d" : w % 3600 == 0 ? "h" : "s";

		w /= w % 86400 == 0 ? 86400 : w % 3600 == 0 ? 3600 : 1;
		snprintf(buf + at, len - at, "%skeep within %llu%s", at ? ", " : "",
		    (unsigned long long)w, unit);
	}
}

/*
 * Run J's rules forward over G's snapshots (the kept ones of today, in
 * TIMES/ORIG, K of them, newest first) from NOW: each snapshot's expiry.
 */
static void
simulate(const struct conf_job *j, bool scheduled, const struct cron *cr, time_t now,
    struct report_group *g, time_t *times, size_t *orig, size_t k)
{
	size_t cap = k + MAX_STEPS + 1, left = k;
	time_t *t = xcalloc(cap, sizeof(*t));
	size_t *o = xcalloc(cap, sizeof(*o));
	enum keep_rule *rule = xcalloc(cap, sizeof(*rule));
	time_t run = now;

	g->horizon = now + (time_t)HORIZON_DAYS * 86400;
	memcpy(t + 1, times, k * sizeof(*t));
	memcpy(o + 1, orig, k * sizeof(*o));
	for (size_t step = 0; step < MAX_STEPS && left > 0; step++) {
		size_t m = 0, n = k + 1;

		if (scheduled ? cron_next(cr, run, j->timezone, &run) < 0 : false)
			break;
		if (!scheduled)
			run += 86400;
		if (run > g->horizon)
			break;
		/* The new snapshot is the newest; the rest shift down one. */
		t[0] = run;
		o[0] = SIZE_MAX;
		retention_apply(&j->keep, j->timezone, t, n, run, rule);
		for (size_t i = 0; i < n; i++) {
			if (rule[i] == KEEP_NOT) {
				if (o[i] != SIZE_MAX) {
					g->snaps[o[i]].expires = run;
					left--;
				}
				continue;
			}
			t[m] = t[i];
			o[m] = o[i];
			m++;
		}
		/* What is kept makes room for the next run's snapshot. */
		memmove(t + 1, t, m * sizeof(*t));
		memmove(o + 1, o, m * sizeof(*o));
		k = m;
		if (k + 1 >= cap)
			break;
	}
	free(t);
	free(o);
	free(rule);
}

void
report_keep_group(const struct conf *c, const char *here, time_t now, struct report_group *g)
{
	const struct conf_job *j;
	struct cron cr;
	char err[128];
	bool scheduled;
	size_t matches, k = 0;
	time_t *times;
	size_t *orig;
	enum keep_rule *rule;

	if (strcmp(g->host, here) != 0) {
		g->expiry = REPORT_EXPIRY_OTHER_HOST;
		return;
	}
	j = group_job(c, g->name, &matches);
	if (j == NULL) {
		g->expiry = REPORT_EXPIRY_NONE;
		return;
	}
	snprintf(g->job, sizeof(g->job), "%s", j->name);
	policy_text(&j->keep, g->policy, sizeof(g->policy));
	if (matches > 1) {
		size_t at = strlen(g->policy);

		snprintf(g->policy + at, sizeof(g->policy) - at, " (%zu jobs take %s: the first one's)",
		    matches, g->name);
	}
	scheduled = j->schedule != NULL && cron_parse(j->schedule, &cr, err, sizeof(err)) == 0;
	g->expiry = scheduled ? REPORT_EXPIRY_SCHEDULE : REPORT_EXPIRY_DAILY;
	times = xcalloc(g->n + 1, sizeof(*times));
	orig = xcalloc(g->n + 1, sizeof(*orig));
	rule = xcalloc(g->n + 1, sizeof(*rule));
	for (size_t i = 0; i < g->n; i++)
		times[i] = g->snaps[i].when;
	retention_apply(&j->keep, j->timezone, times, g->n, now, rule);
	/* Today's verdict; what is kept goes forward (in the future: ignored). */
	for (size_t i = 0; i < g->n; i++) {
		g->snaps[i].rule = retention_rule_name(rule[i]);
		if (rule[i] == KEEP_FUTURE || rule[i] == KEEP_NOT)
			continue;
		times[k] = g->snaps[i].when;
		orig[k++] = i;
	}
	/* Removed today: by the job's next run. */
	if (k < g->n) {
		time_t next = now + 86400;

		if (scheduled && cron_next(&cr, now, j->timezone, &next) < 0)
			next = 0;
		for (size_t i = 0; i < g->n; i++)
			if (rule[i] == KEEP_NOT)
				g->snaps[i].expires = next;
	}
	simulate(j, scheduled, &cr, now, g, times, orig, k);
	free(times);
	free(orig);
	free(rule);
}
