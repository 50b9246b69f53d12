/*
 * The object names of a repository, in one place (docs/FORMAT.md). Nobody
 * else spells them.
 *
 *   config                      format version, ID, chunk size, cipher
 *   keys/KID                    the master key wrapped under a password
 *   chunks/XX/ID                chunks of image bytes
 *   indexes/XX/ID               per image file, the ordered chunk IDs
 *   snapshots/HOST/NAME/TIME-ID manifests (version 1: snapshots/NAME/TIME-ID)
 *   locks/ID                    who works on the repository (repo/lock.h)
 *   quarantine/chunks/XX/ID     chunks verify found bad, moved aside
 *   retention                   the last Object Lock extension round (repo/objlock.h)
 */
#ifndef VV_REPO_LAYOUT_H
#define VV_REPO_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/crypto.h"
#include "common/util.h"

#define LAYOUT_CONFIG "config"
#define LAYOUT_KEYS "keys/"
#define LAYOUT_CHUNKS "chunks/"
#define LAYOUT_INDEXES "indexes/"
#define LAYOUT_SNAPSHOTS "snapshots/"
#define LAYOUT_LOCKS "locks/"
#define LAYOUT_QUARANTINE "quarantine/"
/* A forget request: the manifest's key and this (docs/FORMAT.md). */
#define LAYOUT_FORGET_SUFFIX ".forget"
#define LAYOUT_RETENTION "retention"

/* Room for any key this file makes but a snapshot's. */
#define LAYOUT_KEY_MAX 96

/* layout_chunk_key: "chunks/XX/HEX" of ID into BUF (LAYOUT_KEY_MAX bytes). */
char *layout_chunk_key(const uint8_t id[CRYPTO_HASH_LEN], char *buf, size_t len);

/* layout_index_key: "indexes/XX/HEX" of ID into BUF (LAYOUT_KEY_MAX bytes). */
char *layout_index_key(const uint8_t id[CRYPTO_HASH_LEN], char *buf, size_t len);

/* layout_key_key: "keys/KIDHEX", a new string. */
char *layout_key_key(const char *kidhex);

/*
 * layout_snapshot_key: "snapshots/HOST/NAME/STAMP-ID" of a manifest made at
 * TIME ("2026-11-26T02:00:00Z") in a repository of format VERSION (1:
 * "snapshots/NAME/STAMP-ID"), a new string.
 */
char *layout_snapshot_key(int version, const char *host, const char *name,
    const char *time, const char *id);

/*
 * layout_snapshot_prefix: the longest key prefix holding every manifest of
 * HOST and NAME (either may be NULL: any) in format VERSION; a new string.
 * Listing it may return others too (version 1 has no host in the key).
 */
char *layout_snapshot_prefix(int version, const char *host, const char *name);

/* The parts of a manifest's key (layout_snapshot_parse). */
struct layout_snapshot {
	char host[129];		/* "" in a version-1 key */
	char name[129];
	char time[21];		/* as a manifest writes it: 2026-11-26T02:00:00Z */
	time_t when;		/* the same, parsed */
	char id[17];
};

/*
 * layout_snapshot_parse: the parts of KEY, a manifest's key in format
 * VERSION (what layout_snapshot_key makes), into OUT. Returns 0, or -1
 * when KEY is not such a key.
 */
int layout_snapshot_parse(int version, const char *key, struct layout_snapshot *out);

/*
 * layout_id_of_key: the ID at the end of a chunks/ or indexes/ key into ID.
 * Returns 0, or -1 when KEY does not end in one.
 */
int layout_id_of_key(const char *key, uint8_t id[CRYPTO_HASH_LEN]);

/*
 * layout_name_valid: whether NAME (a backup or domain name) can be part of
 * an object name: 1 to 128 of [A-Za-z0-9_.-], not starting with '.'.
 */
bool layout_name_valid(const char *name);

/* What layout_name_valid accepts, for messages. */
#define LAYOUT_NAME_RULE UTIL_NAME_RULE

#endif
