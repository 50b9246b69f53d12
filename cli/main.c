/*
 * virtvault: the command line. Global options, then one command.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/version.h"
#include "common/log.h"

struct command {
	const char *name;
	int (*fn)(struct cli *cli, int argc, char **argv);
	const char *args;
	const char *summary;
};

static const struct command commands[] = {
	{ "config", cmd_config, "check", "check the configuration; print it, redacted" },
	{ "disks", cmd_disks, "DOMAIN [--json]", "a domain's disks and their backing chains" },
	{ "check-chain", cmd_check_chain, "DOMAIN...", "find leftover overlays, snapshots, block jobs" },
	{ "init", cmd_init, "[--format 2|3]", "create the repository of the configuration" },
	{ "upgrade", cmd_upgrade, "", "raise the repository to format 3" },
	{ "backup", cmd_backup, "DOMAIN...|--all|--job NAME", "back up domains live (or --image PATH...)" },
	{ "repair", cmd_repair, "DOMAIN...", "bring back domains whose backup was interrupted" },
	{ "list", cmd_list, "[NAME] [--host H] [--json]", "snapshots, newest first" },
	{ "show", cmd_show, "SNAPSHOT [--json]", "one snapshot's manifest" },
	{ "restore", cmd_restore, "SNAPSHOT --to DIR", "restore files, verified, sparse" },
	{ "forget", cmd_forget, "--job NAME|--keep-*|SNAPSHOT...", "remove snapshots by policy, or those named" },
	{ "prune", cmd_prune, "[--dry-run] [--json]", "delete data no snapshot references, and debris" },
	{ "locks", cmd_locks, "[--json]", "the repository's locks, and which are stale" },
	{ "unlock", cmd_unlock, "[--force] [LOCK...]", "remove stale locks (--force: any)" },
	{ "recover", cmd_recover, "[--as-of TIME] [--dry-run]", "after an attack: last good versions back" },
	{ "key", cmd_key, "list|add|passwd|remove KID|export --to F", "passwords of the repository, and its master key" },
	{ "stats", cmd_stats, "[SNAPSHOT...|--host H|--all]", "sizes per group, stored bytes, dedup ratio" },
	{ "diff", cmd_diff, "SNAPSHOT1 SNAPSHOT2", "chunks and bytes changed, per file" },
	{ "export", cmd_export, "SNAPSHOT --to FILE|-", "one tar archive (sparse), for GNU tar" },
	{ "import", cmd_import, "FILE|- [--name N]", "an exported or plain tar as a snapshot" },
	{ "copy", cmd_copy, "[SNAPSHOT|NAME...] --to REPO", "snapshots into another repository" },
	{ "mount", cmd_mount, "SNAPSHOT DIR", "its files read-only (FUSE), on demand" },
	{ "verify", cmd_verify, "[SNAPSHOT...] [--deep] [--sample P] | --boot SNAPSHOT", "check snapshots; --deep reads, --boot boots one" },
	{ "daemon", cmd_daemon, "[--pidfile FILE]", "run the jobs at their scheduled times" },
	{ "report", cmd_report, "(--html FILE|--json)", "runs, boot checks and snapshots as one page" },
	{ "status", cmd_status, "[--json]", "last and next runs per job and domain" },
	{ "schedule", cmd_schedule, "'EXPR' [-n N]", "the next times a cron expression fires" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void
usage(FILE *out)
{
	fprintf(out, "usage: virtvault [-c FILE] [--repo NAME] [-v|-q] [--no-cache] COMMAND [ARGS]\n\n"
	    "Backs up running libvirt/KVM virtual machines into a deduplicated,\n"
	    "encrypted repository, and restores them.\n\nCommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++) {
		char head[64];

		snprintf(head, sizeof(head), "%s %s", commands[i].name, commands[i].args);
		/* Within 80 columns: a long synopsis puts its summary below it. */
		if (strlen(head) > 28)
			fprintf(out, "  %s\n%31s%s\n", head, "", commands[i].summary);
		else
			fprintf(out, "  %-28s %s\n", head, commands[i].summary);
	}
	fprintf(out, "\nOptions:\n"
	    "  -c, --config FILE  configuration file (default: $VIRTVAULT_CONFIG,\n"
	    "                     else " CONF_DEFAULT_PATH ")\n"
	    "      --repo NAME    act on the repository of [repository NAME]\n"
	    "  -v, --verbose      more detail (debug messages)\n"
	    "  -q, --quiet        errors only, no progress\n"
	    "      --no-cache     neither read nor write the local cache of manifests\n"
	    "                     and indexes (state_dir/cache)\n"
	    "  -h, --help         this help; 'virtvault COMMAND --help' for a command\n"
	    "  -V, --version      print the version\n\n"
	    "Exit codes:\n"
	    "  0  success\n"
	    "  1  failure\n"
	    "  2  usage or configuration error\n"
	    "  3  partial failure: some domains failed, others succeeded\n");
}

