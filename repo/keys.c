#include "repo/keys.h"

#include <errno.h>
#include <fcntl.h>
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

/* scrypt cost: 32 MiB and about 0.1 s on a server core. */
#define KDF_N 32768
#define KDF_R 8
#define KDF_P 1


static json_object *
jhex(const uint8_t *b, size_t n)
{
	char *h = xmalloc(2 * n + 1);
	json_object *o;

	crypto_hex(b, n, h);
	o = json_object_new_string(h);
	free(h);
	return o;
}


/* The additional data of a key object of VERSION bound to repository RID. */
static void
key_aad(int version, const char *rid, char *out, size_t len)
{
	snprintf(out, len, "virtvault key v%d %s", version, rid);
}

int
keys_write(struct store *s, const char *repo_id, int version, const char *password,
    const uint8_t master[CRYPTO_KEY_LEN], const char *host, char kid_out[17])
{
	char when[UTIL_UTC_LEN];
	uint8_t salt[32], nonce[CRYPTO_NONCE_LEN], kek[CRYPTO_KEY_LEN];
	uint8_t wrapped[CRYPTO_KEY_LEN + CRYPTO_TAG_LEN], kid[8];
	char aad[64], kidhex[17], *key = NULL;
	json_object *o = NULL;
	int ret = -1;

	if (crypto_random(salt, sizeof(salt)) < 0 || crypto_random(nonce, sizeof(nonce)) < 0 ||
	    crypto_random(kid, sizeof(kid)) < 0)
		return -1;
	if (crypto_scrypt(password, strlen(password), salt, sizeof(salt), KDF_N, KDF_R,
	    KDF_P, kek) < 0)
		return -1;
	key_aad(version, repo_id, aad, sizeof(aad));
	if (crypto_seal(kek, nonce, aad, strlen(aad), master, CRYPTO_KEY_LEN, wrapped,
	    wrapped + CRYPTO_KEY_LEN) < 0) {
		log_error("repository %s: cannot wrap the master key", store_url(s));
		goto out;
	}
	o = json_object_new_object();
	if (version >= KEYS_V2) {
		json_object_object_add(o, "version", json_object_new_int(version));
		json_object_object_add(o, "repository", json_object_new_string(repo_id));
	}
	json_object_object_add(o, "kdf", json_object_new_string("scrypt"));
	json_object_object_add(o, "n", json_object_new_int64(KDF_N));
	json_object_object_add(o, "r", json_object_new_int(KDF_R));
	json_object_object_add(o, "p", json_object_new_int(KDF_P));
	json_object_object_add(o, "salt", jhex(salt, sizeof(salt)));
	json_object_object_add(o, "nonce", jhex(nonce, sizeof(nonce)));
	json_object_object_add(o, "wrapped", jhex(wrapped, sizeof(wrapped)));
	json_object_object_add(o, "created",
	    json_object_new_string(util_format_utc(time(NULL), when, sizeof(when))));
	if (host != NULL)
		json_object_object_add(o, "host", json_object_new_string(host));
	crypto_hex(kid, sizeof(kid), kidhex);
	if (kid_out != NULL)
		memcpy(kid_out, kidhex, sizeof(kidhex));
	key = layout_key_key(kidhex);
	ret = repo_store_put_json(s, key, o, STORE_DURABLE | STORE_EXCL) == 0 ? 0 : -1;
out:
	explicit_bzero(kek, sizeof(kek));
	json_object_put(o);
	free(key);
	return ret;
}

/* RID: 32 lower-case hex digits, as a config object's ID. */
static bool
rid_valid(const char *rid)
{
	return rid != NULL && strlen(rid) == 32 && strspn(rid, "0123456789abcdef") == 32;
}

/* What the check of a key object's version unwraps with, and into. */
struct key_try {
	const char *config_id;
	const char *password;
	uint8_t master[CRYPTO_KEY_LEN];
	int version;
	char rid[33];
	int checked;		/* versions checked so far */
	bool first_wrong;	/* the first (the current) opened with no password of ours */
};

