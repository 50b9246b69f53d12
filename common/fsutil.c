#include "common/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"

int
fs_mkdir_p(const char *dir, mode_t mode)
{
	char *p = xstrdup(dir);
	int ret = 0;

	for (char *s = p + 1;; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;

			*s = '\0';
			if (mkdir(p, mode) < 0 && errno != EEXIST) {
				ret = -1;
				break;
			}
			*s = c;
			if (c == '\0')
				break;
		}
	}
	free(p);
	return ret;
}

int
fs_fsync_dir(const char *dir)
{
	int fd = open(*dir ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), r;

	if (fd < 0)
		return -1;
	r = fsync(fd);
	close(fd);
	return r;
}

int
fs_fsync_parent(const char *path)
{
	char *dir = xstrndup(path, (size_t)(util_basename(path) - path));
	int r = fs_fsync_dir(dir);

	free(dir);
	return r;
}

int
fs_write_atomic(const char *path, const void *buf, size_t len, mode_t mode)
{
	/* A temporary name of this thread's own: two processes writing one
	 * file at once (two runs of a domain) never rename each other's. */
	char *tmp = xasprintf("%s.tmp.%d", path, (int)gettid());
	int fd, ret = -1;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd >= 0 && write(fd, buf, len) == (ssize_t)len && fsync(fd) == 0) {
		int r = close(fd);

		fd = -1;
		if (r == 0 && rename(tmp, path) == 0 && fs_fsync_parent(path) == 0)
			ret = 0;
	}
	if (ret < 0) {
		log_error("%s: cannot write: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(tmp);
	}
	free(tmp);
	return ret;
}
