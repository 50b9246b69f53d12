/*
 * The report as JSON (`virtvault report --json`): the data of the page,
 * with the screenshots named by path instead of embedded.
 */
#include <stdio.h>
#include <string.h>

#include "jobrun/report_int.h"

static const char *const expiry_names[] = {
	[REPORT_EXPIRY_NONE] = "no keep rules",
	[REPORT_EXPIRY_OTHER_HOST] = "another host's rules (unknown here)",
	[REPORT_EXPIRY_SCHEDULE] = "the job's schedule, every run a success",
	[REPORT_EXPIRY_DAILY] = "one run a day (the job has no schedule), every run a success",
};

static void
add_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, v != NULL ? json_object_new_string(v) : NULL);
}

static void
add_u64(json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_int64((int64_t)v));
}

/* T as ISO 8601 in UTC, as every JSON output of virtvault; 0: null. */
static void
add_time(json_object *o, const char *k, time_t t)
{
	char b[UTIL_UTC_LEN];

	json_object_object_add(o, k, t != 0 ? json_object_new_string(util_format_utc(t, b, sizeof(b))) : NULL);
}

/* A copy's outcome C, as the run history records it. */
static json_object *
copy_json(const struct run_copy *c)
{
	json_object *o = json_object_new_object();

	add_str(o, "repository", c->repository);
	add_str(o, "result", c->result);
	add_time(o, "started", c->started);
	add_time(o, "finished", c->finished);
	add_time(o, "last_success", c->last_success);
	add_u64(o, "failures_total", c->failures_total);
	add_u64(o, "snapshots", c->snapshots);
	add_u64(o, "bytes_stored", c->bytes_stored);
	add_u64(o, "forgotten", c->forgotten);
	add_u64(o, "missing", c->missing);
	add_str(o, "error", c->error);
	return o;
}

static json_object *
run_json(const struct run_record *r)
{
	json_object *o = json_object_new_object(), *modes = json_object_new_array();
	char copy[sizeof(r->read_modes)], *save = NULL;

	add_str(o, "job", r->job);
	add_time(o, "started", r->started);
	add_time(o, "finished", r->finished);
	add_str(o, "result", r->result);
	add_str(o, "error", r->error);
	add_str(o, "snapshot", r->snapshot);
	add_u64(o, "bytes_read", r->bytes_read);
	add_u64(o, "bytes_stored", r->bytes_stored);
	add_u64(o, "chunks_new", r->chunks_new);
	add_u64(o, "chunks_reused", r->chunks_reused);
	json_object_object_add(o, "seconds", json_object_new_double(r->seconds));
	json_object_object_add(o, "seconds_on_overlay", json_object_new_double(r->seconds_on_overlay));
	snprintf(copy, sizeof(copy), "%s", r->read_modes);
	for (char *m = strtok_r(copy, ",", &save); m != NULL; m = strtok_r(NULL, ",", &save))
		json_object_array_add(modes, json_object_new_string(m));
	json_object_object_add(o, "read_modes", modes);
	/* The copy this run made; null: none. */
	json_object_object_add(o, "copy", r->copy.result[0] ? copy_json(&r->copy) : NULL);
	return o;
}

static json_object *
boot_json(const struct report_domain *d)
{
	return state_boot_view_json(&d->boot, d->screenshot != NULL ? d->screenshot_file : NULL);
}

static json_object *
verify_json(const struct verify_record *v)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();

	add_str(o, "host", v->host);
	add_time(o, "started", v->started);
	add_time(o, "finished", v->finished);
	add_str(o, "mode", v->deep ? "deep" : "quick");
	json_object_object_add(o, "sample_percent", json_object_new_double(v->sample * 100));
	add_u64(o, "snapshots", v->snapshots);
	for (size_t i = 0; i < v->nids; i++)
		json_object_array_add(a, json_object_new_string(v->ids[i]));
	json_object_object_add(o, "snapshot_ids", a);
	add_u64(o, "problems", v->problems);
	a = json_object_new_array();
	for (size_t i = 0; i < v->nmessages; i++)
		json_object_array_add(a, json_object_new_string(v->messages[i]));
	json_object_object_add(o, "messages", a);
	add_u64(o, "chunks_read", v->chunks_read);
	add_u64(o, "bytes_read", v->bytes_read);
	add_str(o, "result", v->ok ? "ok" : "failed");
	json_object_object_add(o, "ok", json_object_new_boolean(v->ok));
	return o;
}

