#include "state/bootrec.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fsutil.h"
#include "common/jsonx.h"
#include "common/util.h"
#include "state/layout.h"

int
state_boot_read(const char *state_dir, const char *domain, struct boot_record *r)
{
	char *p = state_file_path(state_dir, STATE_BOOT, domain);
	json_object *o = json_object_from_file(p), *v;

	free(p);
	memset(r, 0, sizeof(*r));
	r->seconds_to_agent = -1;
	r->command_exit = -1;
	if (o == NULL || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return 1;
	}
	jx_strcpy(r->domain, sizeof(r->domain), o, "domain");
	jx_strcpy(r->job, sizeof(r->job), o, "job");
	jx_strcpy(r->snapshot, sizeof(r->snapshot), o, "snapshot");
	jx_strcpy(r->snapshot_host, sizeof(r->snapshot_host), o, "snapshot_host");
	jx_strcpy(r->command, sizeof(r->command), o, "command");
	jx_strcpy(r->output, sizeof(r->output), o, "output");
	jx_strcpy(r->reason, sizeof(r->reason), o, "reason");
	r->ok = json_object_object_get_ex(o, "ok", &v) && json_object_get_boolean(v);
	r->screenshot = json_object_object_get_ex(o, "screenshot", &v) && json_object_get_boolean(v);
	r->started = (time_t)jx_int(o, "started", 0);
	r->finished = (time_t)jx_int(o, "finished", 0);
	r->command_exit = (int)jx_int(o, "command_exit", -1);
	if (json_object_object_get_ex(o, "seconds_to_agent", &v) &&
	    (json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)))
		r->seconds_to_agent = json_object_get_double(v);
	json_object_put(o);
	if (strcmp(r->domain, domain) != 0)
		return 1;	/* not this domain's: no record */
	return 0;
}

json_object *
state_boot_record_json(const struct boot_record *r)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "domain", json_object_new_string(r->domain));
	json_object_object_add(o, "job", json_object_new_string(r->job));
	json_object_object_add(o, "snapshot", json_object_new_string(r->snapshot));
	json_object_object_add(o, "snapshot_host", json_object_new_string(r->snapshot_host));
	json_object_object_add(o, "ok", json_object_new_boolean(r->ok));
	json_object_object_add(o, "started", json_object_new_int64(r->started));
	json_object_object_add(o, "finished", json_object_new_int64(r->finished));
	json_object_object_add(o, "seconds_to_agent", json_object_new_double(r->seconds_to_agent));
	json_object_object_add(o, "command", json_object_new_string(r->command));
	json_object_object_add(o, "command_exit", json_object_new_int(r->command_exit));
	json_object_object_add(o, "output", json_object_new_string(r->output));
	json_object_object_add(o, "screenshot", json_object_new_boolean(r->screenshot));
	json_object_object_add(o, "reason", json_object_new_string(r->reason));
	return o;
}

/* T in ISO 8601 UTC, or null for never. */
static json_object *
iso_or_null(time_t t)
{
	char b[UTIL_UTC_LEN];

	return t == 0 ? NULL : json_object_new_string(util_format_utc(t, b, sizeof(b)));
}

json_object *
state_boot_view_json(const struct boot_record *r, const char *shot)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "domain", json_object_new_string(r->domain));
	json_object_object_add(o, "job", json_object_new_string(r->job));
	json_object_object_add(o, "snapshot", json_object_new_string(r->snapshot));
	json_object_object_add(o, "snapshot_host", json_object_new_string(r->snapshot_host));
	json_object_object_add(o, "ok", json_object_new_boolean(r->ok));
	json_object_object_add(o, "result", json_object_new_string(r->ok ? "success" : "failure"));
	json_object_object_add(o, "started", iso_or_null(r->started));
	json_object_object_add(o, "finished", iso_or_null(r->finished));
	json_object_object_add(o, "seconds", json_object_new_int64(r->finished > r->started ?
	    (int64_t)(r->finished - r->started) : 0));
	json_object_object_add(o, "seconds_to_agent", r->seconds_to_agent >= 0 ?
	    json_object_new_double(r->seconds_to_agent) : NULL);
	json_object_object_add(o, "command", json_object_new_string(r->command));
	json_object_object_add(o, "command_exit", json_object_new_int(r->command_exit));
	json_object_object_add(o, "output", json_object_new_string(r->output));
	json_object_object_add(o, "reason", json_object_new_string(r->reason));
	json_object_object_add(o, "screenshot_file", shot != NULL ? json_object_new_string(shot) : NULL);
	return o;
}

int
state_boot_write(const char *state_dir, const struct boot_record *r)
{
	json_object *o = state_boot_record_json(r);
	int ret = state_write_json(state_dir, STATE_BOOT, r->domain, o, 0600);

	json_object_put(o);
	return ret;
}

char *
state_boot_screenshot_path(const char *state_dir, const char *domain)
{
	char *d = state_dir_path(state_dir, STATE_BOOT);
	char *p = xasprintf("%s/%s.png", d, domain);

	free(d);
	return p;
}

int
state_boot_list(const char *state_dir, struct strlist *names)
{
	return state_list_names(state_dir, STATE_BOOT, names);
}
