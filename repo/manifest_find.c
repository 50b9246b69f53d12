/*
 * Choosing a snapshot from the keys: the selector grammar of
 * manifest_resolve (repo/manifest_resolve.c), answered by listing the
 * narrowest prefix and reading the one manifest it names, not all of them.
 * The answers and messages are manifest_resolve's over the whole list.
 */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "repo/layout.h"
#include "repo/manifest.h"

/* One key listed, and what it spells. */
struct found_key {
	const char *key;
	struct layout_snapshot ks;
};

struct key_list {
	struct strlist keys;
	struct found_key *v;	/* the keys that parse, newest first */
	size_t n;
};

static int
newest_key_first(const void *a, const void *b)
{
	const struct found_key *x = a, *y = b;
	int c = strcmp(y->ks.time, x->ks.time);

	return c ? c : strcmp(y->key, x->key);
}

/* The keys under PREFIX into KL, newest first. Returns 0 or -1 (logged). */
static int
list_keys(struct repo *r, const char *prefix, struct key_list *kl)
{
	memset(kl, 0, sizeof(*kl));
	if (manifest_list_keys(r, prefix, &kl->keys) < 0) {
		strlist_clear(&kl->keys);
		return -1;
	}
	kl->v = xcalloc(kl->keys.n + 1, sizeof(*kl->v));
	for (size_t i = 0; i < kl->keys.n; i++) {
		kl->v[kl->n].key = kl->keys.v[i];
		if (layout_snapshot_parse(repo_version(r), kl->keys.v[i], &kl->v[kl->n].ks) == 0)
			kl->n++;
	}
	qsort(kl->v, kl->n, sizeof(*kl->v), newest_key_first);
	return 0;
}

/* The keys under the prefix of HOST and NAME (either NULL: any) into KL. */
static int
list_group_keys(struct repo *r, const char *host, const char *name, struct key_list *kl)
{
	char *prefix = layout_snapshot_prefix(repo_version(r), host, name);
	int rc = list_keys(r, prefix, kl);

	free(prefix);
	return rc;
}

static void
key_list_clear(struct key_list *kl)
{
	free(kl->v);
	strlist_clear(&kl->keys);
}

/*
 * The manifest of K into *OUT, when it agrees with its key. Returns 0, 1
 * (it does not agree: logged), or what manifest_load returns.
 */
static int
load_checked(struct repo *r, const struct found_key *k, struct manifest **out)
{
	struct manifest *m = NULL;
	char *want;
	int rc = manifest_load(r, k->key, &m);

	if (rc != 0)
		return rc;
	want = layout_snapshot_key(repo_version(r), manifest_host(m), m->name, m->time, m->id);
	if (strcmp(want, k->key) != 0) {
		log_warn("repository %s: manifest %s records snapshot %s of %s/%s at %s, which is not what its name says: skipped",
		    repo_url(r), k->key, m->id, manifest_host(m), m->name, m->time);
		manifest_free(m);
		free(want);
		return 1;
	}
	free(want);
	m->future = util_time_future(m->when, time(NULL));
	if (m->future)
		log_warn("repository %s: snapshot %s (%s/%s) has the time %s, in the future: never taken as @latest nor by retention; check the clocks, or remove it with 'virtvault forget %s'",
		    repo_url(r), m->id, manifest_host(m), m->name, m->time, m->id);
	*out = m;
	return 0;
}

/* [HOST/]NAME@latest: HOST is HERE when not given (SLASH false). */
static int
find_latest(struct repo *r, const char *host, const char *name, bool slash,
    struct manifest **out, char *err, size_t errlen)
{
	const struct found_key *ahead = NULL;
	const char *elsewhere = NULL;
	time_t now = time(NULL);
	struct key_list kl;
	int ret = 1;

	if (list_group_keys(r, host, name, &kl) < 0)
		return -1;
	for (size_t i = 0; i < kl.n; i++) {
		const struct found_key *k = &kl.v[i];

		if (strcmp(k->ks.host, host) != 0 || strcmp(k->ks.name, name) != 0)
			continue;
		if (util_time_future(k->ks.when, now)) {
			ahead = k;
			continue;
		}
		/* Unreadable, or not what its key says: the next one, as a full list would. */
		if (load_checked(r, k, out) == 0) {
			key_list_clear(&kl);
			return 0;
		}
	}
	if (ahead != NULL) {
		snprintf(err, errlen, "no snapshot of '%s' from host %s but %s, whose time %s is in the future (never taken as @latest; name it by its ID if you must)",
		    name, host, ahead->ks.id, ahead->ks.time);
		goto out;
	}
	if (!slash) {
		/* The error's hint: which host has NAME, from the keys alone. */
		key_list_clear(&kl);
		if (list_keys(r, LAYOUT_SNAPSHOTS, &kl) < 0)
			return -1;
		for (size_t i = 0; i < kl.n && elsewhere == NULL; i++)
			if (strcmp(kl.v[i].ks.name, name) == 0 && strcmp(kl.v[i].ks.host, host) != 0)
				elsewhere = kl.v[i].ks.host;
	}
	if (elsewhere != NULL)
		snprintf(err, errlen, "no snapshot of '%s' from host %s (there are some from host %s: %s/%s@latest)",
		    name, host, elsewhere, elsewhere, name);
	else
		snprintf(err, errlen, "no snapshot of '%s' from host %s", name, host);
out:
	key_list_clear(&kl);
	return ret;
}

