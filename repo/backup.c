/*
 * The backup pipeline: sources, the chunking readers, the worker threads
 * that hash, compress, encrypt and store, and the publish (its shared
 * state in repo/backup_int.h; format 3's patches in repo/backup_patch.c).
 * lint: long file: one pipeline over shared state, the reader and the
 * workers beside each other.
 */
#include "repo/backup.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/version.h"
#include "common/log.h"
#include "repo/backup_seed.h"
#include "repo/chunkset.h"
#include "repo/layout.h"
#include "repo/lock.h"
#include "repo/objlock.h"
#include "common/fault.h"
#include "repo/index.h"
#include "repo/backup_int.h"

struct backup *
backup_new(struct repo *r, const char *name)
{
	return backup_new_group(r, repo_host(r), name);
}

struct backup *
backup_new_group(struct repo *r, const char *host, const char *name)
{
	struct backup *b = xcalloc(1, sizeof(*b));
	uint8_t rid[8];
	time_t now = time(NULL);
	char *what;
	int rc;

	if (!layout_name_valid(name) || !layout_name_valid(host)) {
		log_error("backup name '%s' or host '%s' is invalid: use " LAYOUT_NAME_RULE, name, host);
		free(b);
		return NULL;
	}
	b->t0 = clock_mono();
	b->repo = r;
	b->known = chunkset_new();
	what = xasprintf("backup %s", name);
	fault_stall("locking", NULL, NULL);
	/* Held before the seeding: a chunk known then stays until the manifest. */
	rc = repo_lock_take(r, REPO_LOCK_SHARED, what, &b->lock);
	free(what);
	if (rc != 0 || backup_seed_group(r, host, name, b->known, NULL) < 0)
		goto fail;
	fault_stall("seeded", NULL, NULL);
	if (crypto_random(rid, sizeof(rid)) < 0)
		goto fail;
	b->m = xcalloc(1, sizeof(*b->m));
	b->m->format = MANIFEST_VERSION;
	b->m->name = xstrdup(name);
	crypto_hex(rid, sizeof(rid), b->m->id);
	backup_set_time(b, now);
	b->m->host = xstrdup(host);
	b->m->version = xstrdup(VV_VERSION);
	b->m->source_type = xstrdup("images");
	b->m->quiesced = -1;
	b->m->chunk_size = repo_chunk_size(r);
	return b;
fail:
	backup_free(b);
	return NULL;
}

void
backup_set_time(struct backup *b, time_t t)
{
	util_format_utc(t, b->m->time, sizeof(b->m->time));
	b->m->when = t;
}

void
backup_set_cancel(struct backup *b, const volatile sig_atomic_t *flag)
{
	b->cancel = flag;
}

void
backup_keep_stats(struct backup *b, const struct backup_stats *st)
{
	b->m->stats = *st;
	b->stats_kept = true;
}

struct manifest *
backup_manifest(struct backup *b)
{
	return b->m;
}

const struct backup_stats *
backup_stats(const struct backup *b)
{
	return &b->m->stats;
}

void
backup_set_domain(struct backup *b, char *xml_live, char *xml_inactive, int quiesced)
{
	struct manifest *m = b->m;

	free(m->source_type);
	m->source_type = xstrdup("domain");
	free(m->domain_xml);
	free(m->domain_xml_inactive);
	m->domain_xml = xml_live;
	m->domain_xml_inactive = xml_inactive;
	m->quiesced = quiesced;
}

void
backup_free(struct backup *b)
{
	if (b == NULL)
		return;
	repo_lock_release(b->lock);
	chunkset_free(b->known);
	manifest_free(b->m);
	free(b);
}

static bool
all_zero(const uint8_t *p, size_t n)
{
	return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0);
}

/* The ID of an all-zero chunk (never stored). */
static const uint8_t zero_id[CRYPTO_HASH_LEN];

void
backup_pipe_reserve(struct pipe *p, uint64_t i)
{
	uint64_t cap = p->ids_cap ? p->ids_cap : 1024;

	if (i < p->ids_cap)
		return;
	while (cap <= i)
		cap *= 2;
	p->ids = xrealloc(p->ids, (size_t)cap * CRYPTO_HASH_LEN);
	memset(p->ids[p->ids_cap], 0, (size_t)(cap - p->ids_cap) * CRYPTO_HASH_LEN);
	p->ids_cap = cap;
}

