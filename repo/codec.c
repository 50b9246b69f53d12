#include "repo/codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "common/log.h"
#include "common/util.h"
#include "common/endian.h"

struct codec {
	bool encrypt;
	uint8_t data_key[CRYPTO_KEY_LEN];
	uint8_t id_key[CRYPTO_KEY_LEN];
	int zstd_level;
};

struct codec_work {
	ZSTD_CCtx *cctx;
	ZSTD_DCtx *dctx;
	uint8_t *buf;		/* compressed or decrypted payload */
	size_t cap;
	struct store_buf fetched;	/* the raw object its worker read last */
};

struct codec *
codec_new(const uint8_t *master, int zstd_level)
{
	struct codec *c = xcalloc(1, sizeof(*c));

	c->zstd_level = zstd_level;
	if (master != NULL) {
		c->encrypt = true;
		if (crypto_hkdf(master, "virtvault data v1", c->data_key) < 0 ||
		    crypto_hkdf(master, "virtvault chunk-id v1", c->id_key) < 0) {
			codec_free(c);
			return NULL;
		}
	}
	return c;
}

void
codec_free(struct codec *c)
{
	if (c == NULL)
		return;
	explicit_bzero(c, sizeof(*c));
	free(c);
}

struct codec_work *
codec_work_new(size_t max_plain)
{
	struct codec_work *w = xcalloc(1, sizeof(*w));

	w->cctx = ZSTD_createCCtx();
	w->dctx = ZSTD_createDCtx();
	if (w->cctx == NULL || w->dctx == NULL)
		abort();
	w->cap = ZSTD_compressBound(max_plain) + 64;
	w->buf = xmalloc(w->cap);
	return w;
}

void
codec_work_free(struct codec_work *w)
{
	if (w == NULL)
		return;
	ZSTD_freeCCtx(w->cctx);
	ZSTD_freeDCtx(w->dctx);
	free(w->buf);
	store_buf_free(&w->fetched);
	free(w);
}

struct store_buf *
codec_work_fetched(struct codec_work *w)
{
	return &w->fetched;
}

bool
codec_encrypted(const struct codec *c)
{
	return c->encrypt;
}

void
codec_id(const struct codec *c, const void *data, size_t len,
    uint8_t id[CRYPTO_HASH_LEN])
{
	if (c->encrypt)
		crypto_hmac(c->id_key, data, len, id);
	else
		crypto_sha256(data, len, id);
}

int
codec_declared_len(const uint8_t *in, size_t len, uint64_t *plain)
{
	if (len < CODEC_HEADER_LEN)
		return -1;
	*plain = le_load(in + 8, 8);
	return 0;
}

size_t
codec_bound(size_t len)
{
	return CODEC_OVERHEAD + ZSTD_compressBound(len);
}

/*
 * Whether compressing IN is likely to pay: a 32 KiB sample from its middle
 * must shrink by 3% at least. Random data (encrypted guest disks,
 * compressed files) is then stored raw at a fraction of zstd's cost.
 */
#define SAMPLE_LEN (32 * 1024)

static bool
worth_compressing(const struct codec *c, struct codec_work *w, const uint8_t *in,
    size_t len)
{
	size_t z;

	if (len < 4 * SAMPLE_LEN)
		return true;
	z = ZSTD_compressCCtx(w->cctx, w->buf, w->cap, in + len / 2 - SAMPLE_LEN / 2,
	    SAMPLE_LEN, c->zstd_level);
	return ZSTD_isError(z) || z < SAMPLE_LEN - SAMPLE_LEN / 32;
}

/* The checksum of an unencrypted object: SHA-256(header || key || payload). */
static void
plain_tag(const uint8_t *hdr, const char *key, const uint8_t *payload, size_t len,
    uint8_t tag[CRYPTO_TAG_LEN])
{
	struct crypto_sha *h = crypto_sha_new();
	uint8_t d[CRYPTO_HASH_LEN];

	crypto_sha_update(h, hdr, CODEC_HEADER_LEN);
	crypto_sha_update(h, key, strlen(key));
	crypto_sha_update(h, payload, len);
	crypto_sha_final(h, d);
	memcpy(tag, d, CRYPTO_TAG_LEN);
}

/* The additional data of GCM: header || key. */
static uint8_t *
make_aad(const uint8_t *hdr, const char *key, size_t *len)
{
	size_t kl = strlen(key);
	uint8_t *aad = xmalloc(CODEC_HEADER_LEN + kl);

	memcpy(aad, hdr, CODEC_HEADER_LEN);
	memcpy(aad + CODEC_HEADER_LEN, key, kl);
	*len = CODEC_HEADER_LEN + kl;
	return aad;
}

