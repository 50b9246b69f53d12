/*
 * lint: long file: the loader and every cross-key rule of one file
 * (the key table and its setters live in conf_keys*.c).
 *
 * Loading and validation. The file is read whole (at most CONF_MAX_FILE),
 * then handed to inih line by line through our own reader, which counts
 * lines (Debian's inih does not pass line numbers to the handler), checks
 * each line's encoding, length and shape, and tracks the current section;
 * inih splits keys from values and strips comments and white space.
 */
#include "conf/conf.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "conf/conf_keys.h"
#include "common/cron.h"

enum { SEC_NONE = -1, SEC_UNKNOWN = -2 };

struct parse {
	struct conf *c;
	const char *path;
	const char *buf;
	size_t len;
	size_t pos;
	unsigned line;
	int sec;			/* enum conf_section, SEC_NONE, SEC_UNKNOWN */
	size_t job;			/* index in c->jobs when sec is a job */
	unsigned seen[3][CONF_NKEYS];	/* line where [agent]/[repository]/[notify] set a key */
	unsigned (*job_seen)[CONF_NKEYS];
	unsigned sec_line[3];		/* line of the [agent]/[repository]/[notify] header */
	const char *secret_key;		/* a secret the file holds, or NULL */
	unsigned secret_line;
	/* Repository sections: WANT is the one loaded ([repository NAME], or
	 * NULL: [repository]); the others are checked into scratch confs. The
	 * current one's keys go to RBASE, its lines seen in RSEEN. */
	const char *want;
	struct conf *rbase;
	unsigned *rseen;
	struct named_repo *named;
	size_t nnamed;
	struct conf *dscratch;		/* [repository] when WANT is a name */
	const char *rname;		/* the current [repository NAME]'s, or NULL */
};

/* A [repository NAME] section. */
struct named_repo {
	char *name;
	unsigned line;
	unsigned seen[CONF_NKEYS];
	struct conf *scratch;		/* NULL: it is the one loaded */
};

static void set_defaults(struct conf *c);
static void enter_named_repo(struct parse *p, const char *name, size_t n);

static void add_error(struct conf *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
add_error(struct conf *c, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (c->errors.n >= CONF_MAX_ERRORS) {
		c->errors_dropped++;
		return;
	}
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	strlist_add(&c->errors, msg);
	free(msg);
}

#define PERR(P, ...) add_error((P)->c, "%s:%u: " __VA_ARGS__)

static bool
valid_job_name(const char *s, size_t n)
{
	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && strchr("_.-", s[i]) == NULL)
			return false;
	return true;
}