void
backup_pipe_release(struct pipe *p, size_t sn)
{
	p->freeq[p->ftail] = sn;
	p->ftail = (p->ftail + 1) % p->nslots;
	p->fcount++;
	pthread_cond_broadcast(&p->cond);
}

/*
 * Under --check-cbt, a chunk changed-block tracking called unchanged must
 * have the reference's ID; ID is what was read. Returns false (logged) when
 * it differs.
 */
static bool
reuse_check(struct pipe *p, uint64_t i, const uint8_t id[CRYPTO_HASH_LEN])
{
	const struct backup_reuse *u = p->reuse;
	char want[2 * CRYPTO_HASH_LEN + 1], got[2 * CRYPTO_HASH_LEN + 1];

	const struct index_patch *rp;

	/* A patched chunk of the reference has no ID of its own to compare:
	 * backup_patch_check compares its bytes. */
	if (u == NULL || !u->check || !u->skip[i] ||
	    memcmp(u->ref->ids[i], id, CRYPTO_HASH_LEN) == 0 ||
	    (i < u->ref->count && index_slot_patches(u->ref, i, &rp) > 0 && p->fine != NULL))
		return true;
	crypto_hex(u->ref->ids[i], CRYPTO_HASH_LEN, want);
	crypto_hex(id, CRYPTO_HASH_LEN, got);
	log_error("image %s: the chunk at offset %llu changed (%.16s, reference %.16s) although changed-block tracking (%s) marked it unchanged",
	    p->path, (unsigned long long)(i * p->reuse->ref->chunk_size), got, want, u->reason);
	return false;
}

/*
 * Chunk S (KEY), known to nobody yet: reused when the store has it (asked
 * under the shared lock, so it stays until the manifest), else encoded
 * with W into OUT (*OUTLEN bytes) and stored. *HAD says whether it was
 * there. Returns 0 or -1 (logged).
 */
static int
store_chunk(struct pipe *p, const struct codec *c, struct codec_work *w, const char *key,
    const struct slot *s, uint8_t *out, size_t *outlen, bool *had)
{
	struct repo *r = p->b->repo;
	/* Under Object Lock a chunk found is retained long enough for a live one. */
	int rc = objlock_reuse(r, key);

	*had = rc == 1;
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	if (codec_encode(c, w, CODEC_KIND_CHUNK, key, s->data, s->len, out, outlen) < 0) {
		log_error("image %s: the chunk at offset %llu cannot be encoded",
		    p->path, (unsigned long long)(s->index * repo_chunk_size(r)));
		return -1;
	}
	/* Another backup may have stored it meanwhile: then it is not ours to
	 * count as stored. */
	rc = store_put(repo_store(r), key, out, *outlen, STORE_IF_ABSENT);
	if (rc == VV_DENIED)
		log_error("repository %s: writing %s was refused (403 AccessDenied): this credential may not write",
		    repo_url(r), key);
	*had = rc == VV_EXISTS;
	return rc == 0 || rc == VV_EXISTS ? 0 : -1;
}

