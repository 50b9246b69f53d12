/*
 * The scheduler's decisions (scheduler/plan.c): retries, catch-up, the
 * next run with its random delay, the test clock and the daemon's sleep,
 * all with the time and the randomness given.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "common/cron.h"
#include "scheduler/plan.h"

static const time_t now = 1795564800;	/* 2026-11-25T00:00:00Z */

static void
test_retry_and_catch_up_decisions(void **state)
{
	struct cron c;
	char err[160];

	(void)state;
	/* Retries: delay doubling, bounded by the count and the next run. */
	assert_int_equal(plan_retry_at(now, 300, 1, 2, now + 86400), now + 300);
	assert_int_equal(plan_retry_at(now, 300, 2, 2, now + 86400), now + 600);
	assert_int_equal(plan_retry_at(now, 300, 3, 2, now + 86400), 0);
	assert_int_equal(plan_retry_at(now, 300, 1, 0, now + 86400), 0);
	assert_int_equal(plan_retry_at(now, 300, 1, 3, now + 300), 0);
	assert_int_equal(plan_retry_at(now, 300, 1, 3, now + 301), now + 300);
	assert_int_equal(plan_retry_at(now, 0, 1, 3, 0), now);
	assert_int_equal(plan_retry_at(now, 300, 0, 3, 0), 0);
	/* The doubling stops at 2^16: no overflow for a silly attempt count. */
	assert_int_equal(plan_retry_at(now, 1, 40, 50, 0), now + 65536);
	/* Catch-up: a 03:00 run fell between the last run and now. */
	assert_int_equal(cron_parse("0 3 * * *", &c, err, sizeof(err)), 0);
	assert_true(plan_missed(&c, "UTC", now - 2 * 86400, now));
	assert_false(plan_missed(&c, "UTC", now - 3600, now));	/* last 23:00, next 03:00 */
	assert_true(plan_missed(&c, "UTC", now - 22 * 3600, now));	/* last 02:00 */
	assert_false(plan_missed(&c, "UTC", 0, now));	/* never ran: nothing missed */
	assert_true(plan_missed(&c, "Europe/Berlin", now - 86400, now));
}

static void
test_next_run_with_random_delay(void **state)
{
	static const struct {
		uint64_t max;
		uint32_t random;
		time_t delay;
	} cases[] = {
		{ 0, 12345, 0 },		/* no randomized_delay: the schedule's time */
		{ 600, 0, 0 },
		{ 600, 600, 600 },		/* the bound is in the range */
		{ 600, 601, 0 },
		{ 600, 1000, 399 },
		{ 600, UINT32_MAX, UINT32_MAX % 601 },
		{ 1, 3, 1 },
	};
	struct cron c;
	char err[160];
	time_t base, next;

	(void)state;
	assert_int_equal(cron_parse("0 3 * * *", &c, err, sizeof(err)), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(plan_next(&c, "UTC", cases[i].max, cases[i].random, now, &base, &next), 0);
		assert_int_equal(base, now + 3 * 3600);
		assert_int_equal(next, base + cases[i].delay);
	}
	/* In another zone: 03:00 in Berlin is 02:00 UTC in November. */
	assert_int_equal(plan_next(&c, "Europe/Berlin", 0, 0, now, &base, &next), 0);
	assert_int_equal(base, now + 2 * 3600);
	/* February 30th never comes. */
	assert_int_equal(cron_parse("0 0 30 2 *", &c, err, sizeof(err)), 0);
	assert_int_equal(plan_next(&c, "UTC", 0, 0, now, &base, &next), -1);
}

static void
test_clock(void **state)
{
	static const char *const real[] = { NULL, "", "1000", "x 2", "1000 0", "1000 -3", "1000 nan" };
	struct plan_clock c;

	(void)state;
	/* The real clock: whatever the monotonic clock says. */
	for (size_t i = 0; i < sizeof(real) / sizeof(real[0]); i++) {
		assert_false(plan_clock_parse(real[i], 50.0, &c));
		assert_true(c.speed == 1);
		assert_int_equal(plan_clock_now(&c, now, 123.0), now);
	}
	/* The test clock: EPOCH when the daemon started, SPEED times faster. */
	assert_true(plan_clock_parse("1795564800 60", 50.0, &c));
	assert_true(c.speed == 60);
	assert_int_equal(plan_clock_now(&c, 1, 50.0), now);
	assert_int_equal(plan_clock_now(&c, 1, 51.0), now + 60);
	assert_int_equal(plan_clock_now(&c, 1, 50.5), now + 30);
	assert_int_equal(plan_clock_now(&c, 1, 110.0), now + 3600);
	assert_true(plan_clock_parse("1795564800 0.5", 0.0, &c));
	assert_int_equal(plan_clock_now(&c, 1, 10.0), now + 5);
}

