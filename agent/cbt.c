#include "agent/cbt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/domxml.h"
#include "agent/overlay.h"
#include "agent/qimg.h"
#include "common/crypto.h"
#include "common/log.h"
#include "common/outcome.h"
#include "common/proc.h"
#include "common/run.h"
#include "repo/fetch.h"
#include "repo/manifest.h"
#include "common/fault.h"
#include "state/cbt.h"
#include "state/journal.h"

#define CBT_PREFIX "virtvault-"
/* The unit of the fine plan: qcow2's default cluster, a bitmap's granularity. */
#define CBT_GRAIN 65536

void
cbt_run_init(struct cbt_run *run, struct repo *r, const char *name, const char *state_dir,
    struct journal *j)
{
	uint8_t h[CRYPTO_HASH_LEN];
	char hex[2 * CRYPTO_HASH_LEN + 1];
	char *flow = xasprintf("%s\n%s\n%s", repo_url(r), repo_host(r), name);

	memset(run, 0, sizeof(*run));
	/* One prefix per repository and backup name: two jobs backing one
	 * domain up into two repositories keep each other's checkpoints. */
	crypto_sha256(flow, strlen(flow), h);
	crypto_hex(h, 4, hex);
	free(flow);
	run->dom = j->domain;
	run->state_dir = state_dir;
	run->j = j;
	run->prefix = xasprintf(CBT_PREFIX "%s-", hex);
	run->flow = xasprintf("%s-%s", hex, name);
	run->repository = repo_url(r);
	run->disks = xcalloc(j->ndisks + 1, sizeof(*run->disks));
	run->ndisks = j->ndisks;
	for (size_t i = 0; i < j->ndisks; i++) {
		run->disks[i].target = xstrdup(j->disks[i].target);
		run->disks[i].path = xstrdup(j->disks[i].chain.v[0]);
		run->disks[i].qcow2 = strcmp(j->disks[i].format, "qcow2") == 0;
	}
	snprintf(run->why_none, sizeof(run->why_none), "no checkpoint was taken");
	/* Random too: two runs of one process in one second differ. */
	if (crypto_random(h, 4) < 0)
		memset(h, 0, 4);
	crypto_hex(h, 4, hex);
	/* The journal's snapshot stamp: the overlays and the checkpoint of a
	 * run carry the same one. */
	run->planned = xasprintf("%s%s-%s", run->prefix,
	    j->snapshot + strlen(OVERLAY_SNAPSHOT_PREFIX), hex);
}

void
cbt_checkpoint(struct hv *hv, struct cbt_run *run, const struct domxml_domain *d)
{
	const char **targets = xcalloc(d->ndisks + 1, sizeof(*targets));
	bool *bitmap = xcalloc(d->ndisks + 1, sizeof(*bitmap));
	size_t nbit = 0;
	char err[512], *xml;

	if (run->off) {
		snprintf(run->why_none, sizeof(run->why_none), "changed-block tracking is off");
		goto out;
	}
	for (size_t i = 0; i < d->ndisks; i++) {
		targets[i] = d->disks[i].target;
		for (size_t k = 0; k < run->ndisks; k++)
			if (strcmp(run->disks[k].target, targets[i]) == 0 && run->disks[k].qcow2)
				bitmap[i] = true;
		nbit += bitmap[i];
	}
	if (nbit == 0) {
		snprintf(run->why_none, sizeof(run->why_none), "no qcow2 disk");
		goto out;
	}
	xml = domxml_checkpoint_request(run->planned, targets, bitmap, d->ndisks);
	if (hv_checkpoint_create(hv, run->dom, xml, err, sizeof(err)) == 0) {
		run->checkpoint = xstrdup(run->planned);
		log_debug("domain %s: checkpoint %s created", run->dom, run->checkpoint);
	} else {
		snprintf(run->why_none, sizeof(run->why_none), "the checkpoint could not be created: %s",
		    err);
		log_warn("domain %s: %s; the next backup reads its disks whole", run->dom,
		    run->why_none);
	}
	free(xml);
out:
	free(targets);
	free(bitmap);
}

/* Whether NAME is among NAMES; its flags into *FLAGS. */
static bool
has_bitmap(const struct strlist *names, const struct strlist *flags, const char *name,
    const char **fl)
{
	for (size_t i = 0; i < names->n; i++)
		if (strcmp(names->v[i], name) == 0) {
			*fl = flags->v[i];
			return true;
		}
	return false;
}

