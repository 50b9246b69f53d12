#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "common/cron.h"

static void
test_good(void **state)
{
	static const struct {
		const char *expr;
		uint64_t minute;
		uint32_t hour;
		uint32_t mday;
		uint16_t month;
		uint8_t wday;
		bool mday_star, wday_star;
	} cases[] = {
		{ "* * * * *", 0x0FFFFFFFFFFFFFFFULL, 0xFFFFFF, 0xFFFFFFFE, 0x1FFE, 0x7F, true, true },
		{ "0 2 * * *", 1, 1 << 2, 0xFFFFFFFE, 0x1FFE, 0x7F, true, true },
		{ "*/15 * * * *", (1ULL | 1ULL << 15 | 1ULL << 30 | 1ULL << 45), 0xFFFFFF, 0xFFFFFFFE, 0x1FFE, 0x7F, true, true },
		{ "5-10/2 0 1 1 *", (1ULL << 5 | 1ULL << 7 | 1ULL << 9), 1, 1 << 1, 1 << 1, 0x7F, false, true },
		{ "0 0 1,15 * 1-5", 1, 1, (1 << 1 | 1 << 15), 0x1FFE, 0x3E, false, false },
		{ "0 0 * jan,Dec sun", 1, 1, 0xFFFFFFFE, (1 << 1 | 1 << 12), 1, true, false },
		{ "0 0 * * 7", 1, 1, 0xFFFFFFFE, 0x1FFE, 1, true, false },
		{ "0 0 * * mon-fri", 1, 1, 0xFFFFFFFE, 0x1FFE, 0x3E, true, false },
		{ "50/5 * * * *", (1ULL << 50 | 1ULL << 55), 0xFFFFFF, 0xFFFFFFFE, 0x1FFE, 0x7F, true, true },
		{ "@daily", 1, 1, 0xFFFFFFFE, 0x1FFE, 0x7F, true, true },
		{ "@hourly", 1, 0xFFFFFF, 0xFFFFFFFE, 0x1FFE, 0x7F, true, true },
		{ "@weekly", 1, 1, 0xFFFFFFFE, 0x1FFE, 1, true, false },
		{ "@monthly", 1, 1, 2, 0x1FFE, 0x7F, false, true },
		{ "@yearly", 1, 1, 2, 2, 0x7F, false, true },
		{ "  0   3  *  *  *  ", 1, 1 << 3, 0xFFFFFFFE, 0x1FFE, 0x7F, true, true },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cron c;
		char err[160] = "";

		if (cron_parse(cases[i].expr, &c, err, sizeof(err)) != 0)
			fail_msg("'%s': %s", cases[i].expr, err);
		assert_true(c.minute == cases[i].minute);
		assert_int_equal(c.hour, cases[i].hour);
		assert_int_equal(c.mday, cases[i].mday);
		assert_int_equal(c.month, cases[i].month);
		assert_int_equal(c.wday, cases[i].wday);
		assert_int_equal(c.mday_star, cases[i].mday_star);
		assert_int_equal(c.wday_star, cases[i].wday_star);
	}
}

static void
test_every_other_day(void **state)
{
	struct cron c;
	char err[160];

	(void)state;
	assert_int_equal(cron_parse("0 0 */2 * *", &c, err, sizeof(err)), 0);
	for (int d = 1; d <= 31; d++)
		assert_int_equal(!!(c.mday & (1U << d)), d % 2 == 1);
}

