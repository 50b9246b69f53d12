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
