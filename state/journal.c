#include "state/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/jsonx.h"
#include "common/log.h"
#include "state/layout.h"

char *
journal_path(const char *state_dir, const char *dom)
{
	return state_file_path(state_dir, STATE_JOURNAL, dom);
}

int
journal_peek(const char *state_dir, const char *dom, char **phase)
{
	char *path = journal_path(state_dir, dom);
	json_object *o;

	if (access(path, F_OK) < 0 && errno == ENOENT) {
		free(path);
		return 0;
	}
	/* Only the phase matters here; repair reads (and judges) the rest. */
	o = json_object_from_file(path);
	if (phase != NULL)
		*phase = xstrdup(jx_str(o, "phase") ? jx_str(o, "phase") : "unknown");
	json_object_put(o);
	free(path);
	return 1;
}

int
journal_pid(const char *state_dir, const char *dom)
{
	char *path = journal_path(state_dir, dom);
	json_object *o = json_object_from_file(path);
	int pid = (int)jx_int(o, "pid", 0);

	json_object_put(o);
	free(path);
	return pid;
}

int
journal_list(const char *state_dir, struct strlist *doms)
{
	return state_list_names(state_dir, STATE_JOURNAL, doms);
}

int
journal_write(const char *state_dir, const struct journal *j)
{
	char *dir = state_dir_path(state_dir, STATE_JOURNAL), *path = journal_path(state_dir, j->domain);
	json_object *o = json_object_new_object(), *disks = json_object_new_array();
	const char *text;
	int ret = -1;
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
	if (j->reader != NULL) {
		const struct journal_reader *rd = j->reader;
		json_object *ro = json_object_new_object();

		json_object_object_add(ro, "program", json_object_new_string(rd->program));
		json_object_object_add(ro, "image", json_object_new_string(rd->image));
		json_object_object_add(ro, "dir", json_object_new_string(rd->dir ? rd->dir : ""));
		json_object_object_add(ro, "pid", json_object_new_int(rd->pid));
		json_object_object_add(ro, "start", json_object_new_uint64(rd->start));
		json_object_object_add(o, "reader", ro);
	}
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY);
	len = strlen(text);

	if (fs_mkdir_p(dir, 0700) < 0) {
		log_error("journal folder %s: %s", dir, strerror(errno));
		goto out;
	}
	if (fs_write_atomic(path, text, len, 0600) < 0)
		goto out;
	ret = 0;
out:
	json_object_put(o);
	free(dir);
	free(path);
	return ret;
}

int
journal_set_phase(const char *state_dir, struct journal *j, const char *phase)
{
	free(j->phase);
	j->phase = xstrdup(phase);
	return journal_write(state_dir, j);
}

static void
reader_free(struct journal_reader *rd)
{
	if (rd == NULL)
		return;
	free(rd->program);
	free(rd->image);
	free(rd->dir);
	free(rd);
}

int
journal_set_reader(const char *state_dir, struct journal *j, const char *program,
    const char *image, const char *dir, int pid, unsigned long long start)
{
	reader_free(j->reader);
	j->reader = xcalloc(1, sizeof(*j->reader));
	j->reader->program = xstrdup(program);
	j->reader->image = xstrdup(image);
	j->reader->dir = xstrdup(dir ? dir : "");
	j->reader->pid = pid;
	j->reader->start = start;
	return journal_write(state_dir, j);
}

int
journal_clear_reader(const char *state_dir, struct journal *j)
{
	if (j->reader == NULL)
		return 0;
	reader_free(j->reader);
	j->reader = NULL;
	return journal_write(state_dir, j);
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
		return VV_NOT_FOUND;
	}
	o = json_object_from_file(path);
	if (o == NULL || jx_str(o, "domain") == NULL || jx_str(o, "phase") == NULL ||
	    !json_object_object_get_ex(o, "disks", &disks) ||
	    !json_object_is_type(disks, json_type_array)) {
		log_error("journal %s is unreadable or incomplete", path);
		json_object_put(o);
		free(path);
		return -1;
	}
	j = xcalloc(1, sizeof(*j));
	j->domain = xstrdup(jx_str(o, "domain"));
	j->phase = xstrdup(jx_str(o, "phase"));
	j->snapshot = jx_str(o, "snapshot") ? xstrdup(jx_str(o, "snapshot")) : NULL;
	j->running = json_object_object_get_ex(o, "running", &v) && json_object_get_boolean(v);
	for (size_t i = 0; i < json_object_array_length(disks); i++) {
		json_object *dd = json_object_array_get_idx(disks, i), *chain;
		struct journal_disk *d = journal_add_disk(j);

		d->target = xstrdup(jx_str(dd, "target") ? jx_str(dd, "target") : "?");
		d->format = xstrdup(jx_str(dd, "format") ? jx_str(dd, "format") : "raw");
		d->overlay = xstrdup(jx_str(dd, "overlay") ? jx_str(dd, "overlay") : "");
		if (json_object_object_get_ex(dd, "chain", &chain) &&
		    json_object_is_type(chain, json_type_array))
			for (size_t k = 0; k < json_object_array_length(chain); k++)
				strlist_add(&d->chain,
				    json_object_get_string(json_object_array_get_idx(chain, k)));
	}
	if (json_object_object_get_ex(o, "reader", &v) && jx_str(v, "program") != NULL &&
	    jx_str(v, "image") != NULL) {
		json_object *n;

		j->reader = xcalloc(1, sizeof(*j->reader));
		j->reader->program = xstrdup(jx_str(v, "program"));
		j->reader->image = xstrdup(jx_str(v, "image"));
		j->reader->dir = xstrdup(jx_str(v, "dir") ? jx_str(v, "dir") : "");
		if (json_object_object_get_ex(v, "pid", &n))
			j->reader->pid = json_object_get_int(n);
		if (json_object_object_get_ex(v, "start", &n))
			j->reader->start = json_object_get_uint64(n);
	}
	json_object_put(o);
	free(path);
	*out = j;
	return 0;
}

int
journal_remove(const char *state_dir, const char *dom)
{
	return state_file_remove(state_dir, STATE_JOURNAL, dom);
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
	reader_free(j->reader);
	free(j->domain);
	free(j->phase);
	free(j->snapshot);
	free(j);
}
