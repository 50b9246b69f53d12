/*
 * Instant restore: a new domain runs within seconds on qcow2 overlays in
 * the target folder whose backing files are the images of a `virtvault
 * mount` of the snapshot; a block pull then copies the data into the
 * overlays while the guest runs, and once they stand alone the mount is
 * released. Journaled (state/instant.h): `repair` finishes an interrupted
 * one while the guest keeps running.
 */
#ifndef VV_INSTANT_H
#define VV_INSTANT_H

#include <signal.h>
#include <stdbool.h>

#include "agent/hv.h"
#include "conf/conf.h"
#include "repo/manifest.h"
#include "repo/repo.h"

struct instant_opts {
	const char *self;		/* this virtvault (the mount runs as its child) */
	const char *config_path;	/* -c for it, or NULL: the same default */
	const char *dir;		/* the target folder, absolute */
	const char *newname;		/* the new domain */
	bool quiet;			/* no progress lines */
	const volatile sig_atomic_t *cancel;	/* stop waiting (the pull goes on) */
};

/*
 * instant_restore: restore snapshot M of R as domain O->newname started at
 * once, then pulled. Every disk of M must be one file (not a chain). The
 * UEFI variables and TPM state are restored first, as files. Returns 0
 * once the disks stand alone and the mount is released; -1 (logged) when
 * it could not start (nothing left behind) or stopped after the start (the
 * journal stays, and `virtvault repair NEWNAME` finishes it).
 */
int instant_restore(struct hv *hv, struct repo *r, const struct conf *c, const struct manifest *m,
    const struct instant_opts *o);

/*
 * instant_repair: finish DOM's interrupted instant restore: pull what is
 * still backed by the mount (offline with qemu-img when DOM is shut off),
 * release the mount, forget the journal. Returns 0, 1 when DOM has no such
 * journal, -1 (logged; the journal stays).
 */
int instant_repair(struct hv *hv, const struct conf *c, const char *dom, bool quiet);

#endif
