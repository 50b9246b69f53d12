/*
 * The table of configuration keys: their sections, types, parsing and
 * printing. Internal to conf/.
 */
#ifndef VV_CONF_KEYS_H
#define VV_CONF_KEYS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "conf/conf.h"

enum conf_section {
	CONF_SEC_AGENT = 0,
	CONF_SEC_REPOSITORY = 1,
	CONF_SEC_NOTIFY = 2,
	CONF_SEC_JOB = 3,
};

enum conf_type {
	CONF_T_STRING,		/* any non-empty text */
	CONF_T_PATH,		/* an absolute path */
	CONF_T_PATH_OR_EMPTY,	/* an absolute path, or empty */
	CONF_T_URI,		/* a libvirt URI */
	CONF_T_REPO_URL,	/* file:///PATH or s3://BUCKET[/PREFIX] */
	CONF_T_HTTP_URL,	/* http(s)://HOST[:PORT][/] */
	CONF_T_REGION,
	CONF_T_LOG_LEVEL,
	CONF_T_BOOL,
	CONF_T_DURATION,	/* seconds, from "90", "30s", "5m", "1h30m" */
	CONF_T_SECRET,		/* a string that is never printed */
	CONF_T_ACCESS_KEY,	/* a key id: printed, with its source */
	CONF_T_CIPHER,
	CONF_T_COMPRESSION,
	CONF_T_CHUNK_SIZE,
	CONF_T_LIST,		/* names or globs */
	CONF_T_CRON,
	CONF_T_QUIESCE,
	CONF_T_INT,		/* a whole number (int) from lo to hi */
	CONF_T_ZONE,		/* an IANA time zone */
	CONF_T_COMMAND,		/* a shell command line */
	CONF_T_ADDRESSING,	/* path or virtual */
	CONF_T_SIZE,		/* a size such as 50M, at least lo */
	CONF_T_NAME,		/* a name for object names (util_name_valid) */
	CONF_T_COUNT,		/* a whole number (unsigned) from lo to hi */
	CONF_T_WEBHOOK,		/* an http(s) URL that may hold a token: printed without its path */
	CONF_T_MAIL_LIST,	/* mail addresses */
	CONF_T_NOTIFY_ON,	/* failure or always */
	CONF_T_LOCK_MODE,	/* governance, compliance or none (NULL) */
};

#define CONF_NKEYS 96

/*
 * A key: where its value lives and how it is checked. Every rule of a
 * single key is here, none is picked by its name: the bounds of numbers,
 * durations and sizes, and the companion field some types also set.
 */
struct conf_key {
	enum conf_section section;
	const char *name;
	enum conf_type type;
	size_t offset;		/* in struct conf, or struct conf_job for jobs */
	const char *help;	/* one line, for the example file and errors */
	/*
	 * CONF_T_INT, CONF_T_COUNT: the whole numbers allowed, LO to HI;
	 * CONF_T_DURATION: at least LO seconds (0 for a delay, 1 for a
	 * timeout), at most HI when HI is not 0; CONF_T_SIZE: at least LO bytes, BELOW the reason for a
	 * smaller one; CONF_T_CHUNK_SIZE: a power of two from LO to HI.
	 */
	uint64_t lo, hi;
	const char *below;
	/*
	 * The companion field, in the same struct: CONF_T_SECRET and
	 * CONF_T_ACCESS_KEY its source (enum conf_source), CONF_T_COMPRESSION
	 * the zstd level (int).
	 */
	size_t aux;
};

/* conf_keys_index: K's position in the table, below CONF_NKEYS. */
size_t conf_keys_index(const struct conf_key *k);

/* conf_keys_find: the key NAME of SECTION, or NULL. */
const struct conf_key *conf_keys_find(int section, const char *name);

/* conf_keys_closest: a key of SECTION within two edits of NAME, or NULL. */
const char *conf_keys_closest(int section, const char *name);

/* conf_section_name: "[agent]", "[repository]", "[notify]" or "[job]". */
const char *conf_section_name(int section);

/*
 * conf_keys_set: parse VALUE for K into BASE (a struct conf, or a struct
 * conf_job for job keys). Returns 0, or -1 with the reason in ERR; the
 * reason never quotes a secret.
 */
int conf_keys_set(const struct conf_key *k, void *base, const char *value,
    char *err, size_t errlen);

/* conf_keys_count, conf_keys_at: walk the table. */
size_t conf_keys_count(void);
const struct conf_key *conf_keys_at(size_t i);

/* conf_keys_print: "name = value" of K from BASE, secrets redacted. */
void conf_keys_print(const struct conf_key *k, const void *base, FILE *out);

#endif
