/*
 * The cryptography of the repository, on OpenSSL 3: random bytes, SHA-256,
 * HMAC-SHA-256, HKDF, scrypt and AES-256-GCM. No OpenSSL type leaves
 * this module.
 */
#ifndef VV_CRYPTO_H
#define VV_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define CRYPTO_KEY_LEN 32
#define CRYPTO_HASH_LEN 32
#define CRYPTO_NONCE_LEN 12
#define CRYPTO_TAG_LEN 16

/* crypto_random: LEN random bytes into BUF. Returns 0 or -1 (logged). */
int crypto_random(void *buf, size_t len);

/* crypto_sha256: the SHA-256 of LEN bytes at DATA into OUT. */
void crypto_sha256(const void *data, size_t len, uint8_t out[CRYPTO_HASH_LEN]);

/* A streaming SHA-256 (whole image files). */
struct crypto_sha;
struct crypto_sha *crypto_sha_new(void);
void crypto_sha_update(struct crypto_sha *h, const void *data, size_t len);
/* crypto_sha_final: the digest into OUT; H is freed. */
void crypto_sha_final(struct crypto_sha *h, uint8_t out[CRYPTO_HASH_LEN]);

/* crypto_hmac: HMAC-SHA-256 of DATA under KEY into OUT. */
void crypto_hmac(const uint8_t key[CRYPTO_KEY_LEN], const void *data, size_t len,
    uint8_t out[CRYPTO_HASH_LEN]);

/* crypto_hmac_any: HMAC-SHA-256 of DATA under a key of any length. */
void crypto_hmac_any(const uint8_t *key, size_t keylen, const void *data, size_t len,
    uint8_t out[CRYPTO_HASH_LEN]);

/* crypto_hkdf: a 32-byte subkey of MASTER for the purpose INFO. */
int crypto_hkdf(const uint8_t master[CRYPTO_KEY_LEN], const char *info,
    uint8_t out[CRYPTO_KEY_LEN]);

/*
 * crypto_scrypt: derive a 32-byte key from PASSWORD and SALT with the cost
 * N (a power of two), R and P. Returns 0 or -1 (logged).
 */
int crypto_scrypt(const char *password, size_t pwlen, const uint8_t *salt,
    size_t saltlen, uint64_t n, uint32_t r, uint32_t p, uint8_t out[CRYPTO_KEY_LEN]);

/*
 * crypto_seal: AES-256-GCM encrypt LEN bytes of IN into OUT (LEN bytes)
 * with NONCE, authenticating AAD too; the tag goes to TAG. Returns 0 or -1.
 */
int crypto_seal(const uint8_t key[CRYPTO_KEY_LEN], const uint8_t nonce[CRYPTO_NONCE_LEN],
    const void *aad, size_t aadlen, const void *in, size_t len, void *out,
    uint8_t tag[CRYPTO_TAG_LEN]);

/*
 * crypto_open: the inverse of crypto_seal. Returns 0, or -1 when the tag
 * does not match (wrong key, altered data): OUT must then be ignored.
 */
int crypto_open(const uint8_t key[CRYPTO_KEY_LEN], const uint8_t nonce[CRYPTO_NONCE_LEN],
    const void *aad, size_t aadlen, const void *in, size_t len, void *out,
    const uint8_t tag[CRYPTO_TAG_LEN]);

/* crypto_hex: LEN bytes as lower-case hex into OUT (2*LEN+1 bytes). */
void crypto_hex(const uint8_t *in, size_t len, char *out);

/* crypto_md5_base64: the base64 MD5 of DATA into OUT (25 bytes), for the
 * Content-MD5 header S3 requires on some requests; not for security. */
void crypto_md5_base64(const void *data, size_t len, char out[25]);

/*
 * crypto_base64_decode: the base64 text IN as bytes, at most CAP of them
 * kept (the rest dropped), into a new buffer *OUT (NUL-terminated, for
 * text) of *LEN bytes. Returns 0, or -1 when IN is not base64 (not logged).
 */
int crypto_base64_decode(const char *in, size_t cap, char **out, size_t *len);

/* crypto_unhex: 2*LEN hex digits into OUT. Returns 0 or -1. */
int crypto_unhex(const char *in, uint8_t *out, size_t len);

/*
 * crypto_base64: the LEN bytes of DATA in base64 (RFC 4648, padded, no
 * line breaks), a new string (the caller frees it): a picture as a data:
 * URI, an attachment.
 */
char *crypto_base64(const void *data, size_t len);

#endif
