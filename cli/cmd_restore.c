/*
 * virtvault restore: files back, verified and sparse; --define a new domain.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/cbt.h"
#include "agent/define.h"
#include "agent/instant.h"
#include "cli/cli.h"
#include "common/fsutil.h"
#include "repo/lock.h"
#include "state/lock.h"
#include "common/log.h"
#include "repo/restore.h"

static uint64_t
bytes_of(const struct manifest *m, const struct strlist *only)
{
	uint64_t t = 0;

	for (size_t i = 0; i < m->nfiles; i++)
		if (restore_selected(&m->files[i], only))
			t += m->files[i].size;
	return t;
}

/*
 * The restored qcow2 images of a domain to be defined anew hold the
 * original's checkpoint bitmaps: remove them, so that the new domain's
 * changed-block tracking starts clean. Returns 0 or -1 (logged).
 */
static int
strip_bitmaps(const struct manifest *m, const struct strlist *only, const char *to)
{
	for (size_t i = 0; i < m->nfiles; i++) {
		const struct manifest_file *f = &m->files[i];
		char *p;
		int r;

		if (!restore_selected(f, only) || f->format == NULL || strcmp(f->format, "qcow2") != 0)
			continue;
		p = util_path_join(to, f->name);
		r = cbt_strip_bitmaps(p);
		free(p);
		if (r < 0)
			return -1;
	}
	return 0;
}

/*
 * Refuse a restore that cannot succeed before it starts: a --disk the
 * snapshot does not have (naming those it has), --define of a snapshot of
 * image files; create TO (0700, or 0711 for --define: the new domain's
 * QEMU runs as another user and must reach its files) when it does not
 * exist. Returns 0 or -1 (logged).
 */
