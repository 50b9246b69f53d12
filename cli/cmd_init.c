/*
 * virtvault init: create the repository of the configuration.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/log.h"
#include "repo/repo.h"

int
cmd_init(struct cli *cli, int argc, char **argv)
{
	static const char use[] = "usage: virtvault init\n\n"
	    "Creates the repository named in the configuration ([repository] url):\n"
	    "its config and a master key wrapped by the password. Refuses to\n"
	    "overwrite an existing repository.\n";

	if (cli_help_asked(argc, argv)) {
		fputs(use, stdout);
		return CLI_EXIT_OK;
	}
	if (argc != 1) {
		fputs(use, stderr);
		return CLI_EXIT_USAGE;
	}
	if (cli_load_conf(cli, true) < 0)
		return CLI_EXIT_USAGE;
	if (repo_init(cli->conf) < 0)
		return CLI_EXIT_FAILURE;
	printf("created repository %s (%s, chunks of %llu KiB)\n", cli->conf->url,
	    cli->conf->encryption == CONF_CIPHER_NONE ? "not encrypted" : "encrypted with aes-256-gcm",
	    (unsigned long long)(cli->conf->chunk_size >> 10));
	if (cli->conf->encryption != CONF_CIPHER_NONE)
		printf("Without its password nobody, not even you, can read this repository: keep the\n"
		    "password safe, and keep a copy of the key offline: virtvault key export --to FILE\n");
	return CLI_EXIT_OK;
}
