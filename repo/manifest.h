/*
 * Manifests: one per backup, snapshots/NAME/TIME-ID, JSON inside the codec
 * (kind 'M'). Written last: the commit point of a backup.
 */
#ifndef VV_MANIFEST_H
#define VV_MANIFEST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "common/util.h"
#include "repo/repo.h"

struct backup_stats {
	uint64_t bytes_read;
	uint64_t chunks_total;
	uint64_t chunks_new;
	uint64_t chunks_reused;
	uint64_t chunks_zero;
	uint64_t chunks_patched;	/* format 3: changed chunks stored as a patch */
	uint64_t bytes_stored;
	double seconds;
};

#define MANIFEST_KIND_NVRAM "nvram"
#define MANIFEST_KIND_TPM "tpm"

struct manifest_file {
	char *name;		/* file name to restore as (unique in the backup) */
	char *path;		/* where it was read */
	char *disk;		/* disk target, or NULL for plain images */
	/* What the file is to its domain: NULL for a disk image, or
	 * MANIFEST_KIND_NVRAM (UEFI variables), MANIFEST_KIND_TPM (emulated
	 * TPM state, one file of its folder). */
	char *kind;
	char *format;		/* "qcow2" or "raw" */
	uint64_t size;
	char sha256[65];	/* whole-file SHA-256 (manifests 1 and 2), or "" */
	char digest[65];	/* chunk digest (manifest 3 on): index_digest of its index */
	char *index;		/* key of its index object */
	uint64_t chunks;
	uint64_t zero_chunks;
	/* How its bytes were read: "incremental" or "full" (and why), or NULL. */
	char *read_mode;
	char *read_reason;
	uint64_t bytes_skipped;	/* not read: unchanged since the reference */
	/* Changed-block tracking: the checkpoint taken before this snapshot
	 * and the SHA-256 of the image's cluster map in the snapshot window
	 * (the next run's reference), or NULL. */
	char *cbt_checkpoint;
	char cbt_map[65];
};

/*
 * The manifest's own version. 1 and 2 (the repository format they were
 * written in) record each file's whole SHA-256; 3 records the chunk digest
 * instead, so that a file need not be read whole.
 */
#define MANIFEST_VERSION 3
#define MANIFEST_OLDEST 1

struct manifest {
	int format;		/* manifest version (MANIFEST_VERSION when written) */
	char *key;		/* snapshots/HOST/NAME/TIME-ID (1: snapshots/NAME/TIME-ID) */
	char *name;
	char id[17];
	char time[32];		/* 2026-11-25T22:45:00Z */
	time_t when;		/* the same, parsed (manifest_from_json) */
	/* Its time lies ahead of this host's clock (util_time_future, set by
	 * manifest_load_all): listed, never @latest, ignored by retention. */
	bool future;
	char *host;		/* the [agent] host that made it */
	char *version;
	char *source_type;	/* "images" or "domain" */
	char *domain_xml;	/* or NULL */
	char *domain_xml_inactive;
	int quiesced;		/* -1 unknown/not applicable, 0, 1 */
	uint32_t chunk_size;
	struct manifest_file *files;
	size_t nfiles;
	struct backup_stats stats;
};

/*
 * manifest_name_valid: whether NAME may name a file of a snapshot: a name,
 * or FOLDER/NAME (one level), each part a safe file name.
 */
bool manifest_name_valid(const char *name);

/* manifest_to_json: the manifest as JSON text, a new string. */
char *manifest_to_json(const struct manifest *m);

/*
 * manifest_from_json: parse TEXT (object KEY) into a new manifest. Returns
 * NULL with the reason in ERR when it is not a valid manifest.
 */
struct manifest *manifest_from_json(const char *text, const char *key, char *err,
    size_t errlen);

void manifest_free(struct manifest *m);

/*
 * manifest_time_check: whether T can be a snapshot's time at NOW: within
 * 1970 to 9999 (util_time_in_range) and not in the future
 * (util_time_future: more than UTIL_CLOCK_SKEW ahead of NOW). Every way a
 * snapshot gets its time (backup, --time, import) goes through it.
 * Returns 0, or -1 with the reason in ERR (not logged).
 */
int manifest_time_check(time_t t, time_t now, char *err, size_t errlen);

