/* A list of owned strings. */
#ifndef VV_STRLIST_H
#define VV_STRLIST_H

#include <stdbool.h>
#include <stddef.h>

/* Zero-initialised ({ 0 }) it is the empty list. */
struct strlist {
	char **v;
	size_t n;
	size_t cap;	/* room in v; grows geometrically */
};

/* strlist_add: append a copy of S (amortised constant time). */
void strlist_add(struct strlist *l, const char *s);
/* strlist_clear: free every string and the array; the list is empty. */
void strlist_clear(struct strlist *l);
/* strlist_sort: sort L's strings in strcmp order. */
void strlist_sort(struct strlist *l);
/* strlist_contains: whether S is in L. */
bool strlist_contains(const struct strlist *l, const char *s);
/*
 * strlist_split: append to L the items of S separated by commas and/or
 * white space, empty items skipped. Returns the number appended.
 */
size_t strlist_split(struct strlist *l, const char *s);
/* strlist_glob_any: whether NAME matches any glob pattern of L. */
bool strlist_glob_any(const struct strlist *l, const char *name);

#endif
