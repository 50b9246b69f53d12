/*
 * Allocation that cannot fail, and arrays that grow geometrically with
 * overflow-checked sizes (as git's ALLOC_GROW and st_mult).
 */
#ifndef VV_ALLOC_H
#define VV_ALLOC_H

#include <stdarg.h>
#include <stddef.h>

/*
 * Allocation that cannot fail: on exhaustion the process prints a message
 * and aborts. Every size a caller passes is bounded by the caller.
 */
void *xmalloc(size_t n) __attribute__((returns_nonnull, malloc));
void *xcalloc(size_t n, size_t size) __attribute__((returns_nonnull, malloc));
void *xrealloc(void *p, size_t n) __attribute__((returns_nonnull));
char *xstrdup(const char *s) __attribute__((returns_nonnull, malloc));
char *xstrndup(const char *s, size_t n) __attribute__((returns_nonnull, malloc));
/*
 * xmalloc_aligned: N bytes at an address that is a multiple of ALIGN (a
 * power of two, at least sizeof(void *)), as O_DIRECT wants; free() it.
 */
#define ALLOC_DIRECT_ALIGN 4096
void *xmalloc_aligned(size_t align, size_t n) __attribute__((returns_nonnull, malloc));
/* xasprintf: a new formatted string; the caller frees it. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* xvasprintf: the same with a va_list. */
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/*
 * alloc_mult: A * B; on overflow of size_t the process prints a message and
 * aborts (a size that large is a bug, not a shortage of memory).
 */
size_t alloc_mult(size_t a, size_t b);

/*
 * alloc_grow_cap: the capacity an array of CAP items, each SIZE bytes,
 * grows to so that it holds NEED items: CAP when enough, else the larger
 * of NEED and CAP * 3 / 2 + 16. Returns 0 with *OUT, or -1 when NEED
 * items, or the grown capacity's bytes, do not fit in size_t (*OUT then
 * untouched). Pure: no allocation.
 */
int alloc_grow_cap(size_t need, size_t cap, size_t size, size_t *out);

/*
 * alloc_grow: P (an array of *CAP items of SIZE bytes) reallocated, when
 * needed, to hold at least NEED items; *CAP updated. Returns the array
 * (P itself when it was large enough). Aborts on overflow as alloc_mult.
 */
void *alloc_grow(void *p, size_t size, size_t need, size_t *cap)
    __attribute__((returns_nonnull));

/* ALLOC_GROW: room for NEED items in the array P of capacity CAP. */
#define ALLOC_GROW(p, need, cap) ((p) = alloc_grow((p), sizeof(*(p)), (need), &(cap)))

#endif
