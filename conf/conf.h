/*
 * Configuration: one INI file (inih), strictly validated.
 *
 * A struct conf is plain data, filled by conf_load and read by everyone
 * after; nobody writes to it but this module.
 */
#ifndef VV_CONF_H
#define VV_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/util.h"

#define CONF_DEFAULT_PATH "/etc/virtvault/virtvault.conf"
/* Bounds of what a configuration file may be. */
#define CONF_MAX_FILE (1024 * 1024)
#define CONF_MAX_LINE 4096
#define CONF_MAX_ERRORS 100

enum conf_quiesce {
	CONF_QUIESCE_TRY = 0,
	CONF_QUIESCE_REQUIRE,
	CONF_QUIESCE_OFF,
};

enum conf_cipher {
	CONF_CIPHER_AES256GCM = 0,
	CONF_CIPHER_NONE,
};

enum conf_compression {
	CONF_COMP_ZSTD = 0,
	CONF_COMP_NONE,
};

/* Where a value came from, for `config check`. */
enum conf_source {
	CONF_SRC_DEFAULT = 0,
	CONF_SRC_FILE,
	CONF_SRC_ENV,
};

/* How many snapshots of a group to keep (repo/retention.h); all 0: all. */
struct keep_policy {
	unsigned last, hourly, daily, weekly, monthly, yearly;
	uint64_t within;		/* seconds back from the group's newest */
};

struct conf_job {
	char *name;
	unsigned line;			/* of its [job NAME] header */
	char *schedule;			/* cron expression, or NULL */
	struct strlist domains;		/* names or globs */
	struct strlist exclude_domains;
	struct strlist exclude_disks;	/* targets (vda) or globs */
	enum conf_quiesce quiesce;
	char *timezone;			/* IANA zone of the schedule, or NULL: local */
	uint64_t randomized_delay;	/* seconds, at most, added to each run */
	bool catch_up;			/* run once at start-up what was missed */
	int retries;			/* more attempts of a failed domain */
	uint64_t retry_delay;		/* seconds before the first retry; doubles */
	char *on_success;		/* shell command, or NULL */
	char *on_failure;
	char *pre_backup;		/* before each domain's snapshot, or NULL */
	char *post_backup;		/* after each domain's commit, or NULL */
	uint64_t hook_timeout;		/* seconds a hook may run */
	struct keep_policy keep;	/* applied to the job's domains after each run */
	char *boot_check;		/* cron expression of its boot checks, or NULL */
	char *boot_check_command;	/* run in each booted guest (guest-exec), or NULL */
	uint64_t boot_timeout;		/* seconds a boot check waits for the guest agent */
	char *copy_to;			/* [repository NAME] each new snapshot is copied to, or NULL */
};

/* The default and the bounds of boot_timeout, in seconds. */
#define CONF_BOOT_TIMEOUT 300
#define CONF_BOOT_TIMEOUT_MIN 10
#define CONF_BOOT_TIMEOUT_MAX 86400

struct conf {
	char *path;			/* the file read, or NULL for defaults */

	/* [agent] */
	char *libvirt_uri;
	char *host;			/* names this host's snapshots */
	char *state_dir;
	char *overlay_dir;		/* "" means next to each image */
	int log_level;			/* enum log_level */
	bool syslog;
	uint64_t commit_timeout;	/* seconds an active block commit may take */
	bool cbt;			/* changed-block tracking of qcow2 disks */
	unsigned cbt_full_every;	/* read whole and compare every Nth run; 0: never */
	uint64_t cbt_forget_after;	/* seconds after which another flow's checkpoint goes */
	int max_parallel;		/* domains backed up at once by the daemon */
	char *metrics_file;		/* Prometheus textfile, or NULL */
	char *report_file;		/* the daemon's HTML report after each job, or NULL */

