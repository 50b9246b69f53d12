#include "jobrun/notify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/run.h"
#include "common/util.h"
#include "transport/webhook.h"

/* Whether R is a run refused because another held the domain. */
static bool
is_busy(const struct run_record *r)
{
	return strcmp(r->result, "busy") == 0;
}

/* R's outcome, as status and the metrics name it. */
static const char *
result_of(const struct run_record *r)
{
	return r->result[0] ? r->result : r->ok ? "success" : "failure";
}

/* The runs that failed (or were interrupted); a skipped one is apart. */
static size_t
count_failed(const struct run_record *recs, size_t n)
{
	size_t f = 0;

	for (size_t i = 0; i < n; i++)
		f += !recs[i].ok && !is_busy(&recs[i]);
	return f;
}

/* R's copy when this run made one (a record may carry an earlier run's), or NULL. */
static const struct run_copy *
copy_of(const struct run_record *r)
{
	const struct run_copy *c = &r->copy;

	return c->repository[0] != '\0' && c->result[0] != '\0' && c->started >= r->started ? c : NULL;
}

/* The copies of the run that failed (their backups succeeded). */
static size_t
count_copy_failed(const struct run_record *recs, size_t n)
{
	size_t f = 0;

	for (size_t i = 0; i < n; i++)
		f += copy_of(&recs[i]) != NULL && state_copy_failed(&recs[i].copy);
	return f;
}

bool
notify_due(const struct conf *c, const struct run_record *recs, size_t n)
{
	bool bad = false;

	if (n == 0 || (c->notify.webhook_url == NULL && c->notify.mail_to.n == 0))
		return false;
	for (size_t i = 0; i < n; i++)
		bad = bad || !recs[i].ok;
	/* A failed copy is a failure of the run, of its own. */
	return c->notify.always || bad || count_copy_failed(recs, n) > 0;
}

/* The subject of a run whose backups succeeded but CF copies failed. */
static char *
copy_subject(const char *host, const char *job, const struct run_record *recs, size_t n,
    size_t cf)
{
	const struct run_record *r = NULL;

	for (size_t i = 0; i < n && r == NULL; i++)
		if (copy_of(&recs[i]) != NULL && state_copy_failed(&recs[i].copy))
			r = &recs[i];
	if (cf == 1)
		return xasprintf("virtvault %s, job %s: backed up, COPY FAILED: %s to %s", host, job,
		    r->domain, r->copy.repository);
	return xasprintf("virtvault %s, job %s: backed up, COPY FAILED: %zu of %zu domains to %s", host,
	    job, cf, n, r->copy.repository);
}

char *
notify_subject(const char *host, const char *job, const struct run_record *recs, size_t n)
{
	size_t f = count_failed(recs, n), sk = 0;

	for (size_t i = 0; i < n; i++)
		sk += is_busy(&recs[i]);
	if (f == 0 && count_copy_failed(recs, n) > 0)
		return copy_subject(host, job, recs, n, count_copy_failed(recs, n));
	if (f == 0 && sk > 0)
		return xasprintf("virtvault %s, job %s: SKIPPED: %zu of %zu domain%s (another run held them)",
		    host, job, sk, n, n == 1 ? "" : "s");
	if (f == 0)
		return xasprintf("virtvault %s, job %s: %zu domain%s backed up", host, job, n,
		    n == 1 ? "" : "s");
	if (n == 1)
		return xasprintf("virtvault %s, job %s: FAILED: %s", host, job, recs[0].domain);
	return xasprintf("virtvault %s, job %s: FAILED: %zu of %zu domains", host, job, f, n);
}

/* An error on one line: a mail or chat line must not be split by it. */
static void
one_line(char *s)
{
	for (; *s; s++)
		if (*s == '\n' || *s == '\r' || *s == '\t')
			*s = ' ';
}

/* The line of R's copy, when this run made one. */
static void
copy_line(FILE *f, const struct run_record *r)
{
	const struct run_copy *c = copy_of(r);
	char e[sizeof(c->error)], a[32];

	if (c == NULL)
		return;
	if (!state_copy_failed(c)) {
		fprintf(f, "  copy to %s: success, %llu snapshot%s copied, stored %s, %llu forgotten there\n",
		    c->repository, (unsigned long long)c->snapshots, c->snapshots == 1 ? "" : "s",
		    util_format_size(c->bytes_stored, a, sizeof(a)), (unsigned long long)c->forgotten);
		return;
	}
	snprintf(e, sizeof(e), "%s", c->error);
	one_line(e);
	fprintf(f, "  copy to %s: COPY FAILED (the backup is kept): %s\n", c->repository, e);
}

