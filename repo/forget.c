#include "repo/forget.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "transport/store.h"

/* Host, then name, then newest first. */
static int
by_group(const void *a, const void *b)
{
	const struct manifest *x = ((const struct forget_item *)a)->m;
	const struct manifest *y = ((const struct forget_item *)b)->m;
	int c = manifest_group_cmp(x, y);

	if (c == 0)
		c = strcmp(y->time, x->time);
	return c ? c : strcmp(y->key, x->key);
}

int
forget_select(struct repo *r, const char *host, const struct strlist *names,
    const struct strlist *exclude, const struct keep_policy *p, const char *tz,
    struct forget_plan *out)
{
	struct manifest **l = NULL;
	size_t n = 0, bad = 0, k = 0;
	time_t now = time(NULL);

	/* One plain name (a job's domain after its run): read only its manifests. */
	const char *only = names != NULL && names->n == 1 && strpbrk(names->v[0], "*?[") == NULL ?
	    names->v[0] : NULL;

	memset(out, 0, sizeof(*out));
	if (manifest_load_all(r, host, only, &l, &n, &bad) < 0)
		return -1;
	if (bad > 0) {
		log_error("repository %s: %zu manifests cannot be read; forgetting nothing (verify, or remove them by hand)",
		    repo_url(r), bad);
		manifest_list_free(l, n);
		return -1;
	}
	out->items = xcalloc(n + 1, sizeof(*out->items));
	for (size_t i = 0; i < n; i++) {
		if ((names != NULL && names->n > 0 && !strlist_glob_any(names, l[i]->name)) ||
		    (exclude != NULL && strlist_glob_any(exclude, l[i]->name))) {
			manifest_free(l[i]);
			continue;
		}
		out->items[k++].m = l[i];
	}
	free(l);
	out->n = k;
	qsort(out->items, k, sizeof(*out->items), by_group);
	for (size_t g = 0; g < k;) {
		size_t e = g;
		time_t *times;
		enum keep_rule *rules;

		while (e < k && manifest_same_group(out->items[g].m, out->items[e].m))
			e++;
		times = xcalloc(e - g + 1, sizeof(*times));
		rules = xcalloc(e - g + 1, sizeof(*rules));
		for (size_t i = g; i < e; i++)
			times[i - g] = out->items[i].m->when;
		retention_apply(p, tz, times, e - g, now, rules);
		for (size_t i = g; i < e; i++) {
			out->items[i].rule = rules[i - g];
			out->nremove += rules[i - g] == KEEP_NOT;
		}
		free(times);
		free(rules);
		g = e;
	}
	return 0;
}

int
forget_manifest(struct repo *r, const struct manifest *m)
{
	int rc = store_delete(repo_store(r), m->key);

	if (rc == VV_NOT_FOUND) {
		log_warn("repository %s: snapshot %s was already gone", repo_url(r), m->id);
		return 0;
	}
	return rc < 0 ? -1 : 0;
}

size_t
forget_remove(struct repo *r, struct forget_plan *plan)
{
	size_t failed = 0;

	for (size_t i = 0; i < plan->n; i++) {
		struct forget_item *it = &plan->items[i];

		if (it->rule != KEEP_NOT)
			continue;
		if (forget_manifest(r, it->m) == 0)
			it->removed = true;
		else
			failed++;
	}
	return failed;
}

void
forget_plan_free(struct forget_plan *plan)
{
	for (size_t i = 0; i < plan->n; i++)
		manifest_free(plan->items[i].m);
	free(plan->items);
	memset(plan, 0, sizeof(*plan));
}
