#include "repo/manifest.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "common/jsonx.h"
#include "common/log.h"
#include "repo/layout.h"

static void
add_str(json_object *o, const char *k, const char *v)
{
	if (v != NULL)
		json_object_object_add(o, k, json_object_new_string(v));
}

static void
add_u64(json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_int64((int64_t)v));
}

char *
manifest_to_json(const struct manifest *m)
{
	json_object *o = json_object_new_object(), *src = json_object_new_object();
	json_object *files = json_object_new_array(), *st = json_object_new_object();
	char *text;

	add_u64(o, "version", m->format ? (uint64_t)m->format : MANIFEST_VERSION);
	add_str(o, "name", m->name);
	add_str(o, "id", m->id);
	add_str(o, "time", m->time);
	add_str(o, "host", m->host);
	add_str(o, "virtvault", m->version);
	add_u64(o, "chunk_size", m->chunk_size);
	add_str(src, "type", m->source_type);
	add_str(src, "domain_xml", m->domain_xml);
	add_str(src, "domain_xml_inactive", m->domain_xml_inactive);
	if (m->quiesced >= 0)
		json_object_object_add(src, "quiesced", json_object_new_boolean(m->quiesced));
	json_object_object_add(o, "source", src);
	for (size_t i = 0; i < m->nfiles; i++) {
		const struct manifest_file *f = &m->files[i];
		json_object *fo = json_object_new_object();

		add_str(fo, "name", f->name);
		add_str(fo, "path", f->path);
		add_str(fo, "disk", f->disk);
		if (f->kind != NULL)
			add_str(fo, "kind", f->kind);
		add_str(fo, "format", f->format);
		add_u64(fo, "size", f->size);
		if (f->sha256[0])
			add_str(fo, "sha256", f->sha256);
		if (f->digest[0])
			add_str(fo, "digest", f->digest);
		add_str(fo, "index", f->index);
		add_u64(fo, "chunks", f->chunks);
		add_u64(fo, "zero_chunks", f->zero_chunks);
		if (f->read_mode != NULL) {
			add_str(fo, "read_mode", f->read_mode);
			add_str(fo, "read_reason", f->read_reason);
			add_u64(fo, "bytes_skipped", f->bytes_skipped);
		}
		if (f->cbt_checkpoint != NULL) {
			json_object *cb = json_object_new_object();

			add_str(cb, "checkpoint", f->cbt_checkpoint);
			add_str(cb, "map_sha256", f->cbt_map);
			json_object_object_add(fo, "cbt", cb);
		}
		json_object_array_add(files, fo);
	}
	json_object_object_add(o, "files", files);
	add_u64(st, "bytes_read", m->stats.bytes_read);
	add_u64(st, "chunks_total", m->stats.chunks_total);
	add_u64(st, "chunks_new", m->stats.chunks_new);
	add_u64(st, "chunks_reused", m->stats.chunks_reused);
	add_u64(st, "chunks_zero", m->stats.chunks_zero);
	add_u64(st, "chunks_patched", m->stats.chunks_patched);
	add_u64(st, "bytes_stored", m->stats.bytes_stored);
	json_object_object_add(st, "seconds", json_object_new_double(m->stats.seconds));
	json_object_object_add(o, "stats", st);
	text = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return text;
}

static char *
dstr(json_object *o, const char *k)
{
	const char *s = jx_str(o, k);

	return s ? xstrdup(s) : NULL;
}

static int
gu64(json_object *o, const char *k, uint64_t *out)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, k, &v) ||
	    !json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0)
		return -1;
	*out = (uint64_t)json_object_get_int64(v);
	return 0;
}

static bool
is_hex(const char *s, size_t n)
{
	return s != NULL && strlen(s) == n && strspn(s, "0123456789abcdef") == n;
}

/* One component of a restore name: not empty, no '/', not "." or "..". */
static bool
safe_part(const char *s, size_t n)
{
	return n > 0 && n < 256 && memchr(s, '/', n) == NULL && !(n == 1 && s[0] == '.') &&
	    !(n == 2 && s[0] == '.' && s[1] == '.');
}

