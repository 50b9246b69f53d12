/*
 * The stored form of every repository object but `config` and keys:
 *
 *   header (28 bytes): "VVO1", kind, flags, 2 zero bytes,
 *                      plaintext length (8, little-endian), nonce (12)
 *   payload:           the plaintext, zstd-compressed when that helps,
 *                      then AES-256-GCM-encrypted when encryption is on
 *   tag (16 bytes):    the GCM tag over payload, authenticating the header
 *                      and the object's key as additional data; without
 *                      encryption the first 16 bytes of
 *                      SHA-256(header || key || payload)
 *
 * Binding the key means an object cannot be swapped for another unnoticed.
 * docs/FORMAT.md has the details.
 */
#ifndef VV_CODEC_H
#define VV_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/crypto.h"
#include "transport/store.h"

#define CODEC_HEADER_LEN 28
#define CODEC_OVERHEAD (CODEC_HEADER_LEN + CRYPTO_TAG_LEN)

#define CODEC_KIND_CHUNK 'C'
#define CODEC_KIND_INDEX 'I'
#define CODEC_KIND_MANIFEST 'M'

#define CODEC_FLAG_ZSTD 0x1
#define CODEC_FLAG_AES 0x2

struct codec;
/* Per-thread scratch: compression contexts and a buffer. */
struct codec_work;

/*
 * codec_new: a codec. MASTER (32 bytes) is the repository's master key, or
 * NULL for an unencrypted repository. ZSTD_LEVEL 0 stores bodies raw.
 * Returns a codec to free with codec_free, or NULL (logged).
 */
struct codec *codec_new(const uint8_t *master, int zstd_level);
void codec_free(struct codec *c);

struct codec_work *codec_work_new(size_t max_plain);
void codec_work_free(struct codec_work *w);

/*
 * codec_work_fetched: W's buffer for the objects its worker fetches
 * (store_get_buf), kept from one object to the next.
 */
struct store_buf *codec_work_fetched(struct codec_work *w);

/* codec_encrypted: whether the codec encrypts. */
bool codec_encrypted(const struct codec *c);

/*
 * codec_id: the ID of a chunk: HMAC-SHA-256 under a key derived from the
 * master key, or SHA-256 when unencrypted.
 */
void codec_id(const struct codec *c, const void *data, size_t len,
    uint8_t id[CRYPTO_HASH_LEN]);

/*
 * codec_declared_len: the plaintext length the header of the encoded
 * object IN (LEN bytes) declares, into *PLAIN (not yet authenticated: a
 * bound for the buffer only). Returns 0, or -1 when IN is too short.
 */
int codec_declared_len(const uint8_t *in, size_t len, uint64_t *plain);

/* codec_bound: the largest encoding of LEN bytes. */
size_t codec_bound(size_t len);

/*
 * codec_encode: encode LEN bytes of IN as object KEY of KIND into OUT
 * (codec_bound(LEN) bytes); *OUTLEN is set. W must hold LEN bytes.
 * Returns 0, or -1 (logged).
 */
int codec_encode(const struct codec *c, struct codec_work *w, char kind,
    const char *key, const void *in, size_t len, uint8_t *out, size_t *outlen);

/*
 * codec_decode: decode object KEY of KIND from IN (LEN bytes) into OUT,
 * which holds MAXPLAIN bytes; *OUTLEN gets the plaintext length. Returns
 * 0, or -1 with the reason (corrupt, altered, wrong kind, too large) in
 * ERR: nothing in OUT may then be used.
 */
int codec_decode(const struct codec *c, struct codec_work *w, char kind,
    const char *key, const uint8_t *in, size_t len, uint8_t *out, size_t maxplain,
    size_t *outlen, char *err, size_t errlen);

#endif
