/*
 * Loading many manifests: the narrowest listing, the keys filtered by the
 * HOST and NAME they spell before anything is read, the rest read at once
 * by up to [repository] read_parallel threads, through the local cache
 * (repo/cache.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/par.h"
#include "repo/fallback.h"
#include "repo/layout.h"
#include "repo/manifest.h"

struct load_job {
	struct repo *r;
	char *const *keys;
	struct manifest **out;
};

static void
load_one(size_t i, void *arg)
{
	struct load_job *j = arg;
	struct manifest *m = NULL;

	if (manifest_load(j->r, j->keys[i], &m) == 0)
		j->out[i] = m;
}

size_t
manifest_load_many(struct repo *r, char *const *keys, size_t n, struct manifest **out)
{
	struct load_job j = { r, keys, out };
	size_t loaded = 0;

	memset(out, 0, n * sizeof(*out));
	par_each(n, repo_conf(r)->read_parallel, load_one, &j);
	for (size_t i = 0; i < n; i++)
		loaded += out[i] != NULL;
	return loaded;
}

static int
newest_first(const void *a, const void *b)
{
	const struct manifest *x = *(struct manifest *const *)a;
	const struct manifest *y = *(struct manifest *const *)b;
	int c = strcmp(y->time, x->time);

	return c ? c : strcmp(y->key, x->key);
}

/* Whether KEY may hold a manifest of HOST and NAME (NULL: any), by what it spells. */
static bool
key_may_match(int version, const char *key, const char *host, const char *name)
{
	struct layout_snapshot ks;

	/* Not a key backup makes: read it, as before, to say what it is. */
	if (layout_snapshot_parse(version, key, &ks) < 0)
		return true;
	if (version >= 2 && host != NULL && strcmp(ks.host, host) != 0)
		return false;
	return name == NULL || strcmp(ks.name, name) == 0;
}

int
manifest_list_keys(struct repo *r, const char *prefix, struct strlist *keys)
{
	struct strlist req = { 0 };
	size_t sl = strlen(LAYOUT_FORGET_SUFFIX), n0 = keys->n, k = n0;

	if (fallback_list(repo_store(r), prefix, keys) < 0)
		return -1;
	/* The forget requests, listed beside the manifests they hide. */
	for (size_t i = n0; i < keys->n; i++) {
		size_t n = strlen(keys->v[i]);

		if (n > sl && strcmp(keys->v[i] + n - sl, LAYOUT_FORGET_SUFFIX) == 0) {
			keys->v[i][n - sl] = '\0';
			strlist_add(&req, keys->v[i]);
			free(keys->v[i]);
		} else {
			keys->v[k++] = keys->v[i];
		}
	}
	keys->n = k;
	k = n0;
	for (size_t i = n0; i < keys->n; i++) {
		if (req.n > 0 && strlist_contains(&req, keys->v[i]))
			free(keys->v[i]);
		else
			keys->v[k++] = keys->v[i];
	}
	keys->n = k;
	strlist_clear(&req);
	return 0;
}

int
manifest_load_all(struct repo *r, const char *host, const char *name,
    struct manifest ***out, size_t *n, size_t *bad)
{
	struct strlist keys = { 0 };
	struct manifest **l = NULL;
	char *prefix = layout_snapshot_prefix(repo_version(r), host, name);
	time_t now = time(NULL);
	size_t k = 0, want = 0;

	*bad = 0;
	if (manifest_list_keys(r, prefix, &keys) < 0) {
		strlist_clear(&keys);
		free(prefix);
		return -1;
	}
	free(prefix);
	for (size_t i = 0; i < keys.n; i++)
		if (key_may_match(repo_version(r), keys.v[i], host, name))
			keys.v[want++] = keys.v[i];
		else
			free(keys.v[i]);
	keys.n = want;
	l = xcalloc(keys.n + 1, sizeof(*l));
	manifest_load_many(r, keys.v, keys.n, l);
	for (size_t i = 0; i < keys.n; i++) {
		struct manifest *m = l[i];

		l[i] = NULL;
		if (m == NULL) {
			(*bad)++;
			continue;
		}
		if ((host != NULL && strcmp(manifest_host(m), host) != 0) ||
		    (name != NULL && strcmp(m->name, name) != 0)) {
			manifest_free(m);
			continue;
		}
		/* A planted or mis-clocked snapshot must not pass for the newest. */
		m->future = util_time_future(m->when, now);
		if (m->future)
			log_warn("repository %s: snapshot %s (%s/%s) has the time %s, in the future: never taken as @latest nor by retention; check the clocks, or remove it with 'virtvault forget %s'",
			    repo_url(r), m->id, manifest_host(m), m->name, m->time, m->id);
		l[k++] = m;
	}
	strlist_clear(&keys);
	qsort(l, k, sizeof(*l), newest_first);
	*out = l;
	*n = k;
	return 0;
}
