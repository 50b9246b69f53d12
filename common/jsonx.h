/* Reading fields of JSON objects (json-c) we wrote or were given. */
#ifndef VV_JSONX_H
#define VV_JSONX_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

/* jx_str: string field K of O, or NULL (O may be NULL; not a string: NULL). */
const char *jx_str(json_object *o, const char *k);

/*
 * jx_strcpy: string field K of O into DST (N bytes, cut to fit); "" when
 * it is absent or not a string.
 */
void jx_strcpy(char *dst, size_t n, json_object *o, const char *k);

/* jx_int: integer field K of O, or DFLT when absent or not an integer. */
int64_t jx_int(json_object *o, const char *k, int64_t dflt);

#endif