/* A section header "[...]" at S (length N, white space trimmed). */
static void
enter_section(struct parse *p, const char *s, size_t n)
{
	const char *name = s + 1;
	size_t nlen;

	if (n < 2 || s[n - 1] != ']') {
		PERR(p, "section header lacks its closing ']'", p->path, p->line);
		p->sec = SEC_UNKNOWN;
		return;
	}
	nlen = n - 2;
	while (nlen > 0 && isspace((unsigned char)*name)) {
		name++;
		nlen--;
	}
	while (nlen > 0 && isspace((unsigned char)name[nlen - 1]))
		nlen--;

	for (int sec = CONF_SEC_AGENT; sec <= CONF_SEC_NOTIFY; sec++) {
		const char *want = sec == CONF_SEC_AGENT ? "agent" :
		    sec == CONF_SEC_REPOSITORY ? "repository" : "notify";

		if (nlen == strlen(want) && strncmp(name, want, nlen) == 0) {
			if (p->sec_line[sec] != 0)
				PERR(p, "duplicate section [%s] (first at line %u)",
				    p->path, p->line, want, p->sec_line[sec]);
			else
				p->sec_line[sec] = p->line;
			p->sec = sec;
			if (sec == CONF_SEC_REPOSITORY) {
				if (p->want != NULL && p->dscratch == NULL) {
					p->dscratch = xcalloc(1, sizeof(*p->dscratch));
					set_defaults(p->dscratch);
				}
				p->rbase = p->want == NULL ? p->c : p->dscratch;
				p->rseen = p->seen[CONF_SEC_REPOSITORY];
				p->rname = NULL;
			}
			return;
		}
	}
	if (nlen > 11 && strncmp(name, "repository", 10) == 0 && isspace((unsigned char)name[10])) {
		enter_named_repo(p, name + 11, nlen - 11);
		return;
	}
	if (nlen > 4 && strncmp(name, "job", 3) == 0 && isspace((unsigned char)name[3])) {
		const char *jn = name + 4;
		size_t jl = nlen - 4;
		char *jname;

		while (jl > 0 && isspace((unsigned char)*jn)) {
			jn++;
			jl--;
		}
		if (!valid_job_name(jn, jl)) {
			PERR(p, "invalid job name '%.*s' (use 1-64 letters, digits, '_', '.', '-')",
			    p->path, p->line, (int)(jl > 64 ? 64 : jl), jn);
			p->sec = SEC_UNKNOWN;
			return;
		}
		/* Runs no job asked for are recorded as the job "manual". */
		if (jl == 6 && strncmp(jn, "manual", 6) == 0) {
			PERR(p, "[job manual]: the name 'manual' is kept for runs no job asks for; choose another",
			    p->path, p->line);
			p->sec = SEC_UNKNOWN;
			return;
		}
		jname = xstrndup(jn, jl);
		for (size_t i = 0; i < p->c->njobs; i++) {
			if (strcmp(p->c->jobs[i].name, jname) == 0) {
				PERR(p, "duplicate section [job %s] (first at line %u)",
				    p->path, p->line, jname, p->c->jobs[i].line);
				free(jname);
				p->sec = CONF_SEC_JOB;
				p->job = i;
				return;
			}
		}
		p->c->jobs = xrealloc(p->c->jobs, (p->c->njobs + 1) * sizeof(*p->c->jobs));
		p->job_seen = xrealloc(p->job_seen, (p->c->njobs + 1) * sizeof(*p->job_seen));
		memset(&p->c->jobs[p->c->njobs], 0, sizeof(p->c->jobs[0]));
		memset(p->job_seen[p->c->njobs], 0, sizeof(p->job_seen[0]));
		p->c->jobs[p->c->njobs].name = jname;
		p->c->jobs[p->c->njobs].line = p->line;
		p->c->jobs[p->c->njobs].quiesce = CONF_QUIESCE_TRY;
		p->c->jobs[p->c->njobs].retry_delay = 300;
		p->c->jobs[p->c->njobs].hook_timeout = 60;
		p->c->jobs[p->c->njobs].boot_timeout = CONF_BOOT_TIMEOUT;
		p->job = p->c->njobs++;
		p->sec = CONF_SEC_JOB;
		return;
	}
	PERR(p, "unknown section [%.*s] (expected [agent], [repository], [repository NAME], [notify] or [job NAME])",
	    p->path, p->line, (int)(nlen > 64 ? 64 : nlen), name);
	p->sec = SEC_UNKNOWN;
}

/*
 * A [repository NAME] header, NAME at S (N bytes): its keys go to the
 * conf being loaded when it is the one wanted, else to a scratch conf
 * that only checks them.
 */
