/*
 * The run history (state/history.h): every record state_run_record writes
 * becomes a line, read back with its fields; damaged lines skipped and
 * dropped; the bounds (lines and age) kept by each append.
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
#include "state/history.h"
#include "state/runs.h"
#include "tests/fakes/tmpdir.h"

static char *
scratch(void)
{
	char tmpl[] = "/tmp/vv-history-XXXXXX";

	assert_non_null(mkdtemp(tmpl));
	return xstrdup(tmpl);
}

static void
record(const char *dir, const char *dom, const char *job, time_t started, bool ok,
    const char *modes)
{
	struct run_record r;

	memset(&r, 0, sizeof(r));
	r.quiesced = -1;
	snprintf(r.domain, sizeof(r.domain), "%s", dom);
	snprintf(r.job, sizeof(r.job), "%s", job);
	r.ok = ok;
	r.started = started;
	r.finished = started + 90;
	if (ok) {
		snprintf(r.snapshot, sizeof(r.snapshot), "00112233445566%02x", (unsigned)(started % 256));
		r.bytes_read = 1000;
		r.bytes_stored = 300;
		r.chunks_new = 3;
		r.chunks_reused = 7;
		r.seconds = 80.5;
		r.seconds_on_overlay = 12.25;
		snprintf(r.read_modes, sizeof(r.read_modes), "%s", modes);
	} else {
		snprintf(r.error, sizeof(r.error), "disk vda: <no space> & \"more\"");
	}
	assert_int_equal(state_run_record(dir, &r), 0);
}

static size_t
count_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;
	int ch;

	assert_non_null(f);
	while ((ch = fgetc(f)) != EOF)
		n += ch == '\n';
	fclose(f);
	return n;
}

/* Each record a line, its fields read back; the record's file written too. */
static void
test_append_read(void **state)
{
	char *dir = scratch();
	struct run_record *v = NULL, last;
	size_t n = 0, bad = 0;
	time_t t0 = time(NULL) - 3 * 86400;

	(void)state;
	record(dir, "web1", "nightly", t0, true, "full");
	record(dir, "web1", "nightly", t0 + 86400, false, "");
	record(dir, "web1", "nightly", t0 + 2 * 86400, true, "incremental,full");
	record(dir, "web1", "weekly", t0 + 86400 + 60, true, "incremental");
	record(dir, "db1", "nightly", t0, true, "full");
	assert_int_equal(state_run_read(dir, "web1", "nightly", &last), 0);
	assert_int_equal(last.started, t0 + 2 * 86400);

	assert_int_equal(state_history_read(dir, "web1", "nightly", 0, &v, &n, &bad), 0);
	assert_int_equal(n, 3);
	assert_int_equal(bad, 0);
	assert_true(v[0].ok);
	assert_string_equal(v[0].result, "success");
	assert_string_equal(v[0].read_modes, "full");
	assert_int_equal(v[0].bytes_read, 1000);
	assert_int_equal(v[0].bytes_stored, 300);
	assert_int_equal(v[0].chunks_new, 3);
	assert_int_equal(v[0].chunks_reused, 7);
	assert_true(v[0].seconds > 80.4 && v[0].seconds < 80.6);
	assert_true(v[0].seconds_on_overlay > 12.2 && v[0].seconds_on_overlay < 12.3);
	assert_false(v[1].ok);
	assert_string_equal(v[1].result, "failure");
	assert_string_equal(v[1].error, "disk vda: <no space> & \"more\"");
	/* A failure's time is its wall time. */
	assert_true(v[1].seconds > 89.9 && v[1].seconds < 90.1);
	assert_string_equal(v[2].read_modes, "incremental,full");
	free(v);

	/* Runs of one job in the same second: in the order they ran (qsort alone may swap them). */
	for (int i = 0; i < 12; i++)
		record(dir, "web2", "often", t0, i % 3 != 1, i % 2 ? "full" : "incremental");
	assert_int_equal(state_history_read(dir, "web2", NULL, 0, &v, &n, NULL), 0);
	assert_int_equal(n, 12);
	for (int i = 0; i < 12; i++) {
		assert_int_equal(v[i].ok, i % 3 != 1);
		assert_string_equal(v[i].read_modes, v[i].ok ? (i % 2 ? "full" : "incremental") : "");
	}
	free(v);
	assert_int_equal(state_run_remove(dir, "web2"), 1);

	/* Every job of the domain, by time; and only those since a time. */
	assert_int_equal(state_history_read(dir, "web1", NULL, 0, &v, &n, NULL), 0);
	assert_int_equal(n, 4);
	assert_string_equal(v[2].job, "weekly");
	free(v);
	assert_int_equal(state_history_read(dir, "web1", NULL, t0 + 86400, &v, &n, NULL), 0);
	assert_int_equal(n, 3);
	free(v);
	assert_int_equal(state_history_read(dir, "nosuch", NULL, 0, &v, &n, NULL), 0);
	assert_int_equal(n, 0);
	free(v);
	{
		struct strlist doms = { 0 };

		assert_int_equal(state_history_domains(dir, &doms), 0);
		assert_int_equal(doms.n, 2);
		assert_string_equal(doms.v[0], "db1");
		assert_string_equal(doms.v[1], "web1");
		strlist_clear(&doms);
	}
	/* Forgetting the domain's records forgets its history; another's stays. */
	assert_int_equal(state_run_remove(dir, "web1"), 2);
	assert_int_equal(state_history_read(dir, "web1", NULL, 0, &v, &n, NULL), 0);
	assert_int_equal(n, 0);
	free(v);
	assert_int_equal(state_history_read(dir, "db1", NULL, 0, &v, &n, NULL), 0);
	assert_int_equal(n, 1);
	free(v);
	tmpdir_remove(dir);
	free(dir);
}

