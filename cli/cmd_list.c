/*
 * virtvault list: snapshots, newest first.
 */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/log.h"
#include "repo/layout.h"
#include "repo/manifest.h"

static uint64_t
total_size(const struct manifest *m)
{
	uint64_t t = 0;

	for (size_t i = 0; i < m->nfiles; i++)
		t += m->files[i].size;
	return t;
}

int
cmd_list(struct cli *cli, int argc, char **argv)
{
	static const char use[] = "usage: virtvault list [NAME] [--host HOST] [--json]\n\n"
	    "Lists snapshots (of NAME, or all; of HOST, or of every host), newest first.\n"
	    "A snapshot is chosen elsewhere by its ID (or a unique prefix of it), or\n"
	    "by [HOST/]NAME@latest (HOST: this host, [agent] host, when not given),\n"
	    "or [HOST/]NAME@ID. A snapshot whose time is in the future is listed with\n"
	    "a warning (and \"future\": true), but never taken as @latest.\n"
	    "Exit 1 when NAME or HOST was given and no snapshot matches (with --json,\n"
	    "[] is printed all the same).\n";
	static const struct option opts[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct manifest **l = NULL;
	size_t n = 0, bad = 0;
	const char *host = NULL;
	struct repo *r;
	bool json = false;
	int ch;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'H': host = optarg; break;
		case 'j': json = true; break;
		case 'h': fputs(use, stdout); return CLI_EXIT_OK;
		default: fputs(use, stderr); return CLI_EXIT_USAGE;
		}
	}
	if (argc - optind > 1 || (optind < argc && !layout_name_valid(argv[optind])) ||
	    (host != NULL && !layout_name_valid(host))) {
		fputs(use, stderr);
		return CLI_EXIT_USAGE;
	}
	if ((r = cli_repo(cli, &ch)) == NULL)
		return ch;
	if (manifest_load_all(r, host, optind < argc ? argv[optind] : NULL, &l, &n, &bad) < 0) {
		repo_close(r);
		return CLI_EXIT_FAILURE;
	}
	if (json) {
		json_object *arr = json_object_new_array();

		for (size_t i = 0; i < n; i++) {
			json_object *o = cli_snapshot_json(l[i]);

			json_object_object_add(o, "size", json_object_new_int64((int64_t)total_size(l[i])));
			json_object_object_add(o, "stored", json_object_new_int64((int64_t)l[i]->stats.bytes_stored));
			json_object_object_add(o, "files", json_object_new_int((int)l[i]->nfiles));
			json_object_array_add(arr, o);
		}
		printf("%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY));
		json_object_put(arr);
	} else {
		printf("%-16s  %-20s  %-16s  %-24s  %10s  %10s\n", "SNAPSHOT", "TIME", "HOST", "NAME",
		    "SIZE", "STORED");
		for (size_t i = 0; i < n; i++) {
			char a[32], b[32];
			char *shost = util_escape(*manifest_host(l[i]) ? manifest_host(l[i]) : NULL);
			char *sname = util_escape(l[i]->name);

			printf("%-16s  %-20s  %-16s  %-24s  %10s  %10s\n", l[i]->id, l[i]->time, shost, sname,
			    util_format_size(total_size(l[i]), a, sizeof(a)),
			    util_format_size(l[i]->stats.bytes_stored, b, sizeof(b)));
			free(shost);
			free(sname);
		}
	}
	manifest_list_free(l, n);
	repo_close(r);
	if (n == 0 && (optind < argc || host != NULL)) {
		/* A filter that matches nothing is an answer a script must see. */
		log_error("no snapshot of %s%s%s in the repository; 'virtvault list' shows what is there",
		    optind < argc ? argv[optind] : "any name", host ? " on host " : "", host ? host : "");
		return CLI_EXIT_FAILURE;
	}
	return bad ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}
