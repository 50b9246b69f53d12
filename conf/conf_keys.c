#include "conf/conf_keys.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "common/cron.h"
#include "common/util.h"

#define C(field) offsetof(struct conf, field)
#define J(field) offsetof(struct conf_job, field)

static const struct conf_key keys[] = {
	{ CONF_SEC_AGENT, "libvirt_uri", CONF_T_URI, C(libvirt_uri),
	  "libvirt connection URI" },
	{ CONF_SEC_AGENT, "state_dir", CONF_T_PATH, C(state_dir),
	  "journals, locks and run records" },
	{ CONF_SEC_AGENT, "log_level", CONF_T_LOG_LEVEL, C(log_level),
	  "error, warn, info or debug" },
	{ CONF_SEC_AGENT, "overlay_dir", CONF_T_PATH_OR_EMPTY, C(overlay_dir),
	  "where snapshot overlays go; empty: next to each image" },
	{ CONF_SEC_AGENT, "syslog", CONF_T_BOOL, C(syslog),
	  "also log to syslog" },
	{ CONF_SEC_AGENT, "commit_timeout", CONF_T_DURATION, C(commit_timeout),
	  "how long the block commit after a backup may take, e.g. 10m" },
	{ CONF_SEC_AGENT, "cbt", CONF_T_BOOL, C(cbt),
	  "changed-block tracking: nightly backups of qcow2 disks read only what changed" },
	{ CONF_SEC_AGENT, "cbt_full_every", CONF_T_COUNT, C(cbt_full_every),
	  "read a disk whole every Nth run and fail if a chunk outside the plan changed; 0: never" },
	{ CONF_SEC_AGENT, "cbt_forget_after", CONF_T_DURATION, C(cbt_forget_after),
	  "drop the checkpoint (and bitmaps) of backups of a domain into another repository or under another name that have not run for this long" },
	{ CONF_SEC_REPOSITORY, "url", CONF_T_REPO_URL, C(url),
	  "file:///PATH or s3://BUCKET/PREFIX" },
	{ CONF_SEC_REPOSITORY, "endpoint", CONF_T_HTTP_URL, C(endpoint),
	  "S3 endpoint, https://HOST[:PORT]" },
	{ CONF_SEC_REPOSITORY, "region", CONF_T_REGION, C(region),
	  "S3 region" },
	{ CONF_SEC_REPOSITORY, "access_key", CONF_T_ACCESS_KEY, C(access_key),
	  "S3 access key id (or AWS_ACCESS_KEY_ID)" },
	{ CONF_SEC_REPOSITORY, "secret_key", CONF_T_SECRET, C(secret_key),
	  "S3 secret key (or AWS_SECRET_ACCESS_KEY)" },
	{ CONF_SEC_REPOSITORY, "password_file", CONF_T_PATH, C(password_file),
	  "file holding the repository password (or VIRTVAULT_PASSWORD)" },
	{ CONF_SEC_REPOSITORY, "encryption", CONF_T_CIPHER, C(encryption),
	  "aes-256-gcm or none" },
	{ CONF_SEC_REPOSITORY, "compression", CONF_T_COMPRESSION, C(compression),
	  "zstd, zstd:LEVEL (1-19) or none" },
	{ CONF_SEC_REPOSITORY, "chunk_size", CONF_T_CHUNK_SIZE, C(chunk_size),
	  "power of two from 256K to 16M" },
	{ CONF_SEC_JOB, "schedule", CONF_T_CRON, J(schedule),
	  "cron expression or @daily etc." },
	{ CONF_SEC_JOB, "domains", CONF_T_LIST, J(domains),
	  "domain names or globs, '*' for all" },
	{ CONF_SEC_JOB, "exclude_domains", CONF_T_LIST, J(exclude_domains),
	  "domain names or globs to leave out" },
	{ CONF_SEC_JOB, "exclude_disks", CONF_T_LIST, J(exclude_disks),
	  "disk targets (vdb) or DOMAIN:TARGET, globs allowed" },
	{ CONF_SEC_JOB, "quiesce", CONF_T_QUIESCE, J(quiesce),
	  "require, try or off" },
	{ CONF_SEC_AGENT, "max_parallel", CONF_T_INT, C(max_parallel),
	  "domains the daemon backs up at once" },
	{ CONF_SEC_AGENT, "metrics_file", CONF_T_PATH, C(metrics_file),
	  "Prometheus textfile written after each run" },
	{ CONF_SEC_REPOSITORY, "s3_addressing", CONF_T_ADDRESSING, C(s3_addressing),
	  "path or virtual; default: path for a custom endpoint" },
	{ CONF_SEC_REPOSITORY, "ca_file", CONF_T_PATH, C(ca_file),
	  "CA certificates to verify the endpoint with" },
	{ CONF_SEC_REPOSITORY, "tls_verify", CONF_T_BOOL, C(tls_verify),
	  "verify the endpoint's TLS certificate (turning it off warns loudly)" },
	{ CONF_SEC_REPOSITORY, "upload_parallel", CONF_T_INT, C(upload_parallel),
	  "S3 requests at once" },
	{ CONF_SEC_REPOSITORY, "bandwidth_limit", CONF_T_SIZE, C(bandwidth_limit),
	  "bytes per second to and from S3 in all, e.g. 50M; 0: no limit" },
	{ CONF_SEC_REPOSITORY, "request_timeout", CONF_T_DURATION, C(request_timeout),
	  "how long an S3 request may stall before it is retried" },
	{ CONF_SEC_REPOSITORY, "multipart_threshold", CONF_T_SIZE, C(multipart_threshold),
	  "objects above this size are uploaded in parts (at least 5M)" },
	{ CONF_SEC_JOB, "timezone", CONF_T_ZONE, J(timezone),
	  "time zone of the schedule, e.g. Europe/Berlin; default: local" },
	{ CONF_SEC_JOB, "randomized_delay", CONF_T_DURATION, J(randomized_delay),
	  "a random delay up to this added to each run, e.g. 30m" },
	{ CONF_SEC_JOB, "catch_up", CONF_T_BOOL, J(catch_up),
	  "run once at start-up a run missed while the daemon was down" },
	{ CONF_SEC_JOB, "retries", CONF_T_INT, J(retries),
	  "more attempts for a domain that failed, within the run" },
	{ CONF_SEC_JOB, "retry_delay", CONF_T_DURATION, J(retry_delay),
	  "wait before the first retry (doubles each time)" },
	{ CONF_SEC_JOB, "on_success", CONF_T_COMMAND, J(on_success),
	  "command run after each domain backed up" },
	{ CONF_SEC_JOB, "on_failure", CONF_T_COMMAND, J(on_failure),
	  "command run after each domain that failed" },
	{ CONF_SEC_JOB, "pre_backup", CONF_T_COMMAND, J(pre_backup),
	  "command run on the host before each domain's snapshot; failing, the domain is not backed up" },
	{ CONF_SEC_JOB, "post_backup", CONF_T_COMMAND, J(post_backup),
	  "command run on the host after each domain's disks are committed back" },
	{ CONF_SEC_JOB, "hook_timeout", CONF_T_DURATION, J(hook_timeout),
	  "how long a hook may run before it is killed" },
	{ CONF_SEC_JOB, "keep_last", CONF_T_COUNT, J(keep.last),
	  "keep the N newest snapshots of each domain" },
	{ CONF_SEC_JOB, "keep_hourly", CONF_T_COUNT, J(keep.hourly),
	  "keep the newest snapshot of each of the last N hours that have one" },
	{ CONF_SEC_JOB, "keep_daily", CONF_T_COUNT, J(keep.daily),
	  "keep the newest snapshot of each of the last N days that have one" },
	{ CONF_SEC_JOB, "keep_weekly", CONF_T_COUNT, J(keep.weekly),
	  "keep the newest snapshot of each of the last N weeks (Monday to Sunday)" },
	{ CONF_SEC_JOB, "keep_monthly", CONF_T_COUNT, J(keep.monthly),
	  "keep the newest snapshot of each of the last N months that have one" },
	{ CONF_SEC_JOB, "keep_yearly", CONF_T_COUNT, J(keep.yearly),
	  "keep the newest snapshot of each of the last N years that have one" },
	{ CONF_SEC_JOB, "keep_within", CONF_T_DURATION, J(keep.within),
	  "keep every snapshot this young (from the newest), e.g. 2d" },
	{ CONF_SEC_REPOSITORY, "master_key_file", CONF_T_PATH, C(master_key_file),
	  "a master key exported with 'key export', when every password is lost" },
	{ CONF_SEC_REPOSITORY, "lock_wait", CONF_T_DURATION, C(lock_wait),
	  "how long a backup waits for a prune (and a prune for backups) to finish" },
	{ CONF_SEC_REPOSITORY, "prune_schedule", CONF_T_CRON, C(prune_schedule),
	  "when the daemon prunes the repository (cron); default: never" },
	{ CONF_SEC_AGENT, "host", CONF_T_NAME, C(host),
	  "the name this host's snapshots are grouped under; default: the host name" },
	{ CONF_SEC_NOTIFY, "webhook_url", CONF_T_WEBHOOK, C(notify.webhook_url),
	  "http(s) URL a JSON message of each run is POSTed to (Slack, Matrix, ntfy, Gotify...)" },
	{ CONF_SEC_NOTIFY, "mail_to", CONF_T_MAIL_LIST, C(notify.mail_to),
	  "addresses mailed the message of each run, through sendmail" },
	{ CONF_SEC_NOTIFY, "on", CONF_T_NOTIFY_ON, C(notify.always),
	  "failure: only runs in which a domain failed; always: every run" },
	{ CONF_SEC_NOTIFY, "timeout", CONF_T_DURATION, C(notify.timeout),
	  "how long one delivery attempt may take" },
	{ CONF_SEC_NOTIFY, "retries", CONF_T_INT, C(notify.retries),
	  "more attempts of a delivery that failed" },
	{ CONF_SEC_NOTIFY, "ca_file", CONF_T_PATH, C(notify.ca_file),
	  "CA certificates to verify the webhook's server with" },
	{ CONF_SEC_NOTIFY, "sendmail", CONF_T_PATH, C(notify.sendmail),
	  "the sendmail program mail goes through" },
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

static int
fail(char *err, size_t errlen, const char *msg, const char *value)
{
	if (value != NULL)
		snprintf(err, errlen, "'%.64s' %s", value, msg);
	else
		snprintf(err, errlen, "%s", msg);
	return -1;
}

static bool
valid_bucket(const char *s, size_t n)
{
	if (n < 3 || n > 63)
		return false;
	if (!isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) &&
		    s[i] != '-' && s[i] != '.')
			return false;
	return true;
}