/* A damaged line is skipped (and counted); the next append drops it. */
static void
test_damaged(void **state)
{
	char *dir = scratch();
	char *path = xasprintf("%s/history/vm@manual.jsonl", dir);
	struct run_record *v = NULL;
	size_t n = 0, bad = 0;
	time_t t0 = time(NULL) - 86400;
	FILE *f;

	(void)state;
	record(dir, "vm", "manual", t0, true, "full");
	f = fopen(path, "a");
	assert_non_null(f);
	fputs("{\"domain\": \"vm\", \"result\": \"succ\n", f);	/* cut by a crash */
	fputs("not json at all\n", f);
	fputs("[1, 2]\n", f);
	fclose(f);
	record(dir, "vm", "manual", t0 + 60, false, "");
	assert_int_equal(count_lines(path), 2);
	assert_int_equal(state_history_read(dir, "vm", NULL, 0, &v, &n, &bad), 0);
	assert_int_equal(n, 2);
	assert_int_equal(bad, 0);
	free(v);

	f = fopen(path, "a");
	fputs("{{{\n", f);
	fclose(f);
	assert_int_equal(state_history_read(dir, "vm", NULL, 0, &v, &n, &bad), 0);
	assert_int_equal(n, 2);
	assert_int_equal(bad, 1);
	free(v);
	free(path);
	tmpdir_remove(dir);
	free(dir);
}

/* The bounds: the last HISTORY_MAX_LINES lines, none older than HISTORY_MAX_DAYS. */
static void
test_bounds(void **state)
{
	char *dir = scratch();
	char *path = xasprintf("%s/history/vm@nightly.jsonl", dir);
	struct run_record *v = NULL;
	size_t n = 0;
	time_t now = time(NULL);
	FILE *f;

	(void)state;
	record(dir, "vm", "nightly", now - 10, true, "full");
	f = fopen(path, "w");
	assert_non_null(f);
	/* Too old: goes whatever the count. */
	fprintf(f, "{\"domain\":\"vm\",\"job\":\"nightly\",\"result\":\"success\",\"started\":%lld}\n",
	    (long long)(now - (HISTORY_MAX_DAYS + 1) * 86400LL));
	for (int i = HISTORY_MAX_LINES; i > 0; i--)
		fprintf(f, "{\"domain\":\"vm\",\"job\":\"nightly\",\"result\":\"success\","
		    "\"started\":%lld,\"bytes_read\":%d}\n", (long long)(now - i * 3600LL), i);
	fclose(f);
	assert_int_equal(count_lines(path), HISTORY_MAX_LINES + 1);
	record(dir, "vm", "nightly", now, false, "");
	assert_int_equal(count_lines(path), HISTORY_MAX_LINES);
	assert_int_equal(state_history_read(dir, "vm", NULL, 0, &v, &n, NULL), 0);
	assert_int_equal(n, HISTORY_MAX_LINES);
	/* The oldest of the young ones went to make room for the new one. */
	assert_int_equal(v[0].bytes_read, HISTORY_MAX_LINES - 1);
	assert_int_equal(v[n - 2].bytes_read, 1);
	assert_false(v[n - 1].ok);
	assert_int_equal(v[n - 1].started, now);
	free(v);
	free(path);
	tmpdir_remove(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_read),
		cmocka_unit_test(test_damaged),
		cmocka_unit_test(test_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