/* A name restore may create: FILE, or DISK/FILE when names clash. */
static bool
safe_name(const char *s)
{
	const char *slash;

	if (s == NULL)
		return false;
	slash = strchr(s, '/');
	if (slash == NULL)
		return safe_part(s, strlen(s));
	return safe_part(s, (size_t)(slash - s)) && safe_part(slash + 1, strlen(slash + 1));
}

bool
manifest_name_valid(const char *name)
{
	return safe_name(name);
}

struct manifest *
manifest_from_json(const char *text, const char *key, char *err, size_t errlen)
{
	json_tokener *tok = json_tokener_new_ex(16);
	json_object *o = json_tokener_parse_ex(tok, text, (int)strlen(text) + 1);
	json_object *src = NULL, *files = NULL, *st = NULL, *v;
	struct manifest *m = NULL;
	uint64_t version = 0, cs = 0;
	const char *id, *tm;
	time_t when;

	if (o == NULL || json_tokener_get_error(tok) != json_tokener_success ||
	    !json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "not valid JSON");
		goto fail;
	}
	if (gu64(o, "version", &version) < 0 || version < MANIFEST_OLDEST ||
	    version > MANIFEST_VERSION) {
		snprintf(err, errlen, "manifest version %llu: this virtvault reads versions %d to %d",
		    (unsigned long long)version, MANIFEST_OLDEST, MANIFEST_VERSION);
		goto fail;
	}
	id = jx_str(o, "id");
	tm = jx_str(o, "time");
	if (!is_hex(id, 16) || tm == NULL || strlen(tm) >= 32 || jx_str(o, "name") == NULL ||
	    gu64(o, "chunk_size", &cs) < 0 || cs == 0 || cs > (1U << 30)) {
		snprintf(err, errlen, "missing or invalid name, id, time or chunk_size");
		goto fail;
	}
	if (util_parse_time(tm, &when) < 0) {
		snprintf(err, errlen, "time '%s' is not a UTC time such as 2026-11-25T22:00:00Z (years 1970 to 9999)",
		    tm);
		goto fail;
	}
	m = xcalloc(1, sizeof(*m));
	m->when = when;
	m->format = (int)version;
	m->key = xstrdup(key);
	m->name = dstr(o, "name");
	snprintf(m->id, sizeof(m->id), "%s", id);
	snprintf(m->time, sizeof(m->time), "%s", tm);
	m->host = dstr(o, "host");
	m->version = dstr(o, "virtvault");
	m->chunk_size = (uint32_t)cs;
	json_object_object_get_ex(o, "source", &src);
	m->source_type = dstr(src, "type");
	m->domain_xml = dstr(src, "domain_xml");
	m->domain_xml_inactive = dstr(src, "domain_xml_inactive");
	m->quiesced = -1;
	if (src != NULL && json_object_object_get_ex(src, "quiesced", &v))
		m->quiesced = json_object_get_boolean(v);
	if (!json_object_object_get_ex(o, "files", &files) ||
	    !json_object_is_type(files, json_type_array)) {
		snprintf(err, errlen, "no file list");
		goto fail;
	}
	m->nfiles = json_object_array_length(files);
	m->files = xcalloc(m->nfiles, sizeof(*m->files));
	for (size_t i = 0; i < m->nfiles; i++) {
		json_object *fo = json_object_array_get_idx(files, i);
		struct manifest_file *f = &m->files[i];
		const char *sha = jx_str(fo, "sha256"), *dig = jx_str(fo, "digest");
		json_object *cb = NULL;

		f->name = dstr(fo, "name");
		f->path = dstr(fo, "path");
		f->disk = dstr(fo, "disk");
		f->kind = dstr(fo, "kind");
		if (f->kind != NULL && strcmp(f->kind, MANIFEST_KIND_NVRAM) != 0 &&
		    strcmp(f->kind, MANIFEST_KIND_TPM) != 0) {
			snprintf(err, errlen, "file %zu has an unknown kind", i + 1);
			goto fail;
		}
		f->format = dstr(fo, "format");
		f->index = dstr(fo, "index");
		if (!safe_name(f->name) || f->index == NULL ||
		    strncmp(f->index, LAYOUT_INDEXES, strlen(LAYOUT_INDEXES)) != 0 ||
		    (version < 3 ? !is_hex(sha, 64) : !is_hex(dig, 64)) ||
		    gu64(fo, "size", &f->size) < 0 || gu64(fo, "chunks", &f->chunks) < 0) {
			snprintf(err, errlen, "file %zu has a missing or invalid name, index, %s, size or chunks",
			    i + 1, version < 3 ? "sha256" : "digest");
			goto fail;
		}
		gu64(fo, "zero_chunks", &f->zero_chunks);
		if (is_hex(sha, 64))
			memcpy(f->sha256, sha, 65);
		if (is_hex(dig, 64))
			memcpy(f->digest, dig, 65);
		f->read_mode = dstr(fo, "read_mode");
		f->read_reason = dstr(fo, "read_reason");
		gu64(fo, "bytes_skipped", &f->bytes_skipped);
		if (json_object_object_get_ex(fo, "cbt", &cb) && is_hex(jx_str(cb, "map_sha256"), 64) &&
		    jx_str(cb, "checkpoint") != NULL) {
			f->cbt_checkpoint = dstr(cb, "checkpoint");
			memcpy(f->cbt_map, jx_str(cb, "map_sha256"), 65);
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(m->files[j].name, f->name) == 0) {
				snprintf(err, errlen, "two files named '%s'", f->name);
				goto fail;
			}
	}
	if (json_object_object_get_ex(o, "stats", &st)) {
		gu64(st, "bytes_read", &m->stats.bytes_read);
		gu64(st, "chunks_total", &m->stats.chunks_total);
		gu64(st, "chunks_new", &m->stats.chunks_new);
		gu64(st, "chunks_reused", &m->stats.chunks_reused);
		gu64(st, "chunks_zero", &m->stats.chunks_zero);
		gu64(st, "chunks_patched", &m->stats.chunks_patched);
		gu64(st, "bytes_stored", &m->stats.bytes_stored);
		if (json_object_object_get_ex(st, "seconds", &v))
			m->stats.seconds = json_object_get_double(v);
	}
	json_object_put(o);
	json_tokener_free(tok);
	return m;
