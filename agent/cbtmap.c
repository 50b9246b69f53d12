#include "agent/cbtmap.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "common/endian.h"
#include "common/util.h"

#define MAP_MAGIC "VVM1"
#define MAP_HEADER_LEN 28	/* magic, virtual size, file size, count */

static bool
get_u64(json_object *o, const char *k, uint64_t *out)
{
	json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) < 0)
		return false;
	*out = (uint64_t)json_object_get_int64(v);
	return true;
}

static bool
get_bool(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) && json_object_get_boolean(v);
}

int
cbt_map_parse(const char *text, struct cbt_map *m, char *err, size_t errlen)
{
	json_tokener *tok = json_tokener_new_ex(8);
	json_object *root = json_tokener_parse_ex(tok, text, (int)strlen(text) + 1);
	size_t count, cap = 0;
	uint64_t end = 0;
	int ret = -1;

	m->v = NULL;
	m->n = 0;
	if (root == NULL || json_tokener_get_error(tok) != json_tokener_success ||
	    !json_object_is_type(root, json_type_array)) {
		snprintf(err, errlen, "qemu-img map printed no JSON list");
		goto out;
	}
	count = json_object_array_length(root);
	for (size_t i = 0; i < count; i++) {
		json_object *o = json_object_array_get_idx(root, i);
		uint64_t start, len, depth, off;

		if (!get_u64(o, "start", &start) || !get_u64(o, "length", &len) ||
		    !get_u64(o, "depth", &depth)) {
			snprintf(err, errlen, "qemu-img map entry %zu has no start, length or depth", i + 1);
			goto out;
		}
		if (start < end || start + len < start) {
			snprintf(err, errlen, "qemu-img map entry %zu is out of order", i + 1);
			goto out;
		}
		end = start + len;
		/* Only the image's own data clusters, stored plainly. */
		if (depth != 0 || !get_bool(o, "data") || get_bool(o, "compressed") ||
		    !get_u64(o, "offset", &off) || len == 0)
			continue;
		if (m->n > 0 && m->v[m->n - 1].start + m->v[m->n - 1].len == start &&
		    m->v[m->n - 1].offset + m->v[m->n - 1].len == off) {
			m->v[m->n - 1].len += len;
			continue;
		}
		if (m->n == cap) {
			cap = cap ? cap * 2 : 64;
			m->v = xrealloc(m->v, cap * sizeof(*m->v));
		}
		m->v[m->n].start = start;
		m->v[m->n].len = len;
		m->v[m->n].offset = off;
		m->n++;
	}
	ret = 0;
out:
	if (ret < 0) {
		free(m->v);
		m->v = NULL;
		m->n = 0;
	}
	json_object_put(root);
	json_tokener_free(tok);
	return ret;
}

uint8_t *
cbt_map_encode(const struct cbt_map *m, size_t *len)
{
	size_t n = MAP_HEADER_LEN + m->n * 24;
	uint8_t *b = xmalloc(n), *p = b + MAP_HEADER_LEN;

	memcpy(b, MAP_MAGIC, 4);
	le_store(b + 4, m->virtual_size, 8);
	le_store(b + 12, m->file_size, 8);
	le_store(b + 20, m->n, 8);
	for (size_t i = 0; i < m->n; i++, p += 24) {
		le_store(p, m->v[i].start, 8);
		le_store(p + 8, m->v[i].len, 8);
		le_store(p + 16, m->v[i].offset, 8);
	}
	*len = n;
	return b;
}

int
cbt_map_decode(const uint8_t *buf, size_t len, struct cbt_map *m, char *err, size_t errlen)
{
	uint64_t n, end = 0;
	const uint8_t *p = buf + MAP_HEADER_LEN;

	memset(m, 0, sizeof(*m));
	if (len < MAP_HEADER_LEN || memcmp(buf, MAP_MAGIC, 4) != 0) {
		snprintf(err, errlen, "not a cluster map");
		return -1;
	}
	n = le_load(buf + 20, 8);
	if (n > (len - MAP_HEADER_LEN) / 24 || len != MAP_HEADER_LEN + n * 24) {
		snprintf(err, errlen, "truncated cluster map");
		return -1;
	}
	m->virtual_size = le_load(buf + 4, 8);
	m->file_size = le_load(buf + 12, 8);
	m->v = xcalloc(n ? n : 1, sizeof(*m->v));
	for (uint64_t i = 0; i < n; i++, p += 24) {
		m->v[i].start = le_load(p, 8);
		m->v[i].len = le_load(p + 8, 8);
		m->v[i].offset = le_load(p + 16, 8);
		if (m->v[i].start < end || m->v[i].start + m->v[i].len < m->v[i].start) {
			snprintf(err, errlen, "cluster map extent %llu is out of order",
			    (unsigned long long)i + 1);
			cbt_map_clear(m);
			return -1;
		}
		end = m->v[i].start + m->v[i].len;
	}
	m->n = (size_t)n;
	return 0;
}

