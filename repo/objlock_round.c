/*
 * The retention extension rounds of a locked repository (repo/objlock.h):
 * the objects a round extends are noted as prune's mark reads them
 * (manifests, indexes, their chunks: 32 bytes a chunk), extended in
 * parallel, and the round recorded in the "retention" object under a MAC
 * of the master key, so that whoever can write the store but has no
 * password cannot make rounds look done.
 */
#include "repo/objlock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fault.h"
#include "common/jsonx.h"
#include "common/log.h"
#include "common/par.h"
#include "common/util.h"
#include "repo/idvec.h"
#include "repo/layout.h"
#include "repo/repo_int.h"

struct objlock_round {
	struct repo *r;
	struct strlist manifests;
	struct idvec *indexes;
	struct idvec *chunks;
};

struct objlock_round *
objlock_round_new(struct repo *r)
{
	struct objlock_round *o;

	if (r->lock.mode == STORE_LOCK_NONE)
		return NULL;
	o = xcalloc(1, sizeof(*o));
	o->r = r;
	o->indexes = idvec_new(CRYPTO_HASH_LEN, CRYPTO_HASH_LEN, true);
	o->chunks = idvec_new(CRYPTO_HASH_LEN, CRYPTO_HASH_LEN, true);
	return o;
}

void
objlock_round_free(struct objlock_round *o)
{
	if (o == NULL)
		return;
	strlist_clear(&o->manifests);
	idvec_free(o->indexes);
	idvec_free(o->chunks);
	free(o);
}

void
objlock_round_manifest(struct objlock_round *o, const char *key)
{
	if (o != NULL)
		strlist_add(&o->manifests, key);
}

void
objlock_round_index(struct objlock_round *o, const char *key, const struct index *ix)
{
	uint8_t id[CRYPTO_HASH_LEN];

	if (o == NULL || layout_id_of_key(key, id) < 0)
		return;
	idvec_add(o->indexes, id);
	for (uint64_t i = 0; ix != NULL && i < index_objects(ix); i++)
		if (!repo_id_is_zero(index_object(ix, i)))
			idvec_add(o->chunks, index_object(ix, i));
}

/* The MAC of a round at STAMP of repository R, 64 hex digits into OUT; -1 without a key. */
static int
round_mac(const struct repo *r, const char *stamp, char out[65])
{
	uint8_t k[CRYPTO_KEY_LEN], h[CRYPTO_HASH_LEN];
	char *text;

	if (!r->has_master || crypto_hkdf(r->master, "virtvault retention v1", k) < 0)
		return -1;
	text = xasprintf("repository=%s\nround=%s\n", r->id, stamp);
	crypto_hmac(k, text, strlen(text), h);
	crypto_hex(h, sizeof(h), out);
	explicit_bzero(k, sizeof(k));
	free(text);
	return 0;
}

/* The time of R's last recorded round, 0 when none can be trusted. */
static time_t
last_round(struct repo *r)
{
	int nf;
	json_object *o = repo_store_json(r->store, LAYOUT_RETENTION, &nf);
	const char *stamp = jx_str(o, "round"), *mac = jx_str(o, "mac");
	char want[65];
	time_t t = 0;

	if (o == NULL)
		return 0;
	if (stamp == NULL || mac == NULL || round_mac(r, stamp, want) < 0 ||
	    strcmp(want, mac) != 0 || util_parse_time(stamp, &t) < 0) {
		t = 0;
		log_warn("repository %s: the record of the last retention round fails its authentication (or the repository has no key): a round runs now",
		    store_url(r->store));
	}
	json_object_put(o);
	return t;
}

static int
record_round(struct repo *r, time_t t)
{
	char stamp[UTIL_UTC_LEN], mac[65];
	json_object *o;
	int rc;

	util_format_utc(t, stamp, sizeof(stamp));
	if (round_mac(r, stamp, mac) < 0)
		return 0;	/* unencrypted: every prune runs a round */
	o = json_object_new_object();
	json_object_object_add(o, "round", json_object_new_string(stamp));
	json_object_object_add(o, "mac", json_object_new_string(mac));
	rc = repo_store_put_json(r->store, LAYOUT_RETENTION, o, STORE_DURABLE);
	json_object_put(o);
	return rc == 0 ? 0 : -1;
}

