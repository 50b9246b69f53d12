#include "repo/forget.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/util_time.h"
#include "repo/fallback.h"
#include "repo/layout.h"
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

/*
 * Where this host's credential may not delete: record a request, which
 * hides M from now on and which the admin's prune carries out. 0 or -1.
 */
static int
forget_request(struct repo *r, const struct manifest *m)
{
	char *key = xasprintf("%s%s", m->key, LAYOUT_FORGET_SUFFIX), now[UTIL_UTC_LEN], *text;
	int rc;

	text = xasprintf("{\"manifest\":\"%s\",\"host\":\"%s\",\"requested\":\"%s\"}", m->key,
	    repo_host(r), util_format_utc(time(NULL), now, sizeof(now)));
	rc = store_put(repo_store(r), key, text, strlen(text), 0);
	if (rc == 0)
		log_info("repository %s: snapshot %s: it cannot be deleted for good with this credential, so a forget request (%s) hides it; the admin's prune removes it",
		    repo_url(r), m->id, key);
	else if (rc == VV_DENIED)
		log_error("repository %s: snapshot %s: this credential may neither delete nor write a forget request (403 AccessDenied)",
		    repo_url(r), m->id);
	free(text);
	free(key);
	return rc == 0 ? 0 : -1;
}

int
forget_manifest(struct repo *r, const struct manifest *m)
{
	int rc = fallback_erase(repo_store(r), m->key);

	if (rc == VV_NOT_FOUND) {
		log_warn("repository %s: snapshot %s was already gone", repo_url(r), m->id);
		return 0;
	}
	/* Host without delete: a request; versions kept: the request stays as a tombstone. */
	if (rc == VV_DENIED || rc == VV_LOCKED)
		return forget_request(r, m);
	return rc < 0 ? -1 : 0;
}

static bool
is_request(const char *key)
{
	size_t kl = strlen(key), sl = strlen(LAYOUT_FORGET_SUFFIX);

	return kl > sl && strcmp(key + kl - sl, LAYOUT_FORGET_SUFFIX) == 0;
}

static int
key_order(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The length of KEY's group (its folder, HOST/NAME/), up to its last '/'. */
static size_t
group_len(const char *key)
{
	const char *s = strrchr(key, '/');

	return s ? (size_t)(s - key) + 1 : 0;
}

/*
 * Mark in WHOLE (one flag per key of the sorted KEYS) the requests whose
 * group would lose every snapshot: each manifest of it has a request.
 * A manifest sorts just before its own request.
 */
static void
mark_whole_groups(const struct strlist *keys, bool *whole)
{
	for (size_t a = 0, b; a < keys->n; a = b) {
		size_t gl = group_len(keys->v[a]);
		bool all = true;

		for (b = a; b < keys->n && group_len(keys->v[b]) == gl &&
		    strncmp(keys->v[a], keys->v[b], gl) == 0; b++)
			if (!is_request(keys->v[b]) &&
			    (b + 1 >= keys->n || !is_request(keys->v[b + 1]) ||
			    strncmp(keys->v[b], keys->v[b + 1], strlen(keys->v[b])) != 0))
				all = false;
		for (size_t i = a; i < b; i++)
			whole[i] = all;
	}
}

int
forget_requests_apply(struct repo *r, bool dry_run, size_t *n)
{
	struct strlist keys = { 0 };
	size_t sl = strlen(LAYOUT_FORGET_SUFFIX), held = 0;
	bool *whole;
	int ret = 0;

	*n = 0;
	if (store_list(repo_store(r), LAYOUT_SNAPSHOTS, &keys) < 0)
		return -1;
	qsort(keys.v, keys.n, sizeof(*keys.v), key_order);
	whole = xcalloc(keys.n + 1, sizeof(*whole));
	mark_whole_groups(&keys, whole);
	for (size_t i = 0; i < keys.n && ret == 0; i++) {
		size_t kl = strlen(keys.v[i]);
		char manifest[LAYOUT_KEY_MAX * 2];
		int rc;

		if (!is_request(keys.v[i]))
			continue;	/* a manifest */
		/* A request is written by a host's credential, which an attacker
		 * may hold: one that would empty a group is not carried out. */
		if (whole[i]) {
			held++;
			continue;
		}
		snprintf(manifest, sizeof(manifest), "%.*s", (int)(kl - sl), keys.v[i]);
		(*n)++;
		log_info("repository %s: %s snapshot %s, as forget request %s asks", repo_url(r),
		    dry_run ? "would remove" : "removing", manifest, keys.v[i]);
		if (dry_run)
			continue;
		rc = fallback_erase(repo_store(r), manifest);
		if (rc == VV_LOCKED) {
			/* The request hides it until its versions can go. */
			log_info("repository %s: snapshot %s keeps versions that cannot be deleted yet (object lock): forget request %s stays",
			    repo_url(r), manifest, keys.v[i]);
			continue;
		}
		if (rc == 0 || rc == VV_NOT_FOUND)
			rc = fallback_erase(repo_store(r), keys.v[i]);
		if (rc == VV_LOCKED)
			rc = 0;	/* the manifest is gone: a request left behind hides nothing */
		if (rc == VV_DENIED)
			log_error("repository %s: removing snapshot %s was refused (403 AccessDenied): prune needs the admin credential ([repository] admin_access_key and admin_secret_key)",
			    repo_url(r), manifest);
		if (rc != 0 && rc != VV_NOT_FOUND)
			ret = -1;
	}
	if (held > 0)
		log_warn("repository %s: %zu forget request%s not carried out: %s every snapshot of %s group; a host's credential (which an attacker may hold) cannot empty a group through prune. If that is meant, forget them with the admin credential, or see 'virtvault recover' if it is not",
		    repo_url(r), held, held == 1 ? " was" : "s were", held == 1 ? "it asks for" : "they ask for",
		    held == 1 ? "its" : "their");
	free(whole);
	strlist_clear(&keys);
	return ret;
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
