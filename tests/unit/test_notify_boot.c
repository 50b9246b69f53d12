/*
 * The message of boot checks (jobrun/notify_boot.c): when one is due, its
 * subject, the webhook's JSON naming each screenshot, the MIME mail with
 * each failed check's screenshot in base64 (decoded here byte for byte),
 * and its delivery through a sendmail that keeps what it is given.
 *
 * Also a tiny entry for the integration test (tests/integration/t_bootops.sh)
 * until a command sends this message:
 *   test_notify_boot deliver CONF JOB DOMAIN...
 * sends the message of the boot records of DOMAIN... (STATE/boot of CONF)
 * as job JOB; its exit code is how many channels did not take it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "conf/conf.h"
#include "jobrun/notify.h"
#include "state/bootrec.h"
#include "tests/fakes/tmpdir.h"

/* A real 3x2 PNG: red, green, blue. */
static const unsigned char png[] = {
	0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d,
	0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x02,
	0x08, 0x02, 0x00, 0x00, 0x00, 0x12, 0x16, 0xf1, 0x4d, 0x00, 0x00, 0x00,
	0x10, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xc0,
	0x00, 0xc1, 0x70, 0x16, 0x00, 0x3b, 0xd8, 0x05, 0xfb, 0xde, 0x10, 0x37,
	0x65, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60,
	0x82,
};

static char dir[] = "/tmp/vv-test-notify-boot.XXXXXX";

static void
put_file(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	fchmod(fd, mode);
	close(fd);
}

/* A configuration of [notify] lines EXTRA, its state in DIR/state. */
static struct conf *
load_conf(const char *extra)
{
	char *path = xasprintf("%s/t.conf", dir);
	char *text = xasprintf("[agent]\nstate_dir = %s/state\nhost = h1\n[notify]\n%s", dir, extra);
	struct conf *c;

	put_file(path, text, strlen(text), 0600);
	c = conf_load(path, true);
	for (size_t i = 0; i < c->errors.n; i++)
		print_message("  error: %s\n", c->errors.v[i]);
	assert_int_equal(c->errors.n, 0);
	free(path);
	free(text);
	return c;
}

static void
record(struct boot_record *r, const char *dom, bool ok, bool shot, const char *reason)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->domain, sizeof(r->domain), "%s", dom);
	snprintf(r->job, sizeof(r->job), "weekly");
	snprintf(r->snapshot, sizeof(r->snapshot), "0123456789abcdef");
	snprintf(r->snapshot_host, sizeof(r->snapshot_host), "h1");
	r->ok = ok;
	r->started = 1795582800;	/* 2026-11-25T05:00:00Z */
	r->finished = r->started + 42;
	r->seconds_to_agent = ok ? 12.5 : -1;
	r->command_exit = -1;
	r->screenshot = shot;
	snprintf(r->reason, sizeof(r->reason), "%s", reason);
}

/* The three checks of the tests: web1 failed (screenshot), db1 passed (screenshot), app failed (none). */
static void
three(struct boot_record *r)
{
	record(&r[0], "web1", false, true, "the guest agent did not answer\nwithin 300s");
	record(&r[1], "db1", true, true, "");
	record(&r[2], "app", false, false, "the snapshot is gone");
}

static int
b64_value(char ch)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = ch ? strchr(abc, ch) : NULL;

	return p ? (int)(p - abc) : -1;
}

/*
 * The base64 body of the part after HEADER in MAIL, decoded into a new
 * buffer (*LEN bytes); every line but the last exactly 76 characters.
 */
static unsigned char *
attachment(const char *mail, const char *header, size_t *len)
{
	const char *p = strstr(mail, header);
	unsigned char *out = xmalloc(strlen(mail));
	size_t n = 0, line = 0, lines = 0, lastlen = 0;
	unsigned acc = 0;
	int bits = 0;

	assert_non_null(p);
	p = strstr(p, "\n\n");
	assert_non_null(p);
	for (p += 2; *p && *p != '-'; p++) {
		int v;

		if (*p == '\n') {
			assert_true(line <= 76);
			if (lines > 0)
				assert_int_equal(lastlen, 76);
			lastlen = line;
			lines++;
			line = 0;
			continue;
		}
		line++;
		if (*p == '=')
			continue;
		v = b64_value(*p);
		assert_true(v >= 0);
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits);
		}
	}
	*len = n;
	return out;
}

