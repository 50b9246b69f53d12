/*
 * The local cache of a repository's immutable objects (manifests and
 * indexes), STATE_DIR/cache/ID/KEY: the encoded bytes exactly as the store
 * gave them, under the object's key (docs/FORMAT.md, "Local cache").
 * Folders 0700, files 0600, each written under a temporary name and
 * renamed. Bounded: past its size the least recently used files (by
 * modification time, which a hit renews) are removed. Safe to delete at
 * any time: a missing file or folder is a miss. The cache only supplies
 * content, which the caller authenticates like a store read (the codec
 * binds the key); it never says whether an object exists. Usable from
 * several threads and processes at once.
 */
#ifndef VV_REPO_CACHE_H
#define VV_REPO_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cache;

/*
 * cache_open: the cache of repository REPO_ID (32 hex digits) under
 * STATE_DIR, holding at most MAX_BYTES. Returns NULL when there is none:
 * MAX_BYTES 0 or STATE_DIR NULL (not logged), or its folder cannot be
 * made (a warning logged: the commands work without it). Free with
 * cache_free.
 */
struct cache *cache_open(const char *state_dir, const char *repo_id, uint64_t max_bytes);

void cache_free(struct cache *c);

/*
 * cache_key_ok: whether object KEY may be cached: a key under snapshots/
 * or indexes/ whose parts are plain names (no "..", no empty part).
 */
bool cache_key_ok(const char *key);

/*
 * cache_get: the cached bytes of KEY as a new buffer *OUT of *LEN bytes
 * (at most MAX), its use recorded. Returns 0, or 1 on a miss (no such
 * file, too large, unreadable: not logged).
 */
int cache_get(struct cache *c, const char *key, void **out, size_t *len, size_t max);

/*
 * cache_put: keep LEN bytes of DATA as KEY, then evict beyond the bound.
 * Best effort: a failure leaves no file and is logged at debug level only.
 */
void cache_put(struct cache *c, const char *key, const void *data, size_t len);

/* cache_drop: remove KEY's file (it failed authentication). */
void cache_drop(struct cache *c, const char *key);

/* cache_dir: the folder of C (STATE_DIR/cache/ID), for messages. */
const char *cache_dir(const struct cache *c);

#endif
