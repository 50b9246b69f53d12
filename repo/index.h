/*
 * The index of one image file in one backup: its size and the ordered IDs
 * of its chunks, 32 bytes each (all-zero ID: an all-zero chunk).
 *
 *   "VVI1", chunk size (4, LE), file size (8, LE), count (8, LE), IDs
 *
 * Repository format 3 adds patches (repo/patch.h): chunk I's bytes are its
 * base (IDS[I]) with each patch of slot I applied in order. An index with
 * patches is written as
 *
 *   "VVI2", chunk size, file size, count, patch count P (8, LE), IDs,
 *   P x (slot (8, LE), patch ID (32))   sorted by slot
 *
 * and one without as "VVI1", byte for byte what format 2 wrote.
 */
#ifndef VV_INDEX_H
#define VV_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/crypto.h"

#define INDEX_HEADER_LEN 24
#define INDEX_PATCHED_HEADER_LEN 32
/* The most patches a reader accepts on one chunk (a writer stays below:
 * restore reads at most 1 + this many objects for a chunk). */
#define INDEX_MAX_SLOT_PATCHES 16

struct index_patch {
	uint64_t slot;
	uint8_t id[CRYPTO_HASH_LEN];
};

struct index {
	uint32_t chunk_size;
	uint64_t file_size;
	uint64_t count;
	uint8_t (*ids)[CRYPTO_HASH_LEN];
	/* Format 3: sorted by slot; a slot's patches in the order they apply. */
	uint64_t npatches;
	struct index_patch *patches;
};

/* index_count: chunks of a file of SIZE bytes. */
uint64_t index_count(uint64_t size, uint32_t chunk_size);

/* index_chunk_len: the bytes of chunk I of a file of SIZE bytes (the last
 * one may be short). */
size_t index_chunk_len(uint64_t size, uint32_t chunk_size, uint64_t i);

/* index_encode: the plain bytes of IX, a new buffer of *LEN bytes. */
uint8_t *index_encode(const struct index *ix, size_t *len);

/*
 * index_decode: parse BUF (LEN bytes) into IX (its ids a new array). Returns
 * 0, or -1 with the reason in ERR (truncated, inconsistent counts).
 */
int index_decode(const uint8_t *buf, size_t len, struct index *ix, char *err,
    size_t errlen);

/*
 * index_digest: the chunk digest of a file (manifest version 3): SHA-256
 * of IX's encoding, that is of its sizes and its ordered chunk IDs, holes
 * and zero chunks as the all-zero ID. With each chunk checked against its
 * ID on reading, it stands for the whole file's content, and it is known
 * without reading the file's unchanged parts. OUT: 65 bytes of hex.
 */
void index_digest(const struct index *ix, char out[65]);

/*
 * index_slot_patches: the patches of chunk SLOT of IX: *FIRST points at
 * the first (NULL when none). Returns their count.
 */
size_t index_slot_patches(const struct index *ix, uint64_t slot,
    const struct index_patch **first);

/*
 * index_objects / index_object: the objects IX references, bases then
 * patches (zero IDs among the bases: no object), object K's ID.
 */
uint64_t index_objects(const struct index *ix);
const uint8_t *index_object(const struct index *ix, uint64_t k);

/* index_slot_equal: whether chunk I of A and chunk J of B are the same
 * base with the same patches (so the same bytes). */
bool index_slot_equal(const struct index *a, uint64_t i, const struct index *b, uint64_t j);

/* index_slot_is_zero: whether chunk SLOT of IX is all zeros: a zero base
 * and no patch. */
bool index_slot_is_zero(const struct index *ix, uint64_t slot);

/* index_clear: free IX's ids and patches. */
void index_clear(struct index *ix);

#endif
