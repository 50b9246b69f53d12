/*
 * virtvault schedule: the next times a cron expression fires.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/cron.h"
#include "common/log.h"
#include "scheduler/sched_env.h"

int
cmd_schedule(struct cli *cli, int argc, char **argv)
{
	static const char use[] = "usage: virtvault schedule 'EXPR' [-n N] [--timezone ZONE]\n\n"
	    "Prints the next N (default 5) times the cron expression EXPR fires, in\n"
	    "local time (or ZONE). Needs no configuration. Exit 2 when EXPR is invalid.\n";
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "timezone", required_argument, NULL, 'z' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *tz = NULL;
	struct cron c;
	char err[200], buf[64];
	long n = 5;
	time_t t;
	int ch;

	(void)cli;
	while ((ch = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'n': {
			char *end;

			n = strtol(optarg, &end, 10);
			if (*end != '\0' || n < 1 || n > 1000) {
				log_error("-n '%s': expected a count from 1 to 1000", optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		}
		case 'z':
			if (!cron_zone_valid(optarg)) {
				log_error("--timezone '%s': not a time zone of /usr/share/zoneinfo", optarg);
				return CLI_EXIT_USAGE;
			}
			tz = optarg;
			break;
		case 'h': fputs(use, stdout); return CLI_EXIT_OK;
		default: fputs(use, stderr); return CLI_EXIT_USAGE;
		}
	}
	if (cli_operands("schedule", argc, argv, optind, "'EXPR'") < 0) {
		fputs(use, stderr);
		return CLI_EXIT_USAGE;
	}
	if (cron_parse(argv[optind], &c, err, sizeof(err)) < 0) {
		log_error("schedule '%s': %s", argv[optind], err);
		return CLI_EXIT_USAGE;
	}
	t = sched_env_now();
	for (long i = 0; i < n; i++) {
		if (cron_next(&c, t, tz, &t) < 0) {
			if (i == 0)
				log_error("schedule '%s' never fires", argv[optind]);
			return i == 0 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
		}
		cli_format_time(t, tz, buf, sizeof(buf));
		printf("%s\n", buf);
	}
	return CLI_EXIT_OK;
}
