#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "scheduler/cron.h"

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_every_other_day),
		cmocka_unit_test(test_bad),
	};

	return cmocka_run_group_tests_name("cron", tests, NULL, NULL);
}
