/*
 * Reading past an attack: where a versioned bucket keeps older versions,
 * an object that fails authentication, or is missing (hidden by a delete
 * marker), is read from its newest older version that authenticates, with
 * a warning naming it. Every reader of an authenticated object (chunks,
 * patches, indexes and manifests, key objects, the config) goes through
 * fallback_get; a store without versions costs nothing more than one
 * listing of the object's versions when it fails.
 */
#ifndef VV_REPO_FALLBACK_H
#define VV_REPO_FALLBACK_H

#include <stddef.h>
#include <time.h>

#include "common/util.h"
#include "transport/store.h"

/*
 * fallback_check_fn: whether RAW (LEN bytes), a version of object KEY,
 * authenticates: 0, or -1 with the reason in WHY (not logged). It may keep
 * what it decoded in CTX: the version accepted is the last one checked.
 */
typedef int (*fallback_check_fn)(const char *key, const void *raw, size_t len, void *ctx,
    char *why, size_t whylen);

/*
 * fallback_get: object KEY of S (at most CAP bytes) that CHECK accepts:
 * the current one, or when that one fails CHECK or is missing, the newest
 * older version CHECK accepts (warned, naming KEY, and recorded for
 * fallback_taken). With RAW not NULL, its bytes into *RAW (free()) and
 * *LEN. Returns 0, VV_NOT_FOUND (neither the object nor a version of it
 * that authenticates exists, not logged), or -1: none authenticates (the
 * current one's reason in WHY, not logged), or the store failed (logged).
 */
int fallback_get(struct store *s, const char *key, size_t cap, fallback_check_fn check,
    void *ctx, void **raw, size_t *len, char *why, size_t whylen);

/*
 * fallback_get_buf: as fallback_get, the current object read into B (a
 * worker's buffer, store_get_buf), where CHECK sees it; an older version
 * taken instead is not kept.
 */
int fallback_get_buf(struct store *s, const char *key, size_t cap, fallback_check_fn check,
    void *ctx, struct store_buf *b, char *why, size_t whylen);

/*
 * fallback_last_good: the newest version of KEY that CHECK accepts and
 * that is not newer than AS_OF (0: any), its id into ID (IDLEN bytes,
 * "" for a store without versions) and its bytes into *RAW (free()) and
 * *LEN; *CURRENT tells whether it is the current version. Returns 0,
 * VV_NOT_FOUND (none), or -1 (logged).
 */
int fallback_last_good(struct store *s, const char *key, size_t cap, time_t as_of,
    fallback_check_fn check, void *ctx, char *id, size_t idlen, void **raw, size_t *len,
    bool *current);

/*
 * fallback_list: append to KEYS the keys under PREFIX: those listed, and
 * those a delete marker hides where older versions are kept (warned:
 * fallback_get reads them); where the versions cannot be listed, the
 * current objects only (warned). Returns 0 or -1 (logged; KEYS as it was).
 */
int fallback_list(struct store *s, const char *prefix, struct strlist *keys);

/*
 * fallback_erase: delete KEY for good: the current object, then each
 * version a versioned bucket keeps (else a reader looks behind the delete
 * marker and finds it again). Returns 0, VV_NOT_FOUND, VV_DENIED (the
 * delete itself was refused), VV_LOCKED (a version stays: under Object
 * Lock, or this credential may not delete versions), or -1 (logged).
 */
int fallback_erase(struct store *s, const char *key);

/*
 * fallback_taken: append to KEYS the keys read from an older version so
 * far in this process (each once), for verify's list of attacked objects.
 */
void fallback_taken(struct strlist *keys);

#endif
