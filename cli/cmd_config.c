#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/log.h"

static void
config_usage(FILE *out)
{
	fprintf(out, "usage: virtvault [-c FILE] config check\n\n"
	    "Reads the configuration file, reports every error with FILE:LINE, and\n"
	    "prints the effective configuration with secrets redacted.\n"
	    "Exit 0 when valid, 2 when not.\n");
}

/* Whether file PATH of KEY (NULL: not set) lacks a writable folder (logged). */
static bool
folder_bad(const struct conf *c, const char *key, const char *path)
{
	char *dir, *slash;
	struct stat st;
	bool bad;

	if (path == NULL)
		return false;
	dir = xstrdup(path);
	slash = strrchr(dir, '/');
	if (slash != NULL)
		*(slash == dir ? slash + 1 : slash) = '\0';
	else
		snprintf(dir, strlen(dir) + 1, ".");
	bad = stat(dir, &st) < 0 || !S_ISDIR(st.st_mode) || access(dir, W_OK) < 0;
	if (bad)
		log_error("%s: %s = %s: its folder %s %s", c->path ? c->path : CONF_DEFAULT_PATH, key,
		    path, dir, stat(dir, &st) < 0 ? "does not exist" :
		    !S_ISDIR(st.st_mode) ? "is not a folder" : "is not writable");
	free(dir);
	return bad;
}

int
cmd_config(struct cli *cli, int argc, char **argv)
{
	struct conf *c;

	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		config_usage(stdout);
		return CLI_EXIT_OK;
	}
	if (argc < 2 || strcmp(argv[1], "check") != 0) {
		config_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (argc == 3 && (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0)) {
		config_usage(stdout);
		return CLI_EXIT_OK;
	}
	if (argc > 2) {
		config_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	/* As every command: a file named (-c, VIRTVAULT_CONFIG) must exist;
	 * without one the defaults apply, and this says so. */
	c = conf_load_repo(cli->config_path, false, cli->repo_name);
	if (c->path == NULL)
		log_warn("no configuration file at %s (and no -c or VIRTVAULT_CONFIG): the defaults apply",
		    CONF_DEFAULT_PATH);
	if (c->errors.n == 0)
		conf_require_repository(c);
	if (c->errors.n > 0) {
		cli_print_conf_errors(c);
		log_error("%s: %zu error%s", c->path ? c->path : CONF_DEFAULT_PATH,
		    c->errors.n + c->errors_dropped,
		    c->errors.n + c->errors_dropped == 1 ? "" : "s");
		conf_free(c);
		return CLI_EXIT_USAGE;
	}
	/* Written after every run (or job): their folders must be there, and writable. */
	if (folder_bad(c, "metrics_file", c->metrics_file) || folder_bad(c, "report_file", c->report_file)) {
		conf_free(c);
		return CLI_EXIT_USAGE;
	}
	conf_print(c, stdout);
	conf_free(c);
	return CLI_EXIT_OK;
}
