#include "repo/prune_plan.h"

#include <stdlib.h>
#include <string.h>

#include "repo/chunkset.h"
#include "repo/idvec.h"
#include "repo/layout.h"
#include "repo/repo.h"

/* Bytes of an ID the referenced chunks are known by (see prune_plan.h). */
#define REF_PREFIX 8

/* The candidates of one listing, and those a late mark dropped (a bit each). */
struct cands {
	struct idvec *v;	/* struct prune_plan_candidate, by ID */
	uint8_t *dropped;	/* NULL until a late mark */
	size_t listed;		/* keys of ours listed */
};

struct prune_plan {
	struct idvec *refs;		/* 8-byte prefixes of referenced chunk IDs */
	struct chunkset *marked_indexes;
	struct chunkset *manifests;	/* SHA-256 of their keys */
	struct cands chunks, indexes;
	bool listing;			/* a listing began: marks are late */
	uint64_t bytes_total;
	bool sizes_unknown;
};

struct prune_plan *
prune_plan_new(void)
{
	struct prune_plan *p = xcalloc(1, sizeof(*p));

	p->refs = idvec_new(REF_PREFIX, REF_PREFIX, true);
	p->marked_indexes = chunkset_new();
	p->manifests = chunkset_new();
	p->chunks.v = idvec_new(sizeof(struct prune_plan_candidate), CRYPTO_HASH_LEN, false);
	p->indexes.v = idvec_new(sizeof(struct prune_plan_candidate), CRYPTO_HASH_LEN, false);
	return p;
}

void
prune_plan_free(struct prune_plan *p)
{
	if (p == NULL)
		return;
	idvec_free(p->refs);
	chunkset_free(p->marked_indexes);
	chunkset_free(p->manifests);
	idvec_free(p->chunks.v);
	idvec_free(p->indexes.v);
	free(p->chunks.dropped);
	free(p->indexes.dropped);
	free(p);
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

/* A late mark: the candidate ID of C, if one, is no longer deleted. */
static void
drop(struct cands *c, const uint8_t *id)
{
	size_t i;

	idvec_seal(c->v);
	if (c->dropped == NULL)
		c->dropped = xcalloc(idvec_count(c->v) / 8 + 1, 1);
	i = idvec_find(c->v, id);
	if (i != IDVEC_NONE)
		c->dropped[i / 8] |= (uint8_t)(1u << (i % 8));
}

int
prune_plan_index_mark(struct prune_plan *p, const char *key, const struct index *ix)
{
	uint8_t id[CRYPTO_HASH_LEN];

	if (layout_id_of_key(key, id) < 0)
		return -1;
	for (uint64_t i = 0; ix != NULL && i < index_objects(ix); i++) {
		const uint8_t *oid = index_object(ix, i);

		if (repo_id_is_zero(oid))
			continue;
		if (p->listing)
			drop(&p->chunks, oid);
		else
			idvec_add(p->refs, oid);
	}
	if (p->listing)
		drop(&p->indexes, id);
	chunkset_add(p->marked_indexes, id);
	return 0;
}

void
prune_plan_listed(struct prune_plan *p, bool indexes, const char *key, uint64_t size)
{
	struct prune_plan_candidate c;
	struct cands *l = indexes ? &p->indexes : &p->chunks;
	bool marked;

	/* Only names of ours: anything else under the prefix is left alone. */
	if (layout_id_of_key(key, c.id) < 0)
		return;
	p->listing = true;
	l->listed++;
	if (size == UINT64_MAX)
		p->sizes_unknown = true;
	else
		p->bytes_total += size;
	if (indexes) {
		marked = chunkset_has(p->marked_indexes, c.id);
	} else {
		idvec_seal(p->refs);
		marked = idvec_find(p->refs, c.id) != IDVEC_NONE;
	}
	if (marked)
		return;
	c.size = size;
	idvec_add(l->v, &c);
}

void
prune_plan_each_candidate(struct prune_plan *p, bool indexes,
    void (*fn)(struct prune_plan_candidate *c, void *ctx), void *ctx)
{
	struct cands *c = indexes ? &p->indexes : &p->chunks;

	for (size_t i = 0; i < idvec_count(c->v); i++)
		fn(idvec_at(c->v, i), ctx);
}

/* The candidates of C no late mark dropped, moved to its front; their count. */
static size_t
survivors(struct cands *c, uint64_t *bytes)
{
	size_t n = idvec_count(c->v), k = 0;

	idvec_seal(c->v);
	for (size_t i = 0; i < n; i++) {
		struct prune_plan_candidate *e = idvec_at(c->v, i);

		if (c->dropped != NULL && (c->dropped[i / 8] >> (i % 8)) & 1)
			continue;
		if (e->size != UINT64_MAX)
			*bytes += e->size;
		if (k != i)
			memcpy(idvec_at(c->v, k), e, sizeof(*e));
		k++;
	}
	idvec_truncate(c->v, k);
	free(c->dropped);
	c->dropped = NULL;
	return k;
}

void
prune_plan_sweep(struct prune_plan *p, struct prune_plan_sweep *out)
{
	size_t bitmap = idvec_count(p->chunks.v) / 8 + 1;

	memset(out, 0, sizeof(*out));
	out->nindexes = p->indexes.listed;
	out->nchunks = p->chunks.listed;
	out->bytes_total = p->bytes_total;
	out->bytes_total_known = !p->sizes_unknown;
	out->nindexes_unused = survivors(&p->indexes, &out->bytes_unused);
	out->nchunks_unused = survivors(&p->chunks, &out->bytes_unused);
	out->indexes = out->nindexes_unused ? idvec_at(p->indexes.v, 0) : NULL;
	out->chunks = out->nchunks_unused ? idvec_at(p->chunks.v, 0) : NULL;
	/* Each set's own peak: they may not have been at it together. */
	out->peak_bytes = idvec_peak(p->refs) + idvec_peak(p->chunks.v) + bitmap;
}
