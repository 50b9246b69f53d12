/*
 * The message of a job's boot checks (notify.h): the same channels as a
 * backup run's, the mail as MIME multipart/mixed with the screenshot of
 * each failed check attached, the webhook's JSON naming each screenshot.
 */
#include "jobrun/notify.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/crypto.h"
#include "common/log.h"
#include "common/util.h"

/* The largest screenshot attached: a console's PNG is far smaller. */
#define SHOT_MAX (8u * 1024 * 1024)
#define B64_LINE 76

static size_t
count_failed(const struct boot_record *recs, size_t n)
{
	size_t f = 0;

	for (size_t i = 0; i < n; i++)
		f += !recs[i].ok;
	return f;
}

static long long
seconds_of(const struct boot_record *r)
{
	return r->finished > r->started ? (long long)(r->finished - r->started) : 0;
}

/* A text on one line: a mail or chat line must not be split by it. */
static void
one_line(char *s)
{
	for (; *s; s++)
		if (*s == '\n' || *s == '\r' || *s == '\t')
			*s = ' ';
}

bool
notify_boot_due(const struct conf *c, const struct boot_record *recs, size_t n)
{
	if (n == 0 || (c->notify.webhook_url == NULL && c->notify.mail_to.n == 0))
		return false;
	return c->notify.always || count_failed(recs, n) > 0;
}

char *
notify_boot_subject(const char *host, const char *job, const struct boot_record *recs, size_t n)
{
	size_t f = count_failed(recs, n);

	if (f == 0)
		return xasprintf("virtvault %s, job %s: %zu boot check%s passed", host, job, n,
		    n == 1 ? "" : "s");
	if (n == 1)
		return xasprintf("virtvault %s, job %s: BOOT CHECK FAILED: %s", host, job, recs[0].domain);
	return xasprintf("virtvault %s, job %s: BOOT CHECK FAILED: %zu of %zu domains", host, job, f, n);
}

char *
notify_boot_text(const char *host, const char *job, const struct boot_record *recs, size_t n)
{
	char *out = NULL;
	size_t len = 0, failed = count_failed(recs, n);
	FILE *f = open_memstream(&out, &len);
	char when[UTIL_UTC_LEN];
	time_t first = 0;

	if (f == NULL)
		return xstrdup("");
	for (size_t i = 0; i < n; i++)
		if (first == 0 || (recs[i].started != 0 && recs[i].started < first))
			first = recs[i].started;
	fprintf(f, "virtvault on %s, job %s, boot checks started %s: ", host, job,
	    util_format_utc(first, when, sizeof(when)));
	if (failed == 0)
		fprintf(f, "%zu snapshot%s booted.\n\n", n, n == 1 ? "" : "s");
	else
		fprintf(f, "%zu of %zu boot check%s FAILED.\n\n", failed, n, n == 1 ? "" : "s");
	for (size_t i = 0; i < n; i++) {
		const struct boot_record *r = &recs[i];
		char reason[sizeof(r->reason)];

		fprintf(f, "%s: %s in %llds, snapshot %s", r->domain, r->ok ? "passed" : "FAILED",
		    seconds_of(r), r->snapshot[0] ? r->snapshot : "-");
		if (r->seconds_to_agent >= 0)
			fprintf(f, ", agent answered after %.1fs", r->seconds_to_agent);
		if (r->command[0] && r->command_exit >= 0)
			fprintf(f, ", command exited %d", r->command_exit);
		fputc('\n', f);
		if (!r->ok) {
			snprintf(reason, sizeof(reason), "%s", r->reason[0] ? r->reason : "(no reason given)");
			one_line(reason);
			fprintf(f, "  reason: %s%s\n", reason,
			    r->screenshot ? " (its screen is attached)" : "");
		}
	}
	fclose(f);
	return out;
}

json_object *
notify_boot_json(const char *host, const char *job, const struct boot_record *recs, size_t n,
    const char *state_dir)
{
	json_object *o = json_object_new_object(), *arr = json_object_new_array();
	char *subject = notify_boot_subject(host, job, recs, n);
	char *text = notify_boot_text(host, job, recs, n);
	char *both = xasprintf("%s\n%s", subject, text);
	size_t failed = count_failed(recs, n);

	json_object_object_add(o, "title", json_object_new_string(subject));
	json_object_object_add(o, "message", json_object_new_string(text));
	json_object_object_add(o, "text", json_object_new_string(both));
	json_object_object_add(o, "host", json_object_new_string(host));
	json_object_object_add(o, "job", json_object_new_string(job));
	json_object_object_add(o, "kind", json_object_new_string("boot_check"));
	json_object_object_add(o, "result", json_object_new_string(failed ? "failure" : "success"));
	json_object_object_add(o, "checks_ok", json_object_new_int64((int64_t)(n - failed)));
	json_object_object_add(o, "checks_failed", json_object_new_int64((int64_t)failed));
	for (size_t i = 0; i < n; i++) {
		const struct boot_record *r = &recs[i];
		char *shot = r->screenshot ? state_boot_screenshot_path(state_dir, r->domain) : NULL;
		json_object *d = state_boot_view_json(r, shot);

		json_object_array_add(arr, d);
		free(shot);
	}
	json_object_object_add(o, "boot_checks", arr);
	free(subject);
	free(text);
	free(both);
	return o;
}

