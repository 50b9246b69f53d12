/*
 * Patches (repository format 3) in the backup pipeline: a chunk changed
 * in a few of its 64 KiB units is stored as those units, a patch of the
 * reference's chunk, instead of read and stored whole (docs/FORMAT.md,
 * "Patches"). The reader calls these; the workers store a patch like any
 * chunk.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "repo/backup_int.h"
#include "repo/fetch.h"
#include "repo/patch.h"

/* Whether every object of chunk I of REF is known (none can be pruned). */
static bool
slot_known(const struct pipe *p, const struct index *ref, uint64_t i)
{
	const struct index_patch *rp;
	size_t n = index_slot_patches(ref, i, &rp);

	if (!repo_id_is_zero(ref->ids[i]) && !chunkset_has(p->b->known, ref->ids[i]))
		return false;
	for (size_t k = 0; k < n; k++)
		if (!chunkset_has(p->b->known, rp[k].id))
			return false;
	return true;
}

/* REF's base and patches of chunk I into the new index. Lock held. */
static void
take_ref_slot(struct pipe *p, const struct index *ref, uint64_t i)
{
	const struct index_patch *rp;
	size_t n = index_slot_patches(ref, i, &rp);

	backup_pipe_reserve(p, i);
	memcpy(p->ids[i], ref->ids[i], CRYPTO_HASH_LEN);
	for (size_t k = 0; k < n; k++) {
		if (p->npatches == p->patches_cap) {
			p->patches_cap = p->patches_cap ? p->patches_cap * 2 : 256;
			p->patches = xrealloc(p->patches, alloc_mult(p->patches_cap, sizeof(*p->patches)));
		}
		p->patches[p->npatches].slot = i;
		p->patches[p->npatches].seq = (uint32_t)k;
		memcpy(p->patches[p->npatches++].id, rp[k].id, CRYPTO_HASH_LEN);
	}
}

bool
backup_patch_reuse(struct pipe *p, uint64_t i, size_t len)
{
	const struct index *ref = p->reuse->ref;

	if (!slot_known(p, ref, i))
		return false;
	pthread_mutex_lock(&p->lock);
	take_ref_slot(p, ref, i);
	p->st.chunks_reused++;
	pthread_mutex_unlock(&p->lock);
	p->bytes_skipped += len;
	progress_add(p->progress, len);
	return true;
}

/*
 * The changed units of chunk I (LEN bytes) as ranges of the chunk, merged,
 * into R (room for one per unit); their bytes into *DIRTY. Returns the
 * count of ranges.
 */
static size_t
changed_ranges(const struct pipe *p, uint64_t i, size_t len, struct patch_range *r,
    uint64_t *dirty)
{
	uint32_t g = p->reuse->grain;
	uint64_t off = i * p->reuse->ref->chunk_size;
	size_t n = 0;

	*dirty = 0;
	for (uint64_t k = off / g; k * g < off + len; k++) {
		uint64_t a = k * g > off ? k * g - off : 0;
		uint64_t b = (k + 1) * g < off + len ? (k + 1) * g - off : len;

		if (p->fine[k])
			continue;
		if (n > 0 && r[n - 1].off + r[n - 1].len == a) {
			r[n - 1].len += (uint32_t)(b - a);
		} else {
			r[n].off = (uint32_t)a;
			r[n++].len = (uint32_t)(b - a);
		}
		*dirty += b - a;
	}
	return n;
}

/* Read the N ranges R of chunk I from FD into P->patchbuf. 0, or -1 (logged). */
static int
read_ranges(struct pipe *p, int fd, uint64_t i, const struct patch_range *r, size_t n)
{
	uint64_t base = i * p->reuse->ref->chunk_size;

	for (size_t k = 0; k < n; k++) {
		size_t got = 0;

		while (got < r[k].len) {
			ssize_t rc = pread(fd, p->patchbuf + r[k].off + got, r[k].len - got,
			    (off_t)(base + r[k].off + got));

			if (rc < 0 && errno == EINTR)
				continue;
			if (rc <= 0) {
				log_error("image %s: %s at offset %llu", p->path,
				    rc < 0 ? strerror(errno) : "ended early (shrank while being read)",
				    (unsigned long long)(base + r[k].off + got));
				return -1;
			}
			got += (size_t)rc;
		}
	}
	return 0;
}

