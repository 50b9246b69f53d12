/*
 * virtvault export: a snapshot as one tar archive.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/log.h"
#include "repo/archive.h"
#include "repo/lock.h"

int
cmd_export(struct cli *cli, int argc, char **argv)
{
	static const char use[] = "usage: virtvault export SNAPSHOT --to FILE|- [--compress zstd] [--force]\n\n"
	    "Writes the snapshot as one POSIX (pax) tar archive: its files as sparse\n"
	    "entries (holes stay holes), the domain XML and MANIFEST.json (each file's\n"
	    "size and SHA-256), under NAME-ID/. Every chunk is authenticated as it is\n"
	    "read; memory stays constant. --to - writes to standard output (for ssh or\n"
	    "tape). GNU tar extracts it without virtvault: tar -xSf FILE (--zstd for\n"
	    "--compress zstd). An existing FILE is refused unless --force; a failed\n"
	    "export leaves no FILE.\n";
	static const struct option opts[] = {
		{ "to", required_argument, NULL, 't' },
		{ "compress", required_argument, NULL, 'z' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct archive_export_opts eo = { 0 };
	const char *to = NULL;
	struct repo *r = NULL;
	struct repo_lock *lock = NULL;
	struct manifest *m = NULL;
	char *tmp = NULL;
	bool force = false;
	int ch, fd = -1, ret = CLI_EXIT_FAILURE;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 't': to = optarg; break;
		case 'z':
			if (strcmp(optarg, "zstd") != 0) {
				log_error("--compress %s: only zstd is offered", optarg);
				return CLI_EXIT_USAGE;
			}
			eo.zstd = true;
			break;
		case 'f': force = true; break;
		case 'h': fputs(use, stdout); return CLI_EXIT_OK;
		default: fputs(use, stderr); return CLI_EXIT_USAGE;
		}
	}
	if (cli_operands("export", argc, argv, optind, "SNAPSHOT") < 0 || to == NULL) {
		if (to == NULL)
			log_error("export: --to FILE|- is missing");
		fputs(use, stderr);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(to, "-") == 0 && isatty(1)) {
		log_error("export --to -: standard output is a terminal; redirect it or give a file");
		return CLI_EXIT_USAGE;
	}
	if (strcmp(to, "-") != 0 && !force && access(to, F_OK) == 0) {
		log_error("export: %s exists; --force overwrites it", to);
		return CLI_EXIT_FAILURE;
	}
	if ((r = cli_repo(cli, &ch)) == NULL)
		return ch;
	/* Shared: no prune deletes what the snapshot needs while it is read. */
	if (repo_lock_take(r, REPO_LOCK_SHARED, "export", &lock) != 0 ||
	    (m = cli_find_snapshot(r, argv[optind])) == NULL)
		goto out;
	if (strcmp(to, "-") == 0) {
		fd = 1;
	} else {
		tmp = xasprintf("%s.virtvault-partial", to);
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0) {
			log_error("export: cannot create %s: %s", tmp, strerror(errno));
			goto out;
		}
	}
	cli_catch_signals(cli);
	eo.cancel = cli->cancel;
	eo.progress = progress_new("export", 0, stderr, -1, cli->verbosity < 0);
	{
		uint64_t total = 0;

		for (size_t i = 0; i < m->nfiles; i++)
			total += m->files[i].size;
		progress_set_total(eo.progress, total);
	}
	if (archive_export(r, m, fd, tmp ? to : "standard output", &eo) < 0)
		goto out;
	if (tmp != NULL && (fsync(fd) < 0 || rename(tmp, to) < 0)) {
		log_error("export: cannot finish %s: %s", to, strerror(errno));
		goto out;
	}
	progress_finish(eo.progress);
	if (tmp != NULL)
		log_info("snapshot %s exported to %s", m->id, to);
	ret = CLI_EXIT_OK;
out:
	if (tmp != NULL) {
		if (fd >= 0)
			close(fd);
		if (ret != CLI_EXIT_OK)
			unlink(tmp);
	}
	free(tmp);
	progress_free(eo.progress);
	manifest_free(m);
	repo_lock_release(lock);
	repo_close(r);
	return ret;
}
