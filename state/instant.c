#include "state/instant.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/jsonx.h"
#include "common/log.h"
#include "state/layout.h"

int
instant_journal_write(const char *state_dir, const struct instant_journal *j)
{
	json_object *o = json_object_new_object(), *t = json_object_new_array(),
	    *v = json_object_new_array();
	int ret;

	json_object_object_add(o, "domain", json_object_new_string(j->domain));
	json_object_object_add(o, "snapshot", json_object_new_string(j->snapshot));
	json_object_object_add(o, "mount", json_object_new_string(j->mount));
	json_object_object_add(o, "mount_pid", json_object_new_int64(j->mount_pid));
	for (size_t i = 0; i < j->targets.n; i++) {
		json_object_array_add(t, json_object_new_string(j->targets.v[i]));
		json_object_array_add(v, json_object_new_string(j->overlays.v[i]));
	}
	json_object_object_add(o, "targets", t);
	json_object_object_add(o, "overlays", v);
	ret = state_write_json(state_dir, STATE_INSTANT, j->domain, o, 0600);
	json_object_put(o);
	return ret;
}

int
instant_journal_read(const char *state_dir, const char *domain, struct instant_journal *j)
{
	char *path = state_file_path(state_dir, STATE_INSTANT, domain);
	json_object *o = NULL, *t, *v;
	int ret = -1;

	memset(j, 0, sizeof(*j));
	if (access(path, F_OK) != 0) {
		free(path);
		return 1;
	}
	o = json_object_from_file(path);
	if (o == NULL || jx_str(o, "domain") == NULL || jx_str(o, "mount") == NULL ||
	    !json_object_object_get_ex(o, "targets", &t) || !json_object_object_get_ex(o, "overlays", &v) ||
	    json_object_array_length(t) != json_object_array_length(v)) {
		log_error("instant restore journal %s is unreadable; remove it after checking the domain by hand",
		    path);
		goto out;
	}
	j->domain = xstrdup(jx_str(o, "domain"));
	j->snapshot = xstrdup(jx_str(o, "snapshot") ? jx_str(o, "snapshot") : "");
	j->mount = xstrdup(jx_str(o, "mount"));
	if (json_object_object_get_ex(o, "mount_pid", &v))
		j->mount_pid = (pid_t)json_object_get_int64(v);
	json_object_object_get_ex(o, "overlays", &v);
	for (size_t i = 0; i < json_object_array_length(t); i++) {
		strlist_add(&j->targets, json_object_get_string(json_object_array_get_idx(t, i)));
		strlist_add(&j->overlays, json_object_get_string(json_object_array_get_idx(v, i)));
	}
	ret = 0;
out:
	json_object_put(o);
	free(path);
	return ret;
}

void
instant_journal_remove(const char *state_dir, const char *domain)
{
	state_file_remove(state_dir, STATE_INSTANT, domain);
}

void
instant_journal_clear(struct instant_journal *j)
{
	free(j->domain);
	free(j->snapshot);
	free(j->mount);
	strlist_clear(&j->targets);
	strlist_clear(&j->overlays);
	memset(j, 0, sizeof(*j));
}
