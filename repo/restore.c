#include "repo/restore.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <blkid/blkid.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/flusher.h"
#include "common/log.h"
#include "repo/fetch.h"
#include "repo/restore_int.h"

static void *
restore_worker(void *arg)
{
	struct restore_job *j = arg;
	uint32_t cs = j->ix->chunk_size;
	struct codec_work *w = codec_work_new(cs);
	uint8_t *buf = restore_io_buf(cs);

	for (;;) {
		uint64_t i, at;
		size_t len;
		char err[256];

		pthread_mutex_lock(&j->lock);
		while (!j->device && j->next < j->ix->count && index_slot_is_zero(j->ix, j->next)) {
			len = index_chunk_len(j->f->size, cs, j->next);
			progress_add(j->progress, len);
			j->done[j->next++] = 1;
			pthread_cond_broadcast(&j->cond);
		}
		if (!j->failed && j->cancel != NULL && *j->cancel) {
			j->failed = true;
			log_warn("restore of %s: stopped by a signal at offset %llu", j->f->name,
			    (unsigned long long)(j->next * cs));
			pthread_cond_broadcast(&j->cond);
		}
		if (j->failed || j->next >= j->ix->count) {
			pthread_mutex_unlock(&j->lock);
			break;
		}
		i = j->next++;
		pthread_mutex_unlock(&j->lock);

		len = index_chunk_len(j->f->size, cs, i);
		if (index_slot_is_zero(j->ix, i)) {
			/* On a device (never a hole): zeroed, by the device when it can. */
			uint64_t range[2] = { i * cs, len };

			if (ioctl(j->io.fd, BLKZEROOUT, range) != 0)
				memset(buf, 0, len);
			else
				goto written;
		} else if (fetch_slot(j->r, w, j->ix, i, buf, len, err, sizeof(err)) < 0) {
			log_error("snapshot %s, file %s, offset %llu: %s", j->m->id, j->f->name,
			    (unsigned long long)(i * cs), err);
			goto fail;
		}
		if (restore_io_write(&j->io, buf, len, i * cs, &at) < 0) {
			log_error("restore of %s: cannot write at offset %llu: %s", j->f->name,
			    (unsigned long long)at, strerror(errno));
			goto fail;
		}
written:
		/* The fsync at the end then has less to wait for. */
		flusher_add(j->flusher, len);
		progress_add(j->progress, len);
		pthread_mutex_lock(&j->lock);
		j->done[i] = 1;
		pthread_cond_broadcast(&j->cond);
		pthread_mutex_unlock(&j->lock);
		continue;
fail:
		restore_fail(j);
		break;
	}
	free(buf);
	codec_work_free(w);
	return NULL;
}

void
restore_fail(struct restore_job *j)
{
	pthread_mutex_lock(&j->lock);
	j->failed = true;
	pthread_cond_broadcast(&j->cond);
	pthread_mutex_unlock(&j->lock);
}

bool
restore_has(const struct manifest *m, const char *name)
{
	for (size_t k = 0; k < m->nfiles; k++)
		if (strcmp(m->files[k].name, name) == 0 ||
		    (m->files[k].disk && strcmp(m->files[k].disk, name) == 0))
			return true;
	return false;
}

bool
restore_selected(const struct manifest_file *f, const struct strlist *only)
{
	if (only == NULL || only->n == 0)
		return true;
	return strlist_contains(only, f->name) || (f->disk && strlist_contains(only, f->disk));
}

/*
 * File F of M written to FD (TMP in messages): a new sparse file of F's
 * size, or a block device (DEVICE: zero chunks zeroed). Workers fetch and
 * write (restore_io: directly where the system allows); restore_check reads
 * back and checks; FD is fsynced at the end. Returns 0 or -1 (logged).
 */
static int
restore_fd(struct repo *r, const struct manifest *m, const struct manifest_file *f, int fd,
    bool device, const char *tmp, char *sha_out, const volatile sig_atomic_t *cancel,
    struct progress *progress)
{
	struct index ix = { 0 };
	struct restore_job j;
	pthread_t th[16], hth;
	int n = repo_workers(r), started = 0, ret = -1;
	bool hashing = false, want_sha = f->sha256[0] != '\0' || sha_out != NULL;
	uint8_t digest[CRYPTO_HASH_LEN];
	uint64_t at;
	char hex[65];

