/*
 * virtvault key: the passwords of an encrypted repository, and the
 * master key exported for safekeeping.
 */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/log.h"
#include "repo/keys.h"

static const char use[] =
    "usage: virtvault key list [--json]\n"
    "       virtvault key add [--new-password-file FILE]\n"
    "       virtvault key passwd [--new-password-file FILE]\n"
    "       virtvault key remove KID\n"
    "       virtvault key export --to FILE|-\n"
    "       virtvault key upgrade\n\n"
    "Each key wraps the repository's master key under one password. 'add'\n"
    "adds a password; 'passwd' adds the new one and removes the key that\n"
    "opened the repository; 'remove' never removes the last key nor the one\n"
    "in use. The new password comes from --new-password-file (mode 0600),\n"
    "else $VIRTVAULT_NEW_PASSWORD, else it is asked on the terminal\n"
    "(--new-password-file - reads it from the standard input).\n"
    "'export' writes the master key to FILE (mode 0600, never overwritten)\n"
    "or, with -, to the standard output: keep it offline; with [repository]\n"
    "master_key_file = FILE the repository opens when every password is lost.\n"
    "'upgrade' authenticates the parameters of a repository made before\n"
    "they were (its config gets a MAC) and replaces the key of the password\n"
    "in use by one that records it; run it once with each password.\n";

static int
key_list(struct repo *r, bool json)
{
	struct repo_key_info *l = NULL;
	size_t n = 0;

	if (repo_keys_list(r, &l, &n) < 0)
		return CLI_EXIT_FAILURE;
	if (json) {
		json_object *arr = json_object_new_array();

		for (size_t i = 0; i < n; i++) {
			json_object *o = json_object_new_object();

			json_object_object_add(o, "kid", json_object_new_string(l[i].kid));
			json_object_object_add(o, "current", json_object_new_boolean(l[i].current));
			json_object_object_add(o, "created", json_object_new_string(l[i].created));
			json_object_object_add(o, "host", json_object_new_string(l[i].host));
			json_object_object_add(o, "scrypt_n", json_object_new_int64((int64_t)l[i].n));
			json_object_object_add(o, "version", json_object_new_int(l[i].version));
			json_object_array_add(arr, o);
		}
		printf("%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY));
		json_object_put(arr);
	} else {
		printf("  %-16s  %-20s  %-16s  %-8s  %s\n", "KEY", "CREATED", "HOST", "SCRYPT N",
		    "VERSION");
		for (size_t i = 0; i < n; i++)
			printf("%c %-16s  %-20s  %-16s  %-8llu  %d%s\n", l[i].current ? '*' : ' ', l[i].kid,
			    *l[i].created ? l[i].created : "-", *l[i].host ? l[i].host : "-",
			    (unsigned long long)l[i].n, l[i].version,
			    l[i].version < 2 ? " (old: 'key upgrade' with its password)" : "");
	}
	free(l);
	return CLI_EXIT_OK;
}

/* key upgrade: what was done, and the keys of version 1 that are left. */
static int
key_upgrade(struct repo *r)
{
	struct repo_upgrade u;
	struct repo_key_info *l = NULL;
	size_t n = 0, old = 0;

	if (repo_key_upgrade(r, &u) < 0)
		return CLI_EXIT_FAILURE;
	if (u.config)
		printf("the parameters of %s are now authenticated (the config object carries their MAC)\n",
		    repo_url(r));
	if (*u.old_kid != '\0')
		printf("replaced key %s by key %s (the same password), which records it\n", u.old_kid,
		    u.new_kid);
	if (repo_keys_list(r, &l, &n) < 0)
		return CLI_EXIT_FAILURE;
	for (size_t i = 0; i < n; i++) {
		if (l[i].version >= 2)
			continue;
		printf("key %s is still of version 1: run 'virtvault key upgrade' with its password, or remove it\n",
		    l[i].kid);
		old++;
	}
	free(l);
	if (!u.config && *u.old_kid == '\0' && old == 0)
		printf("%s is up to date: nothing to do\n", repo_url(r));
	return CLI_EXIT_OK;
}

int
cmd_key(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "new-password-file", required_argument, NULL, 'p' },
		{ "to", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *pwfile = NULL, *to = NULL, *sub;
	char kid[17], *pw = NULL;
	bool json = false;
	struct repo *r;
	int ch, ret = CLI_EXIT_FAILURE;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'p': pwfile = optarg; break;
		case 't': to = optarg; break;
		case 'j': json = true; break;
		case 'h': fputs(use, stdout); return CLI_EXIT_OK;
		default: fputs(use, stderr); return CLI_EXIT_USAGE;
		}
	}
	sub = optind < argc ? argv[optind] : "";
	if (((strcmp(sub, "list") == 0 || strcmp(sub, "upgrade") == 0) && argc - optind == 1) ||
	    ((strcmp(sub, "add") == 0 || strcmp(sub, "passwd") == 0) && argc - optind == 1) ||
	    (strcmp(sub, "remove") == 0 && argc - optind == 2) ||
	    (strcmp(sub, "export") == 0 && argc - optind == 1 && to != NULL)) {
		/* a known subcommand with its arguments */
	} else {
		if (sub[0] == '\0')
			log_error("key: the subcommand is missing (list, add, passwd, remove KID or export --to FILE)");
		else if (strcmp(sub, "remove") == 0 && argc - optind == 1)
			log_error("key remove: KID is missing");
		else if (strcmp(sub, "export") == 0 && to == NULL)
			log_error("key export: --to FILE is missing");
		fputs(use, stderr);
		return CLI_EXIT_USAGE;
	}
	if ((r = cli_repo(cli, &ch)) == NULL)
		return ch;
	if (strcmp(sub, "list") == 0) {
		ret = key_list(r, json);
	} else if (strcmp(sub, "add") == 0) {
		if ((pw = cli_new_password(pwfile)) == NULL || repo_key_add(r, pw, kid) < 0)
			goto out;
		printf("added key %s\n", kid);
		ret = CLI_EXIT_OK;
	} else if (strcmp(sub, "passwd") == 0) {
		char old[17];

		snprintf(old, sizeof(old), "%s", repo_key_current(r));
		if ((pw = cli_new_password(pwfile)) == NULL || repo_key_passwd(r, pw, kid) < 0)
			goto out;
		printf("added key %s and removed key %s: the old password no longer opens the repository\n",
		    kid, old);
		ret = CLI_EXIT_OK;
	} else if (strcmp(sub, "remove") == 0) {
		if (repo_key_remove(r, argv[optind + 1]) == 0) {
			printf("removed key %s\n", argv[optind + 1]);
			ret = CLI_EXIT_OK;
		}
	} else if (strcmp(sub, "upgrade") == 0) {
		ret = key_upgrade(r);
	} else if (repo_key_export(r, to) == 0) {
		/* With -, the standard output is the key's alone. */
		fprintf(strcmp(to, "-") == 0 ? stderr : stdout,
		    "exported the master key of %s to %s%s: keep it offline; whoever holds it can read every backup\n",
		    repo_url(r), strcmp(to, "-") == 0 ? "the standard output" : to,
		    strcmp(to, "-") == 0 ? "" : " (mode 0600)");
		ret = CLI_EXIT_OK;
	}
out:
	if (pw != NULL) {
		explicit_bzero(pw, strlen(pw));
		free(pw);
	}
	repo_close(r);
	return ret;
}
