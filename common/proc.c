#include "common/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"

/* Read at most LEN - 1 bytes of PATH into BUF; the count, or -1. */
static ssize_t
read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t got = 0;

	if (fd < 0)
		return -1;
	while (got < len - 1) {
		ssize_t r = read(fd, buf + got, len - 1 - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	buf[got] = '\0';
	return (ssize_t)got;
}

int
proc_start_time(pid_t pid, unsigned long long *start)
{
	char path[64], buf[1024], *p, *end;
	unsigned long long v;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_small(path, buf, sizeof(buf)) <= 0)
		return -1;
	/* pid (comm) state ...: comm may hold anything, the last ')' ends it. */
	p = strrchr(buf, ')');
	if (p == NULL || p[1] != ' ' || p[2] == '\0')
		return -1;
	if (p[2] == 'Z' || p[2] == 'X')
		return -1;
	/* Field 22 (starttime) is the 20th after the closing parenthesis. */
	p += 2;
	for (int field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (p == NULL)
			return -1;
		p++;
	}
	errno = 0;
	v = strtoull(p, &end, 10);
	if (errno != 0 || end == p)
		return -1;
	*start = v;
	return 0;
}

int
proc_is(pid_t pid, unsigned long long start, const char *program, const char *arg)
{
	char path[64], buf[8192];
	unsigned long long now;
	ssize_t n;
	const char *base;
	int named = 0, has_arg = 0;

	if (proc_start_time(pid, &now) < 0 || now != start)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	n = read_small(path, buf, sizeof(buf));
	if (n <= 0)
		return 0;
	base = strrchr(buf, '/') ? strrchr(buf, '/') + 1 : buf;
	named = strcmp(base, program) == 0;
	for (const char *a = buf + strlen(buf) + 1; a < buf + n; a += strlen(a) + 1)
		if (strcmp(a, arg) == 0)
			has_arg = 1;
	return named && has_arg;
}

/* Whether the process recorded as PID/START is gone. */
static int
gone(pid_t pid, unsigned long long start)
{
	unsigned long long now;

	return proc_start_time(pid, &now) < 0 || now != start;
}

int
proc_end(pid_t pid, unsigned long long start, int grace_ms)
{
	int killed = 0;

	if (gone(pid, start))
		return 0;
	kill(pid, SIGTERM);
	for (int waited = 0; waited < grace_ms + 5000; waited += 10) {
		if (gone(pid, start))
			return 0;
		if (waited >= grace_ms && !killed) {
			kill(pid, SIGKILL);
			killed = 1;
		}
		usleep(10000);
	}
	log_error("process %d does not end", (int)pid);
	return -1;
}
