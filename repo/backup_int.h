/*
 * The backup pipeline's shared state (repo/backup.c, and the patches of
 * repository format 3 in repo/backup_patch.c): nobody else includes it.
 */
#ifndef VV_REPO_BACKUP_INT_H
#define VV_REPO_BACKUP_INT_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "repo/backup.h"
#include "repo/chunkset.h"
#include "repo/lock.h"

/* A patch of the new index: chunk SLOT's SEQ-th. */
struct backup_patch {
	uint64_t slot;
	uint32_t seq;
	uint8_t id[CRYPTO_HASH_LEN];
};

struct backup {
	const volatile sig_atomic_t *cancel;
	struct repo *repo;
	struct repo_lock *lock;	/* shared, from before the seeding to the manifest */
	/* Chunks that exist until the manifest: seeded after the lock was
	 * taken (backup_seed_known), then each chunk found or stored. */
	struct chunkset *known;
	struct manifest *m;
	double t0;		/* clock_mono() at the start */
	bool stats_kept;	/* backup_keep_stats: the figures are another run's */
};

/* One chunk in flight between the reader and a worker. */
struct slot {
	uint8_t *data;
	size_t len;
	uint64_t index;
	bool patch;		/* DATA is a patch of chunk INDEX, applied SEQ-th */
	uint32_t seq;
};

struct pipe {
	struct backup *b;
	const char *path;
	struct slot *slots;
	size_t nslots;
	/* Rings of slot numbers: free ones, and ones with work. */
	size_t *freeq, *workq;
	size_t fhead, ftail, fcount;
	size_t whead, wtail, wcount;
	bool done;		/* the reader has queued everything */
	bool failed;
	const struct backup_reuse *reuse;	/* or NULL: read every chunk */
	const uint8_t *fine;	/* REUSE's fine plan when it fits the file, or NULL */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	/* The chunks' IDs so far: CAP entries, grown as chunks with data come
	 * (an import's declared size costs nothing until data shows up). */
	uint8_t (*ids)[CRYPTO_HASH_LEN];
	uint64_t ids_cap;
	/* Format 3: the patches of the new index, in no order (sorted at the
	 * end), and the reader's buffer to assemble one. */
	struct backup_patch *patches;
	size_t npatches, patches_cap;
	uint8_t *patchbuf;
	struct backup_stats st;
	uint64_t bytes_skipped;
	struct progress *progress;
};


/*
 * backup_pipe_take: a free slot into *SN, waiting for one; -1 once the pipe
 * failed.
 */
int backup_pipe_take(struct pipe *p, size_t *sn);

/* backup_pipe_release: give slot SN back to the reader. Lock held. */
void backup_pipe_release(struct pipe *p, size_t sn);

/* backup_pipe_reserve: room for chunk I's ID in P->ids. Lock held. */
void backup_pipe_reserve(struct pipe *p, uint64_t i);

/* backup_pipe_queue: hand slot SN (filled) to the workers. Lock held. */
void backup_pipe_queue(struct pipe *p, size_t sn);

/*
 * backup_patch_reuse: chunk I is unchanged since the reference: take the
 * reference's base and patches for it when each is known (so no prune can
 * have taken it). Returns whether it did. Lock not held.
 */
bool backup_patch_reuse(struct pipe *p, uint64_t i, size_t len);

/*
 * backup_patch_try: chunk I (LEN bytes, changed) stored as a patch of the
 * reference's chunk, reading from FD only the units the fine plan marks
 * changed, when the reference has that chunk at the same length with
 * every object known, fewer than BACKUP_MAX_PATCHES patches on it, and
 * the changed bytes are at most half of it. Returns 1 when queued, 0 when
 * the chunk is to be read whole, -1 (logged, the pipe failed).
 */
int backup_patch_try(struct pipe *p, int fd, uint64_t i, size_t len);

/*
 * backup_patch_check: under --check-cbt with a fine plan, whether chunk I
 * as read (DATA, LEN bytes) agrees with the reference in every unit the
 * plan calls unchanged (the reference's chunk fetched with W). Returns
 * true, or false (logged).
 */
bool backup_patch_check(struct pipe *p, struct codec_work *w, uint64_t i, const uint8_t *data,
    size_t len);

/*
 * backup_patch_add: record that the worker stored slot S (a patch) as ID.
 * Lock held.
 */
void backup_patch_add(struct pipe *p, const struct slot *s, const uint8_t *id);

/* backup_patch_finish: P's patches, sorted, into IX (P keeps none). */
void backup_patch_finish(struct pipe *p, struct index *ix);

#endif