/* Whether RAW, a version of key object KEY, opens with the password (a fallback_check_fn). */
static int
unwrap(const char *key, const void *raw, size_t len, void *ctx, char *why, size_t whylen)
{
	struct key_try *kt = ctx;
	uint8_t salt[32], nonce[CRYPTO_NONCE_LEN], wrapped[CRYPTO_KEY_LEN + CRYPTO_TAG_LEN];
	uint8_t kek[CRYPTO_KEY_LEN];
	const char *ss, *ns, *ws, *bound;
	int64_t n, r, p, v;
	char aad[80];
	json_tokener *tok = json_tokener_new_ex(8);
	json_object *o = len > 65536 ? NULL : json_tokener_parse_ex(tok, raw, (int)len);
	int ret = -1;

	(void)key;
	json_tokener_free(tok);
	kt->checked++;
	if (o == NULL || !json_object_is_type(o, json_type_object)) {
		snprintf(why, whylen, "is not valid JSON");
		goto out;
	}
	ss = jx_str(o, "salt");
	ns = jx_str(o, "nonce");
	ws = jx_str(o, "wrapped");
	n = jx_int(o, "n", 0);
	r = jx_int(o, "r", 0);
	p = jx_int(o, "p", 0);
	v = jx_int(o, "version", KEYS_V1);
	bound = v == KEYS_V1 ? kt->config_id : jx_str(o, "repository");
	if (v != KEYS_V1 && v != KEYS_V2) {
		snprintf(why, whylen, "is of version %lld, this virtvault knows 1 and 2: skipped",
		    (long long)v);
		goto out;
	}
	if (ss == NULL || ns == NULL || ws == NULL || crypto_unhex(ss, salt, sizeof(salt)) < 0 ||
	    crypto_unhex(ns, nonce, sizeof(nonce)) < 0 ||
	    crypto_unhex(ws, wrapped, sizeof(wrapped)) < 0 ||
	    n < 1024 || (n & (n - 1)) != 0 || r < 1 || p < 1 || !rid_valid(bound)) {
		snprintf(why, whylen, "is corrupt");
		goto out;
	}
	/* Never more work than virtvault itself asks for: a planted key
	 * object must not make every command take minutes and gigabytes. */
	if (n > KDF_N || r > KDF_R || p > KDF_P) {
		snprintf(why, whylen, "asks for scrypt N=%lld r=%lld p=%lld, more than virtvault writes (N=%d r=%d p=%d): skipped (planted or damaged)",
		    (long long)n, (long long)r, (long long)p, KDF_N, KDF_R, KDF_P);
		goto out;
	}
	if (crypto_scrypt(kt->password, strlen(kt->password), salt, sizeof(salt), (uint64_t)n,
	    (uint32_t)r, (uint32_t)p, kek) < 0) {
		snprintf(why, whylen, "cannot be opened (scrypt failed)");
		goto out;
	}
	/* The version and the ID are in the additional data: neither can be
	 * changed, nor the version stripped, without the password. */
	key_aad((int)v, bound, aad, sizeof(aad));
	if (crypto_open(kek, nonce, aad, strlen(aad), wrapped, CRYPTO_KEY_LEN, kt->master,
	    wrapped + CRYPTO_KEY_LEN) != 0) {
		snprintf(why, whylen, "does not open with this password");
		if (kt->checked == 1)
			kt->first_wrong = true;
		goto out;
	}
	kt->version = (int)v;
	snprintf(kt->rid, sizeof(kt->rid), "%s", bound);
	ret = 0;
out:
	explicit_bzero(kek, sizeof(kek));
	json_object_put(o);
	return ret;
}

int
keys_try(struct store *s, const char *key, const char *config_id, const char *password,
    uint8_t master[CRYPTO_KEY_LEN], int *version, char rid[33])
{
	struct key_try kt = { .config_id = config_id, .password = password };
	char why[256];
	int rc;

	/* An older version where the current one does not open: fallback_get. */
	rc = fallback_get(s, key, REPO_MAX_META, unwrap, &kt, NULL, NULL, why, sizeof(why));
	if (rc == 0) {
		memcpy(master, kt.master, CRYPTO_KEY_LEN);
		*version = kt.version;
		snprintf(rid, 33, "%s", kt.rid);
	} else if (rc == VV_NOT_FOUND) {
		log_error("repository %s: key object %s is missing", store_url(s), key);
		rc = -1;
	} else if (kt.first_wrong) {
		rc = 1;
	} else if (why[0] != '\0') {
		log_error("repository %s: key object %s %s", store_url(s), key, why);
	}
	explicit_bzero(kt.master, sizeof(kt.master));
	return rc;
}

/* The check line of an exported key: binds the key to the repository ID. */
static void
export_check(const char *repo_id, const uint8_t master[CRYPTO_KEY_LEN], char out[17])
{
	uint8_t h[CRYPTO_HASH_LEN];

	crypto_hmac(master, repo_id, strlen(repo_id), h);
	crypto_hex(h, 8, out);
}

