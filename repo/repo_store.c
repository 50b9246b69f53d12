#include "repo/repo_store.h"

#include <stdlib.h>
#include <string.h>

#include "repo/repo.h"

int
repo_store_put_json(struct store *s, const char *key, json_object *o, int flags)
{
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY);

	return store_put(s, key, text, strlen(text), flags);
}

json_object *
repo_store_json(struct store *s, const char *key, int *notfound)
{
	void *buf = NULL;
	size_t len = 0;
	json_object *o;
	json_tokener *tok;
	int r;

	*notfound = 0;
	r = store_get(s, key, &buf, &len, REPO_MAX_META);
	if (r == VV_NOT_FOUND)
		*notfound = 1;
	else if (r != 0)
		*notfound = 2;	/* could not be read: the store said why */
	if (r != 0)
		return NULL;
	tok = json_tokener_new_ex(32);
	o = json_tokener_parse_ex(tok, buf, (int)len);
	/* A value that may go on (a number) ends at the end of the object. */
	if (o == NULL && json_tokener_get_error(tok) == json_tokener_continue)
		o = json_tokener_parse_ex(tok, "", 1);
	if (o != NULL && (json_tokener_get_error(tok) != json_tokener_success ||
	    !json_object_is_type(o, json_type_object))) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	free(buf);
	return o;
}
