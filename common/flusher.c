#include "common/flusher.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/util.h"

struct flusher {
	int fd;
	enum flusher_mode mode;
	uint64_t every;
	uint64_t pending;	/* written since the last write-back started */
	bool wanted;
	bool stop;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
};

static void *
run(void *arg)
{
	struct flusher *f = arg;

	pthread_mutex_lock(&f->lock);
	for (;;) {
		while (!f->wanted && !f->stop)
			pthread_cond_wait(&f->cond, &f->lock);
		if (f->stop)
			break;
		f->wanted = false;
		pthread_mutex_unlock(&f->lock);
		/* Errors show up where durability is required: the final flush. */
		if (f->mode == FLUSHER_SYNCFS)
			syncfs(f->fd);
		else
			sync_file_range(f->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
		pthread_mutex_lock(&f->lock);
	}
	pthread_mutex_unlock(&f->lock);
	return NULL;
}

struct flusher *
flusher_new(int fd, enum flusher_mode mode, uint64_t every)
{
	struct flusher *f = xcalloc(1, sizeof(*f));

	f->fd = fd;
	f->mode = mode;
	f->every = every;
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->cond, NULL);
	if (pthread_create(&f->thread, NULL, run, f) != 0) {
		pthread_mutex_destroy(&f->lock);
		pthread_cond_destroy(&f->cond);
		free(f);
		return NULL;
	}
	return f;
}

void
flusher_add(struct flusher *f, uint64_t n)
{
	if (f == NULL)
		return;
	pthread_mutex_lock(&f->lock);
	f->pending += n;
	if (f->pending >= f->every) {
		f->pending = 0;
		f->wanted = true;
		pthread_cond_signal(&f->cond);
	}
	pthread_mutex_unlock(&f->lock);
}

void
flusher_free(struct flusher *f)
{
	if (f == NULL)
		return;
	pthread_mutex_lock(&f->lock);
	f->stop = true;
	pthread_cond_signal(&f->cond);
	pthread_mutex_unlock(&f->lock);
	pthread_join(f->thread, NULL);
	pthread_mutex_destroy(&f->lock);
	pthread_cond_destroy(&f->cond);
	free(f);
}
