#include "repo/lock.h"

#include <errno.h>
#include <json-c/json.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/crypto.h"
#include "common/jsonx.h"
#include "common/log.h"
#include "common/par.h"
#include "repo/layout.h"

struct repo_lock {
	struct repo *r;
	enum repo_lock_kind kind;
	char key[64];
	char *what;
	time_t created;
	double refreshed_mono;	/* clock_mono() of the last refresh that reached the store */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;
};

static const char *
kind_name(enum repo_lock_kind k)
{
	return k == REPO_LOCK_EXCLUSIVE ? "exclusive" : "shared";
}

/* This machine's boot ID: a process of ours is judged by it, not by the host name. */
static void
boot_id(char *buf, size_t len)
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");

	buf[0] = '\0';
	if (f != NULL) {
		if (fgets(buf, (int)len, f) == NULL)
			buf[0] = '\0';
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = '\0';
}

/* A time written by lock_write, or 0. */
static time_t
parse_iso(const char *s)
{
	time_t t = 0;

	return util_parse_time(s, &t) == 0 ? t : 0;
}

bool
repo_lock_expired(time_t created, time_t refreshed, time_t now, bool *invalid,
    char *why, size_t len)
{
	bool late = util_time_future(refreshed, now);
	time_t ahead = late ? refreshed : created;
	char when[UTIL_UTC_LEN];

	/* A negative age is no proof of life: a planted lock would block for ever. */
	*invalid = late || util_time_future(created, now);
	if (*invalid) {
		snprintf(why, len, "%s %s is in the future (%llds ahead of this host's clock)",
		    late ? "refreshed" : "created", util_format_utc(ahead, when, sizeof(when)),
		    (long long)(ahead - now));
		return true;
	}
	if (refreshed == 0) {
		snprintf(why, len, "no valid refreshed time");
		return true;
	}
	if (now - refreshed > REPO_LOCK_STALE) {
		snprintf(why, len, "not refreshed for %llds", (long long)(now - refreshed));
		return true;
	}
	return false;
}

/* Write (or rewrite) L's object with the time now. Returns 0 or -1 (logged). */
static int
lock_write(struct repo_lock *l)
{
	json_object *o = json_object_new_object();
	char created[UTIL_UTC_LEN], now[UTIL_UTC_LEN], boot[64];
	const char *text;
	int rc;

	boot_id(boot, sizeof(boot));
	util_format_utc(l->created, created, sizeof(created));
	util_format_utc(time(NULL), now, sizeof(now));
	json_object_object_add(o, "kind", json_object_new_string(kind_name(l->kind)));
	json_object_object_add(o, "host", json_object_new_string(repo_host(l->r)));
	json_object_object_add(o, "boot_id", json_object_new_string(boot));
	json_object_object_add(o, "pid", json_object_new_int64((int64_t)getpid()));
	json_object_object_add(o, "what", json_object_new_string(l->what));
	json_object_object_add(o, "created", json_object_new_string(created));
	json_object_object_add(o, "refreshed", json_object_new_string(now));
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	rc = store_put(repo_store(l->r), l->key, text, strlen(text), 0);
	json_object_put(o);
	if (rc == VV_DENIED)
		log_error("repository %s: writing lock %s was refused (403 AccessDenied): this credential may not write",
		    repo_url(l->r), l->key);
	if (rc == 0) {
		pthread_mutex_lock(&l->mu);
		l->refreshed_mono = clock_mono();
		pthread_mutex_unlock(&l->mu);
	}
	return rc == 0 ? 0 : -1;
}

/*
 * Remove lock object KEY; where the host's credential may not delete
 * (VV_DENIED), overwrite it with a released record instead, which every
 * reader takes for no lock and the admin's prune removes (docs/FORMAT.md,
 * "locks/ID"). Returns 0 or -1 (logged).
 */
