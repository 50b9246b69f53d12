/*
 * S3 Object Lock of a repository (docs/FORMAT.md, "Object Lock"): the
 * settings init records in the authenticated config and every open
 * applies to the store, the reuse of an old chunk by a backup, and the
 * retention extension rounds that keep every object a live snapshot
 * references locked:
 *
 *   invariant: every object referenced by a live snapshot has
 *   retain-until > now.
 *
 * A put retains an object D (object_lock_days) days. A round at T extends
 * every referenced object (config, keys, manifests, indexes, chunks) to
 * T + D; a backup that reuses a chunk it finds in the store (HEAD) extends
 * it to now + D when its date is before now + D - E. So after a round at T
 * every referenced object is retained until at least T + D - E, and the
 * next round is due at T + E (E: object_lock_extend): the bound D > 2E
 * leaves a margin of D - 2E for a late round. init refuses a period
 * without it. A round costs one PutObjectRetention per referenced object.
 */
#ifndef VV_OBJLOCK_H
#define VV_OBJLOCK_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "conf/conf.h"
#include "repo/index.h"
#include "transport/store.h"

struct repo;

/* A repository's Object Lock, as its config records it. */
struct objlock {
	int mode;		/* STORE_LOCK_*; STORE_LOCK_NONE: none */
	unsigned days;		/* D */
	uint64_t extend;	/* E, seconds between rounds */
	time_t since;		/* when the repository was made (0: unknown) */
};

/* objlock_mode_name: "governance", "compliance" or "none". */
const char *objlock_mode_name(int mode);

/* objlock_mode_parse: the STORE_LOCK_* of NAME, or -1. */
int objlock_mode_parse(const char *name);

/*
 * objlock_of_conf: the settings configuration C asks init for into L (E
 * defaults to a quarter of D). Returns 0, or -1 with the reason in ERR
 * (the bound D > 2E broken, days missing), not logged.
 */
int objlock_of_conf(const struct conf *c, struct objlock *l, char *err, size_t errlen);

/* objlock_due: whether a round is due at NOW after the last at LAST (0: none) every EXTEND seconds. */
bool objlock_due(time_t now, time_t last, uint64_t extend);

/*
 * objlock_reuse_short: whether a chunk retained until UNTIL, reused at NOW,
 * must be extended (its date before NOW + D - E) under L.
 */
bool objlock_reuse_short(const struct objlock *l, time_t now, time_t until);

/*
 * objlock_init: for init of configuration C in store S: with object_lock
 * set, check the bucket has Object Lock enabled (refused otherwise,
 * naming the setting), make every later put of S carry the lock, and
 * record the settings in config object CFG. 0 (also without object_lock),
 * or -1 (logged).
 */
int objlock_init(const struct conf *c, struct store *s, json_object *cfg);

/*
 * objlock_open: the settings config CFG records into L (none when it
 * records none: repositories made before), applied to store S. Warns when
 * configuration C asks for others. 0, or -1 (logged: invalid settings).
 */
int objlock_open(const struct conf *c, struct store *s, json_object *cfg, struct objlock *l);

/* objlock_of: R's settings (mode STORE_LOCK_NONE: none). */
const struct objlock *objlock_of(const struct repo *r);

/*
 * objlock_reuse: whether chunk KEY of R is in the store (a HEAD), and when
 * it is and R is locked, its retention extended to now + D when it could
 * lapse before the next round (objlock_reuse_short). Returns 1 (there),
 * 0 (not there), or -1 (logged).
 */
int objlock_reuse(struct repo *r, const char *key);

/* What an extension round did (objlock_round_run). */
struct objlock_stats {
	bool ran;		/* false: not due (or no lock) */
	time_t last;		/* the previous round, 0: none known */
	time_t next;		/* when the next is due */
	time_t until;		/* the date objects were extended to */
	size_t objects;		/* extended */
	size_t failed;		/* extensions that failed (each logged) */
	uint64_t requests;	/* S3 requests of the round */
};

struct objlock_round;

/* objlock_round_new: a round over R's referenced objects, or NULL when R has no lock. */
struct objlock_round *objlock_round_new(struct repo *r);

/* objlock_round_manifest, objlock_round_index: a live manifest KEY, and index KEY it names with its chunks IX (may be NULL). */
void objlock_round_manifest(struct objlock_round *o, const char *key);
void objlock_round_index(struct objlock_round *o, const char *key, const struct index *ix);

/*
 * objlock_round_run: when a round is due (or FORCE), extend the retention
 * of the config, every key object and every object noted to now + D, in
 * parallel, then record the round (DRY_RUN: count only). Returns 0, or -1
 * (logged; the round is not recorded, so the next run does it again).
 */
int objlock_round_run(struct objlock_round *o, bool force, bool dry_run, struct objlock_stats *st);

/*
 * objlock_warn_overdue: warn when R's last extension round (or, with none,
 * its making) is so long ago that half the margin D - 2E is used: prune
 * must run before referenced objects could become deletable. One GET.
 */
void objlock_warn_overdue(struct repo *r);

/* objlock_round_free: NULL is a no-op. */
void objlock_round_free(struct objlock_round *o);

/* What objlock_sweep did with garbage objects of a locked repository. */
struct objlock_sweep {
	size_t deleted;
	size_t locked;		/* still retained: left for a later run */
	time_t locked_until;	/* the latest of their dates */
	size_t failed;		/* each logged */
	bool denied;		/* a deletion was refused to this credential */
};

/*
 * objlock_sweep: delete the N garbage objects KEYS of locked R whose
 * retention has passed, each by its version (a HEAD finds its date and
 * version), in parallel; count the others. Adds to *SW.
 */
void objlock_sweep(struct repo *r, char *const *keys, size_t n, struct objlock_sweep *sw);

#endif
