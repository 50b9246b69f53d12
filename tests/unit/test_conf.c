/*
 * lint: long file: one table of every error class of the parser, and the
 * good files of every kind of key.
 *
 * The configuration parser against a table of good and bad files: every
 * error class, reported with FILE:LINE, all of them in one run.
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
#include "conf/conf_keys.h"
#include "tests/fakes/tmpdir.h"

static char dir[] = "/tmp/vv-test-conf.XXXXXX";

/* Write LEN bytes of TEXT to a new file of mode MODE; returns its path. */
static char *
write_conf(const char *name, const char *text, size_t len, mode_t mode)
{
	char *path = xasprintf("%s/%s", dir, name);
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	fchmod(fd, mode);
	close(fd);
	return path;
}

static struct conf *
load_text(const char *text)
{
	char *path = write_conf("t.conf", text, strlen(text), 0600);
	struct conf *c = conf_load(path, true);

	free(path);
	return c;
}

/* Whether some error contains every one of the NUL-separated needles. */
static bool
has_error(const struct conf *c, const char *needle)
{
	for (size_t i = 0; i < c->errors.n; i++)
		if (strstr(c->errors.v[i], needle) != NULL)
			return true;
	return false;
}

static void
dump_errors(const struct conf *c)
{
	for (size_t i = 0; i < c->errors.n; i++)
		print_message("  error: %s\n", c->errors.v[i]);
}