int
keys_read_export(const char *file, const char *repo_id, uint8_t master[CRYPTO_KEY_LEN],
    bool *recorded)
{
	char line[256], rid[64] = "", key[80] = "", check[32] = "", want[17];
	struct stat st;
	FILE *f = fopen(file, "re");
	bool head = false;

	*recorded = false;
	if (f == NULL) {
		log_error("master_key_file %s: %s", file, strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & 0077) != 0) {
		log_error("master_key_file %s is readable by group or others (mode %04o); fix it with: chmod 600 %s",
		    file, (unsigned)(st.st_mode & 07777), file);
		fclose(f);
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (strcmp(line, "virtvault master key v1") == 0)
			head = true;
		else if (strncmp(line, "repository: ", 12) == 0)
			snprintf(rid, sizeof(rid), "%s", line + 12);
		else if (strncmp(line, "key: ", 5) == 0)
			snprintf(key, sizeof(key), "%s", line + 5);
		else if (strncmp(line, "check: ", 7) == 0)
			snprintf(check, sizeof(check), "%s", line + 7);
		else if (strcmp(line, "config: mac") == 0)
			*recorded = true;
	}
	fclose(f);
	explicit_bzero(line, sizeof(line));
	if (!head || crypto_unhex(key, master, CRYPTO_KEY_LEN) < 0) {
		explicit_bzero(key, sizeof(key));
		log_error("master_key_file %s is not a key exported by 'virtvault key export'", file);
		return -1;
	}
	explicit_bzero(key, sizeof(key));
	if (strcmp(rid, repo_id) != 0) {
		log_error("master_key_file %s is the key of repository %s, but the config object says this is repository %s: the key of another repository, or the repository's identity changed (its config object replaced)",
		    file, rid, repo_id);
		return -1;
	}
	export_check(repo_id, master, want);
	if (strcmp(check, want) != 0) {
		log_error("master_key_file %s: its check line does not match (a mistyped key?)", file);
		return -1;
	}
	return 0;
}

int
repo_keys_list(struct repo *r, struct repo_key_info **out, size_t *n)
{
	struct strlist keys = { 0 };

	*out = NULL;
	*n = 0;
	if (store_list(r->store, LAYOUT_KEYS, &keys) < 0)
		return -1;
	*out = xcalloc(keys.n + 1, sizeof(**out));
	for (size_t i = 0; i < keys.n; i++) {
		struct repo_key_info *k = &(*out)[(*n)++];
		int nf;
		json_object *o = repo_store_json(r->store, keys.v[i], &nf);

		snprintf(k->kid, sizeof(k->kid), "%s", util_basename(keys.v[i]));
		k->current = strcmp(k->kid, r->kid) == 0;
		if (o == NULL)
			continue;
		k->n = (uint64_t)jx_int(o, "n", 0);
		k->version = (int)jx_int(o, "version", KEYS_V1);
		snprintf(k->created, sizeof(k->created), "%s", jx_str(o, "created") ? jx_str(o, "created") : "");
		snprintf(k->host, sizeof(k->host), "%s", jx_str(o, "host") ? jx_str(o, "host") : "");
		json_object_put(o);
	}
	strlist_clear(&keys);
	return 0;
}

static int
need_master(struct repo *r)
{
	if (!r->has_master) {
		log_error("repository %s is not encrypted: it has no keys", store_url(r->store));
		return -1;
	}
	return 0;
}

int
repo_key_add(struct repo *r, const char *password, char kid[17])
{
	if (need_master(r) < 0)
		return -1;
	/* Version 2 says the config has a MAC: only where it has one. */
	return keys_write(r->store, r->id, r->mac ? KEYS_V2 : KEYS_V1, password, r->master,
	    r->conf->host, kid);
}

/*
 * Delete key object KID of R without ever leaving it none. The callers'
 * checks ("not the last one") are made on a listing that others change
 * at the same time: A removing key 2 while B removes key 1 each saw two.
 * So the object is read first, and after the delete the keys are listed
 * again: when none is left (or the listing fails), it is put back and the
 * removal fails. Why a key always survives: take the last delete of any
 * such race; its process lists after it, when every other delete is done,
 * so it either sees a key, which nothing deletes any more, or sees none
 * and puts its own back. (A store whose listings see deletes at once, as
 * file:// and S3 today.) Returns 0 or -1 (logged).
 */
static int
delete_key(struct repo *r, const char *kid)
{
	struct strlist left = { 0 };
	char *key = layout_key_key(kid);
	void *buf = NULL;
	size_t len = 0;
	int rc, ret = -1;

	rc = store_get(r->store, key, &buf, &len, REPO_MAX_META);
	if (rc == VV_NOT_FOUND)
		log_error("repository %s: key %s is gone already (removed by another process?)",
		    store_url(r->store), kid);
	if (rc != 0)
		goto out;
	rc = fallback_erase(r->store, key);
	if (rc == VV_LOCKED)
		log_error("repository %s: key %s was removed, but a version of it stays (object lock, or a credential that may not delete versions): its password still opens the repository until that version is gone",
		    store_url(r->store), kid);
	else if (rc == VV_DENIED)
		log_error("repository %s: removing key %s was refused (403 AccessDenied): this needs the admin credential",
		    store_url(r->store), kid);
	if (rc != 0)
		goto out;
	rc = store_list(r->store, LAYOUT_KEYS, &left);
	if (rc == 0 && left.n > 0) {
		ret = 0;
		goto out;
	}
	rc = store_put(r->store, key, buf, len, STORE_DURABLE | STORE_EXCL);
	if (rc == 0 || rc == VV_EXISTS)
		log_error("repository %s: key %s put back: %s", store_url(r->store), kid,
		    left.n == 0 && rc == 0 ? "no other key was left (another process removed them at the same time)" :
		    "the keys left cannot be listed");
	else
		log_error("repository %s: key %s was removed and cannot be put back, and no other key may be left: add one now with 'virtvault key add' from a process that has the repository open",
		    store_url(r->store), kid);
out:
	strlist_clear(&left);
	free(buf);
	free(key);
	return ret;
}

