#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "agent/bootcheck.h"
#include "agent/chain.h"
#include "cli/cli.h"
#include "common/log.h"

static void
check_usage(FILE *out)
{
	fprintf(out, "usage: virtvault check-chain DOMAIN...\n\n"
	    "Read-only health check of each domain's disks: reports an overlay of\n"
	    "an interrupted backup (in use or left on disk), leftover snapshot\n"
	    "metadata, a running block job, an image missing on disk, and a\n"
	    "journal that asks for 'virtvault repair' (also of a boot check).\n"
	    "Exit 0 when every domain is healthy, 1 otherwise.\n");
}

int
cmd_check_chain(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct hv *hv = NULL;
	int ch, ret = CLI_EXIT_OK;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			check_usage(stdout);
			return CLI_EXIT_OK;
		default:
			check_usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (cli_operands("check-chain", argc, argv, optind, "DOMAIN...") < 0) {
		check_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (cli_load_conf(cli, false) < 0)
		return CLI_EXIT_USAGE;
	hv = hv_open_libvirt(cli->conf->libvirt_uri);
	if (hv == NULL)
		return CLI_EXIT_FAILURE;
	for (int i = optind; i < argc; i++) {
		struct strlist problems = { 0 };
		const char *dom = argv[i];
		int r;

		r = chain_check(hv, cli->conf->state_dir, cli->conf->overlay_dir,
		    dom, &problems);
		if (r == 0 || r == VV_NOT_FOUND)
			r = bootcheck_leftovers(cli->conf, dom, &problems) > 0 ? 0 : r;
		if (r == VV_NOT_FOUND) {
			printf("%s: not found at %s\n", dom, hv_uri(hv));
			ret = CLI_EXIT_FAILURE;
		} else if (r < 0) {
			printf("%s: could not be checked (see the error above)\n", dom);
			ret = CLI_EXIT_FAILURE;
		} else if (problems.n == 0) {
			printf("%s: healthy\n", dom);
		} else {
			printf("%s: %zu problem%s\n", dom, problems.n,
			    problems.n == 1 ? "" : "s");
			for (size_t j = 0; j < problems.n; j++)
				printf("  %s\n", problems.v[j]);
			ret = CLI_EXIT_FAILURE;
		}
		strlist_clear(&problems);
	}
	hv_close(hv);
	return ret;
}
