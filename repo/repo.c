#include "repo/repo.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/jsonx.h"
#include "common/log.h"
#include "common/util.h"
#include "repo/fallback.h"
#include "repo/layout.h"
#include "repo/repo_int.h"

struct store *repo_store(struct repo *r) { return r->store; }
const struct codec *repo_codec(struct repo *r) { return r->codec; }
uint32_t repo_chunk_size(const struct repo *r) { return r->chunk_size; }
const char *repo_url(const struct repo *r) { return store_url(r->store); }
const struct conf *repo_conf(const struct repo *r) { return r->conf; }
int repo_version(const struct repo *r) { return r->version; }
const char *repo_host(const struct repo *r) { return r->conf->host; }
void repo_cache_reads(struct repo *r, bool on) { r->cache_reads = on; }
const char *repo_cache_dir(const struct repo *r) { return r->cache ? cache_dir(r->cache) : NULL; }

/* The store options of configuration C into O (borrowed pointers into C). */
static void
store_opts_of(const struct conf *c, struct store_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->s3.endpoint = c->endpoint;
	o->s3.region = c->region;
	o->s3.addressing = c->s3_addressing;
	o->s3.access_key = c->access_key;
	o->s3.secret_key = c->secret_key;
	o->s3.ca_file = c->ca_file;
	o->s3.tls_verify = c->tls_verify;
	o->s3.request_timeout = (long)c->request_timeout;
	o->s3.parallel = c->upload_parallel;
	o->s3.multipart_threshold = c->multipart_threshold;
	o->s3.bandwidth_limit = c->bandwidth_limit;
	o->s3.storage_class = c->storage_class;
	o->s3.object_lock = c->object_lock != NULL;
}

/* The store of C's url with C's options; NULL (logged). */
static struct store *
open_store(const struct conf *c, int create)
{
	struct store_opts so;

	store_opts_of(c, &so);
	return store_open(c->url, create, &so);
}

int
repo_workers(struct repo *r)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	int want = store_parallelism(r->store);

	if (want > n)
		n = want;
	return n < 2 ? 2 : n > 16 ? 16 : (int)n;
}

bool
repo_id_is_zero(const uint8_t id[CRYPTO_HASH_LEN])
{
	for (int i = 0; i < CRYPTO_HASH_LEN; i++)
		if (id[i] != 0)
			return false;
	return true;
}

/*
 * Create the repository of C in store S (NULL: none, an error logged) with
 * PASSWORD (NULL when unencrypted; wiped and freed here). Returns 0 or -1
 * (logged).
 */
static int
init_in(const struct conf *c, struct store *s, char *password, int version)
{
	uint8_t master[CRYPTO_KEY_LEN], rid[16];
	char idhex[33];
	json_object *cfg = NULL;
	bool encrypt = c->encryption != CONF_CIPHER_NONE;
	char when[UTIL_UTC_LEN];
	int r, ret = -1;

	if (s == NULL)
		goto out;
	r = store_exists(s, LAYOUT_CONFIG);
	if (r != 0) {
		if (r == 1)
			log_error("repository %s already exists: refusing to overwrite it", c->url);
		goto out;
	}
	if (crypto_random(rid, sizeof(rid)) < 0 || crypto_random(master, sizeof(master)) < 0)
		goto out;
	crypto_hex(rid, sizeof(rid), idhex);
	/* Object Lock before the first put: every object carries it. */
	cfg = json_object_new_object();
	if (objlock_init(c, s, cfg) < 0)
		goto out;
	/* The key first: a config is only ever seen with its key present. */
	if (encrypt && keys_write(s, idhex, KEYS_V2, password, master, c->host, NULL) < 0)
		goto out;
	util_format_utc(time(NULL), when, sizeof(when));
	json_object_object_add(cfg, "format", json_object_new_string("virtvault"));
	json_object_object_add(cfg, "version", json_object_new_int(version));
	json_object_object_add(cfg, "id", json_object_new_string(idhex));
	json_object_object_add(cfg, "chunk_size", json_object_new_int64((int64_t)c->chunk_size));
	json_object_object_add(cfg, "cipher", json_object_new_string(encrypt ? "aes-256-gcm" : "none"));
	json_object_object_add(cfg, "id_hash", json_object_new_string(encrypt ? "hmac-sha256" : "sha256"));
	json_object_object_add(cfg, "created", json_object_new_string(when));
	if (encrypt) {
		char mac[65];

		if (config_mac(master, cfg, mac) < 0)
			goto out;
		json_object_object_add(cfg, "mac", json_object_new_string(mac));
	}
	r = repo_store_put_json(s, LAYOUT_CONFIG, cfg, STORE_DURABLE | STORE_EXCL);
	if (r == VV_EXISTS)
		log_error("repository %s already exists: refusing to overwrite it", c->url);
	else if (r == 0)
		ret = 0;
out:
	explicit_bzero(master, sizeof(master));
	if (password != NULL) {
		explicit_bzero(password, strlen(password));
		free(password);
	}
	json_object_put(cfg);
	return ret;
}

