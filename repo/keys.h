/*
 * The keys of an encrypted repository: key objects keys/KID, each the
 * master key wrapped under one password (docs/FORMAT.md), and the master
 * key exported to a file for safekeeping.
 */
#ifndef VV_KEYS_H
#define VV_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "repo/repo.h"

struct repo_key_info {
	char kid[17];
	uint64_t n;		/* scrypt work factor */
	char created[32];	/* "" when the key object does not say */
	char host[160];
	bool current;		/* the one that opened the repository */
	int version;		/* 1, or 2: it records that the config has a MAC */
};

/* repo_keys_list: the key objects of R into a new array *OUT of *N (free()). 0 or -1. */
int repo_keys_list(struct repo *r, struct repo_key_info **out, size_t *n);

/* repo_key_add: a new key object for PASSWORD; its KID into KID. 0 or -1 (logged). */
int repo_key_add(struct repo *r, const char *password, char kid[17]);

/*
 * repo_key_passwd: a new key for PASSWORD (KID into KID), then the key
 * that opened R is removed. Returns 0 or -1 (logged; the old key stays
 * unless the new one is in place).
 */
int repo_key_passwd(struct repo *r, const char *password, char kid[17]);

/*
 * repo_key_remove: delete key KID (a unique prefix will do); never the
 * last one, nor the one that opened R. Returns 0 or -1 (logged).
 */
int repo_key_remove(struct repo *r, const char *kid);

/* repo_key_current: the KID that opened R ("" when opened with an exported key). */
const char *repo_key_current(const struct repo *r);

struct repo_upgrade {
	bool config;		/* the config's MAC was written now */
	char old_kid[17];	/* the key object replaced now, "" when none */
	char new_kid[17];	/* its replacement, of version 2 */
};

/*
 * repo_key_upgrade: close the window of a repository made before its
 * parameters were authenticated (docs/SECURITY.md): write the config's
 * MAC if it has none, then replace the key object that opened R, if of
 * version 1, by one of version 2 under the same password (read again
 * from R's configuration). Other key objects of version 1 stay (each
 * needs its password). What was done into *U. Returns 0 or -1 (logged).
 */
int repo_key_upgrade(struct repo *r, struct repo_upgrade *u);

/*
 * repo_key_export: write the master key and the repository's ID to FILE
 * (created, mode 0600; an existing file is refused), or to the standard
 * output when FILE is "-", in a printable form. Returns 0 or -1 (logged).
 */
int repo_key_export(struct repo *r, const char *file);

#endif