char *
notify_text(const char *host, const char *job, const struct run_record *recs, size_t n)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	char when[UTIL_UTC_LEN];
	time_t first = 0;
	size_t failed = count_failed(recs, n), skipped = 0;

	if (f == NULL)
		return xstrdup("");
	for (size_t i = 0; i < n; i++)
		skipped += is_busy(&recs[i]);
	for (size_t i = 0; i < n; i++)
		if (first == 0 || (recs[i].started != 0 && recs[i].started < first))
			first = recs[i].started;
	fprintf(f, "virtvault on %s, job %s, run started %s: ", host, job,
	    util_format_utc(first, when, sizeof(when)));
	if (failed == 0 && skipped == 0)
		fprintf(f, "%zu domain%s backed up.\n\n", n, n == 1 ? "" : "s");
	else if (failed == 0)
		fprintf(f, "%zu of %zu domain%s SKIPPED (another run held them).\n\n", skipped, n,
		    n == 1 ? "" : "s");
	else
		fprintf(f, "%zu of %zu domain%s FAILED.\n\n", failed, n, n == 1 ? "" : "s");
	if (count_copy_failed(recs, n) > 0)
		fprintf(f, "The copy of %zu domain%s FAILED (their backups succeeded).\n\n",
		    count_copy_failed(recs, n), count_copy_failed(recs, n) == 1 ? "" : "s");
	for (size_t i = 0; i < n; i++) {
		const struct run_record *r = &recs[i];
		long long secs = r->finished > r->started ? (long long)(r->finished - r->started) : 0;

		if (r->ok) {
			char a[32], b[32];

			fprintf(f, "%s: success in %llds, read %s, stored %s, snapshot %s\n", r->domain,
			    secs, util_format_size(r->bytes_read, a, sizeof(a)),
			    util_format_size(r->bytes_stored, b, sizeof(b)), r->snapshot);
		} else {
			char e[sizeof(r->error)];

			snprintf(e, sizeof(e), "%s", r->error);
			one_line(e);
			if (is_busy(r))
				fprintf(f, "%s: SKIPPED: %s\n", r->domain, e);
			else
				fprintf(f, "%s: %s after %llds: %s\n", r->domain,
				    strcmp(result_of(r), "interrupted") == 0 ? "INTERRUPTED" : "FAILURE",
				    secs, e);
		}
		copy_line(f, r);
	}
	fclose(f);
	return out;
}

json_object *
notify_json(const char *host, const char *job, const struct run_record *recs, size_t n)
{
	json_object *o = json_object_new_object(), *arr = json_object_new_array();
	char *subject = notify_subject(host, job, recs, n), *text = notify_text(host, job, recs, n);
	char *both = xasprintf("%s\n%s", subject, text);
	size_t failed = count_failed(recs, n);
	time_t first = 0, last = 0;
	char t[UTIL_UTC_LEN];

	json_object_object_add(o, "title", json_object_new_string(subject));
	json_object_object_add(o, "message", json_object_new_string(text));
	json_object_object_add(o, "text", json_object_new_string(both));
	json_object_object_add(o, "host", json_object_new_string(host));
	json_object_object_add(o, "job", json_object_new_string(job));
	json_object_object_add(o, "result", json_object_new_string(failed ? "failure" : "success"));
	json_object_object_add(o, "domains_ok", json_object_new_int64((int64_t)(n - failed)));
	json_object_object_add(o, "domains_failed", json_object_new_int64((int64_t)failed));
	/* The backups' result above; the copies' apart. */
	json_object_object_add(o, "copies_failed", json_object_new_int64((int64_t)count_copy_failed(recs, n)));
	for (size_t i = 0; i < n; i++) {
		const struct run_record *r = &recs[i];
		json_object *d = json_object_new_object();

		if (first == 0 || (r->started != 0 && r->started < first))
			first = r->started;
		if (r->finished > last)
			last = r->finished;
		json_object_object_add(d, "domain", json_object_new_string(r->domain));
		json_object_object_add(d, "result", json_object_new_string(result_of(r)));
		json_object_object_add(d, "started", json_object_new_string(util_format_utc(r->started, t, sizeof(t))));
		json_object_object_add(d, "finished", json_object_new_string(util_format_utc(r->finished, t, sizeof(t))));
		json_object_object_add(d, "seconds", json_object_new_int64(r->finished > r->started ?
		    (int64_t)(r->finished - r->started) : 0));
		json_object_object_add(d, "bytes_read", json_object_new_int64((int64_t)r->bytes_read));
		json_object_object_add(d, "bytes_stored", json_object_new_int64((int64_t)r->bytes_stored));
		json_object_object_add(d, "snapshot", json_object_new_string(r->snapshot));
		json_object_object_add(d, "error", json_object_new_string(r->error));
		if (copy_of(r) != NULL)
			json_object_object_add(d, "copy", state_copy_json(&r->copy));
		json_object_array_add(arr, d);
	}
	json_object_object_add(o, "started", json_object_new_string(util_format_utc(first, t, sizeof(t))));
	json_object_object_add(o, "finished", json_object_new_string(util_format_utc(last, t, sizeof(t))));
	json_object_object_add(o, "domains", arr);
	free(subject);
	free(text);
	free(both);
	return o;
}

/* Delivery by one channel: 0, or -1 with the reason in ERR. */
typedef int (*deliver_fn)(const struct conf *c, const char *what, char *err, size_t errlen);

