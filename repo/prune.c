#include "repo/prune.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/par.h"
#include "repo/forget.h"
#include "repo/index.h"
#include "repo/layout.h"
#include "repo/lock.h"
#include "repo/manifest.h"
#include "repo/objlock.h"
#include "repo/prune_plan.h"
#include "common/fault.h"

/* One index read for the mark: its key, who names it, what came back. */
struct index_read {
	struct repo *r;
	const char *key;
	const struct manifest *m;
	int rc;			/* 0 read, 1 missing, -1 unreadable or invalid (logged) */
	struct index ix;
};

static void
read_index_one(size_t i, void *ctx)
{
	struct index_read *x = (struct index_read *)ctx + i;
	uint8_t *buf = NULL;
	size_t len = 0;
	char err[160];
	int rc = repo_get_object(x->r, CODEC_KIND_INDEX, x->key, &buf, &len, REPO_MAX_INDEX);

	x->rc = rc == VV_NOT_FOUND ? 1 : rc == 0 ? 0 : -1;
	if (rc != 0)
		return;
	if (index_decode(buf, len, &x->ix, err, sizeof(err)) < 0) {
		log_error("repository %s: snapshot %s: index %s is invalid: %s", repo_url(x->r),
		    x->m->id, x->key, err);
		x->rc = -1;
	}
	free(buf);
}

/* Whether index KEY is among the first N of X already. */
static bool
index_queued(const struct index_read *x, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(x[i].key, key) == 0)
			return true;
	return false;
}

/*
 * Mark the N manifests M (loaded) with the indexes they name that are not
 * marked yet, read at once. Only an index that was read is marked (a
 * missing one with nothing: verify reports it). 0, or -1 (logged) when one
 * exists but cannot be read.
 */
static int
mark_batch(struct repo *r, struct prune_plan *p, struct objlock_round *ol, struct manifest **m,
    size_t n)
{
	struct index_read *x = NULL;
	size_t nx = 0, cap = 0;
	int ret = 0;

	for (size_t k = 0; k < n && ret == 0; k++) {
		for (size_t i = 0; i < m[k]->nfiles; i++) {
			const char *key = m[k]->files[i].index;
			int seen = prune_plan_index_seen(p, key);

			if (seen < 0) {
				log_error("repository %s: snapshot %s names an invalid index %s",
				    repo_url(r), m[k]->id, key);
				ret = -1;
				break;
			}
			if (seen == 1 || index_queued(x, nx, key))
				continue;
			ALLOC_GROW(x, nx + 1, cap);
			x[nx++] = (struct index_read){ r, key, m[k], 0, { 0 } };
		}
	}
	if (ret == 0)
		par_each(nx, repo_conf(r)->read_parallel, read_index_one, x);
	for (size_t i = 0; i < nx; i++) {
		if (ret == 0 && x[i].rc == 1)
			log_warn("repository %s: snapshot %s: index %s is missing", repo_url(r),
			    x[i].m->id, x[i].key);
		if (ret == 0 && x[i].rc >= 0) {
			ret = prune_plan_index_mark(p, x[i].key, x[i].rc == 0 ? &x[i].ix : NULL);
			objlock_round_index(ol, x[i].key, x[i].rc == 0 ? &x[i].ix : NULL);
		} else if (ret == 0)
			ret = -1;
		index_clear(&x[i].ix);
	}
	free(x);
	return ret;
}

/* Manifests read at once for the mark: bounds the indexes held at a time. */
#define PRUNE_MARK_BATCH 64

/*
 * Mark every manifest not marked yet, PRUNE_MARK_BATCH at a time, each
 * batch's manifests and then their indexes read at once. *COUNT counts
 * them. A manifest that vanished meanwhile (forgotten) is skipped. 0 or -1.
 */
