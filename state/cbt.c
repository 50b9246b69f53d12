#include "state/cbt.h"

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <ftw.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/jsonx.h"
#include "common/log.h"
#include "common/outcome.h"
#include "common/util.h"
#include "state/layout.h"

/* Reference files are small; the map of a badly fragmented image is a few MiB. */
#define REF_JSON_MAX (64 * 1024)
#define REF_MAP_MAX (256 * 1024 * 1024)

static char *
ref_base(const char *state_dir, const char *dom, const char *flow, const char *target)
{
	char *d = state_dir_path(state_dir, STATE_CBT);
	char *p = xasprintf("%s/%s/%s/%s", d, dom, flow, target);

	free(d);
	return p;
}

/* Read the whole file PATH (at most MAX bytes). 0, VV_NOT_FOUND or -1 (logged). */
static int
slurp(const char *path, size_t max, uint8_t **out, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	uint8_t *b;
	size_t got = 0;

	if (fd < 0 && errno == ENOENT)
		return VV_NOT_FOUND;
	if (fd < 0 || fstat(fd, &st) < 0 || (uint64_t)st.st_size > max) {
		log_error("state file %s: %s", path, fd < 0 || errno ? strerror(errno) : "too large");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	b = xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, b + got, (size_t)st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			log_error("state file %s: %s", path, r < 0 ? strerror(errno) : "shrank while read");
			free(b);
			close(fd);
			return -1;
		}
		got += (size_t)r;
	}
	close(fd);
	b[got] = '\0';
	*out = b;
	*len = got;
	return 0;
}

int
cbt_ref_read(const char *state_dir, const char *dom, const char *flow, const char *target,
    struct cbt_ref *ref)
{
	char *base = ref_base(state_dir, dom, flow, target);
	char *jp = xasprintf("%s.json", base), *mp = xasprintf("%s.map", base);
	uint8_t *text = NULL;
	size_t len = 0;
	json_object *o = NULL;
	int rc;

	memset(ref, 0, sizeof(*ref));
	rc = slurp(jp, REF_JSON_MAX, &text, &len);
	if (rc != 0)
		goto out;
	o = json_tokener_parse((const char *)text);
	if (o == NULL || jx_str(o, "snapshot") == NULL || jx_str(o, "checkpoint") == NULL ||
	    jx_str(o, "path") == NULL) {
		log_error("state file %s: not a valid changed-block tracking reference", jp);
		rc = -1;
		goto out;
	}
	ref->snapshot = xstrdup(jx_str(o, "snapshot"));
	ref->checkpoint = xstrdup(jx_str(o, "checkpoint"));
	ref->path = xstrdup(jx_str(o, "path"));
	ref->dev = (uint64_t)jx_int(o, "dev", 0);
	ref->ino = (uint64_t)jx_int(o, "ino", 0);
	ref->runs = (unsigned)jx_int(o, "runs", 0);
	if (jx_str(o, "repository") != NULL)
		ref->repository = xstrdup(jx_str(o, "repository"));
	rc = slurp(mp, REF_MAP_MAX, &ref->map, &ref->maplen);
	if (rc == VV_NOT_FOUND) {
		log_error("state file %s is missing", mp);
		rc = -1;
	}
out:
	if (rc != 0)
		cbt_ref_clear(ref);
	json_object_put(o);
	free(text);
	free(jp);
	free(mp);
	free(base);
	return rc;
}

int
cbt_ref_write(const char *state_dir, const char *dom, const char *flow, const char *target,
    const struct cbt_ref *ref)
{
	char *base = ref_base(state_dir, dom, flow, target);
	char *dir = xstrndup(base, (size_t)(strrchr(base, '/') - base));
	char *jp = xasprintf("%s.json", base), *mp = xasprintf("%s.map", base);
	json_object *o = json_object_new_object();
	const char *text;
	int ret = -1;

	json_object_object_add(o, "snapshot", json_object_new_string(ref->snapshot));
	json_object_object_add(o, "checkpoint", json_object_new_string(ref->checkpoint));
	json_object_object_add(o, "path", json_object_new_string(ref->path));
	json_object_object_add(o, "dev", json_object_new_int64((int64_t)ref->dev));
	json_object_object_add(o, "ino", json_object_new_int64((int64_t)ref->ino));
	json_object_object_add(o, "runs", json_object_new_int64(ref->runs));
	if (ref->repository != NULL)
		json_object_object_add(o, "repository", json_object_new_string(ref->repository));
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	/* The map first: a reference file always has its map. */
	if (fs_mkdir_p(dir, 0700) < 0)
		log_error("state folder %s: %s", dir, strerror(errno));
	else if (fs_write_atomic(mp, ref->map, ref->maplen, 0600) == 0 &&
	    fs_write_atomic(jp, text, strlen(text), 0600) == 0)
		ret = 0;
	json_object_put(o);
	free(jp);
	free(mp);
	/* A new reference: the note of an earlier forget no longer applies. */
	if (ret == 0) {
		char *note = xasprintf("%s.forgotten", dir);

		unlink(note);
		free(note);
	}
	free(dir);
	free(base);
	return ret;
}

