/* Parsing a configuration value: one setter per type of key (conf_keys.h). */
#include "conf/conf_keys.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/cron.h"
#include "common/log.h"
#include "common/util.h"

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


/* Where K's value lives in BASE, and its companion field (k->aux). */
#define SLOT(k, base, type) ((type *)(void *)((char *)(base) + (k)->offset))
#define AUX(k, base, type) ((type *)(void *)((char *)(base) + (k)->aux))

static int
store_text(const struct conf_key *k, void *base, const char *v)
{
	char **slot = SLOT(k, base, char *);

	free(*slot);
	*slot = xstrdup(v);
	return 0;
}

/* A setter: parse V for K into BASE; 0, or -1 with the reason in ERR. */
typedef int setter(const struct conf_key *k, void *base, const char *v, char *err,
    size_t errlen);

static int
set_nonempty(const struct conf_key *k, void *base, const char *v, char *err, size_t errlen)
{
	if (*v == '\0')
		return fail(err, errlen, "must not be empty", NULL);
	return store_text(k, base, v);
}

/* A credential: also records that it came from the file (k->aux). */
static int
set_credential(const struct conf_key *k, void *base, const char *v, char *err, size_t errlen)
{
	if (*v == '\0')
		return fail(err, errlen, "must not be empty", NULL);
	*AUX(k, base, enum conf_source) = CONF_SRC_FILE;
	return store_text(k, base, v);
}

static int
set_path(const struct conf_key *k, void *base, const char *v, char *err, size_t errlen)
{
	if (*v == '\0' && k->type == CONF_T_PATH_OR_EMPTY)
		return store_text(k, base, v);
	if (v[0] != '/')
		return fail(err, errlen, "is not an absolute path", v);
	return store_text(k, base, v);
}

static int
set_uri(const struct conf_key *k, void *base, const char *v, char *err, size_t errlen)
{
	size_t n = strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789+.-");

	if (n == 0 || v[n] != ':' || strstr(v, "://") == NULL)
		return fail(err, errlen, "is not a libvirt URI such as qemu:///system", v);
	return store_text(k, base, v);
}

static int
set_repo_url(const struct conf_key *k, void *base, const char *v, char *err, size_t errlen)
{
	if (check_repo_url(v, err, errlen) < 0)
		return -1;
	return store_text(k, base, v);
}

static int
set_http_url(const struct conf_key *k, void *base, const char *v, char *err, size_t errlen)
{
	if (check_http_url(v, err, errlen) < 0)
		return -1;
	return store_text(k, base, v);
}

static int
set_name(const struct conf_key *k, void *base, const char *v, char *err, size_t errlen)
{
	if (!util_name_valid(v))
		return fail(err, errlen, "is not a valid name (" UTIL_NAME_RULE ")", v);
	return store_text(k, base, v);
}

static int
set_region(const struct conf_key *k, void *base, const char *v, char *err, size_t errlen)
{
	if (*v == '\0' || strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(v))
		return fail(err, errlen, "is not a region name (a-z, 0-9, '-')", v);
	return store_text(k, base, v);
}

static int
set_log_level(const struct conf_key *k, void *base, const char *v, char *err, size_t errlen)
{
	enum log_level l;

	if (log_level_parse(v, &l) < 0)
		return fail(err, errlen, "is not one of error, warn, info, debug", v);
	*SLOT(k, base, int) = (int)l;
	return 0;
}

static int
set_bool(const struct conf_key *k, void *base, const char *v, char *err, size_t errlen)
{
	if (parse_bool(v, SLOT(k, base, bool)) < 0)
		return fail(err, errlen, "is not yes or no", v);
	return 0;
}

/* Seconds, at least k->lo (a delay may be zero; a timeout may not), at most k->hi (0: any). */
static int
set_duration(const struct conf_key *k, void *base, const char *v, char *err, size_t errlen)
{
	uint64_t secs;

	if (util_parse_duration(v, &secs) < 0)
		return fail(err, errlen, "is not a duration such as 90s, 10m or 1h30m", v);
	if (secs < k->lo && k->lo <= 1)
		return fail(err, errlen, "must be longer than zero", v);
	if (secs < k->lo || (k->hi != 0 && secs > k->hi)) {
		if (k->hi != 0)
			snprintf(err, errlen, "'%.64s' is not a duration from %llus to %llus", v,
			    (unsigned long long)k->lo, (unsigned long long)k->hi);
		else
			snprintf(err, errlen, "'%.64s' is shorter than %llus", v,
			    (unsigned long long)k->lo);
		return -1;
	}
	*SLOT(k, base, uint64_t) = secs;
	return 0;
}

