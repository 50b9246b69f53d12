/*
 * What every command receives from main, and the exit codes.
 */
#ifndef VV_CLI_H
#define VV_CLI_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "conf/conf.h"

enum cli_exit {
	CLI_EXIT_OK = 0,
	CLI_EXIT_FAILURE = 1,
	CLI_EXIT_USAGE = 2,		/* usage or configuration error */
	CLI_EXIT_PARTIAL = 3,		/* some domains failed, others not */
};

struct cli {
	const char *config_path;	/* -c, or NULL */
	int verbosity;			/* -1 quiet, 0 normal, 1+ verbose */
	bool no_cache;			/* --no-cache: no local cache of the repository */
	struct conf *conf;		/* loaded by cli_load_conf */
	/* Non-zero once SIGTERM or SIGINT came (after cli_catch_signals). */
	const volatile sig_atomic_t *cancel;
	const char *repo_name;		/* --repo NAME: [repository NAME], or NULL */
};

/*
 * cli_catch_signals: from now on SIGTERM and SIGINT only set *cli->cancel,
 * so that a backup reaches a safe point before it stops; a second signal
 * does not skip it.
 */
void cli_catch_signals(struct cli *cli);

/*
 * cli_load_conf: load the configuration into CLI->conf and set the log
 * level from it (unless -v or -q said otherwise). NEED_REPO: the command
 * uses the repository, whose settings must then be complete. Returns 0,
 * or -1 after printing every error (the command exits CLI_EXIT_USAGE).
 */
int cli_load_conf(struct cli *cli, bool need_repo);

/* cli_print_conf_errors: log every error of C (and how many were dropped). */
void cli_print_conf_errors(const struct conf *c);

/*
 * cli_json_opts: parse the options of a command that takes only --json
 * and --help (USE is its usage text). Returns -1 to go on (*JSON set,
 * optind at the first operand), or the exit code to return at once (help
 * printed, or a usage error).
 */
int cli_json_opts(int argc, char **argv, const char *use, bool *json);

/*
 * cli_operands: whether ARGV[FIRST..ARGC) holds as many operands as
 * NAMES, the usage's words for them separated by spaces ("SNAPSHOT DIR";
 * a last word ending in "..." takes any number, at least one). When not,
 * logs which is missing, or which is one too many, for command CMD.
 * Returns 0 or -1 (logged).
 */
/*
 * cli_repo_admin: as cli_repo, with the admin's credential ([repository]
 * admin_access_key and admin_secret_key) in place of the host's when set,
 * for command CMD (prune, unlock, recover), which must delete.
 */
struct repo *cli_repo_admin(struct cli *cli, const char *cmd, int *rc);

int cli_operands(const char *cmd, int argc, char **argv, int first, const char *names);

/* cli_help_asked: whether ARGV holds --help or -h. */
bool cli_help_asked(int argc, char **argv);

/* The commands: each returns an enum cli_exit. ARGV[0] is its name. */
int cmd_config(struct cli *cli, int argc, char **argv);
int cmd_disks(struct cli *cli, int argc, char **argv);
int cmd_check_chain(struct cli *cli, int argc, char **argv);
int cmd_init(struct cli *cli, int argc, char **argv);
int cmd_backup(struct cli *cli, int argc, char **argv);
int cmd_list(struct cli *cli, int argc, char **argv);
int cmd_show(struct cli *cli, int argc, char **argv);
int cmd_restore(struct cli *cli, int argc, char **argv);
int cmd_verify(struct cli *cli, int argc, char **argv);
int cmd_verify_boot(struct cli *cli, int argc, char **argv);
int cmd_repair(struct cli *cli, int argc, char **argv);
int cmd_schedule(struct cli *cli, int argc, char **argv);
int cmd_daemon(struct cli *cli, int argc, char **argv);
int cmd_status(struct cli *cli, int argc, char **argv);
int cmd_forget(struct cli *cli, int argc, char **argv);
int cmd_prune(struct cli *cli, int argc, char **argv);
int cmd_locks(struct cli *cli, int argc, char **argv);
int cmd_unlock(struct cli *cli, int argc, char **argv);
int cmd_key(struct cli *cli, int argc, char **argv);
int cmd_recover(struct cli *cli, int argc, char **argv);
int cmd_upgrade(struct cli *cli, int argc, char **argv);
int cmd_stats(struct cli *cli, int argc, char **argv);
int cmd_diff(struct cli *cli, int argc, char **argv);
int cmd_export(struct cli *cli, int argc, char **argv);
int cmd_import(struct cli *cli, int argc, char **argv);
int cmd_copy(struct cli *cli, int argc, char **argv);
int cmd_mount(struct cli *cli, int argc, char **argv);
int cmd_report(struct cli *cli, int argc, char **argv);

struct repo;
struct manifest;
struct backup_stats;

/*
 * cli_repo: load the configuration (a repository required) and open the
 * repository. Returns it, or NULL with the command's exit code in *RC
 * (usage for a bad configuration, failure otherwise; logged).
 */
struct repo *cli_repo(struct cli *cli, int *rc);

/* cli_find_snapshot: the manifest REF names in R (manifest_find), or NULL (logged). */
struct manifest *cli_find_snapshot(struct repo *r, const char *ref);

/*
 * cli_find_snapshots: the manifests the N selectors REFS name, all found
 * before any is acted on, into *OUT (N slots, NULL where one was not
 * found: logged; free with manifest_list_free). Returns how many were not
 * found.
 */
int cli_find_snapshots(struct repo *r, char **refs, size_t n, struct manifest ***out);

/* cli_format_time: T as "Mon 2026-11-26 02:00:00 CET" in zone TZ (NULL: local). */
void cli_format_time(time_t t, const char *tz, char *buf, size_t len);

/* cli_snapshot_json: a new JSON object naming M: snapshot, host, name, time. */
struct json_object *cli_snapshot_json(const struct manifest *m);

/* cli_stats_json: a new JSON object of ST's counters (the caller puts it). */
struct json_object *cli_stats_json(const struct backup_stats *st);

/*
 * cli_parse_time: a snapshot's time, ISO 8601, "2026-11-20T02:00:00Z" or
 * with an offset ("...T03:00:00+01:00"), into *T: a real date, in the
 * range and not in the future (manifest_time_check). Returns 0, or -1
 * (logged, naming OPTION).
 */
int cli_parse_time(const char *s, const char *option, time_t *t);

/*
 * cli_forget_apply: remove what PLAN removes (unless DRY_RUN) and print
 * every snapshot of its groups, kept (with the rule) or removed: as text,
 * or appended to the JSON array ARR when it is not NULL. Returns the
 * number of manifests that could not be removed.
 */
/*
 * cli_new_password: a new password from FILE (its first line; the file
 * must not be readable by group or others; "-" is the standard input),
 * else $VIRTVAULT_NEW_PASSWORD,
 * else asked twice on the terminal. Returns a new string (the caller
 * wipes and frees it), or NULL (logged).
 */
char *cli_new_password(const char *file);

struct forget_plan;
size_t cli_forget_apply(struct repo *r, struct forget_plan *plan, bool dry_run,
    struct json_object *arr);

#endif
