#define _XOPEN_SOURCE 700
#include "tests/fakes/tmpdir.h"

#include <ftw.h>
#include <json-c/json.h>
#include <stdio.h>

static int
remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

int
tmpdir_remove(const char *dir)
{
	return nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

int
tmpdir_edit_json(const char *path, const char *k, const char *v)
{
	json_object *o = json_object_from_file(path);
	int ret;

	if (o == NULL)
		return -1;
	if (v == NULL)
		json_object_object_del(o, k);
	else
		json_object_object_add(o, k, json_tokener_parse(v));
	ret = json_object_to_file(path, o) == 0 ? 0 : -1;
	json_object_put(o);
	return ret;
}