static const struct {
	const char *name;
	const char *text;
	size_t nerrors;
	const char *errors[4];	/* each must appear (with its line) */
} bad_cases[] = {
	{ "unknown section", "[agent]\n[bogus]\nx = 1\n", 1,
	  { "t.conf:2: unknown section [bogus]" } },
	{ "unknown key with suggestion", "[agent]\nlog_levle = debug\n", 1,
	  { "t.conf:2: unknown key 'log_levle' in [agent] (did you mean 'log_level'?)" } },
	{ "unknown key far from any", "[repository]\nwhatever = 1\n", 1,
	  { "t.conf:2: unknown key 'whatever' in [repository]" } },
	{ "unknown key in a job names the job", "[job nightly]\ndomains = *\nschedul = @daily\n", 1,
	  { "t.conf:3: unknown key 'schedul' in [job nightly] (did you mean 'schedule'?)" } },
	{ "bad size", "[repository]\nchunk_size = 4Q\n", 1,
	  { "t.conf:2: chunk_size: '4Q' is not a size" } },
	{ "size not a power of two", "[repository]\nchunk_size = 3M\n", 1,
	  { "t.conf:2: chunk_size: '3M' is not a power of two from 256K to 16M" } },
	{ "size too small", "[repository]\nchunk_size = 128K\n", 1,
	  { "t.conf:2: chunk_size: '128K' is not a power of two" } },
	{ "bad duration", "[agent]\ncommit_timeout = 10 minutes\n", 1,
	  { "t.conf:2: commit_timeout: '10 minutes' is not a duration" } },
	{ "zero duration", "[agent]\ncommit_timeout = 0s\n", 1,
	  { "t.conf:2: commit_timeout: '0s' must be longer than zero" } },
	{ "bad cron field", "[job n]\ndomains = *\nschedule = 0 25 * * *\n", 1,
	  { "t.conf:3: schedule: '0 25 * * *' is not a valid schedule: field 2 (hour): 25 is out of range 0-23" } },
	{ "bad cron count", "[job n]\ndomains = *\nschedule = 0 2 * *\n", 1,
	  { "t.conf:3: schedule:", "got 4" } },
	{ "bad enum quiesce", "[job n]\ndomains = *\nquiesce = maybe\n", 1,
	  { "t.conf:3: quiesce: 'maybe' is not require, try or off" } },
	{ "bad enum encryption", "[repository]\nencryption = rot13\n", 1,
	  { "t.conf:2: encryption: 'rot13' is not aes-256-gcm or none" } },
	{ "bad compression level", "[repository]\ncompression = zstd:30\n", 1,
	  { "t.conf:2: compression: 'zstd:30' has a zstd level outside 1-19" } },
	{ "bad compression", "[repository]\ncompression = gzip\n", 1,
	  { "t.conf:2: compression: 'gzip' is not zstd" } },
	{ "bad log level", "[agent]\nlog_level = loud\n", 1,
	  { "t.conf:2: log_level: 'loud' is not one of error, warn, info, debug" } },
	{ "bad bool", "[agent]\nsyslog = perhaps\n", 1,
	  { "t.conf:2: syslog: 'perhaps' is not yes or no" } },
	{ "relative path", "[agent]\nstate_dir = var/lib\n", 1,
	  { "t.conf:2: state_dir: 'var/lib' is not an absolute path" } },
	{ "bad url", "[repository]\nurl = ftp://x/y\n", 1,
	  { "t.conf:2: url: 'ftp://x/y' is not file:///PATH or s3://BUCKET/PREFIX" } },
	{ "bad bucket", "[repository]\nurl = s3://No_Such/x\n", 1,
	  { "t.conf:2: url: 's3://No_Such/x' has an invalid bucket name" } },
	{ "relative file url", "[repository]\nurl = file://srv/x\n", 1,
	  { "t.conf:2: url:", "absolute path" } },
	{ "bad endpoint", "[repository]\nendpoint = 127.0.0.1:7480\n", 1,
	  { "t.conf:2: endpoint:", "is not an http:// or https:// URL" } },
	{ "bad libvirt uri", "[agent]\nlibvirt_uri = system\n", 1,
	  { "t.conf:2: libvirt_uri: 'system' is not a libvirt URI" } },
	{ "bad time zone", "[job n]\ndomains = *\ntimezone = Mars/Olympus\n", 1,
	  { "t.conf:3: timezone: 'Mars/Olympus' is not a time zone" } },
	{ "bad count", "[job n]\ndomains = *\nretries = many\n", 1,
	  { "t.conf:3: retries: 'many' is not a whole number from 0 to 64" } },
	{ "max_parallel zero", "[agent]\nmax_parallel = 0\n", 1,
	  { "t.conf:2: max_parallel: '0' is not a whole number from 1 to 64" } },
	{ "bad delay", "[job n]\ndomains = *\nrandomized_delay = soon\n", 1,
	  { "t.conf:3: randomized_delay: 'soon' is not a duration" } },
	{ "missing required domains", "[job nightly]\nschedule = @daily\n", 1,
	  { "t.conf:1: [job nightly]: 'domains' is required" } },
	{ "duplicate key", "[agent]\nlog_level = info\nlog_level = debug\n", 1,
	  { "t.conf:3: duplicate key 'log_level' (first set at line 2)" } },
	{ "duplicate key in job", "[job a]\ndomains = x\ndomains = y\n", 1,
	  { "t.conf:3: duplicate key 'domains' (first set at line 2)" } },
	{ "duplicate section", "[agent]\n[agent]\n", 1,
	  { "t.conf:2: duplicate section [agent] (first at line 1)" } },
	{ "duplicate job", "[job a]\ndomains = x\n[job a]\n", 1,
	  { "t.conf:3: duplicate section [job a] (first at line 1)" } },
	{ "bad job name", "[job a/b]\ndomains = x\n", 1,
	  { "t.conf:1: invalid job name 'a/b'" } },
	{ "bad boot_check cron", "[job n]\ndomains = *\nboot_check = 0 5 * * funday\n", 1,
	  { "t.conf:3: boot_check: '0 5 * * funday' is not a valid schedule" } },
	{ "boot_timeout below its bound", "[job n]\ndomains = *\nboot_timeout = 5s\n", 1,
	  { "t.conf:3: boot_timeout: '5s' is not a duration from 10s to 86400s" } },
	{ "boot_timeout above its bound", "[job n]\ndomains = *\nboot_timeout = 25h\n", 1,
	  { "t.conf:3: boot_timeout: '25h' is not a duration from 10s to 86400s" } },
	{ "boot_timeout not a duration", "[job n]\ndomains = *\nboot_timeout = long\n", 1,
	  { "t.conf:3: boot_timeout: 'long' is not a duration" } },
	{ "empty boot_check_command", "[job n]\ndomains = *\nboot_check_command =\n", 1,
	  { "t.conf:3: boot_check_command: must not be empty" } },
	{ "boot key outside a job", "[agent]\nboot_check = @weekly\n", 1,
	  { "t.conf:2: unknown key 'boot_check' in [agent]" } },
	{ "job without name", "[job]\n", 1,
	  { "t.conf:1: unknown section [job]" } },
	{ "key outside section", "log_level = info\n[agent]\n", 1,
	  { "t.conf:1: key outside of any section" } },
	{ "no equals sign", "[agent]\njust words\n", 1,
	  { "t.conf:2: expected 'key = value'" } },
	{ "no key name", "[agent]\n= value\n", 1,
	  { "t.conf:2: missing key name before '='" } },
	{ "unclosed section", "[agent\nlog_level = info\n", 1,
	  { "t.conf:1: section header lacks its closing ']'" } },
	{ "empty list", "[job a]\ndomains = , ,\n", 2,
	  { "t.conf:2: domains: must list at least one name or glob",
	    "t.conf:1: [job a]: 'domains' is required" } },
	{ "non-UTF-8", "[agent]\n; caf\xe9\nlog_level = info\n", 1,
	  { "t.conf:2: not valid UTF-8 (byte 0xe9 at column 6)" } },
	{ "webhook not a URL, never echoed", "[notify]\nwebhook_url = hooks.example.org/T0K3N\n", 1,
	  { "t.conf:2: webhook_url: is not an http:// or https:// URL with a host" } },
	{ "mail address that would split a header", "[notify]\nmail_to = a@b.org, x@y.org>Bcc:z@evil\n", 1,
	  { "t.conf:2: mail_to: 'x@y.org>Bcc:z@evil' is not a mail address" } },
	{ "notify on", "[notify]\non = sometimes\n", 1,
	  { "t.conf:2: on: 'sometimes' is not failure or always" } },
	{ "duplicate notify", "[notify]\n[notify]\n", 1,
	  { "t.conf:2: duplicate section [notify] (first at line 1)" } },
	{ "three mistakes at once",
	  "[agent]\nlog_levle = debug\n[repository]\nchunk_size = 3M\n[job n]\ndomains = *\nquiesce = maybe\n",
	  3, { "t.conf:2: unknown key 'log_levle'", "t.conf:4: chunk_size:",
	       "t.conf:7: quiesce:" } },
};

