/*
 * A job's copy_to (jobrun/jobrun_copy.h, state/copyrec.c): which
 * snapshots a run copies, the copy's outcome carried in the run record,
 * the daemon's summary, the metrics and the message, apart from the
 * backup's; copy_to must name a [repository NAME] section.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "conf/conf.h"
#include "jobrun/jobrun_copy.h"
#include "jobrun/notify.h"
#include "jobrun/summary.h"
#include "state/runs.h"

/* The plan of the group whose snapshot times are WHEN (N, newest first). */
struct plan_case {
	const char *what;
	time_t when[8];
	size_t n;
	bool future0;		/* the newest lies in the future */
	bool dst_has;
	time_t dst_newest;
	size_t max;
	size_t want[8];		/* indexes, oldest first */
	size_t nwant;
	size_t left;
};

static const struct plan_case plans[] = {
	{ "the new one only, the destination up to date", { 50, 40, 30 }, 3, false, true, 40, 8,
	  { 0 }, 1, 0 },
	{ "last night's failed copy comes with tonight's", { 50, 40, 30 }, 3, false, true, 30, 8,
	  { 1, 0 }, 2, 0 },
	{ "a destination holding none: only the newest", { 50, 40, 30 }, 3, false, false, 0, 8,
	  { 0 }, 1, 0 },
	{ "bounded: the newest MAX, the rest counted", { 60, 50, 40, 30, 20 }, 5, false, true, 10, 2,
	  { 1, 0 }, 2, 3 },
	{ "nothing missing", { 50, 40 }, 2, false, true, 50, 8, { 0 }, 0, 0 },
	{ "a snapshot from the future is not copied", { 90, 50, 40 }, 3, true, true, 40, 8,
	  { 1 }, 1, 0 },
	{ "the destination ahead (a newer copy made by hand)", { 50, 40 }, 2, false, true, 70, 8,
	  { 0 }, 0, 0 },
};

static void
test_plan(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(plans) / sizeof(plans[0]); c++) {
		const struct plan_case *p = &plans[c];
		struct manifest m[8], *l[8];
		size_t idx[8] = { 0 }, left = 99, k;

		memset(m, 0, sizeof(m));
		for (size_t i = 0; i < p->n; i++) {
			m[i].when = p->when[i];
			l[i] = &m[i];
		}
		m[0].future = p->future0;
		k = jobrun_copy_plan(l, p->n, p->dst_has, p->dst_newest, p->max, idx, &left);
		if (k != p->nwant || left != p->left)
			fail_msg("%s: %zu chosen, %zu left; want %zu, %zu", p->what, k, left, p->nwant, p->left);
		for (size_t i = 0; i < k; i++)
			if (idx[i] != p->want[i])
				fail_msg("%s: [%zu] = %zu, want %zu", p->what, i, idx[i], p->want[i]);
	}
}

static void
copy_of(struct run_copy *c, const char *result, time_t started)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->repository, sizeof(c->repository), "offsite");
	snprintf(c->result, sizeof(c->result), "%s", result);
	c->started = started;
	c->finished = started + 7;
	c->snapshots = 2;
	c->bytes_stored = 12345;
	c->forgotten = 1;
	c->missing = 3;
	if (strcmp(result, "failure") == 0)
		snprintf(c->error, sizeof(c->error), "copy to file:///x: Permission denied");
}

/* The outcome goes on from run to run; a run without a copy keeps the last one's. */
static void
test_carry(void **state)
{
	struct run_copy prev, c;

	(void)state;
	copy_of(&prev, "success", 100);
	prev.last_success = 107;
	prev.failures_total = 4;
	copy_of(&c, "failure", 200);
	state_copy_carry(&c, &prev);
	assert_int_equal(c.last_success, 107);
	assert_int_equal(c.failures_total, 5);
	assert_true(state_copy_failed(&c));
	prev = c;
	copy_of(&c, "success", 300);
	state_copy_carry(&c, &prev);
	assert_int_equal(c.last_success, 307);
	assert_int_equal(c.failures_total, 5);
	/* The backup failed: no copy this run; the last outcome stands. */
	prev = c;
	memset(&c, 0, sizeof(c));
	state_copy_carry(&c, &prev);
	assert_string_equal(c.result, "success");
	assert_int_equal(c.finished, 307);
	assert_false(state_copy_failed(&c));
}

/* The daemon reads the copy's outcome from its child's summary, the backup's apart. */
static void
test_summary(void **state)
{
	struct summary s = { 0 }, back;
	struct seq_result seq;
	char *text;

	(void)state;
	memset(&seq, 0, sizeof(seq));
	snprintf(seq.snapshot, sizeof(seq.snapshot), "0123456789abcdef");
	seq.quiesced = -1;
	copy_of(&summary_add(&s, "vm1", SUMMARY_SUCCESS, NULL, &seq)->copy, "failure", 1000);
	summary_add(&s, "vm2", SUMMARY_SUCCESS, NULL, &seq);
	text = summary_format(&s);
	assert_int_equal(summary_parse(text, &back), 0);
	assert_int_equal(back.n, 2);
	assert_int_equal(back.ok, 2);
	assert_int_equal(back.failed, 0);
	assert_memory_equal(&back.v[0].copy, &s.v[0].copy, sizeof(s.v[0].copy));
	assert_string_equal(back.v[1].copy.repository, "");
	free(text);
	summary_clear(&back);
	summary_clear(&s);
}