/*
 * REF is an ID prefix ID (NAME NULL), or [HOST/]NAME@ID (HOST NULL: any;
 * REFNAME the selector's part before '@', for messages).
 */
static int
find_id(struct repo *r, const char *host, const char *name, const char *refname,
    const char *id, struct manifest **out, char *err, size_t errlen)
{
	const struct found_key *found = NULL;
	size_t matches = 0;
	bool is_name = false;
	struct key_list kl;
	int ret = 1;

	if (list_group_keys(r, host, name, &kl) < 0)
		return -1;
	for (size_t i = 0; i < kl.n; i++) {
		const struct found_key *k = &kl.v[i];

		if (name == NULL)
			is_name = is_name || strcmp(k->ks.name, id) == 0;
		else if (strcmp(k->ks.name, name) != 0 || (host != NULL && strcmp(k->ks.host, host) != 0))
			continue;
		if (strncmp(k->ks.id, id, strlen(id)) == 0) {
			matches++;
			found = k;
		}
	}
	if (name != NULL && matches == 0)
		snprintf(err, errlen, "no snapshot of '%s' with ID %s", refname, id);
	else if (name != NULL && matches > 1)
		snprintf(err, errlen, "ID prefix %s is ambiguous among the snapshots of '%s' (%zu): give more digits",
		    id, refname, matches);
	else if (is_name && matches > 0)
		snprintf(err, errlen, "'%s' is ambiguous: both a name and the start of snapshot ID %s%s; say %s@latest for the newest of the name, or %s@%s (NAME@ID) or more digits of the ID for that snapshot",
		    id, found->ks.id, matches > 1 ? " (and others)" : "", id, found->ks.name, found->ks.id);
	else if (matches == 0 && is_name)
		snprintf(err, errlen, "no snapshot with ID %s ('%s' is a name: %s@latest is its newest snapshot)",
		    id, id, id);
	else if (matches == 0)
		snprintf(err, errlen, "no snapshot with ID %s", id);
	else if (matches > 1)
		snprintf(err, errlen, "ID prefix %s is ambiguous (%zu snapshots): give more digits", id, matches);
	else if ((ret = load_checked(r, found, out)) == -1)
		ret = -1;	/* unreadable: logged */
	else if (ret != 0)
		snprintf(err, errlen, "its manifest %s is gone, or not what its name says", found->key);
	key_list_clear(&kl);
	return ret;
}

/* Version 1: no host in the keys; every manifest read, as before. */
static int
find_by_loading(struct repo *r, const char *ref, struct manifest **out, char *err, size_t errlen)
{
	struct manifest **l = NULL;
	size_t n = 0, bad = 0;
	long k;

	if (manifest_load_all(r, NULL, NULL, &l, &n, &bad) < 0)
		return -1;
	k = manifest_resolve(l, n, ref, repo_host(r), err, errlen);
	if (k >= 0) {
		*out = l[k];
		l[k] = NULL;
	}
	manifest_list_free(l, n);
	return k >= 0 ? 0 : 1;
}

int
manifest_find(struct repo *r, const char *ref, struct manifest **out, char *err, size_t errlen)
{
	const char *at = strrchr(ref, '@'), *slash;
	char *sel, *name, *refname;
	int ret;

	*out = NULL;
	if (repo_version(r) < 2)
		return find_by_loading(r, ref, out, err, errlen);
	if (!manifest_selector_valid(ref)) {
		/* What is wrong with it, in manifest_resolve's words. */
		manifest_resolve(NULL, 0, ref, repo_host(r), err, errlen);
		return 1;
	}
	if (at == NULL)
		return find_id(r, NULL, NULL, NULL, ref, out, err, errlen);
	sel = xstrndup(ref, (size_t)(at - ref));
	refname = xstrdup(sel);
	slash = strchr(sel, '/');
	name = slash ? sel + (slash - sel) + 1 : sel;
	if (slash)
		sel[slash - sel] = '\0';
	if (strcmp(at, "@latest") == 0)
		ret = find_latest(r, slash ? sel : repo_host(r), name, slash != NULL, out, err, errlen);
	else
		ret = find_id(r, slash ? sel : NULL, name, refname, at + 1, out, err, errlen);
	free(refname);
	free(sel);
	return ret;
}
