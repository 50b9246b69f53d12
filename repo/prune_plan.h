/*
 * Prune's mark and sweep as a plan over plain data (no store).
 *
 * First the manifests read and the indexes they name mark what is
 * referenced: chunks as a compact set of 8-byte ID prefixes (8 bytes a
 * referenced chunk), indexes by their full ID. Then the listings of
 * chunks/ and indexes/ stream through prune_plan_listed, which keeps only
 * the candidates: listed and not marked (32-byte ID and size each). A
 * false positive of the prefix set (an unreferenced chunk sharing its first
 * 8 bytes with a referenced one, about one in 2^64/referenced) only keeps
 * garbage; it never deletes a live chunk. Indexes marked after the
 * listings (the manifests published meanwhile) drop the candidates they
 * reference. What is left is deleted. repo/prune.c does the reading and
 * the deleting.
 */
#ifndef VV_PRUNE_PLAN_H
#define VV_PRUNE_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/util.h"
#include "repo/index.h"

struct prune_plan;

/* An object to delete: its ID, and its size (UINT64_MAX: the listing did not say). */
struct prune_plan_candidate {
	uint8_t id[32];
	uint64_t size;
};

/* What to delete, and what was looked at. */
struct prune_plan_sweep {
	const struct prune_plan_candidate *indexes;	/* the plan's: valid while it lives */
	size_t nindexes_unused;
	const struct prune_plan_candidate *chunks;
	size_t nchunks_unused;
	size_t nindexes, nchunks;	/* of ours listed */
	uint64_t bytes_total;		/* of what was listed (sizes known) */
	bool bytes_total_known;		/* every listed size was known */
	uint64_t bytes_unused;		/* of the candidates whose size is known */
	size_t peak_bytes;		/* the most the per-chunk sets held (a bound) */
};

/* prune_plan_new: an empty plan; free with prune_plan_free (NULL: no-op). */
struct prune_plan *prune_plan_new(void);
void prune_plan_free(struct prune_plan *p);

/* prune_plan_manifest_seen: whether manifest KEY was marked. */
bool prune_plan_manifest_seen(const struct prune_plan *p, const char *key);

/* prune_plan_manifest_mark: manifest KEY was read, its indexes marked. */
void prune_plan_manifest_mark(struct prune_plan *p, const char *key);

/*
 * prune_plan_index_seen: whether index KEY was marked: 1, 0 (it must be
 * read and marked), or -1 when KEY is no index key.
 */
int prune_plan_index_seen(const struct prune_plan *p, const char *key);

/*
 * prune_plan_index_mark: mark index KEY and the chunks of IX (its content;
 * NULL: the index is missing, nothing to protect through it). Before the
 * listings, into the referenced sets; after them (a manifest published
 * meanwhile), the candidates it names are dropped. Only an index that was
 * read is marked: one whose read failed stays unmarked, so that a later
 * manifest naming it reads it again. Returns 0, or -1 when KEY is no index
 * key.
 */
int prune_plan_index_mark(struct prune_plan *p, const char *key, const struct index *ix);

/*
 * prune_plan_listed: KEY was listed under indexes/ (INDEXES) or chunks/,
 * of SIZE bytes (UINT64_MAX: the store did not say). Kept as a
 * candidate when not marked. Keys that are not object names of ours
 * (layout_id_of_key) are never candidates. Every listing comes after
 * every mark of the manifests read before it, and before the late marks.
 */
void prune_plan_listed(struct prune_plan *p, bool indexes, const char *key, uint64_t size);

/*
 * prune_plan_each_candidate: FN(C, CTX) for each candidate of the indexes/
 * (INDEXES) or chunks/ listing so far; FN may set C->size (a store that
 * does not list sizes is asked for the candidates' only).
 */
void prune_plan_each_candidate(struct prune_plan *p, bool indexes,
    void (*fn)(struct prune_plan_candidate *c, void *ctx), void *ctx);

/*
 * prune_plan_sweep: the candidates left after the late marks, indexes and
 * chunks sorted by ID, into OUT (borrowed from P: valid while P lives and
 * is not marked or listed again).
 */
void prune_plan_sweep(struct prune_plan *p, struct prune_plan_sweep *out);

#endif
