#include "repo/recover.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fault.h"
#include "common/jsonx.h"
#include "common/log.h"
#include "repo/codec.h"
#include "repo/fallback.h"
#include "repo/layout.h"
#include "repo/lock.h"

/* Where the objects to recover are, and how each kind authenticates. */
static const char *const recover_prefixes[] = {
	LAYOUT_CONFIG, LAYOUT_KEYS, LAYOUT_SNAPSHOTS, LAYOUT_INDEXES, LAYOUT_CHUNKS,
};

/* Decode RAW, object KEY of KIND, and check its ID when ID is not NULL. 0 or -1 (WHY). */
static int
decodes(struct repo *r, char kind, const char *key, const void *raw, size_t len,
    const uint8_t *id, char *why, size_t whylen)
{
	uint64_t declared = 0;
	struct codec_work *w;
	uint8_t *buf, got[CRYPTO_HASH_LEN];
	size_t plain = 0;
	int rc;

	if (codec_declared_len(raw, len, &declared) < 0 || declared > REPO_MAX_INDEX) {
		snprintf(why, whylen, "not an object virtvault writes");
		return -1;
	}
	w = codec_work_new(declared > len ? declared : len);
	buf = xmalloc(declared + 1);
	rc = codec_decode(repo_codec(r), w, kind, key, raw, len, buf, declared, &plain, why,
	    whylen);
	if (rc == 0 && id != NULL) {
		codec_id(repo_codec(r), buf, plain, got);
		if (memcmp(got, id, sizeof(got)) != 0) {
			snprintf(why, whylen, "does not hash to its ID");
			rc = -1;
		}
	}
	free(buf);
	codec_work_free(w);
	return rc;
}

/* Whether RAW is an authentic version of KEY (a fallback_check_fn on R). */
static int
authentic(const char *key, const void *raw, size_t len, void *ctx, char *why, size_t whylen)
{
	struct repo *r = ctx;
	uint8_t id[CRYPTO_HASH_LEN];

	if (strcmp(key, LAYOUT_CONFIG) == 0)
		return repo_config_authentic(r, raw, len, why, whylen);
	if (strncmp(key, LAYOUT_KEYS, strlen(LAYOUT_KEYS)) == 0) {
		/* Its wrapping authenticates it under its own password; what is
		 * checked here is that it is a key object at all. */
		json_tokener *tok = json_tokener_new_ex(8);
		json_object *o = json_tokener_parse_ex(tok, raw, (int)(len > 65536 ? 0 : len));
		int ok = o != NULL && jx_str(o, "wrapped") != NULL && jx_str(o, "salt") != NULL;

		json_object_put(o);
		json_tokener_free(tok);
		if (!ok)
			snprintf(why, whylen, "not a key object");
		return ok ? 0 : -1;
	}
	if (strncmp(key, LAYOUT_SNAPSHOTS, strlen(LAYOUT_SNAPSHOTS)) == 0)
		return decodes(r, CODEC_KIND_MANIFEST, key, raw, len, NULL, why, whylen);
	if (layout_id_of_key(key, id) < 0) {
		snprintf(why, whylen, "its name is not an ID");
		return -1;
	}
	return decodes(r, strncmp(key, LAYOUT_INDEXES, strlen(LAYOUT_INDEXES)) == 0 ?
	    CODEC_KIND_INDEX : CODEC_KIND_CHUNK, key, raw, len, id, why, whylen);
}

/* The largest object KEY may be. */
static size_t
cap_of(const char *key)
{
	return codec_bound(strncmp(key, LAYOUT_INDEXES, strlen(LAYOUT_INDEXES)) == 0 ?
	    REPO_MAX_INDEX : REPO_MAX_META);
}

/* What the walk over the versions keeps of the key it is at. */
struct walk {
	struct repo *r;
	const struct recover_opts *o;
	struct recover_stats *st;
	const char *prefix;
	const struct strlist *forgotten;	/* manifests a forget request names */
	char key[LAYOUT_KEY_MAX];	/* "" before the first */
	struct store_version cur;	/* its newest version */
	size_t n;			/* its versions seen */
	int failed;
};

