/*
 * What the commands share: signals, the configuration, help, snapshot
 * selection, time and statistics output.
 */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/cron.h"
#include "common/log.h"
#include "jobrun/summary.h"
#include "repo/forget.h"
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

int
cli_operands(const char *cmd, int argc, char **argv, int first, const char *names)
{
	size_t want = 0, have = first < argc ? (size_t)(argc - first) : 0;
	bool more = false;
	const char *p = names, *miss = NULL;

	/* Count the words; the first one past HAVE is where the missing start. */
	while (*p != '\0') {
		size_t n = strcspn(p, " ");

		if (want == have)
			miss = p;
		want++;
		more = n > 3 && strncmp(p + n - 3, "...", 3) == 0;
		p += n + (p[n] == ' ');
	}
	if (have < want) {
		log_error("%s: %s %s missing", cmd, miss, strchr(miss, ' ') ? "are" : "is");
		return -1;
	}
	if (have > want && !more) {
		log_error("%s: '%s' is one operand too many (it takes %s%s)", cmd, argv[first + want],
		    want ? "" : "none", names);
		return -1;
	}
	return 0;
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
	struct conf *c = conf_load_repo(cli->config_path, false, cli->repo_name);
	enum log_level lvl;

	if (need_repo)
		conf_require_repository(c);
	if (c->errors.n > 0) {
		cli_print_conf_errors(c);
		conf_free(c);
		return -1;
	}
	/* --no-cache: the cache neither read nor written, as with cache_size = 0. */
	if (cli->no_cache)
		c->cache_size = 0;
	lvl = (enum log_level)c->log_level;
	if (cli->verbosity > 0)
		lvl = LOG_LVL_DEBUG;
	else if (cli->verbosity < 0)
		lvl = LOG_LVL_ERROR;
	log_setup("virtvault", lvl, c->syslog);
	cli->conf = c;
	return 0;
}

struct repo *
cli_repo(struct cli *cli, int *rc)
{
	struct repo *r;

	if (cli_load_conf(cli, true) < 0) {
		*rc = CLI_EXIT_USAGE;
		return NULL;
	}
	r = repo_open(cli->conf);
	if (r == NULL)
		*rc = CLI_EXIT_FAILURE;
	return r;
}

struct repo *
cli_repo_admin(struct cli *cli, const char *cmd, int *rc)
{
	struct repo *r;
	struct conf *c;

	if (cli_load_conf(cli, true) < 0) {
		*rc = CLI_EXIT_USAGE;
		return NULL;
	}
	c = cli->conf;
	if ((c->admin_access_key == NULL) != (c->admin_secret_key == NULL)) {
		log_error("%s: set both admin_access_key and admin_secret_key in [repository], or neither",
		    c->path);
		*rc = CLI_EXIT_USAGE;
		return NULL;
	}
	if (c->admin_access_key != NULL) {
		log_info("%s: using the admin credential (admin_access_key %s)", cmd,
		    c->admin_access_key);
		free(c->access_key);
		if (c->secret_key != NULL)
			explicit_bzero(c->secret_key, strlen(c->secret_key));
		free(c->secret_key);
		c->access_key = xstrdup(c->admin_access_key);
		c->secret_key = xstrdup(c->admin_secret_key);
	}
	r = repo_open(c);	/* not cli_repo: it would load the configuration again */
	if (r == NULL)
		*rc = CLI_EXIT_FAILURE;
	return r;
}

struct manifest *
cli_find_snapshot(struct repo *r, const char *ref)
{
	struct manifest *m = NULL;
	char err[512];

	if (manifest_find(r, ref, &m, err, sizeof(err)) == 1)
		log_error("snapshot %s: %s", ref, err);
	return m;
}

int
cli_find_snapshots(struct repo *r, char **refs, size_t n, struct manifest ***out)
{
	struct manifest **l = xcalloc(n + 1, sizeof(*l));
	int failed = 0;

	for (size_t i = 0; i < n; i++)
		failed += (l[i] = cli_find_snapshot(r, refs[i])) == NULL;
	*out = l;
	return failed;
}

void
cli_format_time(time_t t, const char *tz, char *buf, size_t len)
{
	struct tm tm;

	cron_localtime(t, tz, &tm);
	strftime(buf, len, "%a %Y-%m-%d %H:%M:%S %Z", &tm);
}

json_object *
cli_snapshot_json(const struct manifest *m)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "snapshot", json_object_new_string(m->id));
	json_object_object_add(o, "host", json_object_new_string(manifest_host(m)));
	json_object_object_add(o, "name", json_object_new_string(m->name));
	json_object_object_add(o, "time", json_object_new_string(m->time));
	if (m->future)
		json_object_object_add(o, "future", json_object_new_boolean(true));
	return o;
}

json_object *
cli_stats_json(const struct backup_stats *st)
{
	return summary_stats_json(st);
}

