/*
 * virtvault report: the state of the backups as one page (HTML) or JSON
 * (jobrun/report.h gathers and renders).
 */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "common/fsutil.h"
#include "common/log.h"
#include "jobrun/report.h"
#include "repo/layout.h"

/* The longest period: the run history keeps 400 days. */
#define MAX_DAYS 3650

int
cmd_report(struct cli *cli, int argc, char **argv)
{
	static const char use[] = "usage: virtvault report [--host HOST] [--days N] (--html FILE | --json)\n\n"
	    "The state of the backups: per domain its runs over the last N days (30)\n"
	    "as plots (duration, bytes read and stored, time on overlays, read\n"
	    "mode), its failures, its copies (copy_to), its last boot check (with\n"
	    "the screenshot); for the repository its stored bytes and chunks over\n"
	    "time, and the snapshots kept per group with when each expires under\n"
	    "its job's keep rules.\n"
	    "--html writes one self-contained page to FILE (no script, no external\n"
	    "asset); --json prints the same data. Runs come from this host's\n"
	    "state_dir; everything else from the repository. --host shows only\n"
	    "that host's snapshots (and this host's runs only when it is this one).\n";
	static const struct option opts[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "days", required_argument, NULL, 'd' },
		{ "html", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct report_opts o = { .days = REPORT_DAYS };
	const char *html = NULL;
	struct report rep;
	bool json = false;
	struct repo *r;
	int ch, ret = CLI_EXIT_FAILURE;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'H': o.host = optarg; break;
		case 'd': {
			char *end = NULL;
			unsigned long v;

			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' || optarg[0] == '-' || v < 1 ||
			    v > MAX_DAYS) {
				log_error("--days %s: a number of days from 1 to %d", optarg, MAX_DAYS);
				return CLI_EXIT_USAGE;
			}
			o.days = (unsigned)v;
			break;
		}
		case 'o': html = optarg; break;
		case 'j': json = true; break;
		case 'h': fputs(use, stdout); return CLI_EXIT_OK;
		default: fputs(use, stderr); return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc || (html == NULL) == !json || (o.host != NULL && !layout_name_valid(o.host))) {
		fputs(use, stderr);
		return CLI_EXIT_USAGE;
	}
	if ((r = cli_repo(cli, &ch)) == NULL)
		return ch;
	o.now = time(NULL);
	if (report_gather(cli->conf, r, &o, &rep) < 0)
		goto out;
	if (json) {
		json_object *j = report_json(&rep);

		printf("%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY));
		json_object_put(j);
		ret = CLI_EXIT_OK;
	} else {
		char *page = report_html(&rep);

		/* Atomic, 0644: the page names domains and errors, never a secret. */
		if (fs_write_atomic(html, page, strlen(page), 0644) == 0)
			ret = CLI_EXIT_OK;
		free(page);
	}
	if (ret == CLI_EXIT_OK && rep.unreadable > 0) {
		log_error("%zu manifests could not be read: the report leaves them out", rep.unreadable);
		ret = CLI_EXIT_FAILURE;
	}
	report_clear(&rep);
out:
	repo_close(r);
	return ret;
}