/* The key W is at, once all its versions were seen. */
static void
settle(struct walk *w)
{
	struct store *s = repo_store(w->r);
	char id[128], why[200];
	void *raw = NULL;
	size_t len = 0;
	bool current = false;
	int rc;

	if (w->key[0] == '\0')
		return;
	w->st->checked++;
	/* Forgotten, its versions kept (object lock): not brought back. */
	if (strcmp(w->prefix, LAYOUT_SNAPSHOTS) == 0 && strlist_contains(w->forgotten, w->key))
		return;
	/* A current version that reads and authenticates, not newer than asked, stays. */
	if (!w->cur.delete_marker && (w->o->as_of == 0 || w->cur.modified <= w->o->as_of)) {
		rc = store_get_version(s, w->key, w->cur.id, &raw, &len, cap_of(w->key));
		if (rc == 0 && authentic(w->key, raw, len, w->r, why, sizeof(why)) == 0) {
			free(raw);
			return;
		}
		free(raw);
		raw = NULL;
	}
	rc = fallback_last_good(s, w->key, cap_of(w->key), w->o->as_of, authentic,
	    w->r, id, sizeof(id), &raw, &len, &current);
	if (rc < 0) {
		w->failed = -1;
		return;
	}
	if (rc == VV_NOT_FOUND) {
		if (w->o->as_of != 0 && w->cur.modified > w->o->as_of && !w->cur.delete_marker) {
			printf("left %s: no version before the time asked (made after it)\n", w->key);
			return;
		}
		log_error("repository %s: object %s has no version that authenticates: it cannot be recovered",
		    repo_url(w->r), w->key);
		w->st->lost++;
		return;
	}
	if (current) {
		free(raw);
		return;	/* the newest good one is the current one already */
	}
	printf("%s %s from its version %s\n", w->o->dry_run ? "would rewrite" : "rewrote",
	    w->key, id);
	w->st->rewritten++;
	if (!w->o->dry_run) {
		rc = store_put(s, w->key, raw, len, STORE_DURABLE);
		if (rc == 0)
			fault_stall("recover-rewrote", NULL, NULL);	/* a test kills it here */
		if (rc != 0) {
			if (rc == VV_DENIED)
				log_error("repository %s: rewriting %s was refused (403 AccessDenied)",
				    repo_url(w->r), w->key);
			w->failed = -1;
		}
	}
	free(raw);
}

static int
on_version(const char *key, const struct store_version *v, void *ctx)
{
	struct walk *w = ctx;

	size_t kl = strlen(key), sl = strlen(LAYOUT_FORGET_SUFFIX);

	/* Under "config", only the config itself; no forget request (not authenticated). */
	if ((strcmp(w->prefix, LAYOUT_CONFIG) == 0 && strcmp(key, LAYOUT_CONFIG) != 0) ||
	    (kl > sl && strcmp(key + kl - sl, LAYOUT_FORGET_SUFFIX) == 0))
		return 0;
	if (strcmp(key, w->key) != 0) {
		settle(w);
		snprintf(w->key, sizeof(w->key), "%s", key);
		w->cur = *v;
		w->n = 0;
	}
	w->n++;
	return 0;
}

int
recover_run(struct repo *r, const struct recover_opts *o, struct recover_stats *st)
{
	struct repo_lock *lock = NULL;
	struct strlist forgotten = { 0 };
	size_t sl = strlen(LAYOUT_FORGET_SUFFIX), k = 0;
	int ret = 0;

	memset(st, 0, sizeof(*st));
	if (!o->dry_run && repo_lock_take(r, REPO_LOCK_EXCLUSIVE, "recover", &lock) != 0)
		return -1;
	if (store_list(repo_store(r), LAYOUT_SNAPSHOTS, &forgotten) < 0) {
		repo_lock_release(lock);
		return -1;
	}
	/* The manifests forget requests name (requests end in LAYOUT_FORGET_SUFFIX). */
	for (size_t i = 0; i < forgotten.n; i++) {
		size_t kl = strlen(forgotten.v[i]);

		if (kl > sl && strcmp(forgotten.v[i] + kl - sl, LAYOUT_FORGET_SUFFIX) == 0) {
			forgotten.v[i][kl - sl] = '\0';
			forgotten.v[k++] = forgotten.v[i];
		} else {
			free(forgotten.v[i]);
		}
	}
	forgotten.n = k;
	for (size_t i = 0; i < sizeof(recover_prefixes) / sizeof(recover_prefixes[0]); i++) {
		struct walk w = { .r = r, .o = o, .st = st, .prefix = recover_prefixes[i],
			.forgotten = &forgotten };

		if (store_list_versions(repo_store(r), recover_prefixes[i], on_version, &w) != 0)
			ret = -1;
		settle(&w);
		if (w.failed < 0)
			ret = -1;
	}
	strlist_clear(&forgotten);
	repo_lock_release(lock);
	if (st->lost > 0)
		ret = -1;
	return ret;
}
