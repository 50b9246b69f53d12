#include "agent/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"

char *
journal_path(const char *state_dir, const char *dom)
{
	return xasprintf("%s/journal/%s.json", state_dir, dom);
}

int
journal_peek(const char *state_dir, const char *dom, char **phase)
{
	struct journal *j = NULL;
	int r = journal_read(state_dir, dom, &j);

	if (r == 1)
		return 0;
	*phase = xstrdup(r == 0 && j->phase ? j->phase : "unknown");
	journal_free(j);
	return 1;
}

static int
mkdir_p(const char *dir)
{
	char *p = xstrdup(dir);
	int ret = 0;

	for (char *s = p + 1; ; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;

			*s = '\0';
			if (mkdir(p, 0700) < 0 && errno != EEXIST) {
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

static int
fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r;

	if (fd < 0)
		return -1;
	r = fsync(fd);
	close(fd);
	return r;
}

int
journal_write(const char *state_dir, const struct journal *j)
{
	char *dir = xasprintf("%s/journal", state_dir), *path = journal_path(state_dir, j->domain);
	char *tmp = xasprintf("%s.tmp", path);
	json_object *o = json_object_new_object(), *disks = json_object_new_array();
	const char *text;
	int fd = -1, ret = -1;
	size_t len;

	json_object_object_add(o, "domain", json_object_new_string(j->domain));
	json_object_object_add(o, "phase", json_object_new_string(j->phase));
	json_object_object_add(o, "snapshot", json_object_new_string(j->snapshot ? j->snapshot : ""));
	json_object_object_add(o, "running", json_object_new_boolean(j->running));
	json_object_object_add(o, "pid", json_object_new_int((int)getpid()));
	for (size_t i = 0; i < j->ndisks; i++) {
		const struct journal_disk *d = &j->disks[i];
		json_object *dd = json_object_new_object(), *chain = json_object_new_array();

		json_object_object_add(dd, "target", json_object_new_string(d->target));
		json_object_object_add(dd, "format", json_object_new_string(d->format ? d->format : "raw"));
		json_object_object_add(dd, "overlay", json_object_new_string(d->overlay));
		for (size_t k = 0; k < d->chain.n; k++)
			json_object_array_add(chain, json_object_new_string(d->chain.v[k]));
		json_object_object_add(dd, "chain", chain);
		json_object_array_add(disks, dd);
	}
	json_object_object_add(o, "disks", disks);
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY);
	len = strlen(text);

	if (mkdir_p(dir) < 0) {
		log_error("journal folder %s: %s", dir, strerror(errno));
		goto out;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len || fsync(fd) < 0) {
		log_error("journal %s: cannot write: %s", tmp, strerror(errno));
		goto out;
	}
	close(fd);
	fd = -1;
	if (rename(tmp, path) < 0 || fsync_dir(dir) < 0) {
		log_error("journal %s: cannot write: %s", path, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	if (ret < 0)
		unlink(tmp);
	json_object_put(o);
	free(dir);
	free(path);
	free(tmp);
	return ret;
}

int
journal_set_phase(const char *state_dir, struct journal *j, const char *phase)
{
	free(j->phase);
	j->phase = xstrdup(phase);
	return journal_write(state_dir, j);
}

static const char *
jstr(json_object *o, const char *k)
{
	json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

struct journal_disk *
journal_add_disk(struct journal *j)
{
	j->disks = xrealloc(j->disks, (j->ndisks + 1) * sizeof(*j->disks));
	memset(&j->disks[j->ndisks], 0, sizeof(j->disks[0]));
	return &j->disks[j->ndisks++];
}

int
journal_read(const char *state_dir, const char *dom, struct journal **out)
{
	char *path = journal_path(state_dir, dom);
	json_object *o, *disks, *v;
	struct journal *j;

	if (access(path, F_OK) < 0 && errno == ENOENT) {
		free(path);
		return 1;
	}
	o = json_object_from_file(path);
	if (o == NULL || jstr(o, "domain") == NULL || jstr(o, "phase") == NULL ||
	    !json_object_object_get_ex(o, "disks", &disks) ||
	    !json_object_is_type(disks, json_type_array)) {
		log_error("journal %s is unreadable or incomplete", path);
		json_object_put(o);
		free(path);
		return -1;
	}
	j = xcalloc(1, sizeof(*j));
	j->domain = xstrdup(jstr(o, "domain"));
	j->phase = xstrdup(jstr(o, "phase"));
	j->snapshot = jstr(o, "snapshot") ? xstrdup(jstr(o, "snapshot")) : NULL;
	j->running = json_object_object_get_ex(o, "running", &v) && json_object_get_boolean(v);
	for (size_t i = 0; i < json_object_array_length(disks); i++) {
		json_object *dd = json_object_array_get_idx(disks, i), *chain;
		struct journal_disk *d = journal_add_disk(j);

		d->target = xstrdup(jstr(dd, "target") ? jstr(dd, "target") : "?");
		d->format = xstrdup(jstr(dd, "format") ? jstr(dd, "format") : "raw");
		d->overlay = xstrdup(jstr(dd, "overlay") ? jstr(dd, "overlay") : "");
		if (json_object_object_get_ex(dd, "chain", &chain) &&
		    json_object_is_type(chain, json_type_array))
			for (size_t k = 0; k < json_object_array_length(chain); k++)
				strlist_add(&d->chain,
				    json_object_get_string(json_object_array_get_idx(chain, k)));
	}
	json_object_put(o);
	free(path);
	*out = j;
	return 0;
}

int
journal_remove(const char *state_dir, const char *dom)
{
	char *path = journal_path(state_dir, dom), *dir = xasprintf("%s/journal", state_dir);
	int ret = 0;

	if (unlink(path) < 0 && errno != ENOENT) {
		log_error("journal %s: cannot remove: %s", path, strerror(errno));
		ret = -1;
	} else {
		fsync_dir(dir);
	}
	free(path);
	free(dir);
	return ret;
}

void
journal_free(struct journal *j)
{
	if (j == NULL)
		return;
	for (size_t i = 0; i < j->ndisks; i++) {
		free(j->disks[i].target);
		free(j->disks[i].format);
		free(j->disks[i].overlay);
		strlist_clear(&j->disks[i].chain);
	}
	free(j->disks);
	free(j->domain);
	free(j->phase);
	free(j->snapshot);
	free(j);
}
