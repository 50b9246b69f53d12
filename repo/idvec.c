#include "repo/idvec.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"

struct idvec {
	uint8_t *a;
	size_t n, cap;		/* entries */
	size_t width, keylen;
	bool dedup;
	bool sealed;
	size_t peak;		/* bytes */
};

struct idvec *
idvec_new(size_t width, size_t keylen, bool dedup)
{
	struct idvec *v;

	if (width == 0 || width > IDVEC_MAX_WIDTH || keylen == 0 || keylen > width)
		abort();	/* a caller's bug */
	v = xcalloc(1, sizeof(*v));
	v->width = width;
	v->keylen = keylen;
	v->dedup = dedup;
	v->sealed = true;
	return v;
}

void
idvec_free(struct idvec *v)
{
	if (v == NULL)
		return;
	free(v->a);
	free(v);
}

static uint8_t *
at(const struct idvec *v, size_t i)
{
	return v->a + i * v->width;
}

static int
cmp(const struct idvec *v, size_t i, size_t j)
{
	return memcmp(at(v, i), at(v, j), v->keylen);
}

static void
swap(struct idvec *v, size_t i, size_t j)
{
	uint8_t t[IDVEC_MAX_WIDTH];

	if (i == j)
		return;
	memcpy(t, at(v, i), v->width);
	memcpy(at(v, i), at(v, j), v->width);
	memcpy(at(v, j), t, v->width);
}

/*
 * Sort entries [LO, HI) by key in place: quicksort with the median of
 * three, recursing into the smaller side (a stack of log n), insertion
 * sort below 16. IDs are keyed hashes: no input is adversarial.
 */
static void
sort_range(struct idvec *v, size_t lo, size_t hi)
{
	while (hi - lo > 16) {
		size_t mid = lo + (hi - lo) / 2, i = lo, j = hi - 1;

		if (cmp(v, mid, lo) < 0)
			swap(v, mid, lo);
		if (cmp(v, hi - 1, lo) < 0)
			swap(v, hi - 1, lo);
		if (cmp(v, hi - 1, mid) < 0)
			swap(v, hi - 1, mid);
		/* The pivot at LO; Hoare's partition around it. */
		swap(v, lo, mid);
		for (;;) {
			do
				i++;
			while (i < hi && cmp(v, i, lo) < 0);
			while (cmp(v, j, lo) > 0)
				j--;
			if (i >= j)
				break;
			swap(v, i, j);
		}
		swap(v, lo, j);
		if (j - lo < hi - j - 1) {
			sort_range(v, lo, j);
			lo = j + 1;
		} else {
			sort_range(v, j + 1, hi);
			hi = j;
		}
	}
	for (size_t i = lo + 1; i < hi; i++)
		for (size_t k = i; k > lo && cmp(v, k - 1, k) > 0; k--)
			swap(v, k - 1, k);
}

/* Sort, and keep the first entry of each key. */
static void
compact(struct idvec *v)
{
	size_t k = 0;

	if (v->n == 0)
		return;
	sort_range(v, 0, v->n);
	for (size_t i = 1; i < v->n; i++) {
		if (memcmp(at(v, k), at(v, i), v->keylen) == 0)
			continue;
		k++;
		if (k != i)
			memcpy(at(v, k), at(v, i), v->width);
	}
	v->n = k + 1;
}

static void
resize(struct idvec *v, size_t cap)
{
	v->a = xrealloc(v->a, alloc_mult(cap ? cap : 1, v->width));
	v->cap = cap;
	if (idvec_bytes(v) > v->peak)
		v->peak = idvec_bytes(v);
}

void
idvec_add(struct idvec *v, const void *entry)
{
	if (v->n == v->cap) {
		/* Fed duplicates, drop them first; grow by half when that left
		 * the array over 3/4 full: it never holds more than twice its
		 * distinct entries. */
		if (v->dedup)
			compact(v);
		if (v->n == v->cap || (v->dedup && v->n > v->cap / 4 * 3))
			resize(v, v->cap < 256 ? 256 : v->cap + v->cap / 2);
	}
	memcpy(at(v, v->n), entry, v->width);
	v->n++;
	v->sealed = false;
}

void
idvec_seal(struct idvec *v)
{
	if (v->sealed)
		return;
	compact(v);
	if (v->n < v->cap)
		resize(v, v->n);
	v->sealed = true;
}

size_t
idvec_find(const struct idvec *v, const void *key)
{
	size_t lo = 0, hi = v->n;

	if (!v->sealed)
		abort();	/* a caller's bug: seal first */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(at(v, mid), key, v->keylen);

		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return IDVEC_NONE;
}

size_t
idvec_count(const struct idvec *v)
{
	return v->n;
}

void *
idvec_at(struct idvec *v, size_t i)
{
	return at(v, i);
}

void
idvec_truncate(struct idvec *v, size_t n)
{
	if (n < v->n)
		v->n = n;
}

size_t
idvec_bytes(const struct idvec *v)
{
	return v->cap * v->width;
}

size_t
idvec_peak(const struct idvec *v)
{
	return v->peak;
}
