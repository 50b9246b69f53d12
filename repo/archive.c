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
#include "repo/fetch.h"
#include "repo/layout.h"

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
	int err = archive_errno(x->a);

	/* libarchive says only "Write error": the system's reason too. */
	log_error("export to %s: %s: %s%s%s", x->label, what, archive_error_string(x->a),
	    err > 0 ? ": " : "", err > 0 ? strerror(err) : "");
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

		if (index_slot_is_zero(&ix, i)) {
			i++;
			continue;
		}
		while (j < ix.count && !index_slot_is_zero(&ix, j))
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
		if (!index_slot_is_zero(&ix, i)) {
			if (fetch_slot(r, w, &ix, i, buf, len, err, sizeof(err)) < 0) {
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
