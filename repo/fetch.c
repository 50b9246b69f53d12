#include "repo/fetch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "repo/fallback.h"
#include "repo/layout.h"
#include "repo/patch.h"

/* What the check of a chunk's version decodes into. */
struct chunk_check {
	struct repo *r;
	struct codec_work *w;
	const uint8_t *id;
	uint8_t *buf;
	size_t cap;
	size_t plain;
};

/* Whether RAW, a version of chunk KEY, decodes and hashes to its ID. */
static int
chunk_check(const char *key, const void *raw, size_t rawlen, void *ctx, char *why,
    size_t whylen)
{
	struct chunk_check *c = ctx;
	uint8_t check[CRYPTO_HASH_LEN];

	c->plain = 0;
	if (codec_decode(repo_codec(c->r), c->w, CODEC_KIND_CHUNK, key, raw, rawlen, c->buf,
	    c->cap, &c->plain, why, whylen) < 0)
		return -1;
	codec_id(repo_codec(c->r), c->buf, c->plain, check);
	if (memcmp(check, c->id, CRYPTO_HASH_LEN) != 0) {
		snprintf(why, whylen, "does not hash to its ID (swapped or forged)");
		return -1;
	}
	return 0;
}

/*
 * Chunk object ID into BUF (CAP bytes), its plaintext length into *LEN:
 * fetched, decoded and checked to hash to ID (an older version where the
 * current one fails: fallback_get). Returns 0, or -1 with ERR.
 */
static int
fetch_object(struct repo *r, struct codec_work *w, const uint8_t id[CRYPTO_HASH_LEN],
    uint8_t *buf, size_t cap, size_t *len, char *err, size_t errlen)
{
	struct chunk_check c = { r, w, id, buf, cap, 0 };
	char key[LAYOUT_KEY_MAX], why[160];
	int rc;

	layout_chunk_key(id, key, sizeof(key));
	rc = fallback_get_buf(repo_store(r), key, codec_bound(repo_chunk_size(r)), chunk_check,
	    &c, codec_work_fetched(w), why, sizeof(why));
	if (rc == VV_NOT_FOUND) {
		snprintf(err, errlen, "chunk %s is missing", key);
		return -1;
	}
	if (rc != 0) {
		if (why[0] == '\0')
			snprintf(err, errlen, "chunk %s is unreadable", key);
		else if (strstr(why, "swapped") != NULL)
			snprintf(err, errlen, "chunk %s %s", key, why);
		else
			snprintf(err, errlen, "chunk %s: %s", key, why);
		return -1;
	}
	*len = c.plain;
	return 0;
}

int
fetch_readable(struct repo *r, const uint8_t id[CRYPTO_HASH_LEN], char *err, size_t errlen)
{
	struct codec_work *w = codec_work_new(repo_chunk_size(r));
	uint8_t *buf = xmalloc(repo_chunk_size(r));
	size_t len = 0;
	int rc = fetch_object(r, w, id, buf, repo_chunk_size(r), &len, err, errlen);

	free(buf);
	codec_work_free(w);
	return rc;
}

int
fetch_chunk(struct repo *r, struct codec_work *w, const uint8_t id[CRYPTO_HASH_LEN],
    uint8_t *buf, size_t len, char *err, size_t errlen)
{
	char key[LAYOUT_KEY_MAX];
	size_t plain = 0;

	if (fetch_object(r, w, id, buf, len, &plain, err, errlen) < 0)
		return -1;
	if (plain != len) {
		layout_chunk_key(id, key, sizeof(key));
		snprintf(err, errlen, "chunk %s holds %zu bytes where %zu were expected", key,
		    plain, len);
		return -1;
	}
	return 0;
}

int
fetch_slot(struct repo *r, struct codec_work *w, const struct index *ix, uint64_t slot,
    uint8_t *buf, size_t len, char *err, size_t errlen)
{
	const struct index_patch *p;
	size_t n = index_slot_patches(ix, slot, &p), plen = 0;
	uint8_t *pbuf;
	char key[LAYOUT_KEY_MAX], why[200];
	int rc = 0;

	if (repo_id_is_zero(ix->ids[slot]))
		memset(buf, 0, len);
	else if (fetch_chunk(r, w, ix->ids[slot], buf, len, err, errlen) < 0)
		return -1;
	if (n == 0)
		return 0;
	/* A patch is at most a chunk (docs/FORMAT.md): the codec's area holds it. */
	pbuf = xmalloc(ix->chunk_size);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		rc = fetch_object(r, w, p[i].id, pbuf, ix->chunk_size, &plen, err, errlen);
		if (rc == 0 && patch_apply(pbuf, plen, buf, len, why, sizeof(why)) < 0) {
			layout_chunk_key(p[i].id, key, sizeof(key));
			snprintf(err, errlen, "patch %s: %s", key, why);
			rc = -1;
		}
	}
	free(pbuf);
	return rc;
}

