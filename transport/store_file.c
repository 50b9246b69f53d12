/*
 * The file:// backend: one file per object under a root directory. Puts
 * write a temporary file next to the object and rename it into place, so
 * a half-written object is never visible under its name. Durability comes
 * in bulk: store_sync runs syncfs() on the root's file system before a
 * manifest is written, and STORE_DURABLE puts fsync the file and its
 * directory.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/flusher.h"
#include "common/fsutil.h"
#include "common/log.h"
#include "transport/store_backend.h"

#define TMP_TAG ".tmp-"

struct fstore {
	char *root;
	int rootfd;
	struct flusher *flusher;	/* write-back in the background */
	bool no_direct;			/* the file system refused O_DIRECT once */
};

/* Start write-back each time this much more was put. */
#ifndef FLUSH_EVERY
#define FLUSH_EVERY (256 * 1024 * 1024)
#endif

static struct fstore *
fs_of(struct store *s)
{
	return s->priv;
}

/* mkdir -p of the directory part of PATH (below ROOT, which exists). */
static int
make_parents(const char *path, size_t rootlen)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);

	if (n >= sizeof(buf))
		return -1;
	memcpy(buf, path, n + 1);
	for (char *p = buf + rootlen + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (mkdir(buf, 0700) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return 0;
}

static int
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Objects smaller than this go through the page cache: not worth a direct write. */
#define DIRECT_MIN (64 * 1024)

/*
 * Write BUF (LEN bytes) into the new empty file FD. A large aligned buffer
 * goes with O_DIRECT, its unaligned tail through the page cache: the data
 * is copied once (to the disk) instead of twice, and never fills the page
 * cache with objects nobody reads back soon. Where the file system refuses
 * O_DIRECT, everything goes through the page cache. Returns 0 or -1 (errno).
 */
static int
write_object(struct fstore *f, int fd, const void *buf, size_t len)
{
	size_t head = len & ~(size_t)(ALLOC_DIRECT_ALIGN - 1);
	int fl;

	if (f->no_direct || len < DIRECT_MIN || (uintptr_t)buf % ALLOC_DIRECT_ALIGN != 0 ||
	    (fl = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, fl | O_DIRECT) < 0) {
		if (write_all(fd, buf, len) < 0)
			return -1;
		flusher_add(f->flusher, len);
		return 0;
	}
	if (write_all(fd, buf, head) < 0) {
		if (errno != EINVAL)
			return -1;
		/* Not on this file system after all: the page cache, from the start. */
		f->no_direct = true;
		if (fcntl(fd, F_SETFL, fl) < 0 || ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) < 0 ||
		    write_all(fd, buf, len) < 0)
			return -1;
		flusher_add(f->flusher, len);
		return 0;
	}
	if (fcntl(fd, F_SETFL, fl) < 0 || write_all(fd, (const char *)buf + head, len - head) < 0)
		return -1;
	flusher_add(f->flusher, len - head);
	return 0;
}

