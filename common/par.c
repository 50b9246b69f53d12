#include "common/par.h"

#include <pthread.h>
#include <stdlib.h>

#include "common/alloc.h"

struct par_job {
	size_t n;
	void (*fn)(size_t i, void *ctx);
	void *ctx;
	pthread_mutex_t mu;	/* NEXT */
	size_t next;
};

static void *
par_worker(void *arg)
{
	struct par_job *j = arg;

	for (;;) {
		size_t i;

		pthread_mutex_lock(&j->mu);
		i = j->next++;
		pthread_mutex_unlock(&j->mu);
		if (i >= j->n)
			break;
		j->fn(i, j->ctx);
	}
	return NULL;
}

void
par_each(size_t n, int want, void (*fn)(size_t i, void *ctx), void *ctx)
{
	struct par_job j = { n, fn, ctx, PTHREAD_MUTEX_INITIALIZER, 0 };
	pthread_t *th;
	size_t started = 0;

	if (want < 1)
		want = 1;
	if ((size_t)want > n)
		want = n > 0 ? (int)n : 1;
	th = xcalloc((size_t)want, sizeof(*th));
	for (int i = 1; i < want; i++)
		if (pthread_create(&th[started], NULL, par_worker, &j) == 0)
			started++;
	par_worker(&j);
	for (size_t i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	free(th);
	pthread_mutex_destroy(&j.mu);
}
