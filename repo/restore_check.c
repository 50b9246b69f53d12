/*
 * The restore's read-back check: the file read back in order as the
 * workers complete its chunks (from the disk when they wrote directly)
 * and hashed, so that the SHA-256 check overlaps the restore. A reader
 * thread fetches chunk i + 1 while chunk i is hashed: reading and hashing
 * one after the other would make this check the restore's slowest part.
 */
#include "repo/restore_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

/* The two slots between the reader and the hasher. */
struct ahead {
	struct restore_job *j;
	uint8_t *buf[2];
	size_t len[2];
	bool full[2];
	bool end;		/* the reader stopped (done, or the job failed) */
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

/* Whether chunk I is written (waiting for it), false: the job failed. */
static bool
wait_done(struct restore_job *j, uint64_t i)
{
	bool ok;

	pthread_mutex_lock(&j->lock);
	while (!j->done[i] && !j->failed)
		pthread_cond_wait(&j->cond, &j->lock);
	ok = !j->failed;
	pthread_mutex_unlock(&j->lock);
	return ok;
}

static void *
reader(void *arg)
{
	struct ahead *a = arg;
	struct restore_job *j = a->j;
	uint32_t cs = j->ix->chunk_size;

	for (uint64_t i = 0; i < j->ix->count; i++) {
		size_t len = index_chunk_len(j->f->size, cs, i);
		int s = (int)(i % 2);
		uint64_t at;

		if (!wait_done(j, i))
			break;
		pthread_mutex_lock(&a->lock);
		while (a->full[s])
			pthread_cond_wait(&a->cond, &a->lock);
		pthread_mutex_unlock(&a->lock);
		/* A hole reads as zeros; anything else is read back. */
		if (index_slot_is_zero(j->ix, i)) {
			memset(a->buf[s], 0, len);
		} else if (restore_io_read(&j->io, a->buf[s], len, i * cs, &at) < 0) {
			log_error("restore of %s: cannot read back offset %llu: %s", j->f->name,
			    (unsigned long long)at, errno ? strerror(errno) : "end of file");
			restore_fail(j);
			break;
		}
		pthread_mutex_lock(&a->lock);
		a->len[s] = len;
		a->full[s] = true;
		pthread_cond_signal(&a->cond);
		pthread_mutex_unlock(&a->lock);
	}
	pthread_mutex_lock(&a->lock);
	a->end = true;
	pthread_cond_signal(&a->cond);
	pthread_mutex_unlock(&a->lock);
	return NULL;
}

void *
restore_check_run(void *arg)
{
	struct ahead a = { .j = arg };
	struct restore_job *j = a.j;
	pthread_t th;

	a.buf[0] = restore_io_buf(j->ix->chunk_size);
	a.buf[1] = restore_io_buf(j->ix->chunk_size);
	pthread_mutex_init(&a.lock, NULL);
	pthread_cond_init(&a.cond, NULL);
	if (pthread_create(&th, NULL, reader, &a) != 0) {
		log_error("restore of %s: cannot start a thread to read it back", j->f->name);
		restore_fail(j);
		goto out;
	}
	for (uint64_t i = 0;; i++) {
		int s = (int)(i % 2);

		pthread_mutex_lock(&a.lock);
		while (!a.full[s] && !a.end)
			pthread_cond_wait(&a.cond, &a.lock);
		if (!a.full[s]) {
			pthread_mutex_unlock(&a.lock);
			break;
		}
		pthread_mutex_unlock(&a.lock);
		crypto_sha_update(j->sha, a.buf[s], a.len[s]);
		pthread_mutex_lock(&a.lock);
		a.full[s] = false;
		pthread_cond_signal(&a.cond);
		pthread_mutex_unlock(&a.lock);
	}
	pthread_join(th, NULL);
out:
	pthread_mutex_destroy(&a.lock);
	pthread_cond_destroy(&a.cond);
	free(a.buf[0]);
	free(a.buf[1]);
	return NULL;
}