/* The reference's file in snapshot M: this disk, this checkpoint, this map. */
static const struct manifest_file *
ref_file(const struct manifest *m, const struct cbt_disk *k, const char *checkpoint,
    const char *map_sha)
{
	for (size_t i = 0; i < m->nfiles; i++) {
		const struct manifest_file *f = &m->files[i];

		if (f->disk != NULL && strcmp(f->disk, k->target) == 0 && f->path != NULL &&
		    strcmp(f->path, k->path) == 0 && f->cbt_checkpoint != NULL &&
		    strcmp(f->cbt_checkpoint, checkpoint) == 0 && strcmp(f->cbt_map, map_sha) == 0)
			return f;
	}
	return NULL;
}

/*
 * The plan of disk K: 0 with K->reuse incremental, or -1 with the reason
 * for a full read in K->reason. CHECKPOINTS: the domain's, per libvirt.
 */
static int
plan_disk(struct repo *r, const struct conf *c, const struct cbt_run *run, struct cbt_disk *k,
    const struct strlist *checkpoints, const struct strlist *bm_names,
    const struct strlist *bm_flags, uint64_t vsize)
{
	struct cbt_ref ref = { 0 };
	struct cbt_map old = { 0 };
	struct cbt_ranges dirty = { 0 };
	struct manifest *m = NULL;
	const struct manifest_file *f;
	const char *fl = NULL;
	char err[256], old_sha[65];
	uint64_t count, marked, fine = 0;
	int rc, ret = -1;

	rc = cbt_ref_read(c->state_dir, run->dom, run->flow, k->target, &ref);
	if (rc == VV_NOT_FOUND && cbt_ref_note(c->state_dir, run->dom, run->flow, err,
	    sizeof(err)) == 0) {
		snprintf(k->reason, sizeof(k->reason), "its reference was dropped: %s", err);
		goto out;
	}
	if (rc == VV_NOT_FOUND) {
		snprintf(k->reason, sizeof(k->reason),
		    "no reference here yet (the first backup of this disk on this host, or the first after a repair)");
		goto out;
	}
	if (rc < 0) {
		snprintf(k->reason, sizeof(k->reason), "its reference in the state folder cannot be read");
		goto out;
	}
	if (strcmp(ref.path, k->path) != 0 || ref.dev != k->dev || ref.ino != k->ino) {
		snprintf(k->reason, sizeof(k->reason),
		    "the image file was replaced or restored since the reference snapshot");
		goto out;
	}
	if (!strlist_contains(checkpoints, ref.checkpoint)) {
		snprintf(k->reason, sizeof(k->reason), "checkpoint %s is unknown to libvirt",
		    ref.checkpoint);
		goto out;
	}
	if (!has_bitmap(bm_names, bm_flags, ref.checkpoint, &fl)) {
		snprintf(k->reason, sizeof(k->reason), "the image has no bitmap %s", ref.checkpoint);
		goto out;
	}
	if (strcmp(fl, "auto") != 0) {
		snprintf(k->reason, sizeof(k->reason),
		    "bitmap %s is not consistent (flags %s; QEMU ended uncleanly?)", ref.checkpoint,
		    fl[0] ? fl : "none");
		goto out;
	}
	if (cbt_map_decode(ref.map, ref.maplen, &old, err, sizeof(err)) < 0) {
		snprintf(k->reason, sizeof(k->reason), "the reference's cluster map: %s", err);
		goto out;
	}
	if (old.virtual_size != vsize) {
		snprintf(k->reason, sizeof(k->reason), "the virtual size changed (%llu to %llu bytes)",
		    (unsigned long long)old.virtual_size, (unsigned long long)vsize);
		goto out;
	}
	/* A cached copy is no proof that it is still there: the store says. */
	rc = store_exists(repo_store(r), ref.snapshot);
	rc = rc == 1 ? manifest_load(r, ref.snapshot, &m) : rc == 0 ? VV_NOT_FOUND : -1;
	if (rc != 0) {
		snprintf(k->reason, sizeof(k->reason), "the reference snapshot %s is %s", ref.snapshot,
		    rc == VV_NOT_FOUND ? "no longer in the repository (forgotten or pruned)" :
		    "unreadable");
		goto out;
	}
	cbt_map_digest(&old, old_sha);
	f = ref_file(m, k, ref.checkpoint, old_sha);
	if (f == NULL) {
		snprintf(k->reason, sizeof(k->reason),
		    "the reference snapshot %s does not record checkpoint %s and this cluster map for the disk",
		    m->id, ref.checkpoint);
		goto out;
	}
	if (m->chunk_size != repo_chunk_size(r)) {
		snprintf(k->reason, sizeof(k->reason), "the reference snapshot has another chunk size");
		goto out;
	}
	if (fetch_index(r, m, f, &k->ref) < 0) {
		snprintf(k->reason, sizeof(k->reason), "the reference snapshot's index cannot be read");
		goto out;
	}
	if (cbt_dirty(k->path, ref.checkpoint, vsize, run->state_dir, run->j, &dirty, err,
	    sizeof(err)) < 0) {
		snprintf(k->reason, sizeof(k->reason), "the dirty bitmap %s cannot be read: %s",
		    ref.checkpoint, err);
		goto out;
	}
	count = index_count(k->map.file_size, repo_chunk_size(r));
	k->skip = xcalloc(count ? count : 1, 1);
	marked = cbt_plan(&old, &k->map, &dirty, repo_chunk_size(r), k->skip, count);
	k->reuse.ref = &k->ref;
	k->reuse.skip = k->skip;
	k->reuse.count = count;
	/* Format 3: the plan again in 64 KiB units, for chunks stored as
	 * patches of the reference's (only their changed units read). */
	if (repo_version(r) >= 3) {
		uint64_t units = index_count(k->map.file_size, CBT_GRAIN);

		k->fine = xcalloc(units ? units : 1, 1);
		fine = cbt_plan(&old, &k->map, &dirty, CBT_GRAIN, k->fine, units);
		k->reuse.fine = k->fine;
		k->reuse.fine_count = units;
		k->reuse.grain = CBT_GRAIN;
	}
	/* Every Nth incremental run of a disk reads it whole to check the plan. */
	k->runs = ref.runs + 1;
	if (c->cbt_full_every > 0 && k->runs >= c->cbt_full_every)
		k->reuse.check = true;
	if (k->reuse.check)
		k->runs = 0;
	if (marked == 0 && fine == 0)
		snprintf(k->reason, sizeof(k->reason),
		    "since snapshot %s (checkpoint %s): nothing to skip: each of the %llu chunk%s of its %llu bytes holds qcow2 metadata or data written or moved since (%zu dirty ranges), so all are read%s",
		    m->id, ref.checkpoint, (unsigned long long)count, count == 1 ? "" : "s",
		    (unsigned long long)k->map.file_size, dirty.n,
		    !k->reuse.check ? "" : run->check ? "; --check-cbt" : "; cbt_full_every");
	else
		snprintf(k->reason, sizeof(k->reason),
		    "since snapshot %s (checkpoint %s): %llu of %llu bytes unchanged, %zu dirty ranges%s",
		    m->id, ref.checkpoint, (unsigned long long)(fine > marked ? fine : marked),
		    (unsigned long long)k->map.file_size, dirty.n,
		    !k->reuse.check ? "" : run->check ? "; --check-cbt" : "; cbt_full_every");
	ret = 0;
out:
	if (ret < 0)
		index_clear(&k->ref);
	cbt_ranges_clear(&dirty);
	cbt_map_clear(&old);
	manifest_free(m);
	cbt_ref_clear(&ref);
	return ret;
}