	if (fetch_index(r, m, f, &ix) < 0)
		return -1;
	memset(&j, 0, sizeof(j));
	restore_io_open(&j.io, fd);
	/* Blocks allocated up front: parallel direct writes, and no space found at once. */
	if (!device && restore_io_reserve(&j.io, &ix, f->size, &at) < 0) {
		log_error("restore of %s: cannot allocate %s at offset %llu: %s", f->name, tmp,
		    (unsigned long long)at, strerror(errno));
		restore_io_close(&j.io);
		index_clear(&ix);
		return -1;
	}
	j.device = device;
	j.r = r;
	j.m = m;
	j.f = f;
	j.ix = &ix;
	j.progress = progress;
	j.cancel = cancel;
	j.done = xcalloc(ix.count ? ix.count : 1, 1);
	j.sha = want_sha ? crypto_sha_new() : NULL;
	pthread_mutex_init(&j.lock, NULL);
	pthread_cond_init(&j.cond, NULL);
	/*
	 * Buffered writes only: direct ones leave nothing to write back. A
	 * direct write, and a direct read of a chunk, waits for the disk:
	 * three times the store's workers (file://: twice the cores) keep the
	 * cores busy and the disk's queue filled meanwhile (a 1.4 GB image on
	 * 2 cores, its repository on the same disk: 12 workers 1.12x as fast
	 * as 8, farm-bench A/B; 1.44 s with 2, 1.27 s with 4 earlier).
	 */
	if (!restore_io_direct(&j.io))
		j.flusher = flusher_new(fd, FLUSHER_FILE, 64 * 1024 * 1024);
	else
		n = 3 * n > 16 ? 16 : 3 * n;
	hashing = !want_sha || pthread_create(&hth, NULL, restore_check_run, &j) == 0;
	for (; hashing && started < n && started < 16; started++)
		if (pthread_create(&th[started], NULL, restore_worker, &j) != 0)
			break;
	if (started == 0)
		restore_fail(&j);
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	if (hashing && want_sha)
		pthread_join(hth, NULL);
	flusher_free(j.flusher);
	j.flusher = NULL;
	if (!hashing || started == 0 || j.failed)
		goto out;
	if (fsync(fd) < 0) {
		log_error("restore of %s: cannot flush %s: %s", f->name, tmp, strerror(errno));
		goto out;
	}
	if (want_sha) {
		crypto_sha_final(j.sha, digest);
		j.sha = NULL;
		crypto_hex(digest, sizeof(digest), hex);
		if (f->sha256[0] != '\0' && strcmp(hex, f->sha256) != 0) {
			log_error("restore of %s: the restored file's SHA-256 %s differs from the backup's %s",
			    f->name, hex, f->sha256);
			goto out;
		}
		if (sha_out != NULL)
			memcpy(sha_out, hex, 65);
	}
	ret = 0;
out:
	if (j.sha != NULL)
		crypto_sha_final(j.sha, digest);
	restore_io_close(&j.io);
	free(j.done);
	pthread_mutex_destroy(&j.lock);
	pthread_cond_destroy(&j.cond);
	index_clear(&ix);
	return ret;
}

static int
restore_one(struct repo *r, const struct manifest *m, const struct manifest_file *f,
    int dfd, const char *tmpname, const char *tmp, char *sha_out,
    const volatile sig_atomic_t *cancel, struct progress *progress)
{
	int fd = openat(dfd, tmpname, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600), ret;

	if (fd < 0) {
		log_error("restore of %s: cannot create %s: %s", f->name, tmp, strerror(errno));
		return -1;
	}
	/* A sparse file of the full size: zero chunks stay holes. */
	if (ftruncate(fd, (off_t)f->size) < 0) {
		log_error("restore of %s: cannot size %s: %s", f->name, tmp, strerror(errno));
		close(fd);
		return -1;
	}
	ret = restore_fd(r, m, f, fd, false, tmp, sha_out, cancel, progress);
	close(fd);
	return ret;
}

/* What a probe finds on DEV (a file system, a partition table...), into WHAT; false: nothing. */
static bool
device_holds_data(const char *dev, char *what, size_t len)
{
	blkid_probe pr = blkid_new_probe_from_filename(dev);
	const char *v = NULL;
	bool found = false;

	if (pr == NULL)
		return false;
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_MAGIC);
	if (blkid_do_safeprobe(pr) == 0) {
		found = true;
		if (blkid_probe_lookup_value(pr, "TYPE", &v, NULL) == 0)
			snprintf(what, len, "a %s file system or signature", v);
		else if (blkid_probe_lookup_value(pr, "PTTYPE", &v, NULL) == 0)
			snprintf(what, len, "a %s partition table", v);
		else
			snprintf(what, len, "a known signature");
	}
	blkid_free_probe(pr);
	return found;
}

int
restore_to_device(struct repo *r, const struct manifest *m, const struct manifest_file *f,
    const char *dev, bool force, char *sha_out, const volatile sig_atomic_t *cancel,
    struct progress *progress)
{
	struct stat st;
	uint64_t size = 0;
	char what[128];
	int fd, ret = -1;