static void
enter_named_repo(struct parse *p, const char *s, size_t n)
{
	struct named_repo *nr;
	char *name;

	while (n > 0 && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	if (!valid_job_name(s, n)) {
		PERR(p, "invalid repository name '%.*s' (use 1-64 letters, digits, '_', '.', '-')",
		    p->path, p->line, (int)(n > 64 ? 64 : n), s);
		p->sec = SEC_UNKNOWN;
		return;
	}
	name = xstrndup(s, n);
	for (size_t i = 0; i < p->nnamed; i++) {
		if (strcmp(p->named[i].name, name) == 0) {
			PERR(p, "duplicate section [repository %s] (first at line %u)",
			    p->path, p->line, name, p->named[i].line);
			free(name);
			p->sec = SEC_UNKNOWN;
			return;
		}
	}
	p->named = xrealloc(p->named, (p->nnamed + 1) * sizeof(*p->named));
	nr = &p->named[p->nnamed++];
	memset(nr, 0, sizeof(*nr));
	nr->name = name;
	nr->line = p->line;
	strlist_add(&p->c->repo_names, name);
	if (p->want == NULL || strcmp(p->want, name) != 0) {
		nr->scratch = xcalloc(1, sizeof(*nr->scratch));
		set_defaults(nr->scratch);
	}
	p->rbase = nr->scratch != NULL ? nr->scratch : p->c;
	p->rseen = nr->seen;
	p->rname = nr->name;
	p->sec = CONF_SEC_REPOSITORY;
}

/*
 * Check one line (without its end of line) and decide what inih sees:
 * the line itself, or an empty line when it is bad or a section header
 * (sections are tracked here, not by inih).
 */
static bool
check_line(struct parse *p, const char *s, size_t n)
{
	long bad;

	if (n > CONF_MAX_LINE) {
		PERR(p, "line too long (%zu bytes, at most %d)", p->path, p->line,
		    n, CONF_MAX_LINE);
		return false;
	}
	bad = util_utf8_check(s, n);
	if (bad >= 0) {
		if (s[bad] == '\0')
			PERR(p, "NUL byte at column %ld", p->path, p->line, bad + 1);
		else
			PERR(p, "not valid UTF-8 (byte 0x%02x at column %ld)", p->path,
			    p->line, (unsigned char)s[bad], bad + 1);
		return false;
	}
	/* A UTF-8 byte order mark on the first line is allowed. */
	if (p->line == 1 && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
		s += 3;
		n -= 3;
	}
	while (n > 0 && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (n == 0 || s[0] == ';' || s[0] == '#')
		return true;
	if (s[0] == '[') {
		/* Allow a comment after the header. */
		const char *close = memchr(s, ']', n);

		if (close != NULL) {
			const char *rest = close + 1;
			size_t rn = n - (size_t)(rest - s);

			while (rn > 0 && isspace((unsigned char)*rest)) {
				rest++;
				rn--;
			}
			if (rn == 0 || *rest == ';' || *rest == '#')
				n = (size_t)(close - s) + 1;
		}
		enter_section(p, s, n);
		return false;
	}
	if (memchr(s, '=', n) == NULL && memchr(s, ':', n) == NULL) {
		PERR(p, "expected 'key = value', a [section] or a comment", p->path,
		    p->line);
		return false;
	}
	if (s[0] == '=' || s[0] == ':') {
		PERR(p, "missing key name before '%c'", p->path, p->line, s[0]);
		return false;
	}
	if (p->sec == SEC_NONE) {
		PERR(p, "key outside of any section (start with [agent], [repository] or [job NAME])",
		    p->path, p->line);
		return false;
	}
	return p->sec != SEC_UNKNOWN;
}

/* inih reader: hand out the next line of the buffer. */
static char *
reader(char *str, int num, void *stream)
{
	struct parse *p = stream;
	const char *s, *nl;
	size_t n, full;

	if (p->pos >= p->len)
		return NULL;
	s = p->buf + p->pos;
	nl = memchr(s, '\n', p->len - p->pos);
	full = nl ? (size_t)(nl - s) : p->len - p->pos;
	p->pos += full + (nl ? 1 : 0);
	p->line++;
	n = full;
	if (n > 0 && s[n - 1] == '\r')
		n--;
	if (check_line(p, s, n)) {
		if (n + 2 <= (size_t)num) {
			memcpy(str, s, n);
			str[n] = '\n';
			str[n + 1] = '\0';
			return str;
		}
		PERR(p, "line too long for the INI parser (%zu bytes, at most %d)",
		    p->path, p->line, n, num - 2);
	}
	/* A bad line, or one tracked here: inih sees an empty line. */
	str[0] = '\n';
	str[1] = '\0';
	return str;
}

static void
suggest(struct parse *p, int sec, const char *name)
{
	const char *best = conf_keys_closest(sec, name);
	char *where = sec == CONF_SEC_JOB ?
	    xasprintf("[job %s]", p->c->jobs[p->job].name) :
	    sec == CONF_SEC_REPOSITORY && p->rname != NULL ?
	    xasprintf("[repository %s]", p->rname) :
	    xstrdup(conf_section_name(sec));

	if (best != NULL)
		PERR(p, "unknown key '%s' in %s (did you mean '%s'?)", p->path,
		    p->line, name, where, best);
	else
		PERR(p, "unknown key '%s' in %s", p->path, p->line, name, where);
	free(where);
}

/* inih handler: one key = value in the current section. */
static int
handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse *p = user;
	const struct conf_key *k;
	unsigned *seen;
	void *base;
	char err[256];

	(void)section;
	k = conf_keys_find(p->sec, name);
	if (k == NULL) {
		suggest(p, p->sec, name);
		return 1;
	}
	if (p->sec == CONF_SEC_JOB) {
		seen = &p->job_seen[p->job][conf_keys_index(k)];
		base = &p->c->jobs[p->job];
	} else if (p->sec == CONF_SEC_REPOSITORY) {
		seen = &p->rseen[conf_keys_index(k)];
		base = p->rbase;
	} else {
		seen = &p->seen[p->sec][conf_keys_index(k)];
		base = p->c;
	}
	if (*seen != 0) {
		PERR(p, "duplicate key '%s' (first set at line %u)", p->path,
		    p->line, name, *seen);
		return 1;
	}
	*seen = p->line;
	if (conf_keys_set(k, base, value, err, sizeof(err)) < 0) {
		/* Never echo a secret's value back. */
		PERR(p, "%s: %s", p->path, p->line, name, err);
		return 1;
	}
	if ((k->type == CONF_T_SECRET || k->type == CONF_T_WEBHOOK) && p->secret_key == NULL) {
		p->secret_key = k->name;
		p->secret_line = p->line;
	}
	if (p->sec == CONF_SEC_JOB) {
		char *id = xasprintf("job %s.%s", p->c->jobs[p->job].name, name);

		strlist_add(&p->c->set_keys, id);
		free(id);
	} else if (base == p->c) {
		strlist_add(&p->c->set_keys, name);
	}
	return 1;
}

static void
set_defaults(struct conf *c)
{
	char host[256] = "";

	c->libvirt_uri = xstrdup("qemu:///system");
	gethostname(host, sizeof(host) - 1);
	c->host = xstrdup(host);
	c->state_dir = xstrdup("/var/lib/virtvault");
	c->overlay_dir = xstrdup("");
	c->log_level = LOG_LVL_INFO;
	c->commit_timeout = 600;
	c->cbt_forget_after = 30 * 86400;
	c->cbt = true;
	c->max_parallel = 1;
	c->encryption = CONF_CIPHER_AES256GCM;
	c->compression = CONF_COMP_ZSTD;
	c->zstd_level = 1;
	c->chunk_size = 1024 * 1024;
	c->tls_verify = true;
	c->upload_parallel = 8;
	c->read_parallel = 16;
	c->cache_size = 256ULL * 1024 * 1024;
	c->request_timeout = 60;
	c->notify.timeout = 10;
	c->notify.retries = 3;
	c->notify.sendmail = xstrdup("/usr/sbin/sendmail");
	c->multipart_threshold = 64ULL * 1024 * 1024;
	c->lock_wait = 600;
}

/* Secrets the file left out come from the environment. */
static void
take_env(struct conf *c)
{
	const char *v;

	if (c->access_key == NULL && (v = getenv("AWS_ACCESS_KEY_ID")) && *v) {
		c->access_key = xstrdup(v);
		c->access_key_src = CONF_SRC_ENV;
	}
	if (c->secret_key == NULL && (v = getenv("AWS_SECRET_ACCESS_KEY")) && *v) {
		c->secret_key = xstrdup(v);
		c->secret_key_src = CONF_SRC_ENV;
	}
	if ((v = getenv("VIRTVAULT_PASSWORD")) && *v) {
		c->password = xstrdup(v);
		c->password_src = CONF_SRC_ENV;
	}
}

static void
check_jobs(struct parse *p)
{
	size_t ct = conf_keys_index(conf_keys_find(CONF_SEC_JOB, "copy_to"));

	for (size_t i = 0; i < p->c->njobs; i++) {
		const struct conf_job *j = &p->c->jobs[i];

		if (j->domains.n == 0)
			add_error(p->c, "%s:%u: [job %s]: 'domains' is required (names or globs, '*' for all)",
			    p->path, j->line, j->name);
		/* The sections are all read by now: one further down counts. */
		if (j->copy_to != NULL && !strlist_contains(&p->c->repo_names, j->copy_to))
			add_error(p->c, "%s:%u: [job %s]: copy_to = %s names no [repository %s] section of the file",
			    p->path, p->job_seen[i][ct], j->name, j->copy_to, j->copy_to);
	}
}

/* Read PATH whole into a new buffer, at most CONF_MAX_FILE bytes. */
static int
read_file(struct conf *c, const char *path, char **buf, size_t *len,
    struct stat *st)
{
	int fd = -1, ret = -1;
	size_t got = 0;
	char *b = NULL;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		add_error(c, "%s: cannot open: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, st) < 0) {
		add_error(c, "%s: cannot stat: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st->st_mode)) {
		add_error(c, "%s: not a regular file", path);
		goto out;
	}
	if (st->st_size > CONF_MAX_FILE) {
		add_error(c, "%s: too large for a configuration file (%lld bytes, at most %d)",
		    path, (long long)st->st_size, CONF_MAX_FILE);
		goto out;
	}
	b = xmalloc(CONF_MAX_FILE + 1);
	for (;;) {
		ssize_t r = read(fd, b + got, CONF_MAX_FILE + 1 - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			add_error(c, "%s: cannot read: %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		got += (size_t)r;
		if (got > CONF_MAX_FILE) {
			add_error(c, "%s: too large for a configuration file (at most %d bytes)",
			    path, CONF_MAX_FILE);
			goto out;
		}
	}
	*buf = b;
	*len = got;
	b = NULL;
	ret = 0;
out:
	free(b);
	if (fd >= 0)
		close(fd);
	return ret;
}

struct conf *
conf_load(const char *path, bool must_exist)
{
	return conf_load_repo(path, must_exist, NULL);
}

/* After the parse: the repository wanted found, its lines, the scratch freed. */
static void
finish_repos(struct parse *p)
{
	struct conf *c = p->c;
	size_t pf = conf_keys_index(conf_keys_find(CONF_SEC_REPOSITORY, "password_file"));
	bool found = p->want == NULL;

	c->password_file_line = p->want == NULL ? p->seen[CONF_SEC_REPOSITORY][pf] : 0;
	for (size_t i = 0; i < p->nnamed; i++) {
		if (p->named[i].scratch == NULL) {
			found = true;
			c->password_file_line = p->named[i].seen[pf];
		}
		conf_free(p->named[i].scratch);
		free(p->named[i].name);
	}
	free(p->named);
	conf_free(p->dscratch);
	if (!found)
		add_error(c, "%s: no section [repository %s] (--repo names one of the file's [repository NAME] sections)",
		    c->path, p->want);
}

struct conf *
conf_load_repo(const char *path, bool must_exist, const char *repo)
{
	struct conf *c = xcalloc(1, sizeof(*c));
	struct parse p;
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	bool named = path != NULL;

	set_defaults(c);
	c->repo_name = repo != NULL ? xstrdup(repo) : NULL;
	if (path == NULL && (path = getenv("VIRTVAULT_CONFIG")) != NULL && *path)
		named = true;
	if (path == NULL || *path == '\0')
		path = CONF_DEFAULT_PATH;

	if (!named && !must_exist && access(path, F_OK) < 0 && errno == ENOENT) {
		if (repo != NULL)
			add_error(c, "%s: no such file, so no section [repository %s]", path, repo);
		take_env(c);
		return c;
	}
	c->path = xstrdup(path);
	if (read_file(c, path, &buf, &len, &st) < 0)
		return c;

	memset(&p, 0, sizeof(p));
	p.c = c;
	p.path = c->path;
	p.buf = buf;
	p.len = len;
	p.sec = SEC_NONE;
	p.want = repo;

	/* Our reader checks each line; inih only splits and trims. */
	ini_use_stack = false;
	ini_allow_realloc = false;
	ini_max_line = CONF_MAX_LINE + 3;
	ini_initial_alloc = CONF_MAX_LINE + 3;
	ini_allow_multiline = false;
	if (ini_parse_stream(reader, &p, handler, &p) < 0)
		add_error(c, "%s: cannot parse (out of memory)", c->path);
	check_jobs(&p);
	finish_repos(&p);

	if (p.secret_key != NULL && (st.st_mode & 0044) != 0)
		add_error(c, "%s:%u: holds %s, but the file is readable by %s (mode %04o); fix it with: chmod 600 %s",
		    c->path, p.secret_line, p.secret_key, (st.st_mode & 0040) && (st.st_mode & 0004) ?
		    "group and others" : (st.st_mode & 0040) ? "its group" : "others",
		    (unsigned)(st.st_mode & 07777), c->path);
	/* A named repository's secrets are its own: the environment's are the
	 * default repository's. */
	if (repo == NULL)
		take_env(c);
	free(p.job_seen);
	free(buf);
	return c;
}

size_t
conf_require_repository(struct conf *c)
{
	size_t before = c->errors.n + c->errors_dropped;
	const char *where = c->path ? c->path : CONF_DEFAULT_PATH;
	struct stat st;
	char *at;

	/* No such [repository NAME]: that error says it all. */
	if (c->repo_name != NULL && c->errors.n > 0)
		return 0;
	at = c->password_file_line != 0 ?
	    xasprintf("%s:%u", where, c->password_file_line) : xstrdup(where);

	if (c->url == NULL && c->repo_name != NULL)
		add_error(c, "%s: [repository %s] 'url' is required (file:///PATH or s3://BUCKET/PREFIX)",
		    where, c->repo_name);
	else if (c->url == NULL)
		add_error(c, "%s: [repository] 'url' is required (file:///PATH or s3://BUCKET/PREFIX)",
		    where);
	if (!util_name_valid(c->host))
		add_error(c, "%s: the host name '%s' cannot name snapshots (" UTIL_NAME_RULE "); set [agent] host = NAME",
		    where, c->host);
	if (c->encryption == CONF_CIPHER_NONE || c->master_key_file != NULL)
		goto out;
	if (c->password_file != NULL) {
		if (stat(c->password_file, &st) < 0) {
			int e = errno;

			/* Missing on a new host: say how to make one, mode and all. */
			add_error(c, "%s: password_file %s: %s%s%s%s", at,
			    c->password_file, strerror(e),
			    e == ENOENT ? "; create it: install -m 0600 /dev/null " : "",
			    e == ENOENT ? c->password_file : "",
			    e == ENOENT ? ", then write the repository's password on its one line (a new, long one before 'virtvault init'; the repository's own otherwise)" : "");
		} else if (!S_ISREG(st.st_mode))
			add_error(c, "%s: password_file %s: not a regular file",
			    at, c->password_file);
		else if ((st.st_mode & 0044) != 0)
			add_error(c, "%s: password_file %s is readable by group or others (mode %04o); fix it with: chmod 600 %s",
			    at, c->password_file, (unsigned)(st.st_mode & 07777),
			    c->password_file);
	} else if (c->password == NULL && c->repo_name != NULL) {
		add_error(c, "%s: [repository %s]: encryption is on but there is no password: set its password_file or master_key_file",
		    where, c->repo_name);
	} else if (c->password == NULL) {
		add_error(c, "%s: encryption is on but there is no password: set [repository] password_file or VIRTVAULT_PASSWORD",
		    where);
	}
out:
	free(at);
	return c->errors.n + c->errors_dropped - before;
}

const struct conf_job *
conf_find_job(const struct conf *c, const char *name)
{
	for (size_t i = 0; i < c->njobs; i++)
		if (strcmp(c->jobs[i].name, name) == 0)
			return &c->jobs[i];
	return NULL;
}

static void
secure_free(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

void
conf_free(struct conf *c)
{
	if (c == NULL)
		return;
	free(c->path);
	free(c->repo_name);
	strlist_clear(&c->repo_names);
	free(c->libvirt_uri);
	free(c->host);
	free(c->prune_schedule);
	free(c->notify.webhook_url);
	strlist_clear(&c->notify.mail_to);
	free(c->notify.ca_file);
	free(c->notify.sendmail);
	free(c->master_key_file);
	free(c->state_dir);
	free(c->overlay_dir);
	free(c->metrics_file);
	free(c->report_file);
	free(c->s3_addressing);
	free(c->storage_class);
	free(c->object_lock);
	free(c->ca_file);
	free(c->url);
	free(c->endpoint);
	free(c->region);
	free(c->access_key);
	secure_free(c->secret_key);
	free(c->admin_access_key);
	secure_free(c->admin_secret_key);
	free(c->password_file);
	secure_free(c->password);
	for (size_t i = 0; i < c->njobs; i++) {
		free(c->jobs[i].name);
		free(c->jobs[i].schedule);
		free(c->jobs[i].timezone);
		free(c->jobs[i].on_success);
		free(c->jobs[i].on_failure);
		free(c->jobs[i].pre_backup);
		free(c->jobs[i].post_backup);
		free(c->jobs[i].boot_check);
		free(c->jobs[i].boot_check_command);
		free(c->jobs[i].copy_to);
		strlist_clear(&c->jobs[i].domains);
		strlist_clear(&c->jobs[i].exclude_domains);
		strlist_clear(&c->jobs[i].exclude_disks);
	}
	free(c->jobs);
	strlist_clear(&c->errors);
	strlist_clear(&c->set_keys);
	free(c);
}
