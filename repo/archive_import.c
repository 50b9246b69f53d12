/*
 * The import: a tar archive read into the repository as one new snapshot
 * (archive.h). What the archive says is checked before it is believed;
 * reading its entries is archive_in.c's.
 */
#include "repo/archive.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "common/log.h"
#include "common/util.h"
#include "repo/archive_int.h"
#include "repo/backup.h"
#include "repo/layout.h"
#include "repo/manifest.h"

/* The largest domain XML or MANIFEST.json an import keeps in memory. */
#define SMALL_MAX (16 * 1024 * 1024)

/* A file stored: its SHA-256 so far and the hole bytes not hashed yet. */
struct gfile {
	struct crypto_sha *sha;
	uint64_t zeros;
	bool listed;		/* named by the archive's MANIFEST.json */
};

/* What an import gathers: the archive's own manifest and domain XML, each file's SHA-256. */
struct gathered {
	char *manifest_json;
	char *xml, *xml_inactive;
	struct strlist names;	/* the files stored, in order */
	struct gfile *files;	/* one for each name */
	char *top;		/* the common first folder, or NULL */
};

/* The SHA-256 of stored file K in hex (its holes hashed only now). */
static void
gathered_sha(struct gathered *g, size_t k, char hex[65])
{
	uint8_t digest[CRYPTO_HASH_LEN];

	archive_in_zeros(g->files[k].sha, &g->files[k].zeros);
	crypto_sha_final(g->files[k].sha, digest);
	g->files[k].sha = crypto_sha_new();	/* final frees it */
	crypto_hex(digest, CRYPTO_HASH_LEN, hex);
}

static char *
read_small(struct archive *a, const char *label, const char *name, la_int64_t size)
{
	char *text;
	la_ssize_t n;

	if (size < 0 || size > SMALL_MAX) {
		log_error("import of %s: %s is larger than %d MiB", label, name, SMALL_MAX >> 20);
		return NULL;
	}
	text = xmalloc((size_t)size + 1);
	n = archive_read_data(a, text, (size_t)size);
	if (n != size) {
		log_error("import of %s: %s is cut short: %s", label, name,
		    n < 0 ? archive_error_string(a) : "fewer bytes than its header says");
		free(text);
		return NULL;
	}
	text[size] = '\0';
	return text;
}

/* The entry's name within the snapshot: the path below the archive's top folder. */
static const char *
entry_name(struct gathered *g, const char *path)
{
	while (strncmp(path, "./", 2) == 0)
		path += 2;
	if (g->top == NULL) {
		const char *slash = strchr(path, '/');

		/* The first entry with a folder sets the top one (an export's NAME-ID). */
		if (slash != NULL && strchr(slash + 1, '/') != NULL)
			g->top = xstrndup(path, (size_t)(slash - path));
		else if (slash != NULL && (strcmp(slash + 1, ARCHIVE_MANIFEST) == 0 || slash[1] == '\0' ||
		    g->names.n == 0))
			g->top = xstrndup(path, (size_t)(slash - path));
	}
	if (g->top != NULL && strncmp(path, g->top, strlen(g->top)) == 0 && path[strlen(g->top)] == '/')
		path += strlen(g->top) + 1;
	return path;
}

/* Whether text KEY of object O holds a control character. */
static bool
manifest_text_bad(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && util_has_control(json_object_get_string(v));
}

