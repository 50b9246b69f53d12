/*
 * virtvault upgrade: raise the repository to the newest format (3: chunks
 * stored as patches of their reference), once every host that shares it
 * runs a release that reads it.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "repo/repo.h"

int
cmd_upgrade(struct cli *cli, int argc, char **argv)
{
	static const char use[] = "usage: virtvault upgrade\n\n"
	    "Raises the repository to format 3, in which a nightly stores the changed\n"
	    "64 KiB units of a chunk as a patch of it instead of the whole chunk. Only\n"
	    "the config object is rewritten; every snapshot stays as it is. Run it once\n"
	    "every host that writes or reads the repository runs this release: older\n"
	    "ones refuse a repository of format 3.\n";
	struct repo *r;
	int ch, rc;

	if (cli_help_asked(argc, argv)) {
		fputs(use, stdout);
		return CLI_EXIT_OK;
	}
	if (argc != 1) {
		fputs(use, stderr);
		return CLI_EXIT_USAGE;
	}
	if ((r = cli_repo(cli, &ch)) == NULL)
		return ch;
	rc = repo_upgrade_format(r);
	if (rc > 0)
		printf("repository %s is now of format %d\n", cli->conf->url, repo_version(r));
	else if (rc == 0)
		printf("repository %s is of format %d already\n", cli->conf->url, repo_version(r));
	repo_close(r);
	return rc < 0 ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}
