#include "common/crypto.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"

static const char *
ossl_err(void)
{
	static __thread char buf[256];
	unsigned long e = ERR_get_error();

	if (e == 0)
		return "unknown OpenSSL error";
	ERR_error_string_n(e, buf, sizeof(buf));
	return buf;
}

int
crypto_random(void *buf, size_t len)
{
	if (RAND_bytes(buf, (int)len) != 1) {
		log_error("cannot get random bytes: %s", ossl_err());
		return -1;
	}
	return 0;
}

void
crypto_sha256(const void *data, size_t len, uint8_t out[CRYPTO_HASH_LEN])
{
	SHA256(data, len, out);
}

struct crypto_sha {
	EVP_MD_CTX *ctx;
};

struct crypto_sha *
crypto_sha_new(void)
{
	struct crypto_sha *h = xcalloc(1, sizeof(*h));

	h->ctx = EVP_MD_CTX_new();
	if (h->ctx == NULL || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1)
		abort();
	return h;
}

void
crypto_sha_update(struct crypto_sha *h, const void *data, size_t len)
{
	if (EVP_DigestUpdate(h->ctx, data, len) != 1)
		abort();
}

void
crypto_sha_final(struct crypto_sha *h, uint8_t out[CRYPTO_HASH_LEN])
{
	unsigned int n = 0;

	if (EVP_DigestFinal_ex(h->ctx, out, &n) != 1)
		abort();
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

void
crypto_hmac(const uint8_t key[CRYPTO_KEY_LEN], const void *data, size_t len,
    uint8_t out[CRYPTO_HASH_LEN])
{
	unsigned int n = CRYPTO_HASH_LEN;

	if (HMAC(EVP_sha256(), key, CRYPTO_KEY_LEN, data, len, out, &n) == NULL)
		abort();
}

void
crypto_hmac_any(const uint8_t *key, size_t keylen, const void *data, size_t len,
    uint8_t out[CRYPTO_HASH_LEN])
{
	unsigned int n = CRYPTO_HASH_LEN;

	if (HMAC(EVP_sha256(), key, (int)keylen, data, len, out, &n) == NULL)
		abort();
}

int
crypto_hkdf(const uint8_t master[CRYPTO_KEY_LEN], const char *info,
    uint8_t out[CRYPTO_KEY_LEN])
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM params[4];
	int ret = -1;

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, "SHA256", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
	    (void *)master, CRYPTO_KEY_LEN);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
	    (void *)info, strlen(info));
	params[3] = OSSL_PARAM_construct_end();
	if (ctx == NULL || EVP_KDF_derive(ctx, out, CRYPTO_KEY_LEN, params) != 1) {
		/* No half-derived key left behind. */
		OPENSSL_cleanse(out, CRYPTO_KEY_LEN);
		log_error("cannot derive a key (HKDF): %s", ossl_err());
	} else
		ret = 0;
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return ret;
}

int
crypto_scrypt(const char *password, size_t pwlen, const uint8_t *salt,
    size_t saltlen, uint64_t n, uint32_t r, uint32_t p, uint8_t out[CRYPTO_KEY_LEN])
{
	/* N * r * 128 bytes, with room to spare. */
	uint64_t maxmem = n * r * 128 * 2 + (1 << 20);

	if (EVP_PBE_scrypt(password, pwlen, salt, saltlen, n, r, p, maxmem, out,
	    CRYPTO_KEY_LEN) != 1) {
		OPENSSL_cleanse(out, CRYPTO_KEY_LEN);
		log_error("cannot derive the key from the password (scrypt N=%llu r=%u p=%u): %s",
		    (unsigned long long)n, r, p, ossl_err());
		return -1;
	}
	return 0;
}