/* Apply the archive's MANIFEST.json to the snapshot B: check, name, roles, XML. */
static int
apply_manifest(struct backup *b, struct gathered *g, const char *label,
    const struct archive_import_opts *o)
{
	struct manifest *m = backup_manifest(b);
	json_object *j = json_tokener_parse(g->manifest_json), *s, *files, *v;
	int ret = -1;

	if (j == NULL || !json_object_object_get_ex(j, "format", &v) ||
	    strcmp(json_object_get_string(v), ARCHIVE_FORMAT) != 0 ||
	    !json_object_object_get_ex(j, "snapshot", &s) ||
	    !json_object_object_get_ex(j, "files", &files) ||
	    !json_object_is_type(files, json_type_array)) {
		log_error("import of %s: its %s is not a virtvault export's", label, ARCHIVE_MANIFEST);
		goto out;
	}
	if (json_object_array_length(files) != g->names.n) {
		log_error("import of %s: %s lists %zu files, the archive holds %zu", label, ARCHIVE_MANIFEST,
		    json_object_array_length(files), g->names.n);
		goto out;
	}
	for (size_t i = 0; i < json_object_array_length(files); i++) {
		json_object *fo = json_object_array_get_idx(files, i);
		const char *name = json_object_object_get_ex(fo, "name", &v) ? json_object_get_string(v) : "";
		const char *sha = json_object_object_get_ex(fo, "sha256", &v) ? json_object_get_string(v) : "";
		struct manifest_file *f = NULL;
		char hex[65];
		size_t k;

		for (k = 0; k < m->nfiles; k++)
			if (strcmp(m->files[k].name, name) == 0)
				f = &m->files[k];
		for (k = 0; k < g->names.n && strcmp(g->names.v[k], name) != 0; k++)
			;
		if (f == NULL || k == g->names.n) {
			char *shown = util_escape(name);

			log_error("import of %s: %s names %s, which the archive does not hold", label,
			    ARCHIVE_MANIFEST, shown);
			free(shown);
			goto out;
		}
		/* Each file named once: a name twice would leave another unchecked. */
		if (g->files[k].listed) {
			log_error("import of %s: %s names %s twice: nothing imported", label, ARCHIVE_MANIFEST, name);
			goto out;
		}
		g->files[k].listed = true;
		if (!json_object_object_get_ex(fo, "size", &v) || (uint64_t)json_object_get_int64(v) != f->size) {
			log_error("import of %s: file %s does not match %s (size): nothing imported", label, name,
			    ARCHIVE_MANIFEST);
			goto out;
		}
		gathered_sha(g, k, hex);
		if (strcmp(sha, hex) != 0) {
			log_error("import of %s: file %s does not match %s (size or SHA-256): nothing imported",
			    label, name, ARCHIVE_MANIFEST);
			goto out;
		}
		if (manifest_text_bad(fo, "disk") || manifest_text_bad(fo, "path")) {
			log_error("import of %s: %s: file %s has a control character in its disk or path: nothing imported",
			    label, ARCHIVE_MANIFEST, name);
			goto out;
		}
		if (json_object_object_get_ex(fo, "disk", &v)) {
			free(f->disk);
			f->disk = xstrdup(json_object_get_string(v));
		}
		if (json_object_object_get_ex(fo, "kind", &v)) {
			const char *kind = json_object_get_string(v);

			if (strcmp(kind, MANIFEST_KIND_NVRAM) == 0 || strcmp(kind, MANIFEST_KIND_TPM) == 0)
				backup_set_kind(b, name, kind);
		}
		if (json_object_object_get_ex(fo, "path", &v)) {
			free(f->path);
			f->path = xstrdup(json_object_get_string(v));
		}
	}
	for (size_t k = 0; k < g->names.n; k++) {
		if (!g->files[k].listed) {
			log_error("import of %s: %s does not name %s: nothing imported", label, ARCHIVE_MANIFEST,
			    g->names.v[k]);
			goto out;
		}
	}
	if (g->xml != NULL) {
		int q = json_object_object_get_ex(s, "quiesced", &v) ? json_object_get_boolean(v) : -1;

		backup_set_domain(b, g->xml, g->xml_inactive, q);
		g->xml = g->xml_inactive = NULL;
	}
	if (o->name == NULL && json_object_object_get_ex(s, "name", &v)) {
		free(m->name);
		m->name = xstrdup(json_object_get_string(v));
	}
	if (o->host == NULL && json_object_object_get_ex(s, "host", &v) && *json_object_get_string(v)) {
		free(m->host);
		m->host = xstrdup(json_object_get_string(v));
	}
	if (!o->time_given && json_object_object_get_ex(s, "time", &v)) {
		time_t t;
		char err[200];

		if (manifest_time_parse(json_object_get_string(v), time(NULL), &t, err, sizeof(err)) < 0) {
			log_error("import of %s: the time in %s: %s; nothing imported (--time sets another)",
			    label, ARCHIVE_MANIFEST, err);
			goto out;
		}
		backup_set_time(b, t);
	}
	ret = 0;
out:
	json_object_put(j);
	return ret;
}

