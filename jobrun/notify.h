/*
 * Notifications: one message per backup run (a manual or timer `backup`,
 * or one firing of a daemon job), listing each domain's result, duration,
 * size and error, delivered by [notify] to a webhook (a JSON POST) and by
 * mail (sendmail). A delivery that fails is retried, logged, and never
 * fails the run.
 */
#ifndef VV_JOBRUN_NOTIFY_H
#define VV_JOBRUN_NOTIFY_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "conf/conf.h"
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

#endif
