/* The repository password of a configuration (repo.h). */
#include "repo/repo.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"

char *
repo_read_password(const struct conf *c)
{
	char buf[4096];
	struct stat st;
	ssize_t n;
	int fd;

	if (c->password_file == NULL) {
		if (c->password != NULL)
			return xstrdup(c->password);
		log_error("the repository is encrypted but there is no password: set [repository] password_file or VIRTVAULT_PASSWORD");
		return NULL;
	}
	fd = open(c->password_file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		log_error("password_file %s: %s", c->password_file, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == 0 && (st.st_mode & 0044) != 0) {
		log_error("password_file %s is readable by group or others (mode %04o); fix it with: chmod 600 %s",
		    c->password_file, (unsigned)(st.st_mode & 07777), c->password_file);
		close(fd);
		return NULL;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		log_error("password_file %s: %s", c->password_file, strerror(errno));
		return NULL;
	}
	buf[n] = '\0';
	/* One line: the trailing newline is not part of it. */
	buf[strcspn(buf, "\r\n")] = '\0';
	if (buf[0] == '\0') {
		log_error("password_file %s is empty", c->password_file);
		return NULL;
	}
	{
		char *pw = xstrdup(buf);

		explicit_bzero(buf, sizeof(buf));
		return pw;
	}
}
