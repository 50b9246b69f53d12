#include "agent/qemu_account.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"

/* The build defaults libvirt ships with: Debian's, then Fedora's. */
static const char *const defaults[] = { "libvirt-qemu", "qemu" };

/* Cap of qemu.conf (some 40 KiB as shipped) and of one account name. */
#define CONF_MAX (1 << 20)
#define NAME_MAX_LEN 256

/*
 * The value of KEY on LINE (at its first non-blank), quoted ' or ", into
 * OUT. Returns 1 when LINE sets KEY, 0 when it does not, -1 (ERR) when its
 * value is malformed or too long.
 */
static int
line_value(const char *line, size_t n, const char *key, char *out, size_t len,
    char *err, size_t errlen)
{
	size_t k = strlen(key), i = k, start;
	char q;

	if (n < k || strncmp(line, key, k) != 0)
		return 0;
	while (i < n && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i == n || line[i] != '=')
		return 0;	/* another key that starts alike (user_xattr) */
	i++;
	while (i < n && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i == n || (line[i] != '"' && line[i] != '\'')) {
		snprintf(err, errlen, "%s: the value is not quoted", key);
		return -1;
	}
	q = line[i++];
	start = i;
	while (i < n && line[i] != q)
		i++;
	if (i == n) {
		snprintf(err, errlen, "%s: the value's quote is not closed", key);
		return -1;
	}
	if (i - start >= len) {
		snprintf(err, errlen, "%s: the value is longer than %zu bytes", key, len - 1);
		return -1;
	}
	memcpy(out, line + start, i - start);
	out[i - start] = '\0';
	return 1;
}

int
qemu_account_parse(const char *text, char *user, char *group, size_t len,
    char *err, size_t errlen)
{
	const char *p = text;

	user[0] = group[0] = '\0';
	while (*p != '\0') {
		const char *end = strchr(p, '\n');
		size_t n = end != NULL ? (size_t)(end - p) : strlen(p);

		while (n > 0 && (*p == ' ' || *p == '\t'))
			p++, n--;
		if (n > 0 && *p != '#' &&
		    (line_value(p, n, "user", user, len, err, errlen) < 0 ||
		    line_value(p, n, "group", group, len, err, errlen) < 0))
			return -1;
		p += n;
		if (*p == '\n')
			p++;
	}
	return 0;
}

/* Whether S is a decimal id below 2^31: into *ID. */
static bool
numeric_id(const char *s, unsigned long *id)
{
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*id = strtoul(s, &end, 10);
	return errno == 0 && *end == '\0' && *id < 0x7fffffffUL;
}

/* User SPEC as libvirt reads it: 0, 1 (no such account), -1 (malformed). */
static int
user_id(const char *spec, uid_t *uid, gid_t *gid, bool *has_gid)
{
	struct passwd pw, *res = NULL;
	char buf[16384];
	unsigned long id;

	*has_gid = false;
	if (spec[0] != '+' && getpwnam_r(spec, &pw, buf, sizeof(buf), &res) == 0 && res != NULL) {
		*uid = pw.pw_uid;
		*gid = pw.pw_gid;
		*has_gid = true;
		return 0;
	}
	if (!numeric_id(spec[0] == '+' ? spec + 1 : spec, &id))
		return spec[0] == '+' ? -1 : 1;
	*uid = (uid_t)id;
	return 0;
}

/* Group SPEC, the same way. */
static int
group_id(const char *spec, gid_t *gid)
{
	struct group gr, *res = NULL;
	char buf[16384];
	unsigned long id;

	if (spec[0] != '+' && getgrnam_r(spec, &gr, buf, sizeof(buf), &res) == 0 && res != NULL) {
		*gid = gr.gr_gid;
		return 0;
	}
	if (!numeric_id(spec[0] == '+' ? spec + 1 : spec, &id))
		return spec[0] == '+' ? -1 : 1;
	*gid = (gid_t)id;
	return 0;
}

/* The text of PATH into *TEXT (NULL when there is no such file). 0 or -1 (logged). */
static int
read_conf(const char *path, char **text)
{
	FILE *f = fopen(path, "re");
	size_t n;

	*text = NULL;
	if (f == NULL) {
		if (errno == ENOENT)
			return 0;
		log_error("%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	*text = xmalloc(CONF_MAX + 1);
	n = fread(*text, 1, CONF_MAX + 1, f);
	if (ferror(f) || n > CONF_MAX) {
		log_error("%s: %s", path, ferror(f) ? "cannot read" : "larger than 1 MiB");
		fclose(f);
		free(*text);
		*text = NULL;
		return -1;
	}
	fclose(f);
	(*text)[n] = '\0';
	return 0;
}

int
qemu_account_find(const char *conf_path, uid_t *uid, gid_t *gid)
{
	char *text = NULL, user[NAME_MAX_LEN] = "", group[NAME_MAX_LEN] = "", err[256];
	gid_t own = 0;
	bool has_own = false;
	int rc = 1;

	if (read_conf(conf_path, &text) < 0)
		return -1;
	if (text != NULL && qemu_account_parse(text, user, group, sizeof(user), err, sizeof(err)) < 0) {
		log_error("%s: %s", conf_path, err);
		free(text);
		return -1;
	}
	free(text);
	if (user[0] != '\0') {
		rc = user_id(user, uid, &own, &has_own);
	} else {
		for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]) && rc == 1; i++)
			rc = user_id(defaults[i], uid, &own, &has_own);
	}
	if (rc != 0) {
		log_error("%s: QEMU's account %s%s %s", conf_path, user[0] ? user : defaults[0],
		    user[0] ? "" : " (the default: no user = set)",
		    rc < 0 ? "is not a name or +ID" : "does not exist");
		return -1;
	}
	if (group[0] != '\0') {
		rc = group_id(group, gid);
	} else {
		rc = 1;
		for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]) && rc == 1; i++)
			rc = group_id(defaults[i], gid);
		if (rc == 1 && has_own) {
			*gid = own;
			rc = 0;
		}
	}
	if (rc != 0) {
		log_error("%s: QEMU's group %s%s %s", conf_path, group[0] ? group : defaults[0],
		    group[0] ? "" : " (the default: no group = set)",
		    rc < 0 ? "is not a name or +ID" : "does not exist");
		return -1;
	}
	return 0;
}
