/*
 * Object Lock of a repository: its settings (recorded by init, applied by
 * open), a backup's reuse of a chunk already stored, and prune's deletion
 * of garbage that is no longer retained. The rounds are in objlock_round.c.
 */
#include "repo/objlock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/jsonx.h"
#include "common/log.h"
#include "common/par.h"
#include "common/util.h"
#include "repo/repo_int.h"

const char *
objlock_mode_name(int mode)
{
	return mode == STORE_LOCK_GOVERNANCE ? "governance" :
	    mode == STORE_LOCK_COMPLIANCE ? "compliance" : "none";
}

int
objlock_mode_parse(const char *name)
{
	if (name == NULL || strcmp(name, "none") == 0)
		return STORE_LOCK_NONE;
	if (strcmp(name, "governance") == 0)
		return STORE_LOCK_GOVERNANCE;
	if (strcmp(name, "compliance") == 0)
		return STORE_LOCK_COMPLIANCE;
	return -1;
}

/* The bound of docs/FORMAT.md: D > 2E, E at least an hour. */
static int
check_bound(const struct objlock *l, char *err, size_t errlen)
{
	uint64_t d = (uint64_t)l->days * 86400;

	if (l->days == 0) {
		snprintf(err, errlen, "object_lock = %s needs object_lock_days", objlock_mode_name(l->mode));
		return -1;
	}
	if (l->extend < 3600 || 2 * l->extend >= d) {
		snprintf(err, errlen,
		    "object_lock_extend (%llus) must be at least 1h and below half of object_lock_days (%u days = %llus): a referenced object must stay locked until the round after next",
		    (unsigned long long)l->extend, l->days, (unsigned long long)d);
		return -1;
	}
	return 0;
}

int
objlock_of_conf(const struct conf *c, struct objlock *l, char *err, size_t errlen)
{
	memset(l, 0, sizeof(*l));
	l->mode = objlock_mode_parse(c->object_lock);
	if (l->mode < 0) {
		snprintf(err, errlen, "object_lock = %s is not governance, compliance or none", c->object_lock);
		return -1;
	}
	if (l->mode == STORE_LOCK_NONE)
		return 0;
	l->days = c->object_lock_days;
	l->extend = c->object_lock_extend ? c->object_lock_extend : (uint64_t)l->days * 86400 / 4;
	return check_bound(l, err, errlen);
}

bool
objlock_due(time_t now, time_t last, uint64_t extend)
{
	/* A record from the future (a clock set back, a forged one) is none. */
	if (last <= 0 || last > now + 300)
		return true;
	return last <= now && (uint64_t)(now - last) >= extend;
}

bool
objlock_reuse_short(const struct objlock *l, time_t now, time_t until)
{
	if (l->mode == STORE_LOCK_NONE)
		return false;
	return until < now + (time_t)l->days * 86400 - (time_t)l->extend;
}

int
objlock_init(const struct conf *c, struct store *s, json_object *cfg)
{
	struct objlock l;
	json_object *o;
	char err[320];
	int rc;

	if (objlock_of_conf(c, &l, err, sizeof(err)) < 0) {
		log_error("repository %s: %s", c->url, err);
		return -1;
	}
	if (l.mode == STORE_LOCK_NONE)
		return 0;
	if (strncmp(c->url, "s3://", 5) != 0) {
		log_error("repository %s: object_lock = %s needs an s3:// repository (S3 Object Lock)",
		    c->url, objlock_mode_name(l.mode));
		return -1;
	}
	rc = store_lock_enabled(s);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		log_error("repository %s: object_lock = %s, but the bucket has no Object Lock enabled: make the bucket with it (virtvault init makes a new bucket so), or set object_lock = none",
		    c->url, objlock_mode_name(l.mode));
		return -1;
	}
	if (store_set_lock(s, l.mode, l.days) < 0)
		return -1;
	o = json_object_new_object();
	json_object_object_add(o, "mode", json_object_new_string(objlock_mode_name(l.mode)));
	json_object_object_add(o, "days", json_object_new_int64(l.days));
	json_object_object_add(o, "extend", json_object_new_int64((int64_t)l.extend));
	json_object_object_add(cfg, "object_lock", o);
	return 0;
}

