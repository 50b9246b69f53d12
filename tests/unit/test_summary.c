/*
 * The summary of a run (jobrun/summary.h): the contract between the daemon
 * and its children, written and read by one module: every field survives
 * the round trip, the last line is the one read, a summary without a
 * version is read as version 0, and what is not a summary is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "jobrun/summary.h"
#include "scheduler/daemon_int.h"

/* A success of DOM with QUIESCED (1, 0, -1) and NREADS reads, its numbers from SEED. */
static void
seq_of(struct seq_result *r, int quiesced, size_t nreads, uint64_t seed)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->snapshot, sizeof(r->snapshot), "%016llx", (unsigned long long)seed * 7919);
	r->quiesced = quiesced;
	r->stats.bytes_read = seed * 1048576 + 1;
	r->stats.chunks_total = seed * 3 + 2;
	r->stats.chunks_new = seed + 1;
	r->stats.chunks_reused = seed * 2;
	r->stats.chunks_zero = 1;
	r->stats.bytes_stored = seed * 1000 + 5;
	r->stats.seconds = 1.5 * (double)seed;
	r->seconds_snapshot = 0.25;
	r->seconds_copy = 2.5;
	r->seconds_commit = 0.75;
	r->seconds_verify = 0.125;
	r->seconds_publish = 0.0625;
	r->seconds_on_overlay = 3.5;
	for (size_t i = 0; i < nreads; i++) {
		struct seq_read *rd = &r->reads[r->nreads++];

		snprintf(rd->file, sizeof(rd->file), "disk%zu.qcow2", i);
		snprintf(rd->mode, sizeof(rd->mode), "%s", i % 2 ? "full" : "incremental");
		snprintf(rd->reason, sizeof(rd->reason), "reason \"%zu\" with\nnewline", i);
		rd->bytes_skipped = (uint64_t)i * 65536;
	}
}

static void
assert_seq_equal(const struct seq_result *a, const struct seq_result *b)
{
	assert_string_equal(a->snapshot, b->snapshot);
	assert_int_equal(a->quiesced, b->quiesced);
	assert_memory_equal(&a->stats, &b->stats, sizeof(a->stats));
	assert_true(a->seconds_snapshot == b->seconds_snapshot);
	assert_true(a->seconds_copy == b->seconds_copy);
	assert_true(a->seconds_commit == b->seconds_commit);
	assert_true(a->seconds_verify == b->seconds_verify);
	assert_true(a->seconds_publish == b->seconds_publish);
	assert_true(a->seconds_on_overlay == b->seconds_on_overlay);
	assert_int_equal(a->nreads, b->nreads);
	for (size_t i = 0; i < a->nreads; i++) {
		assert_string_equal(a->reads[i].file, b->reads[i].file);
		assert_string_equal(a->reads[i].mode, b->reads[i].mode);
		assert_string_equal(a->reads[i].reason, b->reads[i].reason);
		assert_int_equal(a->reads[i].bytes_skipped, b->reads[i].bytes_skipped);
	}
}

static void
test_round_trip(void **state)
{
	struct summary s, back;
	struct seq_result r1, r2;
	char *text, *two;

	(void)state;
	memset(&s, 0, sizeof(s));
	seq_of(&r1, 1, 3, 5);
	seq_of(&r2, -1, 0, 9);	/* shut off: no "quiesced" */
	summary_add(&s, "web-1", SUMMARY_SUCCESS, NULL, &r1);
	summary_add(&s, "db\"quoted\"", SUMMARY_FAILURE, "domain db: disk vda: no space left", NULL);
	summary_add(&s, "-x", SUMMARY_INTERRUPTED, "interrupted by a signal", NULL);
	summary_add(&s, "busy-one", SUMMARY_BUSY, "another run holds the domain", NULL);
	summary_add(&s, "off", SUMMARY_SUCCESS, NULL, &r2);
	summary_add(&s, "mail-*", SUMMARY_FAILURE, NULL, NULL);
	snprintf(s.error, sizeof(s.error), "the keep rules failed");
	assert_int_equal(s.ok, 2);
	assert_int_equal(s.failed, 3);
	assert_int_equal(s.skipped, 1);
	text = summary_format(&s);
	assert_null(strchr(text, '\n'));
	assert_non_null(strstr(text, "\"version\":1"));
	/* Read back after the child's other output, with a trailing newline. */
	two = xasprintf("progress line\n{\"not\": \"this\"}\n%s\n\n", text);
	assert_int_equal(summary_parse(two, &back), 0);
	assert_int_equal(back.version, SUMMARY_VERSION);
	assert_int_equal(back.n, s.n);
	for (size_t i = 0; i < s.n; i++) {
		assert_string_equal(back.v[i].domain, s.v[i].domain);
		assert_int_equal(back.v[i].result, s.v[i].result);
		assert_string_equal(back.v[i].error, s.v[i].error);
		if (s.v[i].result == SUMMARY_SUCCESS)
			assert_seq_equal(&back.v[i].seq, &s.v[i].seq);
	}
	assert_memory_equal(&back.total, &s.total, sizeof(s.total));
	assert_int_equal(back.total.bytes_read, r1.stats.bytes_read + r2.stats.bytes_read);
	assert_int_equal(back.ok, 2);
	assert_int_equal(back.failed, 3);
	assert_int_equal(back.skipped, 1);
	assert_string_equal(back.error, "the keep rules failed");
	summary_clear(&back);
	summary_clear(&s);
	free(two);
	free(text);
}

