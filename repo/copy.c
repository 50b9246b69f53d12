/*
 * A snapshot copied into another repository (copy.h): each file read slot
 * by slot through the source's index and stored by the destination's
 * backup pipeline under its own key and IDs.
 */
#include "repo/copy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fault.h"
#include "common/log.h"
#include "repo/backup.h"
#include "repo/fetch.h"
#include "repo/layout.h"

/* The destination's copy of the previous snapshot of the group: what it
 * tells of unchanged slots (copy_plan). */
struct copy_prev {
	const struct manifest *src;	/* in the source, or NULL */
	struct manifest *dst;		/* its copy in the destination, or NULL */
};

/* One file of the source being read: the backup_source's context. */
struct copy_reader {
	struct repo *src;
	const struct manifest *m;
	const struct manifest_file *f;
	struct index ix;
	struct codec_work *w;
};

int
copy_check(struct repo *src, struct repo *dst)
{
	if (repo_chunk_size(src) == repo_chunk_size(dst))
		return 0;
	log_error("copy from %s to %s: chunks of %u bytes there, of %u here: a copy does not re-chunk (make the destination with chunk_size = %u)",
	    repo_url(src), repo_url(dst), repo_chunk_size(src), repo_chunk_size(dst),
	    repo_chunk_size(src));
	return -1;
}

/* The host M goes under in DST: its own, or DST's for a version-1 key without one. */
static const char *
copy_host(struct repo *dst, const struct manifest *m)
{
	return manifest_host(m)[0] != '\0' ? manifest_host(m) : repo_host(dst);
}

/* The key M's copy has in DST, a new string. */
static char *
copy_key(struct repo *dst, const struct manifest *m)
{
	char time[32];

	/* As backup_set_time writes it, so as the copy's key will be. */
	util_format_utc(m->when, time, sizeof(time));
	return layout_snapshot_key(repo_version(dst), copy_host(dst, m), m->name, time, m->id);
}

int
copy_present(struct repo *dst, const struct manifest *m)
{
	char *key = copy_key(dst, m);
	int rc = store_exists(repo_store(dst), key);

	free(key);
	return rc;
}

/* backup_source read: chunk slot OFF / chunk size, patches applied; a zero slot is a hole. */
static int
copy_read(void *ctx, uint8_t *buf, size_t len, uint64_t off, bool *zero)
{
	struct copy_reader *cr = ctx;
	uint64_t slot = off / cr->ix.chunk_size;
	char err[256];

	if (index_slot_is_zero(&cr->ix, slot)) {
		*zero = true;
		return 0;
	}
	if (fetch_slot(cr->src, cr->w, &cr->ix, slot, buf, len, err, sizeof(err)) < 0) {
		log_error("copy of snapshot %s from %s: file %s at offset %llu: %s", cr->m->id,
		    repo_url(cr->src), cr->f->name, (unsigned long long)off, err);
		return -1;
	}
	return 0;
}

/* The file of M named NAME, or NULL. */
static const struct manifest_file *
file_named(const struct manifest *m, const char *name)
{
	for (size_t i = 0; m != NULL && i < m->nfiles; i++)
		if (strcmp(m->files[i].name, name) == 0)
			return &m->files[i];
	return NULL;
}

/*
 * The plan of file F (index IX) from the previous snapshot P: slot I is
 * unchanged when the source's previous index has the same base and
 * patches there; its destination ID is then slot I of the copy's index,
 * into REF. Returns whether there is a plan (*SKIP a new array).
 */
static bool
copy_plan(struct repo *src, struct repo *dst, const struct copy_prev *p,
    const struct manifest_file *f, const struct index *ix, struct index *ref, uint8_t **skip)
{
	const struct manifest_file *pf = p->dst ? file_named(p->src, f->name) : NULL;
	const struct manifest_file *df = p->dst ? file_named(p->dst, f->name) : NULL;
	struct index pix = { 0 };
	bool ok = false;

	if (pf == NULL || df == NULL || fetch_index(src, p->src, pf, &pix) < 0)
		return false;
	if (fetch_index(dst, p->dst, df, ref) == 0 && ref->count == pix.count &&
	    ref->file_size == pix.file_size && ref->chunk_size == ix->chunk_size) {
		*skip = xcalloc(ix->count + 1, 1);
		for (uint64_t i = 0; i < ix->count && i < pix.count; i++)
			(*skip)[i] = index_slot_equal(ix, i, &pix, i);
		ok = true;
	}
	index_clear(&pix);
	if (!ok)
		index_clear(ref);
	return ok;
}

