#include "repo/stats.h"

#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "repo/chunkset.h"
#include "repo/fetch.h"
#include "repo/index.h"
#include "repo/layout.h"

/* The stored size of each chunk, sorted by ID for lookups. */
struct sized {
	uint8_t id[CRYPTO_HASH_LEN];
	uint64_t size;
};

static int
by_id(const void *a, const void *b)
{
	return memcmp(((const struct sized *)a)->id, ((const struct sized *)b)->id, CRYPTO_HASH_LEN);
}

static struct sized *
chunk_sizes(struct repo *r, size_t *n, uint64_t *bytes)
{
	struct strlist keys = { 0 };
	uint64_t *sizes = NULL;
	struct sized *s;

	*n = 0;
	*bytes = 0;
	if (store_list_sizes(repo_store(r), LAYOUT_CHUNKS, &keys, &sizes) < 0)
		return NULL;
	s = xcalloc(keys.n + 1, sizeof(*s));
	for (size_t i = 0; i < keys.n; i++) {
		if (layout_id_of_key(keys.v[i], s[*n].id) < 0)
			continue;
		s[*n].size = sizes ? sizes[i] : 0;
		*bytes += s[*n].size;
		(*n)++;
	}
	qsort(s, *n, sizeof(*s), by_id);
	free(sizes);
	strlist_clear(&keys);
	return s;
}

static uint64_t
size_of(const struct sized *s, size_t n, const uint8_t *id)
{
	struct sized key;
	const struct sized *hit;

	memcpy(key.id, id, CRYPTO_HASH_LEN);
	hit = bsearch(&key, s, n, sizeof(*s), by_id);
	return hit ? hit->size : 0;
}

/* Host, then name: the order of the groups. */
static int
by_group(const void *a, const void *b)
{
	return manifest_group_cmp(*(struct manifest *const *)a, *(struct manifest *const *)b);
}

/*
 * Add M's files to G (chunks new to SEEN) and to the total (new to ALL).
 * An index the group already counted (an unchanged file) is not read again.
 */
static int
count_manifest(struct repo *r, const struct manifest *m, struct stats_group *g,
    struct chunkset *seen, struct chunkset *seen_idx, struct stats_report *rep,
    struct chunkset *all, const struct sized *sz, size_t nsz)
{
	g->snapshots++;
	rep->total.snapshots++;
	for (size_t i = 0; i < m->nfiles; i++) {
		uint8_t iid[CRYPTO_HASH_LEN];
		struct index ix;

		g->logical += m->files[i].size;
		rep->total.logical += m->files[i].size;
		if (layout_id_of_key(m->files[i].index, iid) == 0 && chunkset_add(seen_idx, iid))
			continue;
		if (fetch_index(r, m, &m->files[i], &ix) < 0)
			return -1;
		/* A patch counts as an object stored; its bytes are in the
		 * chunk it patches (counted with its base). */
		for (uint64_t k = 0; k < index_objects(&ix); k++) {
			const uint8_t *id = index_object(&ix, k);
			uint64_t len = k < ix.count ? index_chunk_len(ix.file_size, ix.chunk_size, k) : 0;

			if (repo_id_is_zero(id))
				continue;
			if (!chunkset_add(seen, id)) {
				g->chunks++;
				g->unique += len;
				g->stored += size_of(sz, nsz, id);
			}
			if (!chunkset_add(all, id)) {
				rep->total.chunks++;
				rep->total.unique += len;
				rep->total.stored += size_of(sz, nsz, id);
			}
		}
		index_clear(&ix);
	}
	return 0;
}