/* A whole number from k->lo to k->hi into *N. */
static int
whole_number(const struct conf_key *k, const char *v, long *n, char *err, size_t errlen)
{
	char *end;

	*n = strtol(v, &end, 10);
	if (*v == '\0' || *end != '\0' || *n < 0 || (uint64_t)*n < k->lo || (uint64_t)*n > k->hi) {
		snprintf(err, errlen, "'%.64s' is not a whole number from %llu to %llu", v,
		    (unsigned long long)k->lo, (unsigned long long)k->hi);
		return -1;
	}
	return 0;
}

static int
set_int(const struct conf_key *k, void *base, const char *v, char *err, size_t errlen)
{
	long n;

	if (whole_number(k, v, &n, err, errlen) < 0)
		return -1;
	*SLOT(k, base, int) = (int)n;
	return 0;
}

static int
set_count(const struct conf_key *k, void *base, const char *v, char *err, size_t errlen)
{
	long n;

	if (whole_number(k, v, &n, err, errlen) < 0)
		return -1;
	*SLOT(k, base, unsigned) = (unsigned)n;
	return 0;
}

/* A size of at least k->lo (k->below says why not less). */
static int
set_size(const struct conf_key *k, void *base, const char *v, char *err, size_t errlen)
{
	uint64_t n;

	if (util_parse_size(v, &n) < 0)
		return fail(err, errlen, "is not a size such as 50M", v);
	if (n < k->lo)
		return fail(err, errlen, k->below, v);
	*SLOT(k, base, uint64_t) = n;
	return 0;
}

/* A power of two from k->lo to k->hi. */
static int
set_chunk_size(const struct conf_key *k, void *base, const char *v, char *err, size_t errlen)
{
	uint64_t n;

	if (util_parse_size(v, &n) < 0)
		return fail(err, errlen, "is not a size such as 1M or 512K", v);
	if (n < k->lo || n > k->hi || (n & (n - 1)) != 0)
		return fail(err, errlen, "is not a power of two from 256K to 16M", v);
	*SLOT(k, base, uint64_t) = n;
	return 0;
}

static int
set_zone(const struct conf_key *k, void *base, const char *v, char *err, size_t errlen)
{
	if (!cron_zone_valid(v))
		return fail(err, errlen, "is not a time zone of /usr/share/zoneinfo (e.g. Europe/Berlin, UTC)", v);
	return store_text(k, base, v);
}

static int
set_addressing(const struct conf_key *k, void *base, const char *v, char *err, size_t errlen)
{
	if (strcmp(v, "path") != 0 && strcmp(v, "virtual") != 0)
		return fail(err, errlen, "is not path or virtual", v);
	return store_text(k, base, v);
}

static int
set_cipher(const struct conf_key *k, void *base, const char *v, char *err, size_t errlen)
{
	if (conf_cipher_parse(v, SLOT(k, base, enum conf_cipher)) < 0)
		return fail(err, errlen, "is not aes-256-gcm or none", v);
	return 0;
}

/* none, zstd or zstd:LEVEL; the level into k->aux. */
static int
set_compression(const struct conf_key *k, void *base, const char *v, char *err, size_t errlen)
{
	long level = 1;

	if (strcasecmp(v, "none") == 0) {
		*SLOT(k, base, enum conf_compression) = CONF_COMP_NONE;
		return 0;
	}
	if (strncasecmp(v, "zstd", 4) != 0 || (v[4] != '\0' && v[4] != ':'))
		return fail(err, errlen, "is not zstd, zstd:LEVEL or none", v);
	if (v[4] == ':') {
		char *end;

		level = strtol(v + 5, &end, 10);
		if (v[5] == '\0' || *end != '\0' || level < 1 || level > 19)
			return fail(err, errlen, "has a zstd level outside 1-19", v);
	}
	*SLOT(k, base, enum conf_compression) = CONF_COMP_ZSTD;
	*AUX(k, base, int) = (int)level;
	return 0;
}

static int
set_list(const struct conf_key *k, void *base, const char *v, char *err, size_t errlen)
{
	struct strlist *l = SLOT(k, base, struct strlist);

	strlist_clear(l);
	if (strlist_split(l, v) == 0)
		return fail(err, errlen, "must list at least one name or glob", NULL);
	return 0;
}

