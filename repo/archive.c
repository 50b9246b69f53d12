#include "repo/archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "common/log.h"
#include "common/util.h"
#include "repo/backup.h"
#include "repo/fetch.h"
#include "repo/layout.h"

/* The largest domain XML or MANIFEST.json an import keeps in memory. */
#define SMALL_MAX (16 * 1024 * 1024)

/* The piece of zeros an export writes a hole with (skipped by the writer). */
#define ZEROS (1024 * 1024)

/* ---- export ---- */

struct exporter {
	struct archive *a;
	const char *label;
	const char *top;	/* "NAME-ID" */
	time_t mtime;
	uint8_t *zeros;		/* ZEROS bytes */
};

static int
ar_fail(struct exporter *x, const char *what)
{
	log_error("export to %s: %s: %s", x->label, what, archive_error_string(x->a));
	return -1;
}

/* A header of TYPE (AE_IFREG, AE_IFDIR) for TOP/NAME, SIZE bytes. */
static struct archive_entry *
entry_new(struct exporter *x, const char *name, unsigned type, uint64_t size)
{
	struct archive_entry *e = archive_entry_new();
	char *path = *name ? xasprintf("%s/%s", x->top, name) : xstrdup(x->top);

	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, type == AE_IFDIR ? 0700 : 0600);
	archive_entry_set_size(e, type == AE_IFDIR ? 0 : (la_int64_t)size);
	archive_entry_set_mtime(e, x->mtime, 0);
	free(path);
	return e;
}