/* Worker: hash, look up, encode and store chunks until the reader is done. */
static void *
worker(void *arg)
{
	struct pipe *p = arg;
	struct repo *r = p->b->repo;
	const struct codec *c = repo_codec(r);
	struct codec_work *w = codec_work_new(repo_chunk_size(r));
	/* Aligned: the file store writes it with O_DIRECT, not through the page cache. */
	uint8_t *out = xmalloc_aligned(ALLOC_DIRECT_ALIGN, codec_bound(repo_chunk_size(r)));

	for (;;) {
		struct slot *s;
		uint8_t id[CRYPTO_HASH_LEN];
		size_t sn, outlen = 0;
		char key[96];
		bool had, ok = true;

		pthread_mutex_lock(&p->lock);
		while (p->wcount == 0 && !p->done)
			pthread_cond_wait(&p->cond, &p->lock);
		if (p->wcount == 0) {
			pthread_mutex_unlock(&p->lock);
			break;
		}
		sn = p->workq[p->whead];
		p->whead = (p->whead + 1) % p->nslots;
		p->wcount--;
		ok = !p->failed;
		pthread_mutex_unlock(&p->lock);
		s = &p->slots[sn];

		if (ok) {
			codec_id(c, s->data, s->len, id);
			ok = s->patch || (reuse_check(p, s->index, id) &&
			    (p->reuse == NULL || !p->reuse->check || p->fine == NULL ||
			    backup_patch_check(p, w, s->index, s->data, s->len)));
		}
		if (ok) {
			had = chunkset_add(p->b->known, id);
			if (!had) {
				layout_chunk_key(id, key, sizeof(key));
				ok = store_chunk(p, c, w, key, s, out, &outlen, &had) == 0;
			}
			progress_add(p->progress, s->len);
		}
		pthread_mutex_lock(&p->lock);
		if (ok && s->patch)
			backup_patch_add(p, s, id);
		else if (ok)
			memcpy(p->ids[s->index], id, CRYPTO_HASH_LEN);
		if (!ok)
			p->failed = true;
		else if (had)
			p->st.chunks_reused++;
		else {
			p->st.chunks_new++;
			p->st.bytes_stored += outlen;
		}
		backup_pipe_release(p, sn);
		pthread_mutex_unlock(&p->lock);
	}
	free(out);
	codec_work_free(w);
	return NULL;
}

int
backup_pipe_take(struct pipe *p, size_t *sn)
{
	pthread_mutex_lock(&p->lock);
	while (p->fcount == 0 && !p->failed)
		pthread_cond_wait(&p->cond, &p->lock);
	if (p->failed) {
		pthread_mutex_unlock(&p->lock);
		return -1;
	}
	*sn = p->freeq[p->fhead];
	p->fhead = (p->fhead + 1) % p->nslots;
	p->fcount--;
	pthread_mutex_unlock(&p->lock);
	return 0;
}

/*
 * Slot SN holds chunk I (LEN bytes, read): zeros are counted and never
 * stored, anything else goes to the workers. Returns 0, or -1 (logged)
 * when --check-cbt finds a zero chunk the plan called otherwise.
 */
