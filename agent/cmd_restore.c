/*
 * restore and verify.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <limits.h>

#include "agent/cli.h"
#include "agent/define.h"
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

int
cmd_restore(struct cli *cli, int argc, char **argv)
{
	static const char use[] = "usage: virtvault restore SNAPSHOT --to DIR [--disk NAME]... [--force] [--define [--name NEW]]\n\n"
	    "Writes the files of SNAPSHOT (an ID, a unique prefix, or NAME@latest)\n"
	    "into DIR, sparse, each checked against its SHA-256. --disk restores\n"
	    "only the named file or disk. Existing files are refused without --force;\n"
	    "on failure no partial file is left. --define also defines a new domain\n"
	    "(NEW, default NAME-restored) from the saved XML, with a new UUID, new MAC\n"
	    "addresses and its disks on the restored files, to start next to the original.\n";
	static const struct option opts[] = {
		{ "to", required_argument, NULL, 't' },
		{ "disk", required_argument, NULL, 'd' },
		{ "force", no_argument, NULL, 'f' },
		{ "define", no_argument, NULL, 'D' },
		{ "name", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct strlist only = { 0 };
	const char *to = NULL, *newname = NULL;
	bool define = false;
	struct manifest *m = NULL;
	struct repo *r = NULL;
	struct progress *p = NULL;
	bool force = false;
	int ch, ret = CLI_EXIT_FAILURE;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 't': to = optarg; break;
		case 'd': strlist_add(&only, optarg); break;
		case 'f': force = true; break;
		case 'D': define = true; break;
		case 'n': newname = optarg; break;
		case 'h': fputs(use, stdout); return CLI_EXIT_OK;
		default: fputs(use, stderr); return CLI_EXIT_USAGE;
		}
	}
	if (argc - optind != 1 || to == NULL || (newname && !define)) {
		fputs(use, stderr);
		strlist_clear(&only);
		return CLI_EXIT_USAGE;
	}
	if (cli_load_conf(cli, true) < 0) {
		strlist_clear(&only);
		return CLI_EXIT_USAGE;
	}
	if ((r = repo_open(cli->conf)) == NULL || (m = cli_find_snapshot(r, argv[optind])) == NULL)
		goto out;
	p = progress_new("restore", bytes_of(m, &only), stderr, -1, cli->verbosity < 0);
	if (restore_files(r, m, to, &only, force, p) < 0) {
		log_error("restore of snapshot %s into %s failed; no partial file was left", m->id, to);
		goto out;
	}
	progress_finish(p);
	for (size_t i = 0; i < m->nfiles; i++)
		if (restore_selected(&m->files[i], &only))
			printf("restored %s/%s (sha256 %s verified)\n", to, m->files[i].name,
			    m->files[i].sha256);
	if (define) {
		char abs[PATH_MAX], *name = newname ? xstrdup(newname) : xasprintf("%s-restored", m->name);
		struct hv *hv = NULL;
		int rc = -1;

		if (realpath(to, abs) == NULL)
			log_error("restore target %s: cannot resolve it", to);
		else if ((hv = hv_open_libvirt(cli->conf->libvirt_uri)) != NULL)
			rc = define_restored(hv, m, abs, name);
		if (rc == 0)
			printf("defined domain %s\n", name);
		hv_close(hv);
		free(name);
		if (rc < 0)
			goto out;
	}
	ret = CLI_EXIT_OK;
out:
	progress_free(p);
	manifest_free(m);
	repo_close(r);
	strlist_clear(&only);
	return ret;
}

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
	if (manifest_load_all(r, NULL, &l, &n, &bad) < 0) {
		repo_close(r);
		return CLI_EXIT_FAILURE;
	}
	if (optind < argc) {
		struct manifest **sel = xcalloc((size_t)(argc - optind), sizeof(*sel));
		size_t k = 0;

		for (int i = optind; i < argc; i++) {
			char err[256];
			long pos = manifest_resolve(l, n, argv[i], err, sizeof(err));

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
	repo_close(r);
	return problems == 0 && bad == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}
