#include "state/runs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/jsonx.h"
#include "common/log.h"
#include "state/bootrec.h"
#include "state/history.h"
#include "state/journal.h"
#include "state/layout.h"
#include "state/verifyrec.h"

static int
write_atomic(const char *path, const char *text)
{
	return fs_write_atomic(path, text, strlen(text), 0644);
}

time_t
state_job_last_fire(const char *state_dir, const char *job)
{
	char *p = state_file_path(state_dir, STATE_JOBS, job);
	json_object *o = json_object_from_file(p), *v;
	time_t t = 0;

	if (o != NULL && json_object_object_get_ex(o, "last_fire", &v))
		t = (time_t)json_object_get_int64(v);
	json_object_put(o);
	free(p);
	return t;
}

int
state_job_set_last_fire(const char *state_dir, const char *job, time_t t)
{
	char *p = state_file_path(state_dir, STATE_JOBS, job);
	char *text = xasprintf("{\"last_fire\": %lld}\n", (long long)t);
	int r;

	state_ensure_dir(state_dir, STATE_JOBS);
	r = write_atomic(p, text);
	free(p);
	free(text);
	return r;
}

/* The name of DOMAIN's record by JOB in STATE/runs: DOMAIN@JOB, a new string. */
static char *
run_key(const char *domain, const char *job)
{
	return xasprintf("%s@%s", domain, job);
}

/* The file of DOMAIN's record by JOB: STATE/runs/DOMAIN@JOB.json. */
static char *
run_path(const char *state_dir, const char *domain, const char *job)
{
	char *key = run_key(domain, job);
	char *p = state_file_path(state_dir, STATE_RUNS, key);

	free(key);
	return p;
}

/* Read the record in file PATH into *R. Returns 0, 1 when there is none. */
static int
read_file(const char *path, struct run_record *r)
{
	json_object *o, *v;

	memset(r, 0, sizeof(*r));
	r->quiesced = -1;
	if (access(path, F_OK) < 0)
		return 1;
	o = json_object_from_file(path);
	if (o == NULL)
		return 1;
	jx_strcpy(r->job, sizeof(r->job), o, "job");
	jx_strcpy(r->domain, sizeof(r->domain), o, "domain");
	jx_strcpy(r->snapshot, sizeof(r->snapshot), o, "snapshot");
	jx_strcpy(r->error, sizeof(r->error), o, "error");
	r->ok = json_object_object_get_ex(o, "ok", &v) && json_object_get_boolean(v);
	jx_strcpy(r->result, sizeof(r->result), o, "result");
	if (strcmp(r->result, "success") != 0 && strcmp(r->result, "failure") != 0 &&
	    strcmp(r->result, "interrupted") != 0)
		snprintf(r->result, sizeof(r->result), "%s", r->ok ? "success" : "failure");
	r->started = (time_t)jx_int(o, "started", 0);
	r->finished = (time_t)jx_int(o, "finished", 0);
	r->last_success = (time_t)jx_int(o, "last_success", 0);
	r->failures_total = (uint64_t)jx_int(o, "failures_total", 0);
	r->skipped_total = (uint64_t)jx_int(o, "skipped_total", 0);
	r->last_skipped = (time_t)jx_int(o, "last_skipped", 0);
	r->bytes_read = (uint64_t)jx_int(o, "bytes_read", 0);
	r->bytes_stored = (uint64_t)jx_int(o, "bytes_stored", 0);
	r->chunks_new = (uint64_t)jx_int(o, "chunks_new", 0);
	r->chunks_reused = (uint64_t)jx_int(o, "chunks_reused", 0);
	if (json_object_object_get_ex(o, "quiesced", &v))
		r->quiesced = json_object_get_boolean(v);
	state_copy_parse(json_object_object_get_ex(o, "copy", &v) ? v : NULL, &r->copy);
	json_object_put(o);
	return 0;
}

/* The record of an earlier version (STATE/runs/DOMAIN.json), when it
 * is JOB's: read into *R. Returns 0, or 1 when there is none of JOB. */
static int
read_legacy(const char *state_dir, const char *domain, const char *job, struct run_record *r)
{
	char *p = state_file_path(state_dir, STATE_RUNS, domain);
	int rc = read_file(p, r);

	free(p);
	if (rc == 0 && strcmp(r->job, job) != 0)
		rc = 1;
	return rc;
}

int
state_run_read(const char *state_dir, const char *domain, const char *job, struct run_record *r)
{
	char *p = run_path(state_dir, domain, job);
	int rc = read_file(p, r);

	free(p);
	if (rc != 0)
		rc = read_legacy(state_dir, domain, job, r);
	return rc;
}

