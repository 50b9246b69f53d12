#include "agent/cbt.h"

#include <errno.h>
#include <fcntl.h>
#include <libnbd.h>
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

/* The NBD client's view of the dirty bitmap: ranges, and how far it got. */
struct dirty_walk {
	const char *ctx;
	struct cbt_ranges *out;
	uint64_t next;
};

static int
on_extents(void *user, const char *metacontext, uint64_t offset, uint32_t *entries,
    size_t nr, int *error)
{
	struct dirty_walk *w = user;

	(void)error;
	if (strcmp(metacontext, w->ctx) != 0)
		return 0;
	for (size_t i = 0; i + 1 < nr; i += 2) {
		if (entries[i + 1] & 1)
			cbt_ranges_add(w->out, offset, entries[i]);
		offset += entries[i];
	}
	w->next = offset;
	return 0;
}

/* Connect H to SOCK while qemu-nbd (PID) starts; 0, or -1 with ERR. */
static struct nbd_handle *
nbd_open(const char *sock, const char *ctx, pid_t pid, const char *errfile, char *err,
    size_t errlen)
{
	for (int tries = 0; tries < 1000; tries++) {
		struct nbd_handle *h;

		if (access(sock, F_OK) == 0) {
			h = nbd_create();
			if (h == NULL) {
				snprintf(err, errlen, "libnbd: %s", nbd_get_error());
				return NULL;
			}
			if (nbd_add_meta_context(h, ctx) == 0 && nbd_connect_unix(h, sock) == 0)
				return h;
			snprintf(err, errlen, "libnbd: %s", nbd_get_error());
			nbd_close(h);
			return NULL;
		}
		if (run_exited(pid)) {
			char msg[512] = "";
			int fd = open(errfile, O_RDONLY | O_CLOEXEC);

			if (fd >= 0) {
				ssize_t n = read(fd, msg, sizeof(msg) - 1);

				msg[n > 0 ? n : 0] = '\0';
				close(fd);
			}
			msg[strcspn(msg, "\n")] = '\0';
			snprintf(err, errlen, "qemu-nbd failed: %s", msg[0] ? msg : "(no message)");
			return NULL;
		}
		usleep(10000);
	}
	snprintf(err, errlen, "qemu-nbd did not listen within 10 s");
	return NULL;
}

/*
 * Whether the reader dies with us: always, but in the fault build's test
 * of repair (VIRTVAULT_TEST_ORPHAN_READER), which needs one that outlives.
 */
static bool
reader_bound(void)
{
#ifdef VV_FAULT_HOOKS
	const char *v = getenv("VIRTVAULT_TEST_ORPHAN_READER");

	return v == NULL || v[0] == '\0';
#else
	return true;
#endif
}