static int
fs_put(struct store *s, const char *key, const void *buf, size_t len, int flags)
{
	struct fstore *f = fs_of(s);
	char *path = util_path_join(f->root, key);
	char *tmp = xasprintf("%s" TMP_TAG "XXXXXX", path);
	int fd = -1, ret = -1;
	const char *what = "create";

	if (make_parents(path, strlen(f->root)) < 0) {
		log_error("repository %s: cannot create the folder of %s: %s", s->url,
		    key, strerror(errno));
		goto out;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		goto fail;
	what = "write";
	/* The store_sync before the manifest then finds little left to do. */
	if (write_object(f, fd, buf, len) < 0)
		goto fail;
	if ((flags & STORE_DURABLE) && fsync(fd) < 0) {
		what = "fsync";
		goto fail;
	}
	what = "close";
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	what = "rename";
	if (flags & (STORE_EXCL | STORE_IF_ABSENT)) {
		/* link() fails when the name exists: no overwrite race. */
		if (link(tmp, path) < 0) {
			if (errno == EEXIST) {
				unlink(tmp);
				ret = VV_EXISTS;
				goto out;
			}
			goto fail;
		}
		unlink(tmp);
	} else if (rename(tmp, path) < 0) {
		goto fail;
	}
	if ((flags & STORE_DURABLE) && fs_fsync_parent(path) < 0) {
		what = "fsync the folder of";
		goto fail;
	}
	ret = 0;
	goto out;
fail:
	log_error("repository %s: cannot %s %s: %s", s->url, what, key, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
out:
	free(tmp);
	free(path);
	return ret;
}

/* B's buffer with ROOM bytes at least, aligned for direct I/O. */
static void
buf_ensure(struct store_buf *b, size_t room)
{
	if (b->p != NULL && b->room >= room && (uintptr_t)b->p % ALLOC_DIRECT_ALIGN == 0)
		return;
	free(b->p);
	b->p = xmalloc_aligned(ALLOC_DIRECT_ALIGN, room);
	b->room = room;
}

/*
 * Object PATH of SIZE bytes into B (grown to room for one more byte),
 * read with O_DIRECT: a large object read once (a restore, a copy, a
 * verify) neither waits for page-cache pages nor evicts the ones worth
 * keeping. Returns 0, or -1 when it was not done that way (small,
 * refused, or it failed: the caller reads it through the page cache and
 * reports any error).
 */
static int
read_direct(struct fstore *f, const char *path, size_t size, struct store_buf *b)
{
	size_t room = (size + 1 + ALLOC_DIRECT_ALIGN - 1) & ~(size_t)(ALLOC_DIRECT_ALIGN - 1);
	size_t got = 0;
	char *buf;
	int fd;

	if (f->no_direct || size < DIRECT_MIN)
		return -1;
	fd = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (fd < 0) {
		if (errno == EINVAL)
			f->no_direct = true;
		return -1;
	}
	buf_ensure(b, room);
	buf = b->p;
	for (;;) {
		ssize_t r = read(fd, buf + got, room - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EINVAL && got == 0)
			f->no_direct = true;
		if (r <= 0)
			break;
		got += (size_t)r;
		if (got % ALLOC_DIRECT_ALIGN != 0 || got >= room)
			break;	/* the end of the file */
	}
	close(fd);
	return got == size ? 0 : -1;
}

static int
fs_get_buf(struct store *s, const char *key, struct store_buf *b, size_t *outlen, size_t cap)
{
	struct fstore *f = fs_of(s);
	char *path = util_path_join(f->root, key), *buf;
	struct stat st;
	size_t got = 0;
	int fd, ret = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			ret = VV_NOT_FOUND;
		else
			log_error("repository %s: cannot open %s: %s", s->url, key, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) < 0) {
		log_error("repository %s: cannot stat %s: %s", s->url, key, strerror(errno));
		goto out;
	}
	if ((uint64_t)st.st_size > cap) {
		log_error("repository %s: object %s is %lld bytes, more than the %zu expected",
		    s->url, key, (long long)st.st_size, cap);
		goto out;
	}
	if (read_direct(f, path, (size_t)st.st_size, b) == 0) {
		*outlen = (size_t)st.st_size;
		ret = 0;
		goto out;
	}
	buf_ensure(b, (size_t)st.st_size + 1);
	buf = b->p;
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			log_error("repository %s: cannot read %s: %s", s->url, key,
			    r < 0 ? strerror(errno) : "file shrank while read");
			goto out;
		}
		got += (size_t)r;
	}
	*outlen = got;
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	free(path);
	return ret;
}

static int
fs_exists(struct store *s, const char *key)
{
	struct fstore *f = fs_of(s);
	struct stat st;
	int r;

	r = fstatat(f->rootfd, key, &st, 0);
	if (r == 0)
		return 1;
	if (errno == ENOENT || errno == ENOTDIR)
		return 0;
	log_error("repository %s: cannot stat %s: %s", s->url, key, strerror(errno));
	return -1;
}

/* What a listing walks with. */
struct walk {
	const char *prefix;
	bool sizes;		/* stat each key */
	store_list_fn cb;
	void *ctx;
};

/*
 * Walk DIR (relative REL under the root) calling W->cb for the keys with
 * W->prefix, one readdir at a time: nothing of the listing is kept.
 */
static int
walk(struct store *s, const char *rel, const struct walk *w, int depth)
{
	struct fstore *f = fs_of(s);
	char *path = *rel ? util_path_join(f->root, rel) : xstrdup(f->root);
	DIR *d = opendir(path);
	struct dirent *e;
	size_t pl = strlen(w->prefix);
	int ret = 0;

	if (d == NULL) {
		ret = errno == ENOENT ? 0 : -1;
		if (ret < 0)
			log_error("repository %s: cannot list %s: %s", s->url, *rel ? rel : "/",
			    strerror(errno));
		free(path);
		return ret;
	}
	while (ret == 0 && (e = readdir(d)) != NULL) {
		char *k;

		if (e->d_name[0] == '.' || strstr(e->d_name, TMP_TAG) != NULL)
			continue;
		k = *rel ? xasprintf("%s/%s", rel, e->d_name) : xstrdup(e->d_name);
		if (e->d_type == DT_DIR && depth < 8) {
			/* Descend only where the prefix can still match. */
			size_t kl = strlen(k);
			if (strncmp(k, w->prefix, kl < pl ? kl : pl) == 0)
				ret = walk(s, k, w, depth + 1);
		} else if (e->d_type == DT_REG && strncmp(k, w->prefix, pl) == 0) {
			struct stat st;
			uint64_t size = STORE_SIZE_UNKNOWN;

			if (w->sizes)
				size = fstatat(f->rootfd, k, &st, 0) == 0 ? (uint64_t)st.st_size : 0;
			ret = w->cb(k, size, w->ctx);
		}
		free(k);
	}
	closedir(d);
	free(path);
	return ret;
}

