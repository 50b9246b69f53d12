#include "common/alloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
oom(size_t n)
{
	fprintf(stderr, "virtvault: out of memory allocating %zu bytes\n", n);
	abort();
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		oom(n);
	return p;
}

void *
xmalloc_aligned(size_t align, size_t n)
{
	void *p = NULL;

	if (posix_memalign(&p, align, n ? n : 1) != 0)
		oom(n);
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		oom(n * size);
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		oom(n);
	return q;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);

	if (p == NULL)
		oom(n);
	return p;
}

char *
xvasprintf(const char *fmt, va_list ap)
{
	char *s = NULL;

	if (vasprintf(&s, fmt, ap) < 0)
		oom(strlen(fmt));
	return s;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}


static void
overflow(size_t a, size_t b)
{
	fprintf(stderr, "virtvault: size overflow: %zu * %zu bytes\n", a, b);
	abort();
}

size_t
alloc_mult(size_t a, size_t b)
{
	if (b != 0 && a > SIZE_MAX / b)
		overflow(a, b);
	return a * b;
}

int
alloc_grow_cap(size_t need, size_t cap, size_t size, size_t *out)
{
	size_t grown;

	if (need <= cap) {
		*out = cap;
		return 0;
	}
	/* Half as much again, so N additions cost O(N) copies, not O(N^2). */
	grown = cap <= (SIZE_MAX - 16) / 3 * 2 ? cap / 2 * 3 + cap % 2 + 16 : need;
	if (grown < need)
		grown = need;
	if (size != 0 && grown > SIZE_MAX / size) {
		if (need > SIZE_MAX / size)
			return -1;
		grown = SIZE_MAX / size;
	}
	*out = grown;
	return 0;
}

void *
alloc_grow(void *p, size_t size, size_t need, size_t *cap)
{
	size_t n;

	if (need <= *cap)
		return p;
	if (alloc_grow_cap(need, *cap, size, &n) < 0)
		overflow(need, size);
	p = xrealloc(p, n * size);
	*cap = n;
	return p;
}
