/*
 * `virtvault report`: what the report shows, gathered once as plain data
 * (report_data.c), then given as JSON (report_json.c) or as one
 * self-contained HTML page (report_html.c, report_svg.c).
 *
 * Where the figures come from:
 *   - runs, failures, copies, boot checks, verifies: this host's
 *     state_dir (the run history, state/history.h, whose lines carry the
 *     copy each run made; the boot records, state/bootrec.h; the verify
 *     records, state/verifyrec.h): this host's runs only;
 *   - snapshots, sizes, the repository over time, retention: the
 *     repository's manifests (read through the local cache).
 */
#ifndef VV_JOBRUN_REPORT_H
#define VV_JOBRUN_REPORT_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "conf/conf.h"
#include "repo/repo.h"
#include "state/bootrec.h"
#include "state/runs.h"
#include "state/verifyrec.h"

/* The screenshot embedded in the page: at most this many bytes of PNG. */
#define REPORT_MAX_SCREENSHOT (8u << 20)

struct report_opts {
	const char *host;		/* only this host's snapshots; NULL: every host */
	unsigned days;			/* the period, back from now */
	time_t now;
};

/* One snapshot of a group, and what its job's keep rules do with it. */
struct report_snapshot {
	char id[17];
	char time[32];			/* as the manifest says, UTC */
	time_t when;
	bool future;
	uint64_t size;			/* its files' sizes (as `list` prints SIZE) */
	uint64_t stored;		/* what its backup stored new (`list`'s STORED) */
	uint64_t chunks_new;
	const char *rule;		/* the rule that keeps it now ("" none: removed by the next run) */
	time_t expires;			/* when its job's rules first drop it (see expiry); 0: not within the horizon */
};

/* How a group's expiry dates were found. */
enum report_expiry {
	REPORT_EXPIRY_NONE,		/* no job of this host's configuration keeps it by rules */
	REPORT_EXPIRY_OTHER_HOST,	/* another host's snapshots: its rules are unknown here */
	REPORT_EXPIRY_SCHEDULE,		/* the job's schedule, each run assumed to succeed */
	REPORT_EXPIRY_DAILY,		/* the job has no schedule: one run a day assumed */
};

/* The snapshots of one (host, name), newest first. */
struct report_group {
	char host[256];
	char name[256];
	char job[128];			/* the job whose keep rules apply, or "" */
	char policy[160];		/* its rules, "last 7, daily 14", or "" */
	enum report_expiry expiry;
	time_t horizon;			/* expiry computed up to here */
	struct report_snapshot *snaps;
	size_t n;
};

/* The newest copy one job made of a domain's snapshots to one repository. */
struct report_copy {
	char job[128];
	struct run_copy copy;		/* its last success and failures carried (state/runs.h) */
};

/* One domain (a snapshot's name): this host's runs and its last checks. */
struct report_domain {
	char name[256];
	struct run_record *runs;	/* in the period, oldest first (every job) */
	size_t nruns;
	size_t failures;
	struct report_copy *copies;	/* per job and destination, of the period (copy_to) */
	size_t ncopies;
	size_t copy_failures;		/* copies that failed in the period */
	bool has_boot;
	struct boot_record boot;
	char *screenshot;		/* the boot check's PNG in base64, or NULL */
	char *screenshot_file;		/* where it is, or NULL */
	bool has_verify;
	struct verify_record verify;	/* the last verify of its groups (of the hosts shown) */
	size_t nsnapshots;		/* in the repository (of the hosts shown) */
	uint64_t size_newest;		/* the newest snapshot's size */
};

/* The repository after each snapshot of the period, by time. */
struct report_point {
	time_t when;
	uint64_t stored;		/* the bytes the snapshots up to this one stored, summed */
	uint64_t chunks;		/* the new chunks they stored, summed */
};

struct report {
	time_t generated, since;
	unsigned days;
	char here[256];			/* this host ([agent] host) */
	char host[256];			/* the one host shown, or "" */
	bool history_shown;		/* this host's runs are part of it */
	size_t history_damaged;		/* lines of the run history skipped */
	struct report_domain *doms;
	size_t ndoms;
	struct report_group *groups;
	size_t ngroups;
	struct verify_record *verifies;	/* this host's verify records (of the hosts shown) */
	size_t nverifies;
	struct report_point *points;
	size_t npoints;
	size_t nsnapshots;
	uint64_t stored_total;		/* every snapshot's stored bytes, summed */
	uint64_t chunks_total;		/* and their new chunks */
	size_t unreadable;		/* manifests that could not be read */
};

/*
 * report_gather: the report of R under C for O into *OUT (free with
 * report_clear). Returns 0, or -1 (logged: the manifests or the state
 * cannot be listed).
 */
int report_gather(const struct conf *c, struct repo *r, const struct report_opts *o,
    struct report *out);

/* report_clear: free REP's parts and zero it. */
void report_clear(struct report *rep);

/* report_json: REP as a new JSON object (the caller puts it). */
json_object *report_json(const struct report *rep);

/* report_html: REP as one self-contained HTML page, a new string. */
char *report_html(const struct report *rep);

/* The default period, in days. */
#define REPORT_DAYS 30

#endif