int
repo_key_passwd(struct repo *r, const char *password, char kid[17])
{
	if (*r->kid == '\0') {
		log_error("repository %s was opened with an exported key: use 'key add' for a password",
		    store_url(r->store));
		return -1;
	}
	if (repo_key_add(r, password, kid) < 0)
		return -1;
	/* The new key is in place: the old password may go. */
	if (delete_key(r, r->kid) < 0)
		return -1;
	snprintf(r->kid, sizeof(r->kid), "%s", kid);
	r->kver = r->mac ? KEYS_V2 : KEYS_V1;
	return 0;
}

int
repo_key_upgrade(struct repo *r, struct repo_upgrade *u)
{
	char *password = NULL;
	int rc, ret = -1;

	memset(u, 0, sizeof(*u));
	if (need_master(r) < 0 || (rc = config_upgrade(r)) < 0)
		return -1;
	u->config = rc == 1;
	if (*r->kid == '\0' || r->kver >= KEYS_V2)
		return 0;
	/* The same password again, under a key object that records the MAC. */
	snprintf(u->old_kid, sizeof(u->old_kid), "%s", r->kid);
	password = repo_read_password(r->conf);
	if (password != NULL && repo_key_passwd(r, password, u->new_kid) == 0)
		ret = 0;
	else
		u->old_kid[0] = '\0';
	if (password != NULL) {
		explicit_bzero(password, strlen(password));
		free(password);
	}
	return ret;
}

const char *
repo_key_current(const struct repo *r)
{
	return r->kid;
}

int
repo_key_remove(struct repo *r, const char *kid)
{
	struct repo_key_info *l = NULL;
	size_t n = 0, match = 0, which = 0;
	int ret = -1;

	if (need_master(r) < 0 || repo_keys_list(r, &l, &n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (strncmp(l[i].kid, kid, strlen(kid)) == 0) {
			match++;
			which = i;
		}
	}
	if (*kid == '\0' || match == 0)
		log_error("repository %s has no key %s (see 'virtvault key list')", store_url(r->store), kid);
	else if (match > 1)
		log_error("key %s is ambiguous (%zu keys): give more digits", kid, match);
	else if (n == 1)
		log_error("key %s is the last one: removing it would lose the repository", l[which].kid);
	else if (l[which].current)
		log_error("key %s opened the repository: use another password to remove it", l[which].kid);
	else
		ret = delete_key(r, l[which].kid);
	free(l);
	return ret;
}

/* Write LEN bytes of BUF to FD, whatever the pieces: 0, or -1 with errno set. */
static int
write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int
repo_key_export(struct repo *r, const char *file)
{
	char hex[2 * CRYPTO_KEY_LEN + 1], check[17], *text;
	bool out = strcmp(file, "-") == 0;
	const char *name = out ? "the standard output" : file;
	int fd, ret = -1;
	size_t len;

	if (need_master(r) < 0)
		return -1;
	fd = out ? STDOUT_FILENO : open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		log_error("key export to %s: %s%s", file, strerror(errno),
		    errno == EEXIST ? " (it is never overwritten)" : "");
		return -1;
	}
	crypto_hex(r->master, CRYPTO_KEY_LEN, hex);
	export_check(r->id, r->master, check);
	text = xasprintf("virtvault master key v1\n"
	    "# Whoever holds this file can read every backup of the repository:\n"
	    "# keep it offline. Use it with [repository] master_key_file = FILE.\n"
	    "repository: %s\nkey: %s\ncheck: %s\n%s", r->id, hex, check,
	    r->mac ? "config: mac\n" : "");
	len = strlen(text);
	/* A pipe cannot be synced: whoever reads it keeps the key. */
	if (write_all(fd, text, len) == 0 && (out || fsync(fd) == 0))
		ret = 0;
	else
		log_error("key export to %s: %s", name, strerror(errno));
	if (!out && close(fd) < 0 && ret == 0) {
		log_error("key export to %s: %s", name, strerror(errno));
		ret = -1;
	}
	if (ret < 0 && !out)
		unlink(file);
	explicit_bzero(hex, sizeof(hex));
	explicit_bzero(text, len);
	free(text);
	return ret;
}
