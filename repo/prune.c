#include "repo/prune.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/log.h"
#include "repo/chunkset.h"
#include "repo/index.h"
#include "repo/layout.h"
#include "repo/lock.h"
#include "repo/manifest.h"
#include "repo/stall.h"

/* What the manifests reference, and which manifests were read. */
struct mark {
	struct chunkset *chunks;
	struct chunkset *indexes;
	struct chunkset *manifests;	/* SHA-256 of their keys */
};

/* Mark the chunks of index KEY (once). 0, or -1 when it exists but cannot be read. */
static int
mark_index(struct repo *r, struct mark *mk, const char *key, const struct manifest *m)
{
	uint8_t id[CRYPTO_HASH_LEN], *buf = NULL;
	struct index ix;
	size_t len = 0;
	char err[160];
	int rc;

	if (layout_id_of_key(key, id) < 0) {
		log_error("repository %s: snapshot %s names an invalid index %s", repo_url(r), m->id, key);
		return -1;
	}
	if (chunkset_add(mk->indexes, id))
		return 0;
	rc = repo_get_object(r, CODEC_KIND_INDEX, key, &buf, &len, REPO_MAX_INDEX);
	if (rc == VV_NOT_FOUND) {
		/* Nothing to protect through it; verify reports the broken snapshot. */
		log_warn("repository %s: snapshot %s: index %s is missing", repo_url(r), m->id, key);
		return 0;
	}
	if (rc != 0)
		return -1;
	rc = index_decode(buf, len, &ix, err, sizeof(err));
	free(buf);
	if (rc < 0) {
		log_error("repository %s: snapshot %s: index %s is invalid: %s", repo_url(r), m->id,
		    key, err);
		return -1;
	}
	for (uint64_t i = 0; i < ix.count; i++)
		if (!repo_id_is_zero(ix.ids[i]))
			chunkset_add(mk->chunks, ix.ids[i]);
	index_clear(&ix);
	return 0;
}

/* Mark manifest KEY and what it references. 0 or -1 (logged). */
static int
mark_manifest(struct repo *r, struct mark *mk, const char *key)
{
	struct manifest *m;
	int rc = 0;

	if (manifest_load(r, key, &m) != 0)
		return -1;
	for (size_t i = 0; i < m->nfiles && rc == 0; i++)
		rc = mark_index(r, mk, m->files[i].index, m);
	manifest_free(m);
	return rc;
}

/*
 * Mark every manifest not marked yet. *NEW counts them. A manifest that
 * vanished meanwhile (forgotten) is skipped. 0 or -1.
 */
static int
mark_manifests(struct repo *r, struct mark *mk, size_t *count)
{
	struct strlist keys = { 0 };
	int ret = 0;

	*count = 0;
	if (store_list(repo_store(r), LAYOUT_SNAPSHOTS, &keys) < 0)
		return -1;
	for (size_t i = 0; i < keys.n && ret == 0; i++) {
		uint8_t h[CRYPTO_HASH_LEN];

		crypto_sha256(keys.v[i], strlen(keys.v[i]), h);
		if (chunkset_has(mk->manifests, h))
			continue;
		if (mark_manifest(r, mk, keys.v[i]) < 0) {
			if (store_exists(repo_store(r), keys.v[i]) == 0)
				continue;	/* forgotten meanwhile */
			log_error("repository %s: manifest %s cannot be read: prune deletes nothing (run 'virtvault verify', or forget that snapshot)",
			    repo_url(r), keys.v[i]);
			ret = -1;
			break;
		}
		chunkset_add(mk->manifests, h);
		(*count)++;
	}
	strlist_clear(&keys);
	return ret;
}

/* Objects of ours under a prefix, with their sizes. */
struct listing {
	struct strlist keys;
	uint64_t *sizes;
};

