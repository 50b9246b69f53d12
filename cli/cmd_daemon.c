/*
 * virtvault daemon: run the jobs at their scheduled times.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/log.h"
#include "scheduler/daemon.h"

int
cmd_daemon(struct cli *cli, int argc, char **argv)
{
	static const char use[] = "usage: virtvault daemon [--pidfile FILE]\n\n"
	    "Runs every [job NAME] at the times of its schedule, in the foreground,\n"
	    "logging to stderr (and syslog). At start-up it repairs interrupted\n"
	    "backups. SIGHUP reloads the configuration (a broken one is reported and\n"
	    "the old one kept); SIGTERM or SIGINT stop it after running backups reach\n"
	    "a safe point.\n";
	static const struct option opts[] = {
		{ "pidfile", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct daemon_opts o = { NULL, cli->config_path, NULL };
	char self[4096];
	ssize_t n;
	int ch, r;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'p': o.pidfile = optarg; break;
		case 'h': fputs(use, stdout); return CLI_EXIT_OK;
		default: fputs(use, stderr); return CLI_EXIT_USAGE;
		}
	}
	if (cli_operands("daemon", argc, argv, optind, "") < 0) {
		fputs(use, stderr);
		return CLI_EXIT_USAGE;
	}
	if (cli_load_conf(cli, true) < 0)
		return CLI_EXIT_USAGE;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0) {
		log_error("cannot find the virtvault binary (/proc/self/exe)");
		return CLI_EXIT_FAILURE;
	}
	self[n] = '\0';
	o.self = self;
	/* A path given relative to the start folder stays valid for children. */
	if (o.config_path == NULL && cli->conf->path)
		o.config_path = cli->conf->path;
	r = daemon_run(&o, cli->conf);
	cli->conf = NULL;	/* the daemon freed it */
	return r == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}
