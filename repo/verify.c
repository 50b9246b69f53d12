#include "repo/verify.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "repo/chunkset.h"
#include "repo/fetch.h"
#include "repo/layout.h"


/*
 * Deep verify downloads in parallel: fetcher threads get, authenticate,
 * decompress and re-hash the chunks of a file ahead of the reader, within
 * a window of slots; the reader takes them in order for the file's SHA-256.
 */
struct pslot {
	uint64_t index;
	int state;		/* 0 empty, 1 done */
	bool fetched;		/* read and checked now (else: skipped) */
	int rc;
	uint8_t *data;
	size_t len;
	char err[256];
};

struct prefetch {
	struct repo *r;
	const struct index *ix;
	struct verify_state *vs;
	struct pslot *slots;
	size_t k;
	uint64_t next;		/* next chunk to fetch */
	uint64_t consumed;	/* chunks the reader is done with */
	bool stop;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t th[16];
	int nth;
};

/* What a verify run knows across snapshots: each distinct chunk is read once. */
struct verify_state {
	struct chunkset *have;		/* listed in chunks/ */
	struct chunkset *checked;	/* read, authenticated, hashed: good */
	struct chunkset *bad;		/* read and found bad (quarantined) */
	double sample;			/* fraction of chunks read, 1: all */
	uint64_t seed;
	bool deep;
	struct verify_result *res;
	pthread_mutex_t lock;
};

/* Whether chunk ID is in this run's sample (a random subset, fixed per run). */
static bool
in_sample(const struct verify_state *vs, const uint8_t *id)
{
	uint64_t h;

	if (vs->sample >= 1.0)
		return true;
	memcpy(&h, id + 8, sizeof(h));
	h ^= vs->seed;
	h *= 0x9e3779b97f4a7c15ULL;
	return (double)(h >> 11) / 9007199254740992.0 < vs->sample;
}

/* Move the bad chunk KEY aside, so that a later backup of its data uploads it again. */
static void
quarantine(struct repo *r, const char *key)
{
	void *raw = NULL;
	size_t len = 0;
	char *aside = xasprintf("%s%s", LAYOUT_QUARANTINE, key);

	if (store_get(repo_store(r), key, &raw, &len, codec_bound(repo_chunk_size(r))) == 0 &&
	    store_put(repo_store(r), aside, raw, len, 0) == 0 &&
	    store_delete(repo_store(r), key) >= 0)
		log_warn("repository %s: %s moved aside to %s: the next backup of its data stores it again",
		    repo_url(r), key, aside);
	free(raw);
	free(aside);
}

static void
fetch_one(struct prefetch *p, struct codec_work *w, uint64_t i, struct pslot *sl)
{
	const uint8_t *id = p->ix->ids[i];
	uint32_t cs = p->ix->chunk_size;
	struct verify_state *vs = p->vs;
	char key[LAYOUT_KEY_MAX];

	sl->rc = 0;
	sl->fetched = false;
	sl->err[0] = '\0';
	sl->len = index_chunk_len(p->ix->file_size, cs, i);
	if (repo_id_is_zero(id) || !chunkset_has(vs->have, id) || chunkset_has(vs->checked, id) ||
	    chunkset_has(vs->bad, id) || !in_sample(vs, id))
		return;
	sl->fetched = true;
	sl->rc = fetch_chunk(p->r, w, id, sl->data, sl->len, sl->err, sizeof(sl->err));
	pthread_mutex_lock(&vs->lock);
	vs->res->chunks_read++;
	vs->res->bytes_read += sl->len;
	pthread_mutex_unlock(&vs->lock);
	if (sl->rc == 0) {
		chunkset_add(vs->checked, id);
	} else if (!chunkset_add(vs->bad, id)) {
		layout_chunk_key(id, key, sizeof(key));
		quarantine(p->r, key);
	}
}

static void *
fetcher(void *arg)
{
	struct prefetch *p = arg;
	struct codec_work *w = codec_work_new(p->ix->chunk_size);

	for (;;) {
		uint64_t i;
		struct pslot *sl;

		pthread_mutex_lock(&p->lock);
		while (!p->stop && p->next < p->ix->count && p->next - p->consumed >= p->k)
			pthread_cond_wait(&p->cond, &p->lock);
		if (p->stop || p->next >= p->ix->count) {
			pthread_mutex_unlock(&p->lock);
			break;
		}
		i = p->next++;
		sl = &p->slots[i % p->k];
		pthread_mutex_unlock(&p->lock);
		fetch_one(p, w, i, sl);
		pthread_mutex_lock(&p->lock);
		sl->index = i;
		sl->state = 1;
		pthread_cond_broadcast(&p->cond);
		pthread_mutex_unlock(&p->lock);
	}
	codec_work_free(w);
	return NULL;
}