/*
 * A daemon's child prints a partial summary before its copy: read as
 * partial, with the copy a run killed during it leaves; the whole summary
 * printed after it is the one read (not partial).
 */
static void
test_partial_then_whole(void **state)
{
	struct summary s, back;
	struct seq_result r;
	char *part, *whole, *text;

	(void)state;
	memset(&s, 0, sizeof(s));
	seq_of(&r, 1, 3, 5);
	summary_add(&s, "web-1", SUMMARY_SUCCESS, NULL, &r);
	snprintf(s.v[0].copy.repository, sizeof(s.v[0].copy.repository), "offsite");
	snprintf(s.v[0].copy.result, sizeof(s.v[0].copy.result), "failure");
	snprintf(s.v[0].copy.error, sizeof(s.v[0].copy.error), "killed during the copy");
	s.partial = true;
	part = summary_format(&s);
	assert_non_null(strstr(part, "\"partial\":true"));
	assert_int_equal(summary_parse(part, &back), 0);
	assert_true(back.partial);
	assert_int_equal(back.v[0].result, SUMMARY_SUCCESS);
	assert_string_equal(back.v[0].copy.result, "failure");
	assert_string_equal(back.v[0].copy.error, "killed during the copy");
	summary_clear(&back);
	s.partial = false;
	snprintf(s.v[0].copy.result, sizeof(s.v[0].copy.result), "success");
	s.v[0].copy.error[0] = '\0';
	whole = summary_format(&s);
	assert_null(strstr(whole, "partial"));
	text = xasprintf("%s\n%s\n", part, whole);
	assert_int_equal(summary_parse(text, &back), 0);
	assert_false(back.partial);
	assert_string_equal(back.v[0].copy.result, "success");
	summary_clear(&back);
	summary_clear(&s);
	free(text);
	free(whole);
	free(part);
}

/*
 * The daemon keeps the end of a child's output, where the summary is: more
 * than its cap before it (a partial line, anything a child printed) drops
 * the oldest bytes, not the summary.
 */
