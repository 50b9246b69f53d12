/*
 * Verifying backups.
 */
#ifndef VV_VERIFY_H
#define VV_VERIFY_H

#include <stdbool.h>
#include <stdint.h>

#include "common/progress.h"
#include "repo/manifest.h"
#include "repo/repo.h"

struct verify_opts {
	bool deep;		/* read every chunk (of the sample) */
	double sample;		/* fraction of distinct chunks read: (0, 1]; 0 means 1 */
};

/* The problems of one snapshot: how many, and the first one's message. */
struct verify_problems {
	long count;
	char first[320];
};

struct verify_result {
	uint64_t chunks_read;		/* distinct chunks read (deep) */
	uint64_t bytes_read;
	uint64_t chunks_bad;		/* found bad, moved to quarantine/ */
	struct manifest **broken;	/* the snapshots with a problem (borrowed from L) */
	size_t nbroken;
	struct verify_problems *per;	/* one per snapshot of L, in its order (free()) */
};

/*
 * verify_snapshots: check the N manifests of L: every index they reference
 * is there, authenticates and names its own ID, and every chunk exists;
 * with O->deep, each distinct chunk (of a random O->sample of them) is
 * read once, however many snapshots share it, authenticated, decompressed
 * and checked to hash to its ID; a bad one is moved to quarantine/ (the
 * next backup of its data uploads it again). Each problem is logged with
 * snapshot, file and byte offset (a shared index's or chunk's for every
 * snapshot naming it). Each distinct index is read once (again only where
 * a chunk is missing, or with O->deep); chunks/ is listed as a stream
 * against the IDs the indexes name (32 bytes each). Fills RES (free
 * RES->broken and RES->per with free()). Returns the number of problems,
 * or -1 when the check could not run (RES->broken and RES->per NULL then).
 */
long verify_snapshots(struct repo *r, struct manifest *const *l, size_t n,
    const struct verify_opts *o, struct verify_result *res, struct progress *progress);

#endif
