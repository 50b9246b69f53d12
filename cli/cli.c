/*
 * What the commands share: signals, the configuration, help, snapshot
 * selection, time and statistics output.
 */
#include <getopt.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "common/cron.h"
#include "common/log.h"
#include "repo/manifest.h"

/* The one flag a signal handler may set. */
static volatile sig_atomic_t cancel_requested;

static void
on_signal(int sig)
{
	(void)sig;
	cancel_requested = 1;
}

void
cli_catch_signals(struct cli *cli)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	cli->cancel = &cancel_requested;
}

void
cli_print_conf_errors(const struct conf *c)
{
	for (size_t i = 0; i < c->errors.n; i++)
		log_error("%s", c->errors.v[i]);
	if (c->errors_dropped > 0)
		log_error("... and %zu more errors", c->errors_dropped);
}

bool
cli_help_asked(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	return false;
}

int
cli_json_opts(int argc, char **argv, const char *use, bool *json)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'j': *json = true; break;
		case 'h': fputs(use, stdout); return CLI_EXIT_OK;
		default: fputs(use, stderr); return CLI_EXIT_USAGE;
		}
	}
	return -1;
}

int
cli_load_conf(struct cli *cli, bool need_repo)
{
	struct conf *c = conf_load(cli->config_path, false);
	enum log_level lvl;

	if (need_repo)
		conf_require_repository(c);
	if (c->errors.n > 0) {
		cli_print_conf_errors(c);
		conf_free(c);
		return -1;
	}
	lvl = (enum log_level)c->log_level;
	if (cli->verbosity > 0)
		lvl = LOG_LVL_DEBUG;
	else if (cli->verbosity < 0)
		lvl = LOG_LVL_ERROR;
	log_setup("virtvault", lvl, c->syslog);
	cli->conf = c;
	return 0;
}

struct manifest *
cli_find_snapshot(struct repo *r, const char *ref)
{
	struct manifest **l = NULL, *m = NULL;
	size_t n = 0, bad = 0;
	char err[256];
	long k;

	if (manifest_load_all(r, NULL, NULL, &l, &n, &bad) < 0)
		return NULL;
	k = manifest_resolve(l, n, ref, repo_host(r), err, sizeof(err));
	if (k < 0) {
		log_error("snapshot %s: %s", ref, err);
	} else {
		m = l[k];
		l[k] = NULL;
	}
	manifest_list_free(l, n);
	return m;
}

void
cli_format_time(time_t t, const char *tz, char *buf, size_t len)
{
	struct tm tm;

	cron_localtime(t, tz, &tm);
	strftime(buf, len, "%a %Y-%m-%d %H:%M:%S %Z", &tm);
}

json_object *
cli_stats_json(const struct backup_stats *st)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "bytes_read", json_object_new_int64((int64_t)st->bytes_read));
	json_object_object_add(o, "chunks_total", json_object_new_int64((int64_t)st->chunks_total));
	json_object_object_add(o, "chunks_new", json_object_new_int64((int64_t)st->chunks_new));
	json_object_object_add(o, "chunks_reused", json_object_new_int64((int64_t)st->chunks_reused));
	json_object_object_add(o, "chunks_zero", json_object_new_int64((int64_t)st->chunks_zero));
	json_object_object_add(o, "bytes_stored", json_object_new_int64((int64_t)st->bytes_stored));
	json_object_object_add(o, "seconds", json_object_new_double(st->seconds));
	return o;
}