/* PATH whole into a new *BUF of *LEN bytes, at most SHOT_MAX. Returns 0, or -1 (logged). */
static int
read_shot(const char *path, unsigned char **buf, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret = -1;
	struct stat st;
	size_t got = 0;

	*buf = NULL;
	if (fd < 0) {
		log_warn("notify: screenshot %s: cannot open: %s; not attached", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (off_t)SHOT_MAX) {
		log_warn("notify: screenshot %s: not a file of at most %u bytes; not attached", path,
		    SHOT_MAX);
		goto out;
	}
	*buf = xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, *buf + got, (size_t)st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			log_warn("notify: screenshot %s: cannot read: %s; not attached", path,
			    r < 0 ? strerror(errno) : "shorter than its size");
			goto out;
		}
		got += (size_t)r;
	}
	*len = got;
	ret = 0;
out:
	if (ret < 0) {
		free(*buf);
		*buf = NULL;
	}
	close(fd);
	return ret;
}

/* DATA (LEN bytes) in base64 (RFC 2045) on F, lines of B64_LINE characters. */
static void
put_base64(FILE *f, const unsigned char *data, size_t len)
{
	char *b = crypto_base64(data, len);
	size_t n = strlen(b);

	for (size_t at = 0; at < n; at += B64_LINE) {
		fwrite(b + at, 1, n - at < B64_LINE ? n - at : B64_LINE, f);
		fputc('\n', f);
	}
	free(b);
}

char *
notify_boot_mail(const struct conf *c, const char *job, const struct boot_record *recs, size_t n,
    const char *state_dir, const char *boundary)
{
	char *subject = notify_boot_subject(c->host, job, recs, n);
	char *text = notify_boot_text(c->host, job, recs, n);
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (f == NULL) {
		free(subject);
		free(text);
		return xstrdup("");
	}
	fprintf(f, "To: ");
	for (size_t i = 0; i < c->notify.mail_to.n; i++)
		fprintf(f, "%s%s", i ? ", " : "", c->notify.mail_to.v[i]);
	fprintf(f, "\nSubject: %s\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=\"%s\"\n"
	    "Auto-Submitted: auto-generated\nX-Virtvault-Result: %s\n\n"
	    "This is a message in MIME format.\n\n"
	    "--%s\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n%s\n",
	    subject, boundary, count_failed(recs, n) ? "failure" : "success", boundary, text);
	for (size_t i = 0; i < n; i++) {
		const struct boot_record *r = &recs[i];
		unsigned char *png = NULL;
		size_t plen = 0;
		char *path;

		if (r->ok || !r->screenshot)
			continue;
		path = state_boot_screenshot_path(state_dir, r->domain);
		if (read_shot(path, &png, &plen) == 0) {
			char name[sizeof(r->domain)];

			/* The domain's name, in characters a header parameter takes as they are. */
			snprintf(name, sizeof(name), "%s", r->domain);
			for (char *p = name; *p; p++)
				if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-",
				    *p) == NULL)
					*p = '_';
			fprintf(f, "--%s\nContent-Type: image/png; name=\"%s.png\"\n"
			    "Content-Transfer-Encoding: base64\n"
			    "Content-Disposition: attachment; filename=\"%s.png\"\n\n",
			    boundary, name, name);
			put_base64(f, png, plen);
		}
		free(png);
		free(path);
	}
	fprintf(f, "--%s--\n", boundary);
	fclose(f);
	free(subject);
	free(text);
	return out;
}

int
notify_boot(const struct conf *c, const char *job, const struct boot_record *recs, size_t n,
    const char *state_dir)
{
	json_object *o = NULL;
	char *mail = NULL, boundary[64];
	uint8_t rnd[12];
	int failed;

	if (!notify_boot_due(c, recs, n))
		return 0;
	if (c->notify.webhook_url != NULL)
		o = notify_boot_json(c->host, job, recs, n, state_dir);
	if (c->notify.mail_to.n > 0) {
		char hex[2 * sizeof(rnd) + 1];

		/* Random: no text or base64 of the message can hold it by chance. */
		if (crypto_random(rnd, sizeof(rnd)) < 0)
			memset(rnd, 0x5a, sizeof(rnd));
		crypto_hex(rnd, sizeof(rnd), hex);
		snprintf(boundary, sizeof(boundary), "=_virtvault_%s", hex);
		mail = notify_boot_mail(c, job, recs, n, state_dir, boundary);
	}
	failed = notify_deliver(c, o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN) : NULL,
	    mail);
	json_object_put(o);
	free(mail);
	return failed;
}
