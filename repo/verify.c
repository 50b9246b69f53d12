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
	int rc;
	uint8_t *data;
	size_t len;
	char err[256];
};

struct prefetch {
	struct repo *r;
	const struct index *ix;
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

static void
fetch_one(struct prefetch *p, struct codec_work *w, uint64_t i, struct pslot *sl)
{
	const uint8_t *id = p->ix->ids[i];
	uint32_t cs = p->ix->chunk_size;

	sl->rc = 0;
	sl->err[0] = '\0';
	sl->len = index_chunk_len(p->ix->file_size, cs, i);
	if (repo_id_is_zero(id))
		return;
	sl->rc = fetch_chunk(p->r, w, id, sl->data, sl->len, sl->err, sizeof(sl->err));
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
prefetch_start(struct repo *r, const struct index *ix)
{
	struct prefetch *p = xcalloc(1, sizeof(*p));
	int n = repo_workers(r);

	p->r = r;
	p->ix = ix;
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
    struct chunkset *have, struct chunkset *bad, bool deep,
    uint8_t *buf, struct progress *progress)
{
	struct index ix = { 0 };
	struct crypto_sha *sha = NULL;
	struct prefetch *pf = NULL;
	struct pslot *pf_slot = NULL;
	long problems = 0;
	int rc;

	if (fetch_index(r, m, f, &ix) < 0)
		return 1;
	if (deep) {
		sha = crypto_sha_new();
		pf = prefetch_start(r, &ix);
	}
	for (uint64_t i = 0; i < ix.count; i++) {
		uint64_t off = i * ix.chunk_size;
		size_t len = index_chunk_len(f->size, ix.chunk_size, i);
		const uint8_t *id = ix.ids[i];
		char key[LAYOUT_KEY_MAX];

		/* The previous chunk's slot goes back to the fetchers. */
		if (pf_slot != NULL) {
			prefetch_done(pf, pf_slot);
			pf_slot = NULL;
		}
		if (pf != NULL)
			pf_slot = prefetch_get(pf, i);
		progress_add(progress, len);
		if (repo_id_is_zero(id)) {
			if (sha) {
				memset(buf, 0, len);
				crypto_sha_update(sha, buf, len);
			}
			continue;
		}
		layout_chunk_key(id, key, sizeof(key));
		if (!chunkset_has(have, id)) {
			log_error("snapshot %s, file %s, offset %llu: chunk %s is missing", m->id,
			    f->name, (unsigned long long)off, key);
			problems++;
			if (sha) {
				crypto_sha_final(sha, (uint8_t[CRYPTO_HASH_LEN]){ 0 });
				sha = NULL;
			}
			continue;
		}
		if (!deep)
			continue;
		if (chunkset_has(bad, id)) {
			log_error("snapshot %s, file %s, offset %llu: chunk %s is corrupt (see above)",
			    m->id, f->name, (unsigned long long)off, key);
			problems++;
			if (sha) {
				crypto_sha_final(sha, (uint8_t[CRYPTO_HASH_LEN]){ 0 });
				sha = NULL;
			}
			continue;
		}
		{
			uint8_t check[CRYPTO_HASH_LEN];

			rc = pf_slot->rc;
			if (rc != 0) {
				/* The reason names the chunk. */
				log_error("snapshot %s, file %s, offset %llu: %s", m->id, f->name,
				    (unsigned long long)off, pf_slot->err);
				chunkset_add(bad, id);
				problems++;
				if (sha) {
					crypto_sha_final(sha, check);
					sha = NULL;
				}
				continue;
			}
			if (sha)
				crypto_sha_update(sha, pf_slot->data, len);
		}
	}
	if (sha != NULL) {
		uint8_t d[CRYPTO_HASH_LEN];
		char hex[65];

		crypto_sha_final(sha, d);
		crypto_hex(d, sizeof(d), hex);
		if (strcmp(hex, f->sha256) != 0) {
			log_error("snapshot %s, file %s: the chunks give SHA-256 %s, the manifest says %s",
			    m->id, f->name, hex, f->sha256);
			problems++;
		}
	}
	if (pf_slot != NULL)
		prefetch_done(pf, pf_slot);
	prefetch_stop(pf);
	index_clear(&ix);
	return problems;
}

long
verify_snapshots(struct repo *r, struct manifest *const *l, size_t n, bool deep,
    struct progress *progress)
{
	struct chunkset *have = chunkset_new(), *bad = chunkset_new();
	uint8_t *buf = NULL;
	long problems = 0;

	if (fetch_chunk_ids(r, have) < 0) {
		problems = -1;
		goto out;
	}
	buf = xmalloc(repo_chunk_size(r) > (1u << 20) ? repo_chunk_size(r) : (1u << 20));
	for (size_t k = 0; k < n; k++) {
		for (size_t i = 0; i < l[k]->nfiles; i++) {
			if (l[k]->chunk_size != repo_chunk_size(r)) {
				log_error("snapshot %s: chunk size %u differs from the repository's %u",
				    l[k]->id, l[k]->chunk_size, repo_chunk_size(r));
				problems++;
				break;
			}
			problems += verify_file(r, l[k], &l[k]->files[i], have, bad, deep,
			    buf, progress);
		}
	}
out:
	free(buf);
	chunkset_free(have);
	chunkset_free(bad);
	return problems;
}
