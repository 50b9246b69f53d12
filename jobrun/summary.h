/*
 * The summary of a run: what `virtvault backup --json` prints and what the
 * daemon reads from its children (`backup --job J --json --daemon-child --
 * DOMAIN`, and `backup --job J --dry-run --json --daemon-child` for the
 * job's domains). This file is the only writer and the only reader of that
 * JSON: the contract between the daemon and its children.
 *
 * A run's summary, one line (JSON_C_TO_STRING_PLAIN), the last on stdout:
 *
 *   {"version": 1,
 *    "domains": [ {"domain": D, "ok": BOOL,
 *                  "result": "success"|"failure"|"interrupted"|"busy",
 *                  "error": TEXT (not a success),
 *                  -- a success only: --
 *                  "snapshot": ID, "quiesced": BOOL (absent: shut off),
 *                  "bytes_read", "chunks_total", "chunks_new", "chunks_reused",
 *                  "chunks_zero", "chunks_patched", "bytes_stored", "seconds",
 *                  "seconds_snapshot", "seconds_copy", "seconds_commit",
 *                  "seconds_verify", "seconds_publish", "seconds_on_overlay",
 *                  "files": [ {"file", "read_mode", "read_reason",
 *                              "bytes_skipped"} ],
 *                  "copy": {the copy to the job's copy_to, as
 *                           state_copy_json writes it} (absent: none) } ],
 *    "total": {the counters above, "domains_ok", "domains_failed",
 *              "domains_skipped"},
 *    "error": TEXT (only when the run failed after its domains: the
 *             job's keep rules could not be applied),
 *    "partial": true (a daemon's child, before its copy: its domain
 *               backed up, and what the copy's outcome is if the child
 *               dies during it; the whole summary follows on a later line)}
 *
 * A selection (a dry run), one line:
 *
 *   {"version": 1, "domains": [NAME...], "unmatched": [PATTERN...],
 *    "error": TEXT (only when the domains could not be listed)}
 *
 * ("version" and "error" for the daemon only: `backup --dry-run --json`
 * prints the listing as it always did, "domains" and "unmatched").
 *
 * Version 1 added "version" (and, for the daemon's children, a summary
 * even when the run failed before its first domain, and a selection's
 * "error"); a summary without it is read as version 0, the same fields.
 * A reader ignores fields it does not know.
 */
#ifndef VV_JOBRUN_SUMMARY_H
#define VV_JOBRUN_SUMMARY_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "agent/sequence.h"
#include "common/util.h"
#include "state/runs.h"

#define SUMMARY_VERSION 1

/* How a domain's run ended. */
enum summary_result {
	SUMMARY_SUCCESS,
	SUMMARY_FAILURE,
	SUMMARY_INTERRUPTED,	/* a signal: its disks put back, nothing published */
	SUMMARY_BUSY,		/* another run held the domain: skipped, not failed */
};

/* One domain's outcome (or a job's name that matched no domain: a failure). */
struct summary_domain {
	char domain[256];
	enum summary_result result;
	char error[512];		/* why not a success, "" for a success */
	struct seq_result seq;		/* a success: its snapshot, counters, times, reads */
	struct run_copy copy;		/* a success of a job with copy_to: the copy's outcome */
};

struct summary {
	int version;			/* as read; SUMMARY_VERSION when written */
	struct summary_domain *v;
	size_t n;
	struct backup_stats total;	/* of the successes */
	size_t ok, failed, skipped;
	char error[512];		/* why the run failed after its domains ("": it did not) */
	bool partial;			/* written before a copy, not at the end */
};

/* summary_result_name: "success", "failure", "interrupted" or "busy". */
const char *summary_result_name(enum summary_result r);

/* summary_result_parse: the reverse, into *OUT. Returns 0, or -1 when unknown. */
int summary_result_parse(const char *s, enum summary_result *out);

/*
 * summary_add: append a domain's outcome to S and count it (ok, failed,
 * skipped; a success's counters into the total). SEQ is read for a
 * success only (may be NULL otherwise); ERROR may be NULL. Returns the
 * entry (valid until the next summary_add).
 */
struct summary_domain *summary_add(struct summary *s, const char *domain, enum summary_result r,
    const char *error, const struct seq_result *seq);

/* summary_clear: free S's entries and zero it. */
void summary_clear(struct summary *s);

/* summary_stats_json: a new JSON object of ST's counters (the caller puts it). */
json_object *summary_stats_json(const struct backup_stats *st);

/* summary_format: S as one line of JSON, a new string. */
char *summary_format(const struct summary *s);

/*
 * summary_parse: the summary in TEXT (its last non-empty line; TEXT is
 * not changed) into *OUT (zeroed first; free with summary_clear). Returns
 * 0, or -1 when there is none or it is unreadable (not logged).
 */
int summary_parse(const char *text, struct summary *out);

/*
 * summary_format_selection: a dry run's selection as one line of JSON, a
 * new string: SEL, UNMATCHED and, when not NULL, ERROR; with the version
 * when FOR_DAEMON.
 */
char *summary_format_selection(const struct strlist *sel, const struct strlist *unmatched,
    const char *error, bool for_daemon);

/*
 * summary_parse_selection: the selection in TEXT (its last non-empty
 * line) appended to SEL and UNMATCHED. Returns 0; 1 when the child said
 * it could not list the domains (its reason in ERR); -1 when there is no
 * readable selection (not logged).
 */
int summary_parse_selection(const char *text, struct strlist *sel, struct strlist *unmatched,
    char *err, size_t errlen);

#endif
