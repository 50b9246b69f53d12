/*
 * The outcome of the last verify (`virtvault verify`, not --boot) this host
 * ran over each snapshot group (host, name) it covered: what `report` and
 * the metrics file show.
 *
 *   STATE/verify/HOST@NAME.json   struct verify_record (state/layout.h)
 *
 * HOST and NAME come from the repository's manifests: in the file name
 * every byte but [A-Za-z0-9_.-] is written %XX (so is a leading '.'); the
 * record itself holds them as they are.
 */
#ifndef VV_STATE_VERIFYREC_H
#define VV_STATE_VERIFYREC_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "common/util.h"

#define VERIFYREC_MAX_IDS 32		/* snapshot IDs kept; the count is exact */
#define VERIFYREC_MAX_MSGS 3		/* problem messages kept; the count is exact */

struct verify_record {
	char host[256];			/* the group's host */
	char name[256];			/* and name (a domain's) */
	time_t started;
	time_t finished;
	bool deep;
	double sample;			/* fraction of distinct chunks read (deep): (0, 1] */
	uint64_t snapshots;		/* the group's snapshots checked */
	char ids[VERIFYREC_MAX_IDS][17];	/* the first of them */
	size_t nids;
	uint64_t problems;		/* found in the group's snapshots */
	char messages[VERIFYREC_MAX_MSGS][320];	/* the first (a snapshot's first each), cut */
	size_t nmessages;
	uint64_t chunks_read;		/* deep: distinct chunks read by the whole run */
	uint64_t bytes_read;		/* and their bytes (chunks shared by groups count once) */
	bool ok;			/* no problem in the group */
};

/*
 * state_verify_read: the record of file KEY (a name state_verify_list
 * gave) into *R. Returns 0, or 1 when there is none or it cannot be read
 * (a damaged record is no record; not logged).
 */
int state_verify_read(const char *state_dir, const char *key, struct verify_record *r);

/*
 * state_verify_get: the record of group (HOST, NAME) into *R. Returns 0,
 * or 1 when there is none (as state_verify_read).
 */
int state_verify_get(const char *state_dir, const char *host, const char *name,
    struct verify_record *r);

/*
 * state_verify_write: persist R atomically as the last verify of its group
 * (R->host, R->name). Returns 0 or -1 (logged).
 */
int state_verify_write(const char *state_dir, const struct verify_record *r);

/*
 * state_verify_list: the keys of the records, sorted, appended to KEYS.
 * Returns 0 or -1 (logged).
 */
int state_verify_list(const char *state_dir, struct strlist *keys);

/*
 * state_verify_metrics: the records as the gauges virtvault_verify_success
 * and virtvault_verify_timestamp_seconds (the time each verify ended), one
 * series per group labelled {name="NAME",host="HOST"}, with their HELP and
 * TYPE lines, written to OUT. A damaged record is left out.
 */
void state_verify_metrics(const char *state_dir, FILE *out);

#endif