int
codec_encode(const struct codec *c, struct codec_work *w, char kind,
    const char *key, const void *in, size_t len, uint8_t *out, size_t *outlen)
{
	uint8_t *hdr = out, *payload = out + CODEC_HEADER_LEN;
	const uint8_t *body = in;
	size_t bodylen = len;
	uint8_t flags = 0;

	if (c->zstd_level > 0 && len > 0 && worth_compressing(c, w, in, len)) {
		size_t z = ZSTD_compressCCtx(w->cctx, w->buf, w->cap, in, len, c->zstd_level);

		if (ZSTD_isError(z)) {
			log_error("object %s: compression failed: %s", key, ZSTD_getErrorName(z));
			return -1;
		}
		/* Keep it raw when compression does not help. */
		if (z < len) {
			body = w->buf;
			bodylen = z;
			flags |= CODEC_FLAG_ZSTD;
		}
	}
	memcpy(hdr, "VVO1", 4);
	hdr[4] = (uint8_t)kind;
	hdr[5] = flags | (c->encrypt ? CODEC_FLAG_AES : 0);
	hdr[6] = hdr[7] = 0;
	le_store(hdr + 8, len, 8);
	if (c->encrypt) {
		size_t aadlen;
		uint8_t *aad;
		int r;

		if (crypto_random(hdr + 16, CRYPTO_NONCE_LEN) < 0)
			return -1;
		aad = make_aad(hdr, key, &aadlen);
		r = crypto_seal(c->data_key, hdr + 16, aad, aadlen, body, bodylen,
		    payload, payload + bodylen);
		free(aad);
		if (r < 0) {
			log_error("object %s: encryption failed", key);
			return -1;
		}
	} else {
		memset(hdr + 16, 0, CRYPTO_NONCE_LEN);
		memmove(payload, body, bodylen);
		plain_tag(hdr, key, payload, bodylen, payload + bodylen);
	}
	*outlen = CODEC_HEADER_LEN + bodylen + CRYPTO_TAG_LEN;
	return 0;
}

int
codec_decode(const struct codec *c, struct codec_work *w, char kind,
    const char *key, const uint8_t *in, size_t len, uint8_t *out, size_t maxplain,
    size_t *outlen, char *err, size_t errlen)
{
	const uint8_t *payload = in + CODEC_HEADER_LEN;
	size_t plen;
	uint64_t plain;
	uint8_t flags;
	const uint8_t *body;

	if (len < CODEC_OVERHEAD || memcmp(in, "VVO1", 4) != 0) {
		snprintf(err, errlen, "not a virtvault object (bad header)");
		return -1;
	}
	if (in[4] != (uint8_t)kind) {
		snprintf(err, errlen, "wrong object kind '%c', expected '%c'", in[4], kind);
		return -1;
	}
	flags = in[5];
	if ((flags & ~(CODEC_FLAG_ZSTD | CODEC_FLAG_AES)) != 0 || in[6] || in[7] ||
	    !!(flags & CODEC_FLAG_AES) != c->encrypt) {
		snprintf(err, errlen, "unexpected flags 0x%02x in the header", flags);
		return -1;
	}
	plain = le_load(in + 8, 8);
	if (plain > maxplain) {
		snprintf(err, errlen, "declares %llu bytes, more than %zu",
		    (unsigned long long)plain, maxplain);
		return -1;
	}
	plen = len - CODEC_OVERHEAD;
	if (plen > w->cap) {
		snprintf(err, errlen, "payload of %zu bytes is larger than possible", plen);
		return -1;
	}
	if (c->encrypt) {
		size_t aadlen;
		uint8_t *aad = make_aad(in, key, &aadlen);
		int r = crypto_open(c->data_key, in + 16, aad, aadlen, payload, plen,
		    w->buf, payload + plen);

		free(aad);
		if (r < 0) {
			snprintf(err, errlen, "authentication failed (altered, corrupt, or not this object)");
			return -1;
		}
		body = w->buf;
	} else {
		uint8_t tag[CRYPTO_TAG_LEN];

		plain_tag(in, key, payload, plen, tag);
		if (memcmp(tag, payload + plen, CRYPTO_TAG_LEN) != 0) {
			snprintf(err, errlen, "checksum mismatch (altered, corrupt, or not this object)");
			return -1;
		}
		body = payload;
	}
	if (flags & CODEC_FLAG_ZSTD) {
		size_t z = ZSTD_decompressDCtx(w->dctx, out, maxplain, body, plen);

		if (ZSTD_isError(z) || z != plain) {
			snprintf(err, errlen, "cannot decompress: %s",
			    ZSTD_isError(z) ? ZSTD_getErrorName(z) : "length mismatch");
			return -1;
		}
	} else {
		if (plen != plain) {
			snprintf(err, errlen, "stored length %zu differs from %llu", plen,
			    (unsigned long long)plain);
			return -1;
		}
		memcpy(out, body, plen);
	}
	*outlen = plain;
	return 0;
}
