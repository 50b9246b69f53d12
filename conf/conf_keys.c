#include "conf/conf_keys.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "common/cron.h"
#include "common/util.h"

#define C(field) offsetof(struct conf, field)
#define J(field) offsetof(struct conf_job, field)
/* A key: section, name, type, offset, help, then its bounds or companion field. */
#define KEY(sec, nm, ty, off, hlp, ...) \
	{ .section = (sec), .name = (nm), .type = (ty), .offset = (off), .help = (hlp), __VA_ARGS__ }

static const struct conf_key keys[] = {
	KEY(CONF_SEC_AGENT, "libvirt_uri", CONF_T_URI, C(libvirt_uri),
	  "libvirt connection URI"),
	KEY(CONF_SEC_AGENT, "state_dir", CONF_T_PATH, C(state_dir),
	  "journals, locks and run records"),
	KEY(CONF_SEC_AGENT, "log_level", CONF_T_LOG_LEVEL, C(log_level),
	  "error, warn, info or debug"),
	KEY(CONF_SEC_AGENT, "overlay_dir", CONF_T_PATH_OR_EMPTY, C(overlay_dir),
	  "where snapshot overlays go; empty: next to each image"),
	KEY(CONF_SEC_AGENT, "syslog", CONF_T_BOOL, C(syslog),
	  "also log to syslog"),
	KEY(CONF_SEC_AGENT, "commit_timeout", CONF_T_DURATION, C(commit_timeout),
	  "how long the block commit after a backup may take, e.g. 10m",
	  .lo = 1),
	KEY(CONF_SEC_AGENT, "cbt", CONF_T_BOOL, C(cbt),
	  "changed-block tracking: nightly backups of qcow2 disks read only what changed"),
	KEY(CONF_SEC_AGENT, "cbt_full_every", CONF_T_COUNT, C(cbt_full_every),
	  "read a disk whole every Nth run and fail if a chunk outside the plan changed; 0: never",
	  .lo = 0, .hi = 1000000),
	KEY(CONF_SEC_AGENT, "cbt_forget_after", CONF_T_DURATION, C(cbt_forget_after),
	  "drop the checkpoint (and bitmaps) of backups of a domain into another repository or under another name that have not run for this long",
	  .lo = 1),
	KEY(CONF_SEC_REPOSITORY, "url", CONF_T_REPO_URL, C(url),
	  "file:///PATH or s3://BUCKET/PREFIX"),
	KEY(CONF_SEC_REPOSITORY, "endpoint", CONF_T_HTTP_URL, C(endpoint),
	  "S3 endpoint, https://HOST[:PORT]"),
	KEY(CONF_SEC_REPOSITORY, "region", CONF_T_REGION, C(region),
	  "S3 region"),
	KEY(CONF_SEC_REPOSITORY, "access_key", CONF_T_ACCESS_KEY, C(access_key),
	  "S3 access key id (or AWS_ACCESS_KEY_ID)",
	  .aux = C(access_key_src)),
	KEY(CONF_SEC_REPOSITORY, "secret_key", CONF_T_SECRET, C(secret_key),
	  "S3 secret key (or AWS_SECRET_ACCESS_KEY)",
	  .aux = C(secret_key_src)),
	KEY(CONF_SEC_REPOSITORY, "admin_access_key", CONF_T_ACCESS_KEY, C(admin_access_key),
	  "S3 access key id of the admin, who may delete: prune, unlock and recover use it",
	  .aux = C(admin_access_key_src)),
	KEY(CONF_SEC_REPOSITORY, "admin_secret_key", CONF_T_SECRET, C(admin_secret_key),
	  "S3 secret key of the admin (with admin_access_key)",
	  .aux = C(admin_secret_key_src)),
	KEY(CONF_SEC_REPOSITORY, "password_file", CONF_T_PATH, C(password_file),
	  "file holding the repository password (or VIRTVAULT_PASSWORD)"),
	KEY(CONF_SEC_REPOSITORY, "encryption", CONF_T_CIPHER, C(encryption),
	  "aes-256-gcm or none"),
	KEY(CONF_SEC_REPOSITORY, "compression", CONF_T_COMPRESSION, C(compression),
	  "zstd, zstd:LEVEL (1-19) or none",
	  .aux = C(zstd_level)),
	KEY(CONF_SEC_REPOSITORY, "chunk_size", CONF_T_CHUNK_SIZE, C(chunk_size),
	  "power of two from 256K to 16M",
	  .lo = 256 * 1024, .hi = 16 * 1024 * 1024),
	KEY(CONF_SEC_JOB, "schedule", CONF_T_CRON, J(schedule),
	  "cron expression or @daily etc."),
	KEY(CONF_SEC_JOB, "domains", CONF_T_LIST, J(domains),
	  "domain names or globs, '*' for all"),
	KEY(CONF_SEC_JOB, "exclude_domains", CONF_T_LIST, J(exclude_domains),
	  "domain names or globs to leave out"),
	KEY(CONF_SEC_JOB, "exclude_disks", CONF_T_LIST, J(exclude_disks),
	  "disk targets (vdb) or DOMAIN:TARGET, globs allowed"),
	KEY(CONF_SEC_JOB, "quiesce", CONF_T_QUIESCE, J(quiesce),
	  "require, try or off"),
	KEY(CONF_SEC_AGENT, "max_parallel", CONF_T_INT, C(max_parallel),
	  "domains the daemon backs up at once",
	  .lo = 1, .hi = 64),
	KEY(CONF_SEC_AGENT, "metrics_file", CONF_T_PATH, C(metrics_file),
	  "Prometheus textfile written after each run"),
	KEY(CONF_SEC_AGENT, "report_file", CONF_T_PATH, C(report_file),
	  "HTML report the daemon writes after each job"),
	KEY(CONF_SEC_REPOSITORY, "s3_addressing", CONF_T_ADDRESSING, C(s3_addressing),
	  "path or virtual; default: path for a custom endpoint"),
	KEY(CONF_SEC_REPOSITORY, "ca_file", CONF_T_PATH, C(ca_file),
	  "CA certificates to verify the endpoint with"),
	KEY(CONF_SEC_REPOSITORY, "tls_verify", CONF_T_BOOL, C(tls_verify),
	  "verify the endpoint's TLS certificate (turning it off warns loudly)"),
	KEY(CONF_SEC_REPOSITORY, "upload_parallel", CONF_T_INT, C(upload_parallel),
	  "S3 requests at once",
	  .lo = 1, .hi = 64),
	KEY(CONF_SEC_REPOSITORY, "read_parallel", CONF_T_INT, C(read_parallel),
	  "small objects (manifests) read at once",
	  .lo = 1, .hi = 64),
	KEY(CONF_SEC_REPOSITORY, "cache_size", CONF_T_SIZE, C(cache_size),
	  "local cache of manifests and indexes under state_dir/cache; 0: none",
	  .lo = 0),
	KEY(CONF_SEC_REPOSITORY, "bandwidth_limit", CONF_T_SIZE, C(bandwidth_limit),
	  "bytes per second to and from S3 in all, e.g. 50M; 0: no limit",
	  .lo = 0),
	KEY(CONF_SEC_REPOSITORY, "request_timeout", CONF_T_DURATION, C(request_timeout),
	  "how long an S3 request may stall before it is retried",
	  .lo = 1),
	KEY(CONF_SEC_REPOSITORY, "multipart_threshold", CONF_T_SIZE, C(multipart_threshold),
	  "objects above this size are uploaded in parts (at least 5M)",
	  .lo = 5 * 1024 * 1024, .below = "is below S3's 5M part minimum"),
	KEY(CONF_SEC_JOB, "timezone", CONF_T_ZONE, J(timezone),
	  "time zone of the schedule, e.g. Europe/Berlin; default: local"),
	KEY(CONF_SEC_JOB, "randomized_delay", CONF_T_DURATION, J(randomized_delay),
	  "a random delay up to this added to each run, e.g. 30m",
	  .lo = 0),
	KEY(CONF_SEC_JOB, "catch_up", CONF_T_BOOL, J(catch_up),
	  "run once at start-up a run missed while the daemon was down"),
	KEY(CONF_SEC_JOB, "retries", CONF_T_INT, J(retries),
	  "more attempts for a domain that failed, within the run",
	  .lo = 0, .hi = 64),
	KEY(CONF_SEC_JOB, "retry_delay", CONF_T_DURATION, J(retry_delay),
	  "wait before the first retry (doubles each time)",
	  .lo = 0),
	KEY(CONF_SEC_JOB, "on_success", CONF_T_COMMAND, J(on_success),
	  "command run after each domain backed up"),
	KEY(CONF_SEC_JOB, "on_failure", CONF_T_COMMAND, J(on_failure),
	  "command run after each domain that failed"),
	KEY(CONF_SEC_JOB, "pre_backup", CONF_T_COMMAND, J(pre_backup),
	  "command run on the host before each domain's snapshot; failing, the domain is not backed up"),
	KEY(CONF_SEC_JOB, "post_backup", CONF_T_COMMAND, J(post_backup),
	  "command run on the host after each domain's disks are committed back"),
	KEY(CONF_SEC_JOB, "hook_timeout", CONF_T_DURATION, J(hook_timeout),
	  "how long a hook may run before it is killed",
	  .lo = 1),
	KEY(CONF_SEC_JOB, "keep_last", CONF_T_COUNT, J(keep.last),
	  "keep the N newest snapshots of each domain",
	  .lo = 0, .hi = 1000000),
	KEY(CONF_SEC_JOB, "keep_hourly", CONF_T_COUNT, J(keep.hourly),
	  "keep the newest snapshot of each of the last N hours that have one",
	  .lo = 0, .hi = 1000000),
	KEY(CONF_SEC_JOB, "keep_daily", CONF_T_COUNT, J(keep.daily),
	  "keep the newest snapshot of each of the last N days that have one",
	  .lo = 0, .hi = 1000000),
	KEY(CONF_SEC_JOB, "keep_weekly", CONF_T_COUNT, J(keep.weekly),
	  "keep the newest snapshot of each of the last N weeks (Monday to Sunday)",
	  .lo = 0, .hi = 1000000),
	KEY(CONF_SEC_JOB, "keep_monthly", CONF_T_COUNT, J(keep.monthly),
	  "keep the newest snapshot of each of the last N months that have one",
	  .lo = 0, .hi = 1000000),
	KEY(CONF_SEC_JOB, "keep_yearly", CONF_T_COUNT, J(keep.yearly),
	  "keep the newest snapshot of each of the last N years that have one",
	  .lo = 0, .hi = 1000000),
	KEY(CONF_SEC_JOB, "keep_within", CONF_T_DURATION, J(keep.within),
	  "keep every snapshot this young (from the newest), e.g. 2d",
	  .lo = 1),
	KEY(CONF_SEC_REPOSITORY, "keep_last", CONF_T_COUNT, C(keep.last),
	  "forget --repo-keep: keep the N newest snapshots of each group",
	  .lo = 0, .hi = 1000000),
	KEY(CONF_SEC_REPOSITORY, "keep_hourly", CONF_T_COUNT, C(keep.hourly),
	  "forget --repo-keep: the newest of each of the last N hours",
	  .lo = 0, .hi = 1000000),
	KEY(CONF_SEC_REPOSITORY, "keep_daily", CONF_T_COUNT, C(keep.daily),
	  "forget --repo-keep: the newest of each of the last N days",
	  .lo = 0, .hi = 1000000),
	KEY(CONF_SEC_REPOSITORY, "keep_weekly", CONF_T_COUNT, C(keep.weekly),
	  "forget --repo-keep: the newest of each of the last N weeks",
	  .lo = 0, .hi = 1000000),
	KEY(CONF_SEC_REPOSITORY, "keep_monthly", CONF_T_COUNT, C(keep.monthly),
	  "forget --repo-keep: the newest of each of the last N months",
	  .lo = 0, .hi = 1000000),
	KEY(CONF_SEC_REPOSITORY, "keep_yearly", CONF_T_COUNT, C(keep.yearly),
	  "forget --repo-keep: the newest of each of the last N years",
	  .lo = 0, .hi = 1000000),
	KEY(CONF_SEC_REPOSITORY, "keep_within", CONF_T_DURATION, C(keep.within),
	  "forget --repo-keep: every snapshot this young (from the newest)",
	  .lo = 1),
	KEY(CONF_SEC_REPOSITORY, "master_key_file", CONF_T_PATH, C(master_key_file),
	  "a master key exported with 'key export', when every password is lost"),
	KEY(CONF_SEC_REPOSITORY, "lock_wait", CONF_T_DURATION, C(lock_wait),
	  "how long a backup waits for a prune (and a prune for backups) to finish",
	  .lo = 1),
	KEY(CONF_SEC_REPOSITORY, "prune_schedule", CONF_T_CRON, C(prune_schedule),
	  "when the daemon prunes the repository (cron); default: never"),
	KEY(CONF_SEC_AGENT, "host", CONF_T_NAME, C(host),
	  "the name this host's snapshots are grouped under; default: the host name"),
	KEY(CONF_SEC_NOTIFY, "webhook_url", CONF_T_WEBHOOK, C(notify.webhook_url),
	  "http(s) URL a JSON message of each run is POSTed to (Slack, Matrix, ntfy, Gotify...)"),
	KEY(CONF_SEC_NOTIFY, "mail_to", CONF_T_MAIL_LIST, C(notify.mail_to),
	  "addresses mailed the message of each run, through sendmail"),
	KEY(CONF_SEC_NOTIFY, "on", CONF_T_NOTIFY_ON, C(notify.always),
	  "failure: only runs in which a domain failed; always: every run"),
	KEY(CONF_SEC_NOTIFY, "timeout", CONF_T_DURATION, C(notify.timeout),
	  "how long one delivery attempt may take",
	  .lo = 1),
	KEY(CONF_SEC_NOTIFY, "retries", CONF_T_INT, C(notify.retries),
	  "more attempts of a delivery that failed",
	  .lo = 0, .hi = 64),
	KEY(CONF_SEC_NOTIFY, "ca_file", CONF_T_PATH, C(notify.ca_file),
	  "CA certificates to verify the webhook's server with"),
	KEY(CONF_SEC_NOTIFY, "sendmail", CONF_T_PATH, C(notify.sendmail),
	  "the sendmail program mail goes through"),
	KEY(CONF_SEC_JOB, "boot_check", CONF_T_CRON, J(boot_check),
	  "when the job's domains' newest snapshots are booted in a sandbox (cron), e.g. 0 5 * * sun; default: never"),
	KEY(CONF_SEC_JOB, "boot_check_command", CONF_T_COMMAND, J(boot_check_command),
	  "a command run in each booted guest through its agent; a boot check needs it to exit 0"),
	KEY(CONF_SEC_JOB, "boot_timeout", CONF_T_DURATION, J(boot_timeout),
	  "how long a boot check waits for the guest agent (and the command), 10s to 24h",
	  .lo = CONF_BOOT_TIMEOUT_MIN, .hi = CONF_BOOT_TIMEOUT_MAX),
	KEY(CONF_SEC_JOB, "copy_to", CONF_T_NAME, J(copy_to),
	  "a [repository NAME] each domain's new snapshot is copied to after the job's run"),
	KEY(CONF_SEC_REPOSITORY, "storage_class", CONF_T_NAME, C(storage_class),
	  "S3 storage class of chunk and index objects, e.g. STANDARD_IA; the rest stay STANDARD"),
	KEY(CONF_SEC_REPOSITORY, "object_lock", CONF_T_LOCK_MODE, C(object_lock),
	  "governance, compliance or none: S3 Object Lock of every object (recorded by init)"),
	KEY(CONF_SEC_REPOSITORY, "object_lock_days", CONF_T_COUNT, C(object_lock_days),
	  "days every object is retained under object_lock (recorded by init)",
	  .lo = 1, .hi = 36500),
	KEY(CONF_SEC_REPOSITORY, "object_lock_extend", CONF_T_DURATION, C(object_lock_extend),
	  "time between retention extension rounds, below half of object_lock_days; default: a quarter of it",
	  .lo = 3600),
};

