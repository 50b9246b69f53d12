/*
 * The summary of a run, written and read here only (the format is in
 * summary.h).
 */
#include "jobrun/summary.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const result_names[] = {
	[SUMMARY_SUCCESS] = "success",
	[SUMMARY_FAILURE] = "failure",
	[SUMMARY_INTERRUPTED] = "interrupted",
	[SUMMARY_BUSY] = "busy",
};

const char *
summary_result_name(enum summary_result r)
{
	return (size_t)r < sizeof(result_names) / sizeof(result_names[0]) ? result_names[r] : "failure";
}

int
summary_result_parse(const char *s, enum summary_result *out)
{
	for (size_t i = 0; i < sizeof(result_names) / sizeof(result_names[0]); i++) {
		if (strcmp(s, result_names[i]) == 0) {
			*out = (enum summary_result)i;
			return 0;
		}
	}
	return -1;
}

struct summary_domain *
summary_add(struct summary *s, const char *domain, enum summary_result r, const char *error,
    const struct seq_result *seq)
{
	struct summary_domain *d;

	s->v = xrealloc(s->v, (s->n + 1) * sizeof(*s->v));
	d = &s->v[s->n++];
	memset(d, 0, sizeof(*d));
	d->seq.quiesced = -1;
	snprintf(d->domain, sizeof(d->domain), "%s", domain);
	d->result = r;
	if (r != SUMMARY_SUCCESS)
		snprintf(d->error, sizeof(d->error), "%s", error ? error : "");
	switch (r) {
	case SUMMARY_SUCCESS:
		if (seq != NULL)
			d->seq = *seq;
		s->ok++;
		s->total.bytes_read += d->seq.stats.bytes_read;
		s->total.chunks_total += d->seq.stats.chunks_total;
		s->total.chunks_new += d->seq.stats.chunks_new;
		s->total.chunks_reused += d->seq.stats.chunks_reused;
		s->total.chunks_zero += d->seq.stats.chunks_zero;
		s->total.chunks_patched += d->seq.stats.chunks_patched;
		s->total.bytes_stored += d->seq.stats.bytes_stored;
		s->total.seconds += d->seq.stats.seconds;
		break;
	case SUMMARY_BUSY:
		s->skipped++;
		break;
	default:
		s->failed++;
		break;
	}
	return d;
}

void
summary_clear(struct summary *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

json_object *
summary_stats_json(const struct backup_stats *st)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "bytes_read", json_object_new_int64((int64_t)st->bytes_read));
	json_object_object_add(o, "chunks_total", json_object_new_int64((int64_t)st->chunks_total));
	json_object_object_add(o, "chunks_new", json_object_new_int64((int64_t)st->chunks_new));
	json_object_object_add(o, "chunks_reused", json_object_new_int64((int64_t)st->chunks_reused));
	json_object_object_add(o, "chunks_zero", json_object_new_int64((int64_t)st->chunks_zero));
	json_object_object_add(o, "chunks_patched", json_object_new_int64((int64_t)st->chunks_patched));
	json_object_object_add(o, "bytes_stored", json_object_new_int64((int64_t)st->bytes_stored));
	json_object_object_add(o, "seconds", json_object_new_double(st->seconds));
	return o;
}

/* A domain's entry: the outcome, and for a success what it made. */
static json_object *
domain_json(const struct summary_domain *d)
{
	const struct seq_result *r = &d->seq;
	json_object *o, *files;

	if (d->result != SUMMARY_SUCCESS) {
		o = json_object_new_object();
		json_object_object_add(o, "domain", json_object_new_string(d->domain));
		json_object_object_add(o, "ok", json_object_new_boolean(false));
		json_object_object_add(o, "result", json_object_new_string(summary_result_name(d->result)));
		json_object_object_add(o, "error", json_object_new_string(d->error));
		return o;
	}
	o = summary_stats_json(&r->stats);
	json_object_object_add(o, "domain", json_object_new_string(d->domain));
	json_object_object_add(o, "ok", json_object_new_boolean(true));
	json_object_object_add(o, "result", json_object_new_string("success"));
	json_object_object_add(o, "snapshot", json_object_new_string(r->snapshot));
	if (r->quiesced >= 0)
		json_object_object_add(o, "quiesced", json_object_new_boolean(r->quiesced));
	json_object_object_add(o, "seconds_snapshot", json_object_new_double(r->seconds_snapshot));
	json_object_object_add(o, "seconds_copy", json_object_new_double(r->seconds_copy));
	json_object_object_add(o, "seconds_commit", json_object_new_double(r->seconds_commit));
	json_object_object_add(o, "seconds_verify", json_object_new_double(r->seconds_verify));
	json_object_object_add(o, "seconds_publish", json_object_new_double(r->seconds_publish));
	json_object_object_add(o, "seconds_on_overlay", json_object_new_double(r->seconds_on_overlay));
	files = json_object_new_array();
	for (size_t i = 0; i < r->nreads; i++) {
		json_object *f = json_object_new_object();

		json_object_object_add(f, "file", json_object_new_string(r->reads[i].file));
		json_object_object_add(f, "read_mode", json_object_new_string(r->reads[i].mode));
		json_object_object_add(f, "read_reason", json_object_new_string(r->reads[i].reason));
		json_object_object_add(f, "bytes_skipped",
		    json_object_new_int64((int64_t)r->reads[i].bytes_skipped));
		json_object_array_add(files, f);
	}
	json_object_object_add(o, "files", files);
	if (d->copy.repository[0] != '\0')
		json_object_object_add(o, "copy", state_copy_json(&d->copy));
	return o;
}

