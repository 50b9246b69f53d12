/*
 * Inside the repository module: the handle, and what repo.c uses of
 * keys.c (key objects) and config.c (the config's MAC). keys.c and
 * config.c never call into repo.c: what all three need of the store is in
 * repo/repo_store.h, the password in repo/repo_password.c. Nothing
 * outside repo/repo.c, repo/keys.c, repo/config.c and repo/objlock*.c
 * includes this.
 */
#ifndef VV_REPO_INT_H
#define VV_REPO_INT_H

#include <json-c/json.h>
#include <stdbool.h>

#include "common/crypto.h"
#include "repo/cache.h"
#include "repo/objlock.h"
#include "repo/repo.h"
#include "repo/repo_store.h"

struct repo {
	struct store *store;
	struct codec *codec;
	const struct conf *conf;
	uint32_t chunk_size;
	int version;
	char id[33];
	/* The master key (encrypted repositories), for key management. */
	uint8_t master[CRYPTO_KEY_LEN];
	bool has_master;
	char kid[17];		/* the key object that opened it; "" for an exported key */
	int kver;		/* the version of that key object (KEYS_V1, KEYS_V2); 0 for none */
	bool mac;		/* the config object carries its MAC */
	struct cache *cache;	/* manifests and indexes kept locally, or NULL */
	bool cache_reads;	/* taken from the cache (else only kept there) */
	struct objlock lock;	/* as the config records it (repo/objlock.c) */
};

/*
 * The versions of key objects (docs/FORMAT.md, "keys/KID"): a key object
 * of version 2 records, under its password, the repository's ID and that
 * its config object carries a MAC; version 1 records neither.
 */
#define KEYS_V1 1
#define KEYS_V2 2

/*
 * keys_write: wrap MASTER under PASSWORD into a new keys/KID object of
 * VERSION (KEYS_V2 only for a repository whose config carries its MAC)
 * of repository REPO_ID (recording HOST), KID into KID_OUT unless NULL.
 * Returns 0 or -1 (logged).
 */
int keys_write(struct store *s, const char *repo_id, int version, const char *password,
    const uint8_t master[CRYPTO_KEY_LEN], const char *host, char kid_out[17]);

/*
 * keys_try: unwrap the master key of key object KEY with PASSWORD; a key
 * of version 1 is bound to CONFIG_ID, one of version 2 to the ID it
 * records. Its version into *VERSION and the repository ID it is bound to
 * into RID. Returns 0, 1 (wrong password), or -1 (unusable: logged).
 */
int keys_try(struct store *s, const char *key, const char *config_id, const char *password,
    uint8_t master[CRYPTO_KEY_LEN], int *version, char rid[33]);

/*
 * keys_read_export: the master key of repository REPO_ID from exported
 * FILE; *RECORDED tells whether the file records that the config carries
 * a MAC. Returns 0 or -1 (logged).
 */
int keys_read_export(const char *file, const char *repo_id, uint8_t master[CRYPTO_KEY_LEN],
    bool *recorded);

/* config_mac: the MAC of CFG's parameters under MASTER, 64 hex digits into OUT. 0 or -1. */
int config_mac(const uint8_t master[CRYPTO_KEY_LEN], json_object *cfg, char out[65]);

/*
 * config_check: check the parameters of config object CFG of store S
 * against their MAC under MASTER (*HAS_MAC true when it has one). A
 * config without MAC is refused when RECORDED (what opened the
 * repository and records that it has one, e.g. "key object keys/KID")
 * is not NULL or another key object says so; otherwise accepted with a
 * warning, and nothing is written. Returns 0, or -1 (logged).
 */
int config_check(struct store *s, const uint8_t master[CRYPTO_KEY_LEN], json_object *cfg,
    const char *recorded, bool *has_mac);

/*
 * config_upgrade: write the MAC of R's config object, which has none, as
 * R was opened with it. Returns 1 (written), 0 (it had one already) or -1
 * (logged; the config object is unchanged).
 */
int config_upgrade(struct repo *r);

/*
 * config_raise_version: write R's config object with format VERSION (its
 * MAC renewed) when R is older, as R was opened with it. Returns 1
 * (written), 0 (R is of VERSION or newer) or -1 (logged; unchanged).
 */
int config_raise_version(struct repo *r, int version);

#endif