int
objlock_open(const struct conf *c, struct store *s, json_object *cfg, struct objlock *l)
{
	json_object *o;
	int64_t days, extend;
	char err[320];

	memset(l, 0, sizeof(*l));
	if (!json_object_object_get_ex(cfg, "object_lock", &o)) {
		if (c->object_lock != NULL)
			log_warn("repository %s was made without Object Lock; object_lock = %s in the configuration applies to new repositories only",
			    c->url, c->object_lock);
		return 0;
	}
	days = jx_int(o, "days", -1);
	extend = jx_int(o, "extend", -1);
	l->mode = objlock_mode_parse(jx_str(o, "mode"));
	if (l->mode <= STORE_LOCK_NONE || days < 1 || days > 36500 || extend < 0) {
		log_error("repository %s: the config object's object_lock is invalid", c->url);
		return -1;
	}
	l->days = (unsigned)days;
	l->extend = (uint64_t)extend;
	if (jx_str(cfg, "created") == NULL || util_parse_time(jx_str(cfg, "created"), &l->since) < 0)
		l->since = 0;
	if (check_bound(l, err, sizeof(err)) < 0) {
		log_error("repository %s: the config object's object_lock is invalid: %s", c->url, err);
		return -1;
	}
	if ((c->object_lock != NULL && objlock_mode_parse(c->object_lock) != l->mode) ||
	    (c->object_lock_days != 0 && c->object_lock_days != l->days))
		log_warn("repository %s retains every object %u days in %s mode, fixed when it was made; object_lock and object_lock_days in the configuration apply to new repositories only",
		    c->url, l->days, objlock_mode_name(l->mode));
	return store_set_lock(s, l->mode, l->days);
}

const struct objlock *
objlock_of(const struct repo *r)
{
	return &r->lock;
}

int
objlock_reuse(struct repo *r, const char *key)
{
	char version[128];
	time_t until, now = time(NULL);
	int rc;

	if (r->lock.mode == STORE_LOCK_NONE)
		return store_exists(r->store, key);
	rc = store_retention(r->store, key, &until, version, sizeof(version));
	if (rc == VV_NOT_FOUND)
		return 0;
	if (rc != 0)
		return -1;
	/* Garbage of a forgotten snapshot, say: locked for less than a live one needs. */
	if (objlock_reuse_short(&r->lock, now, until)) {
		log_debug("repository %s: reused %s is retained until %lld only: extended",
		    store_url(r->store), key, (long long)until);
		if (store_extend_retention(r->store, key, version,
		    now + (time_t)r->lock.days * 86400) != 0)
			return -1;
	}
	return 1;
}

/* One garbage object of the sweep and what became of it. */
struct sweep_one {
	struct store *s;
	const char *key;
	time_t now;
	time_t until;
	int rc;		/* 0 deleted, 1 locked, 2 denied, -1 failed */
};

static void
sweep_one(size_t i, void *ctx)
{
	struct sweep_one *x = (struct sweep_one *)ctx + i;
	char version[128];
	int rc = store_retention(x->s, x->key, &x->until, version, sizeof(version));

	if (rc == VV_NOT_FOUND) {
		x->rc = 0;
		return;
	}
	if (rc != 0) {
		x->rc = -1;
		return;
	}
	if (x->until > x->now) {
		x->rc = 1;
		return;
	}
	rc = store_delete_version(x->s, x->key, version);
	x->rc = rc == 0 || rc == VV_NOT_FOUND ? 0 : rc == VV_LOCKED ? 1 : rc == VV_DENIED ? 2 : -1;
	if (rc == VV_LOCKED && x->until < x->now)
		x->until = x->now;
}

void
objlock_sweep(struct repo *r, char *const *keys, size_t n, struct objlock_sweep *sw)
{
	struct sweep_one *x = xcalloc(n ? n : 1, sizeof(*x));
	time_t now = time(NULL);
	int par = store_parallelism(r->store);

	for (size_t i = 0; i < n; i++)
		x[i] = (struct sweep_one){ r->store, keys[i], now, 0, 0 };
	par_each(n, par > 0 ? par : 1, sweep_one, x);
	for (size_t i = 0; i < n; i++) {
		if (x[i].rc == 0) {
			sw->deleted++;
		} else if (x[i].rc == 1) {
			sw->locked++;
			if (x[i].until > sw->locked_until)
				sw->locked_until = x[i].until;
		} else {
			if (x[i].rc == 2) {
				log_error("repository %s: deleting %s was refused to this credential (403 AccessDenied)",
				    store_url(r->store), keys[i]);
				sw->denied = true;
			}
			sw->failed++;
		}
	}
	free(x);
}
