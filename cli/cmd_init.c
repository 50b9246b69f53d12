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
	static const char use[] = "usage: virtvault init [--format 2|3]\n\n"
	    "Creates the repository named in the configuration ([repository] url):\n"
	    "its config and a master key wrapped by the password. Refuses to\n"
	    "overwrite an existing repository.\n\n"
	    "--format 2 makes a repository that hosts still running a release before\n"
	    "format 3 can read and write (nightlies then store whole changed chunks,\n"
	    "never patches); the default is the newest format, 3.\n";
	int version = REPO_FORMAT_VERSION;
	char *end;

	if (cli_help_asked(argc, argv)) {
		fputs(use, stdout);
		return CLI_EXIT_OK;
	}
	if (argc == 3 && strcmp(argv[1], "--format") == 0) {
		long v = strtol(argv[2], &end, 10);

		if (*argv[2] == '\0' || *end != '\0' || v < REPO_FORMAT_FIRST_WRITTEN ||
		    v > REPO_FORMAT_VERSION) {
			log_error("init --format %s: the formats made are %d to %d", argv[2],
			    REPO_FORMAT_FIRST_WRITTEN, REPO_FORMAT_VERSION);
			return CLI_EXIT_USAGE;
		}
		version = (int)v;
	} else if (argc != 1) {
		fputs(use, stderr);
		return CLI_EXIT_USAGE;
	}
	if (cli_load_conf(cli, true) < 0)
		return CLI_EXIT_USAGE;
	if (repo_init_format(cli->conf, version) < 0)
		return CLI_EXIT_FAILURE;
	printf("created repository %s (format %d, %s, chunks of %llu KiB)\n", cli->conf->url,
	    version,
	    cli->conf->encryption == CONF_CIPHER_NONE ? "not encrypted" : "encrypted with aes-256-gcm",
	    (unsigned long long)(cli->conf->chunk_size >> 10));
	if (cli->conf->encryption != CONF_CIPHER_NONE)
		printf("Without its password nobody, not even you, can read this repository: keep the\n"
		    "password safe, and keep a copy of the key offline: virtvault key export --to FILE\n");
	return CLI_EXIT_OK;
}