static int
gcm(int enc, const uint8_t key[CRYPTO_KEY_LEN], const uint8_t nonce[CRYPTO_NONCE_LEN],
    const void *aad, size_t aadlen, const void *in, size_t len, void *out,
    uint8_t tag[CRYPTO_TAG_LEN])
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, ok;
	size_t done = 0;

	if (ctx == NULL)
		return -1;
	ok = EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, nonce, enc) == 1;
	if (ok && aadlen > 0)
		ok = EVP_CipherUpdate(ctx, NULL, &n, aad, (int)aadlen) == 1;
	/* In pieces: EVP takes an int length. */
	while (ok && done < len) {
		size_t piece = len - done > (1u << 30) ? (1u << 30) : len - done;

		ok = EVP_CipherUpdate(ctx, (uint8_t *)out + done, &n,
		    (const uint8_t *)in + done, (int)piece) == 1;
		done += piece;
	}
	if (ok && !enc)
		ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, CRYPTO_TAG_LEN, tag) == 1;
	if (ok)
		ok = EVP_CipherFinal_ex(ctx, (uint8_t *)out + done, &n) == 1;
	if (ok && enc)
		ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, CRYPTO_TAG_LEN, tag) == 1;
	EVP_CIPHER_CTX_free(ctx);
	ERR_clear_error();
	return ok ? 0 : -1;
}

int
crypto_seal(const uint8_t key[CRYPTO_KEY_LEN], const uint8_t nonce[CRYPTO_NONCE_LEN],
    const void *aad, size_t aadlen, const void *in, size_t len, void *out,
    uint8_t tag[CRYPTO_TAG_LEN])
{
	return gcm(1, key, nonce, aad, aadlen, in, len, out, tag);
}

int
crypto_open(const uint8_t key[CRYPTO_KEY_LEN], const uint8_t nonce[CRYPTO_NONCE_LEN],
    const void *aad, size_t aadlen, const void *in, size_t len, void *out,
    const uint8_t tag[CRYPTO_TAG_LEN])
{
	uint8_t t[CRYPTO_TAG_LEN];

	memcpy(t, tag, sizeof(t));
	return gcm(0, key, nonce, aad, aadlen, in, len, out, t);
}

void
crypto_hex(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

int
crypto_base64_decode(const char *in, size_t cap, char **out, size_t *len)
{
	size_t n = strlen(in), pad = 0;
	unsigned char *buf;
	int got;

	*out = NULL;
	*len = 0;
	if (n % 4 != 0 || n > (size_t)INT_MAX)
		return -1;
	if (n > 0 && in[n - 1] == '=')
		pad++;
	if (n > 1 && in[n - 2] == '=')
		pad++;
	buf = xmalloc(n / 4 * 3 + 1);
	got = EVP_DecodeBlock(buf, (const unsigned char *)in, (int)n);
	if (got < 0) {
		free(buf);
		return -1;
	}
	/* EVP_DecodeBlock counts the padding as bytes. */
	*len = (size_t)got - pad;
	if (*len > cap)
		*len = cap;
	buf[*len] = '\0';
	*out = (char *)buf;
	return 0;
}

int
crypto_unhex(const char *in, uint8_t *out, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		int v = 0;

		for (int k = 0; k < 2; k++) {
			char c = in[2 * i + k];

			v <<= 4;
			if (c >= '0' && c <= '9')
				v |= c - '0';
			else if (c >= 'a' && c <= 'f')
				v |= c - 'a' + 10;
			else
				return -1;
		}
		out[i] = (uint8_t)v;
	}
	return in[2 * len] == '\0' ? 0 : -1;
}

void
crypto_md5_base64(const void *data, size_t len, char out[25])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (EVP_Digest(data, len, md, &n, EVP_md5(), NULL) != 1 || n != 16)
		n = 0;
	if (n == 0)
		memset(md, 0, 16);
	EVP_EncodeBlock((unsigned char *)out, md, 16);
}

char *
crypto_base64(const void *data, size_t len)
{
	/* 4 characters for each 3 bytes or part, and the terminator. */
	char *out = xcalloc(4 * ((len + 2) / 3) + 1, 1);
	const unsigned char *in = data;
	size_t at = 0;

	/* EVP_EncodeBlock takes an int: in slices a multiple of 3. */
	while (len > 0) {
		size_t k = len > 3u << 20 ? 3u << 20 : len;

		at += (size_t)EVP_EncodeBlock((unsigned char *)out + at, in, (int)k);
		in += k;
		len -= k;
	}
	out[at] = '\0';
	return out;
}