/* Whether TOP is an export's folder: NAME-ID, ID 16 hex digits. */
static bool
export_folder(const char *top)
{
	size_t n = strlen(top);

	if (n < 18 || top[n - 17] != '-')
		return false;
	for (size_t i = n - 16; i < n; i++)
		if (!strchr("0123456789abcdef", top[i]))
			return false;
	return true;
}

/* What entry E is, when not a regular file of its own. */
static const char *
entry_kind(struct archive_entry *e)
{
	if (archive_entry_hardlink(e) != NULL)
		return "a hard link";
	switch (archive_entry_filetype(e)) {
	case AE_IFLNK: return "a symbolic link";
	case AE_IFREG: return NULL;
	default: return "a special file";
	}
}

/* Store entry E (PATH, escaped SHOWN) as file NAME of B; its SHA-256 into G. */
static int
import_file(struct archive *a, struct archive_entry *e, struct backup *b, struct gathered *g,
    const char *label, const char *shown, const char *name, const struct archive_import_opts *o)
{
	struct entry_reader er = { .a = a, .label = label, .name = shown, .cancel = o->cancel };
	struct backup_source src = { archive_in_read, &er, 0, NULL, "raw" };
	struct progress *p;
	struct manifest *m;
	int rc;

	if (archive_in_check(e, label, shown, &er.data_want) < 0)
		return -1;
	er.size = src.size = (uint64_t)archive_entry_size(e);
	src.path = archive_entry_pathname(e);
	p = progress_new(name, src.size, stderr, -1, o->quiet);
	er.sha = crypto_sha_new();
	rc = backup_add_source(b, &src, name, NULL, p);
	if (rc == 0)
		rc = archive_in_finish(&er);
	if (rc == 0)
		progress_finish(p);
	progress_free(p);
	if (rc < 0) {
		uint8_t digest[CRYPTO_HASH_LEN];

		crypto_sha_final(er.sha, digest);
		return -1;
	}
	m = backup_manifest(b);
	if (memcmp(er.head, "QFI\xfb", 4) == 0) {
		free(m->files[m->nfiles - 1].format);
		m->files[m->nfiles - 1].format = xstrdup("qcow2");
	}
	g->files = xrealloc(g->files, (g->names.n + 1) * sizeof(*g->files));
	g->files[g->names.n] = (struct gfile){ er.sha, er.zeros, false };
	strlist_add(&g->names, name);
	return 0;
}