int
cbt_dirty(const char *path, const char *bitmap, uint64_t size, const char *state_dir,
    struct journal *j, struct cbt_ranges *out, char *err, size_t errlen)
{
	const char *tmp = getenv("TMPDIR");
	char *dir = xasprintf("%s/virtvault-nbd.XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
	char *sock = NULL, *errfile = NULL, *bm = NULL, *ctx = NULL;
	struct nbd_handle *h = NULL;
	struct dirty_walk w = { 0 };
	pid_t pid = -1;
	int64_t got;
	int ret = -1;

	if (mkdtemp(dir) == NULL) {
		snprintf(err, errlen, "cannot make a folder for qemu-nbd's socket: %s", strerror(errno));
		free(dir);
		return -1;
	}
	sock = xasprintf("%s/nbd.sock", dir);
	errfile = xasprintf("%s/qemu-nbd.err", dir);
	bm = xasprintf("--bitmap=%s", bitmap);
	ctx = xasprintf("qemu:dirty-bitmap:%s", bitmap);
	/* Journaled before it starts: a crash from here on leaves repair the
	 * folder to remove and, once known, the process to stop. */
	if (j != NULL && journal_set_reader(state_dir, j, "qemu-nbd", path, dir, 0, 0) < 0) {
		snprintf(err, errlen, "cannot journal the reader");
		goto out;
	}
	{
		char *sockarg = xasprintf("--socket=%s", sock);
		char *argv[] = { "qemu-nbd", "--read-only", "--format=qcow2", "--shared=1", bm, sockarg,
			(char *)path, NULL };

		pid = run_start(argv, errfile, reader_bound());
		free(sockarg);
	}
	if (pid < 0) {
		snprintf(err, errlen, "cannot start qemu-nbd");
		goto out;
	}
	if (j != NULL) {
		unsigned long long start = 0;

		if (proc_start_time(pid, &start) < 0 ||
		    journal_set_reader(state_dir, j, "qemu-nbd", path, dir, (int)pid, start) < 0) {
			snprintf(err, errlen, "cannot journal the reader (qemu-nbd, pid %d)", (int)pid);
			goto out;
		}
	}
	fault_stall("cbt-reader-started", NULL, NULL);
	h = nbd_open(sock, ctx, pid, errfile, err, errlen);
	if (h == NULL)
		goto out;
	if (nbd_can_meta_context(h, ctx) != 1) {
		snprintf(err, errlen, "qemu-nbd does not offer %s", ctx);
		goto out;
	}
	got = nbd_get_size(h);
	if (got < 0 || (uint64_t)got != size) {
		snprintf(err, errlen, "qemu-nbd exports %lld bytes, the image has %llu",
		    (long long)got, (unsigned long long)size);
		goto out;
	}
	fault_stall("cbt-reader-connected", NULL, NULL);
	w.ctx = ctx;
	w.out = out;
	for (uint64_t off = 0; off < size;) {
		uint64_t want = size - off < (1ULL << 30) ? size - off : (1ULL << 30);
		nbd_extent_callback cb = { .callback = on_extents, .user_data = &w };

		w.next = off;
		if (nbd_block_status(h, want, off, cb, 0) < 0) {
			snprintf(err, errlen, "block status at %llu: %s", (unsigned long long)off,
			    nbd_get_error());
			goto out;
		}
		if (w.next <= off) {
			snprintf(err, errlen, "qemu-nbd described nothing at offset %llu",
			    (unsigned long long)off);
			goto out;
		}
		off = w.next;
	}
	ret = 0;
out:
	if (h != NULL) {
		nbd_shutdown(h, 0);
		nbd_close(h);
	}
	run_stop(pid, 2000);
	unlink(sock);
	unlink(errfile);
	rmdir(dir);
	if (j != NULL)
		journal_clear_reader(state_dir, j);
	free(sock);
	free(errfile);
	free(bm);
	free(ctx);
	free(dir);
	return ret;
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
	uint64_t count, marked;
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
	/* Every Nth incremental run of a disk reads it whole to check the plan. */
	k->runs = ref.runs + 1;
	if (c->cbt_full_every > 0 && k->runs >= c->cbt_full_every)
		k->reuse.check = true;
	if (k->reuse.check)
		k->runs = 0;
	if (marked == 0)
		snprintf(k->reason, sizeof(k->reason),
		    "since snapshot %s (checkpoint %s): nothing to skip: each of the %llu chunk%s of its %llu bytes holds qcow2 metadata or data written or moved since (%zu dirty ranges), so all are read%s",
		    m->id, ref.checkpoint, (unsigned long long)count, count == 1 ? "" : "s",
		    (unsigned long long)k->map.file_size, dirty.n,
		    !k->reuse.check ? "" : run->check ? "; --check-cbt" : "; cbt_full_every");
	else
		snprintf(k->reason, sizeof(k->reason),
		    "since snapshot %s (checkpoint %s): %llu of %llu bytes unchanged, %zu dirty ranges%s",
		    m->id, ref.checkpoint, (unsigned long long)marked,
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
