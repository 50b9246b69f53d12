/*
 * The restore's writes and read-backs of one target (a new file or a
 * block device). Aligned pieces go through a second, direct-I/O
 * descriptor of the same target: no page cache is filled (nor thrashed)
 * with an image nobody reads, no copy into it, and workers writing at
 * their own offsets do not queue on the file's lock. What direct I/O
 * cannot take (an unaligned tail, a file system that refuses it) goes
 * through the ordinary descriptor. Durability is the caller's fsync, as
 * before: direct I/O alone promises nothing about the disk's cache or the
 * file's block map.
 */
#ifndef VV_RESTORE_IO_H
#define VV_RESTORE_IO_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "repo/index.h"

/* Direct I/O wants buffers, offsets and lengths aligned to this. */
#define RESTORE_IO_ALIGN 4096

struct restore_io {
	int fd;			/* borrowed: buffered, always usable */
	int direct;		/* the same target opened with O_DIRECT, or -1 */
	atomic_bool direct_off;	/* direct I/O refused once: buffered from then on */
};

/*
 * restore_io_open: IO for FD (borrowed, kept open by the caller), with a
 * direct descriptor of the same file or device when the system gives one
 * (reopened through /proc/self/fd, so it is the same inode whatever the
 * name points to now); without one, every piece is buffered.
 */
void restore_io_open(struct restore_io *io, int fd);

/* restore_io_direct: whether IO writes directly (no page cache). */
bool restore_io_direct(const struct restore_io *io);

/* restore_io_close: close the direct descriptor (not FD). */
void restore_io_close(struct restore_io *io);

/*
 * restore_io_reserve: allocate the blocks of IX's non-zero chunks of a
 * file of SIZE bytes (a run of them at a time; zero chunks stay holes),
 * so that direct writes find their blocks allocated and run in parallel.
 * Only for a file written directly; nothing to do otherwise. Returns 0
 * (also when the file system cannot preallocate), or -1 with errno set
 * and *AT the offset of the run that failed (not logged: no space).
 */
int restore_io_reserve(struct restore_io *io, const struct index *ix, uint64_t size,
    uint64_t *at);

/*
 * restore_io_buf: a buffer of LEN bytes aligned for direct I/O (free()).
 */
void *restore_io_buf(size_t len);

/*
 * restore_io_write: LEN bytes of BUF (from restore_io_buf) at OFF.
 * Returns 0, or -1 with errno set and *AT the offset that failed (not
 * logged: the caller names the file).
 */
int restore_io_write(struct restore_io *io, const uint8_t *buf, size_t len, uint64_t off,
    uint64_t *at);

/*
 * restore_io_read: LEN bytes at OFF into BUF (from restore_io_buf), from
 * the disk when written directly. Returns 0, or -1 with errno set (0: the
 * file ended early) and *AT the offset that failed (not logged).
 */
int restore_io_read(struct restore_io *io, uint8_t *buf, size_t len, uint64_t off, uint64_t *at);

#endif
