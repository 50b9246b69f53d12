/*
 * Object Lock and storage classes: the headers of a PUT, S3's dates, and
 * the decisions of the retention rounds (repo/objlock.h), by tables.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "repo/objlock.h"
#include "transport/s3_int.h"
#include "transport/store.h"

#define T0 1796440000	/* 2026-12-05T03:06:40Z */
#define DAY 86400

static void
test_put_headers(void **state)
{
	static const struct {
		const char *key;
		bool if_absent;
		const char *sclass;
		int mode;
		const char *want;
	} t[] = {
		{ "chunks/ab/abcd", false, NULL, STORE_LOCK_NONE, "" },
		{ "chunks/ab/abcd", true, NULL, STORE_LOCK_NONE, "If-None-Match: *\n" },
		{ "chunks/ab/abcd", true, "COLD", STORE_LOCK_NONE,
		  "If-None-Match: *\nx-amz-storage-class: COLD\n" },
		{ "indexes/ab/abcd", false, "STANDARD_IA", STORE_LOCK_NONE,
		  "x-amz-storage-class: STANDARD_IA\n" },
		/* Everything else stays STANDARD: listing and selection never wait on a tier. */
		{ "snapshots/h/n/2026-12-05T03:06:40Z-0123", false, "COLD", STORE_LOCK_NONE, "" },
		{ "config", false, "COLD", STORE_LOCK_NONE, "" },
		{ "keys/0123", false, "COLD", STORE_LOCK_NONE, "" },
		{ "locks/0123", false, "COLD", STORE_LOCK_NONE, "" },
		{ "chunks/ab/abcd", true, "COLD", STORE_LOCK_GOVERNANCE,
		  "If-None-Match: *\nx-amz-storage-class: COLD\nx-amz-object-lock-mode: GOVERNANCE\n"
		  "x-amz-object-lock-retain-until-date: 2026-12-06T03:06:40Z\n"
		  "Content-MD5: kAFQmDzST7DWlj99KOF/cg==\n" },
		{ "config", false, NULL, STORE_LOCK_COMPLIANCE,
		  "x-amz-object-lock-mode: COMPLIANCE\n"
		  "x-amz-object-lock-retain-until-date: 2026-12-06T03:06:40Z\n"
		  "Content-MD5: kAFQmDzST7DWlj99KOF/cg==\n" },
	};
	char out[512];

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(s3_retention_headers(t[i].key, "abc", 3, t[i].if_absent, t[i].sclass,
		    t[i].mode, T0 + DAY, out, sizeof(out)), 0);
		assert_string_equal(out, t[i].want);
	}
	/* A multipart start has no body: the lock without Content-MD5. */
	assert_int_equal(s3_retention_headers("chunks/ab/abcd", NULL, 0, false, NULL,
	    STORE_LOCK_GOVERNANCE, T0, out, sizeof(out)), 0);
	assert_string_equal(out, "x-amz-object-lock-mode: GOVERNANCE\n"
	    "x-amz-object-lock-retain-until-date: 2026-12-05T03:06:40Z\n");
	/* Too small for the lines: refused, never cut. */
	assert_int_equal(s3_retention_headers("chunks/ab/abcd", "abc", 3, true, "COLD",
	    STORE_LOCK_GOVERNANCE, T0, out, 40), -1);
}

static void
test_dates(void **state)
{
	static const struct {
		const char *text;
		int rc;
		time_t t;
	} t[] = {
		{ "2026-12-05T03:06:40Z", 0, T0 },
		{ "2026-12-05T03:06:40.000Z", 0, T0 },
		{ "2026-12-05T03:06:40.123456Z", 0, T0 },
		{ "2026-12-05T03:06:40+00:00", 0, T0 },
		{ "2026-12-05T03:06:40+02:00", -1, 0 },
		{ "2026-12-05T03:06:40", -1, 0 },
		{ "2026-12-05", -1, 0 },
		{ "", -1, 0 },
		{ "Sat, 05 Dec 2026 03:06:40 GMT", 0, T0 },
		{ "Sat, 05 Dec 2026 03:06:40 CET", -1, 0 },
	};
	char out[32];

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		time_t got = 0;

		assert_int_equal(s3_retention_parse(t[i].text, &got), t[i].rc);
		if (t[i].rc == 0)
			assert_int_equal(got, t[i].t);
	}
	s3_retention_format(T0, out);
	assert_string_equal(out, "2026-12-05T03:06:40Z");
}

static void
test_due(void **state)
{
	static const struct {
		time_t now, last;
		uint64_t extend;
		bool due;
	} t[] = {
		{ T0, 0, 6 * 3600, true },			/* never ran */
		{ T0, T0 - 6 * 3600 + 1, 6 * 3600, false },
		{ T0, T0 - 6 * 3600, 6 * 3600, true },
		{ T0, T0 - 40 * DAY, 7 * DAY, true },
		{ T0, T0 + 60, 6 * 3600, false },		/* a clock a minute off */
		{ T0, T0 + 3600, 6 * 3600, true },		/* from the future: not trusted */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_true(objlock_due(t[i].now, t[i].last, t[i].extend) == t[i].due);
}

static void
test_reuse_short(void **state)
{
	const struct objlock l = { STORE_LOCK_GOVERNANCE, 30, 7 * DAY, 0 };
	const struct objlock none = { STORE_LOCK_NONE, 0, 0, 0 };

	(void)state;
	/* Retained past the round after next: reused as it is. */
	assert_false(objlock_reuse_short(&l, T0, T0 + 23 * DAY));
	assert_false(objlock_reuse_short(&l, T0, T0 + 30 * DAY));
	/* Could lapse before the next round has extended it: extended now. */
	assert_true(objlock_reuse_short(&l, T0, T0 + 23 * DAY - 1));
	assert_true(objlock_reuse_short(&l, T0, T0 + 3600));
	assert_true(objlock_reuse_short(&l, T0, 0));
	assert_false(objlock_reuse_short(&none, T0, 0));
}

static void
test_bound(void **state)
{
	static const struct {
		const char *mode;
		unsigned days;
		uint64_t extend;
		int rc;
		uint64_t want_extend;
		const char *err;
	} t[] = {
		{ NULL, 0, 0, 0, 0, NULL },
		{ "governance", 1, 0, 0, 6 * 3600, NULL },	/* a quarter of the period */
		{ "compliance", 30, 7 * DAY, 0, 7 * DAY, NULL },
		{ "governance", 30, 15 * DAY - 1, 0, 15 * DAY - 1, NULL },
		{ "governance", 30, 15 * DAY, -1, 0, "below half of object_lock_days" },
		{ "governance", 1, 12 * 3600, -1, 0, "below half of object_lock_days" },
		{ "governance", 1, 60, -1, 0, "at least 1h" },
		{ "governance", 0, 0, -1, 0, "needs object_lock_days" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct conf c;
		struct objlock l;
		char err[320] = "";

		memset(&c, 0, sizeof(c));
		c.object_lock = (char *)t[i].mode;
		c.object_lock_days = t[i].days;
		c.object_lock_extend = t[i].extend;
		assert_int_equal(objlock_of_conf(&c, &l, err, sizeof(err)), t[i].rc);
		if (t[i].rc == 0)
			assert_int_equal(l.extend, t[i].want_extend);
		else
			assert_non_null(strstr(err, t[i].err));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_headers),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_due),
		cmocka_unit_test(test_reuse_short),
		cmocka_unit_test(test_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
