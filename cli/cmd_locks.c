/*
 * virtvault locks / unlock: the repository's lock objects.
 */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "common/log.h"
#include "repo/lock.h"

/* L's state for people: "held", "stale: WHY" or "invalid: WHY". */
static const char *
lock_state(const struct repo_lock_info *l, char *buf, size_t len)
{
	if (!l->stale)
		return "held";
	snprintf(buf, len, "%s: %s", l->invalid ? "invalid" : "stale", l->why);
	return buf;
}

int
cmd_locks(struct cli *cli, int argc, char **argv)
{
	static const char use[] = "usage: virtvault locks [--json]\n\n"
	    "Lists the repository's locks: kind, host, process, what it does, age,\n"
	    "and whether it is stale (not refreshed for 30 minutes, or its process\n"
	    "on this machine is gone) or invalid (a time more than 10 minutes ahead\n"
	    "of this host's clock; treated as stale).\n";
	struct repo_lock_info *l = NULL;
	size_t n = 0;
	bool json = false;
	struct repo *r;
	time_t now = time(NULL);
	char state[128];
	int ch;

	if ((ch = cli_json_opts(argc, argv, use, &json)) >= 0)
		return ch;
	if (cli_operands("locks", argc, argv, optind, "") < 0) {
		fputs(use, stderr);
		return CLI_EXIT_USAGE;
	}
	if ((r = cli_repo(cli, &ch)) == NULL)
		return ch;
	if (repo_locks_list(r, &l, &n) < 0) {
		repo_close(r);
		return CLI_EXIT_FAILURE;
	}
	if (json) {
		json_object *arr = json_object_new_array();

		for (size_t i = 0; i < n; i++) {
			json_object *o = json_object_new_object();
			char when[UTIL_UTC_LEN];

			json_object_object_add(o, "lock", json_object_new_string(l[i].key));
			json_object_object_add(o, "kind", json_object_new_string(l[i].kind));
			json_object_object_add(o, "host", json_object_new_string(l[i].host));
			json_object_object_add(o, "pid", json_object_new_int64(l[i].pid));
			json_object_object_add(o, "what", json_object_new_string(l[i].what));
			json_object_object_add(o, "created", json_object_new_string(util_format_utc(l[i].created, when, sizeof(when))));
			/* No age for a lock from the future (null). */
			json_object_object_add(o, "age", l[i].created > now ? NULL :
			    json_object_new_int64((int64_t)(now - l[i].created)));
			json_object_object_add(o, "stale", json_object_new_boolean(l[i].stale));
			json_object_object_add(o, "invalid", json_object_new_boolean(l[i].invalid));
			if (l[i].stale)
				json_object_object_add(o, "why", json_object_new_string(l[i].why));
			json_object_array_add(arr, o);
		}
		printf("%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY));
		json_object_put(arr);
	} else {
		printf("%-22s  %-9s  %-16s  %7s  %7s  %-20s  %s\n", "LOCK", "KIND", "HOST", "PID", "AGE",
		    "WHAT", "STATE");
		for (size_t i = 0; i < n; i++) {
			char age[24];

			if (l[i].created > now)
				snprintf(age, sizeof(age), "-");
			else
				snprintf(age, sizeof(age), "%llds", (long long)(now - l[i].created));
			printf("%-22s  %-9s  %-16s  %7ld  %7s  %-20s  %s\n", l[i].key, l[i].kind,
			    l[i].host, l[i].pid, age, l[i].what, lock_state(&l[i], state, sizeof(state)));
		}
	}
	free(l);
	repo_close(r);
	return CLI_EXIT_OK;
}

int
cmd_unlock(struct cli *cli, int argc, char **argv)
{
	static const char use[] = "usage: virtvault unlock [--force] [LOCK...]\n\n"
	    "Removes stale and invalid locks (all of them, or those named: locks/ID\n"
	    "or ID).\n"
	    "--force removes the named locks, or every lock, even when held: only\n"
	    "when you know their holders are gone (a backup whose lock was removed\n"
	    "refuses to publish its snapshot).\n";
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct repo_lock_info *l = NULL;
	size_t n = 0, removed = 0, kept = 0;
	char state[128];
	bool force = false;
	struct repo *r;
	int ch, failed = 0;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'f': force = true; break;
		case 'h': fputs(use, stdout); return CLI_EXIT_OK;
		default: fputs(use, stderr); return CLI_EXIT_USAGE;
		}
	}
	if ((r = cli_repo_admin(cli, "unlock", &ch)) == NULL)
		return ch;
	if (repo_locks_list(r, &l, &n) < 0) {
		repo_close(r);
		return CLI_EXIT_FAILURE;
	}
	for (int a = optind; a < argc; a++) {
		bool found = false;

		for (size_t i = 0; i < n && !found; i++)
			found = strcmp(l[i].key, argv[a]) == 0 || strcmp(l[i].key + 6, argv[a]) == 0;
		if (!found) {
			log_error("no lock %s (see 'virtvault locks')", argv[a]);
			failed++;
		}
	}
	for (size_t i = 0; i < n; i++) {
		bool named = optind == argc;

		for (int a = optind; a < argc && !named; a++)
			named = strcmp(l[i].key, argv[a]) == 0 || strcmp(l[i].key + 6, argv[a]) == 0;
		if (!named)
			continue;
		if (!l[i].stale && !force) {
			printf("kept %s: held by host %s, pid %ld (%s); --force removes it\n", l[i].key,
			    l[i].host, l[i].pid, l[i].what);
			kept++;
			continue;
		}
		if (repo_lock_remove(r, l[i].key) < 0) {
			failed++;
			continue;
		}
		printf("removed %s (%s lock of host %s, pid %ld, %s)\n", l[i].key, l[i].kind, l[i].host,
		    l[i].pid, lock_state(&l[i], state, sizeof(state)));
		removed++;
	}
	printf("%zu lock%s removed, %zu kept\n", removed, removed == 1 ? "" : "s", kept);
	free(l);
	repo_close(r);
	return failed ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}