static int
lock_drop(struct repo *r, const char *key)
{
	char now[UTIL_UTC_LEN], *text;
	int rc = store_delete(repo_store(r), key);

	if (rc != VV_DENIED)
		return rc < 0 ? -1 : 0;
	text = xasprintf("{\"kind\":\"released\",\"released\":\"%s\"}",
	    util_format_utc(time(NULL), now, sizeof(now)));
	rc = store_put(repo_store(r), key, text, strlen(text), 0);
	free(text);
	if (rc != 0) {
		log_error("repository %s: cannot release lock %s: this credential may neither delete nor overwrite it",
		    repo_url(r), key);
		return -1;
	}
	return 0;
}

/* Read lock object KEY into INFO; -1 when it cannot be read (INFO says stale). */
static int
lock_read(struct repo *r, const char *key, struct repo_lock_info *info)
{
	void *buf = NULL;
	size_t len = 0;
	json_object *o;
	char boot[64];
	const char *b;
	int rc;

	memset(info, 0, sizeof(*info));
	snprintf(info->key, sizeof(info->key), "%s", key);
	rc = store_get(repo_store(r), key, &buf, &len, 64 * 1024);
	if (rc != 0) {
		info->stale = true;
		info->unreadable = rc != VV_NOT_FOUND;
		snprintf(info->why, sizeof(info->why), rc == VV_NOT_FOUND ? "gone" : "unreadable");
		return -1;
	}
	{
		/* An object is bytes, not a string: terminate it first. */
		char *text = xstrndup(buf ? (const char *)buf : "", len);

		o = json_tokener_parse(text);
		free(text);
	}
	free(buf);
	if (o == NULL || jx_str(o, "kind") == NULL) {
		json_object_put(o);
		info->stale = true;
		snprintf(info->why, sizeof(info->why), "not a lock (invalid JSON)");
		snprintf(info->kind, sizeof(info->kind), "?");
		return -1;
	}
	snprintf(info->kind, sizeof(info->kind), "%s", jx_str(o, "kind"));
	if (strcmp(info->kind, "released") == 0) {
		/* Released by a host that may not delete: no lock at all. */
		info->stale = info->released = true;
		info->created = parse_iso(jx_str(o, "released"));
		snprintf(info->host, sizeof(info->host), "?");
		snprintf(info->why, sizeof(info->why), "released");
		json_object_put(o);
		return 0;
	}
	snprintf(info->host, sizeof(info->host), "%s", jx_str(o, "host") ? jx_str(o, "host") : "?");
	snprintf(info->what, sizeof(info->what), "%s", jx_str(o, "what") ? jx_str(o, "what") : "");
	info->pid = (long)jx_int(o, "pid", 0);
	info->created = parse_iso(jx_str(o, "created"));
	info->refreshed = parse_iso(jx_str(o, "refreshed"));
	boot_id(boot, sizeof(boot));
	b = jx_str(o, "boot_id");
	if (repo_lock_expired(info->created, info->refreshed, time(NULL), &info->invalid, info->why,
	    sizeof(info->why))) {
		info->stale = true;
	} else if (b != NULL && *boot && strcmp(b, boot) == 0 && info->pid > 0 &&
	    kill((pid_t)info->pid, 0) < 0 && errno == ESRCH) {
		info->stale = true;
		snprintf(info->why, sizeof(info->why), "its process %ld on this machine is gone",
		    info->pid);
	}
	json_object_put(o);
	return 0;
}

struct locks_read {
	struct repo *r;
	char **keys;
	struct repo_lock_info *info;
};

static void
lock_read_one(size_t i, void *arg)
{
	struct locks_read *j = arg;

	lock_read(j->r, j->keys[i], &j->info[i]);
}

int
repo_locks_list(struct repo *r, struct repo_lock_info **out, size_t *n)
{
	struct strlist keys = { 0 };
	struct locks_read j;

	*out = NULL;
	*n = 0;
	if (store_list(repo_store(r), LAYOUT_LOCKS, &keys) < 0)
		return -1;
	*out = xcalloc(keys.n + 1, sizeof(**out));
	/* Fifty hosts at work hold fifty locks: read at once, not one by one. */
	j = (struct locks_read){ r, keys.v, *out };
	par_each(keys.n, repo_conf(r)->read_parallel, lock_read_one, &j);
	for (size_t i = 0; i < keys.n; i++) {
		/* Removed between the listing and the read: not a lock any more. */
		if (strcmp((*out)[i].why, "gone") != 0)
			(*out)[(*n)++] = (*out)[i];
	}
	strlist_clear(&keys);
	return 0;
}