	/* [repository], or the [repository NAME] conf_load_repo loaded */
	char *repo_name;		/* that NAME, or NULL */
	struct strlist repo_names;	/* every [repository NAME] of the file, in order */
	char *url;			/* NULL until set */
	char *endpoint;
	char *region;
	char *access_key;
	char *secret_key;
	char *password_file;
	unsigned password_file_line;	/* where the file sets it, or 0 */
	char *master_key_file;		/* an exported master key instead of a password */
	char *password;			/* from VIRTVAULT_PASSWORD only */
	enum conf_source access_key_src;
	enum conf_source secret_key_src;
	/* The admin's credential, who may delete (prune, unlock, recover), or NULL. */
	char *admin_access_key;
	char *admin_secret_key;
	enum conf_source admin_access_key_src;
	enum conf_source admin_secret_key_src;
	enum conf_source password_src;
	enum conf_cipher encryption;
	enum conf_compression compression;
	int zstd_level;
	uint64_t chunk_size;
	char *s3_addressing;		/* "path", "virtual", or NULL: by endpoint */
	char *ca_file;
	bool tls_verify;
	int upload_parallel;
	int read_parallel;		/* manifests read at once */
	uint64_t cache_size;		/* bytes of STATE/cache/ID; 0: no cache */
	uint64_t bandwidth_limit;	/* bytes per second in all, 0: none */
	uint64_t request_timeout;	/* seconds a request may stall */
	uint64_t multipart_threshold;
	uint64_t lock_wait;		/* seconds to wait for a conflicting lock */
	char *prune_schedule;		/* cron expression of the daemon's prune, or NULL */
	struct keep_policy keep;	/* the repository's own retention (forget --repo-keep) */
	/* Archiving tier and Object Lock (repo/objlock.h) */
	char *storage_class;		/* of chunks and indexes on S3, or NULL: STANDARD */
	char *object_lock;		/* "governance", "compliance", or NULL: none (init) */
	unsigned object_lock_days;	/* retention of every object written (init) */
	uint64_t object_lock_extend;	/* seconds between extension rounds; 0: a quarter of the days (init) */

	/* [notify]: one message per run (jobrun/notify.h) */
	struct conf_notify {
		char *webhook_url;	/* may hold a token: never logged whole */
		struct strlist mail_to;
		bool always;		/* on = always; else only runs with a failure */
		uint64_t timeout;	/* seconds one delivery attempt may take */
		int retries;		/* more attempts of a failed delivery */
		char *ca_file;
		char *sendmail;
	} notify;

	struct conf_job *jobs;
	size_t njobs;

	/* Problems found, "FILE:LINE: message", in file order. */
	struct strlist errors;
	size_t errors_dropped;		/* beyond CONF_MAX_ERRORS */
	/* Which keys the file set, for conf_print. */
	struct strlist set_keys;
};

/*
 * conf_load: read PATH (NULL: $VIRTVAULT_CONFIG, else the default path).
 * A missing file is an error when MUST_EXIST or when the path was named
 * (argument or environment); otherwise the defaults stand. Secrets missing
 * from the file are taken from the environment.
 * Returns a new conf (the caller frees it with conf_free); its errors list
 * holds every problem found, and the conf must not be used when it is not
 * empty.
 */
struct conf *conf_load(const char *path, bool must_exist);

/*
 * conf_load_repo: conf_load, with the repository settings of the file's
 * [repository REPO] section instead of [repository] (REPO NULL: those of
 * [repository]). Every repository section is checked all the same. A
 * named repository takes no secret from the environment (VIRTVAULT_PASSWORD,
 * AWS_*: the default repository's). A file without [repository REPO] is an
 * error naming it.
 */
struct conf *conf_load_repo(const char *path, bool must_exist, const char *repo);

/*
 * conf_require_repository: add errors for what a command that uses the
 * repository needs: url, and a readable password source when encryption is
 * on (password_file must exist and not be readable by group or others).
 * Returns the number of errors added.
 */
size_t conf_require_repository(struct conf *c);

/* conf_find_job: the job named NAME, or NULL. */
const struct conf_job *conf_find_job(const struct conf *c, const char *name);

/* conf_print: the effective configuration in INI form, secrets redacted. */
void conf_print(const struct conf *c, FILE *out);

/* conf_free: free C; NULL is a no-op. */
void conf_free(struct conf *c);

/*
 * conf_quiesce_parse, conf_cipher_parse: the value spelled S (any case)
 * into *OUT. Return 0, or -1 when S spells none.
 * conf_quiesce_name, conf_cipher_name: the configuration spelling.
 */
int conf_quiesce_parse(const char *s, enum conf_quiesce *out);
const char *conf_quiesce_name(enum conf_quiesce q);
int conf_cipher_parse(const char *s, enum conf_cipher *out);
const char *conf_cipher_name(enum conf_cipher c);

#endif
