#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>

#include "common/par.h"
#include "common/util.h"

static void
test_parse_size(void **state)
{
	static const struct {
		const char *in;
		int ret;
		uint64_t want;
	} cases[] = {
		{ "0", 0, 0 }, { "123", 0, 123 }, { "512K", 0, 512 * 1024 },
		{ "4M", 0, 4 << 20 }, { "4m", 0, 4 << 20 }, { "4MiB", 0, 4 << 20 },
		{ "4MB", 0, 4 << 20 }, { "1G", 0, 1ULL << 30 }, { "2T", 0, 2ULL << 40 },
		{ "1 M", 0, 1 << 20 }, { "16B", 0, 16 },
		{ "", -1, 0 }, { "M", -1, 0 }, { "-1", -1, 0 }, { "4X", -1, 0 },
		{ "4MiBs", -1, 0 }, { "1.5M", -1, 0 }, { "99999999999999999999", -1, 0 },
		{ "16777216T", -1, 0 }, { " 4M", -1, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 0;

		assert_int_equal(util_parse_size(cases[i].in, &v), cases[i].ret);
		if (cases[i].ret == 0)
			assert_true(v == cases[i].want);
	}
}

static void
test_parse_duration(void **state)
{
	static const struct {
		const char *in;
		int ret;
		uint64_t want;
	} cases[] = {
		{ "90", 0, 90 }, { "30s", 0, 30 }, { "5m", 0, 300 }, { "2h", 0, 7200 },
		{ "1d", 0, 86400 }, { "1w", 0, 604800 }, { "1h30m", 0, 5400 },
		{ "1h30", -1, 0 }, { "", -1, 0 }, { "m", -1, 0 }, { "5x", -1, 0 },
		{ "-5s", -1, 0 }, { "5 m", -1, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 0;

		assert_int_equal(util_parse_duration(cases[i].in, &v), cases[i].ret);
		if (cases[i].ret == 0)
			assert_true(v == cases[i].want);
	}
}

static void
test_utf8(void **state)
{
	static const struct {
		const char *in;
		size_t len;
		long want;
	} cases[] = {
		{ "plain ascii", 11, -1 },
		{ "caf\xc3\xa9", 5, -1 },
		{ "\xe2\x82\xac euro", 8, -1 },
		{ "\xf0\x9f\x98\x80", 4, -1 },
		{ "ab\xff", 3, 2 },
		{ "\xc3", 1, 0 },		/* truncated */
		{ "\xc0\xaf", 2, 0 },		/* overlong */
		{ "\xed\xa0\x80", 3, 0 },	/* surrogate */
		{ "a\0b", 3, 1 },		/* NUL */
		{ "\xf4\x90\x80\x80", 4, 0 },	/* beyond U+10FFFF */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(util_utf8_check(cases[i].in, cases[i].len), cases[i].want);
}

static void
test_strlist(void **state)
{
	struct strlist l = { 0 };

	(void)state;
	assert_int_equal(strlist_split(&l, " web-*, db1 ,,\tmail "), 3);
	assert_string_equal(l.v[0], "web-*");
	assert_string_equal(l.v[1], "db1");
	assert_string_equal(l.v[2], "mail");
	assert_true(strlist_contains(&l, "db1"));
	assert_false(strlist_contains(&l, "db"));
	assert_true(strlist_glob_any(&l, "web-01"));
	assert_false(strlist_glob_any(&l, "web"));
	assert_int_equal(strlist_split(&l, " , "), 0);
	strlist_clear(&l);
	assert_int_equal(l.n, 0);
}

/* Sorted by the strings, not by where they happen to be in memory. */
static void
test_strlist_sort(void **state)
{
	static const char *in[] = { "web2", "db1", "mail", "Web1", "db10", "a" };
	static const char *want[] = { "Web1", "a", "db1", "db10", "mail", "web2" };
	struct strlist l = { 0 };

	(void)state;
	for (size_t i = 0; i < 6; i++)
		strlist_add(&l, in[i]);
	/* Put the strings at addresses in the reverse of their order. */
	for (size_t i = 0; i < l.n / 2; i++) {
		char *t = l.v[i];

		l.v[i] = l.v[l.n - 1 - i];
		l.v[l.n - 1 - i] = t;
	}
	strlist_sort(&l);
	for (size_t i = 0; i < 6; i++)
		assert_string_equal(l.v[i], want[i]);
	strlist_clear(&l);
}

static void
test_format_and_paths(void **state)
{
	char buf[32];
	char *p;

	(void)state;
	assert_string_equal(util_format_size(512, buf, sizeof(buf)), "512 B");
	assert_string_equal(util_format_size(1536, buf, sizeof(buf)), "1.5 KiB");
	assert_string_equal(util_format_size(3ULL << 30, buf, sizeof(buf)), "3.0 GiB");
	assert_string_equal(util_format_size_exact(64ULL << 20, buf, sizeof(buf)), "64M");
	assert_string_equal(util_format_size_exact(512 * 1024 + 1024, buf, sizeof(buf)), "513K");
	assert_string_equal(util_format_size_exact(1000, buf, sizeof(buf)), "1000");
	assert_string_equal(util_format_size_exact(0, buf, sizeof(buf)), "0");
	p = util_path_join("/a/", "b");
	assert_string_equal(p, "/a/b");
	free(p);
	p = util_path_join("/a", "b");
	assert_string_equal(p, "/a/b");
	free(p);
	assert_string_equal(util_basename("/x/y/z.qcow2"), "z.qcow2");
	assert_string_equal(util_basename("z"), "z");
}

/* Times, strictly: what util_parse_utc makes of each, or refuses (NULL). */
static const struct {
	const char *in;
	const char *rest;	/* NULL: refused */
	long long t;
} utc_cases[] = {
	{ "2026-11-25T00:00:00Z", "Z", 1795564800 },
	{ "2024-02-29T12:30:05.000Z", ".000Z", 1709209805 },
	{ "2026-11-25T01:00:00+01:00", "+01:00", 1795568400 },
	{ "1970-01-01T00:00:00Z", "Z", 0 },	/* a time, not "unset" */
	{ "9999-12-31T23:59:59Z", "Z", 253402300799LL },
	{ "2000-02-29T00:00:00Z", "Z", 951782400 },	/* divisible by 400: leap */
	{ "2026-12-31T23:59:59Z", "Z", 1798761599 },
	{ "2026-02-30T00:00:00Z", NULL, 0 },	/* strptime: 2026-03-02 */
	{ "2026-02-29T00:00:00Z", NULL, 0 },
	{ "2100-02-29T00:00:00Z", NULL, 0 },	/* divisible by 100: not leap */
	{ "2026-04-31T00:00:00Z", NULL, 0 },
	{ "2026-00-10T00:00:00Z", NULL, 0 },
	{ "2026-13-01T00:00:00Z", NULL, 0 },
	{ "2026-01-00T00:00:00Z", NULL, 0 },
	{ "2026-01-01T24:00:00Z", NULL, 0 },
	{ "2026-01-01T23:60:00Z", NULL, 0 },
	{ "2026-01-01T23:59:60Z", NULL, 0 },	/* leap seconds are not kept */
	{ "0001-01-01T00:00:00Z", NULL, 0 },	/* its key would not be YYYYMMDD... */
	{ "1969-12-31T23:59:59Z", NULL, 0 },
	{ "10000-01-01T00:00:00Z", NULL, 0 },
	{ "2026-1-01T00:00:00Z", NULL, 0 },
	{ "2026-01-01 00:00:00Z", NULL, 0 },
	{ "2026-01-01t00:00:00Z", NULL, 0 },
	{ " 2026-01-01T00:00:00Z", NULL, 0 },
	{ "+2026-01-01T00:00:00Z", NULL, 0 },
	{ "2026-01-01T00:00", NULL, 0 },
	{ "2026-01-01", NULL, 0 },
	{ "yesterday", NULL, 0 },
	{ "", NULL, 0 },
	{ NULL, NULL, 0 },
};

static void
test_utc_times(void **state)
{
	char buf[UTIL_UTC_LEN];

	(void)state;
	assert_string_equal(util_format_utc(1795564800, buf, sizeof(buf)), "2026-11-25T00:00:00Z");
	assert_string_equal(util_format_utc(UTIL_TIME_MAX, buf, sizeof(buf)), "9999-12-31T23:59:59Z");
	for (size_t i = 0; i < sizeof(utc_cases) / sizeof(utc_cases[0]); i++) {
		time_t t = -1;
		const char *rest = util_parse_utc(utc_cases[i].in, &t);
		bool whole = utc_cases[i].rest != NULL && strcmp(utc_cases[i].rest, "Z") == 0;

		if (utc_cases[i].rest == NULL) {
			if (rest != NULL)
				fail_msg("'%s': accepted as %lld", utc_cases[i].in, (long long)t);
			assert_int_equal(util_parse_time(utc_cases[i].in, &t), -1);
			continue;
		}
		if (rest == NULL || strcmp(rest, utc_cases[i].rest) != 0 || t != utc_cases[i].t)
			fail_msg("'%s': got '%s' %lld, want '%s' %lld", utc_cases[i].in,
			    rest ? rest : "(refused)", (long long)t, utc_cases[i].rest, utc_cases[i].t);
		assert_int_equal(util_parse_time(utc_cases[i].in, &t), whole ? 0 : -1);
		/* Round trip: what is accepted is written back the same. */
		if (whole)
			assert_string_equal(util_format_utc(t, buf, sizeof(buf)), utc_cases[i].in);
	}
	assert_int_equal(util_parse_time("2026-11-25T00:00:00Zjunk", &(time_t){ 0 }), -1);
}

/* The skew allowance: exactly UTIL_CLOCK_SKEW seconds ahead is still now. */
static void
test_time_future(void **state)
{
	const time_t now = 1795564800;
	static const struct {
		long long delta;
		bool future;
	} cases[] = {
		{ -86400, false }, { 0, false }, { 1, false }, { 599, false }, { 600, false },
		{ 601, true }, { 86400, true },
	};

	(void)state;
	assert_int_equal(UTIL_CLOCK_SKEW, 600);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (util_time_future(now + (time_t)cases[i].delta, now) != cases[i].future)
			fail_msg("now%+lld: want future=%d", cases[i].delta, cases[i].future);
	assert_true(util_time_future(UTIL_TIME_MAX, now));
	assert_true(util_time_in_range(0));
	assert_true(util_time_in_range(UTIL_TIME_MAX));
	assert_false(util_time_in_range(-1));
	assert_false(util_time_in_range(UTIL_TIME_MAX + 1));
}

/* What a log may show of a URL: no credentials, path, query or fragment. */
static void
test_url_origin(void **state)
{
	static const struct {
		const char *url, *want;
		bool userinfo;
	} cases[] = {
		{ "http://user:token@host.example/hook/T0K", "http://host.example", true },
		{ "https://tok@[::1]:8443/x?y=1", "https://[::1]:8443", true },
		{ "https://a:b@c@host:99#frag", "https://host:99", true },
		{ "http://host:8080?token=abc@def", "http://host:8080", false },
		{ "http://host/path@x/y", "http://host", false },
		{ "https://hooks.example.org", "https://hooks.example.org", false },
		{ "host/path", "host", false },
	};
	char buf[64];
	bool ui;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		util_url_origin(cases[i].url, buf, sizeof(buf), &ui);
		if (strcmp(buf, cases[i].want) != 0 || ui != cases[i].userinfo)
			fail_msg("%s: got %s (userinfo %d), want %s (%d)", cases[i].url, buf, ui,
			    cases[i].want, cases[i].userinfo);
	}
	assert_string_equal(util_url_origin("http://u:p@h/x", buf, sizeof(buf), NULL), "http://h");
	/* A small buffer truncates, never overflows. */
	assert_string_equal(util_url_origin("http://u:p@longhost/x", buf, 10, NULL), "http://lo");
}

/* Text from a repository shown to a person: control characters escaped. */
static void
test_escape(void **state)
{
	static const struct {
		const char *in, *out;
		bool control;
	} cases[] = {
		{ "disk.raw", "disk.raw", false },
		{ "/etc/shadow\nINJECT", "/etc/shadow\\x0aINJECT", true },
		{ "a\x1b[31mred", "a\\x1b[31mred", true },
		{ "tab\there\x7f", "tab\\x09here\\x7f", true },
		{ "c1 \xc2\x9b" "2J", "c1 \\xc2\\x9b2J", true },
		{ "caf\xc3\xa9 \xc2\xa0", "caf\xc3\xa9 \xc2\xa0", false },
		{ "back\\slash", "back\\\\slash", false },
		{ "", "", false },
	};
	char *e;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		e = util_escape(cases[i].in);
		assert_string_equal(e, cases[i].out);
		free(e);
		assert_int_equal(util_has_control(cases[i].in), cases[i].control);
	}
	e = util_escape(NULL);
	assert_string_equal(e, "-");
	free(e);
	assert_false(util_has_control(NULL));
}

/* The capacity an array grows to: geometric, and -1 where a size overflows. */
static void
test_alloc_grow_cap(void **state)
{
	static const struct {
		size_t need, cap, size;
		int ret;
		size_t want;
	} cases[] = {
		{ 0, 0, 8, 0, 0 },
		{ 5, 10, 8, 0, 10 },			/* room enough: unchanged */
		{ 1, 0, 8, 0, 16 },
		{ 17, 16, 8, 0, 40 },			/* 16 * 3 / 2 + 16 */
		{ 100, 16, 8, 0, 100 },			/* more than the growth */
		{ 1001, 1000, 1, 0, 1516 },
		{ SIZE_MAX / 8, SIZE_MAX / 8 - 1, 8, 0, SIZE_MAX / 8 },	/* clipped to what fits */
		{ SIZE_MAX / 8 + 1, 0, 8, -1, 0 },	/* NEED * SIZE overflows */
		{ SIZE_MAX / 2 + 1, SIZE_MAX / 2, 2, -1, 0 },
		{ SIZE_MAX, SIZE_MAX - 1, 1, 0, SIZE_MAX },
		{ 3, 2, SIZE_MAX, -1, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t out = 7;

		assert_int_equal(alloc_grow_cap(cases[i].need, cases[i].cap, cases[i].size, &out),
		    cases[i].ret);
		if (cases[i].ret == 0)
			assert_true(out == cases[i].want);
		else
			assert_true(out == 7);
	}
	assert_true(alloc_mult(0, SIZE_MAX) == 0);
	assert_true(alloc_mult(SIZE_MAX / 4, 4) == SIZE_MAX / 4 * 4);
}

/* A list of many keys (prune lists every chunk) reallocates O(log N) times. */
static void
test_strlist_growth(void **state)
{
	struct strlist l = { 0 };
	size_t grows = 0, cap = 0;
	char key[32];

	(void)state;
	for (size_t i = 0; i < 200000; i++) {
		snprintf(key, sizeof(key), "chunks/%zu", i);
		strlist_add(&l, key);
		assert_true(l.cap >= l.n);
		if (l.cap != cap) {
			grows++;
			cap = l.cap;
		}
	}
	assert_int_equal(l.n, 200000);
	assert_string_equal(l.v[123456], "chunks/123456");
	assert_true(grows < 40);
	strlist_clear(&l);
	assert_true(l.v == NULL && l.n == 0 && l.cap == 0);
	strlist_add(&l, "again");
	assert_string_equal(l.v[0], "again");
	strlist_clear(&l);
}

/* Items that wait for each other: they finish only when WANT run at once. */
struct meet {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int inside, most, want;
	unsigned char done[64];
};

static void
meet_one(size_t i, void *arg)
{
	struct meet *m = arg;
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 20;	/* a guard against a hang, not a measurement */
	pthread_mutex_lock(&m->mu);
	m->inside++;
	if (m->inside > m->most)
		m->most = m->inside;
	pthread_cond_broadcast(&m->cv);
	/* Serial, the first waits out the guard and the others do not wait. */
	while (m->most < m->want && pthread_cond_timedwait(&m->cv, &m->mu, &until) == 0)
		;
	if (m->most < m->want)
		m->want = 0;
	m->inside--;
	m->done[i]++;
	pthread_mutex_unlock(&m->mu);
}

/* par_each runs every item exactly once, WANT of them at once. */
static void
test_par_each(void **state)
{
	struct meet m = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 4, { 0 } };

	(void)state;
	par_each(40, 4, meet_one, &m);
	assert_int_equal(m.most, 4);
	for (size_t i = 0; i < 40; i++)
		assert_int_equal(m.done[i], 1);
	/* One thread, or none to do: still every item once, nothing else. */
	memset(m.done, 0, sizeof(m.done));
	m.most = 0;
	m.want = 1;	/* reached at once: nobody waits */
	par_each(3, 0, meet_one, &m);
	assert_int_equal(m.most, 1);
	assert_int_equal(m.done[0] + m.done[1] + m.done[2] + m.done[3], 3);
	par_each(0, 8, meet_one, &m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utc_times),
		cmocka_unit_test(test_time_future),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_strlist_sort),
		cmocka_unit_test(test_parse_duration),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_strlist),
		cmocka_unit_test(test_format_and_paths),
		cmocka_unit_test(test_url_origin),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_alloc_grow_cap),
		cmocka_unit_test(test_strlist_growth),
		cmocka_unit_test(test_par_each),
	};

	return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
