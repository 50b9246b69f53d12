/*
 * virtvault import: a tar archive (an export, or a plain tar of images) as
 * a new snapshot.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/log.h"
#include "repo/archive.h"
#include "repo/layout.h"

int
cmd_import(struct cli *cli, int argc, char **argv)
{
	static const char use[] = "usage: virtvault import FILE|- [--name NAME] [--host HOST] [--time ISO-8601]\n"
	    "                        [--json]\n\n"
	    "Reads a tar archive (an export of virtvault, or a plain tar of qcow2/raw\n"
	    "images; compressed or not) into the repository as one new snapshot,\n"
	    "deduplicated against what is there. An export is checked against its\n"
	    "MANIFEST.json (every file's size and SHA-256) and keeps its name, host,\n"
	    "time, domain XML and firmware/TPM files unless --name, --host, --time say\n"
	    "otherwise; a plain tar needs --name. Nothing is published unless the\n"
	    "whole archive was read and checked.\n";
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "host", required_argument, NULL, 'H' },
		{ "time", required_argument, NULL, 'T' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct archive_import_opts io = { 0 };
	struct repo *r;
	char id[17];
	bool json = false;
	int ch, fd, rc;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'n': io.name = optarg; break;
		case 'H': io.host = optarg; break;
		case 'T':
			if (cli_parse_time(optarg, "--time", &io.time) < 0)
				return CLI_EXIT_USAGE;
			io.time_given = true;
			break;
		case 'j': json = true; break;
		case 'h': fputs(use, stdout); return CLI_EXIT_OK;
		default: fputs(use, stderr); return CLI_EXIT_USAGE;
		}
	}
	if (cli_operands("import", argc, argv, optind, "FILE|-") < 0 ||
	    (io.name && !layout_name_valid(io.name)) || (io.host && !layout_name_valid(io.host))) {
		fputs(use, stderr);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(argv[optind], "-") == 0) {
		fd = 0;
	} else if ((fd = open(argv[optind], O_RDONLY | O_CLOEXEC)) < 0) {
		log_error("import: %s: %s", argv[optind], strerror(errno));
		return CLI_EXIT_FAILURE;
	}
	if ((r = cli_repo(cli, &ch)) == NULL) {
		if (fd > 0)
			close(fd);
		return ch;
	}
	cli_catch_signals(cli);
	io.cancel = cli->cancel;
	io.quiet = cli->verbosity < 0 || json;
	rc = archive_import(r, fd, fd == 0 ? "standard input" : argv[optind], &io, id);
	if (rc == 0) {
		if (json)
			printf("{\"snapshot\":\"%s\"}\n", id);
		else
			printf("imported %s as snapshot %s\n", fd == 0 ? "standard input" : argv[optind], id);
	}
	if (fd > 0)
		close(fd);
	repo_close(r);
	return rc == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}