_Static_assert(sizeof(keys) / sizeof(keys[0]) <= CONF_NKEYS, "CONF_NKEYS too small");

size_t
conf_keys_count(void)
{
	return sizeof(keys) / sizeof(keys[0]);
}

const struct conf_key *
conf_keys_at(size_t i)
{
	return i < conf_keys_count() ? &keys[i] : NULL;
}

size_t
conf_keys_index(const struct conf_key *k)
{
	return (size_t)(k - keys);
}

/* The spellings of each enum, shared by parsing, printing and the CLI. */
struct spelling {
	const char *name;
	int value;
};

static const struct spelling quiesce_names[] = {
	{ "try", CONF_QUIESCE_TRY },
	{ "require", CONF_QUIESCE_REQUIRE },
	{ "off", CONF_QUIESCE_OFF },
	{ NULL, 0 },
};

static const struct spelling cipher_names[] = {
	{ "aes-256-gcm", CONF_CIPHER_AES256GCM },
	{ "none", CONF_CIPHER_NONE },
	{ NULL, 0 },
};

/* The value TABLE spells S (any case) into *OUT; 0, or -1 when none. */
static int
spelling_parse(const struct spelling *table, const char *s, int *out)
{
	for (; table->name != NULL; table++) {
		if (strcasecmp(s, table->name) == 0) {
			*out = table->value;
			return 0;
		}
	}
	return -1;
}