static struct prefetch *
prefetch_start(struct repo *r, const struct index *ix, struct verify_state *vs)
{
	struct prefetch *p = xcalloc(1, sizeof(*p));
	int n = repo_workers(r);

	p->r = r;
	p->ix = ix;
	p->vs = vs;
	p->k = (size_t)n * 2;
	p->slots = xcalloc(p->k, sizeof(*p->slots));
	for (size_t i = 0; i < p->k; i++)
		p->slots[i].data = xmalloc(ix->chunk_size);
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	for (; p->nth < n && p->nth < 16; p->nth++)
		if (pthread_create(&p->th[p->nth], NULL, fetcher, p) != 0)
			break;
	return p;
}

/* The result for chunk I (in order); hand it back with prefetch_done. */
static struct pslot *
prefetch_get(struct prefetch *p, uint64_t i)
{
	struct pslot *sl = &p->slots[i % p->k];

	pthread_mutex_lock(&p->lock);
	while (!(sl->state == 1 && sl->index == i))
		pthread_cond_wait(&p->cond, &p->lock);
	pthread_mutex_unlock(&p->lock);
	return sl;
}

static void
prefetch_done(struct prefetch *p, struct pslot *sl)
{
	pthread_mutex_lock(&p->lock);
	sl->state = 0;
	p->consumed++;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

static void
prefetch_stop(struct prefetch *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	for (int i = 0; i < p->nth; i++)
		pthread_join(p->th[i], NULL);
	for (size_t i = 0; i < p->k; i++)
		free(p->slots[i].data);
	free(p->slots);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
	free(p);
}

/* Checks of one file; returns its problems. */
static long
verify_file(struct repo *r, const struct manifest *m, const struct manifest_file *f,
    struct verify_state *vs, struct progress *progress)
{
	struct index ix = { 0 };
	struct prefetch *pf = NULL;
	struct pslot *sl = NULL;
	long problems = 0;

	if (fetch_index(r, m, f, &ix) < 0)
		return 1;
	if (vs->deep)
		pf = prefetch_start(r, &ix, vs);
	for (uint64_t i = 0; i < ix.count; i++) {
		uint64_t off = i * ix.chunk_size;
		const uint8_t *id = ix.ids[i];
		char key[LAYOUT_KEY_MAX];

		/* The previous chunk's slot goes back to the fetchers. */
		if (sl != NULL) {
			prefetch_done(pf, sl);
			sl = NULL;
		}
		if (pf != NULL)
			sl = prefetch_get(pf, i);
		progress_add(progress, index_chunk_len(f->size, ix.chunk_size, i));
		if (repo_id_is_zero(id))
			continue;
		layout_chunk_key(id, key, sizeof(key));
		if (!chunkset_has(vs->have, id)) {
			log_error("snapshot %s, file %s, offset %llu: chunk %s is missing", m->id,
			    f->name, (unsigned long long)off, key);
			problems++;
		} else if (sl != NULL && sl->fetched && sl->rc != 0) {
			/* The reason names the chunk. */
			log_error("snapshot %s, file %s, offset %llu: %s", m->id, f->name,
			    (unsigned long long)off, sl->err);
			problems++;
		} else if (vs->deep && chunkset_has(vs->bad, id)) {
			log_error("snapshot %s, file %s, offset %llu: chunk %s is corrupt (see above)",
			    m->id, f->name, (unsigned long long)off, key);
			problems++;
		}
	}
	if (sl != NULL)
		prefetch_done(pf, sl);
	prefetch_stop(pf);
	index_clear(&ix);
	return problems;
}

long
verify_snapshots(struct repo *r, struct manifest *const *l, size_t n,
    const struct verify_opts *o, struct verify_result *res, struct progress *progress)
{
	struct verify_state vs = { chunkset_new(), chunkset_new(), chunkset_new(),
		o->sample > 0 && o->sample < 1 ? o->sample : 1, 0, o->deep, res,
		PTHREAD_MUTEX_INITIALIZER };
	long problems = 0;

	memset(res, 0, sizeof(*res));
	crypto_random(&vs.seed, sizeof(vs.seed));
	res->broken = xcalloc(n + 1, sizeof(*res->broken));
	if (fetch_chunk_ids(r, vs.have) < 0) {
		problems = -1;
		free(res->broken);
		res->broken = NULL;
		goto out;
	}
	for (size_t k = 0; k < n; k++) {
		long before = problems;

		for (size_t i = 0; i < l[k]->nfiles; i++) {
			if (l[k]->chunk_size != repo_chunk_size(r)) {
				log_error("snapshot %s: chunk size %u differs from the repository's %u",
				    l[k]->id, l[k]->chunk_size, repo_chunk_size(r));
				problems++;
				break;
			}
			problems += verify_file(r, l[k], &l[k]->files[i], &vs, progress);
		}
		if (problems > before)
			res->broken[res->nbroken++] = l[k];
	}
	res->chunks_bad = chunkset_count(vs.bad);
out:
	chunkset_free(vs.have);
	chunkset_free(vs.checked);
	chunkset_free(vs.bad);
	pthread_mutex_destroy(&vs.lock);
	return problems;
}