static void
test_due(void **state)
{
	struct boot_record r[3];
	struct conf *none, *fail, *always;

	(void)state;
	three(r);
	none = load_conf("");
	fail = load_conf("mail_to = ops@example.org\n");
	always = load_conf("webhook_url = http://127.0.0.1:9/x\non = always\n");
	assert_false(notify_boot_due(none, r, 3));	/* no channel */
	assert_true(notify_boot_due(fail, r, 3));
	assert_false(notify_boot_due(fail, &r[1], 1));	/* on = failure, all passed */
	assert_true(notify_boot_due(always, &r[1], 1));
	assert_false(notify_boot_due(always, r, 0));
	assert_int_equal(notify_boot(fail, "weekly", &r[1], 1, "/nonexistent"), 0);
	conf_free(none);
	conf_free(fail);
	conf_free(always);
}

static void
test_subject_and_text(void **state)
{
	struct boot_record r[3];
	char *s, *t;

	(void)state;
	three(r);
	s = notify_boot_subject("h1", "weekly", r, 3);
	assert_string_equal(s, "virtvault h1, job weekly: BOOT CHECK FAILED: 2 of 3 domains");
	free(s);
	s = notify_boot_subject("h1", "weekly", r, 1);
	assert_string_equal(s, "virtvault h1, job weekly: BOOT CHECK FAILED: web1");
	free(s);
	s = notify_boot_subject("h1", "weekly", &r[1], 1);
	assert_string_equal(s, "virtvault h1, job weekly: 1 boot check passed");
	free(s);
	t = notify_boot_text("h1", "weekly", r, 3);
	assert_non_null(strstr(t, "2 of 3 boot checks FAILED."));
	assert_non_null(strstr(t, "web1: FAILED in 42s, snapshot 0123456789abcdef\n"
	    "  reason: the guest agent did not answer within 300s (its screen is attached)\n"));
	assert_non_null(strstr(t, "db1: passed in 42s, snapshot 0123456789abcdef, agent answered after 12.5s\n"));
	assert_non_null(strstr(t, "app: FAILED in 42s, snapshot 0123456789abcdef\n  reason: the snapshot is gone\n"));
	free(t);
}

static void
test_json_names_screenshots(void **state)
{
	struct boot_record r[3];
	char *sd = xasprintf("%s/state", dir), *want = xasprintf("%s/state/boot/web1.png", dir);
	json_object *o, *a, *v;

	(void)state;
	three(r);
	o = notify_boot_json("h1", "weekly", r, 3, sd);
	assert_string_equal(json_object_get_string(json_object_object_get(o, "kind")), "boot_check");
	assert_string_equal(json_object_get_string(json_object_object_get(o, "result")), "failure");
	assert_int_equal(json_object_get_int(json_object_object_get(o, "checks_failed")), 2);
	a = json_object_object_get(o, "boot_checks");
	assert_int_equal(json_object_array_length(a), 3);
	v = json_object_object_get(json_object_array_get_idx(a, 0), "screenshot_file");
	assert_string_equal(json_object_get_string(v), want);
	assert_true(json_object_object_get_ex(json_object_array_get_idx(a, 2), "screenshot_file", &v));
	assert_null(v);
	assert_string_equal(json_object_get_string(json_object_object_get(json_object_array_get_idx(a, 0),
	    "reason")), "the guest agent did not answer\nwithin 300s");
	json_object_put(o);
	free(sd);
	free(want);
}

