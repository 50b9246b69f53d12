/*
 * Repositories over the in-memory store (store_mem.h) for unit tests: a
 * configuration, a repository made and opened in a new store, backups of
 * small files, and the check that a repository is consistent after a
 * fault: every manifest readable, every index and chunk it needs there.
 */
#ifndef VV_MEMREPO_H
#define VV_MEMREPO_H

#include <stddef.h>
#include <time.h>

#include "conf/conf.h"
#include "repo/repo.h"

/*
 * memrepo_conf: into C, an unencrypted repository of host "unit" with 4
 * KiB chunks (PASSWORD NULL), or an encrypted one with PASSWORD (not
 * copied); no waiting for locks.
 */
void memrepo_conf(struct conf *c, char *password);

/* memrepo_new: a repository of C made in a new in-memory store, opened; NULL (logged). */
struct repo *memrepo_new(const struct conf *c);
/* memrepo_new_format: memrepo_new, of repository format VERSION. */
struct repo *memrepo_new_format(const struct conf *c, int version);

/* memrepo_reopen: R closed and opened again from a copy of its objects, without faults. */
struct repo *memrepo_reopen(struct repo *r);

/*
 * memrepo_file: a file under DIR named NAME of SIZE bytes, chunk I of 4
 * KiB holding byte SEED + I; its path, a new string.
 */
char *memrepo_file(const char *dir, const char *name, size_t size, unsigned seed);

/* memrepo_backup: back up file PATH as "disk.raw" of snapshot NAME made at T. 0 or -1. */
int memrepo_backup(struct repo *r, const char *name, const char *path, time_t t);

/*
 * memrepo_check: whether R is consistent: every manifest can be read and
 * every index and every chunk it references is there. The first problem
 * into WHY. Returns 0, or -1. Clears R's store of faults first.
 */
int memrepo_check(struct repo *r, char *why, size_t len);

/* memrepo_quiet / memrepo_loud: stderr to /dev/null and back (fault loops). */
void memrepo_quiet(void);
void memrepo_loud(void);

#endif