int
repo_lock_remove(struct repo *r, const char *key)
{
	int rc;

	if (strncmp(key, LAYOUT_LOCKS, strlen(LAYOUT_LOCKS)) != 0) {
		log_error("repository %s: %s is not a lock", repo_url(r), key);
		return -1;
	}
	rc = store_delete(repo_store(r), key);
	if (rc == VV_DENIED)
		log_error("repository %s: removing lock %s was refused (403 AccessDenied): this host's credential may not delete; run this with the admin credential ([repository] admin_access_key and admin_secret_key)",
		    repo_url(r), key);
	return rc < 0 || rc == VV_DENIED ? -1 : 0;
}

int
repo_lock_probe_delete(struct repo *r, const char *cmd)
{
	char key[64], hex[17], now[UTIL_UTC_LEN], *text;
	uint8_t rnd[8];
	int rc;

	if (crypto_random(rnd, sizeof(rnd)) < 0)
		return -1;
	text = xasprintf("{\"kind\":\"released\",\"released\":\"%s\"}",
	    util_format_utc(time(NULL), now, sizeof(now)));
	crypto_hex(rnd, sizeof(rnd), hex);
	snprintf(key, sizeof(key), "%sprobe-%s", LAYOUT_LOCKS, hex);
	rc = store_put(repo_store(r), key, text, strlen(text), 0);
	free(text);
	/* Its reply lost, a put may have been done: no probe left behind. */
	if (rc == 0 || rc < 0) {
		int del = store_delete(repo_store(r), key);

		if (rc == 0)
			rc = del;
	}
	if (rc == VV_DENIED) {
		/* The released record stays: the admin's prune removes it. */
		log_error("repository %s: %s needs the admin credential: this host's credential may not delete (403 AccessDenied); set [repository] admin_access_key and admin_secret_key, or run it where they are set",
		    repo_url(r), cmd);
		return VV_DENIED;
	}
	return rc == 0 || rc == VV_NOT_FOUND ? 0 : -1;
}

static void *
refresher(void *arg)
{
	struct repo_lock *l = arg;
	struct timespec until;

	pthread_mutex_lock(&l->mu);
	while (!l->stop) {
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += REPO_LOCK_REFRESH;
		pthread_cond_timedwait(&l->cv, &l->mu, &until);
		if (l->stop)
			break;
		pthread_mutex_unlock(&l->mu);
		if (lock_write(l) < 0)
			log_warn("repository %s: cannot refresh lock %s; retrying", repo_url(l->r), l->key);
		pthread_mutex_lock(&l->mu);
	}
	pthread_mutex_unlock(&l->mu);
	return NULL;
}

/* The first lock of another holder that conflicts with KIND, into *WHO; 1, 0, or -1. */
static int
conflict(struct repo_lock *l, struct repo_lock_info *who)
{
	struct repo_lock_info *all = NULL;
	size_t n = 0;
	int found = 0;

	if (repo_locks_list(l->r, &all, &n) < 0)
		return -1;
	for (size_t i = 0; i < n && !found; i++) {
		/* A read that failed proves nothing: it may be a live exclusive lock. */
		if (all[i].unreadable && strcmp(all[i].key, l->key) != 0) {
			log_error("repository %s: lock %s cannot be read: not taking a lock beside it",
			    repo_url(l->r), all[i].key);
			found = -1;
			break;
		}
		if (strcmp(all[i].key, l->key) == 0 || all[i].stale)
			continue;
		if (l->kind == REPO_LOCK_EXCLUSIVE || strcmp(all[i].kind, "exclusive") == 0) {
			*who = all[i];
			found = 1;
		}
	}
	free(all);
	return found;
}