void
cbt_plan_disks(struct hv *hv, struct repo *r, const struct conf *c, struct cbt_run *run)
{
	struct strlist checkpoints = { 0 };
	bool listed = run->checkpoint != NULL && hv_checkpoints(hv, run->dom, &checkpoints) == 0;

	for (size_t i = 0; i < run->ndisks; i++) {
		struct cbt_disk *k = &run->disks[i];
		struct strlist names = { 0 }, flags = { 0 };
		const char *fl = NULL;
		struct stat st;
		uint64_t vsize = 0;

		k->reuse.reason = k->reason;
		k->reuse.check = run->check;
		if (!k->qcow2) {
			snprintf(k->reason, sizeof(k->reason), "a raw image has no persistent bitmap");
			continue;
		}
		if (run->checkpoint == NULL) {
			snprintf(k->reason, sizeof(k->reason), "%s", run->why_none);
			continue;
		}
		if (!listed) {
			snprintf(k->reason, sizeof(k->reason), "libvirt's checkpoints cannot be listed");
			continue;
		}
		if (stat(k->path, &st) < 0) {
			snprintf(k->reason, sizeof(k->reason), "cannot stat the image: %s", strerror(errno));
			continue;
		}
		k->dev = (uint64_t)st.st_dev;
		k->ino = (uint64_t)st.st_ino;
		if (qimg_bitmaps(k->path, &vsize, &names, &flags) < 0) {
			snprintf(k->reason, sizeof(k->reason), "qemu-img cannot describe the image's bitmaps");
			goto next;
		}
		/* This run's bitmap must be in the file for it to be the next reference. */
		if (!has_bitmap(&names, &flags, run->checkpoint, &fl) || strcmp(fl, "auto") != 0) {
			snprintf(k->reason, sizeof(k->reason),
			    "the image does not hold this run's bitmap %s as expected", run->checkpoint);
			goto next;
		}
		if (qimg_map(k->path, &k->map) < 0) {
			snprintf(k->reason, sizeof(k->reason), "qemu-img cannot map the image");
			goto next;
		}
		k->map.virtual_size = vsize;
		cbt_map_digest(&k->map, k->map_sha);
		k->mapped = true;
		plan_disk(r, c, run, k, &checkpoints, &names, &flags, vsize);
next:
		strlist_clear(&names);
		strlist_clear(&flags);
	}
	strlist_clear(&checkpoints);
	for (size_t i = 0; i < run->ndisks; i++)
		log_info("domain %s, disk %s: %s read: %s", run->dom, run->disks[i].target,
		    run->disks[i].reuse.ref ? "incremental" : "full", run->disks[i].reason);
}

