#include "repo/cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/log.h"
#include "common/util.h"
#include "repo/layout.h"

/* The folder under state_dir (state/layout.h lists it; this file owns it). */
#define CACHE_AREA "cache"
/* Marks a file being written; the scan counts it like any other. */
#define CACHE_TMP ".tmp-"
/* The shared tally of the folder's bytes (tally_add): no object key. */
#define CACHE_TALLY "tally"
/* Eviction goes down to this share of the bound, so that it runs seldom. */
#define CACHE_LOW_PERCENT 90

struct cache {
	char *dir;
	uint64_t max;
	pthread_mutex_t mu;	/* what follows */
	uint64_t used;		/* bytes in the folder, by the tally or a count */
	unsigned long seq;	/* temporary names */
};

/* One file seen by a scan. */
struct cache_file {
	char *path;
	uint64_t size;
	struct timespec mtime;
};

struct cache_scan {
	struct cache_file *v;
	size_t n, cap;
	uint64_t total;
};

static bool
hex32(const char *s)
{
	return s != NULL && strlen(s) == 32 && strspn(s, "0123456789abcdef") == 32;
}

struct cache *
cache_open(const char *state_dir, const char *repo_id, uint64_t max_bytes)
{
	struct cache *c;
	char *root;

	if (max_bytes == 0 || state_dir == NULL || !hex32(repo_id))
		return NULL;
	root = xasprintf("%s/%s", state_dir, CACHE_AREA);
	c = xcalloc(1, sizeof(*c));
	c->dir = xasprintf("%s/%s", root, repo_id);
	c->max = max_bytes;
	if (fs_mkdir_p(c->dir, 0700) < 0) {
		log_warn("cache %s: cannot create: %s; working without the cache", c->dir,
		    strerror(errno));
		free(root);
		free(c->dir);
		free(c);
		return NULL;
	}
	/* A folder another umask or a copy left wider: only this user reads it. */
	chmod(root, 0700);
	chmod(c->dir, 0700);
	free(root);
	pthread_mutex_init(&c->mu, NULL);
	return c;
}

void
cache_free(struct cache *c)
{
	if (c == NULL)
		return;
	pthread_mutex_destroy(&c->mu);
	free(c->dir);
	free(c);
}

const char *
cache_dir(const struct cache *c)
{
	return c->dir;
}

bool
cache_key_ok(const char *key)
{
	const char *p;

	if (strncmp(key, LAYOUT_SNAPSHOTS, strlen(LAYOUT_SNAPSHOTS)) != 0 &&
	    strncmp(key, LAYOUT_INDEXES, strlen(LAYOUT_INDEXES)) != 0)
		return false;
	if (strlen(key) > 512)
		return false;
	/* Every part a plain name: nothing may point out of the folder. */
	for (p = key; *p != '\0';) {
		size_t n = strcspn(p, "/");

		if (n == 0 || p[0] == '.')
			return false;
		p += n;
		if (*p == '/')
			p++;
		else
			break;
	}
	return key[strlen(key) - 1] != '/';
}

int
cache_get(struct cache *c, const char *key, void **out, size_t *len, size_t max)
{
	const struct timespec now[2] = { { 0, UTIME_OMIT }, { 0, UTIME_NOW } };
	struct stat st;
	uint8_t *buf = NULL;
	size_t have = 0;
	char *path;
	int fd;

	if (!cache_key_ok(key))
		return 1;
	path = xasprintf("%s/%s", c->dir, key);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return 1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > max) {
		close(fd);
		return 1;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	while (have < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + have, (size_t)st.st_size - have);

		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			break;
		}
		have += (size_t)r;
	}
	if (have != (size_t)st.st_size) {
		free(buf);
		close(fd);
		return 1;
	}
	/* Recently used: what eviction goes by. */
	futimens(fd, now);
	close(fd);
	*out = buf;
	*len = have;
	return 0;
}

/* Add the files under DIR (DEPTH levels at most) to S. */
static void
scan_dir(const char *dir, int depth, struct cache_scan *s)
{
	DIR *dh = opendir(dir);
	struct dirent *e;

	if (dh == NULL)
		return;
	while ((e = readdir(dh)) != NULL) {
		struct stat st;
		char *p;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		p = xasprintf("%s/%s", dir, e->d_name);
		if (lstat(p, &st) < 0) {
			free(p);
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			if (depth > 0)
				scan_dir(p, depth - 1, s);
			free(p);
			continue;
		}
		ALLOC_GROW(s->v, s->n + 1, s->cap);
		s->v[s->n].path = p;
		s->v[s->n].size = (uint64_t)st.st_size;
		s->v[s->n].mtime = st.st_mtim;
		s->n++;
		s->total += (uint64_t)st.st_size;
	}
	closedir(dh);
}