int
backup_patch_try(struct pipe *p, int fd, uint64_t i, size_t len)
{
	const struct index *ref = p->reuse->ref;
	uint32_t cs = ref->chunk_size, g = p->reuse->grain;
	const struct index_patch *rp;
	struct patch_range *r;
	uint64_t dirty = 0;
	size_t nr, sn, plen = 0;
	uint8_t *enc;
	int ret = 0;

	if (g == 0 || i >= ref->count || index_chunk_len(ref->file_size, cs, i) != len ||
	    index_slot_patches(ref, i, &rp) >= BACKUP_MAX_PATCHES || !slot_known(p, ref, i))
		return 0;
	r = xcalloc(cs / g + 2, sizeof(*r));
	nr = changed_ranges(p, i, len, r, &dirty);
	/* Nothing changed yet not skipped, or too much changed: read whole. */
	if (nr == 0 || dirty > len / 2)
		goto out;
	if (p->patchbuf == NULL)
		p->patchbuf = xmalloc(cs);
	if (read_ranges(p, fd, i, r, nr) < 0 || backup_pipe_take(p, &sn) < 0) {
		ret = -1;
		goto out;
	}
	enc = patch_encode(r, nr, p->patchbuf, len, &plen);
	if (plen > cs) {	/* never with units of 4 KiB or more: read whole */
		free(enc);
		pthread_mutex_lock(&p->lock);
		backup_pipe_release(p, sn);
		pthread_mutex_unlock(&p->lock);
		goto out;
	}
	memcpy(p->slots[sn].data, enc, plen);
	free(enc);
	p->slots[sn].len = plen;
	p->slots[sn].index = i;
	p->slots[sn].patch = true;
	p->slots[sn].seq = (uint32_t)index_slot_patches(ref, i, &rp);
	p->st.bytes_read += dirty;
	p->st.chunks_patched++;
	p->bytes_skipped += len - dirty;
	if (len > plen)
		progress_add(p->progress, len - plen);
	pthread_mutex_lock(&p->lock);
	take_ref_slot(p, ref, i);
	backup_pipe_queue(p, sn);
	pthread_mutex_unlock(&p->lock);
	ret = 1;
out:
	free(r);
	if (ret < 0) {
		pthread_mutex_lock(&p->lock);
		p->failed = true;
		pthread_cond_broadcast(&p->cond);
		pthread_mutex_unlock(&p->lock);
	}
	return ret;
}

bool
backup_patch_check(struct pipe *p, struct codec_work *w, uint64_t i, const uint8_t *data,
    size_t len)
{
	const struct backup_reuse *u = p->reuse;
	const struct index *ref = u->ref;
	uint32_t cs = ref->chunk_size, g = u->grain;
	uint64_t off = i * cs;
	size_t rlen;
	uint8_t *buf;
	char err[256];
	bool ok = true;

	if (i >= ref->count)
		return true;
	rlen = index_chunk_len(ref->file_size, cs, i);
	buf = xmalloc(cs);
	if (fetch_slot(p->b->repo, w, ref, i, buf, rlen, err, sizeof(err)) < 0) {
		log_warn("image %s: the reference's chunk at offset %llu cannot be compared: %s",
		    p->path, (unsigned long long)off, err);
		free(buf);
		return true;
	}
	for (uint64_t k = off / g; ok && k * g < off + len; k++) {
		uint64_t a = k * g > off ? k * g - off : 0;
		uint64_t b = (k + 1) * g < off + len ? (k + 1) * g - off : len;

		if (!u->fine[k] || b > rlen)
			continue;
		if (memcmp(data + a, buf + a, b - a) != 0) {
			log_error("image %s: bytes at offset %llu changed although changed-block tracking (%s) marked their %u-byte unit unchanged",
			    p->path, (unsigned long long)(off + a), u->reason, g);
			ok = false;
		}
	}
	free(buf);
	return ok;
}

void
backup_patch_add(struct pipe *p, const struct slot *s, const uint8_t *id)
{
	if (p->npatches == p->patches_cap) {
		p->patches_cap = p->patches_cap ? p->patches_cap * 2 : 256;
		p->patches = xrealloc(p->patches, alloc_mult(p->patches_cap, sizeof(*p->patches)));
	}
	p->patches[p->npatches].slot = s->index;
	p->patches[p->npatches].seq = s->seq;
	memcpy(p->patches[p->npatches++].id, id, CRYPTO_HASH_LEN);
}

static int
patch_order(const void *a, const void *b)
{
	const struct backup_patch *x = a, *y = b;

	if (x->slot != y->slot)
		return x->slot < y->slot ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void
backup_patch_finish(struct pipe *p, struct index *ix)
{
	if (p->npatches == 0)
		return;
	qsort(p->patches, p->npatches, sizeof(*p->patches), patch_order);
	ix->patches = xcalloc(p->npatches, sizeof(*ix->patches));
	ix->npatches = p->npatches;
	for (size_t k = 0; k < p->npatches; k++) {
		ix->patches[k].slot = p->patches[k].slot;
		memcpy(ix->patches[k].id, p->patches[k].id, CRYPTO_HASH_LEN);
	}
	p->npatches = 0;
}
