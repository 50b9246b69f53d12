/*
 * What the repository holds: sizes per group of snapshots, and what
 * changed between two snapshots.
 */
#ifndef VV_STATS_H
#define VV_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "repo/manifest.h"

struct stats_group {
	char *host;
	char *name;
	size_t snapshots;
	uint64_t logical;	/* bytes of all files of all its snapshots */
	uint64_t chunks;	/* distinct chunks they reference */
	uint64_t unique;	/* image bytes of those chunks (before compression) */
	uint64_t stored;	/* bytes those chunks take in the store */
};

struct stats_report {
	struct stats_group *groups;	/* by host, then name */
	size_t ngroups;
	struct stats_group total;	/* over the snapshots given (distinct chunks once) */
	uint64_t repo_chunks;		/* every chunk in the store */
	uint64_t repo_bytes;
};

/*
 * stats_collect: sizes of the N snapshots L (grouped by host and name),
 * reading each index once per group. Returns 0 or -1 (logged).
 */
int stats_collect(struct repo *r, struct manifest *const *l, size_t n, struct stats_report *out);

void stats_report_free(struct stats_report *s);

struct diff_file {
	const char *name;
	const char *status;	/* "same", "changed", "added", "removed" */
	uint64_t chunks_changed, chunks_added, chunks_removed;
	uint64_t bytes_changed;	/* of the chunks that differ or were added */
	uint64_t bytes_removed;	/* of the chunks removed (B shorter, or no file in B) */
	uint64_t size_a, size_b;
};

/*
 * stats_diff: per file (matched by name) of snapshots A and B, the chunks
 * that differ, were added (B longer) or removed (B shorter), into a new
 * array *OUT of *N. Returns 0 or -1 (logged).
 */
int stats_diff(struct repo *r, const struct manifest *a, const struct manifest *b,
    struct diff_file **out, size_t *n);

#endif
