#include "repo/restore_io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/util.h"
#include "repo/repo.h"

void
restore_io_open(struct restore_io *io, int fd)
{
	char path[64];

	io->fd = fd;
	atomic_init(&io->direct_off, false);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	/* Not O_EXCL: a device's exclusive claim is FD's, and stays. */
	io->direct = open(path, O_RDWR | O_DIRECT | O_CLOEXEC);
}

bool
restore_io_direct(const struct restore_io *io)
{
	return io->direct >= 0 && !atomic_load(&io->direct_off);
}

void
restore_io_close(struct restore_io *io)
{
	if (io->direct >= 0)
		close(io->direct);
	io->direct = -1;
}

int
restore_io_reserve(struct restore_io *io, const struct index *ix, uint64_t size, uint64_t *at)
{
	uint32_t cs = ix->chunk_size;

	if (!restore_io_direct(io))
		return 0;
	for (uint64_t i = 0; i < ix->count;) {
		uint64_t end = i;

		if (index_slot_is_zero(ix, i)) {
			i++;
			continue;
		}
		while (end < ix->count && !index_slot_is_zero(ix, end))
			end++;
		/* KEEP_SIZE: the file's size is already set; never grows it. */
		if (fallocate(io->fd, FALLOC_FL_KEEP_SIZE, (off_t)(i * cs),
		    (off_t)((end * cs < size ? end * cs : size) - i * cs)) < 0) {
			if (errno == EOPNOTSUPP || errno == ENOSYS)
				return 0;
			*at = i * cs;
			return -1;
		}
		i = end;
	}
	return 0;
}

void *
restore_io_buf(size_t len)
{
	return xmalloc_aligned(RESTORE_IO_ALIGN, len);
}

/*
 * One piece, by pwrite (WRITE) or pread: all of LEN at OFF through FD.
 * Returns 0 or -1 (errno; 0 for an early end of file) with *AT set.
 */
static int
piece(int fd, bool write, uint8_t *buf, size_t len, uint64_t off, uint64_t *at)
{
	for (size_t done = 0; done < len;) {
		ssize_t n = write ? pwrite(fd, buf + done, len - done, (off_t)(off + done)) :
		    pread(fd, buf + done, len - done, (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = 0;
			*at = off + done;
			return -1;
		}
		done += (size_t)n;
	}
	return 0;
}

/* A write or read-back of LEN bytes at OFF: the aligned part directly, the rest buffered. */
static int
transfer(struct restore_io *io, bool write, uint8_t *buf, size_t len, uint64_t off,
    uint64_t *at)
{
	size_t head = 0;

	if (restore_io_direct(io) && off % RESTORE_IO_ALIGN == 0 &&
	    (uintptr_t)buf % RESTORE_IO_ALIGN == 0) {
		head = len - len % RESTORE_IO_ALIGN;
		if (head > 0 && piece(io->direct, write, buf, head, off, at) < 0) {
			/* A file system that takes the open but not the I/O: buffered from now on. */
			if (errno != EINVAL)
				return -1;
			atomic_store(&io->direct_off, true);
			head = 0;
		}
	}
	return piece(io->fd, write, buf + head, len - head, off + head, at);
}

int
restore_io_write(struct restore_io *io, const uint8_t *buf, size_t len, uint64_t off,
    uint64_t *at)
{
	return transfer(io, true, (uint8_t *)buf, len, off, at);
}

int
restore_io_read(struct restore_io *io, uint8_t *buf, size_t len, uint64_t off, uint64_t *at)
{
	return transfer(io, false, buf, len, off, at);
}
