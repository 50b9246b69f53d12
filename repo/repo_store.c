#include "repo/repo_store.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "repo/fallback.h"
#include "repo/repo.h"

int
repo_store_put_json(struct store *s, const char *key, json_object *o, int flags)
{
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY);
	int rc = store_put(s, key, text, strlen(text), flags);

	if (rc == VV_DENIED) {
		log_error("repository %s: writing %s was refused (403 AccessDenied): this credential may not write",
		    store_url(s), key);
		rc = -1;
	}
	return rc;
}

/* BUF (LEN bytes) as a JSON object, or NULL. */
static json_object *
parse_object(const void *buf, size_t len)
{
	json_tokener *tok = json_tokener_new_ex(32);
	json_object *o = json_tokener_parse_ex(tok, buf, (int)len);

	/* A value that may go on (a number) ends at the end of the object. */
	if (o == NULL && json_tokener_get_error(tok) == json_tokener_continue)
		o = json_tokener_parse_ex(tok, "", 1);
	if (o != NULL && (json_tokener_get_error(tok) != json_tokener_success ||
	    !json_object_is_type(o, json_type_object))) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

/* Whether a version of a JSON object is one: what can be checked without the keys. */
static int
json_check(const char *key, const void *raw, size_t len, void *ctx, char *why, size_t whylen)
{
	json_object *o = len > REPO_MAX_META ? NULL : parse_object(raw, len);

	(void)key;
	(void)ctx;
	if (o == NULL) {
		snprintf(why, whylen, "not valid JSON");
		return -1;
	}
	json_object_put(o);
	return 0;
}

json_object *
repo_store_json(struct store *s, const char *key, int *notfound)
{
	void *buf = NULL;
	size_t len = 0;
	json_object *o;
	char why[80];
	int r;

	*notfound = 0;
	r = fallback_get(s, key, REPO_MAX_META, json_check, NULL, &buf, &len, why, sizeof(why));
	if (r == VV_NOT_FOUND)
		*notfound = 1;
	else if (r != 0 && why[0] == '\0')
		*notfound = 2;	/* could not be read: the store said why */
	if (r != 0)
		return NULL;
	o = parse_object(buf, len);
	free(buf);
	return o;
}