static int
queue_chunk(struct pipe *p, size_t sn, uint64_t i, size_t len)
{
	struct slot *s = &p->slots[sn];

	p->st.bytes_read += len;
	s->len = len;
	s->index = i;
	s->patch = false;
	pthread_mutex_lock(&p->lock);
	if (all_zero(s->data, len)) {
		/* Written zeros: never stored. */
		backup_pipe_release(p, sn);
		pthread_mutex_unlock(&p->lock);
		if (!reuse_check(p, i, zero_id))
			return -1;
		p->st.chunks_zero++;
		progress_add(p->progress, len);
		return 0;
	}
	backup_pipe_reserve(p, i);
	backup_pipe_queue(p, sn);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

void
backup_pipe_queue(struct pipe *p, size_t sn)
{
	p->workq[p->wtail] = sn;
	p->wtail = (p->wtail + 1) % p->nslots;
	p->wcount++;
	pthread_cond_broadcast(&p->cond);
}

/* Mark the pipe failed (the cause logged by the caller); returns -1. */
static int
pipe_fail(struct pipe *p)
{
	pthread_mutex_lock(&p->lock);
	p->failed = true;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	return -1;
}

/* Read exactly LEN bytes at OFF; -1 with errno, or 1 when the file ended. */
static int
read_at(int fd, uint8_t *buf, size_t len, uint64_t off)
{
	size_t got = 0;

	while (got < len) {
		ssize_t r = pread(fd, buf + got, len - got, (off_t)(off + got));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			return 1;
		got += (size_t)r;
	}
	return 0;
}

/* The reader: runs in the calling thread, feeding the workers. */
static int
read_file(struct pipe *p, int fd, uint64_t size)
{
	uint32_t cs = repo_chunk_size(p->b->repo);
	uint64_t count = index_count(size, cs);
	const struct backup_reuse *u = p->reuse;
	off_t data = 0, hole = 0;	/* the current data extent [data, hole) */
	bool nodata = false;

	for (uint64_t i = 0; i < count; i++) {
		uint64_t off = i * cs;
		size_t len = index_chunk_len(size, cs, i);
		struct slot *s;
		size_t sn;
		int r;

		if (p->b->cancel != NULL && *p->b->cancel) {
			log_warn("image %s: copy cancelled at offset %llu", p->path, (unsigned long long)off);
			pthread_mutex_lock(&p->lock);
			p->failed = true;
			pthread_cond_broadcast(&p->cond);
			pthread_mutex_unlock(&p->lock);
			return -1;
		}
		/* Unchanged since the reference: its chunk, unread, when it is
		 * known (so no prune can have taken it). */
		if (u != NULL && !u->check && u->skip[i]) {
			if (index_slot_is_zero(u->ref, i)) {
				p->st.chunks_zero++;
				p->bytes_skipped += len;
				progress_add(p->progress, len);
				continue;
			}
			if (backup_patch_reuse(p, i, len))
				continue;
			log_debug("image %s: the reference's chunk at offset %llu is not in the repository: read",
			    p->path, (unsigned long long)off);
		} else if (u != NULL && p->fine != NULL && !u->check) {
			int pr = backup_patch_try(p, fd, i, len);

			if (pr < 0)
				return -1;
			if (pr > 0)
				continue;
		}
		/* Find the next data extent once past the current one. */
		if (!nodata && (off_t)off >= hole) {
			data = lseek(fd, (off_t)off, SEEK_DATA);
			if (data < 0 && errno == ENXIO) {
				nodata = true;
			} else if (data < 0) {
				data = (off_t)off;	/* no SEEK_DATA: read all */
				hole = (off_t)size;
			} else {
				hole = lseek(fd, data, SEEK_HOLE);
				if (hole < 0)
					hole = (off_t)size;
			}
		}
		if (nodata || (off_t)(off + len) <= data) {
			/* A hole: zeros, never read. */
			if (!reuse_check(p, i, zero_id))
				goto failed;
			p->st.chunks_zero++;
			progress_add(p->progress, len);
			continue;
		}
		if (backup_pipe_take(p, &sn) < 0)
			return -1;
		s = &p->slots[sn];
		r = read_at(fd, s->data, len, off);
		if (r != 0) {
			if (r < 0)
				log_error("image %s: read error at offset %llu: %s", p->path,
				    (unsigned long long)off, strerror(errno));
			else
				log_error("image %s: shrank while being read (ended before offset %llu of %llu)",
				    p->path, (unsigned long long)off, (unsigned long long)size);
			pthread_mutex_lock(&p->lock);
			p->failed = true;
			backup_pipe_release(p, sn);
			pthread_mutex_unlock(&p->lock);
			return -1;
		}
		if (queue_chunk(p, sn, i, len) < 0)
			goto failed;
	}
	return 0;
failed:
	return pipe_fail(p);
}

/* The reader of a stream source: every chunk in order. */
static int
read_stream(struct pipe *p, const struct backup_source *src)
{
	uint32_t cs = repo_chunk_size(p->b->repo);
	uint64_t count = index_count(src->size, cs);

	for (uint64_t i = 0; i < count; i++) {
		size_t len = index_chunk_len(src->size, cs, i), sn;
		bool zero = false;
		int r;

		if (p->b->cancel != NULL && *p->b->cancel) {
			log_warn("%s: stopped at offset %llu", src->path, (unsigned long long)(i * cs));
			return pipe_fail(p);
		}
		/* Unchanged since the reference: its chunk, unread, when known. */
		if (p->reuse != NULL && p->reuse->skip[i] && i < p->reuse->ref->count) {
			if (index_slot_is_zero(p->reuse->ref, i)) {
				p->st.chunks_zero++;
				p->bytes_skipped += len;
				progress_add(p->progress, len);
				continue;
			}
			if (backup_patch_reuse(p, i, len))
				continue;
		}
		if (backup_pipe_take(p, &sn) < 0)
			return -1;
		r = src->read(src->ctx, p->slots[sn].data, len, i * cs, &zero);
		if (r != 0 || zero) {
			pthread_mutex_lock(&p->lock);
			backup_pipe_release(p, sn);
			pthread_mutex_unlock(&p->lock);
			if (r != 0)
				return pipe_fail(p);	/* logged by the source */
			p->st.chunks_zero++;	/* a hole: never read, never stored */
			progress_add(p->progress, len);
			continue;
		}
		if (queue_chunk(p, sn, i, len) < 0)
			return pipe_fail(p);
	}
	return 0;
}

static const char *
detect_format(int fd)
{
	uint8_t magic[4];

	if (pread(fd, magic, 4, 0) == 4 && memcmp(magic, "QFI\xfb", 4) == 0)
		return "qcow2";
	return "raw";
}

static bool
same_file_state(const struct stat *a, const struct stat *b)
{
	return a->st_size == b->st_size && a->st_ino == b->st_ino && a->st_rdev == b->st_rdev &&
	    a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/*
 * The size of the image open as FD (ST its fstat): a regular file's, or a
 * block device's (an LVM volume, a partition, a loop device) by its ioctl.
 * Returns 0, or -1 (logged) for anything else.
 */
static int
image_size(const char *path, int fd, const struct stat *st, uint64_t *size)
{
	if (S_ISREG(st->st_mode)) {
		*size = (uint64_t)st->st_size;
		return 0;
	}
	if (S_ISBLK(st->st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, size) == 0)
			return 0;
		log_error("image %s: cannot read the block device's size: %s", path, strerror(errno));
		return -1;
	}
	log_error("image %s: neither a regular file nor a block device", path);
	return -1;
}

int
backup_add_file(struct backup *b, const char *path, const char *name,
    const char *disk, struct progress *progress)
{
	return backup_add_file_reuse(b, path, name, disk, NULL, progress);
}

/*
 * Store a file of SIZE bytes through the pipe P: from FD (read_file, with
 * REUSE's plan) or from SRC (read_stream), on the repository's workers,
 * its index into IX. Returns 0, or -1 (logged where it failed).
 */
static int
pipe_run(struct backup *b, struct pipe *p, struct index *ix, uint64_t size, int fd,
    const struct backup_source *src)
{
	struct repo *r = b->repo;
	uint32_t cs = repo_chunk_size(r);
	int nworkers = repo_workers(r), started = 0, ret = -1;
	pthread_t *threads;

	p->b = b;
	p->nslots = (size_t)nworkers * 2 + 2;
	p->slots = xcalloc(p->nslots, sizeof(*p->slots));
	p->freeq = xcalloc(p->nslots, sizeof(size_t));
	p->workq = xcalloc(p->nslots, sizeof(size_t));
	for (size_t i = 0; i < p->nslots; i++) {
		p->slots[i].data = xmalloc(cs);
		p->freeq[i] = i;
	}
	p->fcount = p->nslots;
	ix->chunk_size = cs;
	ix->file_size = size;
	/* Holes and skipped chunks count as done: the whole file is the work. */
	progress_set_total(p->progress, size);
	ix->count = index_count(size, cs);
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	threads = xcalloc((size_t)nworkers, sizeof(*threads));
	for (; started < nworkers; started++)
		if (pthread_create(&threads[started], NULL, worker, p) != 0)
			break;
	if (started == 0)
		log_error("image %s: cannot start worker threads", p->path);
	else
		ret = src != NULL ? read_stream(p, src) : read_file(p, fd, size);
	pthread_mutex_lock(&p->lock);
	p->done = true;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	for (int i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
	free(threads);
	/* The whole index once the file was read: holes are all-zero IDs. */
	if (ret == 0 && !p->failed)
		backup_pipe_reserve(p, ix->count ? ix->count - 1 : 0);
	ix->ids = p->ids;
	p->ids = NULL;
	if (ret == 0 && !p->failed)
		backup_patch_finish(p, ix);
	if (ret == 0 && p->failed)
		ret = -1;
	if (ret < 0)
		/* The cause was logged where it was found (read, store, cancel). */
		log_info("image %s: not stored; the repository holds no reference to what was written",
		    p->path);
	return ret;
}

static void
pipe_free(struct pipe *p)
{
	for (size_t i = 0; i < p->nslots; i++)
		free(p->slots[i].data);
	free(p->slots);
	free(p->freeq);
	free(p->workq);
	free(p->patches);
	free(p->patchbuf);
}

/*
 * The index IX of what P stored, content-addressed like chunks, and the
 * manifest's entry of the file. Returns 0 or -1 (logged).
 */
static int
pipe_record(struct backup *b, struct pipe *p, struct index *ix, const char *name,
    const char *path, const char *disk, const char *format, const struct backup_reuse *reuse,
    const char *reason)
{
	struct repo *r = b->repo;
	struct manifest *m = b->m;
	struct manifest_file *f;
	char ixkey[LAYOUT_KEY_MAX];
	uint8_t iid[CRYPTO_HASH_LEN], *ixbuf;
	size_t ixlen = 0;

	ixbuf = index_encode(ix, &ixlen);
	codec_id(repo_codec(r), ixbuf, ixlen, iid);
	layout_index_key(iid, ixkey, sizeof(ixkey));
	if (repo_put_object(r, CODEC_KIND_INDEX, ixkey, ixbuf, ixlen, 0) < 0) {
		free(ixbuf);
		return -1;
	}
	free(ixbuf);
	m->files = xrealloc(m->files, (m->nfiles + 1) * sizeof(*m->files));
	f = &m->files[m->nfiles++];
	memset(f, 0, sizeof(*f));
	f->name = xstrdup(name);
	f->path = xstrdup(path);
	f->disk = disk ? xstrdup(disk) : NULL;
	f->format = xstrdup(format);
	f->size = ix->file_size;
	index_digest(ix, f->digest);
	f->index = xstrdup(ixkey);
	f->chunks = ix->count;
	f->zero_chunks = p->st.chunks_zero;
	if (reuse != NULL) {
		f->read_mode = xstrdup(p->reuse != NULL ? "incremental" : "full");
		f->read_reason = p->reuse != NULL && p->reuse->check ?
		    xasprintf("%s: read whole and compared with the plan", reason) :
		    xstrdup(reason ? reason : "-");
		f->bytes_skipped = p->bytes_skipped;
	}
	m->stats.bytes_read += p->st.bytes_read;
	m->stats.chunks_total += ix->count;
	m->stats.chunks_new += p->st.chunks_new;
	m->stats.chunks_reused += p->st.chunks_reused;
	m->stats.chunks_zero += p->st.chunks_zero;
	m->stats.chunks_patched += p->st.chunks_patched;
	m->stats.bytes_stored += p->st.bytes_stored + ixlen;
	return 0;
}

int
backup_add_file_reuse(struct backup *b, const char *path, const char *name,
    const char *disk, const struct backup_reuse *reuse, struct progress *progress)
{
	uint32_t cs = repo_chunk_size(b->repo);
	struct pipe p;
	struct stat st0, st1;
	struct index ix = { 0 };
	uint64_t size = 0, size1 = 0;
	int fd, ret = -1;
	const char *reason = reuse != NULL ? reuse->reason : NULL;

	memset(&p, 0, sizeof(p));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		log_error("image %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st0) < 0) {
		log_error("image %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (image_size(path, fd, &st0, &size) < 0) {
		close(fd);
		return -1;
	}
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	p.path = path;
	p.progress = progress;
	p.reuse = reuse != NULL && reuse->ref != NULL && reuse->skip != NULL &&
	    reuse->ref->chunk_size == cs ? reuse : NULL;
	if (p.reuse != NULL && p.reuse->count != index_count(size, cs)) {
		log_warn("image %s: the incremental plan covers %llu chunks, the file has %llu: read whole",
		    path, (unsigned long long)p.reuse->count, (unsigned long long)index_count(size, cs));
		p.reuse = NULL;
		reason = "the file's size changed after its read was planned";
	}
	/* A fine plan of another size is no plan, and a repository before
	 * format 3 has no patches: whole chunks then. */
	if (p.reuse != NULL && p.reuse->fine != NULL && p.reuse->grain > 0 &&
	    repo_version(b->repo) >= 3 &&
	    p.reuse->fine_count == index_count(size, p.reuse->grain))
		p.fine = p.reuse->fine;
	if (pipe_run(b, &p, &ix, size, fd, NULL) < 0)
		goto out;
	if (fstat(fd, &st1) < 0 || !same_file_state(&st0, &st1) ||
	    image_size(path, fd, &st1, &size1) < 0 || size1 != size) {
		log_error("image %s changed while being read (size or modification time): not stored",
		    path);
		goto out;
	}
	ret = pipe_record(b, &p, &ix, name, path, disk, detect_format(fd), reuse, reason);
out:
	index_clear(&ix);
	pipe_free(&p);
	close(fd);
	return ret;
}

int
backup_add_source(struct backup *b, const struct backup_source *src, const char *name,
    const char *disk, struct progress *progress)
{
	return backup_add_source_reuse(b, src, name, disk, NULL, progress);
}

int
backup_add_source_reuse(struct backup *b, const struct backup_source *src, const char *name,
    const char *disk, const struct backup_reuse *reuse, struct progress *progress)
{
	uint32_t cs = repo_chunk_size(b->repo);
	struct pipe p;
	struct index ix = { 0 };
	int ret = -1;

	memset(&p, 0, sizeof(p));
	p.path = src->path;
	p.progress = progress;
	/* A plan of another chunk size or length is no plan; never a fine one. */
	if (reuse != NULL && reuse->ref != NULL && reuse->skip != NULL && !reuse->check &&
	    reuse->ref->chunk_size == cs && reuse->count == index_count(src->size, cs))
		p.reuse = reuse;
	if (pipe_run(b, &p, &ix, src->size, -1, src) == 0)
		ret = pipe_record(b, &p, &ix, name, src->path, disk, src->format, p.reuse,
		    p.reuse != NULL ? p.reuse->reason : NULL);
	index_clear(&ix);
	pipe_free(&p);
	return ret;
}

int
backup_set_cbt(struct backup *b, const char *name, const char *checkpoint, const char *map_sha)
{
	for (size_t i = 0; i < b->m->nfiles; i++) {
		struct manifest_file *f = &b->m->files[i];

		if (strcmp(f->name, name) != 0)
			continue;
		free(f->cbt_checkpoint);
		f->cbt_checkpoint = xstrdup(checkpoint);
		snprintf(f->cbt_map, sizeof(f->cbt_map), "%s", map_sha);
		return 0;
	}
	return -1;
}

int
backup_set_kind(struct backup *b, const char *name, const char *kind)
{
	for (size_t i = 0; i < b->m->nfiles; i++) {
		struct manifest_file *f = &b->m->files[i];

		if (strcmp(f->name, name) == 0) {
			free(f->kind);
			f->kind = xstrdup(kind);
			return 0;
		}
	}
	return -1;
}

int
backup_commit(struct backup *b)
{
	struct manifest *m = b->m;
	char *json, *key, err[200];
	int ret;

	/* The commit point: no snapshot from the future, however its time came. */
	if (manifest_time_check(m->when, time(NULL), err, sizeof(err)) < 0) {
		log_error("repository %s: snapshot %s of %s is not published: %s", repo_url(b->repo),
		    m->id, m->name, err);
		return -1;
	}
	if (!b->stats_kept)
		m->stats.seconds = clock_mono() - b->t0;
	/* Everything the manifest references is durable before it exists, and
	 * no prune can have taken what this backup knew or found. */
	if (store_sync(repo_store(b->repo)) < 0 || repo_lock_check(b->lock) < 0)
		return -1;
	key = layout_snapshot_key(repo_version(b->repo), m->host, m->name, m->time, m->id);
	json = manifest_to_json(m);
	ret = repo_put_object(b->repo, CODEC_KIND_MANIFEST, key, json, strlen(json),
	    STORE_DURABLE | STORE_EXCL);
	if (ret == VV_EXISTS) {
		log_error("repository %s: manifest %s exists already", repo_url(b->repo), key);
		ret = -1;
	}
	if (ret == 0) {
		free(m->key);
		m->key = key;
		key = NULL;
		objlock_warn_overdue(b->repo);
	}
	free(key);
	free(json);
	return ret;
}