int
cli_parse_time(const char *s, const char *option, time_t *t)
{
	const char *rest = util_parse_utc(s, t);
	char err[200];
	int sign, hh, mm;

	if (rest != NULL && (rest[0] == '+' || rest[0] == '-') && strlen(rest) == 6 &&
	    rest[1] >= '0' && rest[1] <= '9' && rest[2] >= '0' && rest[2] <= '9' && rest[3] == ':' &&
	    sscanf(rest + 1, "%2d:%2d", &hh, &mm) == 2 && hh < 24 && mm < 60) {
		sign = rest[0] == '+' ? 1 : -1;
		*t -= sign * (hh * 3600 + mm * 60);
	} else if (rest == NULL || strcmp(rest, "Z") != 0) {
		log_error("%s '%s': expected an ISO 8601 time such as 2026-11-20T02:00:00Z or 2026-11-20T03:00:00+01:00 (a real date, years 1970 to 9999)",
		    option, s);
		return -1;
	}
	if (manifest_time_check(*t, time(NULL), err, sizeof(err)) < 0) {
		log_error("%s '%s': %s", option, s, err);
		return -1;
	}
	return 0;
}

size_t
cli_forget_apply(struct repo *r, struct forget_plan *plan, bool dry_run, json_object *arr)
{
	size_t failed = dry_run ? 0 : forget_remove(r, plan);

	for (size_t g = 0; g < plan->n;) {
		size_t e = g, removing = 0;

		while (e < plan->n && manifest_same_group(plan->items[g].m, plan->items[e].m))
			removing += plan->items[e++].rule == KEEP_NOT;
		if (arr == NULL)
			printf("%s/%s: %zu snapshots, keeping %zu, %s %zu\n",
			    manifest_host(plan->items[g].m), plan->items[g].m->name, e - g,
			    e - g - removing, dry_run ? "would remove" : "removing", removing);
		for (size_t i = g; i < e; i++) {
			const struct forget_item *it = &plan->items[i];
			bool keep = it->rule != KEEP_NOT;
			const char *action = keep ? "keep" : dry_run ? "would remove" :
			    it->removed ? "removed" : "FAILED";

			if (arr != NULL) {
				json_object *o = cli_snapshot_json(it->m);

				json_object_object_add(o, "keep", json_object_new_boolean(keep));
				if (keep)
					json_object_object_add(o, "rule",
					    json_object_new_string(retention_rule_name(it->rule)));
				else
					json_object_object_add(o, "removed", json_object_new_boolean(it->removed));
				json_object_array_add(arr, o);
			} else {
				printf("  %-12s %s  %s  %s\n", action, it->m->id, it->m->time,
				    retention_rule_name(it->rule));
			}
		}
		g = e;
	}
	return failed;
}

/* One line from the terminal without echo, into BUF. */
static int
ask(FILE *tty, const char *prompt, char *buf, size_t len)
{
	struct termios old, quiet;
	bool restore;
	int ret;

	fputs(prompt, tty);
	fflush(tty);
	restore = tcgetattr(fileno(tty), &old) == 0;
	if (restore) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
	}
	ret = fgets(buf, (int)len, tty) != NULL ? 0 : -1;
	if (restore)
		tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fputs("\n", tty);
	buf[strcspn(buf, "\r\n")] = '\0';
	return ret;
}

char *
cli_new_password(const char *file)
{
	char a[1024] = "", b[1024] = "", *pw = NULL;
	const char *env = getenv("VIRTVAULT_NEW_PASSWORD");
	FILE *f;
	struct stat st;

	if (file != NULL) {
		/* "-": the standard input, as a pipe from a password manager. */
		f = strcmp(file, "-") == 0 ? stdin : fopen(file, "re");
		if (f == NULL) {
			log_error("new password file %s: %s", file, strerror(errno));
			return NULL;
		}
		if (f != stdin && fstat(fileno(f), &st) == 0 && (st.st_mode & 0044) != 0) {
			log_error("new password file %s is readable by group or others (mode %04o); fix it with: chmod 600 %s",
			    file, (unsigned)(st.st_mode & 07777), file);
			fclose(f);
			return NULL;
		}
		if (fgets(a, sizeof(a), f) == NULL)
			a[0] = '\0';
		if (f != stdin)
			fclose(f);
		a[strcspn(a, "\r\n")] = '\0';
	} else if (env != NULL) {
		snprintf(a, sizeof(a), "%s", env);
	} else if ((f = fopen("/dev/tty", "r+e")) != NULL) {
		if (ask(f, "New password: ", a, sizeof(a)) < 0 || ask(f, "Again: ", b, sizeof(b)) < 0 ||
		    strcmp(a, b) != 0) {
			log_error("the passwords differ");
			a[0] = '\0';
			fclose(f);
			goto out;
		}
		fclose(f);
	} else {
		log_error("no new password: give --new-password-file FILE or set VIRTVAULT_NEW_PASSWORD");
		return NULL;
	}
	if (a[0] == '\0')
		log_error("the new password is empty");
	else
		pw = xstrdup(a);
out:
	explicit_bzero(a, sizeof(a));
	explicit_bzero(b, sizeof(b));
	return pw;
}
