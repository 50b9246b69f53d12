#include "repo/verify.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "repo/chunkset.h"
#include "repo/fetch.h"
#include "repo/idvec.h"
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
	struct idvec *want;		/* the chunk IDs the indexes name, sealed */
	uint8_t *have;			/* a bit per WANT: listed in chunks/ */
	struct chunkset *checked;	/* read, authenticated, hashed: good */
	struct chunkset *bad;		/* read and found bad (quarantined) */
	double sample;			/* fraction of chunks read, 1: all */
	uint64_t seed;
	bool deep;
	struct verify_result *res;
	pthread_mutex_t lock;
};

/* Whether chunk ID (one the indexes name) was listed in chunks/. */
static bool
present(const struct verify_state *vs, const uint8_t *id)
{
	size_t i = idvec_find(vs->want, id);

	return i != IDVEC_NONE && (vs->have[i / 8] >> (i % 8)) & 1;
}

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
	    store_delete(repo_store(r), key) == 0)
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
	if (repo_id_is_zero(id) || !present(vs, id) || chunkset_has(vs->checked, id) ||
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

/*
 * One file of one snapshot naming an index: verify groups them by index,
 * reads each index once and reports a problem of it for every use.
 */
struct use {
	struct manifest *m;
	const struct manifest_file *f;
	size_t k;		/* M's position in the list: its problems count */
	bool ok;		/* the index was read and is what F describes */
};

static int
use_cmp(const void *a, const void *b)
{
	const struct use *x = a, *y = b;
	int c = strcmp(x->f->index, y->f->index);

	return c != 0 ? c : x->k < y->k ? -1 : x->k > y->k;
}

/* Count a problem of P; its message (already logged) kept when it is the first. */
static void __attribute__((format(printf, 2, 3)))
problem_add(struct verify_problems *p, const char *fmt, ...)
{
	va_list ap;

	if (p->count++ > 0)
		return;
	va_start(ap, fmt);
	vsnprintf(p->first, sizeof(p->first), fmt, ap);
	va_end(ap);
}

/* Log WHAT about chunk I of index IX for each good use of U[0..N), and count it. */
static void
report_chunk(struct use *u, size_t n, const struct index *ix, uint64_t i, const char *what,
    struct verify_problems *pk)
{
	for (size_t j = 0; j < n; j++) {
		if (!u[j].ok)
			continue;
		log_error("snapshot %s, file %s, offset %llu: %s", u[j].m->id, u[j].f->name,
		    (unsigned long long)(i * ix->chunk_size), what);
		problem_add(&pk[u[j].k], "snapshot %s, file %s, offset %llu: %s", u[j].m->id,
		    u[j].f->name, (unsigned long long)(i * ix->chunk_size), what);
	}
}

/* Count the problem fetch_index_report logged for index use U (RC, ERR as it took them). */
static void
index_problem(struct verify_problems *p, const struct use *u, int rc, const char *err)
{
	if (rc == VV_NOT_FOUND || err[0] == '\0')
		problem_add(p, "snapshot %s, file %s: index %s is %s", u->m->id, u->f->name,
		    u->f->index, rc == VV_NOT_FOUND ? "missing" : "unreadable");
	else
		problem_add(p, "snapshot %s, file %s: index %s is invalid: %s", u->m->id,
		    u->f->name, u->f->index, err);
}

/*
 * Read index KEY of the N uses U once and check it against each; the good
 * ones' chunk IDs go into VS->want. Problems counted into PK.
 */
static void
read_group(struct repo *r, struct use *u, size_t n, struct verify_state *vs, struct verify_problems *pk,
    struct progress *progress)
{
	struct index ix = { 0 };
	char err[160];
	bool any = false;
	int rc = fetch_index_key(r, u[0].f->index, &ix, err, sizeof(err));

	for (size_t j = 0; j < n; j++) {
		char why[160];

		if (rc != 0) {
			fetch_index_report(u[j].m, u[j].f, rc, err);
			index_problem(&pk[u[j].k], &u[j], rc, err);
		} else if (fetch_index_check(u[j].f, &ix, why, sizeof(why)) < 0) {
			fetch_index_report(u[j].m, u[j].f, -1, why);
			index_problem(&pk[u[j].k], &u[j], -1, why);
		} else {
			u[j].ok = any = true;
			if (!vs->deep)
				progress_add(progress, u[j].f->size);
		}
	}
	for (uint64_t i = 0; any && i < index_objects(&ix); i++)
		if (!repo_id_is_zero(index_object(&ix, i)))
			idvec_add(vs->want, index_object(&ix, i));
	index_clear(&ix);
}

/*
 * The patches of IX (format 3) for the N uses U: missing, and with
 * VS->deep read and checked (each once), one after another: a nightly's
 * patches are few and small beside its chunks.
 */
static void
check_patches(struct repo *r, struct use *u, size_t n, const struct index *ix,
    struct verify_state *vs, struct verify_problems *pk)
{
	struct codec_work *w = ix->npatches > 0 && vs->deep ? codec_work_new(ix->chunk_size) : NULL;

	for (uint64_t k = 0; k < ix->npatches; k++) {
		const uint8_t *id = ix->patches[k].id;
		char key[LAYOUT_KEY_MAX], what[320];
		size_t len = 0;

		layout_chunk_key(id, key, sizeof(key));
		what[0] = '\0';
		if (!present(vs, id)) {
			snprintf(what, sizeof(what), "patch %s is missing", key);
		} else if (vs->deep && !chunkset_has(vs->checked, id) && !chunkset_has(vs->bad, id) &&
		    in_sample(vs, id)) {
			int rc = fetch_patch_check(r, w, ix, k, &len, what, sizeof(what));

			vs->res->chunks_read++;
			vs->res->bytes_read += len;
			if (rc == 0) {
				chunkset_add(vs->checked, id);
			} else if (!chunkset_add(vs->bad, id)) {
				quarantine(r, key);
			}
		} else if (vs->deep && chunkset_has(vs->bad, id)) {
			snprintf(what, sizeof(what), "patch %s is corrupt (see above)", key);
		}
		if (what[0] != '\0')
			report_chunk(u, n, ix, ix->patches[k].slot, what, pk);
	}
	if (w != NULL)
		codec_work_free(w);
}

/*
 * The chunks of the index of the N uses U, each chunk checked once for
 * all of them: missing (not listed), and with VS->deep read and checked.
 */
static void
check_group(struct repo *r, struct use *u, size_t n, struct verify_state *vs, struct verify_problems *pk,
    struct progress *progress)
{
	struct index ix = { 0 };
	struct prefetch *pf = NULL;
	struct pslot *sl = NULL;
	size_t nok = 0;
	char err[160];
	int rc;

	for (size_t j = 0; j < n; j++)
		nok += u[j].ok;
	if (nok == 0)
		return;
	rc = fetch_index_key(r, u[0].f->index, &ix, err, sizeof(err));
	if (rc != 0) {
		/* Read a moment ago: gone or changed since. */
		for (size_t j = 0; j < n; j++) {
			if (u[j].ok) {
				fetch_index_report(u[j].m, u[j].f, rc, err);
				index_problem(&pk[u[j].k], &u[j], rc, err);
			}
		}
		return;
	}
	if (vs->deep)
		pf = prefetch_start(r, &ix, vs);
	for (uint64_t i = 0; i < ix.count; i++) {
		const uint8_t *id = ix.ids[i];
		char key[LAYOUT_KEY_MAX], what[320];

		/* The previous chunk's slot goes back to the fetchers. */
		if (sl != NULL) {
			prefetch_done(pf, sl);
			sl = NULL;
		}
		if (pf != NULL)
			sl = prefetch_get(pf, i);
		if (vs->deep)
			progress_add(progress, nok * index_chunk_len(ix.file_size, ix.chunk_size, i));
		if (repo_id_is_zero(id))
			continue;
		layout_chunk_key(id, key, sizeof(key));
		what[0] = '\0';
		if (!present(vs, id))
			snprintf(what, sizeof(what), "chunk %s is missing", key);
		else if (sl != NULL && sl->fetched && sl->rc != 0)
			snprintf(what, sizeof(what), "%s", sl->err);	/* it names the chunk */
		else if (vs->deep && chunkset_has(vs->bad, id))
			snprintf(what, sizeof(what), "chunk %s is corrupt (see above)", key);
		if (what[0] != '\0')
			report_chunk(u, n, &ix, i, what, pk);
	}
	if (sl != NULL)
		prefetch_done(pf, sl);
	prefetch_stop(pf);
	check_patches(r, u, n, &ix, vs, pk);
	index_clear(&ix);
}

/* What the chunks/ listing streams into: the wanted IDs it shows, marked. */
static int
on_chunk(const char *key, uint64_t size, void *ctx)
{
	struct verify_state *vs = ctx;
	uint8_t id[CRYPTO_HASH_LEN];
	size_t i;

	(void)size;
	if (layout_id_of_key(key, id) == 0 && (i = idvec_find(vs->want, id)) != IDVEC_NONE)
		vs->have[i / 8] |= (uint8_t)(1u << (i % 8));
	return 0;
}

/* The uses of the N snapshots of L whose chunk size is the repository's, into *NU. */
static struct use *
uses_of(struct repo *r, struct manifest *const *l, size_t n, struct verify_problems *pk, size_t *nu)
{
	struct use *u = NULL;
	size_t cap = 0;

	*nu = 0;
	for (size_t k = 0; k < n; k++) {
		if (l[k]->nfiles > 0 && l[k]->chunk_size != repo_chunk_size(r)) {
			log_error("snapshot %s: chunk size %u differs from the repository's %u",
			    l[k]->id, l[k]->chunk_size, repo_chunk_size(r));
			problem_add(&pk[k], "snapshot %s: chunk size %u differs from the repository's %u",
			    l[k]->id, l[k]->chunk_size, repo_chunk_size(r));
			continue;
		}
		for (size_t i = 0; i < l[k]->nfiles; i++) {
			if (*nu == cap) {
				cap = cap ? cap * 2 : 64;
				u = xrealloc(u, alloc_mult(cap, sizeof(*u)));
			}
			u[(*nu)++] = (struct use){ l[k], &l[k]->files[i], k, false };
		}
	}
	if (*nu > 1)
		qsort(u, *nu, sizeof(*u), use_cmp);
	return u;
}

/*
 * Quick: each distinct index is read once, whatever number of snapshots
 * name it, and its chunk IDs noted (32 bytes each, once however many
 * indexes name them; a bit more for the listing); then chunks/ is listed
 * as a stream, marking the IDs it shows. Only when one is missing, or with
 * --deep (which reads the chunks), the indexes are read again, to say
 * where each problem is.
 */
long
verify_snapshots(struct repo *r, struct manifest *const *l, size_t n,
    const struct verify_opts *o, struct verify_result *res, struct progress *progress)
{
	struct verify_state vs = { idvec_new(CRYPTO_HASH_LEN, CRYPTO_HASH_LEN, true), NULL,
		chunkset_new(), chunkset_new(), o->sample > 0 && o->sample < 1 ? o->sample : 1, 0,
		o->deep, res, PTHREAD_MUTEX_INITIALIZER };
	struct verify_problems *pk = xcalloc(n + 1, sizeof(*pk));
	long problems = 0;
	size_t nu = 0, missing = 0;
	struct use *u;

	memset(res, 0, sizeof(*res));
	crypto_random(&vs.seed, sizeof(vs.seed));
	u = uses_of(r, l, n, pk, &nu);
	for (size_t g = 0, e; g < nu; g = e) {
		for (e = g + 1; e < nu && strcmp(u[e].f->index, u[g].f->index) == 0; e++)
			;
		read_group(r, u + g, e - g, &vs, pk, progress);
	}
	idvec_seal(vs.want);
	vs.have = xcalloc(idvec_count(vs.want) / 8 + 1, 1);
	if (store_list_each(repo_store(r), LAYOUT_CHUNKS, on_chunk, &vs) != 0) {
		problems = -1;
		goto out;
	}
	for (size_t i = 0; i < idvec_count(vs.want); i++) {
		char err[200];

		if ((vs.have[i / 8] >> (i % 8)) & 1)
			continue;
		/* Not listed: a delete marker may hide it, with good versions before. */
		if (fetch_readable(r, idvec_at(vs.want, i), err, sizeof(err)) == 0)
			vs.have[i / 8] |= (uint8_t)(1u << (i % 8));
		else
			missing++;
	}
	for (size_t g = 0, e; (missing > 0 || vs.deep) && g < nu; g = e) {
		for (e = g + 1; e < nu && strcmp(u[e].f->index, u[g].f->index) == 0; e++)
			;
		check_group(r, u + g, e - g, &vs, pk, progress);
	}
	res->broken = xcalloc(n + 1, sizeof(*res->broken));
	for (size_t k = 0; k < n; k++) {
		problems += pk[k].count;
		if (pk[k].count > 0)
			res->broken[res->nbroken++] = l[k];
	}
	res->chunks_bad = chunkset_count(vs.bad);
	res->per = pk;
	pk = NULL;
out:
	free(u);
	free(pk);
	idvec_free(vs.want);
	free(vs.have);
	chunkset_free(vs.checked);
	chunkset_free(vs.bad);
	pthread_mutex_destroy(&vs.lock);
	return problems;
}
