/*
 * Shared by the restore's files: the state of the threads restoring one
 * file (repo/restore.c: the workers; repo/restore_check.c: the read-back
 * and its SHA-256).
 */
#ifndef VV_RESTORE_INT_H
#define VV_RESTORE_INT_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/crypto.h"
#include "common/flusher.h"
#include "common/progress.h"
#include "repo/index.h"
#include "repo/manifest.h"
#include "repo/repo.h"
#include "repo/restore_io.h"

struct restore_job {
	struct repo *r;
	const struct manifest *m;
	const struct manifest_file *f;
	const struct index *ix;
	struct restore_io io;	/* the target: direct writes where it can */
	bool device;		/* a block device: zero chunks are written as zeros */
	uint64_t next;		/* next chunk to take */
	bool failed;
	uint8_t *done;		/* per chunk: written (or a hole) */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct progress *progress;
	struct crypto_sha *sha;	/* of the file, in order, by the check */
	struct flusher *flusher;	/* write-back while the restore goes on */
	const volatile sig_atomic_t *cancel;	/* set by SIGTERM/SIGINT */
};

/* restore_fail: mark J failed and wake every thread waiting on it. */
void restore_fail(struct restore_job *j);

/*
 * restore_check_run: a thread's body (ARG: the job): reads the file back
 * in order as the workers complete its chunks (a hole as zeros) and feeds
 * J->sha, reading one chunk ahead of the hashing on a second thread.
 * Stops early when J fails; a read that fails is logged (file and offset)
 * and fails J. Returns NULL.
 */
void *restore_check_run(void *arg);

#endif
