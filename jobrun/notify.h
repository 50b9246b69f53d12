/*
 * Notifications: one message per backup run (a manual or timer `backup`,
 * or one firing of a daemon job), listing each domain's result, duration,
 * size and error, and one per job's boot checks (with the screenshots of
 * those that failed), delivered by [notify] to a webhook (a JSON POST) and by
 * mail (sendmail). A delivery that fails is retried, logged, and never
 * fails the run.
 */
#ifndef VV_JOBRUN_NOTIFY_H
#define VV_JOBRUN_NOTIFY_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "conf/conf.h"
#include "state/bootrec.h"
#include "state/runs.h"

/* notify_due: whether C asks a message for a run whose domains ended as RECS. */
bool notify_due(const struct conf *c, const struct run_record *recs, size_t n);

/* notify_subject: "virtvault HOST, job JOB: ..." for the run, a new string. */
char *notify_subject(const char *host, const char *job, const struct run_record *recs, size_t n);

/* notify_text: the plain-text body, a line per domain, a new string. */
char *notify_text(const char *host, const char *job, const struct run_record *recs, size_t n);

/*
 * notify_json: the webhook's body: "title", "message" and "text" (for
 * Gotify-, ntfy-, Slack- and Matrix-style receivers), "host", "job",
 * "result", counts, ISO 8601 times and a "domains" array. A new object.
 */
json_object *notify_json(const char *host, const char *job, const struct run_record *recs,
    size_t n);

/*
 * notify_max_seconds: the longest notify_send may take under C: every
 * channel's attempts at their timeout, and the waits between them.
 */
unsigned long long notify_max_seconds(const struct conf *c);

/*
 * notify_send: deliver the message of the run to every channel of C's
 * [notify], each tried 1 + retries times. Returns how many channels did
 * not take it (each logged, never with the webhook's path).
 */
int notify_send(const struct conf *c, const char *job, const struct run_record *recs, size_t n);

/*
 * notify_deliver: BODY (JSON, or NULL: none) to C's webhook and MAIL (a
 * whole message for sendmail -oi -t, or NULL: none) to C's addresses, each
 * channel configured tried 1 + retries times. Returns how many channels
 * did not take it (each logged, never with the webhook's path).
 */
int notify_deliver(const struct conf *c, const char *body, const char *mail);

/*
 * The message of a job's boot checks (`verify --boot --job J`, or one by
 * hand as the job "manual"; notify_boot.c): one for the N checks RECS.
 */

/* notify_boot_due: whether C asks a message for boot checks ending as RECS. */
bool notify_boot_due(const struct conf *c, const struct boot_record *recs, size_t n);

/* notify_boot_subject: "virtvault HOST, job JOB: ..." for the checks, a new string. */
char *notify_boot_subject(const char *host, const char *job, const struct boot_record *recs,
    size_t n);

/* notify_boot_text: the plain-text body, a line per check (and its reason), a new string. */
char *notify_boot_text(const char *host, const char *job, const struct boot_record *recs,
    size_t n);

/*
 * notify_boot_json: the webhook's body: "title", "message", "text",
 * "host", "job", "kind" ("boot_check"), "result", counts and a
 * "boot_checks" array of the records, each with "screenshot_file": the
 * path of its screenshot under STATE_DIR, or null. A new object.
 */
json_object *notify_boot_json(const char *host, const char *job, const struct boot_record *recs,
    size_t n, const char *state_dir);

/*
 * notify_boot_mail: the mail of the checks for C's addresses, MIME
 * multipart/mixed: the text, then each failed check's screenshot (under
 * STATE_DIR, when it has one and it can be read: at most 8 MiB) as an
 * image/png attachment in base64, lines of 76. BOUNDARY separates the
 * parts (text of its own: no part can hold it). A new string.
 */
char *notify_boot_mail(const struct conf *c, const char *job, const struct boot_record *recs,
    size_t n, const char *state_dir, const char *boundary);

/*
 * notify_boot: the message of the boot checks RECS of JOB, when C's
 * [notify] asks for one (on = failure: when one failed; on = always),
 * delivered as notify_deliver does. Returns how many channels did not
 * take it (0 when none was due).
 */
int notify_boot(const struct conf *c, const char *job, const struct boot_record *recs, size_t n,
    const char *state_dir);

#endif