int
repo_upgrade_format(struct repo *r)
{
	return config_raise_version(r, REPO_FORMAT_VERSION);
}

int
repo_init(const struct conf *c)
{
	return repo_init_format(c, REPO_FORMAT_VERSION);
}

int
repo_init_format(const struct conf *c, int version)
{
	if (version < REPO_FORMAT_FIRST_WRITTEN || version > REPO_FORMAT_VERSION) {
		log_error("repository %s: format %d cannot be made: %d to %d", c->url, version,
		    REPO_FORMAT_FIRST_WRITTEN, REPO_FORMAT_VERSION);
		return -1;
	}
	struct store *s;
	char *password = NULL;
	int ret;

	if (c->encryption != CONF_CIPHER_NONE && (password = repo_read_password(c)) == NULL)
		return -1;
	s = open_store(c, 1);
	ret = init_in(c, s, password, version);
	store_close(s);
	return ret;
}

int
repo_init_in(const struct conf *c, struct store *s, int version)
{
	char *password = NULL;

	if (c->encryption != CONF_CIPHER_NONE && (password = repo_read_password(c)) == NULL)
		return -1;
	return init_in(c, s, password, version);
}

/*
 * Unwrap the master key of RP (its store, conf and id set) into MASTER
 * with the password of its configuration, and check config object CFG
 * with it: the repository's identity as the key records it, then the
 * MAC. Sets RP's kid, kver and mac. Returns 0, or -1 (logged).
 */
static int
open_with_password(struct repo *rp, json_object *cfg, uint8_t master[CRYPTO_KEY_LEN])
{
	const struct conf *c = rp->conf;
	struct strlist keys = { 0 };
	char *password, rid[33] = "", why[80];
	int ret = -1;

	password = repo_read_password(c);
	if (password == NULL)
		return -1;
	if (fallback_list(rp->store, LAYOUT_KEYS, &keys) < 0)
		goto out;
	if (keys.n == 0) {
		log_error("repository %s: no key object under keys/ (the repository is damaged)", c->url);
		goto out;
	}
	for (size_t i = 0; i < keys.n && rp->kver == 0; i++) {
		int version;

		if (keys_try(rp->store, keys.v[i], rp->id, password, master, &version, rid) == 0) {
			rp->kver = version;
			snprintf(rp->kid, sizeof(rp->kid), "%s", util_basename(keys.v[i]));
		}
	}
	if (rp->kver == 0) {
		log_error("wrong password for repository %s (no key under keys/ opens with it)", c->url);
		goto out;
	}
	/* A key of version 2 names its repository: another one's config is no wrong password. */
	if (strcmp(rid, rp->id) != 0) {
		log_error("repository %s: its identity changed: the config object names repository %s, but key object keys/%s, which the password opens, belongs to repository %s: the config object was replaced (by another repository's?); refusing to use the repository",
		    c->url, rp->id, rp->kid, rid);
		goto out;
	}
	snprintf(why, sizeof(why), "key object keys/%s", rp->kid);
	if (config_check(rp->store, master, cfg, rp->kver >= KEYS_V2 ? why : NULL, &rp->mac) < 0)
		goto out;
	if (rp->mac && rp->kver < KEYS_V2)
		log_warn("repository %s: key object keys/%s (of this password) is of version 1: it does not record that the parameters are authenticated, so a MAC removed from the config would go unnoticed with this password: 'virtvault key upgrade' replaces it",
		    c->url, rp->kid);
	ret = 0;
out:
	strlist_clear(&keys);
	explicit_bzero(password, strlen(password));
	free(password);
	return ret;
}

struct repo *
repo_open(const struct conf *c)
{
	struct store *s = open_store(c, 0);

	return s == NULL ? NULL : repo_open_in(c, s);
}