/* The work of a round: key I of config, KEYS, manifests, indexes, chunks in that order. */
struct round_work {
	struct objlock_round *o;
	const struct strlist *keys;
	time_t until;
	int *rc;
};

static void
extend_one(size_t i, void *ctx)
{
	struct round_work *w = ctx;
	struct objlock_round *o = w->o;
	char buf[LAYOUT_KEY_MAX];
	const char *key;
	size_t ni = idvec_count(o->indexes), at = i;

	if (i == 0)
		key = LAYOUT_CONFIG;
	else if ((i -= 1) < w->keys->n)
		key = w->keys->v[i];
	else if ((i -= w->keys->n) < o->manifests.n)
		key = o->manifests.v[i];
	else if ((i -= o->manifests.n) < ni)
		key = layout_index_key(idvec_at(o->indexes, i), buf, sizeof(buf));
	else
		key = layout_chunk_key(idvec_at(o->chunks, i - ni), buf, sizeof(buf));
	w->rc[at] = store_extend_retention(o->r->store, key, NULL, w->until);
}

int
objlock_round_run(struct objlock_round *o, bool force, bool dry_run, struct objlock_stats *st)
{
	struct strlist keys = { 0 };
	struct round_work w;
	time_t now = time(NULL);
	uint64_t req0;
	size_t n;
	int par, ret = -1;

	memset(st, 0, sizeof(*st));
	if (o == NULL)
		return 0;
	req0 = store_requests(o->r->store);
	st->last = last_round(o->r);
	if (!force && !objlock_due(now, st->last, o->r->lock.extend)) {
		st->next = st->last + (time_t)o->r->lock.extend;
		st->requests = store_requests(o->r->store) - req0;
		return 0;
	}
	if (store_list(o->r->store, LAYOUT_KEYS, &keys) < 0)
		goto out;
	idvec_seal(o->indexes);
	idvec_seal(o->chunks);
	n = 1 + keys.n + o->manifests.n + idvec_count(o->indexes) + idvec_count(o->chunks);
	st->ran = true;
	st->until = now + (time_t)o->r->lock.days * 86400;
	st->next = now + (time_t)o->r->lock.extend;
	if (dry_run) {
		st->objects = n;
		ret = 0;
		goto out;
	}
	w = (struct round_work){ o, &keys, st->until, xcalloc(n, sizeof(int)) };
	par = store_parallelism(o->r->store);
	par_each(n, par > 0 ? par : 1, extend_one, &w);
	for (size_t i = 0; i < n; i++) {
		if (w.rc[i] == 0)
			st->objects++;
		else if (w.rc[i] != VV_NOT_FOUND)	/* gone: forgotten meanwhile */
			st->failed++;
	}
	free(w.rc);
	if (st->failed > 0) {
		log_error("repository %s: the retention of %zu objects could not be extended: the round is not recorded, the next prune runs it again",
		    store_url(o->r->store), st->failed);
		goto out;
	}
	/* A test kills prune here: every object extended, the round unrecorded. */
	fault_stall("retention-extended", NULL, NULL);
	ret = record_round(o->r, now);
out:
	st->requests = store_requests(o->r->store) - req0;
	strlist_clear(&keys);
	return ret;
}

void
objlock_warn_overdue(struct repo *r)
{
	const struct objlock *l = &r->lock;
	time_t now = time(NULL), last, from;
	time_t margin = (time_t)l->days * 86400 - 2 * (time_t)l->extend;
	char a[UTIL_UTC_LEN], b[UTIL_UTC_LEN];

	if (l->mode == STORE_LOCK_NONE)
		return;
	last = last_round(r);
	from = last > 0 ? last : l->since;
	if (from <= 0 || now < from + (time_t)l->extend + margin / 2)
		return;
	log_warn("repository %s: %s %s: run 'virtvault prune' before %s, or objects live snapshots reference could become deletable (docs/FORMAT.md, \"Object Lock\")",
	    store_url(r->store), last > 0 ? "the last retention extension round was at" :
	    "no retention extension round since the repository was made at",
	    util_format_utc(from, a, sizeof(a)),
	    util_format_utc(from + (time_t)l->days * 86400 - (time_t)l->extend, b, sizeof(b)));
}
