/*
 * virtvault recover: after an attack with a host's credential, the last
 * good version of every object made its current one again (repo/recover.c).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/log.h"
#include "common/util_time.h"
#include "repo/recover.h"

int
cmd_recover(struct cli *cli, int argc, char **argv)
{
	static const char use[] = "usage: virtvault recover [--as-of TIME] [--dry-run]\n\n"
	    "In a versioned bucket, after someone with a host's credential overwrote\n"
	    "or deleted objects: every config, key, manifest, index and chunk object\n"
	    "whose current version does not authenticate, or is a delete marker, is\n"
	    "written again from its newest version that does (with --as-of TIME, a\n"
	    "UTC time such as 2026-11-26T02:00:00Z, from the newest not newer than\n"
	    "TIME, and so are current versions newer than TIME). Each object\n"
	    "rewritten is named. Uses the admin credential ([repository]\n"
	    "admin_access_key and admin_secret_key) when set. --dry-run only says\n"
	    "what it would rewrite.\n";
	static const struct option opts[] = {
		{ "as-of", required_argument, NULL, 'a' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct recover_opts o = { 0, false };
	struct recover_stats st;
	struct repo *r;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'a':
			if (util_parse_time(optarg, &o.as_of) < 0) {
				log_error("--as-of '%s': expected a UTC time such as 2026-11-26T02:00:00Z",
				    optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'n': o.dry_run = true; break;
		case 'h': fputs(use, stdout); return CLI_EXIT_OK;
		default: fputs(use, stderr); return CLI_EXIT_USAGE;
		}
	}
	if (cli_operands("recover", argc, argv, optind, "") < 0) {
		fputs(use, stderr);
		return CLI_EXIT_USAGE;
	}
	if ((r = cli_repo_admin(cli, "recover", &ch)) == NULL)
		return ch;
	rc = recover_run(r, &o, &st);
	printf("%zu objects checked, %zu %s, %zu without a version that authenticates\n",
	    st.checked, st.rewritten, o.dry_run ? "to rewrite" : "rewritten", st.lost);
	repo_close(r);
	return rc == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}