int
state_run_record(const char *state_dir, struct run_record *r)
{
	struct run_record prev;
	int ret;

	if (r->result[0] == '\0')
		snprintf(r->result, sizeof(r->result), "%s", r->ok ? "success" : "failure");
	state_run_read(state_dir, r->domain, r->job, &prev);
	r->last_success = r->ok ? r->finished : prev.last_success;
	r->failures_total = prev.failures_total + (r->ok ? 0 : 1);
	r->skipped_total = prev.skipped_total;
	r->last_skipped = prev.last_skipped;
	state_copy_carry(&r->copy, &prev.copy);
	ret = state_run_write(state_dir, r);
	if (ret == 0 && read_legacy(state_dir, r->domain, r->job, &prev) == 0) {
		/* Carried on into the new record: the old one goes. */
		char *p = state_file_path(state_dir, STATE_RUNS, r->domain);

		unlink(p);
		free(p);
	}
	/* The record is what monitoring reads; the history only feeds `report`. */
	if (ret == 0)
		state_history_append(state_dir, r, time(NULL));
	return ret;
}

int
state_run_skipped(const char *state_dir, const char *domain, const char *job, time_t when)
{
	struct run_record r;

	if (state_run_read(state_dir, domain, job, &r) != 0) {
		/* Never ran here: a record with no outcome but the skip. */
		memset(&r, 0, sizeof(r));
		r.quiesced = -1;
		snprintf(r.domain, sizeof(r.domain), "%s", domain);
		snprintf(r.job, sizeof(r.job), "%s", job);
		snprintf(r.result, sizeof(r.result), "failure");
		snprintf(r.error, sizeof(r.error), "no run yet: skipped, another run held the domain");
	}
	r.skipped_total++;
	r.last_skipped = when;
	return state_run_write(state_dir, &r);
}

int
state_run_write(const char *state_dir, const struct run_record *r)
{
	json_object *o = json_object_new_object();
	char *key = run_key(r->domain, r->job);
	int ret;

	json_object_object_add(o, "job", json_object_new_string(r->job));
	json_object_object_add(o, "domain", json_object_new_string(r->domain));
	json_object_object_add(o, "ok", json_object_new_boolean(r->ok));
	json_object_object_add(o, "result", json_object_new_string(r->result[0] ? r->result :
	    r->ok ? "success" : "failure"));
	json_object_object_add(o, "started", json_object_new_int64(r->started));
	json_object_object_add(o, "finished", json_object_new_int64(r->finished));
	json_object_object_add(o, "last_success", json_object_new_int64(r->last_success));
	json_object_object_add(o, "failures_total", json_object_new_int64((int64_t)r->failures_total));
	json_object_object_add(o, "skipped_total", json_object_new_int64((int64_t)r->skipped_total));
	json_object_object_add(o, "last_skipped", json_object_new_int64(r->last_skipped));
	json_object_object_add(o, "bytes_read", json_object_new_int64((int64_t)r->bytes_read));
	json_object_object_add(o, "bytes_stored", json_object_new_int64((int64_t)r->bytes_stored));
	json_object_object_add(o, "chunks_new", json_object_new_int64((int64_t)r->chunks_new));
	json_object_object_add(o, "chunks_reused", json_object_new_int64((int64_t)r->chunks_reused));
	json_object_object_add(o, "snapshot", json_object_new_string(r->snapshot));
	if (r->quiesced >= 0)
		json_object_object_add(o, "quiesced", json_object_new_boolean(r->quiesced));
	json_object_object_add(o, "error", json_object_new_string(r->error));
	if (r->copy.repository[0] != '\0')
		json_object_object_add(o, "copy", state_copy_json(&r->copy));
	/* 0644: monitoring reads the records; they hold no secret. */
	ret = state_write_json(state_dir, STATE_RUNS, key, o, 0644);
	json_object_put(o);
	free(key);
	return ret;
}

static int
cmp_record(const void *a, const void *b)
{
	const struct run_record *x = a, *y = b;
	int c = strcmp(x->domain, y->domain);

	return c != 0 ? c : strcmp(x->job, y->job);
}

