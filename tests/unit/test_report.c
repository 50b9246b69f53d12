/*
 * The report's pure parts: the expiry dates of retention run forward
 * (report_keep_group), and HTML escaping.
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

#include "common/util.h"
#include "jobrun/report_int.h"

static time_t
utc(const char *s)
{
	time_t t;

	assert_non_null(util_parse_utc(s, &t));
	return t;
}

/* A group of this host "h1" named vm, its snapshots at TIMES (newest first). */
static void
group(struct report_group *g, const char *host, const char *const *times, size_t n)
{
	memset(g, 0, sizeof(*g));
	snprintf(g->host, sizeof(g->host), "%s", host);
	snprintf(g->name, sizeof(g->name), "vm");
	g->snaps = xcalloc(n, sizeof(*g->snaps));
	g->n = n;
	for (size_t i = 0; i < n; i++) {
		g->snaps[i].when = utc(times[i]);
		g->snaps[i].rule = "";
	}
}

static void
conf_one_job(struct conf *c, struct conf_job *j, const char *schedule)
{
	memset(c, 0, sizeof(*c));
	memset(j, 0, sizeof(*j));
	j->name = "nightly";
	strlist_add(&j->domains, "v*");
	j->schedule = (char *)schedule;
	j->timezone = "UTC";
	j->keep.last = 2;
	j->keep.daily = 3;
	c->jobs = j;
	c->njobs = 1;
}

/*
 * keep_last 2, keep_daily 3, a run at 02:00 each day: each night's run
 * adds one and drops the oldest; one of two on a day goes at the next run.
 */
static void
test_expiry_by_schedule(void **state)
{
	static const char *const times[] = {
		"2026-12-03T02:00:00Z", "2026-12-02T02:00:00Z", "2026-12-01T02:00:00Z",
		"2026-12-01T01:00:00Z", "2026-11-30T02:00:00Z", "2026-11-29T02:00:00Z",
	};
	static const struct {
		const char *rule;
		const char *expires;
	} want[] = {
		{ "last", "2026-12-09T02:00:00Z" }, { "last", "2026-12-08T02:00:00Z" },
		{ "daily", "2026-12-07T02:00:00Z" }, { "", "2026-12-05T02:00:00Z" },
		{ "daily", "2026-12-06T02:00:00Z" }, { "daily", "2026-12-05T02:00:00Z" },
	};
	struct conf c;
	struct conf_job j;
	struct report_group g;

	(void)state;
	conf_one_job(&c, &j, "0 2 * * *");
	group(&g, "h1", times, 6);
	report_keep_group(&c, "h1", utc("2026-12-05T00:38:00Z"), &g);
	assert_int_equal(g.expiry, REPORT_EXPIRY_SCHEDULE);
	assert_string_equal(g.job, "nightly");
	assert_string_equal(g.policy, "keep last 2, keep daily 3");
	for (size_t i = 0; i < 6; i++) {
		assert_string_equal(g.snaps[i].rule, want[i].rule);
		assert_int_equal(g.snaps[i].expires, utc(want[i].expires));
	}
	free(g.snaps);
	strlist_clear(&j.domains);
}

/* No schedule: one run a day from now assumed. Another host's, or no rules: none computed. */
static void
test_expiry_daily_other_none(void **state)
{
	static const char *const times[] = { "2026-12-04T10:00:00Z", "2026-12-03T10:00:00Z",
		"2026-12-02T10:00:00Z", "2026-12-01T10:00:00Z", "2026-11-30T10:00:00Z" };
	time_t now = utc("2026-12-05T12:00:00Z");
	struct conf c;
	struct conf_job j;
	struct report_group g;

	(void)state;
	conf_one_job(&c, &j, NULL);
	group(&g, "h1", times, 5);
	report_keep_group(&c, "h1", now, &g);
	assert_int_equal(g.expiry, REPORT_EXPIRY_DAILY);
	/* The oldest goes at the first run (a day on), the next at the second... */
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(g.snaps[i].expires, now + (time_t)(5 - i) * 86400);
	free(g.snaps);

	group(&g, "h2", times, 5);
	report_keep_group(&c, "h1", now, &g);
	assert_int_equal(g.expiry, REPORT_EXPIRY_OTHER_HOST);
	assert_int_equal(g.snaps[0].expires, 0);
	free(g.snaps);

	j.keep.last = j.keep.daily = 0;
	group(&g, "h1", times, 5);
	report_keep_group(&c, "h1", now, &g);
	assert_int_equal(g.expiry, REPORT_EXPIRY_NONE);
	assert_string_equal(g.job, "");
	free(g.snaps);
	strlist_clear(&j.domains);
}

/*
 * A yearly rule drops the snapshot at the next run of the same year (a
 * newer one of its period); keep_last 1000 keeps it past the horizon: no
 * date, the horizon said.
 */
static void
test_expiry_beyond_horizon(void **state)
{
	static const char *const times[] = { "2026-12-01T02:00:00Z" };
	time_t now = utc("2026-12-05T00:00:00Z");
	struct conf c;
	struct conf_job j;
	struct report_group g;

	(void)state;
	conf_one_job(&c, &j, "0 2 * * *");
	j.keep.last = 0;
	j.keep.daily = 0;
	j.keep.yearly = 3;
	group(&g, "h1", times, 1);
	report_keep_group(&c, "h1", now, &g);
	assert_string_equal(g.snaps[0].rule, "yearly");
	assert_int_equal(g.snaps[0].expires, utc("2026-12-05T02:00:00Z"));
	free(g.snaps);
	j.keep.yearly = 0;
	j.keep.last = 1000;
	group(&g, "h1", times, 1);
	report_keep_group(&c, "h1", now, &g);
	assert_int_equal(g.snaps[0].expires, 0);
	assert_true(g.horizon > now + 399 * 86400);
	free(g.snaps);
	strlist_clear(&j.domains);
}

static void
test_html_text(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	(void)state;
	report_html_text(out, "<b a=\"x\">'&'</b>");
	fclose(out);
	assert_string_equal(buf, "&lt;b a=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/b&gt;");
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expiry_by_schedule),
		cmocka_unit_test(test_expiry_daily_other_none),
		cmocka_unit_test(test_expiry_beyond_horizon),
		cmocka_unit_test(test_html_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
