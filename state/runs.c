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
#include "state/layout.h"

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

static void
copy_str(char *dst, size_t n, json_object *o, const char *k)
{
	const char *v = jx_str(o, k);

	if (v != NULL)
		snprintf(dst, n, "%s", v);
}

int
state_run_read(const char *state_dir, const char *domain, struct run_record *r)
{
	char *p = state_file_path(state_dir, STATE_RUNS, domain);
	json_object *o = json_object_from_file(p), *v;

	free(p);
	memset(r, 0, sizeof(*r));
	r->quiesced = -1;
	if (o == NULL)
		return 1;
	copy_str(r->job, sizeof(r->job), o, "job");
	copy_str(r->domain, sizeof(r->domain), o, "domain");
	copy_str(r->snapshot, sizeof(r->snapshot), o, "snapshot");
	copy_str(r->error, sizeof(r->error), o, "error");
	r->ok = json_object_object_get_ex(o, "ok", &v) && json_object_get_boolean(v);
	r->started = (time_t)jx_int(o, "started", 0);
	r->finished = (time_t)jx_int(o, "finished", 0);
	r->last_success = (time_t)jx_int(o, "last_success", 0);
	r->failures_total = (uint64_t)jx_int(o, "failures_total", 0);
	r->bytes_read = (uint64_t)jx_int(o, "bytes_read", 0);
	r->bytes_stored = (uint64_t)jx_int(o, "bytes_stored", 0);
	r->chunks_new = (uint64_t)jx_int(o, "chunks_new", 0);
	r->chunks_reused = (uint64_t)jx_int(o, "chunks_reused", 0);
	if (json_object_object_get_ex(o, "quiesced", &v))
		r->quiesced = json_object_get_boolean(v);
	json_object_put(o);
	return 0;
}

int
state_run_record(const char *state_dir, struct run_record *r)
{
	struct run_record prev;

	memset(&prev, 0, sizeof(prev));
	state_run_read(state_dir, r->domain, &prev);
	r->last_success = r->ok ? r->finished : prev.last_success;
	r->failures_total = prev.failures_total + (r->ok ? 0 : 1);
	return state_run_write(state_dir, r);
}

int
state_run_write(const char *state_dir, const struct run_record *r)
{
	json_object *o = json_object_new_object();
	char *p = state_file_path(state_dir, STATE_RUNS, r->domain);
	int ret;

	json_object_object_add(o, "job", json_object_new_string(r->job));
	json_object_object_add(o, "domain", json_object_new_string(r->domain));
	json_object_object_add(o, "ok", json_object_new_boolean(r->ok));
	json_object_object_add(o, "started", json_object_new_int64(r->started));
	json_object_object_add(o, "finished", json_object_new_int64(r->finished));
	json_object_object_add(o, "last_success", json_object_new_int64(r->last_success));
	json_object_object_add(o, "failures_total", json_object_new_int64((int64_t)r->failures_total));
	json_object_object_add(o, "bytes_read", json_object_new_int64((int64_t)r->bytes_read));
	json_object_object_add(o, "bytes_stored", json_object_new_int64((int64_t)r->bytes_stored));
	json_object_object_add(o, "chunks_new", json_object_new_int64((int64_t)r->chunks_new));
	json_object_object_add(o, "chunks_reused", json_object_new_int64((int64_t)r->chunks_reused));
	json_object_object_add(o, "snapshot", json_object_new_string(r->snapshot));
	if (r->quiesced >= 0)
		json_object_object_add(o, "quiesced", json_object_new_boolean(r->quiesced));
	json_object_object_add(o, "error", json_object_new_string(r->error));
	state_ensure_dir(state_dir, STATE_RUNS);
	ret = write_atomic(p, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
	json_object_put(o);
	free(p);
	return ret;
}

void
state_run_list(const char *state_dir, struct strlist *names)
{
	state_list_names(state_dir, STATE_RUNS, names);
}

void
state_running_set(const char *state_dir, const char *domain, int pid)
{
	char *p = state_file_path(state_dir, STATE_RUNNING, domain);
	char *text = xasprintf("%d\n", pid);

	state_ensure_dir(state_dir, STATE_RUNNING);
	write_atomic(p, text);
	free(p);
	free(text);
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

int
state_write_metrics(const char *state_dir, const char *path)
{
	static const struct {
		const char *name;
		const char *help;
	} m[] = {
		{ "virtvault_last_success_timestamp_seconds", "Time of the last successful backup." },
		{ "virtvault_last_run_duration_seconds", "Duration of the last run." },
		{ "virtvault_last_run_success", "1 when the last run succeeded." },
		{ "virtvault_bytes_read", "Bytes read by the last run." },
		{ "virtvault_bytes_stored", "Bytes stored by the last run." },
		{ "virtvault_chunks_new", "New chunks of the last run." },
		{ "virtvault_chunks_reused", "Chunks the last run found stored already." },
		{ "virtvault_failures_total", "Failed runs since the first." },
	};
	struct strlist names = { 0 };
	struct run_record *r;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	int ret;

	state_run_list(state_dir, &names);
	r = xcalloc(names.n + 1, sizeof(*r));
	for (size_t i = 0; i < names.n; i++)
		state_run_read(state_dir, names.v[i], &r[i]);
	for (size_t k = 0; k < sizeof(m) / sizeof(m[0]); k++) {
		fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", m[k].name, m[k].help, m[k].name,
		    k == 7 ? "counter" : "gauge");
		for (size_t i = 0; i < names.n; i++) {
			double v[] = { (double)r[i].last_success,
				(double)(r[i].finished - r[i].started), r[i].ok ? 1.0 : 0.0,
				(double)r[i].bytes_read, (double)r[i].bytes_stored,
				(double)r[i].chunks_new, (double)r[i].chunks_reused,
				(double)r[i].failures_total };

			fprintf(out, "%s{domain=\"%s\",job=\"%s\"} %.17g\n", m[k].name, r[i].domain,
			    r[i].job, v[k]);
		}
	}
	fclose(out);
	ret = write_atomic(path, buf);
	free(buf);
	free(r);
	strlist_clear(&names);
	return ret;
}

char **
state_run_hook_vars(const struct run_record *r)
{
	char **v = xcalloc(6, sizeof(*v));

	v[0] = xasprintf("VIRTVAULT_JOB=%s", r->job);
	v[1] = xasprintf("VIRTVAULT_DOMAIN=%s", r->domain);
	v[2] = xasprintf("VIRTVAULT_RESULT=%s", r->ok ? "success" : "failure");
	v[3] = xasprintf("VIRTVAULT_SNAPSHOT=%s", r->snapshot);
	v[4] = xasprintf("VIRTVAULT_ERROR=%s", r->error);
	return v;
}