/* Our object keys under PREFIX into L. */
static int
list_ours(struct repo *r, const char *prefix, struct listing *l, size_t *total,
    uint64_t *bytes_total)
{
	struct strlist all = { 0 };
	uint64_t *allsz = NULL;

	if (store_list_sizes(repo_store(r), prefix, &all, &allsz) < 0)
		return -1;
	l->sizes = xcalloc(all.n + 1, sizeof(*l->sizes));
	for (size_t i = 0; i < all.n; i++) {
		uint8_t id[CRYPTO_HASH_LEN];

		/* Only names of ours: anything else under the prefix is left alone. */
		if (layout_id_of_key(all.v[i], id) < 0)
			continue;
		l->sizes[l->keys.n] = allsz ? allsz[i] : 0;
		*bytes_total += l->sizes[l->keys.n];
		strlist_add(&l->keys, all.v[i]);
	}
	*total = l->keys.n;
	free(allsz);
	strlist_clear(&all);
	return 0;
}

/* Keep in L only what MARKED does not hold; count it into *N, its bytes into *BYTES. */
static void
drop_marked(struct listing *l, struct chunkset *marked, size_t *n, uint64_t *bytes)
{
	size_t k = 0;

	for (size_t i = 0; i < l->keys.n; i++) {
		uint8_t id[CRYPTO_HASH_LEN];

		layout_id_of_key(l->keys.v[i], id);
		if (chunkset_has(marked, id)) {
			free(l->keys.v[i]);
			continue;
		}
		*bytes += l->sizes[i];
		l->keys.v[k++] = l->keys.v[i];
	}
	l->keys.n = k;
	*n = k;
}

static int
remove_stale_locks(struct repo *r, bool dry_run, size_t *n)
{
	struct repo_lock_info *locks = NULL;
	size_t nl = 0;

	if (repo_locks_list(r, &locks, &nl) < 0)
		return -1;
	for (size_t i = 0; i < nl; i++) {
		if (!locks[i].stale)
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
		return (time_t)atol(e);
#endif
	return REPO_LOCK_STALE;
}

int
prune_run(struct repo *r, bool dry_run, struct prune_stats *st)
{
	struct mark mk = { chunkset_new(), chunkset_new(), chunkset_new() };
	struct listing chunks = { { 0 }, NULL }, indexes = { { 0 }, NULL };
	struct repo_lock *lock = NULL;
	double t = clock_mono();
	size_t late = 0;
	int ret = -1, rc;

	memset(st, 0, sizeof(*st));
	/* A listed key (~75 bytes + pointer + allocation), its size, and its ID
	 * in the marked set (32 bytes at a load of at most 3/4). */
	st->bytes_per_chunk = 75 + 8 + 16 + 8 + 45;
	/* Mark, without a lock: what exists, then what the manifests reference.
	 * What is uploaded after the listing is never a candidate. */
	if (list_ours(r, LAYOUT_CHUNKS, &chunks, &st->chunks, &st->bytes_total) < 0 ||
	    list_ours(r, LAYOUT_INDEXES, &indexes, &st->indexes, &st->bytes_total) < 0 ||
	    mark_manifests(r, &mk, &st->snapshots) < 0)
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
		if (mark_manifests(r, &mk, &late) < 0)
			goto out;
		st->late_snapshots = late;
		st->snapshots += late;
	}
	drop_marked(&chunks, mk.chunks, &st->chunks_unused, &st->bytes_unused);
	drop_marked(&indexes, mk.indexes, &st->indexes_unused, &st->bytes_unused);
	if (!dry_run) {
		if (repo_lock_check(lock) < 0)
			goto out;
		/* Indexes first: a chunk is never unreferenced while an index names it. */
		st->failed += store_delete_many(repo_store(r), indexes.keys.v, indexes.keys.n);
		repo_stall_point("prune-delete");
		st->failed += store_delete_many(repo_store(r), chunks.keys.v, chunks.keys.n);
	}
	if (remove_stale_locks(r, dry_run, &st->locks_stale) < 0 ||
	    store_cleanup(repo_store(r), time(NULL) - debris_age(), dry_run, &st->debris) < 0)
		goto out;
	st->seconds_sweep = clock_mono() - t;
	ret = st->failed ? -1 : 0;
out:
	repo_lock_release(lock);
	strlist_clear(&chunks.keys);
	strlist_clear(&indexes.keys);
	free(chunks.sizes);
	free(indexes.sizes);
	chunkset_free(mk.chunks);
	chunkset_free(mk.indexes);
	chunkset_free(mk.manifests);
	return ret;
}