static void
test_bad(void **state)
{
	static const struct {
		const char *expr;
		const char *msg;
	} cases[] = {
		{ "", "expected 5 fields" },
		{ "* * * *", "got 4" },
		{ "* * * * * *", "got more" },
		{ "60 * * * *", "field 1 (minute): 60 is out of range 0-59" },
		{ "* 24 * * *", "field 2 (hour): 24 is out of range 0-23" },
		{ "* * 0 * *", "field 3 (day of month): 0 is out of range 1-31" },
		{ "* * 32 * *", "field 3 (day of month): 32 is out of range" },
		{ "* * * 13 *", "field 4 (month): 13 is out of range 1-12" },
		{ "* * * * 8", "field 5 (day of week): 8 is out of range 0-7" },
		{ "* * * foo *", "field 4 (month): unknown name 'foo'" },
		{ "* * * * fry", "field 5 (day of week): unknown name 'fry'" },
		{ "x * * * *", "field 1 (minute): expected a number, got 'x'" },
		{ "5-1 * * * *", "range 5-1 is backwards" },
		{ "*/0 * * * *", "step 0 is out of range" },
		{ "*/61 * * * *", "step 61 is out of range" },
		{ "*/ * * * *", "step must be a number" },
		{ "1,,2 * * * *", "empty list item" },
		{ "1, * * * *", "empty list item" },
		{ "1-2-3 * * * *", "unexpected '-3'" },
		{ "@fortnightly", "unknown macro '@fortnightly'" },
		{ "@daily extra", "unknown macro" },
		{ "* * * * mon-", "expected a number or a name" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cron c;
		char err[160] = "";

		if (cron_parse(cases[i].expr, &c, err, sizeof(err)) != -1)
			fail_msg("'%s' was accepted", cases[i].expr);
		if (strstr(err, cases[i].msg) == NULL)
			fail_msg("'%s': got '%s', want '%s'", cases[i].expr, err, cases[i].msg);
	}
}

static void
test_next(void **state)
{
	static const struct {
		const char *expr;
		const char *tz;
		time_t after;
		time_t want;
	} cases[] = {
		{ "0 0 * * *", "UTC", 1769860800, 1769904000 },	/* 2026-01-31T12:00:00Z -> 2026-02-01T00:00:00Z */
		{ "0 0 31 * *", "UTC", 1769904000, 1774915200 },	/* month ends: -> 2026-03-31T00:00:00Z */
		{ "0 0 29 2 *", "UTC", 1772323200, 1835395200 },	/* leap day: 2026-03-01 -> 2028-02-29T00:00:00Z */
		/* Berlin, spring forward 2026-03-29 02:00 -> 03:00: 02:30 runs at 03:00. */
		{ "30 2 * * *", "Europe/Berlin", 1774738800, 1774746000 },
		/* Berlin, fall back 2026-10-25 03:00 -> 02:00: 02:30 runs once, the first time. */
		{ "30 2 * * *", "Europe/Berlin", 1792882800, 1792888200 },
		{ "30 2 * * *", "Europe/Berlin", 1792888200, 1792978200 },
		{ "0,30 * * * *", "Europe/Berlin", 1792888200, 1792893600 },
		/* New York, spring forward 2026-03-08 and fall back 2026-11-01. */
		{ "30 2 * * *", "America/New_York", 1772946000, 1772953200 },
		{ "30 1 * * *", "America/New_York", 1793505600, 1793511000 },
		{ "30 1 * * *", "America/New_York", 1793511000, 1793601000 },
		/* Day of month or day of week when both are restricted. */
		{ "0 0 13 * 5", "UTC", 1795564800, 1795737600 },
		{ "0 0 13 * 5", "UTC", 1795737600, 1796342400 },
		{ "15 10 * * mon-fri", "UTC", 1795777200, 1796033700 },
		{ "*/20 9-10 1 jan,jul *", "UTC", 1767264000, 1782896400 },
		{ "@hourly", "UTC", 1798761599, 1798761600 },
		{ "@monthly", "Europe/Berlin", 1795564800, 1796079600 },
		{ "0 12 * * 0", "UTC", 1795564800, 1795953600 },
		{ "0 12 * * 7", "UTC", 1795564800, 1795953600 },
		{ "59 23 31 12 *", "UTC", 1798761540, 1830297540 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cron c;
		char err[160];
		time_t got = 0;

		assert_int_equal(cron_parse(cases[i].expr, &c, err, sizeof(err)), 0);
		assert_int_equal(cron_next(&c, cases[i].after, cases[i].tz, &got), 0);
		if (got != cases[i].want)
			fail_msg("case %zu '%s' in %s after %lld: got %lld, want %lld", i,
			    cases[i].expr, cases[i].tz, (long long)cases[i].after,
			    (long long)got, (long long)cases[i].want);
	}
}

static void
test_never_and_zones(void **state)
{
	struct cron c;
	char err[160];
	time_t got;

	(void)state;
	assert_int_equal(cron_parse("0 0 30 2 *", &c, err, sizeof(err)), 0);
	assert_int_equal(cron_next(&c, 1795564800, "UTC", &got), -1);
	assert_true(cron_zone_valid("Europe/Berlin"));
	assert_true(cron_zone_valid("UTC"));
	assert_false(cron_zone_valid("Mars/Olympus"));
	assert_false(cron_zone_valid("../etc/passwd"));
	assert_false(cron_zone_valid(""));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_every_other_day),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_next),
		cmocka_unit_test(test_never_and_zones),
	};

	return cmocka_run_group_tests_name("cron", tests, NULL, NULL);
}