static int
write_all(struct exporter *x, const void *data, size_t len, const char *what)
{
	const char *p = data;

	while (len > 0) {
		la_ssize_t w = archive_write_data(x->a, p, len);

		if (w <= 0)
			return ar_fail(x, what);
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* A small regular file TOP/NAME holding TEXT. */
static int
export_text(struct exporter *x, const char *name, const char *text)
{
	struct archive_entry *e = entry_new(x, name, AE_IFREG, strlen(text));
	int ret = archive_write_header(x->a, e) == ARCHIVE_OK ? write_all(x, text, strlen(text), name) :
	    ar_fail(x, name);

	archive_entry_free(e);
	return ret;
}

/*
 * File F of M as a sparse entry: its data regions are its non-zero chunks.
 * Its SHA-256 (of every byte, holes as zeros) into SHA.
 */
static int
export_file(struct exporter *x, struct repo *r, const struct manifest *m,
    const struct manifest_file *f, const struct archive_export_opts *o, char sha[65])
{
	struct index ix = { 0 };
	struct archive_entry *e = NULL;
	struct codec_work *w = NULL;
	struct crypto_sha *h = NULL;
	uint8_t *buf = NULL, digest[CRYPTO_HASH_LEN];
	char err[256];
	int ret = -1;

	if (fetch_index(r, m, f, &ix) < 0)
		return -1;
	e = entry_new(x, f->name, AE_IFREG, f->size);
	for (uint64_t i = 0; i < ix.count;) {
		uint64_t j = i;

		if (repo_id_is_zero(ix.ids[i])) {
			i++;
			continue;
		}
		while (j < ix.count && !repo_id_is_zero(ix.ids[j]))
			j++;
		archive_entry_sparse_add_entry(e, (la_int64_t)(i * ix.chunk_size),
		    (la_int64_t)((j - i - 1) * ix.chunk_size + index_chunk_len(f->size, ix.chunk_size, j - 1)));
		i = j;
	}
	if (archive_write_header(x->a, e) != ARCHIVE_OK) {
		ar_fail(x, f->name);
		goto out;
	}
	w = codec_work_new(ix.chunk_size);
	buf = xmalloc(ix.chunk_size);
	h = crypto_sha_new();
	for (uint64_t i = 0; i < ix.count; i++) {
		size_t len = index_chunk_len(f->size, ix.chunk_size, i);
		const uint8_t *data = x->zeros;

		if (o->cancel != NULL && *o->cancel) {
			log_error("export of %s: stopped by a signal in file %s", m->id, f->name);
			goto out;
		}
		if (!repo_id_is_zero(ix.ids[i])) {
			if (fetch_chunk(r, w, ix.ids[i], buf, len, err, sizeof(err)) < 0) {
				log_error("export of snapshot %s, file %s, offset %llu: %s", m->id, f->name,
				    (unsigned long long)(i * ix.chunk_size), err);
				goto out;
			}
			data = buf;
		} else if (len > ZEROS) {
			/* A hole of a chunk size above 1M: zeros piece by piece (never written). */
			for (size_t done = 0; done < len; done += ZEROS) {
				size_t n = len - done < ZEROS ? len - done : ZEROS;

				crypto_sha_update(h, x->zeros, n);
				if (write_all(x, x->zeros, n, f->name) < 0)
					goto out;
			}
			progress_add(o->progress, len);
			continue;
		}
		crypto_sha_update(h, data, len);
		if (write_all(x, data, len, f->name) < 0)
			goto out;
		progress_add(o->progress, len);
	}
	crypto_sha_final(h, digest);
	h = NULL;
	crypto_hex(digest, CRYPTO_HASH_LEN, sha);
	ret = 0;
out:
	if (h != NULL)
		crypto_sha_final(h, digest);
	free(buf);
	codec_work_free(w);
	archive_entry_free(e);
	index_clear(&ix);
	return ret;
}

/* Folder entries for each "DIR/" of M's file names, once each. */
static int
export_folders(struct exporter *x, const struct manifest *m)
{
	struct strlist done = { 0 };
	int ret = 0;

	for (size_t i = 0; ret == 0 && i < m->nfiles; i++) {
		const char *slash = strchr(m->files[i].name, '/');
		char *dir;

		if (slash == NULL)
			continue;
		dir = xstrndup(m->files[i].name, (size_t)(slash - m->files[i].name));
		if (!strlist_contains(&done, dir)) {
			struct archive_entry *e = entry_new(x, dir, AE_IFDIR, 0);

			if (archive_write_header(x->a, e) != ARCHIVE_OK)
				ret = ar_fail(x, dir);
			archive_entry_free(e);
			strlist_add(&done, dir);
		}
		free(dir);
	}
	strlist_clear(&done);
	return ret;
}

static json_object *
export_manifest_json(const struct manifest *m, char (*sha)[65])
{
	json_object *o = json_object_new_object(), *s = json_object_new_object();
	json_object *files = json_object_new_array();

	json_object_object_add(o, "format", json_object_new_string(ARCHIVE_FORMAT));
	json_object_object_add(o, "version", json_object_new_int(1));
	json_object_object_add(s, "id", json_object_new_string(m->id));
	json_object_object_add(s, "name", json_object_new_string(m->name));
	json_object_object_add(s, "host", json_object_new_string(manifest_host(m)));
	json_object_object_add(s, "time", json_object_new_string(m->time));
	json_object_object_add(s, "source_type", json_object_new_string(m->source_type ? m->source_type : "images"));
	if (m->quiesced >= 0)
		json_object_object_add(s, "quiesced", json_object_new_boolean(m->quiesced));
	if (m->domain_xml != NULL)
		json_object_object_add(s, "domain_xml", json_object_new_string("domain.xml"));
	if (m->domain_xml_inactive != NULL)
		json_object_object_add(s, "domain_xml_inactive", json_object_new_string("domain-inactive.xml"));
	json_object_object_add(o, "snapshot", s);
	for (size_t i = 0; i < m->nfiles; i++) {
		const struct manifest_file *f = &m->files[i];
		json_object *fo = json_object_new_object();

		json_object_object_add(fo, "name", json_object_new_string(f->name));
		json_object_object_add(fo, "size", json_object_new_int64((int64_t)f->size));
		json_object_object_add(fo, "sha256", json_object_new_string(sha[i]));
		json_object_object_add(fo, "format", json_object_new_string(f->format ? f->format : "raw"));
		if (f->disk != NULL)
			json_object_object_add(fo, "disk", json_object_new_string(f->disk));
		if (f->kind != NULL)
			json_object_object_add(fo, "kind", json_object_new_string(f->kind));
		if (f->path != NULL)
			json_object_object_add(fo, "path", json_object_new_string(f->path));
		json_object_array_add(files, fo);
	}
	json_object_object_add(o, "files", files);
	return o;
}

int
archive_export(struct repo *r, const struct manifest *m, int fd, const char *label,
    const struct archive_export_opts *o)
{
	struct exporter x = { 0 };
	char (*sha)[65] = xcalloc(m->nfiles + 1, sizeof(*sha));
	char *top = xasprintf("%s-%s", m->name, m->id);
	struct archive_entry *e;
	json_object *mj = NULL;
	int ret = -1;

	x.a = archive_write_new();
	x.zeros = xcalloc(1, ZEROS);
	x.label = label;
	x.top = top;
	util_parse_utc(m->time, &x.mtime);
	if (archive_write_set_format_pax(x.a) != ARCHIVE_OK ||
	    (o->zstd && archive_write_add_filter_zstd(x.a) != ARCHIVE_OK) ||
	    archive_write_set_bytes_in_last_block(x.a, 1) != ARCHIVE_OK ||
	    archive_write_open_fd(x.a, fd) != ARCHIVE_OK) {
		ar_fail(&x, "cannot start the archive");
		goto out;
	}
	e = entry_new(&x, "", AE_IFDIR, 0);
	if (archive_write_header(x.a, e) != ARCHIVE_OK) {
		archive_entry_free(e);
		ar_fail(&x, top);
		goto out;
	}
	archive_entry_free(e);
	if (export_folders(&x, m) < 0)
		goto out;
	for (size_t i = 0; i < m->nfiles; i++)
		if (export_file(&x, r, m, &m->files[i], o, sha[i]) < 0)
			goto out;
	if ((m->domain_xml && export_text(&x, "domain.xml", m->domain_xml) < 0) ||
	    (m->domain_xml_inactive && export_text(&x, "domain-inactive.xml", m->domain_xml_inactive) < 0))
		goto out;
	/* Last: it holds the SHA-256 of every file, known once each was read. */
	mj = export_manifest_json(m, sha);
	if (export_text(&x, ARCHIVE_MANIFEST, json_object_to_json_string_ext(mj, JSON_C_TO_STRING_PRETTY)) < 0)
		goto out;
	if (archive_write_close(x.a) != ARCHIVE_OK) {
		ar_fail(&x, "cannot finish the archive");
		goto out;
	}
	ret = 0;
out:
	json_object_put(mj);
	archive_write_free(x.a);
	free(x.zeros);
	free(top);
	free(sha);
	return ret;
}

/* ---- import ---- */

/* One entry being read into the repository: the source of backup_add_source. */
struct entry_reader {
	struct archive *a;
	const char *label;
	const char *name;
	const uint8_t *block;	/* the current data block, and what is left of it */
	size_t blen;
	la_int64_t boff;	/* its offset in the file */
	bool eof;
	uint64_t pos;		/* bytes handed out so far */
	struct crypto_sha *sha;
	uint8_t head[4];	/* the first bytes: qcow2 or raw */
	const volatile sig_atomic_t *cancel;
};

/* Fill LEN bytes at OFF (== pos) from the entry's blocks; holes between blocks are zeros. */
static int
entry_read(void *ctx, uint8_t *buf, size_t len, uint64_t off, bool *zero)
{
	struct entry_reader *er = ctx;
	size_t done = 0;
	bool any = false;

	(void)off;
	if (er->cancel != NULL && *er->cancel) {
		log_error("import of %s: stopped by a signal in %s", er->label, er->name);
		return -1;
	}
	while (done < len) {
		uint64_t at = er->pos + done;

		if (er->blen == 0 && !er->eof) {
			const void *b;
			size_t n;
			la_int64_t o;
			int rc = archive_read_data_block(er->a, &b, &n, &o);

			if (rc == ARCHIVE_EOF) {
				er->eof = true;
			} else if (rc < ARCHIVE_WARN) {
				log_error("import of %s: entry %s is cut short or corrupt at byte %llu: %s",
				    er->label, er->name, (unsigned long long)at, archive_error_string(er->a));
				return -1;
			} else {
				er->block = b;
				er->blen = n;
				er->boff = o;
			}
			continue;
		}
		if (er->blen > 0 && (uint64_t)er->boff <= at) {
			/* Inside the current block. */
			size_t skip = (size_t)(at - (uint64_t)er->boff);
			size_t n = er->blen - skip < len - done ? er->blen - skip : len - done;

			memcpy(buf + done, er->block + skip, n);
			any = true;
			done += n;
			if (skip + n == er->blen)
				er->blen = 0;
			else {
				er->block += skip + n;
				er->blen -= skip + n;
				er->boff += (la_int64_t)(skip + n);
			}
		} else {
			/* A hole up to the next block (or the end). */
			uint64_t upto = er->blen > 0 ? (uint64_t)er->boff : at + (len - done);
			size_t n = upto - at < len - done ? (size_t)(upto - at) : len - done;

			memset(buf + done, 0, n);
			done += n;
		}
	}
	if (er->pos == 0 && len >= 4)
		memcpy(er->head, buf, 4);
	er->pos += len;
	crypto_sha_update(er->sha, buf, len);
	*zero = !any;
	return 0;
}

/* What an import gathers: the archive's own manifest and domain XML, each file's SHA-256. */
struct gathered {
	char *manifest_json;
	char *xml, *xml_inactive;
	struct strlist names;	/* the files stored, in order */
	struct strlist shas;
	char *top;		/* the common first folder, or NULL */
};

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
		size_t k;

		for (k = 0; k < m->nfiles; k++)
			if (strcmp(m->files[k].name, name) == 0)
				f = &m->files[k];
		for (k = 0; k < g->names.n && strcmp(g->names.v[k], name) != 0; k++)
			;
		if (f == NULL || k == g->names.n) {
			log_error("import of %s: %s names %s, which the archive does not hold", label,
			    ARCHIVE_MANIFEST, name);
			goto out;
		}
		if (!json_object_object_get_ex(fo, "size", &v) || (uint64_t)json_object_get_int64(v) != f->size ||
		    strcmp(sha, g->shas.v[k]) != 0) {
			log_error("import of %s: file %s does not match %s (size or SHA-256): nothing imported",
			    label, name, ARCHIVE_MANIFEST);
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

int
archive_import(struct repo *r, int fd, const char *label, const struct archive_import_opts *o,
    char id[17])
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	struct gathered g = { 0 };
	struct backup *b = NULL;
	int rc, ret = -1;

	archive_read_support_format_all(a);
	archive_read_support_filter_all(a);
	if (archive_read_open_fd(a, fd, 1 << 20) != ARCHIVE_OK) {
		log_error("import of %s: not an archive: %s", label, archive_error_string(a));
		goto out;
	}
	b = backup_new(r, o->name ? o->name : "import");
	if (b == NULL)
		goto out;
	backup_set_cancel(b, o->cancel);
	while ((rc = archive_read_next_header(a, &e)) == ARCHIVE_OK || rc == ARCHIVE_WARN) {
		const char *path = archive_entry_pathname(e), *name;

		if (path == NULL || archive_entry_filetype(e) == AE_IFDIR)
			continue;
		name = entry_name(&g, path);
		if (archive_entry_filetype(e) != AE_IFREG) {
			log_warn("import of %s: %s is not a regular file: skipped", label, path);
			continue;
		}
		if (strcmp(name, ARCHIVE_MANIFEST) == 0 || strcmp(name, "domain.xml") == 0 ||
		    strcmp(name, "domain-inactive.xml") == 0) {
			char **slot = strcmp(name, ARCHIVE_MANIFEST) == 0 ? &g.manifest_json :
			    strcmp(name, "domain.xml") == 0 ? &g.xml : &g.xml_inactive;

			free(*slot);
			if ((*slot = read_small(a, label, path, archive_entry_size(e))) == NULL)
				goto out;
			continue;
		}
		if (!manifest_name_valid(name) || strlist_contains(&g.names, name)) {
			log_error("import of %s: entry %s cannot name a file of a snapshot (a name or FOLDER/NAME, each once)",
			    label, path);
			goto out;
		}
		{
			struct entry_reader er = { .a = a, .label = label, .name = path, .cancel = o->cancel };
			struct backup_source src = { entry_read, &er, (uint64_t)archive_entry_size(e), path, "raw" };
			struct progress *p = progress_new(name, src.size, stderr, -1, o->quiet);
			uint8_t digest[CRYPTO_HASH_LEN];
			char hex[65];
			struct manifest *m;

			er.sha = crypto_sha_new();
			rc = backup_add_source(b, &src, name, NULL, p);
			crypto_sha_final(er.sha, digest);
			if (rc == 0)
				progress_finish(p);
			progress_free(p);
			if (rc < 0)
				goto out;
			m = backup_manifest(b);
			if (!er.eof && archive_read_data_skip(a) != ARCHIVE_OK) {
				log_error("import of %s: entry %s is cut short: %s", label, path,
				    archive_error_string(a));
				goto out;
			}
			if (memcmp(er.head, "QFI\xfb", 4) == 0) {
				free(m->files[m->nfiles - 1].format);
				m->files[m->nfiles - 1].format = xstrdup("qcow2");
			}
			crypto_hex(digest, CRYPTO_HASH_LEN, hex);
			strlist_add(&g.names, name);
			strlist_add(&g.shas, hex);
		}
	}
	if (rc != ARCHIVE_EOF) {
		log_error("import of %s: the archive is cut short or corrupt: %s", label, archive_error_string(a));
		goto out;
	}
	if (g.names.n == 0) {
		log_error("import of %s: the archive holds no file to import", label);
		goto out;
	}
	if (g.manifest_json != NULL) {
		if (apply_manifest(b, &g, label, o) < 0)
			goto out;
	} else if (o->name == NULL) {
		log_error("import of %s: a plain tar of images (no %s): give the snapshot a --name", label,
		    ARCHIVE_MANIFEST);
		goto out;
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
	archive_read_free(a);
	free(g.manifest_json);
	free(g.xml);
	free(g.xml_inactive);
	free(g.top);
	strlist_clear(&g.names);
	strlist_clear(&g.shas);
	return ret;
}
