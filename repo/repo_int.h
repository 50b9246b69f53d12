/*
 * Inside the repository module: the handle, and what repo.c and keys.c
 * share. Nothing outside repo/repo.c and repo/keys.c includes this.
 */
#ifndef VV_REPO_INT_H
#define VV_REPO_INT_H

#include <json-c/json.h>
#include <stdbool.h>

#include "common/crypto.h"
#include "repo/repo.h"

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
};

/*
 * repo_store_json: object KEY of S as a JSON object, or NULL with
 * *NOTFOUND 1 (no such object), 2 (unreadable: logged) or 0 (not JSON).
 */
json_object *repo_store_json(struct store *s, const char *key, int *notfound);

/* repo_store_put_json: put O as object KEY of S with FLAGS (store_put). */
int repo_store_put_json(struct store *s, const char *key, json_object *o, int flags);

/*
 * keys_write: wrap MASTER under PASSWORD into a new keys/KID object of
 * repository REPO_ID (recording HOST), KID into KID_OUT unless NULL.
 * Returns 0 or -1 (logged).
 */
int keys_write(struct store *s, const char *repo_id, const char *password,
    const uint8_t master[CRYPTO_KEY_LEN], const char *host, char kid_out[17]);

/* keys_try: unwrap the master key of key object KEY with PASSWORD: 0, 1 wrong, -1. */
int keys_try(struct store *s, const char *key, const char *repo_id, const char *password,
    uint8_t master[CRYPTO_KEY_LEN]);

/* keys_read_export: the master key of repository REPO_ID from exported FILE. 0 or -1 (logged). */
int keys_read_export(const char *file, const char *repo_id, uint8_t master[CRYPTO_KEY_LEN]);

#endif
