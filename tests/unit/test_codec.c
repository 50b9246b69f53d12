/*
 * The chunk codec: round trips, and every byte of a stored object flipped
 * in turn is caught.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "repo/codec.h"

static const uint8_t master[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
	17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32 };

static uint8_t *
sample(size_t n, bool compressible)
{
	uint8_t *b = xmalloc(n);

	for (size_t i = 0; i < n; i++)
		b[i] = compressible ? (uint8_t)("log line %d\n"[i % 12]) : (uint8_t)(i * 2654435761u >> 13);
	if (!compressible)
		crypto_random(b, n);
	return b;
}

static void
round_trip(const struct codec *c, const uint8_t *data, size_t n, bool expect_zstd)
{
	struct codec_work *w = codec_work_new(n);
	uint8_t *enc = xmalloc(codec_bound(n)), *dec = xmalloc(n + 1);
	size_t elen = 0, dlen = 0;
	char err[160];

	assert_int_equal(codec_encode(c, w, CODEC_KIND_CHUNK, "chunks/ab/abc", data, n, enc, &elen), 0);
	assert_int_equal(!!(enc[5] & CODEC_FLAG_ZSTD), expect_zstd);
	assert_int_equal(!!(enc[5] & CODEC_FLAG_AES), codec_encrypted(c));
	assert_int_equal(codec_decode(c, w, CODEC_KIND_CHUNK, "chunks/ab/abc", enc, elen, dec, n,
	    &dlen, err, sizeof(err)), 0);
	assert_int_equal(dlen, n);
	assert_memory_equal(dec, data, n);
	/* The plaintext must not be visible in an encrypted object. */
	if (codec_encrypted(c) && n >= 64)
		assert_true(memmem(enc, elen, data + 16, 32) == NULL);
	free(enc);
	free(dec);
	codec_work_free(w);
}

static void
test_round_trips(void **state)
{
	struct codec *enc = codec_new(master, 1), *plain = codec_new(NULL, 3), *raw = codec_new(master, 0);
	uint8_t *text = sample(1 << 20, true), *rnd = sample(1 << 20, false);

	(void)state;
	round_trip(enc, text, 1 << 20, true);
	round_trip(enc, rnd, 1 << 20, false);	/* kept raw: zstd does not help */
	round_trip(enc, text, 1, false);
	round_trip(plain, text, 1 << 20, true);
	round_trip(plain, rnd, 4096, false);
	round_trip(raw, text, 65536, false);
	free(text);
	free(rnd);
	codec_free(enc);
	codec_free(plain);
	codec_free(raw);
}

static void
test_ids(void **state)
{
	struct codec *a = codec_new(master, 1), *n = codec_new(NULL, 1);
	uint8_t other[32], id1[32], id2[32], id3[32], sha[32];

	(void)state;
	memcpy(other, master, 32);
	other[0] ^= 1;
	struct codec *b = codec_new(other, 1);

	codec_id(a, "hello", 5, id1);
	codec_id(b, "hello", 5, id2);
	codec_id(n, "hello", 5, id3);
	crypto_sha256("hello", 5, sha);
	/* Keyed: another repository's key gives other IDs; unkeyed: SHA-256. */
	assert_memory_not_equal(id1, id2, 32);
	assert_memory_equal(id3, sha, 32);
	assert_memory_not_equal(id1, sha, 32);
	codec_free(a);
	codec_free(b);
	codec_free(n);
}

static void
tamper_every_byte(const struct codec *c, size_t n)
{
	uint8_t *data = sample(n, true);
	struct codec_work *w = codec_work_new(n);
	uint8_t *enc = xmalloc(codec_bound(n)), *dec = xmalloc(n);
	size_t elen = 0, dlen;
	char err[160];

	assert_int_equal(codec_encode(c, w, CODEC_KIND_CHUNK, "chunks/00/k", data, n, enc, &elen), 0);
	for (size_t i = 0; i < elen; i++) {
		for (int bit = 0; bit < 8; bit += 7) {
			enc[i] ^= (uint8_t)(1 << bit);
			if (codec_decode(c, w, CODEC_KIND_CHUNK, "chunks/00/k", enc, elen, dec, n, &dlen,
			    err, sizeof(err)) == 0)
				fail_msg("flipping bit %d of byte %zu of %zu went unnoticed", bit, i, elen);
			enc[i] ^= (uint8_t)(1 << bit);
		}
	}
	/* Under another name or kind, or truncated, or extended: refused. */
	assert_int_equal(codec_decode(c, w, CODEC_KIND_CHUNK, "chunks/00/other", enc, elen, dec, n,
	    &dlen, err, sizeof(err)), -1);
	assert_int_equal(codec_decode(c, w, CODEC_KIND_INDEX, "chunks/00/k", enc, elen, dec, n,
	    &dlen, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "wrong object kind"));
	for (size_t cut = 0; cut < elen; cut += elen / 7 + 1)
		assert_int_equal(codec_decode(c, w, CODEC_KIND_CHUNK, "chunks/00/k", enc, cut, dec, n,
		    &dlen, err, sizeof(err)), -1);
	/* A declared length above the caller's bound. */
	assert_int_equal(codec_decode(c, w, CODEC_KIND_CHUNK, "chunks/00/k", enc, elen, dec, n - 1,
	    &dlen, err, sizeof(err)), -1);
	assert_int_equal(codec_decode(c, w, CODEC_KIND_CHUNK, "chunks/00/k", enc, elen, dec, n, &dlen,
	    err, sizeof(err)), 0);
	free(data);
	free(enc);
	free(dec);
	codec_work_free(w);
}

static void
test_tamper(void **state)
{
	struct codec *enc = codec_new(master, 1), *plain = codec_new(NULL, 1);

	(void)state;
	tamper_every_byte(enc, 3000);
	tamper_every_byte(plain, 3000);
	codec_free(enc);
	codec_free(plain);
}

static void
test_wrong_key(void **state)
{
	uint8_t other[32] = { 9 };
	struct codec *a = codec_new(master, 1), *b = codec_new(other, 1), *n = codec_new(NULL, 1);
	struct codec_work *w = codec_work_new(100);
	uint8_t enc[256], dec[100];
	size_t elen, dlen;
	char err[160];

	(void)state;
	assert_int_equal(codec_encode(a, w, CODEC_KIND_MANIFEST, "snapshots/x/y", "manifest", 8, enc, &elen), 0);
	assert_int_equal(codec_decode(b, w, CODEC_KIND_MANIFEST, "snapshots/x/y", enc, elen, dec, 100,
	    &dlen, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "authentication failed"));
	/* An encrypted object read as unencrypted, and the reverse. */
	assert_int_equal(codec_decode(n, w, CODEC_KIND_MANIFEST, "snapshots/x/y", enc, elen, dec, 100,
	    &dlen, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unexpected flags"));
	codec_work_free(w);
	codec_free(a);
	codec_free(b);
	codec_free(n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trips),
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_tamper),
		cmocka_unit_test(test_wrong_key),
	};

	return cmocka_run_group_tests_name("codec", tests, NULL, NULL);
}
