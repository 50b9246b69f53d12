#include "tests/fakes/memrepo.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "repo/backup.h"
#include "repo/index.h"
#include "repo/layout.h"
#include "repo/manifest.h"
#include "tests/fakes/store_mem.h"

void
memrepo_conf(struct conf *c, char *password)
{
	memset(c, 0, sizeof(*c));
	c->url = "mem://unit";
	c->host = "unit";
	c->encryption = password ? CONF_CIPHER_AES256GCM : CONF_CIPHER_NONE;
	c->compression = CONF_COMP_NONE;
	c->chunk_size = 4096;
	c->password = password;
	c->lock_wait = 0;
}

struct repo *
memrepo_new(const struct conf *c)
{
	return memrepo_new_format(c, REPO_FORMAT_VERSION);
}

struct repo *
memrepo_new_format(const struct conf *c, int version)
{
	struct store *s = store_mem_new(c->url);

	if (repo_init_in(c, s, version) < 0) {
		store_close(s);
		return NULL;
	}
	return repo_open_in(c, s);
}

struct repo *
memrepo_reopen(struct repo *r)
{
	const struct conf *c = repo_conf(r);
	struct store *s = store_mem_clone(repo_store(r));

	repo_close(r);
	return repo_open_in(c, s);
}

char *
memrepo_file(const char *dir, const char *name, size_t size, unsigned seed)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");

	if (f == NULL)
		abort();
	for (size_t i = 0; i < size; i++)
		fputc((int)((seed + i / 4096) & 0xff), f);
	fclose(f);
	return path;
}

int
memrepo_backup(struct repo *r, const char *name, const char *path, time_t t)
{
	struct backup *b = backup_new(r, name);
	int ret = -1;

	if (b == NULL)
		return -1;
	backup_set_time(b, t);
	if (backup_add_file(b, path, "disk.raw", NULL, NULL) == 0 && backup_commit(b) == 0)
		ret = 0;
	backup_free(b);
	return ret;
}

/* Index KEY and its chunks are there; else the problem into WHY. */
static int
check_index(struct repo *r, const char *key, char *why, size_t len)
{
	uint8_t *buf = NULL;
	size_t n = 0;
	struct index ix;
	char err[160], ck[LAYOUT_KEY_MAX];
	int ret = 0;

	if (repo_get_object(r, CODEC_KIND_INDEX, key, &buf, &n, REPO_MAX_INDEX) != 0) {
		snprintf(why, len, "index %s is missing or unreadable", key);
		return -1;
	}
	if (index_decode(buf, n, &ix, err, sizeof(err)) < 0) {
		snprintf(why, len, "index %s: %s", key, err);
		free(buf);
		return -1;
	}
	free(buf);
	for (uint64_t i = 0; i < index_objects(&ix) && ret == 0; i++) {
		if (repo_id_is_zero(index_object(&ix, i)))
			continue;
		layout_chunk_key(index_object(&ix, i), ck, sizeof(ck));
		if (store_exists(repo_store(r), ck) != 1) {
			snprintf(why, len, "index %s names chunk %s, which is missing", key, ck);
			ret = -1;
		}
	}
	index_clear(&ix);
	return ret;
}

int
memrepo_check(struct repo *r, char *why, size_t len)
{
	struct strlist keys = { 0 };
	int ret = 0;

	store_mem_clear_faults(repo_store(r));
	if (store_list(repo_store(r), LAYOUT_SNAPSHOTS, &keys) < 0) {
		snprintf(why, len, "cannot list the manifests");
		return -1;
	}
	for (size_t i = 0; i < keys.n && ret == 0; i++) {
		struct manifest *m = NULL;

		if (manifest_load(r, keys.v[i], &m) != 0) {
			snprintf(why, len, "manifest %s cannot be read", keys.v[i]);
			ret = -1;
			break;
		}
		for (size_t f = 0; f < m->nfiles && ret == 0; f++)
			ret = check_index(r, m->files[f].index, why, len);
		manifest_free(m);
	}
	strlist_clear(&keys);
	return ret;
}

static int saved_stderr = -1;

void
memrepo_quiet(void)
{
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

	fflush(stderr);
	saved_stderr = dup(2);
	dup2(fd, 2);
	close(fd);
}

void
memrepo_loud(void)
{
	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	saved_stderr = -1;
}
