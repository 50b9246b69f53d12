/*
 * Changed-block tracking, the pure part: a qcow2 image's cluster map, the
 * dirty ranges of a bitmap, and which chunks of the image file are
 * unchanged since a reference (and so need not be read).
 *
 * The repository stores the qcow2 file byte for byte, so a clean guest
 * range is not enough: the file's metadata (header, L1/L2 and refcount
 * tables, the bitmaps themselves) changes too, some of it in clusters free
 * in both versions. A chunk of the file is unchanged only when every byte
 * of it lies in a data cluster that is clean in the bitmap and at the same
 * host offset in the reference's map and in the new one, and the chunk
 * lay wholly inside the reference's file. Everything else is read.
 */
#ifndef VV_CBTMAP_H
#define VV_CBTMAP_H

#include <stddef.h>
#include <stdint.h>

/* Guest bytes [START, START+LEN) are stored at host OFFSET of the file. */
struct cbt_extent {
	uint64_t start, len, offset;
};

/* The data clusters of an image (its own, not its backing file's). */
struct cbt_map {
	uint64_t virtual_size;
	uint64_t file_size;
	struct cbt_extent *v;	/* sorted by START, not overlapping */
	size_t n;
};

/* Guest ranges, sorted, not overlapping: [v[i].start, v[i].start + v[i].len). */
struct cbt_ranges {
	struct cbt_extent *v;	/* offset unused */
	size_t n, cap;
};

/*
 * cbt_map_parse: the data clusters listed by `qemu-img map --output=json`
 * (TEXT) of the image itself (depth 0, data, with an offset, not
 * compressed). Returns 0, or -1 with the reason in ERR.
 */
int cbt_map_parse(const char *text, struct cbt_map *m, char *err, size_t errlen);

/* cbt_map_encode: M as bytes (a new buffer of *LEN bytes). */
uint8_t *cbt_map_encode(const struct cbt_map *m, size_t *len);

/* cbt_map_decode: parse BUF into M. Returns 0, or -1 with the reason in ERR. */
int cbt_map_decode(const uint8_t *buf, size_t len, struct cbt_map *m, char *err,
    size_t errlen);

/* cbt_map_digest: SHA-256 (hex, 65 bytes) of M's encoding. */
void cbt_map_digest(const struct cbt_map *m, char out[65]);

void cbt_map_clear(struct cbt_map *m);

/* cbt_ranges_add: add [START, START+LEN), merging with the last range. */
void cbt_ranges_add(struct cbt_ranges *r, uint64_t start, uint64_t len);

void cbt_ranges_clear(struct cbt_ranges *r);

/*
 * cbt_plan: which chunks (CHUNK_SIZE bytes) of the new file NEW describes
 * are unchanged since OLD, given the guest ranges DIRTY since then: SKIP
 * (COUNT entries, the new file's chunk count) gets 1 for each. Returns the
 * bytes marked unchanged.
 */
uint64_t cbt_plan(const struct cbt_map *old, const struct cbt_map *new,
    const struct cbt_ranges *dirty, uint32_t chunk_size, uint8_t *skip, uint64_t count);

#endif
