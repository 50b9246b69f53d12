/*
 * The authentication of a repository's parameters: the config object's
 * MAC (docs/FORMAT.md, "config"), its check when a repository is opened,
 * and its first writing by 'key upgrade' for a repository made before it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/jsonx.h"
#include "common/log.h"
#include "common/util.h"
#include "repo/layout.h"
#include "repo/repo_int.h"

/*
 * HMAC-SHA-256 under a key derived from the master key, over every field
 * that decides how data is written and read: whoever can write the store
 * but has no password cannot change one unnoticed.
 */
int
config_mac(const uint8_t master[CRYPTO_KEY_LEN], json_object *cfg, char out[65])
{
	uint8_t k[CRYPTO_KEY_LEN], h[CRYPTO_HASH_LEN];
	const char *fmt = jx_str(cfg, "format"), *id = jx_str(cfg, "id");
	const char *cipher = jx_str(cfg, "cipher"), *idh = jx_str(cfg, "id_hash");
	json_object *lock;
	char *text;

	if (crypto_hkdf(master, "virtvault config v1", k) < 0) {
		explicit_bzero(k, sizeof(k));
		return -1;
	}
	text = xasprintf("format=%s\nversion=%lld\nid=%s\nchunk_size=%lld\ncipher=%s\nid_hash=%s\n",
	    fmt ? fmt : "", (long long)jx_int(cfg, "version", -1), id ? id : "",
	    (long long)jx_int(cfg, "chunk_size", -1), cipher ? cipher : "", idh ? idh : "");
	/* Object Lock, where recorded: older configs' MACs stay as they were. */
	if (json_object_object_get_ex(cfg, "object_lock", &lock)) {
		const char *mode = jx_str(lock, "mode");
		char *more = xasprintf("%sobject_lock=%s\nobject_lock_days=%lld\nobject_lock_extend=%lld\n",
		    text, mode ? mode : "", (long long)jx_int(lock, "days", -1),
		    (long long)jx_int(lock, "extend", -1));

		free(text);
		text = more;
	}
	crypto_hmac(k, text, strlen(text), h);
	crypto_hex(h, sizeof(h), out);
	explicit_bzero(k, sizeof(k));
	free(text);
	return 0;
}

/*
 * Whether a key object of S says (unauthenticated, as its version) that
 * the config carries a MAC: 1 with "key object KEY" into WHO, 0 (none, or
 * the keys cannot be listed).
 */
static int
keys_marked(struct store *s, char *who, size_t len)
{
	struct strlist keys = { 0 };
	int found = 0;

	if (store_list(s, LAYOUT_KEYS, &keys) < 0)
		return 0;
	for (size_t i = 0; i < keys.n && !found; i++) {
		int nf;
		json_object *o = repo_store_json(s, keys.v[i], &nf);

		if (o != NULL && jx_int(o, "version", KEYS_V1) >= KEYS_V2) {
			snprintf(who, len, "key object %s", keys.v[i]);
			found = 1;
		}
		json_object_put(o);
	}
	strlist_clear(&keys);
	return found;
}

int
config_check(struct store *s, const uint8_t master[CRYPTO_KEY_LEN], json_object *cfg,
    const char *recorded, bool *has_mac)
{
	const char *mac = jx_str(cfg, "mac");
	char want[65], found[80];

	*has_mac = false;
	if (config_mac(master, cfg, want) < 0)
		return -1;
	if (mac != NULL && strcmp(mac, want) != 0) {
		log_error("repository %s: the config object fails its authentication: its format, version, id, chunk_size, cipher, id_hash or object_lock was changed by someone without the password; refusing to use the repository",
		    store_url(s));
		return -1;
	}
	if (mac != NULL) {
		*has_mac = true;
		return 0;
	}
	/* What opened the repository may not record it; another key object may. */
	if (recorded == NULL && keys_marked(s, found, sizeof(found)) == 1)
		recorded = found;
	if (recorded != NULL) {
		log_error("repository %s: the config object has no MAC, but %s records that this repository's parameters are authenticated: someone who can write the store removed it, and may have changed chunk_size, cipher or id_hash; refusing to use the repository (put back the config object from a copy)",
		    store_url(s), recorded);
		return -1;
	}
	log_warn("repository %s: its parameters are not authenticated (a repository made before they were): whoever can write the store could change them unnoticed; 'virtvault key upgrade' authenticates them",
	    store_url(s));
	return 0;
}

