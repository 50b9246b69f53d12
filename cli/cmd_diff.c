/*
 * virtvault diff: what changed between two snapshots, per file.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "repo/stats.h"

int
cmd_diff(struct cli *cli, int argc, char **argv)
{
	static const char use[] = "usage: virtvault diff SNAPSHOT1 SNAPSHOT2 [--json]\n\n"
	    "Per file (matched by name): whether it is the same, changed, added or\n"
	    "removed, and how many chunks differ from SNAPSHOT1 to SNAPSHOT2; BYTES:\n"
	    "the size of the chunks changed, added or removed (a removed file: its size).\n";
	struct manifest *a = NULL, *b = NULL;
	struct diff_file *d = NULL;
	size_t n = 0;
	bool json = false;
	struct repo *r;
	int ch, ret = CLI_EXIT_FAILURE;

	if ((ch = cli_json_opts(argc, argv, use, &json)) >= 0)
		return ch;
	if (cli_operands("diff", argc, argv, optind, "SNAPSHOT1 SNAPSHOT2") < 0) {
		fputs(use, stderr);
		return CLI_EXIT_USAGE;
	}
	if ((r = cli_repo(cli, &ch)) == NULL)
		return ch;
	if ((a = cli_find_snapshot(r, argv[optind])) == NULL ||
	    (b = cli_find_snapshot(r, argv[optind + 1])) == NULL ||
	    stats_diff(r, a, b, &d, &n) < 0)
		goto out;
	if (json) {
		json_object *arr = json_object_new_array();

		for (size_t i = 0; i < n; i++) {
			json_object *o = json_object_new_object();

			json_object_object_add(o, "file", json_object_new_string(d[i].name));
			json_object_object_add(o, "status", json_object_new_string(d[i].status));
			json_object_object_add(o, "chunks_changed", json_object_new_int64((int64_t)d[i].chunks_changed));
			json_object_object_add(o, "chunks_added", json_object_new_int64((int64_t)d[i].chunks_added));
			json_object_object_add(o, "chunks_removed", json_object_new_int64((int64_t)d[i].chunks_removed));
			json_object_object_add(o, "bytes_changed", json_object_new_int64((int64_t)d[i].bytes_changed));
			json_object_object_add(o, "bytes_removed", json_object_new_int64((int64_t)d[i].bytes_removed));
			json_object_object_add(o, "size_before", json_object_new_int64((int64_t)d[i].size_a));
			json_object_object_add(o, "size_after", json_object_new_int64((int64_t)d[i].size_b));
			json_object_array_add(arr, o);
		}
		printf("%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY));
		json_object_put(arr);
	} else {
		printf("%-32s  %-8s  %8s  %8s  %8s  %10s\n", "FILE", "STATUS", "CHANGED", "ADDED",
		    "REMOVED", "BYTES");
		for (size_t i = 0; i < n; i++) {
			char s[32];

			printf("%-32s  %-8s  %8llu  %8llu  %8llu  %10s\n", d[i].name, d[i].status,
			    (unsigned long long)d[i].chunks_changed, (unsigned long long)d[i].chunks_added,
			    (unsigned long long)d[i].chunks_removed,
			    util_format_size(d[i].bytes_changed + d[i].bytes_removed, s, sizeof(s)));
		}
	}
	ret = CLI_EXIT_OK;
out:
	free(d);
	manifest_free(a);
	manifest_free(b);
	repo_close(r);
	return ret;
}
