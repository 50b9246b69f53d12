#include "repo/prune_plan.h"

#include <stdlib.h>
#include <string.h>

#include "repo/chunkset.h"
#include "repo/layout.h"
#include "repo/repo.h"

/* Objects of ours listed under a prefix, with their sizes. */
struct listing {
	struct strlist keys;
	uint64_t *sizes;
};

struct prune_plan {
	struct listing chunks, indexes;
	struct chunkset *marked_chunks;
	struct chunkset *marked_indexes;
	struct chunkset *manifests;	/* SHA-256 of their keys */
};

struct prune_plan *
prune_plan_new(void)
{
	struct prune_plan *p = xcalloc(1, sizeof(*p));

	p->marked_chunks = chunkset_new();
	p->marked_indexes = chunkset_new();
	p->manifests = chunkset_new();
	return p;
}

void
prune_plan_free(struct prune_plan *p)
{
	if (p == NULL)
		return;
	strlist_clear(&p->chunks.keys);
	strlist_clear(&p->indexes.keys);
	free(p->chunks.sizes);
	free(p->indexes.sizes);
	chunkset_free(p->marked_chunks);
	chunkset_free(p->marked_indexes);
	chunkset_free(p->manifests);
	free(p);
}

void
prune_plan_listed(struct prune_plan *p, bool indexes, struct strlist *keys,
    const uint64_t *sizes)
{
	struct listing *l = indexes ? &p->indexes : &p->chunks;
	size_t k = 0;

	strlist_clear(&l->keys);
	free(l->sizes);
	l->sizes = xcalloc(keys->n + 1, sizeof(*l->sizes));
	/* Only names of ours: anything else under the prefix is left alone. */
	for (size_t i = 0; i < keys->n; i++) {
		uint8_t id[CRYPTO_HASH_LEN];

		if (layout_id_of_key(keys->v[i], id) < 0) {
			free(keys->v[i]);
			continue;
		}
		l->sizes[k] = sizes ? sizes[i] : 0;
		keys->v[k++] = keys->v[i];
	}
	keys->n = k;
	l->keys = *keys;
	memset(keys, 0, sizeof(*keys));
}

bool
prune_plan_manifest_seen(const struct prune_plan *p, const char *key)
{
	uint8_t h[CRYPTO_HASH_LEN];

	crypto_sha256(key, strlen(key), h);
	return chunkset_has(p->manifests, h);
}

void
prune_plan_manifest_mark(struct prune_plan *p, const char *key)
{
	uint8_t h[CRYPTO_HASH_LEN];

	crypto_sha256(key, strlen(key), h);
	chunkset_add(p->manifests, h);
}

int
prune_plan_index_seen(const struct prune_plan *p, const char *key)
{
	uint8_t id[CRYPTO_HASH_LEN];

	if (layout_id_of_key(key, id) < 0)
		return -1;
	return chunkset_has(p->marked_indexes, id) ? 1 : 0;
}

int
prune_plan_index_mark(struct prune_plan *p, const char *key, const struct index *ix)
{
	uint8_t id[CRYPTO_HASH_LEN];

	if (layout_id_of_key(key, id) < 0)
		return -1;
	for (uint64_t i = 0; ix != NULL && i < ix->count; i++)
		if (!repo_id_is_zero(ix->ids[i]))
			chunkset_add(p->marked_chunks, ix->ids[i]);
	chunkset_add(p->marked_indexes, id);
	return 0;
}

/* The keys of L that MARKED does not hold, a new array of *N (borrowed strings). */
static char **
unmarked(const struct listing *l, struct chunkset *marked, size_t *n, uint64_t *total,
    uint64_t *unused)
{
	char **out = xcalloc(l->keys.n + 1, sizeof(*out));

	*n = 0;
	for (size_t i = 0; i < l->keys.n; i++) {
		uint8_t id[CRYPTO_HASH_LEN];

		*total += l->sizes[i];
		layout_id_of_key(l->keys.v[i], id);
		if (chunkset_has(marked, id))
			continue;
		*unused += l->sizes[i];
		out[(*n)++] = l->keys.v[i];
	}
	return out;
}

void
prune_plan_sweep(const struct prune_plan *p, struct prune_plan_sweep *out)
{
	memset(out, 0, sizeof(*out));
	out->nindexes = p->indexes.keys.n;
	out->nchunks = p->chunks.keys.n;
	out->indexes = unmarked(&p->indexes, p->marked_indexes, &out->nindexes_unused,
	    &out->bytes_total, &out->bytes_unused);
	out->chunks = unmarked(&p->chunks, p->marked_chunks, &out->nchunks_unused,
	    &out->bytes_total, &out->bytes_unused);
}

void
prune_plan_sweep_clear(struct prune_plan_sweep *out)
{
	free(out->indexes);
	free(out->chunks);
	memset(out, 0, sizeof(*out));
}