void
cbt_map_digest(const struct cbt_map *m, char out[65])
{
	uint8_t h[CRYPTO_HASH_LEN];
	size_t n;
	uint8_t *b = cbt_map_encode(m, &n);

	crypto_sha256(b, n, h);
	crypto_hex(h, sizeof(h), out);
	free(b);
}

void
cbt_map_clear(struct cbt_map *m)
{
	free(m->v);
	memset(m, 0, sizeof(*m));
}

void
cbt_ranges_add(struct cbt_ranges *r, uint64_t start, uint64_t len)
{
	if (len == 0)
		return;
	if (r->n > 0 && r->v[r->n - 1].start + r->v[r->n - 1].len >= start) {
		uint64_t end = start + len, last = r->v[r->n - 1].start + r->v[r->n - 1].len;

		if (end > last)
			r->v[r->n - 1].len = end - r->v[r->n - 1].start;
		return;
	}
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 64;
		r->v = xrealloc(r->v, r->cap * sizeof(*r->v));
	}
	r->v[r->n].start = start;
	r->v[r->n].len = len;
	r->v[r->n].offset = 0;
	r->n++;
}

void
cbt_ranges_clear(struct cbt_ranges *r)
{
	free(r->v);
	memset(r, 0, sizeof(*r));
}

/* The first of V (N, sorted, not overlapping) that ends after X. */
static size_t
first_ending_after(const struct cbt_extent *v, size_t n, uint64_t x)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid].start + v[mid].len <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Host intervals [start, start+len), as extents (offset unused). */
static void
add_host(struct cbt_ranges *h, uint64_t start, uint64_t len)
{
	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 64;
		h->v = xrealloc(h->v, h->cap * sizeof(*h->v));
	}
	h->v[h->n].start = start;
	h->v[h->n].len = len;
	h->n++;
}

/* Guest [A, B) of new extent E is clean: its host bytes, minus DIRTY. */
static void
add_clean(struct cbt_ranges *h, const struct cbt_extent *e, const struct cbt_ranges *dirty,
    uint64_t a, uint64_t b)
{
	size_t k = first_ending_after(dirty->v, dirty->n, a);

	for (; a < b; k++) {
		uint64_t cut = b;

		if (k < dirty->n && dirty->v[k].start < b)
			cut = dirty->v[k].start > a ? dirty->v[k].start : a;
		if (cut > a)
			add_host(h, e->offset + (a - e->start), cut - a);
		if (k >= dirty->n || dirty->v[k].start >= b)
			break;
		a = dirty->v[k].start + dirty->v[k].len;
	}
}

static int
by_start(const void *pa, const void *pb)
{
	const struct cbt_extent *a = pa, *b = pb;

	return a->start < b->start ? -1 : a->start > b->start;
}

uint64_t
cbt_plan(const struct cbt_map *old, const struct cbt_map *new,
    const struct cbt_ranges *dirty, uint32_t chunk_size, uint8_t *skip, uint64_t count)
{
	struct cbt_ranges host = { 0 };
	uint64_t marked = 0;
	size_t k = 0;

	memset(skip, 0, (size_t)count);
	/* Host bytes of data clusters that are clean and did not move. */
	for (size_t i = 0; i < new->n; i++) {
		const struct cbt_extent *e = &new->v[i];
		uint64_t e_end = e->start + e->len;

		for (size_t j = first_ending_after(old->v, old->n, e->start);
		    j < old->n && old->v[j].start < e_end; j++) {
			const struct cbt_extent *o = &old->v[j];
			uint64_t a = o->start > e->start ? o->start : e->start;
			uint64_t b = o->start + o->len < e_end ? o->start + o->len : e_end;

			if (o->offset + e->start == e->offset + o->start)
				add_clean(&host, e, dirty, a, b);
		}
	}
	if (host.n > 1)
		qsort(host.v, host.n, sizeof(*host.v), by_start);
	/* A chunk is unchanged when it lies in one merged run of such bytes
	 * and had the same length in the reference's file. */
	for (uint64_t c = 0; c < count; c++) {
		uint64_t a = c * chunk_size, b = a + chunk_size;
		uint64_t run_end;

		if (b > new->file_size)
			b = new->file_size;
		if (b > old->file_size || (b < a + chunk_size && old->file_size != new->file_size))
			break;
		while (k < host.n && host.v[k].start + host.v[k].len <= a)
			k++;
		if (k >= host.n)
			break;
		if (host.v[k].start > a)
			continue;
		run_end = host.v[k].start + host.v[k].len;
		for (size_t m = k + 1; m < host.n && host.v[m].start <= run_end && run_end < b; m++)
			if (host.v[m].start + host.v[m].len > run_end)
				run_end = host.v[m].start + host.v[m].len;
		if (run_end >= b) {
			skip[c] = 1;
			marked += b - a;
		}
	}
	cbt_ranges_clear(&host);
	return marked;
}