fail:
	manifest_free(m);
	json_object_put(o);
	json_tokener_free(tok);
	return NULL;
}

void
manifest_free(struct manifest *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->nfiles; i++) {
		free(m->files[i].name);
		free(m->files[i].path);
		free(m->files[i].disk);
		free(m->files[i].format);
		free(m->files[i].index);
		free(m->files[i].read_mode);
		free(m->files[i].read_reason);
		free(m->files[i].kind);
		free(m->files[i].cbt_checkpoint);
	}
	free(m->files);
	free(m->key);
	free(m->name);
	free(m->host);
	free(m->version);
	free(m->source_type);
	free(m->domain_xml);
	free(m->domain_xml_inactive);
	free(m);
}

const char *
manifest_host(const struct manifest *m)
{
	return m->host ? m->host : "";
}

const struct manifest_file *
manifest_file_of_kind(const struct manifest *m, const char *kind)
{
	for (size_t i = 0; i < m->nfiles; i++)
		if (m->files[i].kind != NULL && strcmp(m->files[i].kind, kind) == 0)
			return &m->files[i];
	return NULL;
}

int
manifest_group_cmp(const struct manifest *a, const struct manifest *b)
{
	int c = strcmp(manifest_host(a), manifest_host(b));

	return c ? c : strcmp(a->name, b->name);
}

bool
manifest_same_group(const struct manifest *a, const struct manifest *b)
{
	return manifest_group_cmp(a, b) == 0;
}

int
manifest_load(struct repo *r, const char *key, struct manifest **out)
{
	uint8_t *text = NULL;
	size_t len = 0;
	char err[160];
	int rc = repo_get_object(r, CODEC_KIND_MANIFEST, key, &text, &len, REPO_MAX_META);

	if (rc != 0)
		return rc;
	*out = manifest_from_json((const char *)text, key, err, sizeof(err));
	free(text);
	if (*out == NULL) {
		log_error("repository %s: manifest %s is invalid: %s", repo_url(r), key, err);
		return -1;
	}
	return 0;
}

