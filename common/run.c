#include "common/run.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"

extern char **environ;

static bool
passed_on(const char *kv)
{
	static const char *const keep[] = { "PATH=", "HOME=", "USER=", "LOGNAME=", "LANG=",
		"LC_", "TZ=", "TMPDIR=" };

	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		if (strncmp(kv, keep[i], strlen(keep[i])) == 0)
			return true;
	return false;
}

char **
run_child_env(const char *const *extra)
{
	size_t n = 0, k = 0;
	char **env;

	for (char **e = environ; e && *e; e++)
		n++;
	for (const char *const *x = extra; x && *x; x++)
		n++;
	env = xcalloc(n + 1, sizeof(*env));
	for (char **e = environ; e && *e; e++)
		if (passed_on(*e))
			env[k++] = xstrdup(*e);
	for (const char *const *x = extra; x && *x; x++)
		env[k++] = xstrdup(*x);
	env[k] = NULL;
	return env;
}

void
run_env_free(char **env)
{
	for (size_t i = 0; env && env[i]; i++)
		free(env[i]);
	free(env);
}

/*
 * ARGV[0] as execve wants it: itself when it holds a '/', else the first
 * executable of that name in PATH (looked up here, before the fork: the
 * child of a threaded process should only call async-signal-safe code).
 * A new string, or NULL when there is none.
 */
static char *
find_program(const char *name)
{
	const char *path = getenv("PATH");

	if (strchr(name, '/') != NULL)
		return xstrdup(name);
	if (path == NULL || path[0] == '\0')
		path = "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin";
	for (const char *p = path; *p != '\0';) {
		size_t n = strcspn(p, ":");
		char *cand = n == 0 ? xasprintf("./%s", name) : xasprintf("%.*s/%s", (int)n, p, name);

		if (access(cand, X_OK) == 0)
			return cand;
		free(cand);
		p += n;
		if (*p == ':')
			p++;
	}
	return NULL;
}

/* FD as descriptor TO across an exec (async-signal-safe); 0 or -1. */
static int
dup_to(int fd, int to)
{
	if (fd == to)
		return fcntl(fd, F_SETFD, 0);
	return dup2(fd, to) < 0 ? -1 : 0;
}

/*
 * Start ARGV with the environment of run_child_env and FD0, FD1, FD2 as
 * its standard streams, BOUND to die with us: the kernel sends it SIGKILL
 * when this thread ends (PR_SET_PDEATHSIG; call it only from a thread that
 * outlives the child, here always the main one), and a child whose parent
 * died before that was set exits at once. So a reader holding an image
 * (qemu-nbd, qemu-img) never outlives a virtvault killed with -9. Returns
 * 0 with *PID, or an errno value (the program could not be started).
 */
static int
spawn_bound(char *const argv[], int fd0, int fd1, int fd2, bool bound, pid_t *pid)
{
	int report[2], err = 0;
	char *prog = find_program(argv[0]);
	char **env;
	pid_t parent = getpid(), p;
	ssize_t r;

	if (prog == NULL)
		return ENOENT;
	if (pipe2(report, O_CLOEXEC) < 0) {
		err = errno;
		free(prog);
		return err;
	}
	env = run_child_env(NULL);
	p = fork();
	if (p == 0) {
		/* Only async-signal-safe calls from here to exec. */
		if (bound && (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent))
			_exit(127);
		if (dup_to(fd0, 0) < 0 || dup_to(fd1, 1) < 0 || dup_to(fd2, 2) < 0)
			err = errno;
		else {
			execve(prog, argv, env);
			err = errno;
		}
		/* The exec failed: tell the parent why. */
		while (write(report[1], &err, sizeof(err)) < 0 && errno == EINTR)
			;
		_exit(127);
	}
	if (p < 0)
		err = errno;
	run_env_free(env);
	free(prog);
	close(report[1]);
	if (p > 0) {
		/* The pipe closes on a successful exec: nothing to read. */
		do
			r = read(report[0], &err, sizeof(err));
		while (r < 0 && errno == EINTR);
		if (r == (ssize_t)sizeof(err)) {
			while (waitpid(p, NULL, 0) < 0 && errno == EINTR)
				;
		} else {
			err = 0;
			*pid = p;
		}
	}
	close(report[0]);
	return err;
}

struct sink {
	char *buf;
	size_t len;
	size_t cap;
	int truncated;
};

/* Read what FD has into S; returns 0 at end of file, 1 for more, -1. */
static int
drain(int fd, struct sink *s)
{
	char tmp[8192];
	ssize_t r = read(fd, tmp, sizeof(tmp));

	if (r < 0)
		return errno == EINTR || errno == EAGAIN ? 1 : -1;
	if (r == 0)
		return 0;
	size_t take = (size_t)r;
	if (s->len + take > s->cap) {
		take = s->cap - s->len;
		s->truncated = 1;
	}
	memcpy(s->buf + s->len, tmp, take);
	s->len += take;
	return 1;
}

