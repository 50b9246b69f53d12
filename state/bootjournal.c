#include "state/bootjournal.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/jsonx.h"
#include "common/log.h"
#include "state/layout.h"

/* STATE/bootcheck/NAME.lock, a new string. */
static char *
lock_path(const char *state_dir, const char *name)
{
	char *d = state_dir_path(state_dir, STATE_BOOTCHECK), *p = xasprintf("%s/%s.lock", d, name);

	free(d);
	return p;
}

int
bootjournal_lock(const char *state_dir, const char *name, int *fd)
{
	char *path;

	*fd = -1;
	if (state_ensure_dir(state_dir, STATE_BOOTCHECK) < 0)
		return -1;
	path = lock_path(state_dir, name);
	*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (*fd < 0) {
		log_error("boot check lock %s: cannot open: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	free(path);
	if (flock(*fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	close(*fd);
	*fd = -1;
	return errno == EWOULDBLOCK ? 1 : -1;
}

bool
bootjournal_busy(const char *state_dir, const char *name)
{
	char *path = lock_path(state_dir, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	bool busy = false;

	free(path);
	if (fd < 0)
		return false;
	busy = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd);
	return busy;
}

void
bootjournal_unlock(const char *state_dir, const char *name, int fd)
{
	char *path;

	if (fd < 0)
		return;
	path = lock_path(state_dir, name);
	unlink(path);
	free(path);
	close(fd);
}

int
bootjournal_write(const char *state_dir, const struct bootjournal *j)
{
	json_object *o = json_object_new_object();
	int ret;

	json_object_object_add(o, "name", json_object_new_string(j->name));
	json_object_object_add(o, "domain", json_object_new_string(j->domain));
	json_object_object_add(o, "snapshot", json_object_new_string(j->snapshot));
	json_object_object_add(o, "dir", json_object_new_string(j->dir));
	json_object_object_add(o, "mount", json_object_new_string(j->mount ? j->mount : ""));
	json_object_object_add(o, "mount_pid", json_object_new_int64(j->mount_pid));
	json_object_object_add(o, "tpm_state", json_object_new_string(j->tpm_state ? j->tpm_state : ""));
	json_object_object_add(o, "pid", json_object_new_int64(j->pid));
	json_object_object_add(o, "started", json_object_new_int64(j->started));
	ret = state_write_json(state_dir, STATE_BOOTCHECK, j->name, o, 0600);
	json_object_put(o);
	return ret;
}

int
bootjournal_read(const char *state_dir, const char *name, struct bootjournal *j)
{
	char *path = state_file_path(state_dir, STATE_BOOTCHECK, name);
	json_object *o = NULL;
	int ret = -1;

	memset(j, 0, sizeof(*j));
	if (access(path, F_OK) != 0) {
		free(path);
		return 1;
	}
	o = json_object_from_file(path);
	if (o == NULL || jx_str(o, "name") == NULL || jx_str(o, "domain") == NULL ||
	    jx_str(o, "dir") == NULL || jx_str(o, "dir")[0] != '/') {
		log_error("boot check journal %s is unreadable; remove it after removing domain %s and its files by hand",
		    path, name);
		goto out;
	}
	j->name = xstrdup(jx_str(o, "name"));
	j->domain = xstrdup(jx_str(o, "domain"));
	j->snapshot = xstrdup(jx_str(o, "snapshot") ? jx_str(o, "snapshot") : "");
	j->dir = xstrdup(jx_str(o, "dir"));
	j->mount = xstrdup(jx_str(o, "mount") ? jx_str(o, "mount") : "");
	j->tpm_state = xstrdup(jx_str(o, "tpm_state") ? jx_str(o, "tpm_state") : "");
	j->mount_pid = (pid_t)jx_int(o, "mount_pid", 0);
	j->pid = (pid_t)jx_int(o, "pid", 0);
	j->started = (time_t)jx_int(o, "started", 0);
	ret = 0;
out:
	json_object_put(o);
	free(path);
	return ret;
}

void
bootjournal_remove(const char *state_dir, const char *name)
{
	state_file_remove(state_dir, STATE_BOOTCHECK, name);
}

int
bootjournal_list(const char *state_dir, struct strlist *names)
{
	return state_list_names(state_dir, STATE_BOOTCHECK, names);
}

void
bootjournal_clear(struct bootjournal *j)
{
	free(j->name);
	free(j->domain);
	free(j->snapshot);
	free(j->dir);
	free(j->mount);
	free(j->tpm_state);
	memset(j, 0, sizeof(*j));
}
