#include "repo/index.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "common/endian.h"

uint64_t
index_count(uint64_t size, uint32_t chunk_size)
{
	return size / chunk_size + (size % chunk_size != 0);
}

size_t
index_chunk_len(uint64_t size, uint32_t chunk_size, uint64_t i)
{
	uint64_t off = i * chunk_size;

	return (size_t)(size - off < chunk_size ? size - off : chunk_size);
}

uint8_t *
index_encode(const struct index *ix, size_t *len)
{
	size_t n = INDEX_HEADER_LEN + (size_t)ix->count * CRYPTO_HASH_LEN;
	uint8_t *b = xmalloc(n);

	memcpy(b, "VVI1", 4);
	le_store(b + 4, ix->chunk_size, 4);
	le_store(b + 8, ix->file_size, 8);
	le_store(b + 16, ix->count, 8);
	if (ix->count > 0)
		memcpy(b + INDEX_HEADER_LEN, ix->ids, (size_t)ix->count * CRYPTO_HASH_LEN);
	*len = n;
	return b;
}

void
index_digest(const struct index *ix, char out[65])
{
	uint8_t h[CRYPTO_HASH_LEN];
	size_t n;
	uint8_t *b = index_encode(ix, &n);

	crypto_sha256(b, n, h);
	crypto_hex(h, sizeof(h), out);
	free(b);
}

int
index_decode(const uint8_t *buf, size_t len, struct index *ix, char *err,
    size_t errlen)
{
	memset(ix, 0, sizeof(*ix));
	if (len < INDEX_HEADER_LEN || memcmp(buf, "VVI1", 4) != 0) {
		snprintf(err, errlen, "not an index (bad header)");
		return -1;
	}
	ix->chunk_size = (uint32_t)le_load(buf + 4, 4);
	ix->file_size = le_load(buf + 8, 8);
	ix->count = le_load(buf + 16, 8);
	if (ix->chunk_size == 0 || (ix->chunk_size & (ix->chunk_size - 1)) != 0) {
		snprintf(err, errlen, "invalid chunk size %u", ix->chunk_size);
		return -1;
	}
	if (ix->count != index_count(ix->file_size, ix->chunk_size)) {
		snprintf(err, errlen, "%llu chunks do not cover %llu bytes",
		    (unsigned long long)ix->count, (unsigned long long)ix->file_size);
		return -1;
	}
	if ((len - INDEX_HEADER_LEN) / CRYPTO_HASH_LEN != ix->count ||
	    (len - INDEX_HEADER_LEN) % CRYPTO_HASH_LEN != 0) {
		snprintf(err, errlen, "truncated: %zu bytes for %llu chunks", len,
		    (unsigned long long)ix->count);
		return -1;
	}
	ix->ids = xmalloc(ix->count ? (size_t)ix->count * CRYPTO_HASH_LEN : 1);
	memcpy(ix->ids, buf + INDEX_HEADER_LEN, (size_t)ix->count * CRYPTO_HASH_LEN);
	return 0;
}

void
index_clear(struct index *ix)
{
	free(ix->ids);
	ix->ids = NULL;
}
