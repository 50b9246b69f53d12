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
state_lock_domain(const char *state_dir, const char *dom, int *out)
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
		int busy = errno == EWOULDBLOCK;
		ssize_t n = -1;

		/* The holder writes its pid just after it locks: two runs
		 * started at once may read before it did. Wait for it a moment. */
		for (int tries = 0; busy && tries < 50; tries++) {
			n = pread(fd, buf, sizeof(buf) - 1, 0);
			if (n > 0)
				break;
			usleep(10000);
		}
		if (busy) {
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
state_unlock_domain(int fd)
{
	/* No pid left behind for the next one who finds it locked to read. */
	if (fd >= 0) {
		if (ftruncate(fd, 0) < 0)
			log_debug("cannot clear a domain lock's pid: %s", strerror(errno));
		close(fd);
	}
}