/*
 * R's config object re-read before it is rewritten, a new object; NULL
 * (logged) when it is missing, not JSON, or no longer the one this
 * process checked and uses (its id, chunk_size and version; and no MAC
 * when NO_MAC): then nothing may be written.
 */
static json_object *
config_reread(struct repo *r, bool no_mac)
{
	json_object *cfg;
	int nf;

	cfg = repo_store_json(r->store, LAYOUT_CONFIG, &nf);
	if (cfg == NULL) {
		log_error("repository %s: the config object is missing or not valid JSON", store_url(r->store));
		return NULL;
	}
	if ((no_mac && jx_str(cfg, "mac") != NULL) || jx_str(cfg, "id") == NULL ||
	    strcmp(jx_str(cfg, "id"), r->id) != 0 ||
	    jx_int(cfg, "chunk_size", -1) != (int64_t)r->chunk_size ||
	    jx_int(cfg, "version", -1) != r->version) {
		log_error("repository %s: the config object changed while it was open: nothing written",
		    store_url(r->store));
		json_object_put(cfg);
		return NULL;
	}
	return cfg;
}

/* CFG as R's config object, with its MAC when AUTH; CFG put. Returns 0 or -1 (logged). */
static int
config_rewrite(struct repo *r, json_object *cfg, bool auth)
{
	char mac[65];
	int ret = -1;

	if (auth) {
		if (config_mac(r->master, cfg, mac) < 0)
			goto out;
		json_object_object_add(cfg, "mac", json_object_new_string(mac));
	}
	ret = repo_store_put_json(r->store, LAYOUT_CONFIG, cfg, STORE_DURABLE) < 0 ? -1 : 0;
out:
	json_object_put(cfg);
	return ret;
}

int
config_upgrade(struct repo *r)
{
	json_object *cfg;

	if (r->mac)
		return 0;
	if (!r->has_master) {
		log_error("repository %s is not encrypted: there is no key to authenticate its parameters with",
		    store_url(r->store));
		return -1;
	}
	/* Authenticate only what this process checked and uses. */
	if ((cfg = config_reread(r, true)) == NULL || config_rewrite(r, cfg, true) < 0)
		return -1;
	r->mac = true;
	return 1;
}

int
config_raise_version(struct repo *r, int version)
{
	json_object *cfg;

	if (r->version >= version)
		return 0;
	if (r->version < 2) {
		log_error("repository %s is of format %d: its snapshot keys name no host, and format %d cannot be reached from it",
		    store_url(r->store), r->version, version);
		return -1;
	}
	if (r->has_master && !r->mac) {
		log_error("repository %s: its parameters are not authenticated yet: run 'virtvault key upgrade' first",
		    store_url(r->store));
		return -1;
	}
	/* Only what this process checked, its version raised. */
	if ((cfg = config_reread(r, false)) == NULL)
		return -1;
	json_object_object_add(cfg, "version", json_object_new_int(version));
	if (config_rewrite(r, cfg, r->mac) < 0)
		return -1;
	r->version = version;
	return 1;
}

int
repo_config_authentic(struct repo *r, const void *raw, size_t len, char *why, size_t whylen)
{
	json_tokener *tok = json_tokener_new_ex(32);
	json_object *cfg = len > REPO_MAX_META ? NULL : json_tokener_parse_ex(tok, raw, (int)len);
	const char *mac, *id;
	char want[65];
	int ret = -1;

	json_tokener_free(tok);
	if (cfg == NULL || !json_object_is_type(cfg, json_type_object)) {
		snprintf(why, whylen, "not valid JSON");
		goto out;
	}
	id = jx_str(cfg, "id");
	if (id == NULL || strcmp(id, r->id) != 0) {
		snprintf(why, whylen, "not this repository's config");
		goto out;
	}
	mac = jx_str(cfg, "mac");
	if (r->mac && (mac == NULL || config_mac(r->master, cfg, want) < 0 || strcmp(mac, want) != 0)) {
		snprintf(why, whylen, "fails its authentication (MAC)");
		goto out;
	}
	ret = 0;
out:
	json_object_put(cfg);
	return ret;
}
