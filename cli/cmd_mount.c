/*
 * virtvault mount: a snapshot's files, read-only through FUSE (libfuse3),
 * fetched on demand; in the foreground until unmounted or interrupted.
 */
#define FUSE_USE_VERSION 31
#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/qemu_account.h"
#include "cli/cli.h"
#include "common/log.h"
#include "repo/lock.h"
#include "repo/snapfs.h"

/* What the callbacks serve: fuse_new's user data, from fuse_get_context(). */
struct mounted {
	struct snapfs *fs;
	const char *id;		/* the snapshot's, for the log */
	time_t time;		/* the snapshot's, for every file's times */
	uid_t uid;		/* every file's owner: ours, or QEMU's with --allow-other */
	gid_t gid;
	uid_t self;		/* who mounted it */
};

static struct mounted *
self(void)
{
	return fuse_get_context()->private_data;
}

/*
 * Whether the caller may open or list PATH: root, who mounted it, or the
 * files' owner or group. The kernel checks the modes first
 * (default_permissions); this is the second wall, should a mount ever come
 * without them. At open, as the kernel does: a descriptor passed on reads.
 */
static bool
allowed(const char *path)
{
	const struct fuse_context *cx = fuse_get_context();
	const struct mounted *mt = cx->private_data;

	if (cx->uid == 0 || cx->uid == mt->self || cx->uid == mt->uid || cx->gid == mt->gid)
		return true;
	log_warn("mount of snapshot %s: uid %u (pid %d) may not read %s: refused",
	    mt->id, (unsigned)cx->uid, (int)cx->pid, path);
	return false;
}

static int
fs_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	bool dir;
	uint64_t size;
	int rc = snapfs_stat(self()->fs, path, &dir, &size);

	(void)fi;
	if (rc < 0)
		return rc;
	memset(st, 0, sizeof(*st));
	/* The guests' disks in clear: their owner and group alone. */
	st->st_mode = dir ? S_IFDIR | 0550 : S_IFREG | 0440;
	st->st_uid = self()->uid;
	st->st_gid = self()->gid;
	st->st_nlink = dir ? 2 : 1;
	st->st_size = (off_t)size;
	st->st_blocks = (blkcnt_t)((size + 511) / 512);
	st->st_mtime = st->st_ctime = st->st_atime = self()->time;
	return 0;
}

struct fill {
	void *buf;
	fuse_fill_dir_t filler;
};

static void
fill_one(void *arg, const char *name, bool dir)
{
	struct fill *f = arg;

	(void)dir;
	f->filler(f->buf, name, NULL, 0, 0);
}

static int
fs_readdir(const char *path, void *buf, fuse_fill_dir_t filler, off_t off,
    struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	struct fill f = { buf, filler };

	(void)off, (void)fi, (void)flags;
	if (!allowed(path))
		return -EACCES;
	filler(buf, ".", NULL, 0, 0);
	filler(buf, "..", NULL, 0, 0);
	return snapfs_list(self()->fs, path, fill_one, &f);
}

static int
fs_open(const char *path, struct fuse_file_info *fi)
{
	bool dir;
	uint64_t size;
	int rc = snapfs_stat(self()->fs, path, &dir, &size);

	if (rc < 0)
		return rc;
	if (dir)
		return -EISDIR;
	if ((fi->flags & O_ACCMODE) != O_RDONLY)
		return -EROFS;
	if (!allowed(path))
		return -EACCES;
	/*
	 * Each read() straight to fs_read, not through the page cache: there
	 * the kernel reads page by page and answers a read spanning a good
	 * and a bad chunk with the good part, a short count a program takes
	 * for the end of the file. Direct, a read the kernel passes as one
	 * request (up to 1 MiB) fails whole with EIO; one it splits (larger,
	 * or near 1 MiB into a buffer not page-aligned) can still end short
	 * at a request's end, the next read failing.
	 */
	fi->direct_io = 1;
	return 0;
}

static int
fs_read(const char *path, char *buf, size_t len, off_t off, struct fuse_file_info *fi)
{
	(void)fi;
	return (int)snapfs_read(self()->fs, path, buf, len, (uint64_t)off);
}

static const struct fuse_operations ops = {
	.getattr = fs_getattr,
	.readdir = fs_readdir,
	.open = fs_open,
	.read = fs_read,
};