/* The record's JSON, as the run file and status keep it. */
static void
test_json(void **state)
{
	struct run_copy c, back;
	json_object *o;

	(void)state;
	copy_of(&c, "failure", 1000);
	c.last_success = 900;
	c.failures_total = 2;
	o = state_copy_json(&c);
	state_copy_parse(o, &back);
	assert_memory_equal(&back, &c, sizeof(c));
	json_object_put(o);
	memset(&c, 0, sizeof(c));
	assert_null(state_copy_json(&c));
}

static void
test_metrics(void **state)
{
	struct run_record r[2];
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	memset(r, 0, sizeof(r));
	snprintf(r[0].domain, sizeof(r[0].domain), "vm1");
	snprintf(r[0].job, sizeof(r[0].job), "nightly");
	r[0].ok = true;
	copy_of(&r[0].copy, "failure", 1000);
	snprintf(r[1].domain, sizeof(r[1].domain), "vm2");
	snprintf(r[1].job, sizeof(r[1].job), "nightly");
	state_copy_metrics(r, 2, f);
	fclose(f);
	assert_non_null(strstr(buf, "virtvault_copy_success{domain=\"vm1\",job=\"nightly\",repository=\"offsite\"} 0\n"));
	assert_non_null(strstr(buf, "virtvault_copy_seconds{domain=\"vm1\",job=\"nightly\",repository=\"offsite\"} 7\n"));
	assert_non_null(strstr(buf, "virtvault_copy_timestamp_seconds{domain=\"vm1\",job=\"nightly\",repository=\"offsite\"} 1007\n"));
	/* A domain of a job without copy_to has no copy gauge. */
	assert_null(strstr(buf, "domain=\"vm2\""));
	free(buf);
}

/* A failed copy makes a message for on = failure, named as the copy's. */
static void
test_notify(void **state)
{
	struct conf c;
	struct run_record r;
	char *subject, *text;
	json_object *o, *doms, *d, *cp, *v;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.notify.webhook_url = "http://127.0.0.1:1/hook";
	memset(&r, 0, sizeof(r));
	snprintf(r.domain, sizeof(r.domain), "vm1");
	snprintf(r.job, sizeof(r.job), "nightly");
	snprintf(r.result, sizeof(r.result), "success");
	snprintf(r.snapshot, sizeof(r.snapshot), "0123456789abcdef");
	r.ok = true;
	r.started = 990;
	r.finished = 1008;
	copy_of(&r.copy, "success", 1000);
	assert_false(notify_due(&c, &r, 1));
	copy_of(&r.copy, "failure", 1000);
	assert_true(notify_due(&c, &r, 1));
	subject = notify_subject("h", "nightly", &r, 1);
	assert_non_null(strstr(subject, "COPY FAILED: vm1 to offsite"));
	text = notify_text("h", "nightly", &r, 1);
	assert_non_null(strstr(text, "vm1: success"));
	assert_non_null(strstr(text, "copy to offsite: COPY FAILED (the backup is kept): copy to file:///x: Permission denied"));
	o = notify_json("h", "nightly", &r, 1);
	assert_true(json_object_object_get_ex(o, "result", &v));
	assert_string_equal(json_object_get_string(v), "success");
	assert_true(json_object_object_get_ex(o, "copies_failed", &v));
	assert_int_equal(json_object_get_int(v), 1);
	assert_true(json_object_object_get_ex(o, "domains", &doms));
	d = json_object_array_get_idx(doms, 0);
	assert_true(json_object_object_get_ex(d, "copy", &cp));
	assert_true(json_object_object_get_ex(cp, "result", &v));
	assert_string_equal(json_object_get_string(v), "failure");
	json_object_put(o);
	free(subject);
	free(text);
	/* An earlier run's failed copy carried in the record is not this run's. */
	r.copy.started = r.started - 100;
	assert_false(notify_due(&c, &r, 1));
}

/* copy_to names a [repository NAME] section, else an error naming the file and line. */
static void
test_conf(void **state)
{
	char path[] = "/tmp/vv-test-copyjob.XXXXXX";
	int fd = mkstemp(path);
	const char *text = "[repository]\nurl = file:///tmp/a\n"
	    "[job j]\ndomains = *\ncopy_to = elsewhere\n"
	    "[job k]\ndomains = *\n\ncopy_to = offsite\n"
	    "[repository offsite]\nurl = file:///tmp/b\n";
	struct conf *c;
	char *want;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	c = conf_load(path, true);
	want = xasprintf("%s:5: [job j]: copy_to = elsewhere names no [repository elsewhere]", path);
	assert_int_equal(c->errors.n, 1);
	assert_non_null(strstr(c->errors.v[0], want));
	assert_string_equal(conf_find_job(c, "k")->copy_to, "offsite");
	free(want);
	conf_free(c);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan),
		cmocka_unit_test(test_carry),
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_metrics),
		cmocka_unit_test(test_notify),
		cmocka_unit_test(test_conf),
	};

	log_setup("test", LOG_LVL_ERROR, false);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
