#include "state/verifyrec.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fsutil.h"
#include "common/jsonx.h"
#include "state/layout.h"

/* S escaped for a file name (bytes outside [A-Za-z0-9_.-], and a leading '.', as %XX), a new string. */
static char *
escape(const char *s)
{
	char *out = xcalloc(alloc_mult(strlen(s), 3) + 1, 1), *o = out;

	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' ||
		    (*p == '.' && p != (const unsigned char *)s);

		if (plain) {
			*o++ = (char)*p;
		} else {
			snprintf(o, 4, "%%%02X", *p);
			o += 3;
		}
	}
	return out;
}

/* The file key of group (HOST, NAME), a new string. */
static char *
group_key(const char *host, const char *name)
{
	char *h = escape(host), *n = escape(name), *k = xasprintf("%s@%s", h, n);

	free(h);
	free(n);
	return k;
}

/* The strings of array K of O, at most MAX of WIDTH bytes each, into DST; their number. */
static size_t
copy_strs(char *dst, size_t width, size_t max, json_object *o, const char *k)
{
	json_object *a;
	size_t n = 0;

	if (!json_object_object_get_ex(o, k, &a) || !json_object_is_type(a, json_type_array))
		return 0;
	for (size_t i = 0; i < json_object_array_length(a) && n < max; i++) {
		json_object *v = json_object_array_get_idx(a, i);

		if (json_object_is_type(v, json_type_string))
			snprintf(dst + width * n++, width, "%s", json_object_get_string(v));
	}
	return n;
}

int
state_verify_read(const char *state_dir, const char *key, struct verify_record *r)
{
	char *p = state_file_path(state_dir, STATE_VERIFY, key), *k;
	json_object *o = json_object_from_file(p), *v;
	int ret = 1;

	free(p);
	memset(r, 0, sizeof(*r));
	if (o == NULL || !json_object_is_type(o, json_type_object) ||
	    jx_str(o, "host") == NULL || jx_str(o, "name") == NULL ||
	    !json_object_object_get_ex(o, "ok", &v) || !json_object_is_type(v, json_type_boolean))
		goto out;
	jx_strcpy(r->host, sizeof(r->host), o, "host");
	jx_strcpy(r->name, sizeof(r->name), o, "name");
	r->ok = json_object_get_boolean(v);
	r->deep = json_object_object_get_ex(o, "deep", &v) && json_object_get_boolean(v);
	r->sample = 1;
	if (json_object_object_get_ex(o, "sample", &v) &&
	    (json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)))
		r->sample = json_object_get_double(v);
	r->started = (time_t)jx_int(o, "started", 0);
	r->finished = (time_t)jx_int(o, "finished", 0);
	r->snapshots = (uint64_t)jx_int(o, "snapshots", 0);
	r->problems = (uint64_t)jx_int(o, "problems", 0);
	r->chunks_read = (uint64_t)jx_int(o, "chunks_read", 0);
	r->bytes_read = (uint64_t)jx_int(o, "bytes_read", 0);
	r->nids = copy_strs(r->ids[0], sizeof(r->ids[0]), VERIFYREC_MAX_IDS, o, "ids");
	r->nmessages = copy_strs(r->messages[0], sizeof(r->messages[0]), VERIFYREC_MAX_MSGS, o,
	    "messages");
	/* Another group's record under this name: none of this one. */
	k = group_key(r->host, r->name);
	ret = strcmp(k, key) == 0 ? 0 : 1;
	free(k);
out:
	json_object_put(o);
	if (ret != 0)
		memset(r, 0, sizeof(*r));
	return ret;
}

int
state_verify_get(const char *state_dir, const char *host, const char *name,
    struct verify_record *r)
{
	char *k = group_key(host, name);
	int ret = state_verify_read(state_dir, k, r);

	free(k);
	return ret;
}

int
state_verify_write(const char *state_dir, const struct verify_record *r)
{
	json_object *o = json_object_new_object(), *ids = json_object_new_array(),
	    *msgs = json_object_new_array();
	char *k = group_key(r->host, r->name);
	int ret;

	json_object_object_add(o, "host", json_object_new_string(r->host));
	json_object_object_add(o, "name", json_object_new_string(r->name));
	json_object_object_add(o, "started", json_object_new_int64(r->started));
	json_object_object_add(o, "finished", json_object_new_int64(r->finished));
	json_object_object_add(o, "deep", json_object_new_boolean(r->deep));
	json_object_object_add(o, "sample", json_object_new_double(r->sample));
	json_object_object_add(o, "snapshots", json_object_new_int64((int64_t)r->snapshots));
	for (size_t i = 0; i < r->nids && i < VERIFYREC_MAX_IDS; i++)
		json_object_array_add(ids, json_object_new_string(r->ids[i]));
	json_object_object_add(o, "ids", ids);
	json_object_object_add(o, "problems", json_object_new_int64((int64_t)r->problems));
	for (size_t i = 0; i < r->nmessages && i < VERIFYREC_MAX_MSGS; i++)
		json_object_array_add(msgs, json_object_new_string(r->messages[i]));
	json_object_object_add(o, "messages", msgs);
	json_object_object_add(o, "chunks_read", json_object_new_int64((int64_t)r->chunks_read));
	json_object_object_add(o, "bytes_read", json_object_new_int64((int64_t)r->bytes_read));
	json_object_object_add(o, "ok", json_object_new_boolean(r->ok));
	ret = state_write_json(state_dir, STATE_VERIFY, k, o, 0600);
	json_object_put(o);
	free(k);
	return ret;
}

int
state_verify_list(const char *state_dir, struct strlist *keys)
{
	return state_list_names(state_dir, STATE_VERIFY, keys);
}

/* S as a label value of the exposition format (\\, " and newline escaped), to OUT. */
static void
put_label(FILE *out, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', out);
		if (*s == '\n')
			fputs("\\n", out);
		else
			fputc(*s, out);
	}
}

void
state_verify_metrics(const char *state_dir, FILE *out)
{
	static const struct {
		const char *name;
		const char *help;
	} m[] = {
		{ "virtvault_verify_success", "1 when the last verify of the snapshot group found no problem." },
		{ "virtvault_verify_timestamp_seconds", "Time the last verify of the snapshot group ended." },
	};
	struct strlist keys = { 0 };
	struct verify_record *r;
	size_t n = 0;

	state_verify_list(state_dir, &keys);
	r = xcalloc(keys.n + 1, sizeof(*r));
	for (size_t i = 0; i < keys.n; i++)
		if (state_verify_read(state_dir, keys.v[i], &r[n]) == 0)
			n++;
	for (size_t k = 0; k < sizeof(m) / sizeof(m[0]); k++) {
		fprintf(out, "# HELP %s %s\n# TYPE %s gauge\n", m[k].name, m[k].help, m[k].name);
		for (size_t i = 0; i < n; i++) {
			fprintf(out, "%s{name=\"", m[k].name);
			put_label(out, r[i].name);
			fputs("\",host=\"", out);
			put_label(out, r[i].host);
			fprintf(out, "\"} %lld\n", k == 0 ? (long long)r[i].ok : (long long)r[i].finished);
		}
	}
	free(r);
	strlist_clear(&keys);
}