/* The spelling of V in TABLE; the first entry's for an unknown value. */
static const char *
spelling_name(const struct spelling *table, int v)
{
	for (const struct spelling *t = table; t->name != NULL; t++)
		if (t->value == v)
			return t->name;
	return table->name;
}

int
conf_quiesce_parse(const char *s, enum conf_quiesce *out)
{
	int v;

	if (spelling_parse(quiesce_names, s, &v) < 0)
		return -1;
	*out = (enum conf_quiesce)v;
	return 0;
}

const char *
conf_quiesce_name(enum conf_quiesce q)
{
	return spelling_name(quiesce_names, (int)q);
}

int
conf_cipher_parse(const char *s, enum conf_cipher *out)
{
	int v;

	if (spelling_parse(cipher_names, s, &v) < 0)
		return -1;
	*out = (enum conf_cipher)v;
	return 0;
}

const char *
conf_cipher_name(enum conf_cipher c)
{
	return spelling_name(cipher_names, (int)c);
}

const struct conf_key *
conf_keys_find(int section, const char *name)
{
	for (size_t i = 0; i < conf_keys_count(); i++)
		if ((int)keys[i].section == section && strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

const char *
conf_keys_closest(int section, const char *name)
{
	const char *best = NULL;
	size_t bestd = 3;

	for (size_t i = 0; i < conf_keys_count(); i++) {
		size_t d;

		if ((int)keys[i].section != section)
			continue;
		d = util_edit_distance(name, keys[i].name);
		if (d < bestd) {
			bestd = d;
			best = keys[i].name;
		}
	}
	return best;
}

const char *
conf_section_name(int section)
{
	switch (section) {
	case CONF_SEC_AGENT: return "[agent]";
	case CONF_SEC_REPOSITORY: return "[repository]";
	case CONF_SEC_NOTIFY: return "[notify]";
	default: return "[job]";
	}
}

static void
print_source(enum conf_source s, const char *env, FILE *out)
{
	if (s == CONF_SRC_ENV)
		fprintf(out, "  ; from %s", env);
}

/* A size as the configuration spells it: the largest unit that divides it (64M, 512K, 1000). */
static void
print_size(uint64_t n, FILE *out)
{
	char buf[32];

	fputs(util_format_size_exact(n, buf, sizeof(buf)), out);
}

static void
print_list(const struct strlist *l, FILE *out)
{
	for (size_t i = 0; i < l->n; i++)
		fprintf(out, "%s%s", i ? ", " : "", l->v[i]);
}

void
conf_keys_print(const struct conf_key *k, const void *base, FILE *out)
{
	const char *slot = (const char *)base + k->offset;
	const char *aux = (const char *)base + k->aux;
	const char *s;

	fprintf(out, "%s = ", k->name);
	switch (k->type) {
	case CONF_T_STRING:
	case CONF_T_PATH:
	case CONF_T_PATH_OR_EMPTY:
	case CONF_T_URI:
	case CONF_T_REPO_URL:
	case CONF_T_HTTP_URL:
	case CONF_T_REGION:
	case CONF_T_NAME:
	case CONF_T_CRON:
	case CONF_T_ZONE:
	case CONF_T_COMMAND:
	case CONF_T_ADDRESSING:
	case CONF_T_LOCK_MODE:
		s = *(char *const *)(const void *)slot;
		fprintf(out, "%s", s ? s : "");
		if (k->type == CONF_T_PATH_OR_EMPTY && s != NULL && *s == '\0')
			fprintf(out, "  ; empty: next to each image");
		break;
	case CONF_T_ACCESS_KEY:
		s = *(char *const *)(const void *)slot;
		fprintf(out, "%s", s ? s : "");
		print_source(*(const enum conf_source *)(const void *)aux, "AWS_ACCESS_KEY_ID", out);
		break;
	case CONF_T_SECRET:
		s = *(char *const *)(const void *)slot;
		fprintf(out, "%s", s ? "<redacted>" : "");
		print_source(*(const enum conf_source *)(const void *)aux, "AWS_SECRET_ACCESS_KEY", out);
		break;
	case CONF_T_LOG_LEVEL:
		fprintf(out, "%s", log_level_name((enum log_level)*(const int *)(const void *)slot));
		break;
	case CONF_T_BOOL:
		fprintf(out, "%s", *(const bool *)(const void *)slot ? "yes" : "no");
		break;
	case CONF_T_DURATION:
		fprintf(out, "%llus", (unsigned long long)*(const uint64_t *)(const void *)slot);
		break;
	case CONF_T_INT:
		fprintf(out, "%d", *(const int *)(const void *)slot);
		break;
	case CONF_T_COUNT:
		fprintf(out, "%u", *(const unsigned *)(const void *)slot);
		break;
	case CONF_T_SIZE:
		print_size(*(const uint64_t *)(const void *)slot, out);
		break;
	case CONF_T_CIPHER:
		fprintf(out, "%s", conf_cipher_name(*(const enum conf_cipher *)(const void *)slot));
		break;
	case CONF_T_COMPRESSION:
		if (*(const enum conf_compression *)(const void *)slot == CONF_COMP_NONE)
			fprintf(out, "none");
		else
			fprintf(out, "zstd:%d", *(const int *)(const void *)aux);
		break;
	case CONF_T_CHUNK_SIZE:
		print_size(*(const uint64_t *)(const void *)slot, out);
		break;
	case CONF_T_LIST:
		print_list((const struct strlist *)(const void *)slot, out);
		break;
	case CONF_T_QUIESCE:
		fprintf(out, "%s", conf_quiesce_name(*(const enum conf_quiesce *)(const void *)slot));
		break;
	case CONF_T_WEBHOOK:
		s = *(char *const *)(const void *)slot;
		if (s != NULL) {
			char origin[512];
			bool userinfo;
			const char *host;

			/* Credentials, path and query may each be the token. */
			util_url_origin(s, origin, sizeof(origin), &userinfo);
			host = strstr(origin, "://") + 3;
			fprintf(out, "%.*s%s%s/<redacted>", (int)(host - origin), origin,
			    userinfo ? "<redacted>@" : "", host);
		}
		break;
	case CONF_T_MAIL_LIST:
		print_list((const struct strlist *)(const void *)slot, out);
		break;
	case CONF_T_NOTIFY_ON:
		fprintf(out, "%s", *(const bool *)(const void *)slot ? "always" : "failure");
		break;
	}
	fputc('\n', out);
}