static json_object *
domain_json(const struct report_domain *d)
{
	json_object *o = json_object_new_object(), *runs = json_object_new_array(), *a;

	add_str(o, "domain", d->name);
	for (size_t i = 0; i < d->nruns; i++)
		json_object_array_add(runs, run_json(&d->runs[i]));
	json_object_object_add(o, "runs", runs);
	json_object_object_add(o, "failures", json_object_new_int64((int64_t)d->failures));
	a = json_object_new_array();
	for (size_t i = 0; i < d->ncopies; i++) {
		json_object *c = copy_json(&d->copies[i].copy);

		add_str(c, "job", d->copies[i].job);
		json_object_array_add(a, c);
	}
	json_object_object_add(o, "copies", a);
	json_object_object_add(o, "copy_failures", json_object_new_int64((int64_t)d->copy_failures));
	json_object_object_add(o, "snapshots", json_object_new_int64((int64_t)d->nsnapshots));
	json_object_object_add(o, "boot_check", d->has_boot ? boot_json(d) : NULL);
	json_object_object_add(o, "verify", d->has_verify ? verify_json(&d->verify) : NULL);
	return o;
}

static json_object *
group_json(const struct report_group *g)
{
	json_object *o = json_object_new_object(), *snaps = json_object_new_array();

	add_str(o, "host", g->host);
	add_str(o, "name", g->name);
	add_str(o, "job", g->job[0] ? g->job : NULL);
	add_str(o, "keep", g->policy[0] ? g->policy : NULL);
	add_str(o, "expiry_basis", expiry_names[g->expiry]);
	for (size_t i = 0; i < g->n; i++) {
		const struct report_snapshot *s = &g->snaps[i];
		json_object *x = json_object_new_object();

		add_str(x, "snapshot", s->id);
		add_str(x, "time", s->time);
		add_u64(x, "size", s->size);
		add_u64(x, "stored", s->stored);
		add_u64(x, "chunks_new", s->chunks_new);
		if (g->expiry == REPORT_EXPIRY_SCHEDULE || g->expiry == REPORT_EXPIRY_DAILY) {
			add_str(x, "kept_by", s->rule[0] ? s->rule : NULL);
			add_time(x, "expires", s->expires);
		}
		json_object_array_add(snaps, x);
	}
	json_object_object_add(o, "snapshots", snaps);
	return o;
}

json_object *
report_json(const struct report *rep)
{
	json_object *o = json_object_new_object(), *a, *repo = json_object_new_object();

	add_time(o, "generated", rep->generated);
	add_time(o, "since", rep->since);
	json_object_object_add(o, "days", json_object_new_int64(rep->days));
	add_str(o, "this_host", rep->here);
	add_str(o, "host", rep->host[0] ? rep->host : NULL);
	json_object_object_add(o, "runs_shown", json_object_new_boolean(rep->history_shown));
	json_object_object_add(o, "history_damaged_lines",
	    json_object_new_int64((int64_t)rep->history_damaged));
	a = json_object_new_array();
	for (size_t i = 0; i < rep->ndoms; i++)
		json_object_array_add(a, domain_json(&rep->doms[i]));
	json_object_object_add(o, "domains", a);
	json_object_object_add(repo, "snapshots", json_object_new_int64((int64_t)rep->nsnapshots));
	json_object_object_add(repo, "unreadable", json_object_new_int64((int64_t)rep->unreadable));
	add_u64(repo, "stored", rep->stored_total);
	add_u64(repo, "chunks", rep->chunks_total);
	a = json_object_new_array();
	for (size_t i = 0; i < rep->npoints; i++) {
		json_object *p = json_object_new_object();

		add_time(p, "time", rep->points[i].when);
		add_u64(p, "stored", rep->points[i].stored);
		add_u64(p, "chunks", rep->points[i].chunks);
		json_object_array_add(a, p);
	}
	json_object_object_add(repo, "over_time", a);
	a = json_object_new_array();
	for (size_t i = 0; i < rep->ngroups; i++)
		json_object_array_add(a, group_json(&rep->groups[i]));
	json_object_object_add(repo, "groups", a);
	json_object_object_add(o, "repository", repo);
	return o;
}
