/*
 * Forgetting snapshots: applying a keep policy to groups (host, name) of
 * manifests, or removing chosen ones. Removing a manifest is all it does;
 * the chunks and indexes only it referenced are prune's to collect.
 */
#ifndef VV_FORGET_H
#define VV_FORGET_H

#include <stdbool.h>
#include <stddef.h>

#include "common/util.h"
#include "repo/manifest.h"
#include "repo/retention.h"

struct forget_item {
	struct manifest *m;
	enum keep_rule rule;	/* KEEP_NOT: to be removed */
	bool removed;		/* set by forget_remove */
};

struct forget_plan {
	struct forget_item *items;	/* by host, name, then newest first */
	size_t n;
	size_t nremove;
};

/*
 * forget_select: the snapshots of HOST (NULL: every host) whose name
 * matches one of the globs NAMES (NULL or empty: any) and none of EXCLUDE
 * (NULL: none), with what policy P (in
 * zone TZ) decides for each, into a new *OUT (free with forget_plan_free).
 * Returns 0, or -1 (logged) when the manifests cannot all be read: a
 * policy is never applied to a group seen in part.
 */
int forget_select(struct repo *r, const char *host, const struct strlist *names,
    const struct strlist *exclude, const struct keep_policy *p, const char *tz,
    struct forget_plan *out);

/*
 * forget_remove: delete the manifests PLAN removes. Returns the number
 * that could not be deleted (each logged).
 */
size_t forget_remove(struct repo *r, struct forget_plan *plan);

/*
 * forget_manifest: delete M's manifest; where this host's credential may
 * not delete, record a forget request instead (docs/FORMAT.md,
 * "forget/"), which hides it. Returns 0 or -1 (logged).
 */
int forget_manifest(struct repo *r, const struct manifest *m);

/*
 * forget_requests_apply: carry out the forget requests (as the admin's
 * prune does): delete each manifest a request names, then the request;
 * their number into *N; nothing deleted when DRY_RUN. Returns 0 or -1
 * (logged).
 */
int forget_requests_apply(struct repo *r, bool dry_run, size_t *n);

void forget_plan_free(struct forget_plan *plan);

#endif
