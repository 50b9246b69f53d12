#include "common/jsonx.h"

#include <stddef.h>
#include <stdio.h>

const char *
jx_str(json_object *o, const char *k)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, k, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

void
jx_strcpy(char *dst, size_t n, json_object *o, const char *k)
{
	const char *v = jx_str(o, k);

	snprintf(dst, n, "%s", v != NULL ? v : "");
}

int64_t
jx_int(json_object *o, const char *k, int64_t dflt)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, k, &v) ||
	    !json_object_is_type(v, json_type_int))
		return dflt;
	return json_object_get_int64(v);
}
