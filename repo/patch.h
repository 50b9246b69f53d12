/*
 * Patches (repository format 3): the bytes of a chunk that changed since
 * the chunk a snapshot took from its reference, stored as one object of
 * their own, so that a nightly reads and stores the 64 KiB clusters the
 * guest wrote rather than the whole chunks they lie in. An index of format
 * 3 lists, for a chunk, its base (a chunk ID as before) and the patches
 * applied to it in order (repo/index.h).
 *
 * A patch's plaintext (stored as a chunk object, its ID the keyed hash of
 * these bytes):
 *
 *   "VVP1", range count N (4, LE), N x (offset (4, LE), length (4, LE)),
 *   then the ranges' bytes in that order
 *
 * Ranges lie inside the chunk, are not empty, ascend and do not overlap.
 */
#ifndef VV_REPO_PATCH_H
#define VV_REPO_PATCH_H

#include <stddef.h>
#include <stdint.h>

#define PATCH_MAGIC "VVP1"
#define PATCH_HEADER_LEN 8

/* Bytes [off, off + len) of a chunk. */
struct patch_range {
	uint32_t off, len;
};

/*
 * patch_max_len: the largest plaintext of a patch of a chunk of
 * CHUNK_SIZE bytes whose ranges are at least GRAIN bytes apart (a
 * chunk-sized patch of ranges GRAIN bytes long).
 */
size_t patch_max_len(uint32_t chunk_size, uint32_t grain);

/*
 * patch_encode: the patch carrying ranges R (N, valid as above) of CHUNK
 * (the new content of a chunk of CHUNK_LEN bytes; only the ranges are
 * read), a new buffer of *LEN bytes.
 */
uint8_t *patch_encode(const struct patch_range *r, size_t n, const uint8_t *chunk,
    size_t chunk_len, size_t *len);

/*
 * patch_apply: write the ranges of patch P (LEN bytes) into CHUNK
 * (CHUNK_LEN bytes). Returns 0, or -1 with the reason in ERR when P is not
 * a valid patch of such a chunk (CHUNK may then be partly written).
 */
int patch_apply(const uint8_t *p, size_t len, uint8_t *chunk, size_t chunk_len, char *err,
    size_t errlen);

/*
 * patch_bytes: the data bytes patch P (LEN bytes, valid) carries, or 0
 * when it is not a valid patch header.
 */
uint64_t patch_bytes(const uint8_t *p, size_t len);

#endif
