/*
 * virtvault repair: bring back domains whose backup was interrupted; with
 * --forget-cbt, drop their changed-block tracking checkpoints.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/bootcheck.h"
#include "agent/cbt_tidy.h"
#include "agent/instant.h"
#include "agent/repair.h"
#include "cli/cli.h"
#include "common/log.h"
#include "common/outcome.h"
#include "state/lock.h"

/*
 * Repair DOM; a name that is neither a domain nor has a journal is an
 * error. Returns 0 (*DID: whether there was something to do) or -1.
 */
static int
repair_one(struct cli *cli, struct hv *hv, const char *dom, bool *did)
{
	int irc = 1, rc;
	bool boot = false;

	*did = false;
	/* Interrupted boot checks of DOM (or DOM a throwaway domain) first: nothing of the original. */
	if (bootcheck_repair(hv, cli->conf, dom, &boot) < 0)
		return -1;
	if (boot && strncmp(dom, BOOTCHECK_PREFIX, strlen(BOOTCHECK_PREFIX)) == 0) {
		*did = true;
		return 0;
	}
	if (repair_domain(hv, cli->conf, dom, did, cli->verbosity < 0) < 0 ||
	    (irc = instant_repair(hv, cli->conf, dom, cli->verbosity < 0)) < 0)
		return -1;
	*did = *did || irc == 0 || boot;
	if (*did)
		return 0;
	rc = hv_domain_state(hv, dom, NULL, NULL);
	if (rc == VV_NOT_FOUND)
		log_error("domain %s: not found at %s", dom, hv_uri(hv));
	return rc == 0 ? 0 : -1;
}

/* Drop DOM's checkpoints of virtvault and references. Returns 0 or -1. */
static int
forget_cbt(struct cli *cli, struct hv *hv, const char *dom)
{
	size_t n = 0;
	int rc = cbt_tidy_forget_domain(hv, cli->conf, dom, &n);

	if (rc == VV_NOT_FOUND)
		log_error("domain %s: not found at %s", dom, hv_uri(hv));
	if (rc != 0)
		return -1;
	printf("%s: %zu checkpoint%s of virtvault dropped with %s bitmaps; its next backups read every disk whole\n",
	    dom, n, n == 1 ? "" : "s", n == 1 ? "its" : "their");
	return 0;
}

int
cmd_repair(struct cli *cli, int argc, char **argv)
{
	static const char use[] = "usage: virtvault repair [--forget-cbt] DOMAIN...\n\n"
	    "Brings back each domain whose backup was interrupted (its journal in\n"
	    "state_dir): commits and pivots an overlay still active, deletes leftover\n"
	    "overlays, verifies the chains, and says what it did. An interrupted\n"
	    "instant restore (restore --instant) is finished: its disks pulled, its\n"
	    "mount released, while the guest runs. What an interrupted boot check\n"
	    "(verify --boot) of the domain left is removed: its throwaway domain,\n"
	    "mount, overlays, firmware and TPM copies.\n"
	    "--forget-cbt instead drops every\n"
	    "changed-block tracking checkpoint of virtvault of each domain, with its\n"
	    "bitmaps in the images and its references in state_dir (so that\n"
	    "'virsh undefine' works): the next backups read every disk whole.\n";
	static const struct option opts[] = {
		{ "forget-cbt", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct hv *hv;
	size_t ok = 0, failed = 0;
	bool forget = false;
	int ch;

	/* "+": options first; "--" ends them, as a domain may start with '-'. */
	while ((ch = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (ch) {
		case 'F': forget = true; break;
		case 'h': fputs(use, stdout); return CLI_EXIT_OK;
		default: fputs(use, stderr); return CLI_EXIT_USAGE;
		}
	}
	if (cli_operands("repair", argc, argv, optind, "DOMAIN...") < 0) {
		fputs(use, stderr);
		return CLI_EXIT_USAGE;
	}
	if (cli_load_conf(cli, false) < 0)
		return CLI_EXIT_USAGE;
	if ((hv = hv_open_libvirt(cli->conf->libvirt_uri)) == NULL)
		return CLI_EXIT_FAILURE;
	for (int i = optind; i < argc; i++) {
		int lock = -1, rc = -1;
		bool did = false;

		if (state_lock_domain(cli->conf->state_dir, argv[i], &lock) == 0)
			rc = forget ? forget_cbt(cli, hv, argv[i]) : repair_one(cli, hv, argv[i], &did);
		if (rc < 0) {
			printf("%s: %s FAILED (see the errors above)\n", argv[i],
			    forget ? "forget-cbt" : "repair");
			failed++;
		} else {
			if (!forget)
				printf("%s: %s\n", argv[i], did ? "repaired" : "nothing to repair");
			ok++;
		}
		if (lock >= 0)
			state_unlock_domain(lock);
	}
	hv_close(hv);
	return failed == 0 ? CLI_EXIT_OK : ok == 0 ? CLI_EXIT_FAILURE : CLI_EXIT_PARTIAL;
}