static void
test_mail_attaches_failed_screenshots(void **state)
{
	struct boot_record r[4];
	char *sd = xasprintf("%s/state", dir), *p, *mail;
	unsigned char big[1000], *got;
	struct conf *c = load_conf("mail_to = ops@example.org, root@localhost\n");
	size_t n;

	(void)state;
	three(r);
	record(&r[3], "odd \"name\" x", false, true, "no agent");
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (unsigned char)(i * 7 + 3);
	assert_int_equal(state_boot_write(sd, &r[0]), 0);	/* makes STATE/boot */
	p = state_boot_screenshot_path(sd, "web1");
	put_file(p, png, sizeof(png), 0600);
	free(p);
	p = state_boot_screenshot_path(sd, "db1");
	put_file(p, png, sizeof(png), 0600);
	free(p);
	mail = notify_boot_mail(c, "weekly", r, 3, sd, "=_B_=");
	assert_non_null(strstr(mail, "To: ops@example.org, root@localhost\n"));
	assert_non_null(strstr(mail, "Subject: virtvault h1, job weekly: BOOT CHECK FAILED: 2 of 3 domains\n"));
	assert_non_null(strstr(mail, "Content-Type: multipart/mixed; boundary=\"=_B_=\"\n"));
	assert_non_null(strstr(mail, "\n--=_B_=\nContent-Type: text/plain; charset=utf-8\n"));
	/* One attachment: web1's (db1 passed; app has no screenshot). */
	assert_non_null(strstr(mail, "Content-Disposition: attachment; filename=\"web1.png\"\n"));
	assert_null(strstr(mail, "db1.png"));
	assert_null(strstr(mail, "app.png"));
	got = attachment(mail, "filename=\"web1.png\"", &n);
	assert_int_equal(n, sizeof(png));
	assert_memory_equal(got, png, sizeof(png));
	free(got);
	n = strlen(mail);
	assert_true(n >= 11);
	assert_string_equal(mail + n - 11, "\n--=_B_=--\n");
	free(mail);
	/* Longer, and a name a header must not take as it is. */
	p = state_boot_screenshot_path(sd, r[3].domain);
	put_file(p, big, sizeof(big), 0600);
	free(p);
	mail = notify_boot_mail(c, "weekly", &r[3], 1, sd, "=_B_=");
	assert_non_null(strstr(mail, "filename=\"odd__name__x.png\""));
	got = attachment(mail, "filename=\"odd__name__x.png\"", &n);
	assert_int_equal(n, sizeof(big));
	assert_memory_equal(got, big, sizeof(big));
	free(got);
	free(mail);
	conf_free(c);
	free(sd);
}

static void
test_delivered_through_sendmail(void **state)
{
	struct boot_record r[3];
	char *sm = xasprintf("%s/sendmail", dir), *kept = xasprintf("%s/kept", dir);
	char *script = xasprintf("#!/bin/sh\necho \"ARGS: $*\" >%s\ncat >>%s\n", kept, kept);
	char *cf = xasprintf("mail_to = ops@example.org\nsendmail = %s\nretries = 0\n", sm);
	char *bad = xasprintf("#!/bin/sh\ncat >/dev/null\nexit 3\n");
	struct conf *c = load_conf(cf);
	char buf[4096];
	FILE *f;
	size_t n;

	(void)state;
	three(r);
	put_file(sm, script, strlen(script), 0755);
	assert_int_equal(notify_boot(c, "weekly", r, 3, c->state_dir), 0);
	f = fopen(kept, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "ARGS: -oi -t\nTo: ops@example.org\n"));
	assert_non_null(strstr(buf, "Content-Type: multipart/mixed; boundary=\"=_virtvault_"));
	assert_non_null(strstr(buf, "filename=\"web1.png\""));
	/* A sendmail that fails: one channel did not take it. */
	put_file(sm, bad, strlen(bad), 0755);
	assert_int_equal(notify_boot(c, "weekly", r, 3, c->state_dir), 1);
	conf_free(c);
	free(sm);
	free(kept);
	free(script);
	free(cf);
	free(bad);
}

/* The integration test's entry: see the top of the file. */
static int
deliver(int argc, char **argv)
{
	struct conf *c = conf_load(argv[2], true);
	struct boot_record *r = xcalloc((size_t)argc, sizeof(*r));
	size_t n = 0;
	int failed;

	if (c->errors.n > 0) {
		for (size_t i = 0; i < c->errors.n; i++)
			fprintf(stderr, "%s\n", c->errors.v[i]);
		return 2;
	}
	for (int i = 4; i < argc; i++) {
		if (state_boot_read(c->state_dir, argv[i], &r[n]) != 0) {
			fprintf(stderr, "domain %s: no boot record in %s\n", argv[i], c->state_dir);
			return 2;
		}
		n++;
	}
	failed = notify_boot(c, argv[3], r, n, c->state_dir);
	free(r);
	conf_free(c);
	return failed;
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_due),
		cmocka_unit_test(test_subject_and_text),
		cmocka_unit_test(test_json_names_screenshots),
		cmocka_unit_test(test_mail_attaches_failed_screenshots),
		cmocka_unit_test(test_delivered_through_sendmail),
	};
	int rc;

	if (argc >= 5 && strcmp(argv[1], "deliver") == 0) {
		log_setup("test_notify_boot", LOG_LVL_INFO, false);
		return deliver(argc, argv);
	}
	log_setup("test_notify_boot", LOG_LVL_ERROR, false);
	if (mkdtemp(dir) == NULL)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	tmpdir_remove(dir);
	return rc;
}
