/*
 * SigV4 against AWS's published S3 examples, and the canonical forms.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "transport/s3_int.h"
#include "transport/s3_policy.h"
#include "transport/s3_sign.h"
#include "transport/store.h"
#include "transport/store_backend.h"

#define EMPTY_SHA "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define ABC_SHA "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define AK "AKIAIOSFODNN7EXAMPLE"
#define SK "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

static void
test_get_object_example(void **state)
{
	const struct s3_header h[] = {
		{ "host", "examplebucket.s3.amazonaws.com" },
		{ "range", "bytes=0-9" },
		{ "x-amz-content-sha256", EMPTY_SHA },
		{ "x-amz-date", "20130524T000000Z" },
	};
	struct s3_sign_req r = { "GET", "/test.txt", "", h, 4, EMPTY_SHA, AK, SK, "us-east-1",
		"20130524T000000Z" };
	char auth[512];

	(void)state;
	assert_int_equal(s3_sign(&r, auth, sizeof(auth)), 0);
	assert_string_equal(auth, "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
	    "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
	    "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
	assert_int_equal(s3_sign(&r, auth, 40), -1);
}

static void
test_list_objects_example(void **state)
{
	static const char *const names[] = { "prefix", "max-keys" };
	static const char *const values[] = { "J", "2" };
	char *q = s3_query(names, values, 2);
	const struct s3_header h[] = {
		{ "host", "examplebucket.s3.amazonaws.com" },
		{ "x-amz-content-sha256", EMPTY_SHA },
		{ "x-amz-date", "20130524T000000Z" },
	};
	struct s3_sign_req r = { "GET", "/", q, h, 3, EMPTY_SHA, AK, SK, "us-east-1",
		"20130524T000000Z" };
	char auth[512];

	(void)state;
	assert_string_equal(q, "max-keys=2&prefix=J");
	assert_int_equal(s3_sign(&r, auth, sizeof(auth)), 0);
	assert_non_null(strstr(auth, "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"));
	free(q);
}

static void
test_lifecycle_example(void **state)
{
	static const char *const names[] = { "lifecycle" };
	static const char *const values[] = { "" };
	char *q = s3_query(names, values, 1);
	const struct s3_header h[] = {
		{ "host", "examplebucket.s3.amazonaws.com" },
		{ "x-amz-content-sha256", EMPTY_SHA },
		{ "x-amz-date", "20130524T000000Z" },
	};
	struct s3_sign_req r = { "GET", "/", q, h, 3, EMPTY_SHA, AK, SK, "us-east-1",
		"20130524T000000Z" };
	char auth[512];

	(void)state;
	/* An empty value keeps its '='. */
	assert_string_equal(q, "lifecycle=");
	assert_int_equal(s3_sign(&r, auth, sizeof(auth)), 0);
	assert_non_null(strstr(auth, "Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"));
	free(q);
}

static void
test_encoding(void **state)
{
	static const char *const names[] = { "uploadId", "partNumber", "uploads", "prefix" };
	static const char *const values[] = { "2~abc/+=", "10", "", "chunks/a b" };
	char *s;

	(void)state;
	s = s3_uri_encode("/chunks/ab/AB-_.~ x+y=z", 0);
	assert_string_equal(s, "/chunks/ab/AB-_.~%20x%2By%3Dz");
	free(s);
	s = s3_uri_encode("a/b", 1);
	assert_string_equal(s, "a%2Fb");
	free(s);
	s = s3_uri_encode("\xc3\xa9", 0);
	assert_string_equal(s, "%C3%A9");
	free(s);
	s = s3_query(names, values, 4);
	assert_string_equal(s, "partNumber=10&prefix=chunks%2Fa%20b&uploadId=2~abc%2F%2B%3D&uploads=");
	free(s);
}