/*
 * Take -c FILE, --config FILE, --config=FILE, --repo NAME, --repo=NAME, -v,
 * --verbose, -q, --quiet and --no-cache from ARGV[FROM..] (up to a "--"),
 * shifting the rest down. Returns 0, or -1 when -c or --repo lacks its value.
 */
static int
take_global_options(struct cli *cli, int *argc, char **argv, int from)
{
	int out = from;

	for (int i = from; i < *argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0) {
			while (i < *argc)
				argv[out++] = argv[i++];
			break;
		}
		if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) {
			if (i + 1 >= *argc)
				return -1;
			cli->config_path = argv[++i];
		} else if (strncmp(a, "--config=", 9) == 0) {
			cli->config_path = a + 9;
		} else if (strcmp(a, "--repo") == 0) {
			if (i + 1 >= *argc)
				return -1;
			cli->repo_name = argv[++i];
		} else if (strncmp(a, "--repo=", 7) == 0) {
			cli->repo_name = a + 7;
		} else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
			cli->verbosity = 1;
		} else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
			cli->verbosity = -1;
		} else if (strcmp(a, "--no-cache") == 0) {
			cli->no_cache = true;
		} else {
			argv[out++] = argv[i];
		}
	}
	*argc = out;
	argv[out] = NULL;
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "no-cache", no_argument, NULL, 'N' },
		{ "repo", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli cli = { NULL, 0, false, NULL, NULL, NULL };
	const char *name;
	int ch, ret;

	log_setup("virtvault", LOG_LVL_INFO, false);
	/* '+': stop at the command; its options are its own. */
	while ((ch = getopt_long(argc, argv, "+c:vqhV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			cli.config_path = optarg;
			break;
		case 'v':
			cli.verbosity = 1;
			break;
		case 'q':
			cli.verbosity = -1;
			break;
		case 'N':
			cli.no_cache = true;
			break;
		case 'R':
			cli.repo_name = optarg;
			break;
		case 'h':
			usage(stdout);
			return CLI_EXIT_OK;
		case 'V':
			printf("virtvault %s\n", VV_VERSION);
			return CLI_EXIT_OK;
		default:
			usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	name = argv[optind];
	/* The global options may come after the command too. */
	if (take_global_options(&cli, &argc, argv, optind + 1) < 0) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (cli.verbosity != 0)
		log_setup("virtvault", cli.verbosity > 0 ? LOG_LVL_DEBUG : LOG_LVL_ERROR, false);
	for (size_t i = 0; i < NCOMMANDS; i++) {
		int sub_argc = argc - optind;
		char **sub_argv = argv + optind;

		if (strcmp(name, commands[i].name) != 0)
			continue;
		/* Commands parse their own options from a fresh getopt state. */
		optind = 0;
		ret = commands[i].fn(&cli, sub_argc, sub_argv);
		conf_free(cli.conf);
		return ret;
	}
	{
		const char *best = NULL;
		size_t bestd = 3;

		for (size_t i = 0; i < NCOMMANDS; i++) {
			size_t d = util_edit_distance(name, commands[i].name);

			if (d < bestd) {
				bestd = d;
				best = commands[i].name;
			}
		}
		if (best != NULL)
			log_error("unknown command '%s' (did you mean '%s'? see 'virtvault --help')", name,
			    best);
		else
			log_error("unknown command '%s' (see 'virtvault --help')", name);
	}
	return CLI_EXIT_USAGE;
}
