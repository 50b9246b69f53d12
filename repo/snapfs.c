#include "repo/snapfs.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "common/log.h"
#include "common/util.h"
#include "repo/fetch.h"
#include "repo/index.h"

/* One decoded chunk in the cache. */
struct cached {
	uint8_t id[CRYPTO_HASH_LEN];
	uint8_t *data;
	size_t len;
	uint64_t used;		/* tick of its last use: the oldest goes first */
	bool valid;
};

/* A file of the tree: a snapshot file (with its index), or text (the XML). */
struct node {
	const char *name;		/* the manifest's, or "domain.xml" */
	const struct manifest_file *f;	/* NULL for text */
	const char *text;
	struct index ix;
};

struct snapfs {
	struct repo *r;
	const struct manifest *m;
	struct node *nodes;
	size_t nnodes;
	struct strlist dirs;		/* the folders below the root */
	struct cached *cache;
	size_t ncache;
	uint64_t tick;
	struct codec_work *work;
	pthread_mutex_t lock;
};

struct snapfs *
snapfs_open(struct repo *r, const struct manifest *m, uint64_t cache_bytes)
{
	struct snapfs *fs = xcalloc(1, sizeof(*fs));
	uint32_t cs = m->chunk_size ? m->chunk_size : repo_chunk_size(r);

	fs->r = r;
	fs->m = m;
	fs->nodes = xcalloc(m->nfiles + 2, sizeof(*fs->nodes));
	for (size_t i = 0; i < m->nfiles; i++) {
		struct node *n = &fs->nodes[fs->nnodes];
		const char *slash = strchr(m->files[i].name, '/');

		n->name = m->files[i].name;
		n->f = &m->files[i];
		if (fetch_index(r, m, n->f, &n->ix) < 0) {
			snapfs_close(fs);
			return NULL;
		}
		fs->nnodes++;
		if (slash != NULL) {
			char *dir = xstrndup(n->name, (size_t)(slash - n->name));

			if (!strlist_contains(&fs->dirs, dir))
				strlist_add(&fs->dirs, dir);
			free(dir);
		}
		if (n->ix.chunk_size > cs)
			cs = n->ix.chunk_size;
	}
	if (m->domain_xml != NULL)
		fs->nodes[fs->nnodes++] = (struct node){ .name = "domain.xml", .text = m->domain_xml };
	if (m->domain_xml_inactive != NULL)
		fs->nodes[fs->nnodes++] = (struct node){ .name = "domain-inactive.xml",
			.text = m->domain_xml_inactive };
	fs->ncache = cache_bytes / cs > 0 ? (size_t)(cache_bytes / cs) : 1;
	fs->cache = xcalloc(fs->ncache, sizeof(*fs->cache));
	for (size_t i = 0; i < fs->ncache; i++)
		fs->cache[i].data = xmalloc(cs);
	fs->work = codec_work_new(cs);
	pthread_mutex_init(&fs->lock, NULL);
	return fs;
}

void
snapfs_close(struct snapfs *fs)
{
	if (fs == NULL)
		return;
	for (size_t i = 0; i < fs->nnodes; i++)
		index_clear(&fs->nodes[i].ix);
	for (size_t i = 0; i < fs->ncache; i++)
		free(fs->cache[i].data);
	free(fs->cache);
	free(fs->nodes);
	strlist_clear(&fs->dirs);
	codec_work_free(fs->work);
	if (fs->ncache > 0)
		pthread_mutex_destroy(&fs->lock);
	free(fs);
}

static const struct node *
find(const struct snapfs *fs, const char *path)
{
	while (*path == '/')
		path++;
	for (size_t i = 0; i < fs->nnodes; i++)
		if (strcmp(fs->nodes[i].name, path) == 0)
			return &fs->nodes[i];
	return NULL;
}

int
snapfs_stat(struct snapfs *fs, const char *path, bool *dir, uint64_t *size)
{
	const struct node *n;

	while (*path == '/')
		path++;
	if (*path == '\0' || strlist_contains(&fs->dirs, path)) {
		*dir = true;
		*size = 0;
		return 0;
	}
	if ((n = find(fs, path)) == NULL)
		return -ENOENT;
	*dir = false;
	*size = n->f ? n->f->size : strlen(n->text);
	return 0;
}

