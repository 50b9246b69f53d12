/*
 * The outcome of the last boot check of each domain on this host (`verify
 * --boot`, by hand or by a job's boot_check rule): what `status`, the
 * metrics file, the message and `report` show.
 *
 *   STATE/boot/DOMAIN.json   struct boot_record
 *   STATE/boot/DOMAIN.png    the console's screenshot of that check, when
 *                            the domain has a display (kept until the next)
 *
 * DOMAIN is the domain whose snapshot was booted (the snapshot's name),
 * never the throwaway domain's.
 */
#ifndef VV_STATE_BOOTREC_H
#define VV_STATE_BOOTREC_H

#include <stdbool.h>
#include <time.h>

#include "common/util.h"

typedef struct json_object json_object;

struct boot_record {
	char domain[256];
	char job[128];			/* the job whose rule ran it, or "manual" */
	char snapshot[17];		/* the ID booted */
	char snapshot_host[256];	/* the host that made it */
	bool ok;			/* the agent answered (and the command succeeded) */
	time_t started;
	time_t finished;
	double seconds_to_agent;	/* start to the first guest-ping answer; -1 none */
	char command[512];		/* boot_check_command / --command, or "" */
	int command_exit;		/* its exit code; -1 not run */
	char output[1024];		/* its output (stdout then stderr), cut */
	bool screenshot;		/* STATE/boot/DOMAIN.png is this check's */
	char reason[512];		/* why it failed, or "" */
};

/*
 * state_boot_record_json: R as STATE/boot/DOMAIN.json stores it (epoch
 * seconds, -1 for an agent that never answered), which `verify --boot
 * --json` prints too. A new object.
 */
json_object *state_boot_record_json(const struct boot_record *r);

/*
 * state_boot_view_json: R as status --json, the webhook and report --json
 * show it: times in ISO 8601 UTC (null for never), its length in seconds,
 * "result", seconds_to_agent null when the agent never answered, and
 * screenshot_file SHOT (or null). A new object.
 */
json_object *state_boot_view_json(const struct boot_record *r, const char *shot);

/*
 * state_boot_read: the last boot check of DOMAIN into *R. Returns 0, 1
 * when there is none (or it cannot be read: a damaged record is no record).
 */
int state_boot_read(const char *state_dir, const char *domain, struct boot_record *r);

/*
 * state_boot_write: persist R atomically as the last boot check of its
 * domain. Returns 0 or -1 (logged).
 */
int state_boot_write(const char *state_dir, const struct boot_record *r);

/*
 * state_boot_screenshot_path: where the screenshot of DOMAIN's last boot
 * check lives, a new string (the file may not exist).
 */
char *state_boot_screenshot_path(const char *state_dir, const char *domain);

/*
 * state_boot_list: the domains with a boot record, sorted, appended to
 * NAMES. Returns 0 or -1 (logged).
 */
int state_boot_list(const char *state_dir, struct strlist *names);

#endif