void
cbt_finish(struct hv *hv, const struct conf *c, struct cbt_run *run, const char *key)
{
	struct strlist names = { 0 }, keep = { 0 };

	if (run->checkpoint == NULL)
		return;
	/* Older checkpoints of these backups go, but for those a disk's
	 * reference still names (its new one could not be made). */
	strlist_add(&keep, run->checkpoint);
	for (size_t i = 0; i < run->ndisks; i++) {
		struct cbt_disk *k = &run->disks[i];
		struct cbt_ref ref = { 0 };
		size_t len = 0;
		int rc = -1;

		if (k->mapped) {
			ref.snapshot = (char *)key;
			ref.checkpoint = run->checkpoint;
			ref.path = k->path;
			ref.dev = k->dev;
			ref.ino = k->ino;
			ref.runs = k->runs;
			ref.repository = (char *)run->repository;
			ref.map = cbt_map_encode(&k->map, &len);
			ref.maplen = len;
			rc = cbt_ref_write(c->state_dir, run->dom, run->flow, k->target, &ref);
			if (rc < 0)
				log_warn("domain %s, disk %s: its changed-block tracking reference cannot be saved",
				    run->dom, k->target);
			free(ref.map);
			memset(&ref, 0, sizeof(ref));
		}
		if (rc < 0 && cbt_ref_read(c->state_dir, run->dom, run->flow, k->target, &ref) == 0 &&
		    !strlist_contains(&keep, ref.checkpoint))
			strlist_add(&keep, ref.checkpoint);
		cbt_ref_clear(&ref);
	}
	if (hv_checkpoints(hv, run->dom, &names) < 0)
		goto out;
	for (size_t i = 0; i < names.n; i++) {
		if (strncmp(names.v[i], run->prefix, strlen(run->prefix)) != 0 ||
		    strlist_contains(&keep, names.v[i]))
			continue;
		if (hv_checkpoint_delete(hv, run->dom, names.v[i]) < 0)
			log_warn("domain %s: old checkpoint %s stays; the next backup deletes it",
			    run->dom, names.v[i]);
		else
			log_debug("domain %s: old checkpoint %s deleted", run->dom, names.v[i]);
	}
out:
	strlist_clear(&names);
	strlist_clear(&keep);
}

void
cbt_run_clear(struct cbt_run *run)
{
	for (size_t i = 0; run->disks && i < run->ndisks; i++) {
		struct cbt_disk *k = &run->disks[i];

		free(k->target);
		free(k->path);
		index_clear(&k->ref);
		free(k->skip);
		free(k->fine);
		cbt_map_clear(&k->map);
	}
	free(run->disks);
	free(run->prefix);
	free(run->flow);
	free(run->planned);
	free(run->checkpoint);
	memset(run, 0, sizeof(*run));
}

int
cbt_strip_bitmaps(const char *path)
{
	struct strlist names = { 0 }, flags = { 0 };
	uint64_t vsize;
	int ret = 0;

	if (qimg_bitmaps(path, &vsize, &names, &flags) < 0)
		return -1;
	for (size_t i = 0; i < names.n && ret == 0; i++)
		ret = qimg_bitmap_remove(path, names.v[i]);
	strlist_clear(&names);
	strlist_clear(&flags);
	return ret;
}
