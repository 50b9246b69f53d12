/*
 * The layout of state_dir, in one place. Nobody else spells these folders.
 *
 *   STATE/journal/DOMAIN.json   the journal of a backup in progress
 *   STATE/locks/DOMAIN.lock     the per-domain lock (flock)
 *   STATE/runs/DOMAIN.json      the last run of DOMAIN
 *   STATE/running/DOMAIN        the pid of the run in progress
 *   STATE/jobs/JOB.json         the last fire time of JOB
 *   STATE/jobs/JOB@boot.json    that of JOB's boot checks
 *   STATE/cbt/DOMAIN/FLOW/DISK.{json,map}
 *                               changed-block tracking's reference of a disk
 *                               for one repository's backups of DOMAIN
 *                               (state/cbt.h)
 *   STATE/instant/DOMAIN.json   an instant restore in progress (state/instant.h)
 *   STATE/boot/DOMAIN.{json,png} the last boot check of DOMAIN (state/bootrec.h)
 *   STATE/bootcheck/NAME.{json,lock}
 *                               a boot check in progress, NAME its throwaway
 *                               domain (state/bootjournal.h)
 *   STATE/verify/HOST@NAME.json the last verify (by this host) of the
 *                               snapshot group (HOST, NAME), HOST and NAME
 *                               %-escaped (state/verifyrec.h)
 *   STATE/history/DOMAIN@JOB.jsonl
 *                               the runs of DOMAIN by JOB, one line each,
 *                               oldest first (for `report`)
 *   STATE/cache/ID/KEY          manifests and indexes of repository ID, kept
 *                               locally (repo/cache.h owns it: a lower layer)
 */
#ifndef VV_STATE_LAYOUT_H
#define VV_STATE_LAYOUT_H

#include <sys/types.h>

#include "common/util.h"

struct json_object;

enum state_area {
	STATE_JOURNAL,
	STATE_LOCKS,
	STATE_RUNS,
	STATE_RUNNING,
	STATE_JOBS,
	STATE_CBT,
	STATE_INSTANT,
	STATE_BOOT,
	STATE_HISTORY,
	STATE_BOOTCHECK,
	STATE_VERIFY,
};

/* state_dir_path: the folder of AREA under STATE_DIR, a new string. */
char *state_dir_path(const char *state_dir, enum state_area area);

/*
 * state_file_path: the file of NAME (a domain or job) in AREA, with the
 * area's suffix, a new string.
 */
char *state_file_path(const char *state_dir, enum state_area area, const char *name);

/*
 * state_file_remove: remove NAME's file in AREA, and make that durable
 * (its folder synced). A file already gone is no error. Returns 0 or -1
 * (logged, naming the file).
 */
int state_file_remove(const char *state_dir, enum state_area area, const char *name);

/*
 * state_ensure_dir: create AREA's folder (mode 0700) when missing.
 * Returns 0 or -1 (logged).
 */
int state_ensure_dir(const char *state_dir, enum state_area area);

/*
 * state_write_json: O, pretty, as NAME's file in AREA (its folder made),
 * written atomically with MODE. Returns 0 or -1 (logged).
 */
int state_write_json(const char *state_dir, enum state_area area, const char *name,
    struct json_object *o, mode_t mode);

/*
 * state_list_names: the names (suffix removed) of the files in AREA,
 * sorted, appended to NAMES. A missing folder holds none. Returns 0, or -1
 * when the folder cannot be read (logged).
 */
int state_list_names(const char *state_dir, enum state_area area, struct strlist *names);

#endif
