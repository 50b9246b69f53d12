/*
 * Retention: which snapshots of one group (host, name) a keep policy
 * keeps. Pure: times in, a decision per snapshot out (docs/FORMAT.md,
 * "Retention"). Semantics of Proxmox Backup Server's prune: the rules run
 * in the order last, hourly, daily, weekly, monthly, yearly; each keeps
 * the newest snapshot of each of its last N periods (local time of the
 * policy's zone; weeks start on Monday, ISO 8601) that hold one, skipping
 * periods a former rule already kept a snapshot in; a snapshot that shares
 * its period with a newer one the same rule kept is removed. keep_within
 * then keeps every snapshot younger than the duration, counted back from
 * the group's newest. With no rule, everything is kept; the newest
 * snapshot of a group is always kept. A snapshot whose time is in the
 * future (util_time_future) takes no part: it is neither counted nor
 * removed, and the group's newest is the newest of the others.
 */
#ifndef VV_RETENTION_H
#define VV_RETENTION_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "conf/conf.h"

enum keep_rule {
	KEEP_NOT = 0,		/* removed */
	KEEP_LAST,
	KEEP_HOURLY,
	KEEP_DAILY,
	KEEP_WEEKLY,
	KEEP_MONTHLY,
	KEEP_YEARLY,
	KEEP_WITHIN,
	KEEP_NEWEST,		/* the group's newest, kept whatever the rules */
	KEEP_NO_POLICY,		/* no rule at all: everything is kept */
	KEEP_FUTURE,		/* its time is in the future: ignored, never removed */
};

/*
 * retention_apply: for the N snapshot TIMES of one group, newest first,
 * the rule that keeps each into RULE[i] (KEEP_NOT: removed), under policy
 * P in zone TZ (NULL: local), at time NOW (what is in the future).
 */
void retention_apply(const struct keep_policy *p, const char *tz, const time_t *times,
    size_t n, time_t now, enum keep_rule *rule);

/* retention_policy_empty: whether P has no rule (everything is kept). */
bool retention_policy_empty(const struct keep_policy *p);

/*
 * retention_rule_name: "last", "daily", ..., "newest", "no policy",
 * "future (ignored)", "" for KEEP_NOT.
 */
const char *retention_rule_name(enum keep_rule r);

#endif
