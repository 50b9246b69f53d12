/*
 * virtvault verify: snapshots' indexes and chunks, --deep their data.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "repo/lock.h"
#include "common/log.h"
#include "repo/verify.h"

int
cmd_verify(struct cli *cli, int argc, char **argv)
{
	static const char use[] = "usage: virtvault verify [SNAPSHOT...] [--deep]\n\n"
	    "Checks snapshots (all when none is named): every index and chunk they\n"
	    "reference exists; with --deep every chunk is downloaded, authenticated,\n"
	    "decompressed and re-hashed, and each file's SHA-256 recomputed.\n"
	    "Exit 0 when all is well, 1 when any problem is found.\n";
	static const struct option opts[] = {
		{ "deep", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct manifest **l = NULL;
	size_t n = 0, bad = 0;
	struct repo *r;
	struct repo_lock *lock = NULL;
	struct progress *p;
	bool deep = false;
	uint64_t total = 0;
	long problems;
	int ch;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': deep = true; break;
		case 'h': fputs(use, stdout); return CLI_EXIT_OK;
		default: fputs(use, stderr); return CLI_EXIT_USAGE;
		}
	}
	if (cli_load_conf(cli, true) < 0)
		return CLI_EXIT_USAGE;
	if ((r = repo_open(cli->conf)) == NULL)
		return CLI_EXIT_FAILURE;
	/* Shared: no prune deletes what the snapshots need while they are read. */
	if (repo_lock_take(r, REPO_LOCK_SHARED, "verify", &lock) != 0 ||
	    manifest_load_all(r, NULL, NULL, &l, &n, &bad) < 0) {
		repo_lock_release(lock);
		repo_close(r);
		return CLI_EXIT_FAILURE;
	}
	if (optind < argc) {
		struct manifest **sel = xcalloc((size_t)(argc - optind), sizeof(*sel));
		size_t k = 0;

		for (int i = optind; i < argc; i++) {
			char err[256];
			long pos = manifest_resolve(l, n, argv[i], repo_host(r), err, sizeof(err));

			if (pos < 0) {
				log_error("snapshot %s: %s", argv[i], err);
				bad++;
			} else {
				sel[k++] = l[pos];
			}
		}
		for (size_t i = 0; i < k; i++)
			for (size_t j = 0; j < n; j++)
				if (l[j] == sel[i])
					l[j] = NULL;
		manifest_list_free(l, n);
		l = sel;
		n = k;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < l[i]->nfiles; j++)
			total += l[i]->files[j].size;
	p = progress_new(deep ? "verify --deep" : "verify", total, stderr, -1, cli->verbosity < 0);
	problems = verify_snapshots(r, l, n, deep, p);
	if (problems == 0)
		progress_finish(p);
	progress_free(p);
	if (problems >= 0)
		printf("%zu snapshot%s checked%s: %ld problem%s%s\n", n, n == 1 ? "" : "s",
		    deep ? " (deep)" : "", problems + (long)bad, problems + (long)bad == 1 ? "" : "s",
		    bad ? " (including unreadable manifests or unknown snapshots)" : "");
	manifest_list_free(l, n);
	repo_lock_release(lock);
	repo_close(r);
	return problems == 0 && bad == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}
