/*
 * JSON objects of a store (the config, key objects): read whole, under
 * the metadata cap, and written. The lowest internal module of the
 * repository handle: repo.c, keys.c and config.c use it, it uses none of
 * them. Internal to repo/.
 */
#ifndef VV_REPO_STORE_H
#define VV_REPO_STORE_H

#include <json-c/json.h>

#include "transport/store.h"

/*
 * repo_store_json: object KEY of S as a JSON object, or NULL with
 * *NOTFOUND 1 (no such object), 2 (unreadable: logged) or 0 (not JSON).
 */
json_object *repo_store_json(struct store *s, const char *key, int *notfound);

/* repo_store_put_json: put O as object KEY of S with FLAGS (store_put). */
int repo_store_put_json(struct store *s, const char *key, json_object *o, int flags);

#endif
