#include "repo/retention.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cron.h"
#include "common/util.h"

/* The period of T for RULE, as text: equal text, same period. */
static void
period_of(enum keep_rule rule, time_t t, const char *tz, char *buf, size_t len)
{
	static const char *const fmt[] = {
		[KEEP_HOURLY] = "%Y-%m-%d %H",
		[KEEP_DAILY] = "%Y-%m-%d",
		[KEEP_WEEKLY] = "%G-W%V",
		[KEEP_MONTHLY] = "%Y-%m",
		[KEEP_YEARLY] = "%Y",
	};
	struct tm tm;

	cron_localtime(t, tz, &tm);
	strftime(buf, len, fmt[rule], &tm);
}

/* One rule over the snapshots no rule has decided on yet (PBS's order). */
static void
apply_rule(enum keep_rule rule, unsigned keep, const char *tz, const time_t *times,
    size_t n, enum keep_rule *decided, bool *removed)
{
	struct strlist kept_before = { 0 }, mine = { 0 };
	char p[32];

	if (keep == 0)
		return;
	for (size_t i = 0; i < n; i++) {
		if (decided[i] != KEEP_NOT && rule != KEEP_LAST) {
			period_of(rule, times[i], tz, p, sizeof(p));
			strlist_add(&kept_before, p);
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (decided[i] != KEEP_NOT || removed[i])
			continue;
		if (rule == KEEP_LAST)
			snprintf(p, sizeof(p), "%zu", i);
		else
			period_of(rule, times[i], tz, p, sizeof(p));
		if (strlist_contains(&kept_before, p))
			continue;
		if (strlist_contains(&mine, p)) {
			removed[i] = true;
			continue;
		}
		if (mine.n >= keep)
			break;
		strlist_add(&mine, p);
		decided[i] = rule;
	}
	strlist_clear(&kept_before);
	strlist_clear(&mine);
}

/* The rules over N snapshots none of which is in the future. */
static void
apply_rules(const struct keep_policy *p, const char *tz, const time_t *times, size_t n,
    enum keep_rule *rule)
{
	const unsigned counts[] = {
		[KEEP_LAST] = p->last, [KEEP_HOURLY] = p->hourly, [KEEP_DAILY] = p->daily,
		[KEEP_WEEKLY] = p->weekly, [KEEP_MONTHLY] = p->monthly, [KEEP_YEARLY] = p->yearly,
	};
	bool *removed = xcalloc(n + 1, sizeof(*removed));
	bool any = !retention_policy_empty(p);

	for (size_t i = 0; i < n; i++)
		rule[i] = KEEP_NOT;
	for (enum keep_rule r = KEEP_LAST; r <= KEEP_YEARLY; r++) {
		apply_rule(r, counts[r], tz, times, n, rule, removed);
	}
	for (size_t i = 0; i < n; i++) {
		if (!any)
			rule[i] = KEEP_NO_POLICY;
		else if (rule[i] == KEEP_NOT && p->within > 0 && times[0] - times[i] < (time_t)p->within)
			rule[i] = KEEP_WITHIN;
	}
	if (n > 0 && rule[0] == KEEP_NOT)
		rule[0] = KEEP_NEWEST;
	free(removed);
}

void
retention_apply(const struct keep_policy *p, const char *tz, const time_t *times,
    size_t n, time_t now, enum keep_rule *rule)
{
	time_t *past = xcalloc(n + 1, sizeof(*past));
	size_t *at = xcalloc(n + 1, sizeof(*at));
	enum keep_rule *r = xcalloc(n + 1, sizeof(*r));
	size_t k = 0;

	/* A snapshot from the future would be the newest and push the real ones out. */
	for (size_t i = 0; i < n; i++) {
		if (util_time_future(times[i], now)) {
			rule[i] = KEEP_FUTURE;
		} else {
			past[k] = times[i];
			at[k++] = i;
		}
	}
	apply_rules(p, tz, past, k, r);
	for (size_t j = 0; j < k; j++)
		rule[at[j]] = r[j];
	free(past);
	free(at);
	free(r);
}

bool
retention_policy_empty(const struct keep_policy *p)
{
	return p->last == 0 && p->hourly == 0 && p->daily == 0 && p->weekly == 0 &&
	    p->monthly == 0 && p->yearly == 0 && p->within == 0;
}

const char *
retention_rule_name(enum keep_rule r)
{
	static const char *const names[] = {
		[KEEP_NOT] = "", [KEEP_LAST] = "last", [KEEP_HOURLY] = "hourly",
		[KEEP_DAILY] = "daily", [KEEP_WEEKLY] = "weekly", [KEEP_MONTHLY] = "monthly",
		[KEEP_YEARLY] = "yearly", [KEEP_WITHIN] = "within", [KEEP_NEWEST] = "newest",
		[KEEP_NO_POLICY] = "no policy", [KEEP_FUTURE] = "future (ignored)",
	};

	return (size_t)r < sizeof(names) / sizeof(names[0]) ? names[r] : "";
}
