/*
 * Reading an archive to import (archive_import.c): everything in it is
 * hostile until checked. The input decoded in-process only, each entry's
 * declared size and sparse map checked before its data is read, and the
 * data read block by block against that map.
 */
#ifndef VV_REPO_ARCHIVE_INT_H
#define VV_REPO_ARCHIVE_INT_H

#include <archive.h>
#include <archive_entry.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/crypto.h"

struct archive_in;

/*
 * archive_in_open: a libarchive reader of the tar archive on FD (LABEL in
 * messages), which decodes gzip, bzip2, xz, zstd and lz4 in this process
 * and nothing else (never an outside program). Into *A; free it with
 * archive_in_close. Returns 0, or -1 (logged).
 */
int archive_in_open(int fd, const char *label, struct archive_in **in, struct archive **a);

/*
 * archive_in_unknown: log why A's first header was refused (LABEL): a
 * compression virtvault does not decode, named, or not an archive.
 */
void archive_in_unknown(struct archive_in *in, struct archive *a, const char *label);

/* archive_in_close: free IN and its reader (NULL: nothing). */
void archive_in_close(struct archive_in *in, struct archive *a);

/*
 * archive_in_check: entry E's declared size (at most ARCHIVE_SIZE_MAX) and
 * sparse map (in order, without overlaps, inside the size), before a byte
 * is read. PATH names E (escaped). The data bytes the map promises into
 * *DATA. Returns 0, or -1 (logged, naming the entry).
 */
int archive_in_check(struct archive_entry *e, const char *label, const char *path, uint64_t *data);

/* One entry being read into the repository: the source of backup_add_source. */
struct entry_reader {
	struct archive *a;
	const char *label;
	const char *name;	/* escaped, for messages */
	uint64_t size;		/* the entry's declared size */
	uint64_t data_want;	/* the data bytes its sparse map promises */
	uint64_t data_got;	/* the data bytes libarchive handed out */
	const uint8_t *block;	/* the current data block, and what is left of it */
	size_t blen;
	uint64_t boff;		/* its offset in the file: never behind pos */
	bool eof;
	uint64_t pos;		/* bytes handed out so far */
	uint64_t zeros;		/* hole bytes not hashed yet (see archive_in_zeros) */
	struct crypto_sha *sha;
	uint8_t head[4];	/* the first bytes: qcow2 or raw */
	const volatile sig_atomic_t *cancel;
};

/*
 * archive_in_read: a backup_source's read: LEN bytes at OFF (== pos) from
 * the entry's blocks, holes between them zeros (*ZERO when all are). A
 * block out of order, overlapping or beyond the size is refused. Returns
 * 0 or -1 (logged).
 */
int archive_in_read(void *ctx, uint8_t *buf, size_t len, uint64_t off, bool *zero);

/*
 * archive_in_finish: the entry's end: no data after its declared size,
 * and exactly the data bytes its map promised. Returns 0 or -1 (logged).
 */
int archive_in_finish(struct entry_reader *er);

/*
 * archive_in_zeros: hash *ZEROS zero bytes into H (the holes not hashed
 * yet: only once data follows them, or when a MANIFEST.json asks for the
 * SHA-256, so a plain tar's holes cost nothing); *ZEROS becomes 0.
 */
void archive_in_zeros(struct crypto_sha *h, uint64_t *zeros);

#endif