/* Read every entry of A into B and G. Returns 0 or -1 (logged). */
static int
import_entries(struct archive_in *in, struct archive *a, struct backup *b, struct gathered *g,
    const char *label, const struct archive_import_opts *o)
{
	struct archive_entry *e;
	char *last = NULL;
	size_t n = 0;
	int rc, ret = -1;

	while ((rc = archive_read_next_header(a, &e)) == ARCHIVE_OK || rc == ARCHIVE_WARN) {
		const char *path = archive_entry_pathname(e), *name;

		n++;
		free(last);
		last = util_escape(path);
		if (path == NULL || util_has_control(path)) {
			log_error("import of %s: entry %s at byte %lld: no name, or a control character in it: nothing imported",
			    label, last, (long long)archive_read_header_position(a));
			goto out;
		}
		if (archive_entry_filetype(e) == AE_IFDIR && archive_entry_hardlink(e) == NULL)
			continue;
		name = entry_name(g, path);
		if (entry_kind(e) != NULL) {
			log_error("import of %s: entry %s is %s, not a file of its own: nothing imported (tar the images as regular files)",
			    label, path, entry_kind(e));
			goto out;
		}
		if (strcmp(name, ARCHIVE_MANIFEST) == 0 || strcmp(name, "domain.xml") == 0 ||
		    strcmp(name, "domain-inactive.xml") == 0) {
			char **slot = strcmp(name, ARCHIVE_MANIFEST) == 0 ? &g->manifest_json :
			    strcmp(name, "domain.xml") == 0 ? &g->xml : &g->xml_inactive;

			free(*slot);
			if ((*slot = read_small(a, label, path, archive_entry_size(e))) == NULL)
				goto out;
			continue;
		}
		if (!manifest_name_valid(name) || strlist_contains(&g->names, name)) {
			log_error("import of %s: entry %s cannot name a file of a snapshot (a name or FOLDER/NAME, each once)",
			    label, path);
			goto out;
		}
		if (import_file(a, e, b, g, label, last, name, o) < 0)
			goto out;
	}
	if (rc != ARCHIVE_EOF) {
		if (n == 0)
			archive_in_unknown(in, a, label);
		else
			log_error("import of %s: the archive is cut short or corrupt after entry %s: %s", label,
			    last, archive_error_string(a));
		goto out;
	}
	/* No end-of-archive marker (two zero blocks): the archive was cut at
	 * an entry's end, and what follows (an image, MANIFEST.json) is lost. */
	if (archive_filter_bytes(a, 0) < archive_read_header_position(a) + 512) {
		log_error("import of %s: the archive is cut short: no end-of-archive marker at byte %lld, after entry %s: nothing imported",
		    label, (long long)archive_read_header_position(a), last ? last : "(none)");
		goto out;
	}
	ret = 0;
out:
	free(last);
	return ret;
}

int
archive_import(struct repo *r, int fd, const char *label, const struct archive_import_opts *o,
    char id[17])
{
	struct archive_in *in = NULL;
	struct archive *a = NULL;
	struct gathered g = { 0 };
	struct backup *b = NULL;
	int ret = -1;

	if (archive_in_open(fd, label, &in, &a) < 0)
		goto out;
	b = backup_new(r, o->name ? o->name : "import");
	if (b == NULL)
		goto out;
	backup_set_cancel(b, o->cancel);
	if (import_entries(in, a, b, &g, label, o) < 0)
		goto out;
	if (g.names.n == 0) {
		log_error("import of %s: the archive holds no file to import", label);
		goto out;
	}
	if (g.manifest_json != NULL) {
		if (apply_manifest(b, &g, label, o) < 0)
			goto out;
	} else if (g.top != NULL && (g.xml != NULL || g.xml_inactive != NULL || export_folder(g.top))) {
		log_error("import of %s: entries under %s/ (an export's folder or domain.xml) but no %s: a damaged export, not a plain tar; nothing imported",
		    label, g.top, ARCHIVE_MANIFEST);
		goto out;
	} else if (o->name == NULL) {
		log_error("import of %s: a plain tar of images (no %s): give the snapshot a --name", label,
		    ARCHIVE_MANIFEST);
		goto out;
	} else if (g.xml != NULL || g.xml_inactive != NULL) {
		log_warn("import of %s: its domain XML is not imported: a plain tar's is not checked by a %s (the images are)",
		    label, ARCHIVE_MANIFEST);
	}
	if (o->host != NULL) {
		struct manifest *m = backup_manifest(b);

		free(m->host);
		m->host = xstrdup(o->host);
	}
	if (o->time_given)
		backup_set_time(b, o->time);
	if (!layout_name_valid(backup_manifest(b)->name) || !layout_name_valid(backup_manifest(b)->host)) {
		log_error("import of %s: the snapshot's name or host is not valid (" LAYOUT_NAME_RULE ")", label);
		goto out;
	}
	if (backup_commit(b) < 0)
		goto out;
	snprintf(id, 17, "%s", backup_manifest(b)->id);
	ret = 0;
out:
	backup_free(b);
	archive_in_close(in, a);
	free(g.manifest_json);
	free(g.xml);
	free(g.xml_inactive);
	free(g.top);
	for (size_t k = 0; k < g.names.n; k++) {
		uint8_t digest[CRYPTO_HASH_LEN];

		crypto_sha_final(g.files[k].sha, digest);
	}
	free(g.files);
	strlist_clear(&g.names);
	return ret;
}
