/*
 * A set of chunk IDs, safe to share between threads: which chunks the
 * repository already has (seeded from a listing) and which this run added.
 */
#ifndef VV_CHUNKSET_H
#define VV_CHUNKSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/crypto.h"

struct chunkset;

struct chunkset *chunkset_new(void);
void chunkset_free(struct chunkset *s);

/* chunkset_add: add ID; returns true when it was already there. */
bool chunkset_add(struct chunkset *s, const uint8_t id[CRYPTO_HASH_LEN]);

/* chunkset_has: whether ID is in S. */
bool chunkset_has(struct chunkset *s, const uint8_t id[CRYPTO_HASH_LEN]);

/* chunkset_count: how many IDs S holds. */
size_t chunkset_count(struct chunkset *s);

#endif
