/*
 * virtvault show: one manifest.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/log.h"
#include "repo/manifest.h"

int
cmd_show(struct cli *cli, int argc, char **argv)
{
	static const char use[] = "usage: virtvault show SNAPSHOT [--json]\n\n"
	    "Shows one manifest. SNAPSHOT is an ID (or a unique prefix of one),\n"
	    "[HOST/]NAME@latest or [HOST/]NAME@ID.\n";
	struct manifest *m;
	struct repo *r;
	bool json = false;
	int ch;

	if ((ch = cli_json_opts(argc, argv, use, &json)) >= 0)
		return ch;
	if (cli_operands("show", argc, argv, optind, "SNAPSHOT") < 0) {
		fputs(use, stderr);
		return CLI_EXIT_USAGE;
	}
	if (!manifest_selector_valid(argv[optind])) {
		log_error("'%s' is not a snapshot: give an ID (4 to 16 hex digits), [HOST/]NAME@latest or [HOST/]NAME@ID",
		    argv[optind]);
		return CLI_EXIT_USAGE;
	}
	if ((r = cli_repo(cli, &ch)) == NULL)
		return ch;
	m = cli_find_snapshot(r, argv[optind]);
	if (m == NULL) {
		repo_close(r);
		return CLI_EXIT_FAILURE;
	}
	if (json) {
		char *text = manifest_to_json(m);

		printf("%s\n", text);
		free(text);
	} else {
		manifest_print(m, stdout);
	}
	manifest_free(m);
	repo_close(r);
	return CLI_EXIT_OK;
}