static void
test_wake(void **state)
{
	const time_t some[] = { 0, now + 50, now + 10, 0, now + 30 };
	const time_t none[] = { 0, 0 };

	(void)state;
	assert_int_equal(plan_wake(some, 5), now + 10);
	assert_int_equal(plan_wake(none, 2), 0);
	assert_int_equal(plan_wake(NULL, 0), 0);
	/* At real speed a second is the longest and the shortest sleep. */
	assert_int_equal(plan_timeout_ms(now + 10, now, 1, 1000), 1000);
	assert_int_equal(plan_timeout_ms(0, now, 1, 1000), 1000);
	assert_int_equal(plan_timeout_ms(now, now, 1, 1000), 1000);
	assert_int_equal(plan_timeout_ms(now - 5, now, 1, 1000), 1000);
	/* A fast test clock: 10 of its seconds at 100x are 100 ms. */
	assert_int_equal(plan_timeout_ms(now + 10, now, 100, 1000), 100);
	assert_int_equal(plan_timeout_ms(now + 1, now, 4, 1000), 250);
	assert_int_equal(plan_timeout_ms(now + 100, now, 100, 1000), 1000);
}

/* A job's boot check: every combination, then a check that waits out the job's run. */
static void
test_boot_check_decisions(void **state)
{
	struct cron c;
	char err[160];
	bool waiting;

	(void)state;
	for (unsigned m = 0; m < 32; m++) {
		bool due = m & 1, wait = m & 2, running = m & 4, backup = m & 8, stopping = m & 16;
		enum plan_boot want = (!due && !wait) || stopping ? PLAN_BOOT_NONE :
		    running ? PLAN_BOOT_SKIP : backup ? PLAN_BOOT_WAIT : PLAN_BOOT_START;

		assert_int_equal(plan_boot_check(due, wait, running, backup, stopping), want);
	}
	/* Explicitly, the rules: one at a time; after the job's run; none when stopping. */
	assert_int_equal(plan_boot_check(true, false, false, false, false), PLAN_BOOT_START);
	assert_int_equal(plan_boot_check(true, false, true, false, false), PLAN_BOOT_SKIP);
	assert_int_equal(plan_boot_check(true, false, true, true, false), PLAN_BOOT_SKIP);
	assert_int_equal(plan_boot_check(true, false, false, true, false), PLAN_BOOT_WAIT);
	assert_int_equal(plan_boot_check(false, false, false, true, false), PLAN_BOOT_NONE);
	assert_int_equal(plan_boot_check(true, true, false, false, true), PLAN_BOOT_NONE);
	/* Due during the run: it waits while the run lasts, then starts once. */
	waiting = plan_boot_check(true, false, false, true, false) == PLAN_BOOT_WAIT;
	assert_true(waiting);
	assert_int_equal(plan_boot_check(false, waiting, false, true, false), PLAN_BOOT_WAIT);
	assert_int_equal(plan_boot_check(false, waiting, false, false, false), PLAN_BOOT_START);
	/* Catch-up of a weekly check (Sundays 05:00) missed while the daemon was down:
	 * now is Wednesday 2026-11-25 00:00 UTC. */
	assert_int_equal(cron_parse("0 5 * * sun", &c, err, sizeof(err)), 0);
	assert_true(plan_missed(&c, "UTC", now - 4 * 86400, now));	/* Saturday: Sunday's missed */
	assert_false(plan_missed(&c, "UTC", now - 2 * 86400, now));	/* Monday: next Sunday ahead */
	assert_false(plan_missed(&c, "UTC", 0, now));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retry_and_catch_up_decisions),
		cmocka_unit_test(test_next_run_with_random_delay),
		cmocka_unit_test(test_clock),
		cmocka_unit_test(test_wake),
		cmocka_unit_test(test_boot_check_decisions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