static int
check_repo_url(const char *v, char *err, size_t errlen)
{
	if (strncmp(v, "file://", 7) == 0) {
		if (v[7] != '/')
			return fail(err, errlen, "needs an absolute path: file:///PATH", v);
		if (v[8] == '\0')
			return fail(err, errlen, "must not be the root directory", v);
		return 0;
	}
	if (strncmp(v, "s3://", 5) == 0) {
		size_t n = strcspn(v + 5, "/");

		if (!valid_bucket(v + 5, n))
			return fail(err, errlen,
			    "has an invalid bucket name (3-63 of a-z, 0-9, '.', '-')", v);
		return 0;
	}
	return fail(err, errlen, "is not file:///PATH or s3://BUCKET/PREFIX", v);
}

static int
check_http_url(const char *v, char *err, size_t errlen)
{
	const char *host;

	if (strncmp(v, "https://", 8) == 0)
		host = v + 8;
	else if (strncmp(v, "http://", 7) == 0)
		host = v + 7;
	else
		return fail(err, errlen, "is not an http:// or https:// URL", v);
	if (*host == '\0' || *host == '/' || *host == ':')
		return fail(err, errlen, "has no host", v);
	for (const char *p = host; *p; p++)
		if (isspace((unsigned char)*p))
			return fail(err, errlen, "contains white space", v);
	return 0;
}