static int
oldest_first(const void *a, const void *b)
{
	const struct cache_file *x = a, *y = b;

	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
	if (x->mtime.tv_nsec != y->mtime.tv_nsec)
		return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
	return strcmp(x->path, y->path);
}

/*
 * Count C's folder into C->used and, when it holds more than the bound
 * (or always when EVICT), remove the least recently used files down to
 * CACHE_LOW_PERCENT of it. Called with C->mu held.
 */
static void
recount(struct cache *c, bool evict)
{
	struct cache_scan s = { 0 };
	uint64_t low = c->max / 100 * CACHE_LOW_PERCENT;

	/* snapshots/HOST/NAME/FILE and indexes/XX/FILE: three levels below. */
	scan_dir(c->dir, 4, &s);
	if (evict && s.total > c->max) {
		qsort(s.v, s.n, sizeof(*s.v), oldest_first);
		for (size_t i = 0; i < s.n && s.total > low; i++)
			if (unlink(s.v[i].path) == 0 || errno == ENOENT)
				s.total -= s.v[i].size;
	}
	for (size_t i = 0; i < s.n; i++)
		free(s.v[i].path);
	free(s.v);
	c->used = s.total;
}

/*
 * The bytes the folder holds, kept in a small file beside the objects and
 * shared by every process (under its flock): LEN added. A tally that is
 * missing (a new or deleted cache) or unreadable, or that would pass the
 * bound, is counted again from the folder (evicting down to
 * CACHE_LOW_PERCENT): a write costs no scan of the folder, whatever it
 * holds. Files removed by hand only make the next count come earlier.
 * Called with C->mu held.
 */
static void
tally_add(struct cache *c, uint64_t len)
{
	char *path = xasprintf("%s/%s", c->dir, CACHE_TALLY), buf[32], *end;
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	unsigned long long was = 0;
	bool known = false;
	ssize_t n;
	int k;

	free(path);
	if (fd >= 0 && flock(fd, LOCK_EX) == 0 && (n = pread(fd, buf, sizeof(buf) - 1, 0)) > 0) {
		buf[n] = '\0';
		errno = 0;
		was = strtoull(buf, &end, 10);
		known = errno == 0 && end != buf && *end == '\n' && buf[0] != '-';
	}
	if (known && was <= c->max && len <= c->max - was)
		c->used = was + len;
	else
		recount(c, true);
	if (fd < 0)
		return;
	k = snprintf(buf, sizeof(buf), "%llu\n", (unsigned long long)c->used);
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)k, 0) != k)
		log_debug("cache %s: cannot write its tally: %s", c->dir, strerror(errno));
	close(fd);
}

/* Write LEN bytes of DATA to a new file TMP (0600). Returns 0 or -1 (errno). */
static int
write_new(const char *tmp, const void *data, size_t len)
{
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	size_t done = 0;

	if (fd < 0)
		return -1;
	while (done < len) {
		ssize_t w = write(fd, (const uint8_t *)data + done, len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = w < 0 ? errno : EIO;

			close(fd);
			unlink(tmp);
			errno = e;
			return -1;
		}
		done += (size_t)w;
	}
	/* No fsync: a file a crash cut short fails authentication, a miss. */
	if (close(fd) < 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

void
cache_put(struct cache *c, const char *key, const void *data, size_t len)
{
	char *path, *tmp, *slash;
	unsigned long seq;
	int r;

	if (!cache_key_ok(key) || len > c->max)
		return;
	pthread_mutex_lock(&c->mu);
	seq = c->seq++;
	pthread_mutex_unlock(&c->mu);
	path = xasprintf("%s/%s", c->dir, key);
	slash = strrchr(path, '/');
	tmp = xasprintf("%.*s/%s%ld-%lu", (int)(slash - path), path, CACHE_TMP, (long)getpid(), seq);
	r = write_new(tmp, data, len);
	if (r < 0 && errno == ENOENT) {
		/* A new folder, or the cache deleted under us: made again. */
		*slash = '\0';
		r = fs_mkdir_p(path, 0700);
		*slash = '/';
		if (r == 0)
			r = write_new(tmp, data, len);
	}
	if (r == 0 && rename(tmp, path) < 0) {
		unlink(tmp);
		r = -1;
	}
	if (r < 0)
		log_debug("cache %s: cannot keep %s: %s", c->dir, key, strerror(errno));
	free(tmp);
	free(path);
	if (r < 0)
		return;
	pthread_mutex_lock(&c->mu);
	tally_add(c, len);
	pthread_mutex_unlock(&c->mu);
}

void
cache_drop(struct cache *c, const char *key)
{
	char *path;

	if (!cache_key_ok(key))
		return;
	path = xasprintf("%s/%s", c->dir, key);
	if (unlink(path) < 0 && errno != ENOENT)
		log_warn("cache %s: cannot remove %s: %s", c->dir, key, strerror(errno));
	free(path);
}