static void
test_bad_files(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		struct conf *c = load_text(bad_cases[i].text);

		if (c->errors.n != bad_cases[i].nerrors) {
			dump_errors(c);
			fail_msg("%s: %zu errors, want %zu", bad_cases[i].name,
			    c->errors.n, bad_cases[i].nerrors);
		}
		/* A secret is never quoted back. */
		for (size_t j = 0; j < c->errors.n; j++)
			if (strstr(c->errors.v[j], "T0K3N") != NULL)
				fail_msg("%s: the error quotes the webhook's token: %s", bad_cases[i].name,
				    c->errors.v[j]);
		for (size_t j = 0; j < 4 && bad_cases[i].errors[j]; j++) {
			if (!has_error(c, bad_cases[i].errors[j])) {
				dump_errors(c);
				fail_msg("%s: no error '%s'", bad_cases[i].name,
				    bad_cases[i].errors[j]);
			}
		}
		conf_free(c);
	}
}

static void
test_good_file(void **state)
{
	struct conf *c;

	(void)state;
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("VIRTVAULT_PASSWORD");
	c = load_text("\xEF\xBB\xBF; virtvault\r\n"
	    "# comment\n"
	    "[agent]   ; trailing comment\n"
	    "  libvirt_uri = qemu+ssh://root@host/system\n"
	    "state_dir=/srv/state\n"
	    "log_level = DEBUG ; inline comment\n"
	    "overlay_dir =\n"
	    "syslog = yes\n"
	    "commit_timeout = 1h30m\n"
	    "\n"
	    "[repository]\n"
	    "url = s3://backups.example/host1\n"
	    "endpoint = https://s3.example:7480\n"
	    "region = eu-west-1\n"
	    "access_key = AKIDEXAMPLE\n"
	    "secret_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\n"
	    "encryption = none\n"
	    "compression = zstd:3\n"
	    "chunk_size = 4M\n"
	    "[job nightly]\n"
	    "schedule = 30 2 * * mon-fri\n"
	    "domains = web-*, db1\n"
	    "exclude_domains = web-test\n"
	    "exclude_disks = vdb, db1:vdc\n"
	    "quiesce = require\n"
	    "[job weekly.full]\n"
	    "schedule = @weekly\n"
	    "domains = *\n");
	if (c->errors.n != 0)
		dump_errors(c);
	assert_int_equal(c->errors.n, 0);
	assert_string_equal(c->libvirt_uri, "qemu+ssh://root@host/system");
	assert_string_equal(c->state_dir, "/srv/state");
	assert_int_equal(c->log_level, LOG_LVL_DEBUG);
	assert_string_equal(c->overlay_dir, "");
	assert_true(c->syslog);
	assert_int_equal(c->commit_timeout, 5400);
	assert_string_equal(c->url, "s3://backups.example/host1");
	assert_string_equal(c->endpoint, "https://s3.example:7480");
	assert_string_equal(c->secret_key, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
	assert_int_equal(c->secret_key_src, CONF_SRC_FILE);
	assert_int_equal(c->encryption, CONF_CIPHER_NONE);
	assert_int_equal(c->compression, CONF_COMP_ZSTD);
	assert_int_equal(c->zstd_level, 3);
	assert_int_equal(c->chunk_size, 4 << 20);
	assert_int_equal(c->njobs, 2);
	assert_string_equal(c->jobs[0].name, "nightly");
	assert_int_equal(c->jobs[0].domains.n, 2);
	assert_string_equal(c->jobs[0].domains.v[1], "db1");
	assert_string_equal(c->jobs[0].exclude_disks.v[1], "db1:vdc");
	assert_int_equal(c->jobs[0].quiesce, CONF_QUIESCE_REQUIRE);
	assert_string_equal(c->jobs[1].name, "weekly.full");
	assert_int_equal(c->jobs[1].quiesce, CONF_QUIESCE_TRY);
	assert_non_null(conf_find_job(c, "weekly.full"));
	assert_null(conf_find_job(c, "monthly"));
	assert_int_equal(conf_require_repository(c), 0);
	conf_free(c);
}

static void
test_defaults_and_empty(void **state)
{
	struct conf *c;

	(void)state;
	c = load_text("");
	assert_int_equal(c->errors.n, 0);
	assert_string_equal(c->libvirt_uri, "qemu:///system");
	assert_string_equal(c->state_dir, "/var/lib/virtvault");
	assert_int_equal(c->chunk_size, 1 << 20);
	assert_int_equal(c->encryption, CONF_CIPHER_AES256GCM);
	assert_int_equal(c->zstd_level, 1);
	assert_int_equal(c->commit_timeout, 600);
	/* An empty file lacks what the repository needs: url and a password. */
	assert_int_equal(conf_require_repository(c), 2);
	assert_true(has_error(c, "[repository] 'url' is required"));
	assert_true(has_error(c, "no password"));
	conf_free(c);
}

/* A job's boot check keys: the default timeout, the values set, both bounds allowed. */
static void
test_boot_check_keys(void **state)
{
	struct conf *c;

	(void)state;
	c = load_text("[job a]\ndomains = *\n"
	    "[job b]\ndomains = *\nboot_check = 0 5 * * sun\n"
	    "boot_check_command = test -s /etc/hostname\nboot_timeout = 2m\n"
	    "[job lo]\ndomains = *\nboot_timeout = 10s\n"
	    "[job hi]\ndomains = *\nboot_timeout = 24h\n");
	if (c->errors.n != 0)
		dump_errors(c);
	assert_int_equal(c->errors.n, 0);
	assert_null(c->jobs[0].boot_check);
	assert_null(c->jobs[0].boot_check_command);
	assert_int_equal(c->jobs[0].boot_timeout, CONF_BOOT_TIMEOUT);
	assert_string_equal(c->jobs[1].boot_check, "0 5 * * sun");
	assert_string_equal(c->jobs[1].boot_check_command, "test -s /etc/hostname");
	assert_int_equal(c->jobs[1].boot_timeout, 120);
	assert_int_equal(c->jobs[2].boot_timeout, 10);
	assert_int_equal(c->jobs[3].boot_timeout, 86400);
	conf_free(c);
}

static void
test_long_lines(void **state)
{
	size_t n = CONF_MAX_LINE + 100;
	char *text = xmalloc(n + 64);
	struct conf *c;
	int off;

	(void)state;
	/* One line just under the limit is fine; one above is an error. */
	off = snprintf(text, 64, "[job a]\ndomains = ");
	memset(text + off, 'a', CONF_MAX_LINE - 10 - 1);
	memcpy(text + off + CONF_MAX_LINE - 11, "\n", 2);
	c = load_text(text);
	if (c->errors.n != 0)
		dump_errors(c);
	assert_int_equal(c->errors.n, 0);
	assert_int_equal(strlen(c->jobs[0].domains.v[0]), CONF_MAX_LINE - 11);
	conf_free(c);

	off = snprintf(text, 64, "[agent]\n; ");
	memset(text + off, 'x', n);
	memcpy(text + off + n, "\nlog_level = bad\n", sizeof("\nlog_level = bad\n"));
	c = load_text(text);
	if (c->errors.n != 2)
		dump_errors(c);
	assert_int_equal(c->errors.n, 2);
	assert_true(has_error(c, "t.conf:2: line too long"));
	assert_true(has_error(c, "t.conf:3: log_level"));
	conf_free(c);
	free(text);
}

static void
test_nul_byte(void **state)
{
	static const char text[] = "[agent]\nlog_level = in\0fo\n";
	char *path = write_conf("nul.conf", text, sizeof(text) - 1, 0600);
	struct conf *c = conf_load(path, true);

	(void)state;
	if (c->errors.n != 1)
		dump_errors(c);
	assert_int_equal(c->errors.n, 1);
	assert_true(has_error(c, "nul.conf:2: NUL byte at column 15"));
	conf_free(c);
	free(path);
}

static void
test_huge_file(void **state)
{
	size_t n = 10 * 1024 * 1024;
	char *text = xmalloc(n);
	char *path;
	struct conf *c;

	(void)state;
	memset(text, '#', n);
	for (size_t i = 79; i < n; i += 80)
		text[i] = '\n';
	path = write_conf("huge.conf", text, n, 0600);
	c = conf_load(path, true);
	assert_int_equal(c->errors.n, 1);
	assert_true(has_error(c, "huge.conf: too large for a configuration file"));
	conf_free(c);
	free(path);
	free(text);
}

static void
test_many_errors_capped(void **state)
{
	size_t n = 300;
	char *text = xmalloc(n * 16 + 16);
	size_t off = 0;
	struct conf *c;

	(void)state;
	off += (size_t)snprintf(text, 16, "[agent]\n");
	for (size_t i = 0; i < n; i++)
		off += (size_t)snprintf(text + off, 16, "bad%zu = 1\n", i);
	c = load_text(text);
	assert_int_equal(c->errors.n, CONF_MAX_ERRORS);
	assert_int_equal(c->errors_dropped, n - CONF_MAX_ERRORS);
	conf_free(c);
	free(text);
}

static void
test_secret_permissions(void **state)
{
	static const char text[] = "[repository]\nurl = s3://bkt/x\nsecret_key = hunter2\n";
	char *path = write_conf("secret.conf", text, sizeof(text) - 1, 0644);
	struct conf *c = conf_load(path, true);

	(void)state;
	if (c->errors.n != 1)
		dump_errors(c);
	assert_int_equal(c->errors.n, 1);
	assert_true(has_error(c, "secret.conf:3: holds secret_key, but the file is readable by group and others (mode 0644); fix it with: chmod 600"));
	/* The secret itself is never in an error. */
	assert_false(has_error(c, "hunter2"));
	conf_free(c);

	chmod(path, 0640);
	c = conf_load(path, true);
	assert_true(has_error(c, "readable by its group (mode 0640)"));
	conf_free(c);

	chmod(path, 0600);
	c = conf_load(path, true);
	assert_int_equal(c->errors.n, 0);
	conf_free(c);

	/* Without a secret, a world-readable file is fine. */
	free(path);
	path = write_conf("public.conf", "[repository]\nurl = s3://bkt/x\n", 29, 0644);
	c = conf_load(path, true);
	assert_int_equal(c->errors.n, 0);
	conf_free(c);
	free(path);
}

static void
test_password_file(void **state)
{
	char *pw = write_conf("pw", "secret\n", 7, 0644);
	char *text = xasprintf("[repository]\nurl = file:///srv/r\npassword_file = %s\n", pw);
	struct conf *c = load_text(text);

	(void)state;
	assert_int_equal(conf_require_repository(c), 1);
	assert_true(has_error(c, "is readable by group or others (mode 0644)"));
	conf_free(c);
	chmod(pw, 0600);
	c = load_text(text);
	assert_int_equal(conf_require_repository(c), 0);
	conf_free(c);
	unlink(pw);
	c = load_text(text);
	assert_int_equal(conf_require_repository(c), 1);
	/* Its line, and how to make one. */
	assert_true(has_error(c, "t.conf:3: password_file"));
	assert_true(has_error(c, ": No such file or directory; create it: install -m 0600 /dev/null "));
	conf_free(c);
	free(text);
	free(pw);
}

static void
test_environment(void **state)
{
	struct conf *c;

	(void)state;
	setenv("AWS_ACCESS_KEY_ID", "AKENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
	setenv("VIRTVAULT_PASSWORD", "envpass", 1);
	c = load_text("[repository]\nurl = s3://bkt/x\n");
	assert_int_equal(c->errors.n, 0);
	assert_string_equal(c->access_key, "AKENV");
	assert_int_equal(c->access_key_src, CONF_SRC_ENV);
	assert_string_equal(c->secret_key, "envsecret");
	assert_int_equal(c->secret_key_src, CONF_SRC_ENV);
	assert_string_equal(c->password, "envpass");
	assert_int_equal(conf_require_repository(c), 0);
	conf_free(c);

	/* The file wins over the environment. */
	c = load_text("[repository]\nurl = s3://bkt/x\naccess_key = AKFILE\n");
	assert_string_equal(c->access_key, "AKFILE");
	assert_int_equal(c->access_key_src, CONF_SRC_FILE);
	conf_free(c);
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("VIRTVAULT_PASSWORD");
}

/* [repository NAME]: checked always, loaded by conf_load_repo, secrets its own. */
static void
test_named_repositories(void **state)
{
	const char *text = "[repository]\nurl = file:///a\nchunk_size = 1M\n"
	    "[repository offsite]\nurl = file:///b\nchunk_size = 4M\nencryption = none\nkeep_daily = 30\n"
	    "[repository spare]\nurl = file:///c\n";
	char *path = write_conf("named.conf", text, strlen(text), 0600);
	struct conf *c;

	(void)state;
	setenv("VIRTVAULT_PASSWORD", "envpass", 1);
	c = conf_load(path, true);
	assert_int_equal(c->errors.n, 0);
	assert_string_equal(c->url, "file:///a");
	assert_null(c->repo_name);
	assert_int_equal(c->repo_names.n, 2);
	assert_string_equal(c->repo_names.v[1], "spare");
	assert_string_equal(c->password, "envpass");
	assert_int_equal(c->keep.daily, 0);
	conf_free(c);

	c = conf_load_repo(path, true, "offsite");
	assert_int_equal(c->errors.n, 0);
	assert_string_equal(c->url, "file:///b");
	assert_int_equal(c->chunk_size, 4 * 1024 * 1024);
	assert_int_equal(c->encryption, CONF_CIPHER_NONE);
	assert_int_equal(c->keep.daily, 30);
	assert_string_equal(c->repo_name, "offsite");
	{
		char *printed = NULL;
		size_t plen = 0;
		FILE *f = open_memstream(&printed, &plen);

		conf_print(c, f);
		fclose(f);
		assert_non_null(strstr(printed, "\n[repository offsite]\nurl = file:///b\n"));
		assert_non_null(strstr(printed, "; [repository spare]: see 'virtvault --repo spare config check'"));
		free(printed);
	}
	conf_free(c);

	/* The default repository's password (environment) is not the spare's. */
	c = conf_load_repo(path, true, "spare");
	assert_int_equal(c->errors.n, 0);
	assert_null(c->password);
	assert_int_equal(conf_require_repository(c), 1);
	assert_true(has_error(c, "[repository spare]: encryption is on but there is no password"));
	conf_free(c);

	c = conf_load_repo(path, true, "nosuch");
	assert_int_equal(c->errors.n, 1);
	assert_true(has_error(c, "named.conf: no section [repository nosuch]"));
	conf_free(c);
	unsetenv("VIRTVAULT_PASSWORD");
	free(path);

	/* A bad key in a section not loaded is an error all the same, with its line. */
	c = load_text("[repository]\nurl = file:///a\n[repository x]\nchunk_size = 3M\n"
	    "[repository x]\n[repository bad name]\n[repository y]\nurll = file:///y\n");
	assert_true(has_error(c, "t.conf:4: chunk_size"));
	assert_true(has_error(c, "t.conf:5: duplicate section [repository x] (first at line 3)"));
	assert_true(has_error(c, "t.conf:6: invalid repository name 'bad name'"));
	assert_true(has_error(c, "t.conf:8: unknown key 'urll' in [repository y] (did you mean 'url'?)"));
	conf_free(c);
}

static void
test_missing_file(void **state)
{
	char *path = xasprintf("%s/none.conf", dir);
	struct conf *c = conf_load(path, false);

	(void)state;
	/* A path named by the caller must exist. */
	assert_int_equal(c->errors.n, 1);
	assert_true(has_error(c, "none.conf: cannot open: No such file or directory"));
	conf_free(c);
	free(path);
}

static void
test_print_redacts(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	struct conf *c;

	(void)state;
	setenv("VIRTVAULT_PASSWORD", "envpass", 1);
	c = load_text("[repository]\nurl = s3://bkt/x\nsecret_key = hunter2\naccess_key = AK1\n[job j]\ndomains = a, b\n"
	    "[notify]\nwebhook_url = https://hookuser:W3BT0K@hooks.example.org:8443/p/PTOK?token=QTOK\n");
	assert_int_equal(c->errors.n, 0);
	conf_print(c, out);
	fclose(out);
	assert_null(strstr(buf, "hunter2"));
	/* The webhook's credentials, path and query: none shown. */
	assert_null(strstr(buf, "W3BT0K"));
	assert_null(strstr(buf, "hookuser"));
	assert_null(strstr(buf, "PTOK"));
	assert_null(strstr(buf, "QTOK"));
	assert_non_null(strstr(buf, "webhook_url = https://<redacted>@hooks.example.org:8443/<redacted>\n"));
	assert_null(strstr(buf, "envpass"));
	assert_non_null(strstr(buf, "secret_key = <redacted>\n"));
	assert_non_null(strstr(buf, "access_key = AK1\n"));
	assert_non_null(strstr(buf, "password = <redacted>  ; from VIRTVAULT_PASSWORD"));
	assert_non_null(strstr(buf, "[job j]\n"));
	assert_non_null(strstr(buf, "domains = a, b\n"));
	assert_non_null(strstr(buf, "chunk_size = 1M\n"));
	conf_free(c);
	free(buf);
	unsetenv("VIRTVAULT_PASSWORD");
}

static void
test_key_table(void **state)
{
	(void)state;
	/* Each key's index is its own slot for duplicate detection, and no
	 * key is in the table twice. */
	for (size_t i = 0; i < conf_keys_count(); i++) {
		const struct conf_key *k = conf_keys_at(i);

		assert_int_equal(conf_keys_index(k), i);
		assert_true(conf_keys_index(k) < CONF_NKEYS);
		for (size_t j = 0; j < i; j++)
			assert_false(conf_keys_at(j)->section == k->section &&
			    strcmp(conf_keys_at(j)->name, k->name) == 0);
	}
}

/* One spelling table per enum: parse and name agree, any case. */
static void
test_enum_spellings(void **state)
{
	enum conf_quiesce q;
	enum conf_cipher c;

	(void)state;
	assert_int_equal(conf_quiesce_parse("Require", &q), 0);
	assert_int_equal(q, CONF_QUIESCE_REQUIRE);
	assert_string_equal(conf_quiesce_name(q), "require");
	assert_int_equal(conf_quiesce_parse("off", &q), 0);
	assert_string_equal(conf_quiesce_name(q), "off");
	assert_int_equal(conf_quiesce_parse("sometimes", &q), -1);
	assert_int_equal(conf_cipher_parse("none", &c), 0);
	assert_string_equal(conf_cipher_name(c), "none");
	assert_int_equal(conf_cipher_parse("AES-256-GCM", &c), 0);
	assert_int_equal(c, CONF_CIPHER_AES256GCM);
	assert_int_equal(conf_cipher_parse("rot13", &c), -1);
}

TMPDIR_FIXTURES(dir)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_good_file),
		cmocka_unit_test(test_defaults_and_empty),
		cmocka_unit_test(test_boot_check_keys),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_huge_file),
		cmocka_unit_test(test_many_errors_capped),
		cmocka_unit_test(test_secret_permissions),
		cmocka_unit_test(test_password_file),
		cmocka_unit_test(test_environment),
		cmocka_unit_test(test_named_repositories),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_print_redacts),
		cmocka_unit_test(test_key_table),
		cmocka_unit_test(test_enum_spellings),
	};

	unsetenv("VIRTVAULT_CONFIG");
	return cmocka_run_group_tests_name("conf", tests, setup, teardown);
}