static int
mark_manifests(struct repo *r, struct prune_plan *p, struct objlock_round *ol, size_t *count)
{
	struct strlist keys = { 0 }, todo = { 0 };
	struct manifest *m[PRUNE_MARK_BATCH], *read[PRUNE_MARK_BATCH];
	int ret = 0;

	*count = 0;
	if (manifest_list_keys(r, LAYOUT_SNAPSHOTS, &keys) < 0)
		return -1;
	for (size_t i = 0; i < keys.n; i++)
		if (!prune_plan_manifest_seen(p, keys.v[i]))
			strlist_add(&todo, keys.v[i]);
	for (size_t at = 0; at < todo.n && ret == 0; at += PRUNE_MARK_BATCH) {
		size_t n = todo.n - at < PRUNE_MARK_BATCH ? todo.n - at : PRUNE_MARK_BATCH, got = 0;

		manifest_load_many(r, todo.v + at, n, m);
		for (size_t i = 0; i < n && ret == 0; i++) {
			if (m[i] != NULL)
				read[got++] = m[i];
			else if (store_exists(repo_store(r), todo.v[at + i]) != 0) {
				log_error("repository %s: manifest %s cannot be read: prune deletes nothing (run 'virtvault verify', or forget that snapshot)",
				    repo_url(r), todo.v[at + i]);
				ret = -1;
			}	/* else forgotten meanwhile */
		}
		if (ret == 0)
			ret = mark_batch(r, p, ol, read, got);
		for (size_t i = 0; i < n; i++) {
			if (ret == 0 && m[i] != NULL) {
				prune_plan_manifest_mark(p, m[i]->key);
				objlock_round_manifest(ol, m[i]->key);
				(*count)++;
			}
			manifest_free(m[i]);
		}
	}
	strlist_clear(&todo);
	strlist_clear(&keys);
	return ret;
}

/* What a listing of ours streams into. */
struct listing {
	struct prune_plan *p;
	bool indexes;
};

static int
on_listed(const char *key, uint64_t size, void *ctx)
{
	struct listing *l = ctx;

	prune_plan_listed(l->p, l->indexes, key, size);
	return 0;
}

/* Stream what is under indexes/ (INDEXES) or chunks/ into P: only candidates stay. */
static int
list_ours(struct repo *r, struct prune_plan *p, bool indexes)
{
	struct listing l = { p, indexes };

	return store_list_each(repo_store(r), indexes ? LAYOUT_INDEXES : LAYOUT_CHUNKS, on_listed,
	    &l) == 0 ? 0 : -1;
}

/* Where candidates of unknown size are looked up. */
struct sizing {
	struct repo *r;
	bool indexes;
};

/* A candidate the listing gave no size for (file://): stat it, and only it. */
static void
size_candidate(struct prune_plan_candidate *c, void *ctx)
{
	struct sizing *z = ctx;
	char key[LAYOUT_KEY_MAX];
	uint64_t size;

	if (c->size != STORE_SIZE_UNKNOWN)
		return;
	if (z->indexes)
		layout_index_key(c->id, key, sizeof(key));
	else
		layout_chunk_key(c->id, key, sizeof(key));
	if (store_size(repo_store(z->r), key, &size) == 0)
		c->size = size;
}

/*
 * Delete the N candidates at C (indexes/ when INDEXES), 1000 keys at a
 * time: the keys are never all in memory. Returns how many failed.
 */
static size_t
delete_candidates(struct repo *r, bool indexes, const struct prune_plan_candidate *c, size_t n,
    struct objlock_sweep *lk)
{
	enum { BATCH = 1000 };
	char (*buf)[LAYOUT_KEY_MAX] = xcalloc(BATCH, LAYOUT_KEY_MAX);
	char **keys = xcalloc(BATCH, sizeof(*keys));
	size_t failed = 0;

	for (size_t b = 0; b < n; b += BATCH) {
		size_t nb = n - b < BATCH ? n - b : BATCH;

		for (size_t i = 0; i < nb; i++)
			keys[i] = indexes ? layout_index_key(c[b + i].id, buf[i], LAYOUT_KEY_MAX) :
			    layout_chunk_key(c[b + i].id, buf[i], LAYOUT_KEY_MAX);
		/* Under Object Lock: each version, once its retention passed. */
		if (objlock_of(r)->mode != STORE_LOCK_NONE)
			objlock_sweep(r, keys, nb, lk);
		else
			failed += store_delete_many(repo_store(r), keys, nb);
	}
	free(keys);
	free(buf);
	return failed;
}