static int
deliver_webhook(const struct conf *c, const char *body, char *err, size_t errlen)
{
	return webhook_post(c->notify.webhook_url, body, (unsigned)c->notify.timeout,
	    c->notify.ca_file, err, errlen);
}

static int
deliver_mail(const struct conf *c, const char *mail, char *err, size_t errlen)
{
	char *argv[] = { c->notify.sendmail, "-oi", "-t", NULL };
	int st = 0, rc;

	if (access(c->notify.sendmail, X_OK) != 0) {
		snprintf(err, errlen, "%s is not there (install a mail transfer agent, or set sendmail in [notify])",
		    c->notify.sendmail);
		return -1;
	}
	rc = run_feed(argv, mail, strlen(mail), (unsigned)c->notify.timeout, &st, err, errlen);
	if (rc == 1) {
		snprintf(err, errlen, "%s ran over %llus and was killed", c->notify.sendmail,
		    (unsigned long long)c->notify.timeout);
		return -1;
	}
	if (rc == 0 && st != 0) {
		char msg[256];

		snprintf(msg, sizeof(msg), "%s", err);
		snprintf(err, errlen, "%s exited %d%s%s", c->notify.sendmail, st, msg[0] ? ": " : "", msg);
		return -1;
	}
	return rc;
}

/* The wait after failed attempt A (1, 2, ...): 1, 2, 4... s, at most 32. */
static unsigned
retry_wait(int a)
{
	return 1u << (a - 1 < 5 ? a - 1 : 5);
}

unsigned long long
notify_max_seconds(const struct conf *c)
{
	const struct conf_notify *n = &c->notify;
	unsigned long long one = (unsigned long long)n->timeout * (unsigned long long)(n->retries + 1);

	for (int a = 1; a <= n->retries; a++)
		one += retry_wait(a);
	return one * (unsigned long long)((n->webhook_url != NULL) + (n->mail_to.n > 0));
}

/* Try DELIVER 1 + retries times, waiting 1, 2, 4... s between; 0 or -1 (logged). */
static int
with_retries(const struct conf *c, const char *channel, deliver_fn deliver, const char *what)
{
	int attempts = 1 + c->notify.retries;
	char err[512];

	for (int a = 1; a <= attempts; a++) {
		if (deliver(c, what, err, sizeof(err)) == 0) {
			log_info("notify: %s: delivered", channel);
			return 0;
		}
		if (a < attempts) {
			unsigned wait = retry_wait(a);

			log_warn("notify: %s: attempt %d of %d failed: %s; again in %us", channel, a,
			    attempts, err, wait);
			sleep(wait);
		}
	}
	log_error("notify: %s: not delivered after %d attempt%s: %s", channel, attempts,
	    attempts == 1 ? "" : "s", err);
	return -1;
}

static char *
mail_message(const struct conf *c, const char *job, const struct run_record *recs, size_t n)
{
	char *subject = notify_subject(c->host, job, recs, n);
	char *text = notify_text(c->host, job, recs, n);
	char *to = NULL, *m;
	size_t tolen = 0;
	FILE *f = open_memstream(&to, &tolen);

	for (size_t i = 0; f != NULL && i < c->notify.mail_to.n; i++)
		fprintf(f, "%s%s", i ? ", " : "", c->notify.mail_to.v[i]);
	if (f != NULL)
		fclose(f);
	m = xasprintf("To: %s\nSubject: %s\nMIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n"
	    "Auto-Submitted: auto-generated\nX-Virtvault-Result: %s\n\n%s",
	    to ? to : "", subject, count_failed(recs, n) ? "failure" : "success", text);
	free(to);
	free(subject);
	free(text);
	return m;
}

int
notify_deliver(const struct conf *c, const char *body, const char *mail)
{
	int failed = 0;

	if (c->notify.webhook_url != NULL && body != NULL) {
		char origin[256], channel[300];

		util_url_origin(c->notify.webhook_url, origin, sizeof(origin), NULL);
		snprintf(channel, sizeof(channel), "webhook %s", origin);
		failed += with_retries(c, channel, deliver_webhook, body) < 0;
	}
	if (c->notify.mail_to.n > 0 && mail != NULL) {
		char channel[300];

		snprintf(channel, sizeof(channel), "mail to %s%s", c->notify.mail_to.v[0],
		    c->notify.mail_to.n > 1 ? " and others" : "");
		failed += with_retries(c, channel, deliver_mail, mail) < 0;
	}
	return failed;
}

int
notify_send(const struct conf *c, const char *job, const struct run_record *recs, size_t n)
{
	json_object *o = c->notify.webhook_url ? notify_json(c->host, job, recs, n) : NULL;
	char *m = c->notify.mail_to.n > 0 ? mail_message(c, job, recs, n) : NULL;
	int failed;

	failed = notify_deliver(c, o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN) : NULL, m);
	json_object_put(o);
	free(m);
	return failed;
}
