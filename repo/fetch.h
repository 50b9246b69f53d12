/*
 * Reading a repository's data back, shared by backup, restore and verify:
 * one chunk fetched, decoded and checked, one
 * index loaded and checked against its manifest.
 */
#ifndef VV_REPO_FETCH_H
#define VV_REPO_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include "repo/codec.h"
#include "repo/index.h"
#include "repo/manifest.h"
#include "repo/repo.h"

/*
 * fetch_chunk: chunk ID into BUF, which holds LEN bytes: fetched,
 * authenticated and decompressed by the codec, then checked to be LEN
 * bytes whose keyed hash is ID (docs/FORMAT.md: a reader must). W is the
 * caller's codec work area. Returns 0, or -1 with the reason in ERR
 * (naming the chunk; not logged: the caller adds file and offset).
 */
int fetch_chunk(struct repo *r, struct codec_work *w, const uint8_t id[CRYPTO_HASH_LEN],
    uint8_t *buf, size_t len, char *err, size_t errlen);

/*
 * fetch_readable: whether chunk or patch ID (of at most a chunk's size)
 * reads and authenticates, from an older version where it must (a chunk a
 * delete marker hides: missing from a listing). Returns 0, or -1 with the
 * reason in ERR (not logged).
 */
int fetch_readable(struct repo *r, const uint8_t id[CRYPTO_HASH_LEN], char *err, size_t errlen);

/*
 * fetch_slot: chunk SLOT of the file IX indexes into BUF (LEN bytes, the
 * chunk's length): its base (zeros for the zero ID) with each of its
 * patches (repository format 3) applied in order, every object fetched
 * and checked as fetch_chunk checks a chunk. Returns 0, or -1 with the
 * reason in ERR (naming the chunk or patch; not logged).
 */
int fetch_slot(struct repo *r, struct codec_work *w, const struct index *ix, uint64_t slot,
    uint8_t *buf, size_t len, char *err, size_t errlen);

/*
 * fetch_patch_check: whether patch K of IX (IX->patches[K]) reads, hashes
 * to its ID and is a valid patch of its chunk. *LEN gets its plaintext
 * length. Returns 0, or -1 with the reason in ERR (naming it).
 */
int fetch_patch_check(struct repo *r, struct codec_work *w, const struct index *ix,
    uint64_t k, size_t *len, char *err, size_t errlen);

/*
 * fetch_index: the index of file F of snapshot M into IX, checked against
 * the manifest's size and chunk count and (manifest version 3) its chunk
 * digest. Returns 0, or -1 (logged, naming
 * snapshot, file and index).
 */
int fetch_index(struct repo *r, const struct manifest *m, const struct manifest_file *f,
    struct index *ix);

/*
 * fetch_index_key: index KEY into IX, checked to hash to the ID its key
 * names, and decoded; not checked against a manifest (fetch_index_check).
 * Returns 0, VV_NOT_FOUND (not logged), or -1: unreadable (logged where
 * found, ERR empty) or invalid (the reason in ERR, not logged).
 */
int fetch_index_key(struct repo *r, const char *key, struct index *ix, char *err, size_t errlen);

/*
 * fetch_index_check: whether IX is the index file F of a manifest
 * describes (size, chunk count, and its chunk digest when it has one).
 * Returns 0, or -1 with the reason in ERR (not logged).
 */
int fetch_index_check(const struct manifest_file *f, const struct index *ix, char *err,
    size_t errlen);

/*
 * fetch_index_report: log why the index of file F of snapshot M could not
 * be used: RC and ERR as fetch_index_key or fetch_index_check left them.
 */
void fetch_index_report(const struct manifest *m, const struct manifest_file *f, int rc,
    const char *err);

#endif