static int
remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	if (remove(path) < 0 && errno != ENOENT) {
		log_error("state %s: cannot remove: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int
cbt_ref_forget_domain(const char *state_dir, const char *dom)
{
	char *d = state_dir_path(state_dir, STATE_CBT);
	char *p = xasprintf("%s/%s", d, dom);
	int r = 0;

	if (access(p, F_OK) == 0)
		r = nftw(p, remove_one, 8, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
	free(p);
	free(d);
	return r;
}

/* Folder entries of PATH (not "." or ".."): NAMES; DIRS: folders, else files. */
static int
list_dir(const char *path, bool dirs, struct strlist *names)
{
	DIR *d = opendir(path);
	struct dirent *e;

	if (d == NULL) {
		if (errno == ENOENT)
			return 0;
		log_error("state folder %s: %s", path, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		char *p;
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		p = xasprintf("%s/%s", path, e->d_name);
		if (lstat(p, &st) == 0 && (S_ISDIR(st.st_mode) ? dirs : !dirs && S_ISREG(st.st_mode)))
			strlist_add(names, e->d_name);
		free(p);
	}
	closedir(d);
	return 0;
}

int
cbt_ref_flows(const char *state_dir, const char *dom, struct strlist *flows)
{
	char *d = state_dir_path(state_dir, STATE_CBT);
	char *p = xasprintf("%s/%s", d, dom);
	int r = list_dir(p, true, flows);

	free(p);
	free(d);
	return r;
}

int
cbt_ref_flow_info(const char *state_dir, const char *dom, const char *flow,
    struct strlist *checkpoints, char **repository, time_t *last)
{
	char *d = state_dir_path(state_dir, STATE_CBT);
	char *p = xasprintf("%s/%s/%s", d, dom, flow);
	struct strlist files = { 0 };
	int ret = list_dir(p, false, &files);

	*repository = NULL;
	*last = 0;
	for (size_t i = 0; ret == 0 && i < files.n; i++) {
		size_t n = strlen(files.v[i]);
		char *target, *jp;
		struct cbt_ref ref;
		struct stat st;

		if (n <= 5 || strcmp(files.v[i] + n - 5, ".json") != 0)
			continue;
		target = xstrndup(files.v[i], n - 5);
		jp = xasprintf("%s/%s", p, files.v[i]);
		if (stat(jp, &st) == 0 && st.st_mtime > *last)
			*last = st.st_mtime;
		if (cbt_ref_read(state_dir, dom, flow, target, &ref) == 0) {
			if (!strlist_contains(checkpoints, ref.checkpoint))
				strlist_add(checkpoints, ref.checkpoint);
			if (*repository == NULL && ref.repository != NULL)
				*repository = xstrdup(ref.repository);
			cbt_ref_clear(&ref);
		}
		free(jp);
		free(target);
	}
	strlist_clear(&files);
	free(p);
	free(d);
	return ret;
}

int
cbt_ref_forget(const char *state_dir, const char *dom, const char *flow, const char *why)
{
	struct strlist flows = { 0 };
	char *d, *dd, *p, *note;
	int r = 0;

	/* Every flow of the domain: each gets its own note. */
	if (flow == NULL) {
		r = cbt_ref_flows(state_dir, dom, &flows);
		for (size_t i = 0; r == 0 && i < flows.n; i++)
			r = cbt_ref_forget(state_dir, dom, flows.v[i], why);
		strlist_clear(&flows);
		return r;
	}
	d = state_dir_path(state_dir, STATE_CBT);
	dd = xasprintf("%s/%s", d, dom);
	p = xasprintf("%s/%s", dd, flow);
	note = xasprintf("%s.forgotten", p);
	if (access(p, F_OK) == 0)
		r = nftw(p, remove_one, 8, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
	if (r == 0 && (fs_mkdir_p(dd, 0700) < 0 || fs_write_atomic(note, why, strlen(why), 0600) < 0)) {
		log_error("state folder %s: cannot write the note %s", dd, note);
		r = -1;
	}
	free(note);
	free(p);
	free(dd);
	free(d);
	return r;
}

int
cbt_ref_note(const char *state_dir, const char *dom, const char *flow, char *buf, size_t len)
{
	char *d = state_dir_path(state_dir, STATE_CBT);
	char *p = xasprintf("%s/%s/%s.forgotten", d, dom, flow);
	int fd = open(p, O_RDONLY | O_CLOEXEC), rc = VV_NOT_FOUND;

	if (fd >= 0) {
		ssize_t n = read(fd, buf, len - 1);

		buf[n > 0 ? n : 0] = '\0';
		close(fd);
		rc = n > 0 ? 0 : VV_NOT_FOUND;
	}
	free(p);
	free(d);
	return rc;
}

void
cbt_ref_clear(struct cbt_ref *ref)
{
	free(ref->snapshot);
	free(ref->checkpoint);
	free(ref->path);
	free(ref->map);
	free(ref->repository);
	memset(ref, 0, sizeof(*ref));
}
