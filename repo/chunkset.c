#include "repo/chunkset.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

/* Open addressing; IDs are uniformly random, so their first bytes hash. */
struct chunkset {
	pthread_mutex_t lock;
	uint8_t (*slots)[CRYPTO_HASH_LEN];
	uint8_t *used;
	size_t cap;		/* a power of two */
	size_t n;
};

struct chunkset *
chunkset_new(void)
{
	struct chunkset *s = xcalloc(1, sizeof(*s));

	pthread_mutex_init(&s->lock, NULL);
	s->cap = 1024;
	s->slots = xcalloc(s->cap, CRYPTO_HASH_LEN);
	s->used = xcalloc(s->cap, 1);
	return s;
}

void
chunkset_free(struct chunkset *s)
{
	if (s == NULL)
		return;
	pthread_mutex_destroy(&s->lock);
	free(s->slots);
	free(s->used);
	free(s);
}

static size_t
slot_of(const uint8_t *id, size_t cap)
{
	uint64_t h;

	memcpy(&h, id, sizeof(h));
	return (size_t)h & (cap - 1);
}

/* Find ID's slot (or the empty one where it goes); lock held. */
static size_t
find(struct chunkset *s, const uint8_t *id)
{
	size_t i = slot_of(id, s->cap);

	while (s->used[i] && memcmp(s->slots[i], id, CRYPTO_HASH_LEN) != 0)
		i = (i + 1) & (s->cap - 1);
	return i;
}

static void
grow(struct chunkset *s)
{
	struct chunkset old = *s;

	s->cap *= 2;
	s->slots = xcalloc(s->cap, CRYPTO_HASH_LEN);
	s->used = xcalloc(s->cap, 1);
	for (size_t i = 0; i < old.cap; i++) {
		if (old.used[i]) {
			size_t j = find(s, old.slots[i]);

			memcpy(s->slots[j], old.slots[i], CRYPTO_HASH_LEN);
			s->used[j] = 1;
		}
	}
	free(old.slots);
	free(old.used);
}

bool
chunkset_add(struct chunkset *s, const uint8_t id[CRYPTO_HASH_LEN])
{
	bool had;
	size_t i;

	pthread_mutex_lock(&s->lock);
	if ((s->n + 1) * 4 > s->cap * 3)
		grow(s);
	i = find(s, id);
	had = s->used[i];
	if (!had) {
		memcpy(s->slots[i], id, CRYPTO_HASH_LEN);
		s->used[i] = 1;
		s->n++;
	}
	pthread_mutex_unlock(&s->lock);
	return had;
}

bool
chunkset_has(struct chunkset *s, const uint8_t id[CRYPTO_HASH_LEN])
{
	bool had;

	pthread_mutex_lock(&s->lock);
	had = s->used[find(s, id)];
	pthread_mutex_unlock(&s->lock);
	return had;
}

size_t
chunkset_count(struct chunkset *s)
{
	size_t n;

	pthread_mutex_lock(&s->lock);
	n = s->n;
	pthread_mutex_unlock(&s->lock);
	return n;
}
