/*
 * Choosing a snapshot: the selector grammar (ID prefix, [HOST/]NAME@latest,
 * [HOST/]NAME@ID) over a list of manifests, newest first.
 */
#include <stdlib.h>
#include <string.h>

#include "repo/layout.h"
#include "repo/manifest.h"

/* Whether REF is a snapshot ID or a prefix of one: 4 to 16 hex digits. */
static bool
is_id_prefix(const char *ref)
{
	size_t rl = strlen(ref);

	return rl >= 4 && rl <= 16 && strspn(ref, "0123456789abcdef") == rl;
}

/*
 * [HOST/]NAME (the first REFLEN bytes of REF) then ID: with ID NULL
 * ("latest"), the newest of the group of HOST (HERE when not given) that
 * is not in the future; else the one of NAME (of HOST when given) whose ID
 * starts with ID. Its position, or -1 with ERR.
 */
static long
resolve_named(struct manifest *const *l, size_t n, const char *ref, size_t reflen,
    const char *id, const char *here, char *err, size_t errlen)
{
	const char *slash = memchr(ref, '/', reflen);
	const char *name = slash ? slash + 1 : ref;
	int namelen = (int)(reflen - (size_t)(name - ref));
	char host[160];
	const char *elsewhere = NULL;
	const struct manifest *ahead = NULL;
	size_t matches = 0;
	long found = -1;

	snprintf(host, sizeof(host), "%.*s", slash ? (int)(slash - ref) : 0, ref);
	if (!slash)
		snprintf(host, sizeof(host), "%s", here ? here : "");
	for (size_t i = 0; i < n; i++) {
		if (strlen(l[i]->name) != (size_t)namelen || strncmp(l[i]->name, name, (size_t)namelen) != 0)
			continue;
		if (id != NULL) {
			if ((!slash || strcmp(manifest_host(l[i]), host) == 0) &&
			    strncmp(l[i]->id, id, strlen(id)) == 0) {
				matches++;
				found = (long)i;
			}
			continue;
		}
		if (strcmp(manifest_host(l[i]), host) == 0) {
			if (!l[i]->future)
				return (long)i;
			ahead = l[i];
		} else if (elsewhere == NULL) {
			elsewhere = manifest_host(l[i]);
		}
	}
	if (id != NULL) {
		if (matches == 1)
			return found;
		if (matches == 0)
			snprintf(err, errlen, "no snapshot of '%.*s' with ID %s", (int)reflen, ref, id);
		else
			snprintf(err, errlen, "ID prefix %s is ambiguous among the snapshots of '%.*s' (%zu): give more digits",
			    id, (int)reflen, ref, matches);
		return -1;
	}
	if (ahead != NULL)
		snprintf(err, errlen, "no snapshot of '%.*s' from host %s but %s, whose time %s is in the future (never taken as @latest; name it by its ID if you must)",
		    namelen, name, host, ahead->id, ahead->time);
	else if (elsewhere != NULL && !slash)
		snprintf(err, errlen, "no snapshot of '%.*s' from host %s (there are some from host %s: %s/%.*s@latest)",
		    namelen, name, host, elsewhere, elsewhere, namelen, name);
	else
		snprintf(err, errlen, "no snapshot of '%.*s' from host %s", namelen, name, host);
	return -1;
}

bool
manifest_selector_valid(const char *ref)
{
	const char *at = strrchr(ref, '@'), *slash;
	bool ok;
	char *name;

	if (is_id_prefix(ref))
		return true;
	if (at == NULL || at == ref || (strcmp(at, "@latest") != 0 && !is_id_prefix(at + 1)))
		return false;
	name = xstrndup(ref, (size_t)(at - ref));
	slash = strchr(name, '/');
	if (slash != NULL) {
		char *host = xstrndup(name, (size_t)(slash - name));

		ok = layout_name_valid(host) && layout_name_valid(slash + 1);
		free(host);
	} else {
		ok = layout_name_valid(name);
	}
	free(name);
	return ok;
}

long
manifest_resolve(struct manifest *const *l, size_t n, const char *ref, const char *here,
    char *err, size_t errlen)
{
	const char *at = strrchr(ref, '@');
	long found = -1;
	size_t matches = 0, rl = strlen(ref);
	bool is_name = false;

	if (at != NULL) {
		if (strcmp(at, "@latest") == 0)
			return resolve_named(l, n, ref, (size_t)(at - ref), NULL, here, err, errlen);
		if (is_id_prefix(at + 1))
			return resolve_named(l, n, ref, (size_t)(at - ref), at + 1, here, err, errlen);
		snprintf(err, errlen, "'%s': only [HOST/]NAME@latest or [HOST/]NAME@ID is understood after '@'", ref);
		return -1;
	}
	if (!is_id_prefix(ref)) {
		snprintf(err, errlen, "'%s' is neither a snapshot ID (4 to 16 hex digits) nor [HOST/]NAME@latest", ref);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		is_name = is_name || strcmp(l[i]->name, ref) == 0;
		if (strncmp(l[i]->id, ref, rl) == 0) {
			matches++;
			found = (long)i;
		}
	}
	/* "forget 5bd0" with a group 5bd0: never guess which was meant. */
	if (is_name && matches > 0) {
		snprintf(err, errlen, "'%s' is ambiguous: both a name and the start of snapshot ID %s%s; say %s@latest for the newest of the name, or %s@%s (NAME@ID) or more digits of the ID for that snapshot",
		    ref, l[found]->id, matches > 1 ? " (and others)" : "", ref, l[found]->name, l[found]->id);
		return -1;
	}
	if (matches == 0) {
		if (is_name)
			snprintf(err, errlen, "no snapshot with ID %s ('%s' is a name: %s@latest is its newest snapshot)",
			    ref, ref, ref);
		else
			snprintf(err, errlen, "no snapshot with ID %s", ref);
		return -1;
	}
	if (matches > 1) {
		snprintf(err, errlen, "ID prefix %s is ambiguous (%zu snapshots): give more digits",
		    ref, matches);
		return -1;
	}
	return found;
}
