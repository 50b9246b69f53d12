/*
 * Faults at the system boundary for the fault suite (LD_PRELOAD; never
 * part of virtvault):
 *
 *   VV_SHIM_EIO=SUBSTR:OFFSET   pread() of a file whose path holds SUBSTR
 *                               fails with EIO from OFFSET on
 *   VV_SHIM_ENOSPC=SUBSTR[:N]   the Nth (default 1st) write() to a file
 *                               whose path holds SUBSTR fails with ENOSPC,
 *                               and every later one too
 *   VV_SHIM_WEIO=SUBSTR:OFFSET  pwrite() to a file whose path holds
 *                               SUBSTR at OFFSET or beyond fails with EIO
 *   VV_SHIM_SLOW=SUBSTR:MS      read(), pread() and pwrite() of a file
 *                               whose path holds SUBSTR take MS
 *                               milliseconds more (a slow disk or store)
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

static int
fd_path_has(int fd, const char *want, size_t wl)
{
	char link[64], path[4096];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n <= 0)
		return 0;
	path[n] = '\0';
	return memmem(path, (size_t)n, want, wl) != NULL;
}

/* SPEC "SUBSTR:NUM" (NUM optional): the substring into BUF, the number. */
static int
spec(const char *env, char *buf, size_t len, long long *num, long long dflt)
{
	const char *v = getenv(env), *colon;

	if (v == NULL || *v == '\0')
		return 0;
	colon = strrchr(v, ':');
	*num = dflt;
	if (colon != NULL) {
		*num = atoll(colon + 1);
		snprintf(buf, len, "%.*s", (int)(colon - v), v);
	} else {
		snprintf(buf, len, "%s", v);
	}
	return 1;
}

static void
slow_check(int fd)
{
	char want[1024];
	long long ms;

	if (spec("VV_SHIM_SLOW", want, sizeof(want), &ms, 0) && ms > 0 &&
	    fd_path_has(fd, want, strlen(want)))
		usleep((useconds_t)(ms * 1000));
}

static ssize_t
eio_check(int fd, off_t off)
{
	slow_check(fd);
	char want[1024];
	long long from;

	if (spec("VV_SHIM_EIO", want, sizeof(want), &from, 0) && off >= from &&
	    fd_path_has(fd, want, strlen(want))) {
		errno = EIO;
		return -1;
	}
	return 0;
}

/* Whether a pwrite() of FD at OFF fails (VV_SHIM_WEIO), errno set. */
static int
weio_check(int fd, off_t off)
{
	char want[1024];
	long long from;

	slow_check(fd);
	if (spec("VV_SHIM_WEIO", want, sizeof(want), &from, 0) && off >= from &&
	    fd_path_has(fd, want, strlen(want))) {
		errno = EIO;
		return -1;
	}
	return 0;
}

ssize_t
pread(int fd, void *buf, size_t n, off_t off)
{
	static ssize_t (*real)(int, void *, size_t, off_t);

	if (real == NULL)
		real = (ssize_t (*)(int, void *, size_t, off_t))dlsym(RTLD_NEXT, "pread");
	if (eio_check(fd, off) < 0)
		return -1;
	return real(fd, buf, n, off);
}

ssize_t
pread64(int fd, void *buf, size_t n, off_t off)
{
	static ssize_t (*real)(int, void *, size_t, off_t);

	if (real == NULL)
		real = (ssize_t (*)(int, void *, size_t, off_t))dlsym(RTLD_NEXT, "pread64");
	if (eio_check(fd, off) < 0)
		return -1;
	return real(fd, buf, n, off);
}

ssize_t
write(int fd, const void *buf, size_t n)
{
	static ssize_t (*real)(int, const void *, size_t);
	static long long seen;
	char want[1024];
	long long nth;

	if (real == NULL)
		real = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
	if (fd > 2 && spec("VV_SHIM_ENOSPC", want, sizeof(want), &nth, 1) &&
	    fd_path_has(fd, want, strlen(want)) && __atomic_add_fetch(&seen, 1, __ATOMIC_SEQ_CST) >= nth) {
		errno = ENOSPC;
		return -1;
	}
	return real(fd, buf, n);
}

ssize_t
pwrite(int fd, const void *buf, size_t n, off_t off)
{
	static ssize_t (*real)(int, const void *, size_t, off_t);

	if (real == NULL)
		real = (ssize_t (*)(int, const void *, size_t, off_t))dlsym(RTLD_NEXT, "pwrite");
	if (weio_check(fd, off) < 0)
		return -1;
	return real(fd, buf, n, off);
}

ssize_t
pwrite64(int fd, const void *buf, size_t n, off_t off)
{
	static ssize_t (*real)(int, const void *, size_t, off_t);

	if (real == NULL)
		real = (ssize_t (*)(int, const void *, size_t, off_t))dlsym(RTLD_NEXT, "pwrite64");
	if (weio_check(fd, off) < 0)
		return -1;
	return real(fd, buf, n, off);
}

ssize_t
read(int fd, void *buf, size_t n)
{
	static ssize_t (*real)(int, void *, size_t);

	if (real == NULL)
		real = (ssize_t (*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
	if (fd > 2 && getenv("VV_SHIM_SLOW") != NULL)
		slow_check(fd);
	return real(fd, buf, n);
}
