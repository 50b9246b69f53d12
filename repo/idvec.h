/*
 * A compact set of fixed-width entries keyed by their first bytes (chunk
 * IDs, 8-byte ID prefixes, an ID with its size): an array, sorted and
 * freed of duplicates when it fills (so a set fed the same IDs again and
 * again stays near its distinct count) and when sealed, then searched by
 * bisection. No pointer and no hash slot per entry: WIDTH bytes each, at
 * most twice that while it grows. The sort is in place (no buffer the size
 * of the array, as glibc's qsort may allocate).
 */
#ifndef VV_IDVEC_H
#define VV_IDVEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct idvec;

#define IDVEC_NONE SIZE_MAX
#define IDVEC_MAX_WIDTH 64

/*
 * idvec_new: an empty set of entries of WIDTH bytes (at most
 * IDVEC_MAX_WIDTH) ordered and made unique by their first KEYLEN bytes.
 * DEDUP: duplicates are expected (sort and drop them each time it fills);
 * else entries are taken to be distinct (sorted only when sealed). Free
 * with idvec_free (NULL: no-op).
 */
struct idvec *idvec_new(size_t width, size_t keylen, bool dedup);
void idvec_free(struct idvec *v);

/* idvec_add: add a copy of ENTRY (WIDTH bytes); the set is unsealed again. */
void idvec_add(struct idvec *v, const void *entry);

/*
 * idvec_seal: sort by key, keep the first entry of each key, and give back
 * the spare room: idvec_find works until the next idvec_add.
 */
void idvec_seal(struct idvec *v);

/* idvec_find: the position of the entry whose key is KEY (KEYLEN bytes) in a sealed set, or IDVEC_NONE. */
size_t idvec_find(const struct idvec *v, const void *key);

/* idvec_count: entries held (with duplicates not dropped yet, unless sealed). */
size_t idvec_count(const struct idvec *v);

/* idvec_at: entry I (< idvec_count), WIDTH bytes the caller may change but not its key. */
void *idvec_at(struct idvec *v, size_t i);

/* idvec_truncate: keep the first N entries (N <= idvec_count); a sealed set stays sealed. */
void idvec_truncate(struct idvec *v, size_t n);

/* idvec_bytes: the memory the set holds now; idvec_peak: the most it held. */
size_t idvec_bytes(const struct idvec *v);
size_t idvec_peak(const struct idvec *v);

#endif
