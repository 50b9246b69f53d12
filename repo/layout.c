#include "repo/layout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

static char *
hashed_key(const char *prefix, const uint8_t id[CRYPTO_HASH_LEN], char *buf, size_t len)
{
	char hex[2 * CRYPTO_HASH_LEN + 1];

	crypto_hex(id, CRYPTO_HASH_LEN, hex);
	snprintf(buf, len, "%s%.2s/%s", prefix, hex, hex);
	return buf;
}

char *
layout_chunk_key(const uint8_t id[CRYPTO_HASH_LEN], char *buf, size_t len)
{
	return hashed_key(LAYOUT_CHUNKS, id, buf, len);
}

char *
layout_index_key(const uint8_t id[CRYPTO_HASH_LEN], char *buf, size_t len)
{
	return hashed_key(LAYOUT_INDEXES, id, buf, len);
}

char *
layout_key_key(const char *kidhex)
{
	return xasprintf("%s%s", LAYOUT_KEYS, kidhex);
}

char *
layout_snapshot_key(int version, const char *host, const char *name, const char *time,
    const char *id)
{
	char *prefix = layout_snapshot_prefix(version, host, name);
	/* 2026-11-26T02:00:00Z -> 20261126T020000Z */
	char *key = xasprintf("%s%.4s%.2s%.2sT%.2s%.2s%.2sZ-%s", prefix, time, time + 5,
	    time + 8, time + 11, time + 14, time + 17, id);

	free(prefix);
	return key;
}

char *
layout_snapshot_prefix(int version, const char *host, const char *name)
{
	if (version < 2)
		return name ? xasprintf("%s%s/", LAYOUT_SNAPSHOTS, name) : xstrdup(LAYOUT_SNAPSHOTS);
	if (host == NULL)
		return xstrdup(LAYOUT_SNAPSHOTS);
	return name ? xasprintf("%s%s/%s/", LAYOUT_SNAPSHOTS, host, name) :
	    xasprintf("%s%s/", LAYOUT_SNAPSHOTS, host);
}

/* The part of KEY from *P to the next '/' into OUT (LEN bytes); *P moves past it. */
static int
take_part(const char **p, char *out, size_t len)
{
	size_t n = strcspn(*p, "/");

	if (n == 0 || n >= len || (*p)[n] != '/')
		return -1;
	memcpy(out, *p, n);
	out[n] = '\0';
	*p += n + 1;
	return 0;
}

int
layout_snapshot_parse(int version, const char *key, struct layout_snapshot *out)
{
	const char *p = key, *s;

	memset(out, 0, sizeof(*out));
	if (strncmp(p, LAYOUT_SNAPSHOTS, strlen(LAYOUT_SNAPSHOTS)) != 0)
		return -1;
	p += strlen(LAYOUT_SNAPSHOTS);
	if ((version >= 2 && take_part(&p, out->host, sizeof(out->host)) < 0) ||
	    take_part(&p, out->name, sizeof(out->name)) < 0)
		return -1;
	/* STAMP-ID: 20261126T020000Z-0123456789abcdef */
	s = p;
	if (strlen(s) != 33 || s[8] != 'T' || s[15] != 'Z' || s[16] != '-' ||
	    strspn(s, "0123456789") != 8 || strspn(s + 9, "0123456789") != 6 ||
	    strspn(s + 17, "0123456789abcdef") != 16)
		return -1;
	snprintf(out->time, sizeof(out->time), "%.4s-%.2s-%.2sT%.2s:%.2s:%.2sZ", s, s + 4, s + 6,
	    s + 9, s + 11, s + 13);
	snprintf(out->id, sizeof(out->id), "%s", s + 17);
	if (util_parse_time(out->time, &out->when) < 0)
		return -1;
	return 0;
}

int
layout_id_of_key(const char *key, uint8_t id[CRYPTO_HASH_LEN])
{
	return crypto_unhex(util_basename(key), id, CRYPTO_HASH_LEN) == 0 ? 0 : -1;
}

bool
layout_name_valid(const char *name)
{
	return util_name_valid(name);
}