/* O as one line, a new string; O is put. */
static char *
format_put(json_object *o)
{
	char *s = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));

	json_object_put(o);
	return s;
}

char *
summary_format(const struct summary *s)
{
	json_object *o = json_object_new_object(), *arr = json_object_new_array(),
		    *t = summary_stats_json(&s->total);

	for (size_t i = 0; i < s->n; i++)
		json_object_array_add(arr, domain_json(&s->v[i]));
	json_object_object_add(t, "domains_ok", json_object_new_int((int)s->ok));
	json_object_object_add(t, "domains_failed", json_object_new_int((int)s->failed));
	json_object_object_add(t, "domains_skipped", json_object_new_int((int)s->skipped));
	json_object_object_add(o, "version", json_object_new_int(SUMMARY_VERSION));
	json_object_object_add(o, "domains", arr);
	json_object_object_add(o, "total", t);
	if (s->error[0] != '\0')
		json_object_object_add(o, "error", json_object_new_string(s->error));
	if (s->partial)
		json_object_object_add(o, "partial", json_object_new_boolean(1));
	return format_put(o);
}

char *
summary_format_selection(const struct strlist *sel, const struct strlist *unmatched,
    const char *error, bool for_daemon)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array(),
		    *u = json_object_new_array();

	for (size_t i = 0; i < sel->n; i++)
		json_object_array_add(a, json_object_new_string(sel->v[i]));
	for (size_t i = 0; i < unmatched->n; i++)
		json_object_array_add(u, json_object_new_string(unmatched->v[i]));
	if (for_daemon)
		json_object_object_add(o, "version", json_object_new_int(SUMMARY_VERSION));
	json_object_object_add(o, "domains", a);
	json_object_object_add(o, "unmatched", u);
	if (error != NULL)
		json_object_object_add(o, "error", json_object_new_string(error));
	return format_put(o);
}

/* The last non-empty line of TEXT as a JSON object, or NULL. */
static json_object *
last_line(const char *text)
{
	const char *end = text + strlen(text), *start;
	json_tokener *tok;
	json_object *o;

	while (end > text && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	start = end;
	while (start > text && start[-1] != '\n')
		start--;
	if (start == end)
		return NULL;
	tok = json_tokener_new();
	o = json_tokener_parse_ex(tok, start, (int)(end - start));
	/* One whole object, nothing after it. */
	if (o != NULL && (!json_object_is_type(o, json_type_object) ||
	    json_tokener_get_error(tok) != json_tokener_success ||
	    (size_t)json_tokener_get_parse_end(tok) != (size_t)(end - start))) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

/* Field K of O as a string into BUF, when it is one. */
static void
get_str(json_object *o, const char *k, char *buf, size_t len)
{
	json_object *v;

	if (json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string))
		snprintf(buf, len, "%s", json_object_get_string(v));
}

/* Field K of O as a count, 0 when it is none or negative. */
static uint64_t
get_u64(json_object *o, const char *k)
{
	json_object *v;
	int64_t n;

	if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_int))
		return 0;
	n = json_object_get_int64(v);
	return n > 0 ? (uint64_t)n : 0;
}

/* Field K of O as seconds (a number), 0 otherwise. */
static double
get_secs(json_object *o, const char *k)
{
	json_object *v;

	if (!json_object_object_get_ex(o, k, &v) ||
	    !(json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)))
		return 0;
	return json_object_get_double(v);
}

static void
get_stats(json_object *o, struct backup_stats *st)
{
	st->bytes_read = get_u64(o, "bytes_read");
	st->chunks_total = get_u64(o, "chunks_total");
	st->chunks_new = get_u64(o, "chunks_new");
	st->chunks_reused = get_u64(o, "chunks_reused");
	st->chunks_zero = get_u64(o, "chunks_zero");
	st->chunks_patched = get_u64(o, "chunks_patched");
	st->bytes_stored = get_u64(o, "bytes_stored");
	st->seconds = get_secs(o, "seconds");
}