int
fetch_patch_check(struct repo *r, struct codec_work *w, const struct index *ix,
    uint64_t k, size_t *len, char *err, size_t errlen)
{
	const struct index_patch *p = &ix->patches[k];
	size_t clen = index_chunk_len(ix->file_size, ix->chunk_size, p->slot);
	uint8_t *pbuf = xmalloc(ix->chunk_size), *scratch = xcalloc(1, clen ? clen : 1);
	char key[LAYOUT_KEY_MAX], why[200];
	int rc = fetch_object(r, w, p->id, pbuf, ix->chunk_size, len, err, errlen);

	if (rc == 0 && patch_apply(pbuf, *len, scratch, clen, why, sizeof(why)) < 0) {
		layout_chunk_key(p->id, key, sizeof(key));
		snprintf(err, errlen, "patch %s: %s", key, why);
		rc = -1;
	}
	free(scratch);
	free(pbuf);
	return rc;
}

/* Whether the plaintext BUF of index KEY hashes to the ID its key names. */
static int
index_check_id(struct repo *r, const char *key, const uint8_t *buf, size_t len, char *err,
    size_t errlen)
{
	uint8_t want[CRYPTO_HASH_LEN], got[CRYPTO_HASH_LEN];

	if (layout_id_of_key(key, want) < 0) {
		snprintf(err, errlen, "its name is not an index ID");
		return -1;
	}
	codec_id(repo_codec(r), buf, len, got);
	if (memcmp(want, got, sizeof(want)) != 0) {
		snprintf(err, errlen, "does not hash to its ID (swapped or forged)");
		return -1;
	}
	return 0;
}

int
fetch_index_key(struct repo *r, const char *key, struct index *ix, char *err, size_t errlen)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	err[0] = '\0';
	rc = repo_get_object(r, CODEC_KIND_INDEX, key, &buf, &len, REPO_MAX_INDEX);
	if (rc != 0)
		return rc == VV_NOT_FOUND ? VV_NOT_FOUND : -1;
	rc = index_check_id(r, key, buf, len, err, errlen);
	if (rc == 0)
		rc = index_decode(buf, len, ix, err, errlen);
	free(buf);
	return rc < 0 ? -1 : 0;
}

int
fetch_index_check(const struct manifest_file *f, const struct index *ix, char *err, size_t errlen)
{
	if (ix->file_size != f->size || ix->count != f->chunks) {
		snprintf(err, errlen, "describes %llu bytes, the manifest %llu",
		    (unsigned long long)ix->file_size, (unsigned long long)f->size);
		return -1;
	}
	if (f->digest[0] != '\0') {
		char hex[65];

		index_digest(ix, hex);
		if (strcmp(hex, f->digest) != 0) {
			snprintf(err, errlen, "it does not match the manifest's chunk digest");
			return -1;
		}
	}
	return 0;
}

void
fetch_index_report(const struct manifest *m, const struct manifest_file *f, int rc,
    const char *err)
{
	if (rc == VV_NOT_FOUND || err[0] == '\0')
		/* The reason of an unreadable index was logged where it was
		 * found; this adds which snapshot and file it breaks. */
		log_error("snapshot %s, file %s: index %s is %s", m->id, f->name, f->index,
		    rc == VV_NOT_FOUND ? "missing" : "unreadable (see above)");
	else
		log_error("snapshot %s, file %s: index %s is invalid: %s", m->id, f->name,
		    f->index, err);
}

int
fetch_index(struct repo *r, const struct manifest *m, const struct manifest_file *f,
    struct index *ix)
{
	char err[160];
	int rc = fetch_index_key(r, f->index, ix, err, sizeof(err));

	if (rc == 0 && fetch_index_check(f, ix, err, sizeof(err)) < 0) {
		index_clear(ix);
		rc = -1;
	}
	if (rc != 0) {
		fetch_index_report(m, f, rc, err);
		return -1;
	}
	return 0;
}