int
run_capture(char *const argv[], size_t cap, struct run_result *res)
{
	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 };
	struct sink out = { 0 }, err = { 0 };
	pid_t pid = -1;
	int rc, st, nul = -1, ret = -1;

	memset(res, 0, sizeof(*res));
	if (pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
		log_error("cannot run %s: pipe: %s", argv[0], strerror(errno));
		goto out;
	}
	nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
	rc = nul < 0 ? errno : spawn_bound(argv, nul, outp[1], errp[1], true, &pid);
	close(outp[1]);
	close(errp[1]);
	outp[1] = errp[1] = -1;
	if (rc != 0) {
		log_error("cannot run %s: %s", argv[0], strerror(rc));
		goto out;
	}

	out.buf = xmalloc(cap + 1);
	out.cap = cap;
	err.buf = xmalloc(cap + 1);
	err.cap = cap;
	for (int open_fds = 2; open_fds > 0;) {
		struct pollfd pf[2] = { { outp[0], POLLIN, 0 }, { errp[0], POLLIN, 0 } };

		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < 2; i++) {
			int *fd = i == 0 ? &outp[0] : &errp[0];

			if (*fd < 0 || !(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (drain(*fd, i == 0 ? &out : &err) <= 0) {
				close(*fd);
				*fd = -1;
				open_fds--;
			}
		}
		/* poll ignores negative descriptors: nothing else to do. */
	}
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			log_error("cannot wait for %s: %s", argv[0], strerror(errno));
			goto out;
		}
	}
	res->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	out.buf[out.len] = '\0';
	err.buf[err.len] = '\0';
	res->out = out.buf;
	res->outlen = out.len;
	res->err = err.buf;
	res->errlen = err.len;
	res->truncated = out.truncated || err.truncated;
	out.buf = err.buf = NULL;
	ret = 0;
out:
	for (int i = 0; i < 2; i++) {
		if (outp[i] >= 0)
			close(outp[i]);
		if (errp[i] >= 0)
			close(errp[i]);
	}
	if (nul >= 0)
		close(nul);
	free(out.buf);
	free(err.buf);
	return ret;
}

void
run_result_clear(struct run_result *res)
{
	free(res->out);
	free(res->err);
	memset(res, 0, sizeof(*res));
}

pid_t
run_start(char *const argv[], const char *errfile, bool bound)
{
	int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int out = open("/dev/null", O_WRONLY | O_CLOEXEC);
	int err = open(errfile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	pid_t pid = -1;
	int rc;

	if (in < 0 || out < 0 || err < 0)
		rc = errno;
	else
		rc = spawn_bound(argv, in, out, err, bound, &pid);
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (err >= 0)
		close(err);
	if (rc != 0) {
		log_error("cannot run %s: %s", argv[0], strerror(rc));
		return -1;
	}
	return pid;
}

int
run_exited(pid_t pid)
{
	int st;

	return waitpid(pid, &st, WNOHANG) == pid;
}

void
run_stop(pid_t pid, int grace_ms)
{
	int st;

	if (pid <= 0 || kill(pid, SIGTERM) < 0)
		return;
	for (int waited = 0; waited < grace_ms; waited += 10) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
}

/* A file of its own, already unlinked, holding LEN bytes of DATA; -1 (errno). */
static int
anon_file(const char *data, size_t len)
{
	const char *dir = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd < 0)
		return -1;
	for (size_t off = 0; off < len;) {
		ssize_t w = write(fd, data + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = errno;

			close(fd);
			errno = w < 0 ? e : EIO;
			return -1;
		}
		off += (size_t)w;
	}
	if (lseek(fd, 0, SEEK_SET) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int
run_feed(char *const argv[], const char *input, size_t len, unsigned timeout, int *status,
    char *err, size_t errlen)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	int in = anon_file(input, len), efd = anon_file("", 0), nul, rc, st, ret = -1;
	pid_t pid;

	err[0] = '\0';
	nul = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (in < 0 || efd < 0 || nul < 0) {
		snprintf(err, errlen, "cannot run %s: %s", argv[0], strerror(errno));
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in, 0);
	posix_spawn_file_actions_adddup2(&fa, nul, 1);
	posix_spawn_file_actions_adddup2(&fa, efd, 2);
	/* Its own process group, so that the timeout kills what it started too. */
	posix_spawnattr_init(&at);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&at, 0);
	{
		char **env = run_child_env(NULL);

		rc = posix_spawnp(&pid, argv[0], &fa, &at, argv, env);
		run_env_free(env);
	}
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		snprintf(err, errlen, "cannot run %s: %s", argv[0], strerror(rc));
		goto out;
	}
	ret = 0;
	for (unsigned long waited = 0;; waited += 50) {
		pid_t w = waitpid(pid, &st, WNOHANG);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			snprintf(err, errlen, "cannot wait for %s: %s", argv[0], strerror(errno));
			ret = -1;
			goto out;
		}
		if (waited >= (unsigned long)timeout * 1000) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
				;
			ret = 1;
			break;
		}
		usleep(50000);
	}
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	{
		ssize_t n = pread(efd, err, errlen - 1, 0);

		err[n > 0 ? n : 0] = '\0';
		while (n > 0 && (err[n - 1] == '\n' || err[n - 1] == ' '))
			err[--n] = '\0';
	}
out:
	if (in >= 0)
		close(in);
	if (efd >= 0)
		close(efd);
	if (nul >= 0)
		close(nul);
	return ret;
}

int
run_shell(const char *cmd, const char *const *vars, unsigned timeout, int *status)
{
	char **env = run_child_env(vars);
	pid_t pid = fork();
	int st;

	if (pid < 0) {
		log_error("cannot run '%s': %s", cmd, strerror(errno));
		run_env_free(env);
		return -1;
	}
	if (pid == 0) {
		int nul = open("/dev/null", O_RDONLY);

		if (nul >= 0)
			dup2(nul, 0);
		setpgid(0, 0);
		execle("/bin/sh", "sh", "-c", cmd, (char *)NULL, env);
		_exit(127);
	}
	run_env_free(env);
	for (unsigned long waited = 0;; waited += 50) {
		pid_t w = waitpid(pid, &st, WNOHANG);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			log_error("cannot wait for '%s': %s", cmd, strerror(errno));
			return -1;
		}
		if (waited >= (unsigned long)timeout * 1000) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
				;
			return 1;
		}
		usleep(50000);
	}
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return 0;
}