static int
fs_list(struct store *s, const char *prefix, bool sizes, store_list_fn cb, void *ctx)
{
	const char *slash = strrchr(prefix, '/');
	char *start = slash ? xstrndup(prefix, (size_t)(slash - prefix)) : xstrdup("");
	struct walk w = { prefix, sizes, cb, ctx };
	int r = walk(s, start, &w, 0);

	free(start);
	return r;
}

static int
fs_size(struct store *s, const char *key, uint64_t *size)
{
	struct fstore *f = fs_of(s);
	struct stat st;

	if (fstatat(f->rootfd, key, &st, 0) == 0) {
		*size = (uint64_t)st.st_size;
		return 0;
	}
	if (errno == ENOENT || errno == ENOTDIR)
		return VV_NOT_FOUND;
	log_error("repository %s: cannot stat %s: %s", s->url, key, strerror(errno));
	return -1;
}

static int
fs_delete(struct store *s, const char *key)
{
	struct fstore *f = fs_of(s);

	if (unlinkat(f->rootfd, key, 0) == 0)
		return 0;
	if (errno == ENOENT)
		return VV_NOT_FOUND;
	log_error("repository %s: cannot delete %s: %s", s->url, key, strerror(errno));
	return -1;
}

/* Temporary files of interrupted puts under REL, older than BEFORE. */
static int
sweep_tmp(struct store *s, const char *rel, time_t before, bool dry_run, size_t *found,
    int depth)
{
	struct fstore *f = fs_of(s);
	char *path = *rel ? util_path_join(f->root, rel) : xstrdup(f->root);
	DIR *d = opendir(path);
	struct dirent *e;
	int ret = 0;

	free(path);
	if (d == NULL)
		return 0;
	while (ret == 0 && (e = readdir(d)) != NULL) {
		char *k;
		struct stat st;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		k = *rel ? xasprintf("%s/%s", rel, e->d_name) : xstrdup(e->d_name);
		if (e->d_type == DT_DIR && depth < 8) {
			ret = sweep_tmp(s, k, before, dry_run, found, depth + 1);
		} else if (strstr(e->d_name, TMP_TAG) != NULL &&
		    fstatat(f->rootfd, k, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode) && st.st_mtime < before) {
			(*found)++;
			if (!dry_run && unlinkat(f->rootfd, k, 0) < 0 && errno != ENOENT) {
				log_error("repository %s: cannot delete temporary file %s: %s", s->url, k,
				    strerror(errno));
				ret = -1;
			}
		}
		free(k);
	}
	closedir(d);
	return ret;
}

static int
fs_cleanup(struct store *s, time_t before, bool dry_run, size_t *found)
{
	return sweep_tmp(s, "", before, dry_run, found, 0);
}

static int
fs_sync(struct store *s)
{
	struct fstore *f = fs_of(s);

	if (syncfs(f->rootfd) < 0) {
		log_error("repository %s: cannot flush to stable storage: %s", s->url,
		    strerror(errno));
		return -1;
	}
	return 0;
}

static void
fs_close(struct store *s)
{
	struct fstore *f = fs_of(s);

	if (f == NULL)
		return;
	flusher_free(f->flusher);
	if (f->rootfd >= 0)
		close(f->rootfd);
	free(f->root);
	free(f);
}

/*
 * Direct puts and gets wait for the disk: twice as many workers as cores
 * keep the cores busy meanwhile. Through the page cache, one per core.
 */
static int
fs_parallel(struct store *s)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (fs_of(s)->no_direct || n < 1)
		return 0;
	return n > 8 ? 16 : (int)(2 * n);
}

static const struct store_ops file_ops = {
	.put = fs_put,
	.get_buf = fs_get_buf,
	.exists = fs_exists,
	.list = fs_list,
	.size = fs_size,
	.del = fs_delete,
	.cleanup = fs_cleanup,
	.sync = fs_sync,
	.parallel = fs_parallel,
	.close = fs_close,
};

struct store *
store_file_open(const char *url, const char *path, int create)
{
	struct fstore *f;
	struct store *s;
	size_t n = strlen(path);

	if (path[0] != '/') {
		log_error("repository %s: the path must be absolute (file:///PATH)", url);
		return NULL;
	}
	if (create && mkdir(path, 0700) < 0 && errno != EEXIST) {
		log_error("repository %s: cannot create %s: %s", url, path, strerror(errno));
		return NULL;
	}
	f = xcalloc(1, sizeof(*f));
	while (n > 1 && path[n - 1] == '/')
		n--;
	f->root = xstrndup(path, n);
	f->rootfd = open(f->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (f->rootfd < 0) {
		if (errno == ENOENT && !create)
			log_error("no repository at %s (the folder %s does not exist): create one with 'virtvault init'",
			    url, f->root);
		else
			log_error("repository %s: cannot open %s: %s", url, f->root, strerror(errno));
		free(f->root);
		free(f);
		return NULL;
	}
	f->flusher = flusher_new(f->rootfd, FLUSHER_SYNCFS, FLUSH_EVERY);
	s = xcalloc(1, sizeof(*s));
	s->ops = &file_ops;
	s->url = xstrdup(url);
	s->priv = f;
	return s;
}