/*
 * manifest_time_parse: TEXT (as a manifest writes it, util_parse_time)
 * into *T, checked by manifest_time_check. Returns 0, or -1 with the
 * reason in ERR (not logged).
 */
int manifest_time_parse(const char *text, time_t now, time_t *t, char *err, size_t errlen);

/*
 * manifest_list_keys: append to KEYS the manifest keys under PREFIX: those
 * listed, and those a delete marker hides in a versioned bucket (warned:
 * their older version is read), but not those a forget request hides
 * (docs/FORMAT.md, "forget/"). Returns 0 or -1 (logged; KEYS as it was).
 */
int manifest_list_keys(struct repo *r, const char *prefix, struct strlist *keys);

/*
 * manifest_load_all: every manifest of HOST and NAME (NULL: any), newest
 * first. Unreadable manifests are logged and counted in *BAD. A manifest
 * whose time is in the future is kept in the list with FUTURE set and a
 * warning logged. Returns 0 or -1 (the listing failed, logged).
 */
int manifest_load_all(struct repo *r, const char *host, const char *name,
    struct manifest ***out, size_t *n, size_t *bad);

/*
 * manifest_load_many: the manifests of the N keys KEYS into OUT (N
 * slots; NULL where one cannot be read, logged), read by up to
 * [repository] read_parallel threads at once. Returns how many were read.
 */
size_t manifest_load_many(struct repo *r, char *const *keys, size_t n, struct manifest **out);

/*
 * manifest_find: the manifest REF names in R, as manifest_resolve would
 * find it among every manifest of R, from the keys where it can:
 * [HOST/]NAME@latest lists snapshots/HOST/NAME/ and reads the newest
 * manifest whose key's time is not in the future; an ID or NAME@ID lists
 * keys and reads only the one that matches. The manifest read must agree
 * with its key (host, name, time, ID), else it is skipped (logged). A
 * repository of version 1 (no host in its keys) is read whole. Returns 0
 * with *OUT (free with manifest_free), 1 with the reason in ERR (none,
 * ambiguous, not a selector; not logged), or -1 (logged: the listing or
 * the one manifest named could not be read).
 */
int manifest_find(struct repo *r, const char *ref, struct manifest **out, char *err,
    size_t errlen);

/*
 * manifest_load: the manifest KEY. Returns 0 with *OUT, VV_NOT_FOUND (not
 * logged), or -1 (logged: unreadable, invalid).
 */
int manifest_load(struct repo *r, const char *key, struct manifest **out);

/* manifest_host: M's host, "" when it records none. */
const char *manifest_host(const struct manifest *m);

/* manifest_file_of_kind: the first file of M of KIND (MANIFEST_KIND_*), or NULL. */
const struct manifest_file *manifest_file_of_kind(const struct manifest *m, const char *kind);

/* manifest_group_cmp: A's group (host, then name) against B's, as strcmp. */
int manifest_group_cmp(const struct manifest *a, const struct manifest *b);

/* manifest_same_group: whether A and B are snapshots of one (host, name). */
bool manifest_same_group(const struct manifest *a, const struct manifest *b);

void manifest_list_free(struct manifest **l, size_t n);

/*
 * manifest_resolve: the manifest REF names among L (N of them, newest
 * first): an ID or unique ID prefix, [HOST/]NAME@latest (HOST: this host,
 * HERE, when not given; the newest not in the future), or
 * [HOST/]NAME@ID (an ID or unique prefix among NAME's snapshots, of HOST
 * when given). A bare ID prefix that is also a NAME in L is ambiguous.
 * Returns its position, or -1 with the reason in ERR (none, ambiguous; a
 * NAME found only on other hosts is named).
 */
long manifest_resolve(struct manifest *const *l, size_t n, const char *ref,
    const char *here, char *err, size_t errlen);

/*
 * manifest_selector_valid: whether REF can name a snapshot at all (the
 * grammar manifest_resolve reads): 4 to 16 lower-case hex digits, or
 * [HOST/]NAME@latest or [HOST/]NAME@ID with valid names.
 */
bool manifest_selector_valid(const char *ref);

/* manifest_print: a readable view of M. */
void manifest_print(const struct manifest *m, FILE *out);

#endif