int
state_run_list(const char *state_dir, struct run_record **recs, size_t *n)
{
	struct strlist names = { 0 };
	struct run_record *v;
	size_t k = 0;

	*recs = NULL;
	*n = 0;
	if (state_list_names(state_dir, STATE_RUNS, &names) < 0)
		return -1;
	v = xcalloc(names.n + 1, sizeof(*v));
	for (size_t i = 0; i < names.n; i++) {
		char *p = state_file_path(state_dir, STATE_RUNS, names.v[i]);

		if (read_file(p, &v[k]) == 0 && v[k].domain[0] != '\0' && v[k].job[0] != '\0')
			k++;
		free(p);
	}
	/* A record of an earlier version and a new one of the same pair:
	 * the new one counts (the old goes at its next write). */
	qsort(v, k, sizeof(*v), cmp_record);
	for (size_t i = 1; i < k;) {
		if (cmp_record(&v[i - 1], &v[i]) == 0) {
			memmove(&v[i - 1], &v[i], (k - i) * sizeof(*v));
			k--;
		} else {
			i++;
		}
	}
	strlist_clear(&names);
	*recs = v;
	*n = k;
	return 0;
}

int
state_run_remove(const char *state_dir, const char *domain)
{
	struct strlist names = { 0 };
	size_t dlen = strlen(domain);
	int count = 0;

	if (state_list_names(state_dir, STATE_RUNS, &names) < 0)
		return -1;
	for (size_t i = 0; i < names.n; i++) {
		const char *nm = names.v[i];
		char *p;

		if (strncmp(nm, domain, dlen) != 0 || (nm[dlen] != '\0' && nm[dlen] != '@'))
			continue;
		p = state_file_path(state_dir, STATE_RUNS, nm);
		if (unlink(p) == 0) {
			count++;
		} else if (errno != ENOENT) {
			log_error("%s: cannot remove: %s", p, strerror(errno));
			count = -1;
		}
		free(p);
		if (count < 0)
			break;
	}
	strlist_clear(&names);
	/* Its history goes with its records: `report` no longer shows it. */
	if (count >= 0 && state_history_remove(state_dir, domain) < 0)
		count = -1;
	return count;
}

void
state_needs_repair(const char *state_dir, struct strlist *doms)
{
	struct strlist all = { 0 };

	journal_list(state_dir, &all);
	for (size_t i = 0; i < all.n; i++) {
		int pid = journal_pid(state_dir, all.v[i]);

		/* Its run is gone (a dead pid has no running marker), or the
		 * journal says nothing of it. */
		if (pid <= 0 || state_running_pid(state_dir, all.v[i]) != pid)
			strlist_add(doms, all.v[i]);
	}
	strlist_clear(&all);
}

int
state_running_set(const char *state_dir, const char *domain, int pid)
{
	char *p = state_file_path(state_dir, STATE_RUNNING, domain);
	char *text = xasprintf("%d\n", pid);
	int ret = state_ensure_dir(state_dir, STATE_RUNNING);

	if (ret == 0)
		ret = write_atomic(p, text);
	free(p);
	free(text);
	return ret;
}

void
state_running_clear(const char *state_dir, const char *domain)
{
	char *p = state_file_path(state_dir, STATE_RUNNING, domain);

	unlink(p);
	free(p);
}

int
state_running_pid(const char *state_dir, const char *domain)
{
	char *p = state_file_path(state_dir, STATE_RUNNING, domain);
	FILE *f = fopen(p, "r");
	int pid = 0;

	free(p);
	if (f == NULL)
		return 0;
	if (fscanf(f, "%d", &pid) != 1 || pid <= 0 || kill(pid, 0) < 0)
		pid = 0;
	fclose(f);
	return pid;
}

/* NAME's value for record R, in the order of the metrics table. */
static double
metric_value(size_t k, const struct run_record *r)
{
	switch (k) {
	case 0: return (double)r->last_success;
	case 1: return (double)(r->finished - r->started);
	case 2: return strcmp(r->result, "success") == 0 ? 1.0 : 0.0;
	case 3: return (double)r->bytes_read;
	case 4: return (double)r->bytes_stored;
	case 5: return (double)r->chunks_new;
	case 6: return (double)r->chunks_reused;
	case 7: return (double)r->failures_total;
	case 8: return (double)r->skipped_total;
	default: return strcmp(r->result, "interrupted") == 0 ? 1.0 : 0.0;
	}
}

