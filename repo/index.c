#include "repo/index.h"

#include <stdbool.h>
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
	size_t head = ix->npatches > 0 ? INDEX_PATCHED_HEADER_LEN : INDEX_HEADER_LEN;
	size_t ids = (size_t)ix->count * CRYPTO_HASH_LEN;
	size_t n = head + ids + (size_t)ix->npatches * (8 + CRYPTO_HASH_LEN);
	uint8_t *b = xmalloc(n), *p;

	memcpy(b, ix->npatches > 0 ? "VVI2" : "VVI1", 4);
	le_store(b + 4, ix->chunk_size, 4);
	le_store(b + 8, ix->file_size, 8);
	le_store(b + 16, ix->count, 8);
	if (ix->npatches > 0)
		le_store(b + 24, ix->npatches, 8);
	if (ix->count > 0)
		memcpy(b + head, ix->ids, ids);
	p = b + head + ids;
	for (uint64_t i = 0; i < ix->npatches; i++, p += 8 + CRYPTO_HASH_LEN) {
		le_store(p, ix->patches[i].slot, 8);
		memcpy(p + 8, ix->patches[i].id, CRYPTO_HASH_LEN);
	}
	*len = n;
	return b;
}

size_t
index_slot_patches(const struct index *ix, uint64_t slot, const struct index_patch **first)
{
	uint64_t lo = 0, hi = ix->npatches, end;

	*first = NULL;
	while (lo < hi) {	/* the first patch whose slot is >= SLOT */
		uint64_t mid = lo + (hi - lo) / 2;

		if (ix->patches[mid].slot < slot)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (end = lo; end < ix->npatches && ix->patches[end].slot == slot; end++)
		;
	if (end > lo)
		*first = &ix->patches[lo];
	return (size_t)(end - lo);
}

uint64_t
index_objects(const struct index *ix)
{
	return ix->count + ix->npatches;
}

const uint8_t *
index_object(const struct index *ix, uint64_t k)
{
	return k < ix->count ? ix->ids[k] : ix->patches[k - ix->count].id;
}

bool
index_slot_equal(const struct index *a, uint64_t i, const struct index *b, uint64_t j)
{
	const struct index_patch *pa, *pb;
	size_t na = index_slot_patches(a, i, &pa), nb = index_slot_patches(b, j, &pb);

	if (na != nb || memcmp(a->ids[i], b->ids[j], CRYPTO_HASH_LEN) != 0)
		return false;
	for (size_t k = 0; k < na; k++)
		if (memcmp(pa[k].id, pb[k].id, CRYPTO_HASH_LEN) != 0)
			return false;
	return true;
}

bool
index_slot_is_zero(const struct index *ix, uint64_t slot)
{
	static const uint8_t zero[CRYPTO_HASH_LEN];
	const struct index_patch *first;

	return memcmp(ix->ids[slot], zero, CRYPTO_HASH_LEN) == 0 &&
	    index_slot_patches(ix, slot, &first) == 0;
}

/* The patch section of a "VVI2" index (P entries at BUF) into IX. */
static int
decode_patches(const uint8_t *buf, uint64_t p, struct index *ix, char *err, size_t errlen)
{
	static const uint8_t zero[CRYPTO_HASH_LEN];
	uint64_t run = 0;

	ix->patches = xcalloc((size_t)p, sizeof(*ix->patches));
	ix->npatches = p;
	for (uint64_t i = 0; i < p; i++, buf += 8 + CRYPTO_HASH_LEN) {
		struct index_patch *x = &ix->patches[i];

		x->slot = le_load(buf, 8);
		memcpy(x->id, buf + 8, CRYPTO_HASH_LEN);
		if (x->slot >= ix->count || (i > 0 && x->slot < ix->patches[i - 1].slot) ||
		    memcmp(x->id, zero, CRYPTO_HASH_LEN) == 0) {
			snprintf(err, errlen, "patch %llu (chunk %llu) is out of order, beyond the file or zero",
			    (unsigned long long)i, (unsigned long long)x->slot);
			return -1;
		}
		run = i > 0 && x->slot == ix->patches[i - 1].slot ? run + 1 : 1;
		if (run > INDEX_MAX_SLOT_PATCHES) {
			snprintf(err, errlen, "chunk %llu has more than %d patches",
			    (unsigned long long)x->slot, INDEX_MAX_SLOT_PATCHES);
			return -1;
		}
	}
	return 0;
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
	bool patched = len >= INDEX_PATCHED_HEADER_LEN && memcmp(buf, "VVI2", 4) == 0;
	size_t head = patched ? INDEX_PATCHED_HEADER_LEN : INDEX_HEADER_LEN, rest;
	uint64_t p = patched ? le_load(buf + 24, 8) : 0;

	memset(ix, 0, sizeof(*ix));
	if (!patched && (len < INDEX_HEADER_LEN || memcmp(buf, "VVI1", 4) != 0)) {
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
	rest = len - head;
	if (patched && (p == 0 || p > rest / (8 + CRYPTO_HASH_LEN))) {
		snprintf(err, errlen, "truncated: %zu bytes for %llu patches", len,
		    (unsigned long long)p);
		return -1;
	}
	rest -= (size_t)p * (8 + CRYPTO_HASH_LEN);
	if (rest / CRYPTO_HASH_LEN != ix->count || rest % CRYPTO_HASH_LEN != 0) {
		snprintf(err, errlen, "truncated: %zu bytes for %llu chunks", len,
		    (unsigned long long)ix->count);
		return -1;
	}
	ix->ids = xmalloc(ix->count ? (size_t)ix->count * CRYPTO_HASH_LEN : 1);
	memcpy(ix->ids, buf + head, (size_t)ix->count * CRYPTO_HASH_LEN);
	if (p > 0 && decode_patches(buf + head + rest, p, ix, err, errlen) < 0) {
		index_clear(ix);
		return -1;
	}
	return 0;
}

void
index_clear(struct index *ix)
{
	free(ix->ids);
	ix->ids = NULL;
	free(ix->patches);
	ix->patches = NULL;
	ix->npatches = 0;
}
