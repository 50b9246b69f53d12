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
	static const char use[] = "usage: virtvault list [NAME] [--json]\n\n"
	    "Lists snapshots (of NAME, or all), newest first.\n";
	struct manifest **l = NULL;
	size_t n = 0, bad = 0;
	struct repo *r;
	bool json = false;
	int ch;

	if ((ch = cli_json_opts(argc, argv, use, &json)) >= 0)
		return ch;
	if (argc - optind > 1 || (optind < argc && !layout_name_valid(argv[optind]))) {
		fputs(use, stderr);
		return CLI_EXIT_USAGE;
	}
	if (cli_load_conf(cli, true) < 0)
		return CLI_EXIT_USAGE;
	if ((r = repo_open(cli->conf)) == NULL)
		return CLI_EXIT_FAILURE;
	if (manifest_load_all(r, optind < argc ? argv[optind] : NULL, &l, &n, &bad) < 0) {
		repo_close(r);
		return CLI_EXIT_FAILURE;
	}
	if (json) {
		json_object *arr = json_object_new_array();

		for (size_t i = 0; i < n; i++) {
			json_object *o = json_object_new_object();

			json_object_object_add(o, "snapshot", json_object_new_string(l[i]->id));
			json_object_object_add(o, "name", json_object_new_string(l[i]->name));
			json_object_object_add(o, "time", json_object_new_string(l[i]->time));
			json_object_object_add(o, "size", json_object_new_int64((int64_t)total_size(l[i])));
			json_object_object_add(o, "stored", json_object_new_int64((int64_t)l[i]->stats.bytes_stored));
			json_object_object_add(o, "files", json_object_new_int((int)l[i]->nfiles));
			json_object_array_add(arr, o);
		}
		printf("%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY));
		json_object_put(arr);
	} else {
		printf("%-16s  %-20s  %-24s  %10s  %10s\n", "SNAPSHOT", "TIME", "NAME", "SIZE", "STORED");
		for (size_t i = 0; i < n; i++) {
			char a[32], b[32];

			printf("%-16s  %-20s  %-24s  %10s  %10s\n", l[i]->id, l[i]->time, l[i]->name,
			    util_format_size(total_size(l[i]), a, sizeof(a)),
			    util_format_size(l[i]->stats.bytes_stored, b, sizeof(b)));
		}
	}
	manifest_list_free(l, n);
	repo_close(r);
	return bad ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}