	if (!force && device_holds_data(dev, what, sizeof(what))) {
		log_error("restore of %s: %s holds %s; --force overwrites it", f->name, dev, what);
		return -1;
	}
	/* Exclusive: a device mounted or held open exclusively is refused by the kernel. */
	fd = open(dev, O_RDWR | O_EXCL | O_CLOEXEC);
	if (fd < 0) {
		log_error("restore of %s: cannot open %s exclusively: %s", f->name, dev, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISBLK(st.st_mode)) {
		log_error("restore of %s: %s is not a block device (--to DIR restores to files)", f->name, dev);
		goto out;
	}
	if (ioctl(fd, BLKGETSIZE64, &size) < 0 || size < f->size) {
		log_error("restore of %s: %s holds %llu bytes, the image needs %llu", f->name, dev,
		    (unsigned long long)size, (unsigned long long)f->size);
		goto out;
	}
	ret = restore_fd(r, m, f, fd, true, dev, sha_out, cancel, progress);
out:
	close(fd);
	return ret;
}

/*
 * The folder of restore name NAME below DFD (DIR): DFD itself, or its
 * subfolder for "DISK/FILE", created (with DIR's permissions, at most
 * 0711) when missing and opened without
 * following a symbolic link, so that nothing planted there sends the
 * restore elsewhere. Returns a descriptor (to close when not DFD), or -1
 * (logged).
 */
static int
name_dir(int dfd, const char *dir, const char *name)
{
	const char *slash = strchr(name, '/');
	struct stat st;
	mode_t mode;
	char *sub;
	int fd;

	if (slash == NULL)
		return dfd;
	sub = xstrndup(name, (size_t)(slash - name));
	mode = fstat(dfd, &st) == 0 ? (st.st_mode & 0711) | 0700 : 0700;
	if (mkdirat(dfd, sub, mode) < 0 && errno != EEXIST) {
		log_error("restore target %s/%s: cannot create it: %s", dir, sub, strerror(errno));
		free(sub);
		return -1;
	}
	fd = openat(dfd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		log_error("restore target %s/%s: %s", dir, sub, errno == ELOOP || errno == ENOTDIR ?
		    "is a symbolic link or not a folder: refusing to write through it" : strerror(errno));
	free(sub);
	return fd;
}

int
restore_files(struct repo *r, const struct manifest *m, const char *dir,
    const struct strlist *only, bool force, char (*sha)[65],
    const volatile sig_atomic_t *cancel, struct progress *progress)
{
	struct strlist finals = { 0 }, tmps = { 0 };
	int *fds = xcalloc(m->nfiles + 1, sizeof(*fds));
	size_t nsel = 0, nopen = 0;
	int ret = -1, dfd = -1;

	for (size_t i = 0; only && i < only->n; i++) {
		if (!restore_has(m, only->v[i])) {
			log_error("snapshot %s has no file or disk named '%s'", m->id, only->v[i]);
			free(fds);
			return -1;
		}
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		log_error("restore target %s: %s", dir, strerror(errno));
		free(fds);
		return -1;
	}
	if (faccessat(dfd, ".", W_OK, 0) < 0) {
		log_error("restore target %s is not writable: %s", dir, strerror(errno));
		goto out;
	}
	/* Refuse before writing anything; open each folder once, safely. */
	for (size_t i = 0; i < m->nfiles; i++) {
		const char *name = m->files[i].name;
		const char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
		int fd;

		if (!restore_selected(&m->files[i], only))
			continue;
		fd = name_dir(dfd, dir, name);
		if (fd < 0)
			goto out;
		fds[nopen++] = fd;
		if (!force && faccessat(fd, base, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
			log_error("restore target %s/%s exists: refusing to overwrite it (use --force)", dir,
			    name);
			goto out;
		}
		strlist_add(&finals, base);
		nsel++;
	}
	for (size_t i = 0, k = 0; i < m->nfiles; i++) {
		char *tmp, *shown;

		if (!restore_selected(&m->files[i], only))
			continue;
		tmp = xasprintf("%s.virtvault-partial", finals.v[k]);
		unlinkat(fds[k], tmp, 0);
		strlist_add(&tmps, tmp);
		shown = xasprintf("%s/%s.virtvault-partial", dir, m->files[i].name);
		free(tmp);
		if (restore_one(r, m, &m->files[i], fds[k], tmps.v[k], shown, sha ? sha[i] : NULL,
		    cancel, progress) < 0) {
			free(shown);
			k++;
			goto out;
		}
		free(shown);
		k++;
	}
	for (size_t k = 0; k < nsel; k++) {
		if (renameat(fds[k], tmps.v[k], fds[k], finals.v[k]) < 0) {
			log_error("restore: cannot rename %s to %s in %s: %s", tmps.v[k], finals.v[k],
			    dir, strerror(errno));
			goto out;
		}
		fsync(fds[k]);
	}
	fsync(dfd);
	ret = 0;
out:
	/* On failure no partial file stays behind. */
	if (ret < 0)
		for (size_t k = 0; k < tmps.n; k++)
			unlinkat(fds[k], tmps.v[k], 0);
	for (size_t k = 0; k < nopen; k++)
		if (fds[k] != dfd)
			close(fds[k]);
	close(dfd);
	free(fds);
	strlist_clear(&finals);
	strlist_clear(&tmps);
	return ret;
}
