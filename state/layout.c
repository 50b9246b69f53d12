#include "state/layout.h"

#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/log.h"

static const struct {
	const char *dir;
	const char *suffix;
} areas[] = {
	[STATE_JOURNAL] = { "journal", ".json" },
	[STATE_LOCKS] = { "locks", ".lock" },
	[STATE_RUNS] = { "runs", ".json" },
	[STATE_RUNNING] = { "running", "" },
	[STATE_JOBS] = { "jobs", ".json" },
	[STATE_CBT] = { "cbt", "" },
	[STATE_INSTANT] = { "instant", ".json" },
	[STATE_BOOT] = { "boot", ".json" },
	[STATE_HISTORY] = { "history", ".jsonl" },
	[STATE_BOOTCHECK] = { "bootcheck", ".json" },
	[STATE_VERIFY] = { "verify", ".json" },
};

char *
state_dir_path(const char *state_dir, enum state_area area)
{
	return xasprintf("%s/%s", state_dir, areas[area].dir);
}

char *
state_file_path(const char *state_dir, enum state_area area, const char *name)
{
	return xasprintf("%s/%s/%s%s", state_dir, areas[area].dir, name, areas[area].suffix);
}

int
state_ensure_dir(const char *state_dir, enum state_area area)
{
	char *d = state_dir_path(state_dir, area);
	int r = fs_mkdir_p(d, 0700);

	if (r < 0)
		log_error("state folder %s: cannot create: %s", d, strerror(errno));
	free(d);
	return r;
}

int
state_write_json(const char *state_dir, enum state_area area, const char *name,
    struct json_object *o, mode_t mode)
{
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY);
	char *path;
	int ret;

	if (state_ensure_dir(state_dir, area) < 0)
		return -1;
	path = state_file_path(state_dir, area, name);
	ret = fs_write_atomic(path, text, strlen(text), mode);
	free(path);
	return ret;
}

int
state_list_names(const char *state_dir, enum state_area area, struct strlist *names)
{
	char *d = state_dir_path(state_dir, area);
	const char *suffix = areas[area].suffix;
	size_t slen = strlen(suffix);
	struct strlist found = { 0 };
	DIR *dh = opendir(d);
	struct dirent *e;

	if (dh == NULL) {
		int err = errno;

		free(d);
		if (err == ENOENT)
			return 0;
		log_error("state folder %s/%s: cannot read: %s", state_dir, areas[area].dir,
		    strerror(err));
		return -1;
	}
	while ((e = readdir(dh)) != NULL) {
		size_t n = strlen(e->d_name);

		if (e->d_name[0] == '.' || n <= slen || strcmp(e->d_name + n - slen, suffix) != 0)
			continue;
		{
			char *name = xstrndup(e->d_name, n - slen);

			strlist_add(&found, name);
			free(name);
		}
	}
	closedir(dh);
	free(d);
	strlist_sort(&found);
	for (size_t i = 0; i < found.n; i++)
		strlist_add(names, found.v[i]);
	strlist_clear(&found);
	return 0;
}

int
state_file_remove(const char *state_dir, enum state_area area, const char *name)
{
	char *path = state_file_path(state_dir, area, name);
	int ret = 0;

	if (unlink(path) < 0 && errno != ENOENT) {
		log_error("%s: cannot remove: %s", path, strerror(errno));
		ret = -1;
	} else {
		fs_fsync_parent(path);
	}
	free(path);
	return ret;
}
