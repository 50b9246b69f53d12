/*
 * A repository: immutable objects under one store URL (docs/FORMAT.md
 * for the bytes; docs/ARCHITECTURE.md for the modules of repo/;
 * repo/layout.h for the object names).
 */
#ifndef VV_REPO_H
#define VV_REPO_H

#include <stdbool.h>
#include <stdint.h>

#include "conf/conf.h"
#include "repo/codec.h"
#include "transport/store.h"

/* Written by init; versions from REPO_FORMAT_OLDEST on are read (and
 * written by their own rules). */
#define REPO_FORMAT_VERSION 3
#define REPO_FORMAT_OLDEST 1
/* The oldest format init makes (1 put no host in snapshot keys). */
#define REPO_FORMAT_FIRST_WRITTEN 2
/* Bounds of what is read back. */
#define REPO_MAX_META (64 * 1024 * 1024)	/* manifests, keys, config */
#define REPO_MAX_INDEX (1024ULL * 1024 * 1024)	/* 32 bytes a chunk */

struct repo;

/*
 * repo_init: create the repository of C (its url, chunk size, cipher) with
 * a new master key wrapped by the password of C. Refuses an existing one.
 * Returns 0 or -1 (logged).
 */
int repo_init(const struct conf *c);

/*
 * repo_init_format: repo_init, of format VERSION (REPO_FORMAT_FIRST_WRITTEN
 * to REPO_FORMAT_VERSION): 2 for a repository that hosts running a
 * release before format 3 must still read and write (no patches).
 */
int repo_init_format(const struct conf *c, int version);

/*
 * repo_open: open the repository of C and unwrap its key with the password
 * of C. A missing or corrupt config and a wrong password are errors that
 * say so. Returns a handle (free with repo_close) or NULL (logged).
 */
struct repo *repo_open(const struct conf *c);

/*
 * repo_init_in / repo_open_in: as repo_init_format and repo_open, in store S
 * rather than the store of C's url (whose other fields apply).
 * repo_init_in borrows S; repo_open_in takes it (closed on failure, and
 * by repo_close). For tests over an in-memory store (tests/fakes/store_mem.h);
 * no command calls them.
 */
int repo_init_in(const struct conf *c, struct store *s, int version);
struct repo *repo_open_in(const struct conf *c, struct store *s);

void repo_close(struct repo *r);

/*
 * repo_upgrade_format: raise R to REPO_FORMAT_VERSION (from 2: a config
 * object rewritten; no other object changes). Hosts with a release before
 * it refuse the repository from then on. Returns 1 (raised), 0 (it was) or
 * -1 (logged).
 */
int repo_upgrade_format(struct repo *r);

struct store *repo_store(struct repo *r);
const struct codec *repo_codec(struct repo *r);
uint32_t repo_chunk_size(const struct repo *r);
const char *repo_url(const struct repo *r);
const struct conf *repo_conf(const struct repo *r);

/* repo_version: the repository's format version (docs/FORMAT.md). */
int repo_version(const struct repo *r);

/* repo_host: the name this host's snapshots go under ([agent] host). */
const char *repo_host(const struct repo *r);

/* repo_workers: how many worker threads a pipeline into or out of R
 * uses: the cores, or more for a store that wants parallel requests (S3). */
int repo_workers(struct repo *r);

/*
 * repo_config_authentic: whether RAW (LEN bytes) is an authentic config
 * object of R: JSON naming R's ID, with the MAC under R's master key where
 * R's config carries one. Returns 0, or -1 with the reason in WHY (not
 * logged).
 */
int repo_config_authentic(struct repo *r, const void *raw, size_t len, char *why,
    size_t whylen);

/* repo_id_is_zero: whether ID stands for an all-zero chunk. */
bool repo_id_is_zero(const uint8_t id[CRYPTO_HASH_LEN]);

/*
 * repo_put_object / repo_get_object: encode/decode and store/load object
 * KEY of KIND. get: *OUT is a new buffer of *LEN bytes, at most MAX; a
 * manifest or index comes from the local cache when it is there and
 * decodes (authenticates), else from the store, and is then kept in the
 * cache (a cached file that fails is removed). Whether an object exists
 * is never decided by the cache: callers list or HEAD for that.
 * Return 0, VV_NOT_FOUND (get; not logged), or -1 (logged, naming KEY).
 */
int repo_put_object(struct repo *r, char kind, const char *key, const void *data,
    size_t len, int flags);
int repo_get_object(struct repo *r, char kind, const char *key, uint8_t **out,
    size_t *len, size_t max);

/*
 * repo_cache_reads: whether repo_get_object takes manifests and indexes
 * from the local cache (repo/cache.h; on when there is one). Off, they
 * are read from the store and still kept in the cache: for verify, which
 * checks the store itself.
 */
void repo_cache_reads(struct repo *r, bool on);

/* repo_cache_dir: the folder of R's local cache, or NULL when it has none. */
const char *repo_cache_dir(const struct repo *r);

/* repo_read_password: the password of C (password_file, else
 * VIRTVAULT_PASSWORD) as a new string. Returns NULL (logged) when none. */
char *repo_read_password(const struct conf *c);

#endif