int
snapfs_list(struct snapfs *fs, const char *path,
    void (*fn)(void *arg, const char *name, bool dir), void *arg)
{
	size_t plen;

	while (*path == '/')
		path++;
	plen = strlen(path);
	if (plen > 0 && !strlist_contains(&fs->dirs, path))
		return find(fs, path) != NULL ? -ENOTDIR : -ENOENT;
	if (plen == 0)
		for (size_t i = 0; i < fs->dirs.n; i++)
			fn(arg, fs->dirs.v[i], true);
	for (size_t i = 0; i < fs->nnodes; i++) {
		const char *name = fs->nodes[i].name, *slash = strchr(name, '/');

		if (plen == 0 && slash == NULL)
			fn(arg, name, false);
		else if (plen > 0 && slash != NULL && (size_t)(slash - name) == plen &&
		    strncmp(name, path, plen) == 0)
			fn(arg, slash + 1, false);
	}
	return 0;
}

/*
 * Chunk I of node N, decoded, from the cache or fetched into it; the
 * caller holds the lock. NULL on failure (logged).
 */
static const struct cached *
chunk(struct snapfs *fs, const struct node *n, uint64_t i)
{
	const struct index_patch *p;
	size_t np = index_slot_patches(&n->ix, i, &p);
	size_t len = index_chunk_len(n->f->size, n->ix.chunk_size, i), victim = 0;
	char err[256], hex[2 * CRYPTO_HASH_LEN + 1];
	uint8_t id[CRYPTO_HASH_LEN];
	struct cached *c;

	/* Cached by content: a chunk by its ID, a patched one by its base and
	 * its patches' IDs. */
	if (np == 0) {
		memcpy(id, n->ix.ids[i], CRYPTO_HASH_LEN);
	} else {
		struct crypto_sha *h = crypto_sha_new();

		crypto_sha_update(h, n->ix.ids[i], CRYPTO_HASH_LEN);
		for (size_t k = 0; k < np; k++)
			crypto_sha_update(h, p[k].id, CRYPTO_HASH_LEN);
		crypto_sha_final(h, id);
	}

	for (size_t k = 0; k < fs->ncache; k++) {
		c = &fs->cache[k];
		if (c->valid && c->len == len && memcmp(c->id, id, CRYPTO_HASH_LEN) == 0) {
			c->used = ++fs->tick;
			return c;
		}
		/* The victim: an empty slot, else the least recently used. */
		if (fs->cache[victim].valid && (!c->valid || c->used < fs->cache[victim].used))
			victim = k;
	}
	c = &fs->cache[victim];
	c->valid = false;
	if (fetch_slot(fs->r, fs->work, &n->ix, i, c->data, len, err, sizeof(err)) < 0) {
		crypto_hex(id, CRYPTO_HASH_LEN, hex);
		log_error("mount of snapshot %s: file %s, offset %llu, chunk %s: %s; the read fails (EIO)",
		    fs->m->id, n->name, (unsigned long long)(i * n->ix.chunk_size), hex, err);
		return NULL;
	}
	memcpy(c->id, id, CRYPTO_HASH_LEN);
	c->len = len;
	c->used = ++fs->tick;
	c->valid = true;
	return c;
}

ssize_t
snapfs_read(struct snapfs *fs, const char *path, void *buf, size_t len, uint64_t off)
{
	const struct node *n = find(fs, path);
	uint64_t size;
	size_t done = 0;

	if (n == NULL) {
		bool dir;

		return snapfs_stat(fs, path, &dir, &size) == 0 ? -EISDIR : -ENOENT;
	}
	size = n->f ? n->f->size : strlen(n->text);
	if (off >= size)
		return 0;
	if (len > size - off)
		len = (size_t)(size - off);
	if (n->f == NULL) {
		memcpy(buf, n->text + off, len);
		return (ssize_t)len;
	}
	pthread_mutex_lock(&fs->lock);
	while (done < len) {
		uint64_t at = off + done, i = at / n->ix.chunk_size;
		size_t in = (size_t)(at % n->ix.chunk_size);
		size_t clen = index_chunk_len(n->f->size, n->ix.chunk_size, i);
		size_t take = clen - in < len - done ? clen - in : len - done;

		if (index_slot_is_zero(&n->ix, i)) {
			memset((uint8_t *)buf + done, 0, take);
		} else {
			const struct cached *c = chunk(fs, n, i);

			if (c == NULL) {
				pthread_mutex_unlock(&fs->lock);
				return -EIO;
			}
			memcpy((uint8_t *)buf + done, c->data + in, take);
		}
		done += take;
	}
	pthread_mutex_unlock(&fs->lock);
	return (ssize_t)done;
}
