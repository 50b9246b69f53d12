#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "repo/chunkset.h"
#include "repo/index.h"
#include "repo/restore.h"

/* Checks of one file; returns its problems. */
static long
verify_file(struct repo *r, const struct manifest *m, const struct manifest_file *f,
    struct chunkset *have, struct chunkset *good, struct chunkset *bad, bool deep,
    struct codec_work *w, uint8_t *buf, struct progress *progress)
{
	uint8_t *ixbuf = NULL;
	size_t ixlen = 0;
	struct index ix = { 0 };
	struct crypto_sha *sha = NULL;
	long problems = 0;
	char err[256];
	int rc;

	rc = repo_get_object(r, CODEC_KIND_INDEX, f->index, &ixbuf, &ixlen, REPO_MAX_INDEX);
	if (rc != 0) {
		log_error("snapshot %s, file %s: index %s is %s", m->id, f->name, f->index,
		    rc == STORE_NOT_FOUND ? "missing" : "unreadable (see above)");
		return 1;
	}
	rc = index_decode(ixbuf, ixlen, &ix, err, sizeof(err));
	free(ixbuf);
	if (rc == 0 && (ix.file_size != f->size || ix.count != f->chunks))
		rc = -1, snprintf(err, sizeof(err), "does not match the manifest's size");
	if (rc < 0) {
		log_error("snapshot %s, file %s: index %s is invalid: %s", m->id, f->name, f->index, err);
		return 1;
	}
	if (deep)
		sha = crypto_sha_new();
	for (uint64_t i = 0; i < ix.count; i++) {
		uint64_t off = i * ix.chunk_size;
		size_t len = (size_t)(f->size - off < ix.chunk_size ? f->size - off : ix.chunk_size);
		const uint8_t *id = ix.ids[i];
		char key[96];

		progress_add(progress, len);
		if (repo_id_is_zero(id)) {
			if (sha) {
				memset(buf, 0, len);
				crypto_sha_update(sha, buf, len);
			}
			continue;
		}
		repo_chunk_key(id, key, sizeof(key));
		if (!chunkset_has(have, id)) {
			log_error("snapshot %s, file %s, offset %llu: chunk %s is missing", m->id,
			    f->name, (unsigned long long)off, key);
			problems++;
			if (sha) {
				crypto_sha_final(sha, (uint8_t[CRYPTO_HASH_LEN]){ 0 });
				sha = NULL;
			}
			continue;
		}
		if (!deep)
			continue;
		if (chunkset_has(bad, id)) {
			log_error("snapshot %s, file %s, offset %llu: chunk %s is corrupt (see above)",
			    m->id, f->name, (unsigned long long)off, key);
			problems++;
			if (sha) {
				crypto_sha_final(sha, (uint8_t[CRYPTO_HASH_LEN]){ 0 });
				sha = NULL;
			}
			continue;
		}
		if (sha == NULL && chunkset_has(good, id))
			continue;
		{
			void *raw = NULL;
			size_t rawlen = 0, plain = 0;
			uint8_t check[CRYPTO_HASH_LEN];

			rc = store_get(repo_store(r), key, &raw, &rawlen, codec_bound(ix.chunk_size));
			if (rc == 0)
				rc = codec_decode(repo_codec(r), w, CODEC_KIND_CHUNK, key, raw, rawlen,
				    buf, ix.chunk_size, &plain, err, sizeof(err));
			else
				snprintf(err, sizeof(err), "cannot be read");
			free(raw);
			if (rc == 0) {
				codec_id(repo_codec(r), buf, plain, check);
				if (memcmp(check, id, CRYPTO_HASH_LEN) != 0 || plain != len) {
					rc = -1;
					snprintf(err, sizeof(err), "does not hash to its ID");
				}
			}
			if (rc != 0) {
				log_error("snapshot %s, file %s, offset %llu: chunk %s: %s", m->id,
				    f->name, (unsigned long long)off, key, err);
				chunkset_add(bad, id);
				problems++;
				if (sha) {
					crypto_sha_final(sha, check);
					sha = NULL;
				}
				continue;
			}
			chunkset_add(good, id);
			if (sha)
				crypto_sha_update(sha, buf, len);
		}
	}
	if (sha != NULL) {
		uint8_t d[CRYPTO_HASH_LEN];
		char hex[65];

		crypto_sha_final(sha, d);
		crypto_hex(d, sizeof(d), hex);
		if (strcmp(hex, f->sha256) != 0) {
			log_error("snapshot %s, file %s: the chunks give SHA-256 %s, the manifest says %s",
			    m->id, f->name, hex, f->sha256);
			problems++;
		}
	}
	index_clear(&ix);
	return problems;
}

long
verify_snapshots(struct repo *r, struct manifest *const *l, size_t n, bool deep,
    struct progress *progress)
{
	struct chunkset *have = chunkset_new(), *good = chunkset_new(), *bad = chunkset_new();
	struct strlist keys = { 0 };
	struct codec_work *w = NULL;
	uint8_t *buf = NULL;
	long problems = 0;

	if (store_list(repo_store(r), "chunks/", &keys) < 0) {
		problems = -1;
		goto out;
	}
	for (size_t i = 0; i < keys.n; i++) {
		uint8_t id[CRYPTO_HASH_LEN];

		if (crypto_unhex(util_basename(keys.v[i]), id, sizeof(id)) == 0)
			chunkset_add(have, id);
	}
	w = codec_work_new(repo_chunk_size(r));
	buf = xmalloc(repo_chunk_size(r) > (1u << 20) ? repo_chunk_size(r) : (1u << 20));
	for (size_t k = 0; k < n; k++) {
		for (size_t i = 0; i < l[k]->nfiles; i++) {
			if (l[k]->chunk_size != repo_chunk_size(r)) {
				log_error("snapshot %s: chunk size %u differs from the repository's %u",
				    l[k]->id, l[k]->chunk_size, repo_chunk_size(r));
				problems++;
				break;
			}
			problems += verify_file(r, l[k], &l[k]->files[i], have, good, bad, deep, w,
			    buf, progress);
		}
	}
out:
	strlist_clear(&keys);
	free(buf);
	codec_work_free(w);
	chunkset_free(have);
	chunkset_free(good);
	chunkset_free(bad);
	return problems;
}
