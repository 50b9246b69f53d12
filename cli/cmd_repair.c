/*
 * virtvault repair: bring back domains whose backup was interrupted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/instant.h"
#include "agent/repair.h"
#include "cli/cli.h"
#include "common/log.h"
#include "state/lock.h"

int
cmd_repair(struct cli *cli, int argc, char **argv)
{
	static const char use[] = "usage: virtvault repair DOMAIN...\n\n"
	    "Brings back each domain whose backup was interrupted (its journal in\n"
	    "state_dir): commits and pivots an overlay still active, deletes leftover\n"
	    "overlays, verifies the chains, and says what it did. An interrupted\n"
	    "instant restore (restore --instant) is finished: its disks pulled, its\n"
	    "mount released, while the guest runs.\n";
	struct hv *hv;
	size_t ok = 0, failed = 0;
	/* "--" ends the options: a domain name may start with '-'. */
	int first = argc > 1 && strcmp(argv[1], "--") == 0 ? 2 : 1;

	if (cli_help_asked(argc, argv)) {
		fputs(use, stdout);
		return CLI_EXIT_OK;
	}
	if (argc <= first || (first == 1 && argv[1][0] == '-')) {
		fputs(use, stderr);
		return CLI_EXIT_USAGE;
	}
	if (cli_load_conf(cli, false) < 0)
		return CLI_EXIT_USAGE;
	if ((hv = hv_open_libvirt(cli->conf->libvirt_uri)) == NULL)
		return CLI_EXIT_FAILURE;
	for (int i = first; i < argc; i++) {
		int lock;
		bool did = false;

		int irc = 1;

		if (state_lock_domain(cli->conf->state_dir, argv[i], &lock) != 0 ||
		    repair_domain(hv, cli->conf, argv[i], &did, cli->verbosity < 0) < 0 ||
		    (irc = instant_repair(hv, cli->conf, argv[i], cli->verbosity < 0)) < 0) {
			printf("%s: repair FAILED (see the errors above)\n", argv[i]);
			failed++;
		} else {
			printf("%s: %s\n", argv[i], did || irc == 0 ? "repaired" : "nothing to repair");
			ok++;
		}
		state_unlock_domain(lock);
	}
	hv_close(hv);
	return failed == 0 ? CLI_EXIT_OK : ok == 0 ? CLI_EXIT_FAILURE : CLI_EXIT_PARTIAL;
}