int
stats_collect(struct repo *r, struct manifest *const *l, size_t n, struct stats_report *out)
{
	struct manifest **sorted = xcalloc(n + 1, sizeof(*sorted));
	struct chunkset *all = chunkset_new(), *seen = NULL, *seen_idx = NULL;
	size_t nsz = 0;
	struct sized *sz;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	sz = chunk_sizes(r, &nsz, &out->repo_bytes);
	if (sz == NULL)
		goto out;
	out->repo_chunks = nsz;
	memcpy(sorted, l, n * sizeof(*l));
	qsort(sorted, n, sizeof(*sorted), by_group);
	out->groups = xcalloc(n + 1, sizeof(*out->groups));
	for (size_t i = 0; i < n; i++) {
		struct stats_group *g;

		if (i == 0 || !manifest_same_group(sorted[i - 1], sorted[i])) {
			g = &out->groups[out->ngroups++];
			g->host = xstrdup(manifest_host(sorted[i]));
			g->name = xstrdup(sorted[i]->name);
			chunkset_free(seen);
			chunkset_free(seen_idx);
			seen = chunkset_new();
			seen_idx = chunkset_new();
		}
		g = &out->groups[out->ngroups - 1];
		if (count_manifest(r, sorted[i], g, seen, seen_idx, out, all, sz, nsz) < 0)
			goto out;
	}
	ret = 0;
out:
	chunkset_free(seen);
	chunkset_free(seen_idx);
	chunkset_free(all);
	free(sz);
	free(sorted);
	return ret;
}

void
stats_report_free(struct stats_report *s)
{
	for (size_t i = 0; i < s->ngroups; i++) {
		free(s->groups[i].host);
		free(s->groups[i].name);
	}
	free(s->groups);
	memset(s, 0, sizeof(*s));
}

static const struct manifest_file *
file_named(const struct manifest *m, const char *name)
{
	for (size_t i = 0; i < m->nfiles; i++)
		if (strcmp(m->files[i].name, name) == 0)
			return &m->files[i];
	return NULL;
}

/* Compare file FA of A with FB of B (either may be NULL) into D. */
static int
diff_one(struct repo *r, const struct manifest *a, const struct manifest_file *fa,
    const struct manifest *b, const struct manifest_file *fb, struct diff_file *d)
{
	struct index ia = { 0 }, ib = { 0 };
	int ret = -1;

	d->name = fa ? fa->name : fb->name;
	d->size_a = fa ? fa->size : 0;
	d->size_b = fb ? fb->size : 0;
	if ((fa && fetch_index(r, a, fa, &ia) < 0) || (fb && fetch_index(r, b, fb, &ib) < 0))
		goto out;
	for (uint64_t k = 0; k < ia.count || k < ib.count; k++) {
		if (k >= ib.count) {
			d->chunks_removed++;
			d->bytes_removed += index_chunk_len(ia.file_size, ia.chunk_size, k);
		} else if (k >= ia.count) {
			d->chunks_added++;
			d->bytes_changed += index_chunk_len(ib.file_size, ib.chunk_size, k);
		} else if (!index_slot_equal(&ia, k, &ib, k)) {
			d->chunks_changed++;
			d->bytes_changed += index_chunk_len(ib.file_size, ib.chunk_size, k);
		}
	}
	d->status = !fa ? "added" : !fb ? "removed" :
	    d->chunks_changed + d->chunks_added + d->chunks_removed == 0 &&
	    d->size_a == d->size_b ? "same" : "changed";
	ret = 0;
out:
	index_clear(&ia);
	index_clear(&ib);
	return ret;
}

int
stats_diff(struct repo *r, const struct manifest *a, const struct manifest *b,
    struct diff_file **out, size_t *n)
{
	*out = xcalloc(a->nfiles + b->nfiles + 1, sizeof(**out));
	*n = 0;
	for (size_t i = 0; i < a->nfiles; i++)
		if (diff_one(r, a, &a->files[i], b, file_named(b, a->files[i].name), &(*out)[(*n)++]) < 0)
			goto fail;
	for (size_t i = 0; i < b->nfiles; i++)
		if (file_named(a, b->files[i].name) == NULL &&
		    diff_one(r, a, NULL, b, &b->files[i], &(*out)[(*n)++]) < 0)
			goto fail;
	return 0;
fail:
	free(*out);
	*out = NULL;
	*n = 0;
	return -1;
}