static int
remove_stale_locks(struct repo *r, bool dry_run, size_t *n)
{
	struct repo_lock_info *locks = NULL;
	size_t nl = 0;

	if (repo_locks_list(r, &locks, &nl) < 0)
		return -1;
	for (size_t i = 0; i < nl; i++) {
		/* One that could not be read now may be live: not removed. */
		if (!locks[i].stale || locks[i].unreadable)
			continue;
		(*n)++;
		log_info("repository %s: %s stale lock %s of host %s (%s)", repo_url(r),
		    dry_run ? "would remove" : "removing", locks[i].key, locks[i].host, locks[i].why);
		if (!dry_run)
			repo_lock_remove(r, locks[i].key);
	}
	free(locks);
	return 0;
}

/*
 * Debris older than this is no running writer's: the stale bound. The test
 * build (build/virtvault-faults) takes VIRTVAULT_TEST_DEBRIS_AGE instead.
 */
static time_t
debris_age(void)
{
#ifdef VV_FAULT_HOOKS
	const char *e = getenv("VIRTVAULT_TEST_DEBRIS_AGE");

	if (e != NULL)
		return (time_t)strtoll(e, NULL, 10);
#endif
	return REPO_LOCK_STALE;
}

int
prune_run(struct repo *r, bool dry_run, struct prune_stats *st)
{
	struct prune_plan *p = prune_plan_new();
	struct prune_plan_sweep sw = { 0 };
	struct repo_lock *lock = NULL;
	struct sizing zc = { r, false }, zi = { r, true };
	struct objlock_round *ol = objlock_round_new(r);
	double t = clock_mono();
	size_t late = 0, requests = 0;
	int ret = -1, rc;

	memset(st, 0, sizeof(*st));
	/* Hosts that may not delete: prune is the admin's, and carries out their requests. */
	if ((!dry_run && repo_lock_probe_delete(r, "prune") != 0) ||
	    forget_requests_apply(r, dry_run, &requests) < 0)
		goto out;
	/* Mark, without a lock: what the manifests reference, then the
	 * listings, keeping only what is not referenced (the candidates). */
	if (mark_manifests(r, p, ol, &st->snapshots) < 0 || list_ours(r, p, false) < 0 ||
	    list_ours(r, p, true) < 0)
		goto out;
	prune_plan_each_candidate(p, false, size_candidate, &zc);
	prune_plan_each_candidate(p, true, size_candidate, &zi);
	/* Every object a live snapshot references stays locked (repo/objlock.h). */
	if (objlock_round_run(ol, false, dry_run, &st->round) < 0)
		goto out;
	st->seconds_mark = clock_mono() - t;
	t = clock_mono();
	if (!dry_run) {
		rc = repo_lock_take(r, REPO_LOCK_EXCLUSIVE, "prune", &lock);
		if (rc != 0) {
			ret = rc;
			goto out;
		}
		/* Backups that published since the mark: what they use stays. */
		if (mark_manifests(r, p, ol, &late) < 0)
			goto out;
		st->late_snapshots = late;
		st->snapshots += late;
	}
	prune_plan_sweep(p, &sw);
	st->chunks = sw.nchunks;
	st->indexes = sw.nindexes;
	st->chunks_unused = sw.nchunks_unused;
	st->indexes_unused = sw.nindexes_unused;
	st->bytes_total = sw.bytes_total;
	st->bytes_total_known = sw.bytes_total_known;
	st->bytes_unused = sw.bytes_unused;
	st->bytes_per_chunk = (sw.peak_bytes + sw.nchunks - 1) / (sw.nchunks ? sw.nchunks : 1);
	if (!dry_run) {
		if (repo_lock_check(lock) < 0)
			goto out;
		/* Indexes first: a chunk is never unreferenced while an index names it. */
		st->failed += delete_candidates(r, true, sw.indexes, sw.nindexes_unused, &st->locked);
		fault_stall("prune-delete", NULL, NULL);
		st->failed += delete_candidates(r, false, sw.chunks, sw.nchunks_unused, &st->locked);
		st->failed += st->locked.failed;
	}
	if (remove_stale_locks(r, dry_run, &st->locks_stale) < 0 ||
	    store_cleanup(repo_store(r), time(NULL) - debris_age(), dry_run, &st->debris) < 0)
		goto out;
	st->seconds_sweep = clock_mono() - t;
	ret = st->failed ? -1 : 0;
out:
	repo_lock_release(lock);
	objlock_round_free(ol);
	prune_plan_free(p);
	return ret;
}