static int
check_request(const struct manifest *m, const struct strlist *only, const char *to, bool define)
{
	struct stat st;

	for (size_t i = 0; i < only->n; i++) {
		if (!restore_has(m, only->v[i])) {
			char *names = xstrdup("");

			for (size_t k = 0; k < m->nfiles; k++) {
				char *more = m->files[k].disk ?
				    xasprintf("%s%s%s (disk %s)", names, k ? ", " : "", m->files[k].name,
				    m->files[k].disk) :
				    xasprintf("%s%s%s", names, k ? ", " : "", m->files[k].name);

				free(names);
				names = more;
			}
			log_error("snapshot %s has no file or disk named '%s'; it has: %s", m->id,
			    only->v[i], names);
			free(names);
			return -1;
		}
	}
	if (define && m->domain_xml == NULL) {
		log_error("snapshot %s holds image files (backup --image), not a domain: --define needs a snapshot of a domain",
		    m->id);
		return -1;
	}
	if (stat(to, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			goto not_dir;
		if (define && (st.st_mode & 0001) == 0)
			log_warn("restore target %s is mode %04o: the new domain's QEMU (another user) cannot reach its files there; 'chmod o+x %s' before starting it",
			    to, (unsigned)(st.st_mode & 07777), to);
		return 0;
not_dir:
		log_error("restore target %s: not a folder", to);
		return -1;
	}
	if (errno != ENOENT) {
		log_error("restore target %s: %s", to, strerror(errno));
		return -1;
	}
	if (fs_mkdir_p(to, define ? 0711 : 0700) < 0 || (define && chmod(to, 0711) < 0)) {
		log_error("restore target %s: cannot create it: %s", to, strerror(errno));
		return -1;
	}
	log_info("restore target %s created (mode %s)", to, define ? "0711: the new domain's QEMU reaches its files, nobody lists them" : "0700");
	return 0;
}

/* restore --instant --define: the new domain NAME runs at once, its data pulled after. */
static int
restore_instant(struct cli *cli, struct hv *hv, struct repo *r, const struct manifest *m,
    const char *to, const char *name)
{
	char abs[PATH_MAX], self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	int rc = -1, lock;

	if (n <= 0 || realpath(to, abs) == NULL) {
		log_error("restore --instant: cannot resolve %s or this program", to);
		return CLI_EXIT_FAILURE;
	}
	self[n] = '\0';
	/* The new domain's lock: a repair waits until this is over. */
	if (state_lock_domain(cli->conf->state_dir, name, &lock) != 0)
		return CLI_EXIT_FAILURE;
	{
		struct instant_opts o = {
			.self = self,
			.config_path = cli->conf->path,
			.dir = abs,
			.newname = name,
			.quiet = cli->verbosity < 0,
		};

		cli_catch_signals(cli);
		o.cancel = cli->cancel;
		rc = instant_restore(hv, r, cli->conf, m, &o);
		if (rc == 0)
			printf("domain %s: instant restore done; its disks stand alone in %s\n", name, abs);
	}
	state_unlock_domain(lock);
	return rc == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}

/*
 * restore --to-device DISK=DEV...: each file (or disk of one file) onto a
 * block device. Returns an exit code.
 */
static int
restore_devices(struct cli *cli, struct repo *r, const struct manifest *m,
    const struct strlist *maps, bool force, bool want_sha)
{
	const struct manifest_file **f = xcalloc(maps->n + 1, sizeof(*f));
	int ret = CLI_EXIT_FAILURE;

	/* Everything is checked before the first byte goes to a device. */
	for (size_t i = 0; i < maps->n; i++) {
		struct strlist one = { 0 };
		char *name = xstrndup(maps->v[i], (size_t)(strchr(maps->v[i], '=') - maps->v[i]));
		size_t found = 0;

		strlist_add(&one, name);
		for (size_t k = 0; k < m->nfiles; k++)
			if (restore_selected(&m->files[k], &one)) {
				f[i] = &m->files[k];
				found++;
			}
		if (found != 1)
			log_error(found == 0 ? "snapshot %s has no file or disk named '%s'" :
			    "snapshot %s: disk %s is a chain of files: a device takes one image; restore the chain to files (--to DIR)",
			    m->id, name);
		strlist_clear(&one);
		free(name);
		if (found != 1)
			goto out;
	}
	cli_catch_signals(cli);
	for (size_t i = 0; i < maps->n; i++) {
		const char *dev = strchr(maps->v[i], '=') + 1;
		struct progress *p = progress_new("restore", f[i]->size, stderr, -1, cli->verbosity < 0);
		char sha[65] = "";
		int rc = restore_to_device(r, m, f[i], dev, force, want_sha ? sha : NULL, cli->cancel, p);

		if (rc == 0)
			progress_finish(p);
		progress_free(p);
		if (rc < 0)
			goto out;
		if (sha[0])
			printf("restored %s onto %s (chunks verified; sha256 %s)\n", f[i]->name, dev, sha);
		else
			printf("restored %s onto %s (chunks verified)\n", f[i]->name, dev);
	}
	ret = CLI_EXIT_OK;
out:
	free(f);
	return ret;
}

int
cmd_restore(struct cli *cli, int argc, char **argv)
{
	static const char use[] = "usage: virtvault restore SNAPSHOT --to DIR [--disk NAME]... [--force] [--sha256]\n"
	    "                         [--define [--name NEW] [--instant]]\n"
	    "       virtvault restore SNAPSHOT --to-device DISK=/dev/DEVICE... [--force]\n"
	    "                         [--sha256]\n\n"
	    "Writes the files of SNAPSHOT (an ID, a unique prefix, or NAME@latest)\n"
	    "into DIR, sparse, every chunk checked against its ID and every file\n"
	    "against the snapshot's chunk digest. --sha256 also prints each restored\n"
	    "file's SHA-256 (to compare with sha256sum). --disk restores\n"
	    "only the named file or disk. Existing files are refused without --force;\n"
	    "on failure no partial file is left. --define also defines a new domain\n"
	    "(NEW, default NAME-restored) from the saved XML, with a new UUID, new MAC\n"
	    "addresses and its disks on the restored files, to start next to the original.\n"
	    "--to-device writes the image of DISK (a disk target or file name) onto a\n"
	    "block device (an LVM volume, a partition) of at least its size, opened\n"
	    "exclusively; one holding a file system or partition table needs --force.\n"
	    "--instant (with --define) starts the new domain within seconds on qcow2\n"
	    "overlays in DIR over a mount of the snapshot, then pulls the data in while\n"
	    "it runs; once the disks stand alone the mount is released. Interrupted, it\n"
	    "is finished by 'virtvault repair NEW' while the guest keeps running.\n";
	static const struct option opts[] = {
		{ "to", required_argument, NULL, 't' },
		{ "to-device", required_argument, NULL, 'T' },
		{ "disk", required_argument, NULL, 'd' },
		{ "force", no_argument, NULL, 'f' },
		{ "sha256", no_argument, NULL, 'S' },
		{ "define", no_argument, NULL, 'D' },
		{ "instant", no_argument, NULL, 'I' },
		{ "name", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct strlist only = { 0 }, devices = { 0 };
	const char *to = NULL, *newname = NULL;
	char *name = NULL;
	struct hv *hv = NULL;
	bool define = false, instant = false;
	struct manifest *m = NULL;
	struct repo *r = NULL;
	struct repo_lock *lock = NULL;
	struct progress *p = NULL;
	bool force = false, want_sha = false;
	char (*sha)[65] = NULL;
	int ch, ret = CLI_EXIT_FAILURE;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 't': to = optarg; break;
		case 'T':
			if (strchr(optarg, '=') == NULL || strchr(optarg, '=') == optarg ||
			    strncmp(strchr(optarg, '=') + 1, "/dev/", 5) != 0) {
				log_error("--to-device %s: expected DISK=/dev/DEVICE", optarg);
				strlist_clear(&only);
				strlist_clear(&devices);
				return CLI_EXIT_USAGE;
			}
			strlist_add(&devices, optarg);
			break;
		case 'd': strlist_add(&only, optarg); break;
		case 'f': force = true; break;
		case 'S': want_sha = true; break;
		case 'D': define = true; break;
		case 'I': instant = true; break;
		case 'n': newname = optarg; break;
		case 'h': fputs(use, stdout); return CLI_EXIT_OK;
		default: fputs(use, stderr); return CLI_EXIT_USAGE;
		}
	}
	if (argc - optind != 1 || (to == NULL) == (devices.n == 0) || (newname && !define) ||
	    (devices.n > 0 && (define || only.n > 0)) || (instant && (!define || only.n > 0))) {
		if (argc - optind == 0)
			log_error("restore: SNAPSHOT is missing (an ID, a unique prefix, or NAME@latest)");
		else if (argc - optind > 1)
			log_error("restore: one SNAPSHOT at a time ('%s' is one too many)", argv[optind + 1]);
		if (to == NULL && devices.n == 0)
			log_error("restore: where to is missing: --to DIR (or --to-device DISK=/dev/DEVICE)");
		if (newname && !define)
			log_error("restore: --name names the new domain: it goes with --define");
		if (instant && (!define || only.n > 0))
			log_error("restore --instant starts a new domain: it goes with --define and --to, without --disk");
		if (to != NULL && devices.n > 0)
			log_error("restore: --to and --to-device go in separate runs");
		else if (devices.n > 0 && (define || only.n > 0))
			log_error("restore: --to-device names its disks itself; --define and --disk go with --to");
		fputs(use, stderr);
		strlist_clear(&only);
		strlist_clear(&devices);
		return CLI_EXIT_USAGE;
	}
	if (cli_load_conf(cli, true) < 0) {
		strlist_clear(&only);
		return CLI_EXIT_USAGE;
	}
	/* Shared: no prune deletes what the snapshot needs while it is read. */
	if ((r = repo_open(cli->conf)) == NULL ||
	    repo_lock_take(r, REPO_LOCK_SHARED, "restore", &lock) != 0 ||
	    (m = cli_find_snapshot(r, argv[optind])) == NULL)
		goto out;
	if (devices.n > 0) {
		ret = restore_devices(cli, r, m, &devices, force, want_sha);
		goto out;
	}
	/* Everything that can be refused is refused before any byte is
	 * written: the new domain's name first, before TO is made. */
	if (define) {
		name = newname ? xstrdup(newname) : xasprintf("%s-restored", m->name);
		if ((hv = hv_open_libvirt(cli->conf->libvirt_uri)) == NULL ||
		    define_name_free(hv, name) < 0)
			goto out;
	}
	if (check_request(m, &only, to, define) < 0)
		goto out;
	if (instant) {
		ret = restore_instant(cli, hv, r, m, to, name);
		goto out;
	}
	/* A new domain of some disks still gets its own firmware and TPM state. */
	for (size_t i = 0; define && only.n > 0 && i < m->nfiles; i++)
		if (m->files[i].kind != NULL)
			strlist_add(&only, m->files[i].name);
	p = progress_new("restore", bytes_of(m, &only), stderr, -1, cli->verbosity < 0);
	sha = xcalloc(m->nfiles + 1, sizeof(*sha));
	/* SIGTERM/SIGINT: stop, remove the partial files, exit 1. */
	cli_catch_signals(cli);
	if (restore_files(r, m, to, &only, force, want_sha ? sha : NULL, cli->cancel, p) < 0) {
		log_error("restore of snapshot %s into %s %s; no partial file was left", m->id, to,
		    *cli->cancel ? "stopped by a signal" : "failed");
		goto out;
	}
	progress_finish(p);
	for (size_t i = 0; i < m->nfiles; i++) {
		const struct manifest_file *f = &m->files[i];

		if (!restore_selected(f, &only))
			continue;
		if (f->sha256[0] != '\0')
			printf("restored %s/%s (sha256 %s verified)\n", to, f->name, f->sha256);
		else if (want_sha)
			printf("restored %s/%s (chunks verified; sha256 %s)\n", to, f->name, sha[i]);
		else
			printf("restored %s/%s (chunks verified)\n", to, f->name);
	}
	/* Its copy of the checkpoints' bitmaps belongs to the original domain. */
	if (define && strip_bitmaps(m, &only, to) < 0)
		goto out;
	if (define) {
		char abs[PATH_MAX];
		int rc = -1;

		if (realpath(to, abs) == NULL)
			log_error("restore target %s: cannot resolve it", to);
		else
			rc = define_restored(hv, m, abs, name);
		if (rc == 0)
			printf("defined domain %s\n", name);
		if (rc < 0)
			goto out;
	}
	ret = CLI_EXIT_OK;
out:
	hv_close(hv);
	free(name);
	free(sha);
	progress_free(p);
	manifest_free(m);
	repo_lock_release(lock);
	repo_close(r);
	strlist_clear(&only);
	strlist_clear(&devices);
	return ret;
}
