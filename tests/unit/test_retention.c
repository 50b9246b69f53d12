/*
 * Retention, table-driven: each case is a group's snapshot times (UTC,
 * newest first), a policy and a zone, and the rule expected to keep each
 * snapshot (L last, H hourly, D daily, W weekly, M monthly, Y yearly,
 * I within, N newest, P no policy, F in the future: ignored, '.' removed).
 * Cases with a NOW are judged at that time, the others at NOW_DEFAULT.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "repo/retention.h"

#define MAXT 10

struct rcase {
	const char *what;
	const char *tz;
	struct keep_policy p;
	const char *times[MAXT];
	const char *want;
	const char *now;
};

#define NOW_DEFAULT "2030-01-01T00:00:00Z"

static const struct rcase cases[] = {
	{ "no rule keeps all", "UTC", { 0 },
	  { "2026-11-26T10:00:00Z", "2026-11-25T10:00:00Z", "2020-01-01T00:00:00Z" }, "PPP", NULL },
	{ "keep_last", "UTC", { .last = 2 },
	  { "2026-11-26T10:00:00Z", "2026-11-26T09:00:00Z", "2026-11-26T08:00:00Z",
	    "2026-11-25T08:00:00Z" }, "LL..", NULL },
	{ "daily: newest of each day, days without one do not count", "UTC", { .daily = 3 },
	  { "2026-11-26T10:00:00Z", "2026-11-26T08:00:00Z", "2026-11-25T23:59:59Z",
	    "2026-11-25T00:00:00Z", "2026-11-22T12:00:00Z", "2026-11-21T12:00:00Z" }, "D.D.D.", NULL },
	{ "skipping: daily skips days keep_last kept", "UTC", { .last = 2, .daily = 2 },
	  { "2026-11-26T10:00:00Z", "2026-11-26T08:00:00Z", "2026-11-25T12:00:00Z",
	    "2026-11-24T12:00:00Z", "2026-11-23T12:00:00Z" }, "LLDD.", NULL },
	{ "skipping: hourly, then daily", "UTC", { .hourly = 2, .daily = 2 },
	  { "2026-11-26T10:00:00Z", "2026-11-26T09:00:00Z", "2026-11-26T08:00:00Z",
	    "2026-11-25T12:00:00Z", "2026-11-24T12:00:00Z" }, "HH.DD", NULL },
	{ "weeks start on Monday", "UTC", { .weekly = 2 },
	  { "2026-11-23T01:00:00Z", "2026-11-22T23:00:00Z", "2026-11-22T10:00:00Z",
	    "2026-11-16T00:30:00Z", "2026-11-15T12:00:00Z" }, "WW...", NULL },
	{ "week 1 of 2027 starts on 2027-01-04", "UTC", { .weekly = 3 },
	  { "2027-01-04T00:00:00Z", "2027-01-03T23:00:00Z", "2026-12-31T12:00:00Z",
	    "2026-12-28T00:00:00Z", "2026-12-27T00:00:00Z" }, "WW..W", NULL },
	{ "month ends, in the job's zone", "Europe/Berlin", { .monthly = 2 },
	  { "2026-01-31T23:30:00Z", "2026-01-31T22:30:00Z", "2026-01-15T12:00:00Z" }, "MM.", NULL },
	{ "month ends, in UTC", "UTC", { .monthly = 2 },
	  { "2026-01-31T23:30:00Z", "2026-01-31T22:30:00Z", "2026-01-15T12:00:00Z",
	    "2025-12-31T23:59:59Z" }, "M..M", NULL },
	{ "spring forward: a 23-hour day", "Europe/Berlin", { .daily = 2 },
	  { "2026-03-29T22:30:00Z", "2026-03-29T21:30:00Z", "2026-03-28T23:30:00Z",
	    "2026-03-28T22:30:00Z" }, "DD..", NULL },
	{ "fall back: the repeated hour counts once", "Europe/Berlin", { .hourly = 3 },
	  { "2026-10-25T01:40:00Z", "2026-10-25T01:30:00Z", "2026-10-25T00:30:00Z",
	    "2026-10-24T23:30:00Z", "2026-10-24T22:30:00Z" }, "H..HH", NULL },
	{ "leap day", "UTC", { .daily = 2 },
	  { "2024-03-01T12:00:00Z", "2024-02-29T12:00:00Z", "2024-02-28T12:00:00Z" }, "DD.", NULL },
	{ "leap year, yearly", "UTC", { .yearly = 2 },
	  { "2025-01-01T00:30:00Z", "2024-12-31T23:30:00Z", "2024-02-29T12:00:00Z",
	    "2023-06-01T00:00:00Z" }, "YY..", NULL },
	{ "keep_within counts back from the newest", "UTC", { .last = 1, .within = 86400 },
	  { "2026-11-26T12:00:00Z", "2026-11-26T06:00:00Z", "2026-11-25T13:00:00Z",
	    "2026-11-25T11:00:00Z", "2026-11-23T12:00:00Z" }, "LII..", NULL },
	{ "keep_within keeps what an earlier rule removed", "UTC", { .daily = 1, .within = 7200 },
	  { "2026-11-26T12:00:00Z", "2026-11-26T11:00:00Z", "2026-11-26T09:00:00Z" }, "DI.", NULL },
	{ "all rules, a long history", "UTC",
	  { .last = 1, .daily = 2, .weekly = 2, .monthly = 2, .yearly = 1 },
	  { "2026-11-26T02:00:00Z", "2026-11-25T02:00:00Z", "2026-11-24T02:00:00Z",
	    "2026-11-16T02:00:00Z", "2026-11-09T02:00:00Z", "2026-10-31T02:00:00Z",
	    "2026-09-30T02:00:00Z", "2026-09-15T02:00:00Z", "2025-12-31T02:00:00Z",
	    "2024-12-31T02:00:00Z" }, "LDDWWMM.Y.", NULL },
};

static time_t
utc(const char *s)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	assert_non_null(strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm));
	return timegm(&tm);
}

static char
letter(enum keep_rule r)
{
	static const char l[] = { [KEEP_NOT] = '.', [KEEP_LAST] = 'L', [KEEP_HOURLY] = 'H',
		[KEEP_DAILY] = 'D', [KEEP_WEEKLY] = 'W', [KEEP_MONTHLY] = 'M', [KEEP_YEARLY] = 'Y',
		[KEEP_WITHIN] = 'I', [KEEP_NEWEST] = 'N', [KEEP_NO_POLICY] = 'P', [KEEP_FUTURE] = 'F' };

	return l[r];
}

static void
test_table(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		time_t t[MAXT];
		enum keep_rule rule[MAXT];
		char got[MAXT + 1] = "";
		size_t n = 0;

		while (n < MAXT && cases[c].times[n] != NULL) {
			t[n] = utc(cases[c].times[n]);
			if (n > 0 && t[n] >= t[n - 1])
				fail_msg("case '%s': times not newest first", cases[c].what);
			n++;
		}
		retention_apply(&cases[c].p, cases[c].tz, t, n,
		    utc(cases[c].now ? cases[c].now : NOW_DEFAULT), rule);
		for (size_t i = 0; i < n; i++)
			got[i] = letter(rule[i]);
		if (strcmp(got, cases[c].want) != 0)
			fail_msg("case '%s': got %s, want %s", cases[c].what, got, cases[c].want);
	}
}

static void
test_names_and_empty(void **state)
{
	struct keep_policy p = { .daily = 1 };
	enum keep_rule r[1];

	(void)state;
	assert_string_equal(retention_rule_name(KEEP_DAILY), "daily");
	assert_string_equal(retention_rule_name(KEEP_NOT), "");
	assert_string_equal(retention_rule_name(KEEP_NO_POLICY), "no policy");
	assert_string_equal(retention_rule_name(KEEP_FUTURE), "future (ignored)");
	retention_apply(&p, NULL, NULL, 0, 0, r);	/* an empty group */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_names_and_empty),
	};

	return cmocka_run_group_tests_name("retention", tests, NULL, NULL);
}
