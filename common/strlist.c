#include "common/strlist.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"

void
strlist_add(struct strlist *l, const char *s)
{
	ALLOC_GROW(l->v, l->n + 1, l->cap);
	l->v[l->n++] = xstrdup(s);
}

void
strlist_clear(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
	l->cap = 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
strlist_sort(struct strlist *l)
{
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), cmp_str);
}

bool
strlist_contains(const struct strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return true;
	return false;
}

size_t
strlist_split(struct strlist *l, const char *s)
{
	size_t added = 0;

	while (*s != '\0') {
		size_t n;

		while (*s == ',' || isspace((unsigned char)*s))
			s++;
		n = strcspn(s, ", \t\r\n");
		if (n == 0)
			break;
		char *item = xstrndup(s, n);
		strlist_add(l, item);
		free(item);
		added++;
		s += n;
	}
	return added;
}

bool
strlist_glob_any(const struct strlist *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (fnmatch(l->v[i], name, 0) == 0)
			return true;
	return false;
}
