#include "common/util_text.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"

long
util_utf8_check(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		unsigned char c = p[i];
		size_t n;
		uint32_t cp;

		if (c == 0)
			return (long)i;
		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xE0) == 0xC0) {
			n = 1;
			cp = c & 0x1F;
		} else if ((c & 0xF0) == 0xE0) {
			n = 2;
			cp = c & 0x0F;
		} else if ((c & 0xF8) == 0xF0) {
			n = 3;
			cp = c & 0x07;
		} else {
			return (long)i;
		}
		if (i + n >= len)
			return (long)i;
		for (size_t k = 1; k <= n; k++) {
			if ((p[i + k] & 0xC0) != 0x80)
				return (long)i;
			cp = (cp << 6) | (p[i + k] & 0x3F);
		}
		/* Overlong forms, surrogates, beyond U+10FFFF. */
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		    (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			return (long)i;
		i += n + 1;
	}
	return -1;
}

char *
util_path_join(const char *dir, const char *name)
{
	size_t n = strlen(dir);

	if (n > 0 && dir[n - 1] == '/')
		return xasprintf("%s%s", dir, name);
	return xasprintf("%s/%s", dir, name);
}

const char *
util_url_origin(const char *url, char *buf, size_t len, bool *userinfo)
{
	const char *sep = strstr(url, "://");
	const char *auth = sep ? sep + 3 : url;
	size_t alen = strcspn(auth, "/?#");
	const char *at = memrchr(auth, '@', alen);
	const char *host = at ? at + 1 : auth;

	if (userinfo != NULL)
		*userinfo = at != NULL;
	snprintf(buf, len, "%.*s%.*s", (int)(auth - url), url, (int)(auth + alen - host), host);
	return buf;
}

const char *
util_basename(const char *path)
{
	const char *p = strrchr(path, '/');

	return p ? p + 1 : path;
}

bool
util_name_valid(const char *name)
{
	size_t n = strlen(name);

	return n > 0 && n <= 128 && name[0] != '.' &&
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

size_t
util_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[64];

	if (la >= 63 || lb >= 63)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t prev = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t cur = row[j];
			size_t best = prev + (a[i - 1] != b[j - 1]);

			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = cur;
		}
	}
	return row[lb];
}

/* The length of the control character at S (1, 2 for a C1 code), or 0. */
static size_t
control_len(const unsigned char *s)
{
	if (*s < 0x20 || *s == 0x7f)
		return 1;
	if (s[0] == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f)
		return 2;
	return 0;
}

bool
util_has_control(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; p != NULL && *p; p++)
		if (control_len(p) > 0)
			return true;
	return false;
}

char *
util_escape(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	char *out, *o;

	if (s == NULL)
		return xstrdup("-");
	/* At worst each byte becomes \xHH. */
	o = out = xmalloc(strlen(s) * 4 + 1);
	while (*p) {
		size_t n = control_len(p);

		if (n == 0 && *p != '\\') {
			*o++ = (char)*p++;
			continue;
		}
		if (n == 0) {
			*o++ = '\\';
			*o++ = '\\';
			p++;
			continue;
		}
		for (; n > 0; n--, p++) {
			snprintf(o, 5, "\\x%02x", *p);
			o += 4;
		}
	}
	*o = '\0';
	return out;
}