static void
test_retry_policy(void **state)
{
	static const struct {
		bool net;
		long http;
		const char *body;
		bool retry;
	} cases[] = {
		{ true, 0, NULL, true }, { false, 500, NULL, true }, { false, 502, NULL, true },
		{ false, 503, "<Error><Code>SlowDown</Code></Error>", true }, { false, 504, NULL, true },
		{ false, 429, NULL, true }, { false, 400, NULL, false }, { false, 403, NULL, false },
		{ false, 404, "<Code>NoSuchKey</Code>", false }, { false, 200, NULL, false },
		{ false, 200, "<Error><Code>SlowDown</Code></Error>", true }, { false, 409, NULL, false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(s3_should_retry(cases[i].net, cases[i].http, cases[i].body), cases[i].retry);
	assert_int_equal(s3_backoff_ms(1, 0), 100);
	assert_int_equal(s3_backoff_ms(1, 1), 200);
	assert_int_equal(s3_backoff_ms(3, 0), 400);
	assert_int_equal(s3_backoff_ms(30, 1), 10000);
	assert_int_equal(s3_backoff_ms(30, 0), 5000);
}

static void
test_part_sizes(void **state)
{
	const uint64_t mib = 1024 * 1024;
	static const struct {
		uint64_t size, part, count;
	} cases[] = {
		{ 1, 5 * 1024 * 1024, 1 },
		{ 0, 5 * 1024 * 1024, 1 },
		{ 5 * 1024 * 1024, 5 * 1024 * 1024, 1 },
		{ 5 * 1024 * 1024 + 1, 5 * 1024 * 1024, 2 },
		{ 16 * 1024 * 1024, 5 * 1024 * 1024, 4 },
		{ 50000ULL * 1024 * 1024, 5 * 1024 * 1024, 10000 },
		{ 50000ULL * 1024 * 1024 + 1, 6 * 1024 * 1024, 8334 },
		{ 1ULL << 40, 105 * 1024 * 1024, 9987 },
		{ 5ULL << 40, 525 * 1024 * 1024, 9987 },
	};
	uint64_t part, count;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(s3_part_size(cases[i].size, &part, &count), 0);
		if (part != cases[i].part || count != cases[i].count)
			fail_msg("size %llu: part %llu x %llu, want %llu x %llu",
			    (unsigned long long)cases[i].size, (unsigned long long)part,
			    (unsigned long long)count, (unsigned long long)cases[i].part,
			    (unsigned long long)cases[i].count);
		assert_true(count <= S3_PARTS_MAX && part >= S3_PART_MIN && part % mib == 0);
		assert_true(part * count >= cases[i].size);
	}
	assert_int_equal(s3_part_size((5ULL << 40) + 1, &part, &count), -1);
}

/* A ListObjectVersions page as S3 documents it (and RGW answers). */
static const char versions_page[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
    "<ListVersionsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
    "<Name>bucket</Name><Prefix>r/chunks/ab</Prefix><KeyMarker></KeyMarker>"
    "<VersionIdMarker></VersionIdMarker><MaxKeys>1000</MaxKeys>"
    "<IsTruncated>true</IsTruncated>"
    "<NextKeyMarker>r/chunks/abc</NextKeyMarker><NextVersionIdMarker>v9</NextVersionIdMarker>"
    "<DeleteMarker><Key>r/chunks/ab</Key><VersionId>m3</VersionId><IsLatest>true</IsLatest>"
    "<LastModified>2026-12-05T03:00:02.000Z</LastModified></DeleteMarker>"
    "<Version><Key>r/chunks/ab</Key><VersionId>v2</VersionId><IsLatest>false</IsLatest>"
    "<LastModified>2026-12-05T03:00:01.000Z</LastModified><ETag>\"x\"</ETag>"
    "<Size>17</Size><StorageClass>STANDARD</StorageClass></Version>"
    "<Version><Key>r/chunks/ab</Key><VersionId>null</VersionId><IsLatest>false</IsLatest>"
    "<LastModified>2026-12-05T02:59:59.000Z</LastModified><Size>16</Size></Version>"
    "<Version><Key>r/chunks/abc</Key><VersionId>v9</VersionId><IsLatest>true</IsLatest>"
    "<LastModified>2026-12-05T03:00:00.000Z</LastModified><Size>5</Size></Version>"
    "</ListVersionsResult>";

static void
test_versions_parse(void **state)
{
	struct store_version *v = NULL;
	size_t n = 0;
	bool more;
	char km[64], vm[64];
	const char *last = "<ListVersionsResult><IsTruncated>false</IsTruncated>"
	    "<Version><Key>k</Key><VersionId>null</VersionId><IsLatest>true</IsLatest>"
	    "<Size>3</Size></Version></ListVersionsResult>";

	(void)state;
	assert_int_equal(s3_parse_versions("r/chunks/ab", 0, NULL, versions_page, strlen(versions_page), &v,
	    &n, &more, km, sizeof(km), vm, sizeof(vm)), 0);
	/* Only the key itself, not r/chunks/abc that shares its prefix; in order. */
	assert_int_equal(n, 3);
	assert_true(more);
	assert_string_equal(km, "r/chunks/abc");
	assert_string_equal(vm, "v9");
	assert_string_equal(v[0].id, "m3");
	assert_true(v[0].delete_marker && v[0].latest);
	assert_int_equal(v[0].modified, 1796439602);
	assert_string_equal(v[1].id, "v2");
	assert_false(v[1].delete_marker || v[1].latest);
	assert_int_equal(v[1].size, 17);
	assert_int_equal(v[1].modified, 1796439601);
	/* An old "null" version keeps its id: GET ?versionId=null reads it. */
	assert_string_equal(v[2].id, "null");
	assert_int_equal(v[2].size, 16);
	/* The current "null" version of an unversioned bucket is the object: "". */
	assert_int_equal(s3_parse_versions("k", 0, NULL, last, strlen(last), &v, &n, &more, km, sizeof(km),
	    vm, sizeof(vm)), 0);
	assert_int_equal(n, 4);
	assert_false(more);
	assert_string_equal(v[3].id, "");
	assert_true(v[3].latest);
	free(v);
	v = NULL;
	n = 0;
	assert_int_equal(s3_parse_versions("k", 0, NULL, "<html>", 6, &v, &n, &more, km, sizeof(km), vm,
	    sizeof(vm)), -1);
	/* A prefix: every key under it, the store's prefix stripped. */
	{
		struct strlist keys = { 0 };

		assert_int_equal(s3_parse_versions("r/chunks/ab", 2, &keys, versions_page,
		    strlen(versions_page), &v, &n, &more, km, sizeof(km), vm, sizeof(vm)), 0);
		assert_int_equal(n, 4);
		assert_int_equal(keys.n, 4);
		assert_string_equal(keys.v[0], "chunks/ab");
		assert_string_equal(keys.v[3], "chunks/abc");
		assert_string_equal(v[3].id, "v9");
		strlist_clear(&keys);
		free(v);
		v = NULL;
		n = 0;
	}
	/* Truncated without a marker: an error, not a loop. */
	assert_int_equal(s3_parse_versions("k", 0, NULL, "<L><IsTruncated>true</IsTruncated></L>", 38, &v,
	    &n, &more, km, sizeof(km), vm, sizeof(vm)), -1);
	assert_int_equal(n, 0);
	free(v);
}

static void
test_refusals(void **state)
{
	char locked[] = "<Error><Code>AccessDenied</Code><Message>forbidden by object lock</Message></Error>";
	char aws[] = "<Error><Code>AccessDenied</Code><Message>Access Denied because object protected by Object Lock</Message></Error>";
	char denied[] = "<Error><Code>AccessDenied</Code><Message></Message></Error>";
	char sig[] = "<Error><Code>SignatureDoesNotMatch</Code></Error>";
	struct resp r = RESP_INIT(0);

	(void)state;
	r.buf = locked;
	assert_int_equal(s3_refusal(403, &r), VV_LOCKED);
	r.buf = aws;
	assert_int_equal(s3_refusal(403, &r), VV_LOCKED);
	r.buf = denied;
	assert_int_equal(s3_refusal(403, &r), VV_DENIED);
	assert_int_equal(s3_refusal(500, &r), 0);
	r.buf = sig;
	assert_int_equal(s3_refusal(403, &r), 0);
	r.buf = NULL;
	assert_int_equal(s3_refusal(403, &r), 0);
}

/*
 * What a request signs of its body: the SHA-256 over http and over TLS
 * that does not verify the server, UNSIGNED-PAYLOAD over verified TLS
 * (an endpoint's or AWS's own). Opening makes no request.
 */
static void
test_payload_hash(void **state)
{
	static const struct {
		const char *endpoint;
		bool verify;
		bool unsigned_payload;
	} t[] = {
		{ "http://127.0.0.1:7480", true, false },
		{ "http://127.0.0.1:7480", false, false },
		{ "https://127.0.0.1:8480", true, true },
		{ "https://127.0.0.1:8480", false, false },
		{ "HTTPS://127.0.0.1:8480", false, false },
		{ NULL, true, true },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct store_opts so;
		struct store *st;
		char empty[65], abc[65];

		memset(&so, 0, sizeof(so));
		so.s3.endpoint = t[i].endpoint;
		so.s3.region = "us-east-1";
		so.s3.access_key = AK;
		so.s3.secret_key = SK;
		so.s3.tls_verify = t[i].verify;
		st = store_open("s3://bucket/prefix", 0, &so);
		assert_non_null(st);
		s3_payload_hash(st->priv, NULL, 0, empty);
		s3_payload_hash(st->priv, "abc", 3, abc);
		if (t[i].unsigned_payload) {
			assert_string_equal(empty, S3_UNSIGNED_PAYLOAD);
			assert_string_equal(abc, S3_UNSIGNED_PAYLOAD);
		} else {
			assert_string_equal(empty, EMPTY_SHA);
			assert_string_equal(abc, ABC_SHA);
		}
		store_close(st);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_object_example),
		cmocka_unit_test(test_list_objects_example),
		cmocka_unit_test(test_lifecycle_example),
		cmocka_unit_test(test_encoding),
		cmocka_unit_test(test_retry_policy),
		cmocka_unit_test(test_part_sizes),
		cmocka_unit_test(test_versions_parse),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_payload_hash),
	};

	return cmocka_run_group_tests_name("s3", tests, NULL, NULL);
}
