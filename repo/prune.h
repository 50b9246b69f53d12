/*
 * Prune: delete the chunks and indexes no manifest references, and the
 * debris of interrupted work (docs/FORMAT.md, "Locks and prune").
 *
 * Mark, without any lock: read every manifest and every index it names
 * once, and note what is referenced (chunks as 8-byte ID prefixes); then
 * stream the listings of chunks and indexes, keeping only what is not
 * referenced (the candidates). Sweep, under the exclusive lock (so no
 * backup runs): read the manifests published since the mark and drop the
 * candidates they reference, then delete the rest, the stale locks,
 * temporary files and incomplete multipart uploads older than the stale
 * bound. Backups wait only for the sweep. Memory: 8 bytes a referenced
 * chunk (16 while that set grows), about 40 to 60 a candidate.
 */
#ifndef VV_PRUNE_H
#define VV_PRUNE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "repo/objlock.h"
#include "repo/repo.h"

struct prune_stats {
	size_t snapshots;		/* manifests read */
	size_t late_snapshots;		/* of them, published during the mark */
	size_t indexes, indexes_unused;
	size_t chunks, chunks_unused;
	uint64_t bytes_total, bytes_unused;	/* of chunks and indexes */
	bool bytes_total_known;		/* false: the store lists no sizes (file://) */
	size_t locks_stale;		/* stale lock objects */
	size_t debris;			/* temporary files, incomplete uploads */
	size_t failed;			/* deletions that failed */
	double seconds_mark, seconds_sweep;
	size_t bytes_per_chunk;		/* the per-chunk sets' peak memory per chunk listed */
	/* Object Lock (repo/objlock.h): the extension round, and garbage still retained */
	struct objlock_stats round;
	struct objlock_sweep locked;
};

/*
 * prune_run: prune R (with DRY_RUN: find what would go, delete nothing,
 * take no exclusive lock). Returns 0, VV_BUSY (backups kept the exclusive
 * lock away for lock_wait; logged), or -1 (logged; nothing is deleted when
 * a manifest or an index cannot be read). In a repository under Object
 * Lock it runs the retention extension round when due (after the mark),
 * and deletes a garbage object's version only once its retention has
 * passed: the others are counted in ST->locked, for a later run.
 */
int prune_run(struct repo *r, bool dry_run, struct prune_stats *st);

#endif