/* LOCAL@DOMAIN of printable ASCII, nothing a mail header would split on. */
static bool
valid_address(const char *s)
{
	const char *at = strchr(s, '@');

	if (at == NULL || at == s || at[1] == '\0' || strchr(at + 1, '@') != NULL ||
	    strlen(s) > 254)
		return false;
	for (const char *p = s; *p; p++)
		if (*p <= ' ' || *p > '~' || strchr("<>()[]\\,;:\"", *p) != NULL)
			return false;
	return true;
}

static int
parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

static int
set_string(char **slot, const char *v)
{
	free(*slot);
	*slot = xstrdup(v);
	return 0;
}

int
conf_keys_set(const struct conf_key *k, void *base, const char *v, char *err,
    size_t errlen)
{
	char *slot = (char *)base + k->offset;
	struct conf *c = base;

	switch (k->type) {
	case CONF_T_STRING:
	case CONF_T_ACCESS_KEY:
		if (*v == '\0')
			return fail(err, errlen, "must not be empty", NULL);
		if (k->type == CONF_T_ACCESS_KEY)
			c->access_key_src = CONF_SRC_FILE;
		return set_string((char **)slot, v);
	case CONF_T_SECRET:
		if (*v == '\0')
			return fail(err, errlen, "must not be empty", NULL);
		c->secret_key_src = CONF_SRC_FILE;
		return set_string((char **)slot, v);
	case CONF_T_PATH:
	case CONF_T_PATH_OR_EMPTY:
		if (*v == '\0' && k->type == CONF_T_PATH_OR_EMPTY)
			return set_string((char **)slot, v);
		if (v[0] != '/')
			return fail(err, errlen, "is not an absolute path", v);
		return set_string((char **)slot, v);
	case CONF_T_URI: {
		size_t n = strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789+.-");

		if (n == 0 || v[n] != ':' || strstr(v, "://") == NULL)
			return fail(err, errlen, "is not a libvirt URI such as qemu:///system", v);
		return set_string((char **)slot, v);
	}
	case CONF_T_REPO_URL:
		if (check_repo_url(v, err, errlen) < 0)
			return -1;
		return set_string((char **)slot, v);
	case CONF_T_HTTP_URL:
		if (check_http_url(v, err, errlen) < 0)
			return -1;
		return set_string((char **)slot, v);
	case CONF_T_NAME:
		if (!util_name_valid(v))
			return fail(err, errlen, "is not a valid name (" UTIL_NAME_RULE ")", v);
		return set_string((char **)slot, v);
	case CONF_T_REGION:
		if (*v == '\0' || strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(v))
			return fail(err, errlen, "is not a region name (a-z, 0-9, '-')", v);
		return set_string((char **)slot, v);
	case CONF_T_LOG_LEVEL: {
		enum log_level l;

		if (log_level_parse(v, &l) < 0)
			return fail(err, errlen, "is not one of error, warn, info, debug", v);
		*(int *)(void *)slot = (int)l;
		return 0;
	}
	case CONF_T_BOOL:
		if (parse_bool(v, (bool *)(void *)slot) < 0)
			return fail(err, errlen, "is not yes or no", v);
		return 0;
	case CONF_T_DURATION: {
		uint64_t secs;

		if (util_parse_duration(v, &secs) < 0)
			return fail(err, errlen, "is not a duration such as 90s, 10m or 1h30m", v);
		/* A delay may be zero; a timeout may not. */
		if (secs == 0 && strstr(k->name, "delay") == NULL)
			return fail(err, errlen, "must be longer than zero", v);
		*(uint64_t *)(void *)slot = secs;
		return 0;
	}
	case CONF_T_INT: {
		char *end;
		long n = strtol(v, &end, 10);
		long lo = strcmp(k->name, "max_parallel") == 0 || strcmp(k->name, "upload_parallel") == 0 ? 1 : 0;

		if (*v == '\0' || *end != '\0' || n < lo || n > 64) {
			snprintf(err, errlen, "'%.64s' is not a whole number from %ld to 64", v, lo);
			return -1;
		}
		*(int *)(void *)slot = (int)n;
		return 0;
	}
	case CONF_T_COUNT: {
		char *end;
		long n = strtol(v, &end, 10);

		if (*v == '\0' || *end != '\0' || n < 0 || n > 1000000) {
			snprintf(err, errlen, "'%.64s' is not a whole number from 0 to 1000000", v);
			return -1;
		}
		*(unsigned *)(void *)slot = (unsigned)n;
		return 0;
	}
	case CONF_T_ZONE:
		if (!cron_zone_valid(v))
			return fail(err, errlen, "is not a time zone of /usr/share/zoneinfo (e.g. Europe/Berlin, UTC)", v);
		return set_string((char **)slot, v);
	case CONF_T_COMMAND:
		if (*v == '\0')
			return fail(err, errlen, "must not be empty", NULL);
		return set_string((char **)slot, v);
	case CONF_T_ADDRESSING:
		if (strcmp(v, "path") != 0 && strcmp(v, "virtual") != 0)
			return fail(err, errlen, "is not path or virtual", v);
		return set_string((char **)slot, v);
	case CONF_T_SIZE: {
		uint64_t n;

		if (util_parse_size(v, &n) < 0)
			return fail(err, errlen, "is not a size such as 50M", v);
		if (strcmp(k->name, "multipart_threshold") == 0 && n < 5 * 1024 * 1024)
			return fail(err, errlen, "is below S3's 5M part minimum", v);
		*(uint64_t *)(void *)slot = n;
		return 0;
	}
	case CONF_T_CIPHER:
		if (conf_cipher_parse(v, (enum conf_cipher *)(void *)slot) < 0)
			return fail(err, errlen, "is not aes-256-gcm or none", v);
		return 0;
	case CONF_T_COMPRESSION:
		if (strcasecmp(v, "none") == 0) {
			c->compression = CONF_COMP_NONE;
			return 0;
		}
		if (strncasecmp(v, "zstd", 4) == 0 && (v[4] == '\0' || v[4] == ':')) {
			long level = 1;

			if (v[4] == ':') {
				char *end;

				level = strtol(v + 5, &end, 10);
				if (v[5] == '\0' || *end != '\0' || level < 1 || level > 19)
					return fail(err, errlen, "has a zstd level outside 1-19", v);
			}
			c->compression = CONF_COMP_ZSTD;
			c->zstd_level = (int)level;
			return 0;
		}
		return fail(err, errlen, "is not zstd, zstd:LEVEL or none", v);
	case CONF_T_CHUNK_SIZE: {
		uint64_t n;

		if (util_parse_size(v, &n) < 0)
			return fail(err, errlen, "is not a size such as 1M or 512K", v);
		if (n < 256 * 1024 || n > 16 * 1024 * 1024 || (n & (n - 1)) != 0)
			return fail(err, errlen, "is not a power of two from 256K to 16M", v);
		c->chunk_size = n;
		return 0;
	}
	case CONF_T_LIST: {
		struct strlist *l = (struct strlist *)(void *)slot;

		strlist_clear(l);
		if (strlist_split(l, v) == 0)
			return fail(err, errlen, "must list at least one name or glob", NULL);
		return 0;
	}
	case CONF_T_CRON: {
		struct cron cr;
		char why[160];

		if (cron_parse(v, &cr, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "'%.64s' is not a valid schedule: %s", v, why);
			return -1;
		}
		return set_string((char **)slot, v);
	}
	case CONF_T_QUIESCE:
		if (conf_quiesce_parse(v, (enum conf_quiesce *)(void *)slot) < 0)
			return fail(err, errlen, "is not require, try or off", v);
		return 0;
	case CONF_T_WEBHOOK:
		/* Never echoed: a webhook's path is often its token. */
		if (check_http_url(v, err, errlen) < 0) {
			snprintf(err, errlen, "is not an http:// or https:// URL with a host");
			return -1;
		}
		return set_string((char **)slot, v);
	case CONF_T_MAIL_LIST: {
		struct strlist *l = (struct strlist *)(void *)slot;

		strlist_clear(l);
		if (strlist_split(l, v) == 0)
			return fail(err, errlen, "must list at least one address", NULL);
		for (size_t i = 0; i < l->n; i++)
			if (!valid_address(l->v[i]))
				return fail(err, errlen, "is not a mail address such as root@example.org",
				    l->v[i]);
		return 0;
	}
	case CONF_T_NOTIFY_ON:
		if (strcmp(v, "failure") == 0)
			*(bool *)(void *)slot = false;
		else if (strcmp(v, "always") == 0)
			*(bool *)(void *)slot = true;
		else
			return fail(err, errlen, "is not failure or always", v);
		return 0;
	}
	return fail(err, errlen, "has an unknown type", NULL);
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
	const struct conf *c = base;
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
		s = *(char *const *)(const void *)slot;
		fprintf(out, "%s", s ? s : "");
		if (k->type == CONF_T_PATH_OR_EMPTY && s != NULL && *s == '\0')
			fprintf(out, "  ; empty: next to each image");
		break;
	case CONF_T_ACCESS_KEY:
		s = *(char *const *)(const void *)slot;
		fprintf(out, "%s", s ? s : "");
		print_source(c->access_key_src, "AWS_ACCESS_KEY_ID", out);
		break;
	case CONF_T_SECRET:
		s = *(char *const *)(const void *)slot;
		fprintf(out, "%s", s ? "<redacted>" : "");
		print_source(c->secret_key_src, "AWS_SECRET_ACCESS_KEY", out);
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
		fprintf(out, "%s", conf_cipher_name(c->encryption));
		break;
	case CONF_T_COMPRESSION:
		if (c->compression == CONF_COMP_NONE)
			fprintf(out, "none");
		else
			fprintf(out, "zstd:%d", c->zstd_level);
		break;
	case CONF_T_CHUNK_SIZE:
		print_size(c->chunk_size, out);
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