static void
test_child_output_keeps_last_line(void **state)
{
	struct summary s, back;
	struct child c;
	char junk[1000], *text;
	int fd[2];
	size_t wrote = 0;

	(void)state;
	memset(&s, 0, sizeof(s));
	summary_add(&s, "web-1", SUMMARY_FAILURE, "the last word", NULL);
	text = summary_format(&s);
	memset(junk, 'x', sizeof(junk) - 1);
	junk[sizeof(junk) - 1] = '\n';
	memset(&c, 0, sizeof(c));
	c.obuf = xmalloc(OUT_CAP + 1);
	assert_int_equal(pipe(fd), 0);
	c.out = fd[0];
	c.err = -1;
	/* Written and read in turns: the pipe never fills. */
	while (wrote < OUT_CAP + 50000) {
		assert_int_equal(write(fd[1], junk, sizeof(junk)), (ssize_t)sizeof(junk));
		wrote += sizeof(junk);
		daemon_child_read(&c, fd[0]);
	}
	assert_int_equal(write(fd[1], text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(write(fd[1], "\n", 1), 1);
	daemon_child_read(&c, fd[0]);
	close(fd[1]);
	while (c.out >= 0)
		daemon_child_read(&c, c.out);
	assert_true(c.olen <= OUT_CAP);
	c.obuf[c.olen] = '\0';
	assert_int_equal(summary_parse(c.obuf, &back), 0);
	assert_string_equal(back.v[0].error, "the last word");
	summary_clear(&back);
	summary_clear(&s);
	free(c.obuf);
	free(text);
}

/* What `backup --json` printed before the version field: still read. */
static void
test_version_0(void **state)
{
	static const char v0[] =
	    "{\"domains\":[{\"bytes_read\":10,\"chunks_total\":1,\"chunks_new\":1,\"chunks_reused\":0,"
	    "\"chunks_zero\":0,\"bytes_stored\":7,\"seconds\":0.5,\"domain\":\"a\",\"ok\":true,"
	    "\"result\":\"success\",\"snapshot\":\"0123456789abcdef\",\"quiesced\":false,"
	    "\"files\":[]},{\"domain\":\"b\",\"ok\":false,\"result\":\"busy\",\"error\":\"held\"}],"
	    "\"total\":{\"bytes_read\":10,\"domains_ok\":1}}";
	struct summary s;

	(void)state;
	assert_int_equal(summary_parse(v0, &s), 0);
	assert_int_equal(s.version, 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.v[0].result, SUMMARY_SUCCESS);
	assert_int_equal(s.v[0].seq.quiesced, 0);
	assert_int_equal(s.v[0].seq.stats.bytes_stored, 7);
	assert_string_equal(s.v[0].seq.snapshot, "0123456789abcdef");
	assert_int_equal(s.v[1].result, SUMMARY_BUSY);
	assert_string_equal(s.v[1].error, "held");
	assert_int_equal(s.skipped, 1);
	summary_clear(&s);
}

static void
test_refused(void **state)
{
	static const char *const bad[] = {
		"",
		"\n\n",
		"virtvault: error: no [job x]\n",
		"[1,2]",
		"{\"domains\":3}",
		"{\"domains\":[{\"domain\":\"a\",\"result\":\"maybe\"}]}",
		"{\"domains\":[{\"result\":\"success\"}]}",
		"{\"domains\":[7]}",
		"{\"domains\":[]} trailing",
		"{\"domains\":[{\"domain\":\"a\",\"result\":\"success\"}]",
		/* The summary is the last line: an earlier one does not count. */
		"{\"domains\":[]}\nvirtvault: error: then it died\n",
	};
	struct summary s;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(summary_parse(bad[i], &s), -1);
		assert_int_equal(s.n, 0);
		assert_null(s.v);
	}
	/* Hostile numbers are counts of 0, not wrapped ones. */
	assert_int_equal(summary_parse("{\"domains\":[{\"domain\":\"a\",\"result\":\"success\","
	    "\"bytes_read\":-5,\"chunks_new\":\"many\",\"quiesced\":3}]}", &s), 0);
	assert_int_equal(s.v[0].seq.stats.bytes_read, 0);
	assert_int_equal(s.v[0].seq.stats.chunks_new, 0);
	assert_int_equal(s.v[0].seq.quiesced, -1);
	summary_clear(&s);
}

static void
test_selection(void **state)
{
	struct strlist sel = { 0 }, un = { 0 }, bsel = { 0 }, bun = { 0 };
	char err[128] = "", *text;

	(void)state;
	strlist_add(&sel, "a");
	strlist_add(&sel, "b c");
	strlist_add(&un, "typo*");
	/* For people: the listing as it always was. */
	text = summary_format_selection(&sel, &un, NULL, false);
	assert_string_equal(text, "{\"domains\":[\"a\",\"b c\"],\"unmatched\":[\"typo*\"]}");
	free(text);
	text = summary_format_selection(&sel, &un, NULL, true);
	assert_non_null(strstr(text, "\"version\":1"));
	assert_int_equal(summary_parse_selection(text, &bsel, &bun, err, sizeof(err)), 0);
	assert_int_equal(bsel.n, 2);
	assert_string_equal(bsel.v[1], "b c");
	assert_int_equal(bun.n, 1);
	assert_string_equal(bun.v[0], "typo*");
	free(text);
	strlist_clear(&bsel);
	strlist_clear(&bun);
	/* A child that could not list the domains says why, in a field. */
	text = summary_format_selection(&bsel, &bun, "libvirt: cannot connect to qemu:///nowhere", true);
	assert_int_equal(summary_parse_selection(text, &bsel, &bun, err, sizeof(err)), 1);
	assert_string_equal(err, "libvirt: cannot connect to qemu:///nowhere");
	assert_int_equal(bsel.n, 0);
	free(text);
	assert_int_equal(summary_parse_selection("virtvault: error: x\n", &bsel, &bun, err, sizeof(err)), -1);
	assert_int_equal(summary_parse_selection("{\"unmatched\":[]}", &bsel, &bun, err, sizeof(err)), -1);
	strlist_clear(&sel);
	strlist_clear(&un);
}

static void
test_result_names(void **state)
{
	enum summary_result r;

	(void)state;
	for (int i = SUMMARY_SUCCESS; i <= SUMMARY_BUSY; i++) {
		assert_int_equal(summary_result_parse(summary_result_name((enum summary_result)i), &r), 0);
		assert_int_equal(r, i);
	}
	assert_int_equal(summary_result_parse("ok", &r), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_partial_then_whole),
		cmocka_unit_test(test_child_output_keeps_last_line),
		cmocka_unit_test(test_version_0),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_selection),
		cmocka_unit_test(test_result_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