struct repo *
repo_open_in(const struct conf *c, struct store *s)
{
	struct repo *rp = NULL;
	json_object *cfg = NULL;
	uint8_t master[CRYPTO_KEY_LEN];
	const char *cipher, *id, *fmt;
	char why[PATH_MAX + 32];
	int64_t version, chunk;
	int nf;

	cfg = repo_store_json(s, LAYOUT_CONFIG, &nf);
	if (cfg == NULL) {
		if (nf == 1)
			log_error("no repository at %s (no config object): create one with 'virtvault init'",
			    c->url);
		else if (nf == 0)
			log_error("repository %s: the config object is corrupt (not valid JSON)", c->url);
		goto fail;
	}
	fmt = jx_str(cfg, "format");
	cipher = jx_str(cfg, "cipher");
	id = jx_str(cfg, "id");
	version = jx_int(cfg, "version", -1);
	chunk = jx_int(cfg, "chunk_size", -1);
	if (fmt == NULL || strcmp(fmt, "virtvault") != 0 || cipher == NULL || id == NULL ||
	    strlen(id) != 32 || chunk < 4096 || chunk > 64 * 1024 * 1024 ||
	    (chunk & (chunk - 1)) != 0) {
		log_error("repository %s: the config object is corrupt (missing or invalid fields)", c->url);
		goto fail;
	}
	if (version < REPO_FORMAT_OLDEST || version > REPO_FORMAT_VERSION) {
		log_error("repository %s: format version %lld, this virtvault reads versions %d to %d",
		    c->url, (long long)version, REPO_FORMAT_OLDEST, REPO_FORMAT_VERSION);
		goto fail;
	}
	{
		const char *idh = jx_str(cfg, "id_hash");
		bool enc = strcmp(cipher, "none") != 0;

		if (idh != NULL && strcmp(idh, enc ? "hmac-sha256" : "sha256") != 0) {
			log_error("repository %s: the config object is inconsistent (cipher %s with id_hash %s)",
			    c->url, cipher, idh);
			goto fail;
		}
		/* Never write plaintext where this host asked for encryption. */
		if (!enc && c->encryption != CONF_CIPHER_NONE) {
			log_error("repository %s: its config object says it is not encrypted, but this host's configuration asks for encryption = %s: refusing (set encryption = none if it was made unencrypted on purpose; otherwise someone changed the config object)",
			    c->url, conf_cipher_name(c->encryption));
			goto fail;
		}
	}
	rp = xcalloc(1, sizeof(*rp));
	rp->store = s;
	rp->conf = c;
	rp->chunk_size = (uint32_t)chunk;
	rp->version = (int)version;
	snprintf(rp->id, sizeof(rp->id), "%s", id);
	if (strcmp(cipher, "none") == 0) {
		rp->codec = codec_new(NULL, c->compression == CONF_COMP_NONE ? 0 : c->zstd_level);
	} else if (strcmp(cipher, "aes-256-gcm") == 0 && c->master_key_file != NULL) {
		bool recorded;

		/* Every password lost: the key exported with 'key export'. */
		if (keys_read_export(c->master_key_file, id, master, &recorded) < 0)
			goto fail;
		snprintf(why, sizeof(why), "master_key_file %s", c->master_key_file);
		if (config_check(s, master, cfg, recorded ? why : NULL, &rp->mac) < 0)
			goto fail;
		rp->codec = codec_new(master, c->compression == CONF_COMP_NONE ? 0 : c->zstd_level);
		memcpy(rp->master, master, sizeof(master));
		rp->has_master = true;
		explicit_bzero(master, sizeof(master));
	} else if (strcmp(cipher, "aes-256-gcm") == 0) {
		if (open_with_password(rp, cfg, master) < 0)
			goto fail;
		rp->codec = codec_new(master, c->compression == CONF_COMP_NONE ? 0 : c->zstd_level);
		memcpy(rp->master, master, sizeof(master));
		rp->has_master = true;
		explicit_bzero(master, sizeof(master));
	} else {
		log_error("repository %s: unknown cipher '%s' in config", c->url, cipher);
		goto fail;
	}
	if (rp->codec == NULL)
		goto fail;
	/* The repository's own parameters win; say so when the host's differ. */
	if (c->chunk_size != rp->chunk_size) {
		char have[32], want[32];

		log_warn("repository %s uses chunks of %s, fixed when it was made; chunk_size = %s in the configuration applies to new repositories only",
		    c->url, util_format_size_exact(rp->chunk_size, have, sizeof(have)),
		    util_format_size_exact(c->chunk_size, want, sizeof(want)));
	}
	if (c->encryption == CONF_CIPHER_NONE && rp->has_master)
		log_warn("repository %s is encrypted (aes-256-gcm), fixed when it was made; encryption = none in the configuration applies to new repositories only",
		    c->url);
	if (objlock_open(c, s, cfg, &rp->lock) < 0)
		goto fail;
	rp->cache = cache_open(c->state_dir, rp->id, c->cache_size);
	rp->cache_reads = true;
	json_object_put(cfg);
	return rp;
fail:
	explicit_bzero(master, sizeof(master));
	json_object_put(cfg);
	if (rp != NULL) {
		codec_free(rp->codec);
		/* The copy of the master key too, when the codec failed after it. */
		explicit_bzero(rp->master, sizeof(rp->master));
		free(rp);
	}
	store_close(s);
	return NULL;
}

