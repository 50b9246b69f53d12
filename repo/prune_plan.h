/*
 * Prune's mark and sweep as a plan over plain data (no store): what was
 * listed under chunks/ and indexes/, which manifests and indexes were
 * read and the chunks they name; what to delete is what was listed and
 * not marked. repo/prune.c does the reading and the deleting.
 */
#ifndef VV_PRUNE_PLAN_H
#define VV_PRUNE_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/util.h"
#include "repo/index.h"

struct prune_plan;

/* What to delete, and what was looked at. */
struct prune_plan_sweep {
	char **indexes;			/* keys to delete, borrowed from the plan */
	size_t nindexes_unused;
	char **chunks;
	size_t nchunks_unused;
	size_t nindexes, nchunks;	/* of ours listed */
	uint64_t bytes_total;		/* of what was listed */
	uint64_t bytes_unused;		/* of what is to be deleted */
};

/* prune_plan_new: an empty plan; free with prune_plan_free (NULL: no-op). */
struct prune_plan *prune_plan_new(void);
void prune_plan_free(struct prune_plan *p);

/*
 * prune_plan_listed: KEYS were listed under indexes/ (INDEXES) or
 * chunks/, with SIZES (NULL: unknown, 0). Takes the strings of KEYS (it
 * is left empty): a listing of millions is not copied. Keys that are not
 * object names of ours (layout_id_of_key) are never candidates.
 */
void prune_plan_listed(struct prune_plan *p, bool indexes, struct strlist *keys,
    const uint64_t *sizes);

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
 * NULL: the index is missing, nothing to protect through it). Only an
 * index that was read is marked: one whose read failed stays unmarked, so
 * that a later manifest naming it reads it again. Returns 0, or -1 when
 * KEY is no index key.
 */
int prune_plan_index_mark(struct prune_plan *p, const char *key, const struct index *ix);

/*
 * prune_plan_sweep: what was listed and is not marked, indexes and chunks
 * in the order listed, into OUT (its arrays freed with
 * prune_plan_sweep_clear, their strings P's: valid while P lives).
 */
void prune_plan_sweep(const struct prune_plan *p, struct prune_plan_sweep *out);

void prune_plan_sweep_clear(struct prune_plan_sweep *out);

#endif
