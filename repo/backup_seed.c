/*
 * The known chunks of a backup: those of the newest snapshot of its own
 * group (the "known chunks" of Proxmox Backup Server), instead of a
 * listing of chunks/ whose cost grows with the repository.
 */
#include "repo/backup_seed.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/util.h"
#include "repo/fetch.h"
#include "repo/index.h"
#include "repo/layout.h"
#include "repo/manifest.h"

/* Where verify puts the chunks it found bad. */
#define SEED_QUARANTINE LAYOUT_QUARANTINE LAYOUT_CHUNKS

/* The IDs under quarantine/chunks/ into SET. Returns 0 or -1 (logged by the store). */
static int
quarantined(struct repo *r, struct chunkset *set)
{
	struct strlist keys = { 0 };

	if (store_list(repo_store(r), SEED_QUARANTINE, &keys) < 0)
		return -1;
	for (size_t i = 0; i < keys.n; i++) {
		uint8_t id[CRYPTO_HASH_LEN];

		if (layout_id_of_key(keys.v[i], id) == 0)
			chunkset_add(set, id);
	}
	strlist_clear(&keys);
	return 0;
}

static int
key_newest_first(const void *a, const void *b)
{
	return strcmp(*(char *const *)b, *(char *const *)a);
}

/*
 * The newest manifest of (this host, NAME) among KEYS (a listing of the
 * group's prefix, sorted here) whose time is not in the future: loaded, or
 * NULL when there is none. One forgotten since the listing or unreadable
 * is passed over (an unreadable one was logged).
 */
static struct manifest *
newest_of_group(struct repo *r, const char *host, const char *name, struct strlist *keys)
{
	time_t now = time(NULL);

	/* TIME in a key is fixed-width UTC: the order of keys is the order of times. */
	if (keys->n > 1)
		qsort(keys->v, keys->n, sizeof(*keys->v), key_newest_first);
	for (size_t i = 0; i < keys->n; i++) {
		struct manifest *m = NULL;

		if (manifest_load(r, keys->v[i], &m) != 0)
			continue;
		/* Version 1 keys name no host: another host's snapshot is not ours. */
		if (strcmp(m->name, name) == 0 && strcmp(manifest_host(m), host) == 0 &&
		    !util_time_future(m->when, now))
			return m;
		manifest_free(m);
	}
	return NULL;
}

/* The IDs of M's files into KNOWN, less those in BAD; *ADDED counts them. */
static void
seed_manifest(struct repo *r, const struct manifest *m, struct chunkset *bad,
    struct chunkset *known, size_t *added)
{
	for (size_t i = 0; i < m->nfiles; i++) {
		struct index ix = { 0 };

		/* An index that cannot be read (logged) only means fewer known chunks. */
		if (fetch_index(r, m, &m->files[i], &ix) < 0)
			continue;
		for (uint64_t k = 0; k < index_objects(&ix); k++) {
			const uint8_t *id = index_object(&ix, k);

			if (!repo_id_is_zero(id) && !chunkset_has(bad, id) && !chunkset_add(known, id))
				(*added)++;
		}
		index_clear(&ix);
	}
}

int
backup_seed_known(struct repo *r, const char *name, struct chunkset *known, size_t *seeded)
{
	return backup_seed_group(r, repo_host(r), name, known, seeded);
}

int
backup_seed_group(struct repo *r, const char *host, const char *name, struct chunkset *known,
    size_t *seeded)
{
	struct strlist keys = { 0 };
	struct chunkset *bad = chunkset_new();
	struct manifest *m = NULL;
	char *prefix = layout_snapshot_prefix(repo_version(r), host, name);
	size_t added = 0;
	int ret = -1;

	if (quarantined(r, bad) < 0 || store_list(repo_store(r), prefix, &keys) < 0)
		goto out;
	m = newest_of_group(r, host, name, &keys);
	if (m != NULL && m->chunk_size != repo_chunk_size(r))
		log_debug("repository %s: snapshot %s has chunks of %u bytes, not %u: nothing reused from it",
		    repo_url(r), m->id, m->chunk_size, repo_chunk_size(r));
	else if (m != NULL)
		seed_manifest(r, m, bad, known, &added);
	log_debug("repository %s: %zu chunks known from snapshot %s, %zu quarantined",
	    repo_url(r), added, m ? m->id : "(none)", chunkset_count(bad));
	ret = 0;
out:
	if (seeded != NULL)
		*seeded = added;
	manifest_free(m);
	strlist_clear(&keys);
	chunkset_free(bad);
	free(prefix);
	return ret;
}