int
manifest_time_check(time_t t, time_t now, char *err, size_t errlen)
{
	char a[UTIL_UTC_LEN], b[UTIL_UTC_LEN];

	if (!util_time_in_range(t)) {
		snprintf(err, errlen, "a snapshot's time is from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z");
		return -1;
	}
	if (util_time_future(t, now)) {
		snprintf(err, errlen, "%s is in the future: %llds ahead of this host's clock (%s; at most %ds of clock skew is allowed)",
		    util_format_utc(t, a, sizeof(a)), (long long)(t - now), util_format_utc(now, b, sizeof(b)),
		    UTIL_CLOCK_SKEW);
		return -1;
	}
	return 0;
}

int
manifest_time_parse(const char *text, time_t now, time_t *t, char *err, size_t errlen)
{
	if (text == NULL || util_parse_time(text, t) < 0) {
		snprintf(err, errlen, "'%s' is not a UTC time such as 2026-11-25T22:00:00Z (a real date, years 1970 to 9999)",
		    text ? text : "");
		return -1;
	}
	return manifest_time_check(*t, now, err, errlen);
}

void
manifest_list_free(struct manifest **l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		manifest_free(l[i]);
	free(l);
}

void
manifest_print(const struct manifest *m, FILE *out)
{
	char a[32], b[32];
	/* Text from the repository (an import's archive) is shown escaped. */
	char *name = util_escape(m->name), *host = util_escape(m->host);
	char *src = util_escape(m->source_type), *ver = util_escape(m->version);

	fprintf(out, "snapshot   %s\nname       %s\ntime       %s\nhost       %s\n",
	    m->id, name, m->time, host);
	fprintf(out, "source     %s", src);
	if (m->quiesced >= 0)
		fprintf(out, " (%s)", m->quiesced ? "quiesced" : "crash-consistent");
	fprintf(out, "\nvirtvault  %s\nchunk size %s\n", ver,
	    util_format_size(m->chunk_size, a, sizeof(a)));
	fprintf(out, "read       %s in %.1fs; %llu chunks: %llu new, %llu reused, %llu zero; stored %s",
	    util_format_size(m->stats.bytes_read, a, sizeof(a)), m->stats.seconds,
	    (unsigned long long)m->stats.chunks_total, (unsigned long long)m->stats.chunks_new,
	    (unsigned long long)m->stats.chunks_reused, (unsigned long long)m->stats.chunks_zero,
	    util_format_size(m->stats.bytes_stored, b, sizeof(b)));
	if (m->stats.chunks_patched > 0)
		fprintf(out, "; %llu changed chunks stored as patches",
		    (unsigned long long)m->stats.chunks_patched);
	fprintf(out, "\n");
	fprintf(out, "files:\n");
	for (size_t i = 0; i < m->nfiles; i++) {
		const struct manifest_file *f = &m->files[i];
		char *fname = util_escape(f->name), *fmt = util_escape(f->format);
		char *path = util_escape(f->path), *disk = util_escape(f->disk);
		char *why = util_escape(f->read_reason);

		fprintf(out, "  %-24s %-6s %10s  %s %s\n", fname, fmt,
		    util_format_size(f->size, a, sizeof(a)),
		    f->sha256[0] ? "sha256" : "digest", f->sha256[0] ? f->sha256 : f->digest);
		fprintf(out, "  %-24s from %s%s%s%s\n", "", path,
		    f->disk ? ", disk " : "", f->disk ? disk : "",
		    f->kind == NULL ? "" : strcmp(f->kind, MANIFEST_KIND_NVRAM) == 0 ?
		    ", UEFI variables (NVRAM)" : ", TPM state");
		if (f->read_mode != NULL)
			fprintf(out, "  %-24s read %s (%s)%s%s\n", "", f->read_mode, why,
			    f->bytes_skipped ? ", skipped " : "",
			    f->bytes_skipped ? util_format_size(f->bytes_skipped, a, sizeof(a)) : "");
		free(fname);
		free(fmt);
		free(path);
		free(disk);
		free(why);
	}
	free(name);
	free(host);
	free(src);
	free(ver);
}
