/*
 * Recovering a repository after an attack with the host's credential
 * (docs/SECURITY.md): in a versioned bucket, every object whose current
 * version does not authenticate, or is a delete marker, gets its last good
 * version back as its current one, by a PUT of that version's content.
 * Run as the admin.
 */
#ifndef VV_REPO_RECOVER_H
#define VV_REPO_RECOVER_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "repo/repo.h"

struct recover_opts {
	time_t as_of;		/* 0: now; else no version newer than this is taken */
	bool dry_run;		/* say what would be rewritten, write nothing */
};

struct recover_stats {
	size_t checked;		/* objects looked at */
	size_t rewritten;	/* given their last good version back (or would be) */
	size_t lost;		/* with no version that authenticates (logged) */
};

/*
 * recover_run: look at every config, key, manifest, index and chunk object
 * of R with all their versions; each whose current version is a delete
 * marker, fails authentication, or (with O->as_of) is newer than that
 * time, is rewritten from its newest version that authenticates (and is
 * not newer than O->as_of), each named on standard output. Under an
 * exclusive lock. Returns 0, or -1 (logged; also when some objects have
 * no good version, counted in ST->lost).
 */
int recover_run(struct repo *r, const struct recover_opts *o, struct recover_stats *st);

#endif
