/*
 * Backing up one libvirt domain, live: the per-domain sequence.
 */
#ifndef VV_SEQUENCE_H
#define VV_SEQUENCE_H

#include <signal.h>
#include <stdbool.h>

#include "agent/hv.h"
#include "state/journal.h"
#include "conf/conf.h"
#include "repo/manifest.h"
#include "repo/repo.h"

struct seq_opts {
	enum conf_quiesce quiesce;
	const struct strlist *exclude_disks;	/* targets or DOM:TARGET globs */
	const char *name;			/* backup name; NULL: the domain's */
	bool quiet;				/* no progress lines */
	time_t time;				/* recorded snapshot time, when TIME_GIVEN */
	bool time_given;			/* else: now */
	bool no_cbt;				/* read every disk whole */
	const char *job;			/* for the hooks' environment, or NULL */
	const char *pre_hook;			/* before the snapshot, or NULL */
	const char *post_hook;			/* after the commit, or NULL */
	unsigned hook_timeout;			/* seconds */
	bool check_cbt;				/* read whole, compare with the plan */
	/* Set by SIGTERM/SIGINT: reach a safe point and stop. */
	const volatile sig_atomic_t *cancel;
};

/* How one image file was read (the manifest has them all; the summary the first few). */
struct seq_read {
	char file[128];
	char mode[16];			/* "incremental" or "full" */
	char reason[320];
	uint64_t bytes_skipped;
};
#define SEQ_MAX_READS 16

struct seq_result {
	char snapshot[17];
	struct seq_read reads[SEQ_MAX_READS];
	size_t nreads;
	int quiesced;			/* 1, 0, or -1 (shut off: not applicable) */
	struct backup_stats stats;
	double seconds_describe;
	double seconds_snapshot;
	double seconds_copy;
	double seconds_commit;
	double seconds_verify;
	double seconds_publish;
	double seconds_on_overlay;	/* from snapshot to the last pivot */
};

/*
 * seq_backup_domain: back DOM up into R under its per-domain lock, leaving
 * its disks exactly as they were. Repairs an interrupted earlier run
 * first. Returns 0 with *RES filled, VV_BUSY when another run holds the
 * domain (logged; nothing touched), or -1 (logged, naming the domain and
 * disk; the disks are put back, or the journal asks for repair).
 */
int seq_backup_domain(struct hv *hv, struct repo *r, const struct conf *c, const char *dom,
    const struct seq_opts *o, struct seq_result *res);

#endif