int
repo_lock_take(struct repo *r, enum repo_lock_kind kind, const char *what,
    struct repo_lock **out)
{
	struct repo_lock *l = xcalloc(1, sizeof(*l));
	double deadline = clock_mono() + (double)repo_conf(r)->lock_wait;
	struct repo_lock_info who;
	uint8_t rnd[8];
	char hex[17];
	bool said = false;
	pthread_condattr_t ca;
	int ret = -1;

	*out = NULL;
	l->r = r;
	l->kind = kind;
	l->what = xstrdup(what);
	l->created = time(NULL);
	pthread_mutex_init(&l->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&l->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (crypto_random(rnd, sizeof(rnd)) < 0)
		goto fail;
	crypto_hex(rnd, sizeof(rnd), hex);
	snprintf(l->key, sizeof(l->key), "%s%s", LAYOUT_LOCKS, hex);
	for (;;) {
		int c;

		/* Announce first, then look: of two that race, one sees the other. */
		if (lock_write(l) < 0) {
			/* Its reply lost, a put may have been done: no lock left behind. */
			lock_drop(r, l->key);
			goto fail;
		}
		c = conflict(l, &who);
		if (c < 0) {
			lock_drop(r, l->key);
			goto fail;
		}
		if (c == 0)
			break;
		lock_drop(r, l->key);
		if (clock_mono() >= deadline) {
			log_error("repository %s is busy: %s lock %s of host %s (pid %ld, %s) for %llds; not waiting longer than lock_wait (%llus); see 'virtvault locks'",
			    repo_url(r), who.kind, who.key, who.host, who.pid, who.what,
			    (long long)(time(NULL) > who.created ? time(NULL) - who.created : 0),
			    (unsigned long long)repo_conf(r)->lock_wait);
			ret = VV_BUSY;
			goto fail;
		}
		if (!said) {
			log_info("repository %s: waiting for the %s lock of host %s (pid %ld, %s)",
			    repo_url(r), who.kind, who.host, who.pid, who.what);
			said = true;
		}
		{
			unsigned int j = 0;

			crypto_random(&j, sizeof(j));
			usleep(200000 + j % 800000);
		}
	}
	if (pthread_create(&l->thread, NULL, refresher, l) != 0) {
		log_error("repository %s: cannot start the lock refresher", repo_url(r));
		lock_drop(r, l->key);
		goto fail;
	}
	*out = l;
	return 0;
fail:
	pthread_cond_destroy(&l->cv);
	pthread_mutex_destroy(&l->mu);
	free(l->what);
	free(l);
	return ret;
}

int
repo_lock_check(struct repo_lock *l)
{
	struct repo_lock_info info;
	double last;

	pthread_mutex_lock(&l->mu);
	last = l->refreshed_mono;
	pthread_mutex_unlock(&l->mu);
	/* Keep a margin: another reader's clock may run ahead of ours. */
	if (clock_mono() - last > REPO_LOCK_STALE - REPO_LOCK_REFRESH) {
		log_error("repository %s: lock %s was not refreshed for %.0fs; others may take it for stale, so this work is not published",
		    repo_url(l->r), l->key, clock_mono() - last);
		return -1;
	}
	if (lock_read(l->r, l->key, &info) < 0 || info.released) {
		log_error("repository %s: lock %s is %s (removed by 'unlock --force'?); this work is not published",
		    repo_url(l->r), l->key, info.why);
		return -1;
	}
	return 0;
}

void
repo_lock_release(struct repo_lock *l)
{
	if (l == NULL)
		return;
	pthread_mutex_lock(&l->mu);
	l->stop = true;
	pthread_cond_signal(&l->cv);
	pthread_mutex_unlock(&l->mu);
	pthread_join(l->thread, NULL);
	lock_drop(l->r, l->key);
	pthread_cond_destroy(&l->cv);
	pthread_mutex_destroy(&l->mu);
	free(l->what);
	free(l);
}