/* A domain's entry into D. Returns 0, or -1 when it is not one. */
static int
parse_domain(json_object *o, struct summary_domain *d)
{
	struct seq_result *r = &d->seq;
	char result[16] = "";
	json_object *v, *files;

	memset(d, 0, sizeof(*d));
	r->quiesced = -1;
	if (!json_object_is_type(o, json_type_object))
		return -1;
	get_str(o, "domain", d->domain, sizeof(d->domain));
	get_str(o, "result", result, sizeof(result));
	if (d->domain[0] == '\0' || summary_result_parse(result, &d->result) < 0)
		return -1;
	if (d->result != SUMMARY_SUCCESS) {
		get_str(o, "error", d->error, sizeof(d->error));
		return 0;
	}
	get_str(o, "snapshot", r->snapshot, sizeof(r->snapshot));
	if (json_object_object_get_ex(o, "quiesced", &v) && json_object_is_type(v, json_type_boolean))
		r->quiesced = json_object_get_boolean(v) ? 1 : 0;
	get_stats(o, &r->stats);
	r->seconds_snapshot = get_secs(o, "seconds_snapshot");
	r->seconds_copy = get_secs(o, "seconds_copy");
	r->seconds_commit = get_secs(o, "seconds_commit");
	r->seconds_verify = get_secs(o, "seconds_verify");
	r->seconds_publish = get_secs(o, "seconds_publish");
	r->seconds_on_overlay = get_secs(o, "seconds_on_overlay");
	if (json_object_object_get_ex(o, "files", &files) &&
	    json_object_is_type(files, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(files) && r->nreads < SEQ_MAX_READS; i++) {
			json_object *f = json_object_array_get_idx(files, i);
			struct seq_read *rd = &r->reads[r->nreads];

			if (!json_object_is_type(f, json_type_object))
				continue;
			get_str(f, "file", rd->file, sizeof(rd->file));
			get_str(f, "read_mode", rd->mode, sizeof(rd->mode));
			get_str(f, "read_reason", rd->reason, sizeof(rd->reason));
			rd->bytes_skipped = get_u64(f, "bytes_skipped");
			r->nreads++;
		}
	}
	state_copy_parse(json_object_object_get_ex(o, "copy", &v) ? v : NULL, &d->copy);
	return 0;
}

/* "version" of O: 0 when absent (before it was written). */
static int
get_version(json_object *o)
{
	json_object *v;

	if (!json_object_object_get_ex(o, "version", &v) || !json_object_is_type(v, json_type_int))
		return 0;
	return json_object_get_int(v);
}

int
summary_parse(const char *text, struct summary *out)
{
	json_object *o = last_line(text), *doms, *t;
	struct summary_domain d;

	memset(out, 0, sizeof(*out));
	if (o == NULL || !json_object_object_get_ex(o, "domains", &doms) ||
	    !json_object_is_type(doms, json_type_array))
		goto bad;
	for (size_t i = 0; i < json_object_array_length(doms); i++) {
		if (parse_domain(json_object_array_get_idx(doms, i), &d) < 0)
			goto bad;
		summary_add(out, d.domain, d.result, d.error, &d.seq)->copy = d.copy;
	}
	/* The totals as written: the writer's word, not recounted. */
	if (json_object_object_get_ex(o, "total", &t) && json_object_is_type(t, json_type_object))
		get_stats(t, &out->total);
	get_str(o, "error", out->error, sizeof(out->error));
	out->partial = json_object_object_get_ex(o, "partial", &t) && json_object_get_boolean(t);
	out->version = get_version(o);
	json_object_put(o);
	return 0;
bad:
	json_object_put(o);
	summary_clear(out);
	return -1;
}

int
summary_parse_selection(const char *text, struct strlist *sel, struct strlist *unmatched,
    char *err, size_t errlen)
{
	json_object *o = last_line(text), *a, *e;
	int ret = -1;

	if (o == NULL)
		return -1;
	if (json_object_object_get_ex(o, "error", &e) && json_object_is_type(e, json_type_string)) {
		snprintf(err, errlen, "%s", json_object_get_string(e));
		ret = 1;
		goto out;
	}
	if (!json_object_object_get_ex(o, "domains", &a) || !json_object_is_type(a, json_type_array))
		goto out;
	for (size_t k = 0; k < json_object_array_length(a); k++) {
		json_object *n = json_object_array_get_idx(a, k);

		if (json_object_is_type(n, json_type_string))
			strlist_add(sel, json_object_get_string(n));
	}
	if (json_object_object_get_ex(o, "unmatched", &a) && json_object_is_type(a, json_type_array))
		for (size_t k = 0; k < json_object_array_length(a); k++) {
			json_object *n = json_object_array_get_idx(a, k);

			if (json_object_is_type(n, json_type_string))
				strlist_add(unmatched, json_object_get_string(n));
		}
	ret = 0;
out:
	json_object_put(o);
	return ret;
}