static int
set_cron(const struct conf_key *k, void *base, const char *v, char *err, size_t errlen)
{
	struct cron cr;
	char why[160];

	if (cron_parse(v, &cr, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "'%.64s' is not a valid schedule: %s", v, why);
		return -1;
	}
	return store_text(k, base, v);
}

static int
set_quiesce(const struct conf_key *k, void *base, const char *v, char *err, size_t errlen)
{
	if (conf_quiesce_parse(v, SLOT(k, base, enum conf_quiesce)) < 0)
		return fail(err, errlen, "is not require, try or off", v);
	return 0;
}

static int
set_webhook(const struct conf_key *k, void *base, const char *v, char *err, size_t errlen)
{
	/* Never echoed: a webhook's path is often its token. */
	if (check_http_url(v, err, errlen) < 0) {
		snprintf(err, errlen, "is not an http:// or https:// URL with a host");
		return -1;
	}
	return store_text(k, base, v);
}

static int
set_mail_list(const struct conf_key *k, void *base, const char *v, char *err, size_t errlen)
{
	struct strlist *l = SLOT(k, base, struct strlist);

	strlist_clear(l);
	if (strlist_split(l, v) == 0)
		return fail(err, errlen, "must list at least one address", NULL);
	for (size_t i = 0; i < l->n; i++)
		if (!valid_address(l->v[i]))
			return fail(err, errlen, "is not a mail address such as root@example.org",
			    l->v[i]);
	return 0;
}

static int
set_notify_on(const struct conf_key *k, void *base, const char *v, char *err, size_t errlen)
{
	if (strcmp(v, "failure") == 0)
		*SLOT(k, base, bool) = false;
	else if (strcmp(v, "always") == 0)
		*SLOT(k, base, bool) = true;
	else
		return fail(err, errlen, "is not failure or always", v);
	return 0;
}

/* An Object Lock mode; none leaves it unset. */
static int
set_lock_mode(const struct conf_key *k, void *base, const char *v, char *err, size_t errlen)
{
	char **slot = SLOT(k, base, char *);

	if (strcmp(v, "none") == 0) {
		free(*slot);
		*slot = NULL;
		return 0;
	}
	if (strcmp(v, "governance") != 0 && strcmp(v, "compliance") != 0)
		return fail(err, errlen, "is not governance, compliance or none", v);
	return store_text(k, base, v);
}

/* One setter per type. */
static setter *const setters[] = {
	[CONF_T_STRING] = set_nonempty,
	[CONF_T_PATH] = set_path,
	[CONF_T_PATH_OR_EMPTY] = set_path,
	[CONF_T_URI] = set_uri,
	[CONF_T_REPO_URL] = set_repo_url,
	[CONF_T_HTTP_URL] = set_http_url,
	[CONF_T_REGION] = set_region,
	[CONF_T_LOG_LEVEL] = set_log_level,
	[CONF_T_BOOL] = set_bool,
	[CONF_T_DURATION] = set_duration,
	[CONF_T_SECRET] = set_credential,
	[CONF_T_ACCESS_KEY] = set_credential,
	[CONF_T_CIPHER] = set_cipher,
	[CONF_T_COMPRESSION] = set_compression,
	[CONF_T_CHUNK_SIZE] = set_chunk_size,
	[CONF_T_LIST] = set_list,
	[CONF_T_CRON] = set_cron,
	[CONF_T_QUIESCE] = set_quiesce,
	[CONF_T_INT] = set_int,
	[CONF_T_ZONE] = set_zone,
	[CONF_T_COMMAND] = set_nonempty,
	[CONF_T_ADDRESSING] = set_addressing,
	[CONF_T_SIZE] = set_size,
	[CONF_T_NAME] = set_name,
	[CONF_T_COUNT] = set_count,
	[CONF_T_WEBHOOK] = set_webhook,
	[CONF_T_MAIL_LIST] = set_mail_list,
	[CONF_T_NOTIFY_ON] = set_notify_on,
	[CONF_T_LOCK_MODE] = set_lock_mode,
};

int
conf_keys_set(const struct conf_key *k, void *base, const char *v, char *err,
    size_t errlen)
{
	if ((size_t)k->type >= sizeof(setters) / sizeof(setters[0]) || setters[k->type] == NULL)
		return fail(err, errlen, "has an unknown type", NULL);
	return setters[k->type](k, base, v, err, errlen);
}
