#include "common/util_units.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Decimal digits at *P into *V; advances *P. Returns -1 on none or overflow. */
static int
parse_digits(const char **p, uint64_t *v)
{
	const char *s = *p;

	*v = 0;
	if (!isdigit((unsigned char)*s))
		return -1;
	for (; isdigit((unsigned char)*s); s++) {
		if (*v > (UINT64_MAX - 9) / 10)
			return -1;
		*v = *v * 10 + (uint64_t)(*s - '0');
	}
	*p = s;
	return 0;
}

int
util_parse_size(const char *s, uint64_t *out)
{
	static const char units[] = "BKMGTP";
	const char *p = s, *u;
	uint64_t v;
	int shift = 0;

	if (parse_digits(&p, &v) < 0)
		return -1;
	while (*p == ' ')
		p++;
	if (*p != '\0') {
		u = strchr(units, toupper((unsigned char)*p));
		if (u == NULL)
			return -1;
		shift = (int)(u - units) * 10;
		p++;
		if (shift > 0) {
			/* K, KB, KiB */
			if ((p[0] == 'i' || p[0] == 'I') && (p[1] == 'B' || p[1] == 'b'))
				p += 2;
			else if (*p == 'B' || *p == 'b')
				p++;
		}
		if (*p != '\0')
			return -1;
	}
	if (shift > 0 && v > (UINT64_MAX >> shift))
		return -1;
	*out = v << shift;
	return 0;
}

int
util_parse_duration(const char *s, uint64_t *out)
{
	const char *p = s;
	uint64_t total = 0;

	if (*p == '\0')
		return -1;
	while (*p != '\0') {
		uint64_t v, mul;

		if (parse_digits(&p, &v) < 0)
			return -1;
		switch (*p) {
		case '\0':
			/* A bare number is seconds, but only on its own. */
			if (p != s && total != 0)
				return -1;
			mul = 1;
			break;
		case 's': mul = 1; p++; break;
		case 'm': mul = 60; p++; break;
		case 'h': mul = 3600; p++; break;
		case 'd': mul = 86400; p++; break;
		case 'w': mul = 604800; p++; break;
		default:
			return -1;
		}
		if (v > (UINT64_MAX - total) / mul)
			return -1;
		total += v * mul;
	}
	*out = total;
	return 0;
}

char *
util_format_size_exact(uint64_t n, char *buf, size_t len)
{
	static const char units[] = "KMGT";
	int u = -1;

	while (n != 0 && u < 3 && n % 1024 == 0) {
		n /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%llu", (unsigned long long)n);
	else
		snprintf(buf, len, "%llu%c", (unsigned long long)n, units[u]);
	return buf;
}

char *
util_format_size(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)bytes;
	size_t i = 0;

	while (v >= 1024 && i + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		i++;
	}
	if (i == 0)
		snprintf(buf, len, "%" PRIu64 " B", bytes);
	else
		snprintf(buf, len, "%.1f %s", v, units[i]);
	return buf;
}