/* The last boot check of each domain (state/bootrec.h), three gauges each. */
static void
boot_metrics(const char *state_dir, FILE *out)
{
	static const struct {
		const char *name;
		const char *help;
	} m[] = {
		{ "virtvault_boot_check_success", "1 when the last boot check of the domain's snapshot passed." },
		{ "virtvault_boot_check_seconds", "Duration of the last boot check." },
		{ "virtvault_boot_check_timestamp_seconds", "Time the last boot check ended." },
	};
	struct strlist doms = { 0 };
	struct boot_record *r = NULL;
	size_t n = 0;

	state_boot_list(state_dir, &doms);
	r = xcalloc(doms.n + 1, sizeof(*r));
	for (size_t i = 0; i < doms.n; i++)
		if (state_boot_read(state_dir, doms.v[i], &r[n]) == 0)
			n++;
	for (size_t k = 0; k < sizeof(m) / sizeof(m[0]); k++) {
		fprintf(out, "# HELP %s %s\n# TYPE %s gauge\n", m[k].name, m[k].help, m[k].name);
		for (size_t i = 0; i < n; i++) {
			long long v = k == 0 ? r[i].ok : k == 1 ?
			    (long long)(r[i].finished > r[i].started ? r[i].finished - r[i].started : 0) :
			    (long long)r[i].finished;

			fprintf(out, "%s{domain=\"%s\"} %lld\n", m[k].name, r[i].domain, v);
		}
	}
	free(r);
	strlist_clear(&doms);
}

int
state_write_metrics(const char *state_dir, const char *path)
{
	static const struct {
		const char *name;
		const char *type;
		const char *help;
	} m[] = {
		{ "virtvault_last_success_timestamp_seconds", "gauge", "Time of the last successful backup." },
		{ "virtvault_last_run_duration_seconds", "gauge", "Duration of the last run." },
		{ "virtvault_last_run_success", "gauge", "1 when the last run succeeded." },
		{ "virtvault_bytes_read", "gauge", "Bytes read by the last run." },
		{ "virtvault_bytes_stored", "gauge", "Bytes stored by the last run." },
		{ "virtvault_chunks_new", "gauge", "New chunks of the last run." },
		{ "virtvault_chunks_reused", "gauge", "Chunks the last run found stored already." },
		{ "virtvault_failures_total", "counter", "Failed or interrupted runs since the first." },
		{ "virtvault_skipped_total", "counter", "Runs refused because another run held the domain." },
		{ "virtvault_last_run_interrupted", "gauge", "1 when the last run was interrupted by a signal." },
	};
	struct strlist repair = { 0 }, running = { 0 };
	struct run_record *r = NULL;
	size_t n = 0;
	char *buf = NULL;
	size_t len = 0;
	FILE *out;
	int ret;

	if (state_run_list(state_dir, &r, &n) < 0)
		return -1;
	state_needs_repair(state_dir, &repair);
	state_list_names(state_dir, STATE_RUNNING, &running);
	out = open_memstream(&buf, &len);
	for (size_t k = 0; k < sizeof(m) / sizeof(m[0]); k++) {
		fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", m[k].name, m[k].help, m[k].name, m[k].type);
		for (size_t i = 0; i < n; i++)
			fprintf(out, "%s{domain=\"%s\",job=\"%s\"} %.17g\n", m[k].name, r[i].domain,
			    r[i].job, metric_value(k, &r[i]));
	}
	fprintf(out, "# HELP virtvault_run_in_progress 1 while a backup of the domain runs.\n"
	    "# TYPE virtvault_run_in_progress gauge\n");
	for (size_t i = 0; i < running.n; i++)
		if (state_running_pid(state_dir, running.v[i]) > 0)
			fprintf(out, "virtvault_run_in_progress{domain=\"%s\"} 1\n", running.v[i]);
	fprintf(out, "# HELP virtvault_needs_repair 1 when a killed run left the domain to repair (virtvault repair DOMAIN).\n"
	    "# TYPE virtvault_needs_repair gauge\n");
	for (size_t i = 0; i < repair.n; i++)
		fprintf(out, "virtvault_needs_repair{domain=\"%s\"} 1\n", repair.v[i]);
	state_copy_metrics(r, n, out);
	boot_metrics(state_dir, out);
	state_verify_metrics(state_dir, out);
	fclose(out);
	ret = write_atomic(path, buf);
	free(buf);
	free(r);
	strlist_clear(&repair);
	strlist_clear(&running);
	return ret;
}

char **
state_run_hook_vars(const struct run_record *r)
{
	char **v = xcalloc(6, sizeof(*v));

	v[0] = xasprintf("VIRTVAULT_JOB=%s", r->job);
	v[1] = xasprintf("VIRTVAULT_DOMAIN=%s", r->domain);
	v[2] = xasprintf("VIRTVAULT_RESULT=%s", r->result[0] ? r->result : r->ok ? "success" : "failure");
	v[3] = xasprintf("VIRTVAULT_SNAPSHOT=%s", r->snapshot);
	v[4] = xasprintf("VIRTVAULT_ERROR=%s", r->error);
	return v;
}
