#include "agent/journal.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"

char *
journal_path(const char *state_dir, const char *dom)
{
	return xasprintf("%s/journal/%s.json", state_dir, dom);
}

int
journal_peek(const char *state_dir, const char *dom, char **phase)
{
	char *path = journal_path(state_dir, dom);
	json_object *root, *v;
	int ret = 1;

	if (access(path, F_OK) < 0) {
		if (errno == ENOENT) {
			ret = 0;
		} else {
			log_error("journal %s: %s", path, strerror(errno));
			ret = -1;
		}
		free(path);
		return ret;
	}
	root = json_object_from_file(path);
	if (root != NULL && json_object_object_get_ex(root, "phase", &v) &&
	    json_object_is_type(v, json_type_string))
		*phase = xstrdup(json_object_get_string(v));
	else
		*phase = xstrdup("unknown");
	json_object_put(root);
	free(path);
	return ret;
}
