#include "agent/instant_mount.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/qimg.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/run.h"

/* How long the mount may take to appear, and to end. */
#define MOUNT_WAIT 30

bool
instant_mount_active(const char *path)
{
	struct stat a, b;
	char *parent = xasprintf("%s/..", path);
	bool ret = stat(path, &a) == 0 && stat(parent, &b) == 0 && a.st_dev != b.st_dev;

	free(parent);
	return ret;
}

pid_t
instant_mount_start(const char *self, const char *config_path, const char *id,
    const char *mnt, const char *log)
{
	pid_t pid = fork();
	double until = clock_mono() + MOUNT_WAIT;

	if (pid < 0) {
		log_error("snapshot %s: cannot start its mount: %s", id, strerror(errno));
		return -1;
	}
	if (pid == 0) {
		char *argv[10];
		int i = 0, fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		int nul = open("/dev/null", O_RDONLY);

		setsid();
		if (nul >= 0)
			dup2(nul, 0);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		argv[i++] = (char *)self;
		if (config_path != NULL) {
			argv[i++] = "-c";
			argv[i++] = (char *)config_path;
		}
		argv[i++] = "mount";
		argv[i++] = "--allow-other";
		argv[i++] = "--";
		argv[i++] = (char *)id;
		argv[i++] = (char *)mnt;
		argv[i] = NULL;
		/* Our own program: it needs the repository's password as we had it. */
		execv(self, argv);
		_exit(127);
	}
	while (!instant_mount_active(mnt)) {
		int st;

		if (waitpid(pid, &st, WNOHANG) == pid || clock_mono() > until) {
			log_error("the mount of snapshot %s on %s did not come up (its log: %s)", id, mnt, log);
			kill(pid, SIGTERM);
			waitpid(pid, &st, 0);
			return -1;
		}
		usleep(100000);
	}
	return pid;
}

/* Whether PID is a virtvault mount of MNT (its command line names MNT). */
static bool
is_mount_of(pid_t pid, const char *mnt)
{
	char *path = xasprintf("/proc/%ld/cmdline", (long)pid), buf[8192];
	FILE *f = fopen(path, "re");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	bool mount = false, dir = false;

	if (f != NULL)
		fclose(f);
	free(path);
	for (size_t i = 0; i < n; i += strlen(buf + i) + 1) {
		buf[n] = '\0';
		mount = mount || strcmp(buf + i, "mount") == 0;
		dir = dir || strcmp(buf + i, mnt) == 0;
	}
	return mount && dir;
}

void
instant_mount_release(pid_t pid, const char *mnt)
{
	if (pid > 0 && is_mount_of(pid, mnt) && kill(pid, SIGTERM) == 0) {
		double until = clock_mono() + MOUNT_WAIT;

		while (kill(pid, 0) == 0 && clock_mono() < until) {
			waitpid(pid, NULL, WNOHANG);
			usleep(100000);
		}
	}
	if (instant_mount_active(mnt)) {
		char *argv[] = { "fusermount3", "-u", (char *)mnt, NULL };
		struct run_result r;

		if (run_capture(argv, 4096, &r) == 0)
			run_result_clear(&r);
	}
	if (rmdir(mnt) < 0 && errno != ENOENT)
		log_warn("cannot remove the mount point %s: %s", mnt, strerror(errno));
}

int
instant_mount_disks(const struct manifest *m, const char *what, struct strlist *targets,
    struct strlist *files)
{
	for (size_t i = 0; i < m->nfiles; i++) {
		const struct manifest_file *f = &m->files[i];

		if (f->disk == NULL)
			continue;
		if (strlist_contains(targets, f->disk)) {
			log_error("snapshot %s: disk %s is a chain of files; %s needs one file a disk",
			    m->id, f->disk, what);
			return -1;
		}
		strlist_add(targets, f->disk);
		strlist_add(files, f->name);
	}
	if (targets->n == 0) {
		log_error("snapshot %s has no disk of a domain: %s needs one", m->id, what);
		return -1;
	}
	return 0;
}

int
instant_mount_overlays(const struct manifest *m, const struct strlist *files,
    const struct strlist *overlays, const char *mnt)
{
	for (size_t i = 0; i < files->n; i++) {
		const struct manifest_file *f = NULL;
		char *back = xasprintf("%s/%s", mnt, files->v[i]);
		int rc;

		for (size_t k = 0; k < m->nfiles; k++)
			if (strcmp(m->files[k].name, files->v[i]) == 0)
				f = &m->files[k];
		rc = qimg_overlay(overlays->v[i], back, f != NULL && f->format ? f->format : "raw");
		free(back);
		if (rc < 0)
			return -1;
	}
	return 0;
}
