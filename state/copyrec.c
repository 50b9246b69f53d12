/*
 * The copy's part of a run record (state/runs.h, struct run_copy): in the
 * record's file, the daemon's summaries and the metrics, kept apart from
 * the backup's outcome.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "common/jsonx.h"
#include "state/runs.h"

json_object *
state_copy_json(const struct run_copy *c)
{
	json_object *o;

	if (c->repository[0] == '\0')
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "repository", json_object_new_string(c->repository));
	json_object_object_add(o, "result", json_object_new_string(c->result));
	json_object_object_add(o, "started", json_object_new_int64(c->started));
	json_object_object_add(o, "finished", json_object_new_int64(c->finished));
	json_object_object_add(o, "last_success", json_object_new_int64(c->last_success));
	json_object_object_add(o, "failures_total", json_object_new_int64((int64_t)c->failures_total));
	json_object_object_add(o, "snapshots", json_object_new_int64((int64_t)c->snapshots));
	json_object_object_add(o, "bytes_stored", json_object_new_int64((int64_t)c->bytes_stored));
	json_object_object_add(o, "forgotten", json_object_new_int64((int64_t)c->forgotten));
	json_object_object_add(o, "missing", json_object_new_int64((int64_t)c->missing));
	json_object_object_add(o, "error", json_object_new_string(c->error));
	return o;
}

/* A count: 0 when absent or negative. */
static uint64_t
take_count(json_object *o, const char *k)
{
	int64_t v = jx_int(o, k, 0);

	return v > 0 ? (uint64_t)v : 0;
}

void
state_copy_parse(json_object *o, struct run_copy *c)
{
	memset(c, 0, sizeof(*c));
	if (o == NULL || !json_object_is_type(o, json_type_object))
		return;
	jx_strcpy(c->repository, sizeof(c->repository), o, "repository");
	jx_strcpy(c->result, sizeof(c->result), o, "result");
	if (strcmp(c->result, "success") != 0 && strcmp(c->result, "failure") != 0)
		c->result[0] = '\0';
	c->started = (time_t)jx_int(o, "started", 0);
	c->finished = (time_t)jx_int(o, "finished", 0);
	c->last_success = (time_t)jx_int(o, "last_success", 0);
	c->failures_total = take_count(o, "failures_total");
	c->snapshots = take_count(o, "snapshots");
	c->bytes_stored = take_count(o, "bytes_stored");
	c->forgotten = take_count(o, "forgotten");
	c->missing = take_count(o, "missing");
	jx_strcpy(c->error, sizeof(c->error), o, "error");
}

void
state_copy_carry(struct run_copy *c, const struct run_copy *prev)
{
	if (c->result[0] == '\0') {
		/* No copy this run (the backup failed): the last one's outcome stands. */
		if (prev->repository[0] != '\0')
			*c = *prev;
		return;
	}
	c->last_success = strcmp(c->result, "success") == 0 ? c->finished : prev->last_success;
	c->failures_total = prev->failures_total + (strcmp(c->result, "failure") == 0);
}

bool
state_copy_failed(const struct run_copy *c)
{
	return c->repository[0] != '\0' && strcmp(c->result, "failure") == 0;
}

void
state_copy_metrics(const struct run_record *r, size_t n, FILE *out)
{
	static const struct {
		const char *name;
		const char *type;
		const char *help;
	} m[] = {
		{ "virtvault_copy_success", "gauge", "1 when the last copy of the domain's snapshots to the repository succeeded." },
		{ "virtvault_copy_seconds", "gauge", "Duration of the last copy." },
		{ "virtvault_copy_timestamp_seconds", "gauge", "Time the last copy ended." },
		{ "virtvault_copy_last_success_timestamp_seconds", "gauge", "Time of the last successful copy." },
		{ "virtvault_copy_failures_total", "counter", "Failed copies since the first." },
	};

	for (size_t k = 0; k < sizeof(m) / sizeof(m[0]); k++) {
		fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", m[k].name, m[k].help, m[k].name, m[k].type);
		for (size_t i = 0; i < n; i++) {
			const struct run_copy *c = &r[i].copy;
			long long v;

			if (c->repository[0] == '\0' || c->result[0] == '\0')
				continue;
			v = k == 0 ? strcmp(c->result, "success") == 0 :
			    k == 1 ? (long long)(c->finished > c->started ? c->finished - c->started : 0) :
			    k == 2 ? (long long)c->finished :
			    k == 3 ? (long long)c->last_success : (long long)c->failures_total;
			fprintf(out, "%s{domain=\"%s\",job=\"%s\",repository=\"%s\"} %lld\n", m[k].name,
			    r[i].domain, r[i].job, c->repository, v);
		}
	}
}
