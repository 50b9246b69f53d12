#include "state/history.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/jsonx.h"
#include "common/log.h"
#include "state/layout.h"

/* The most a history file may hold: far above HISTORY_MAX_LINES lines. */
#define HISTORY_MAX_BYTES (16u << 20)

static char *
history_path(const char *state_dir, const char *domain, const char *job)
{
	char *key = xasprintf("%s@%s", domain, job);
	char *p = state_file_path(state_dir, STATE_HISTORY, key);

	free(key);
	return p;
}

/* The whole of PATH, a new string into *TEXT. Returns 0, 1 when missing, -1 (logged). */
static int
slurp(const char *path, char **text)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t len;

	*text = NULL;
	if (f == NULL) {
		if (errno == ENOENT)
			return 1;
		log_error("run history %s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	buf = xcalloc(HISTORY_MAX_BYTES + 1, 1);
	len = fread(buf, 1, HISTORY_MAX_BYTES, f);
	if (ferror(f)) {
		log_error("run history %s: cannot read: %s", path, strerror(errno));
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	buf[len] = '\0';
	*text = buf;
	return 0;
}

/* LINE into *R. Returns 0, or -1 when it is no history line. */
static int
parse_line(const char *line, struct run_record *r)
{
	json_object *o = json_tokener_parse(line), *v;

	memset(r, 0, sizeof(*r));
	r->quiesced = -1;
	if (o == NULL || !json_object_is_type(o, json_type_object) ||
	    jx_str(o, "domain") == NULL || jx_str(o, "result") == NULL ||
	    jx_int(o, "started", -1) < 0) {
		json_object_put(o);
		return -1;
	}
	jx_strcpy(r->domain, sizeof(r->domain), o, "domain");
	jx_strcpy(r->job, sizeof(r->job), o, "job");
	jx_strcpy(r->result, sizeof(r->result), o, "result");
	jx_strcpy(r->error, sizeof(r->error), o, "error");
	jx_strcpy(r->snapshot, sizeof(r->snapshot), o, "snapshot");
	r->ok = strcmp(r->result, "success") == 0;
	r->started = (time_t)jx_int(o, "started", 0);
	r->finished = (time_t)jx_int(o, "finished", 0);
	r->bytes_read = (uint64_t)jx_int(o, "bytes_read", 0);
	r->bytes_stored = (uint64_t)jx_int(o, "bytes_stored", 0);
	r->chunks_new = (uint64_t)jx_int(o, "chunks_new", 0);
	r->chunks_reused = (uint64_t)jx_int(o, "chunks_reused", 0);
	if (json_object_object_get_ex(o, "seconds", &v))
		r->seconds = json_object_get_double(v);
	if (json_object_object_get_ex(o, "seconds_on_overlay", &v))
		r->seconds_on_overlay = json_object_get_double(v);
	state_copy_parse(json_object_object_get_ex(o, "copy", &v) ? v : NULL, &r->copy);
	if (json_object_object_get_ex(o, "read_modes", &v) && json_object_is_type(v, json_type_array)) {
		size_t len = 0;

		for (size_t i = 0; i < json_object_array_length(v); i++) {
			const char *m = json_object_get_string(json_object_array_get_idx(v, i));
			int w;

			if (m == NULL || len >= sizeof(r->read_modes))
				continue;
			w = snprintf(r->read_modes + len, sizeof(r->read_modes) - len, "%s%s",
			    len ? "," : "", m);
			len += w > 0 ? (size_t)w : 0;
		}
	}
	json_object_put(o);
	return 0;
}

/* R as one history line (no newline), a new string. */
static char *
format_line(const struct run_record *r)
{
	json_object *o = json_object_new_object(), *modes = json_object_new_array();
	char *copy = xstrdup(r->read_modes), *save = NULL, *out;
	double secs = r->seconds > 0 ? r->seconds : (double)(r->finished - r->started);

	for (char *m = strtok_r(copy, ",", &save); m != NULL; m = strtok_r(NULL, ",", &save))
		json_object_array_add(modes, json_object_new_string(m));
	free(copy);
	json_object_object_add(o, "domain", json_object_new_string(r->domain));
	json_object_object_add(o, "job", json_object_new_string(r->job));
	json_object_object_add(o, "started", json_object_new_int64(r->started));
	json_object_object_add(o, "finished", json_object_new_int64(r->finished));
	json_object_object_add(o, "result", json_object_new_string(r->result[0] ? r->result :
	    r->ok ? "success" : "failure"));
	json_object_object_add(o, "error", json_object_new_string(r->error));
	json_object_object_add(o, "snapshot", json_object_new_string(r->snapshot));
	json_object_object_add(o, "bytes_read", json_object_new_int64((int64_t)r->bytes_read));
	json_object_object_add(o, "bytes_stored", json_object_new_int64((int64_t)r->bytes_stored));
	json_object_object_add(o, "chunks_new", json_object_new_int64((int64_t)r->chunks_new));
	json_object_object_add(o, "chunks_reused", json_object_new_int64((int64_t)r->chunks_reused));
	json_object_object_add(o, "seconds", json_object_new_double(secs < 0 ? 0 : secs));
	json_object_object_add(o, "seconds_on_overlay", json_object_new_double(r->seconds_on_overlay));
	json_object_object_add(o, "read_modes", modes);
	/* The copy this run made (a record may carry an earlier one's). */
	if (r->copy.result[0] != '\0' && r->copy.started >= r->started)
		json_object_object_add(o, "copy", state_copy_json(&r->copy));
	out = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return out;
}

/*
 * The lines of TEXT worth keeping at NOW (readable, young enough), the
 * newest MAX of them, appended to KEEP in order.
 */
static void
keep_lines(char *text, time_t now, size_t max, struct strlist *keep)
{
	struct strlist ok = { 0 };
	time_t oldest = now - (time_t)HISTORY_MAX_DAYS * 86400;
	char *save = NULL;

	for (char *line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		struct run_record r;

		if (parse_line(line, &r) == 0 && r.started >= oldest)
			strlist_add(&ok, line);
	}
	for (size_t i = ok.n > max ? ok.n - max : 0; i < ok.n; i++)
		strlist_add(keep, ok.v[i]);
	strlist_clear(&ok);
}

int
state_history_append(const char *state_dir, const struct run_record *r, time_t now)
{
	char *p = history_path(state_dir, r->domain, r->job[0] ? r->job : STATE_MANUAL_JOB);
	char *dir = state_dir_path(state_dir, STATE_HISTORY);
	char *lockp = xasprintf("%s/.%s@%s.lock", dir, r->domain, r->job[0] ? r->job : STATE_MANUAL_JOB);
	struct strlist keep = { 0 };
	char *text = NULL, *line = NULL, *buf = NULL;
	size_t len = 0;
	int lk = -1, ret = -1;
	FILE *out;

	if (state_ensure_dir(state_dir, STATE_HISTORY) < 0)
		goto out;
	lk = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lk < 0 || flock(lk, LOCK_EX) < 0) {
		log_error("run history %s: cannot lock %s: %s", p, lockp, strerror(errno));
		goto out;
	}
	if (slurp(p, &text) < 0)
		goto out;
	if (text != NULL)
		keep_lines(text, now, HISTORY_MAX_LINES - 1, &keep);
	line = format_line(r);
	strlist_add(&keep, line);
	out = open_memstream(&buf, &len);
	for (size_t i = 0; i < keep.n; i++)
		fprintf(out, "%s\n", keep.v[i]);
	fclose(out);
	ret = fs_write_atomic(p, buf, len, 0644);
out:
	if (lk >= 0)
		close(lk);
	strlist_clear(&keep);
	free(text);
	free(line);
	free(buf);
	free(lockp);
	free(dir);
	free(p);
	return ret;
}

/* The history in file PATH, runs at SINCE or later, appended to *OUT. */
static int
read_file(const char *path, time_t since, struct run_record **out, size_t *n, size_t *damaged)
{
	char *text = NULL, *save = NULL;
	int rc = slurp(path, &text);

	if (rc != 0)
		return rc < 0 ? -1 : 0;
	for (char *line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		struct run_record r;

		if (parse_line(line, &r) < 0) {
			if (damaged != NULL)
				(*damaged)++;
			continue;
		}
		if (r.started < since)
			continue;
		*out = xrealloc(*out, (*n + 1) * sizeof(**out));
		(*out)[(*n)++] = r;
	}
	free(text);
	return 0;
}

/*
 * By start, then job; runs of one job started in the same second keep the
 * order they were read in (a job's file is oldest first): A and B point
 * into that array.
 */
static int
cmp_started(const void *a, const void *b)
{
	const struct run_record *x = *(const struct run_record *const *)a;
	const struct run_record *y = *(const struct run_record *const *)b;
	int c;

	if (x->started != y->started)
		return x->started < y->started ? -1 : 1;
	c = strcmp(x->job, y->job);
	return c ? c : (x > y) - (x < y);
}

/* RUNS (N) in time order, in place. */
static void
sort_runs(struct run_record *runs, size_t n)
{
	const struct run_record **v = xcalloc(n, sizeof(*v));
	struct run_record *sorted = xcalloc(n, sizeof(*sorted));

	for (size_t i = 0; i < n; i++)
		v[i] = &runs[i];
	qsort(v, n, sizeof(*v), cmp_started);
	for (size_t i = 0; i < n; i++)
		sorted[i] = *v[i];
	memcpy(runs, sorted, n * sizeof(*runs));
	free(sorted);
	free(v);
}

int
state_history_read(const char *state_dir, const char *domain, const char *job,
    time_t since, struct run_record **out, size_t *n, size_t *damaged)
{
	struct strlist names = { 0 };
	size_t dlen = strlen(domain);
	int ret = 0;

	*out = NULL;
	*n = 0;
	if (state_list_names(state_dir, STATE_HISTORY, &names) < 0)
		return -1;
	for (size_t i = 0; i < names.n && ret == 0; i++) {
		const char *nm = names.v[i];
		char *p;

		if (strncmp(nm, domain, dlen) != 0 || nm[dlen] != '@' ||
		    (job != NULL && strcmp(nm + dlen + 1, job) != 0))
			continue;
		p = state_file_path(state_dir, STATE_HISTORY, nm);
		ret = read_file(p, since, out, n, damaged);
		free(p);
	}
	strlist_clear(&names);
	if (*n > 1)
		sort_runs(*out, *n);
	return ret;
}

int
state_history_domains(const char *state_dir, struct strlist *names)
{
	struct strlist all = { 0 }, doms = { 0 };

	if (state_list_names(state_dir, STATE_HISTORY, &all) < 0)
		return -1;
	for (size_t i = 0; i < all.n; i++) {
		/* A domain name has no '@' (util_name_valid); the job follows the last. */
		char *at = strrchr(all.v[i], '@');

		if (at == NULL)
			continue;
		*at = '\0';
		if (doms.n == 0 || strcmp(doms.v[doms.n - 1], all.v[i]) != 0)
			strlist_add(&doms, all.v[i]);
	}
	for (size_t i = 0; i < doms.n; i++)
		strlist_add(names, doms.v[i]);
	strlist_clear(&all);
	strlist_clear(&doms);
	return 0;
}

int
state_history_remove(const char *state_dir, const char *domain)
{
	struct strlist names = { 0 };
	size_t dlen = strlen(domain);
	int ret = 0;

	if (state_list_names(state_dir, STATE_HISTORY, &names) < 0)
		return -1;
	for (size_t i = 0; i < names.n; i++) {
		char *p;

		if (strncmp(names.v[i], domain, dlen) != 0 || names.v[i][dlen] != '@')
			continue;
		p = state_file_path(state_dir, STATE_HISTORY, names.v[i]);
		if (unlink(p) < 0 && errno != ENOENT) {
			log_error("run history %s: cannot remove: %s", p, strerror(errno));
			ret = -1;
		}
		free(p);
	}
	strlist_clear(&names);
	return ret;
}