/* File F of M into B: its index read, its slots streamed (those unchanged
 * since P's copy taken from it unread). Returns 0 or -1 (logged). */
static int
copy_file(struct repo *src, struct repo *dst, const struct manifest *m,
    const struct manifest_file *f, const struct copy_prev *p, struct backup *b)
{
	struct copy_reader cr = { src, m, f, { 0 }, NULL };
	struct backup_source bs = { copy_read, &cr, f->size, f->path ? f->path : f->name,
	    f->format ? f->format : "raw" };
	struct index ref = { 0 };
	struct backup_reuse u = { 0 };
	uint8_t *skip = NULL;
	int ret = -1;

	if (fetch_index(src, m, f, &cr.ix) < 0)
		return -1;
	if (copy_plan(src, dst, p, f, &cr.ix, &ref, &skip))
		u = (struct backup_reuse){ &ref, skip, cr.ix.count, false, "copy", NULL, 0, 0 };
	cr.w = codec_work_new(repo_chunk_size(src));
	ret = backup_add_source_reuse(b, &bs, f->name, f->disk, skip ? &u : NULL, NULL);
	codec_work_free(cr.w);
	index_clear(&cr.ix);
	index_clear(&ref);
	free(skip);
	return ret;
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/* What the copy keeps of file F besides its bytes (the pipeline records the rest). */
static void
copy_file_details(struct manifest_file *to, const struct manifest_file *f)
{
	free(to->kind);
	to->kind = dup_or_null(f->kind);
	free(to->read_mode);
	to->read_mode = dup_or_null(f->read_mode);
	free(to->read_reason);
	to->read_reason = dup_or_null(f->read_reason);
	to->bytes_skipped = f->bytes_skipped;
	free(to->cbt_checkpoint);
	to->cbt_checkpoint = dup_or_null(f->cbt_checkpoint);
	memcpy(to->cbt_map, f->cbt_map, sizeof(to->cbt_map));
	memcpy(to->sha256, f->sha256, sizeof(to->sha256));
}

const struct manifest *
copy_previous(struct manifest *const *l, size_t n, size_t i)
{
	for (size_t j = i + 1; j < n; j++)
		if (manifest_same_group(l[i], l[j]) && !l[j]->future && l[j]->when < l[i]->when)
			return l[j];
	return NULL;
}

int
copy_snapshot(struct repo *src, struct repo *dst, const struct manifest *m,
    const struct manifest *prev, const volatile sig_atomic_t *cancel, struct backup_stats *st)
{
	struct copy_prev p = { prev, NULL };
	struct backup *b;
	struct manifest *nm;
	int ret = -1;

	memset(st, 0, sizeof(*st));
	if (m->chunk_size != repo_chunk_size(src)) {
		log_error("snapshot %s of %s has chunks of %u bytes, its repository %s of %u: not copied",
		    m->id, m->name, m->chunk_size, repo_url(src), repo_chunk_size(src));
		return -1;
	}
	if (prev != NULL) {
		char *key = copy_key(dst, prev);

		/* Not there (or unreadable, logged): every chunk is read. */
		if (manifest_load(dst, key, &p.dst) != 0)
			p.dst = NULL;
		free(key);
	}
	b = backup_new_group(dst, copy_host(dst, m), m->name);
	if (b == NULL) {
		manifest_free(p.dst);
		return -1;
	}
	backup_set_cancel(b, cancel);
	backup_set_time(b, m->when);
	nm = backup_manifest(b);
	memcpy(nm->id, m->id, sizeof(nm->id));
	for (size_t i = 0; i < m->nfiles; i++) {
		if (copy_file(src, dst, m, &m->files[i], &p, b) < 0) {
			log_error("copy of snapshot %s (%s) from %s to %s: file %s not copied: nothing published",
			    m->id, m->name, repo_url(src), repo_url(dst), m->files[i].name);
			goto out;
		}
		copy_file_details(&nm->files[nm->nfiles - 1], &m->files[i]);
	}
	if (m->domain_xml != NULL)
		backup_set_domain(b, xstrdup(m->domain_xml), dup_or_null(m->domain_xml_inactive),
		    m->quiesced);
	free(nm->version);
	nm->version = dup_or_null(m->version);
	free(nm->source_type);
	nm->source_type = dup_or_null(m->source_type);
	*st = *backup_stats(b);
	backup_keep_stats(b, &m->stats);
	/* Every chunk and index is stored: a kill here leaves them unreferenced. */
	fault_stall("copy-stored", NULL, cancel);
	ret = backup_commit(b);
out:
	backup_free(b);
	manifest_free(p.dst);
	return ret;
}
