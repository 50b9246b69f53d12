#include "state/lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/log.h"
#include "common/util.h"
#include "state/layout.h"

int
lock_domain(const char *state_dir, const char *dom, int *out)
{
	char *dir = state_dir_path(state_dir, STATE_LOCKS);
	char *path = state_file_path(state_dir, STATE_LOCKS, dom);
	char buf[32];
	int fd, ret = -1;

	fs_mkdir_p(dir, 0700);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_error("domain %s: cannot open its lock %s: %s", dom, path, strerror(errno));
		goto out;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		ssize_t n = errno == EWOULDBLOCK ? pread(fd, buf, sizeof(buf) - 1, 0) : -1;

		if (errno == EWOULDBLOCK || n >= 0) {
			buf[n > 0 ? n : 0] = '\0';
			buf[strcspn(buf, "\n")] = '\0';
			log_error("domain %s: another virtvault (pid %s) is working on it; not touching it",
			    dom, *buf ? buf : "unknown");
			ret = VV_BUSY;
		} else {
			log_error("domain %s: cannot lock %s: %s", dom, path, strerror(errno));
		}
		close(fd);
		fd = -1;
		goto out;
	}
	snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) == 0 && pwrite(fd, buf, strlen(buf), 0) < 0)
		log_debug("domain %s: cannot record the pid in %s", dom, path);
	ret = 0;
out:
	*out = fd;
	free(dir);
	free(path);
	return ret;
}

void
unlock_domain(int fd)
{
	if (fd >= 0)
		close(fd);
}