int
cmd_mount(struct cli *cli, int argc, char **argv)
{
	static const char use[] = "usage: virtvault mount SNAPSHOT DIR [--cache SIZE] [--allow-other]\n\n"
	    "Shows the files of SNAPSHOT read-only in DIR (FUSE), fetching chunks on\n"
	    "demand, each authenticated as in a restore, through a cache of SIZE\n"
	    "(default 64M) of decoded chunks; a chunk that fails its check makes the\n"
	    "read fail (EIO), never return wrong data. Stays in the foreground until\n"
	    "DIR is unmounted (fusermount3 -u DIR) or it is interrupted. Only its user\n"
	    "(root) may read it; --allow-other gives the files to QEMU's account\n"
	    "(libvirt's qemu.conf user =) for QEMU to read, and to no one else. One\n"
	    "file of a guest: qemu-nbd --read-only DIR/IMAGE, or guestmount -a\n"
	    "DIR/IMAGE -i --ro.\n";
	static const struct option opts[] = {
		{ "cache", required_argument, NULL, 'C' },
		{ "allow-other", no_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct repo *r = NULL;
	struct repo_lock *lock = NULL;
	struct manifest *m = NULL;
	struct fuse *fuse = NULL;
	struct mounted mt = { 0 };
	uint64_t cache = 64 << 20;
	bool allow_other = false;
	char *o = NULL;
	int ch, ret = CLI_EXIT_FAILURE;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'C':
			if (util_parse_size(optarg, &cache) < 0 || cache == 0) {
				log_error("--cache %s: not a size such as 256M", optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'A': allow_other = true; break;
		case 'h': fputs(use, stdout); return CLI_EXIT_OK;
		default: fputs(use, stderr); return CLI_EXIT_USAGE;
		}
	}
	if (cli_operands("mount", argc, argv, optind, "SNAPSHOT DIR") < 0) {
		fputs(use, stderr);
		return CLI_EXIT_USAGE;
	}
	if ((r = cli_repo(cli, &ch)) == NULL)
		return ch;
	/* Held while mounted: no prune deletes a chunk under a reader. */
	if (repo_lock_take(r, REPO_LOCK_SHARED, "mount", &lock) != 0 ||
	    (m = cli_find_snapshot(r, argv[optind])) == NULL ||
	    (mt.fs = snapfs_open(r, m, cache)) == NULL)
		goto out;
	util_parse_utc(m->time, &mt.time);
	mt.id = m->id;
	mt.self = getuid();
	mt.uid = getuid();
	mt.gid = getgid();
	if (allow_other && qemu_account_find(QEMU_ACCOUNT_CONF, &mt.uid, &mt.gid) < 0) {
		log_error("mount: --allow-other is for QEMU's account, and it was not found");
		goto out;
	}
	o = xasprintf("ro,default_permissions,fsname=virtvault:%s,subtype=virtvault%s", m->id,
	    allow_other ? ",allow_other" : "");
	if (fuse_opt_add_arg(&args, "virtvault") != 0 || fuse_opt_add_arg(&args, "-o") != 0 ||
	    fuse_opt_add_arg(&args, o) != 0)
		goto out;
	fuse = fuse_new(&args, &ops, sizeof(ops), &mt);
	if (fuse == NULL) {
		log_error("mount: cannot start FUSE");
		goto out;
	}
	if (fuse_mount(fuse, argv[optind + 1]) != 0) {
		log_error("mount: cannot mount on %s (an existing, empty folder; /dev/fuse and fusermount3 needed)",
		    argv[optind + 1]);
		goto out;
	}
	/* SIGINT, SIGTERM, SIGHUP end the loop; then it unmounts. */
	if (fuse_set_signal_handlers(fuse_get_session(fuse)) != 0)
		goto unmount;
	log_info("snapshot %s (%s) mounted on %s; unmount with: fusermount3 -u %s", m->id, m->name,
	    argv[optind + 1], argv[optind + 1]);
	/* 0: unmounted; above 0: ended by that signal (both fine); below: an error. */
	ret = fuse_loop(fuse) >= 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
	fuse_remove_signal_handlers(fuse_get_session(fuse));
	log_info("snapshot %s unmounted from %s", m->id, argv[optind + 1]);
unmount:
	fuse_unmount(fuse);
out:
	if (fuse != NULL)
		fuse_destroy(fuse);
	fuse_opt_free_args(&args);
	free(o);
	snapfs_close(mt.fs);
	manifest_free(m);
	repo_lock_release(lock);
	repo_close(r);
	return ret;
}