void
repo_close(struct repo *r)
{
	if (r == NULL)
		return;
	codec_free(r->codec);
	store_close(r->store);
	cache_free(r->cache);
	explicit_bzero(r->master, sizeof(r->master));
	free(r);
}

int
repo_put_object(struct repo *r, char kind, const char *key, const void *data,
    size_t len, int flags)
{
	struct codec_work *w = codec_work_new(len);
	uint8_t *buf = xmalloc(codec_bound(len));
	size_t n;
	int ret = -1;

	if (codec_encode(r->codec, w, kind, key, data, len, buf, &n) == 0)
		ret = store_put(r->store, key, buf, n, flags);
	if (ret == VV_DENIED) {
		log_error("repository %s: writing %s was refused (403 AccessDenied): this credential may not write",
		    store_url(r->store), key);
		ret = -1;
	}
	free(buf);
	codec_work_free(w);
	return ret;
}

/*
 * Decode RAW (RAWLEN bytes), object KEY of KIND, into a new buffer *OUT of
 * *LEN bytes, at most MAX. Returns 0, or -1 with the reason in ERR.
 */
static int
decode_object(struct repo *r, char kind, const char *key, const void *raw, size_t rawlen,
    uint8_t **out, size_t *len, size_t max, char *err, size_t errlen)
{
	struct codec_work *w = NULL;
	uint8_t *buf = NULL;
	uint64_t declared = 0;
	size_t plain = 0;
	int ret = -1;

	if (codec_declared_len(raw, rawlen, &declared) < 0) {
		snprintf(err, errlen, "truncated (%zu bytes)", rawlen);
		return -1;
	}
	if (declared > max) {
		snprintf(err, errlen, "declares %llu bytes, more than %zu",
		    (unsigned long long)declared, max);
		return -1;
	}
	w = codec_work_new(declared > rawlen ? declared : rawlen);
	buf = xmalloc(declared + 1);
	if (codec_decode(r->codec, w, kind, key, raw, rawlen, buf, declared, &plain, err,
	    errlen) == 0) {
		buf[plain] = '\0';
		*out = buf;
		*len = plain;
		buf = NULL;
		ret = 0;
	}
	free(buf);
	codec_work_free(w);
	return ret;
}

/*
 * KEY of KIND from R's cache into *OUT and *LEN as repo_get_object gives
 * it. Returns 0, or 1 (not cached, or the cached file failed: removed).
 */
static int
get_cached(struct repo *r, char kind, const char *key, uint8_t **out, size_t *len, size_t max)
{
	void *raw = NULL;
	size_t rawlen = 0;
	char err[160];
	int ret = 1;

	if (r->cache == NULL || !r->cache_reads ||
	    (kind != CODEC_KIND_MANIFEST && kind != CODEC_KIND_INDEX) ||
	    cache_get(r->cache, key, &raw, &rawlen, codec_bound(max)) != 0)
		return 1;
	if (decode_object(r, kind, key, raw, rawlen, out, len, max, err, sizeof(err)) == 0) {
		ret = 0;
	} else {
		/* Corrupt, cut short, or another repository's: the store has it right. */
		log_warn("cache %s: %s: %s; removed, reading it from the store", cache_dir(r->cache),
		    key, err);
		cache_drop(r->cache, key);
	}
	free(raw);
	return ret;
}

/* What the check of a manifest's or index's version decodes into. */
struct object_check {
	struct repo *r;
	char kind;
	size_t max;
	uint8_t *out;
	size_t len;
};

/* Whether RAW, a version of object KEY, decodes (authenticates). */
static int
object_check(const char *key, const void *raw, size_t rawlen, void *ctx, char *why,
    size_t whylen)
{
	struct object_check *c = ctx;

	free(c->out);
	c->out = NULL;
	return decode_object(c->r, c->kind, key, raw, rawlen, &c->out, &c->len, c->max, why,
	    whylen);
}

int
repo_get_object(struct repo *r, char kind, const char *key, uint8_t **out,
    size_t *len, size_t max)
{
	struct object_check c = { r, kind, max, NULL, 0 };
	void *raw = NULL;
	size_t rawlen = 0;
	char err[160];
	int ret;

	if (get_cached(r, kind, key, out, len, max) == 0)
		return 0;
	ret = fallback_get(r->store, key, codec_bound(max), object_check, &c, &raw, &rawlen, err,
	    sizeof(err));
	if (ret == VV_NOT_FOUND)
		return ret;
	if (ret < 0) {
		if (err[0] != '\0')
			log_error("repository %s: object %s: %s", store_url(r->store), key, err);
		free(c.out);
		return -1;
	}
	*out = c.out;
	*len = c.len;
	if (r->cache != NULL && (kind == CODEC_KIND_MANIFEST || kind == CODEC_KIND_INDEX))
		cache_put(r->cache, key, raw, rawlen);
	free(raw);
	return 0;
}
