#include "agent/qimg.h"

#include <sys/stat.h>

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/cbtmap.h"
#include "common/jsonx.h"
#include "common/log.h"
#include "common/run.h"
#include "common/util.h"

/* A chain's JSON is a few KiB a link; this leaves room for long chains. */
#define QIMG_OUT_MAX (4 * 1024 * 1024)

int
qimg_chain_parse(const char *text, struct domxml_image **chain, size_t *n,
    char *err, size_t errlen)
{
	json_tokener *tok = json_tokener_new_ex(16);
	json_object *root = NULL;
	struct domxml_image *c = NULL;
	size_t len = 0, count;
	int ret = -1;

	/* The terminating NUL tells the tokener the text ends here. */
	root = json_tokener_parse_ex(tok, text, (int)strlen(text) + 1);
	if (root == NULL || json_tokener_get_error(tok) != json_tokener_success) {
		snprintf(err, errlen, "qemu-img printed malformed JSON: %s",
		    json_tokener_error_desc(json_tokener_get_error(tok)));
		goto out;
	}
	/* One image: an object; with --backing-chain: an array. */
	if (json_object_is_type(root, json_type_object)) {
		json_object *arr = json_object_new_array();

		json_object_array_add(arr, json_object_get(root));
		json_object_put(root);
		root = arr;
	}
	if (!json_object_is_type(root, json_type_array)) {
		snprintf(err, errlen, "qemu-img printed JSON that is not an image list");
		goto out;
	}
	count = json_object_array_length(root);
	if (count == 0) {
		snprintf(err, errlen, "qemu-img listed no image");
		goto out;
	}
	c = xcalloc(count, sizeof(*c));
	for (size_t i = 0; i < count; i++) {
		json_object *o = json_object_array_get_idx(root, i);
		const char *fn = jx_str(o, "filename");
		const char *fmt = jx_str(o, "format");

		if (fn == NULL) {
			snprintf(err, errlen, "qemu-img listed an image without a filename");
			goto out;
		}
		c[len].type = DOMXML_FILE;
		c[len].path = xstrdup(fn);
		c[len].format = fmt ? xstrdup(fmt) : NULL;
		len++;
	}
	*chain = c;
	*n = len;
	c = NULL;
	ret = 0;
out:
	if (c != NULL) {
		for (size_t i = 0; i < len; i++) {
			free(c[i].path);
			free(c[i].format);
		}
		free(c);
	}
	json_object_put(root);
	json_tokener_free(tok);
	return ret;
}

int
qimg_chain(const char *path, const char *format, struct domxml_image **chain,
    size_t *n)
{
	char *argv[10];
	struct run_result r;
	char err[256];
	int i = 0, ret = -1;

	argv[i++] = "qemu-img";
	argv[i++] = "info";
	argv[i++] = "--backing-chain";
	argv[i++] = "-U";
	argv[i++] = "--output=json";
	if (format != NULL) {
		argv[i++] = "-f";
		argv[i++] = (char *)format;
	}
	argv[i++] = (char *)path;
	argv[i] = NULL;
	if (run_capture(argv, QIMG_OUT_MAX, &r) < 0)
		return -1;
	if (r.status != 0) {
		size_t l = strlen(r.err);

		while (l > 0 && (r.err[l - 1] == '\n' || r.err[l - 1] == ' '))
			r.err[--l] = '\0';
		log_error("image %s: qemu-img info failed (exit %d): %s", path,
		    r.status, r.err);
		goto out;
	}
	if (r.truncated) {
		log_error("image %s: qemu-img info printed more than %d bytes",
		    path, QIMG_OUT_MAX);
		goto out;
	}
	if (qimg_chain_parse(r.out, chain, n, err, sizeof(err)) < 0) {
		log_error("image %s: %s", path, err);
		goto out;
	}
	ret = 0;
out:
	run_result_clear(&r);
	return ret;
}

/* Run qemu-img with ARGV; a non-zero exit is logged as WHAT of PATH. */
/* Exit code of `qemu-img check`: leaked clusters only, no corruption. */
#define QIMG_CHECK_LEAKS 3

static int
qimg_run(char *const argv[], const char *what, const char *path)
{
	struct run_result r;
	int ret = 0;

	if (run_capture(argv, 64 * 1024, &r) < 0)
		return -1;
	if (r.status == QIMG_CHECK_LEAKS && strcmp(what, "check") == 0) {
		/* Wasted space, not damage; a running guest's image shows them
		 * in passing while QEMU allocates. */
		log_warn("image %s: qemu-img check found leaked clusters (harmless; 'qemu-img check -r leaks' reclaims them when it is not in use)",
		    path);
	} else if (r.status != 0) {
		size_t l = strlen(r.err);

		while (l > 0 && (r.err[l - 1] == '\n' || r.err[l - 1] == ' '))
			r.err[--l] = '\0';
		log_error("image %s: qemu-img %s failed (exit %d): %s", path, what, r.status,
		    r.err[0] ? r.err : r.out);
		ret = -1;
	}
	run_result_clear(&r);
	return ret;
}

int
qimg_check(const char *path)
{
	char *argv[] = { "qemu-img", "check", "-U", "-q", "-f", "qcow2", (char *)path, NULL };

	return qimg_run(argv, "check", path);
}

int
qimg_commit(const char *overlay)
{
	char *argv[] = { "qemu-img", "commit", "-q", "-f", "qcow2", (char *)overlay, NULL };

	return qimg_run(argv, "commit", overlay);
}

int
qimg_overlay(const char *path, const char *backing, const char *backing_format)
{
	char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", "-F", (char *)backing_format,
		"-b", (char *)backing, (char *)path, NULL };

	return qimg_run(argv, "create", path);
}

int
qimg_standalone(const char *path)
{
	/* Safe mode: every cluster the backing chain gives is copied in first. */
	char *argv[] = { "qemu-img", "rebase", "-q", "-f", "qcow2", "-b", "", (char *)path, NULL };

	return qimg_run(argv, "rebase", path);
}

int
qimg_rebase_unsafe(const char *path, const char *format, const char *backing,
    const char *backing_format)
{
	char *argv[] = { "qemu-img", "rebase", "-u", "-f", (char *)format, "-F",
		(char *)backing_format, "-b", (char *)backing, (char *)path, NULL };

	return qimg_run(argv, "rebase", path);
}

int
qimg_bitmaps_parse(const char *text, uint64_t *virtual_size, struct strlist *names,
    struct strlist *flags, char *err, size_t errlen)
{
	json_tokener *tok = json_tokener_new_ex(16);
	json_object *root = json_tokener_parse_ex(tok, text, (int)strlen(text) + 1);
	json_object *v, *fs = NULL, *data = NULL, *bms = NULL;
	int ret = -1;

	if (root == NULL || json_tokener_get_error(tok) != json_tokener_success ||
	    !json_object_is_type(root, json_type_object)) {
		snprintf(err, errlen, "qemu-img info printed malformed JSON");
		goto out;
	}
	if (!json_object_object_get_ex(root, "virtual-size", &v) ||
	    json_object_get_int64(v) <= 0) {
		snprintf(err, errlen, "qemu-img info gave no virtual size");
		goto out;
	}
	*virtual_size = (uint64_t)json_object_get_int64(v);
	if (json_object_object_get_ex(root, "format-specific", &fs) &&
	    json_object_object_get_ex(fs, "data", &data) &&
	    json_object_object_get_ex(data, "bitmaps", &bms) &&
	    json_object_is_type(bms, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(bms); i++) {
			json_object *b = json_object_array_get_idx(bms, i), *fl = NULL;
			const char *name = jx_str(b, "name");
			char joined[128] = "";

			if (name == NULL)
				continue;
			if (json_object_object_get_ex(b, "flags", &fl) &&
			    json_object_is_type(fl, json_type_array))
				for (size_t k = 0; k < json_object_array_length(fl); k++) {
					const char *f = json_object_get_string(json_object_array_get_idx(fl, k));

					snprintf(joined + strlen(joined), sizeof(joined) - strlen(joined),
					    "%s%s", k ? "," : "", f ? f : "?");
				}
			strlist_add(names, name);
			strlist_add(flags, joined);
		}
	}
	ret = 0;
out:
	json_object_put(root);
	json_tokener_free(tok);
	return ret;
}

/* Run qemu-img ARGV and keep its output in R; a failure is logged naming PATH. */
static int
qimg_output(char **argv, const char *what, const char *path, size_t cap, struct run_result *r)
{
	if (run_capture(argv, cap, r) < 0)
		return -1;
	if (r->status != 0 || r->truncated) {
		size_t l = strlen(r->err);

		while (l > 0 && (r->err[l - 1] == '\n' || r->err[l - 1] == ' '))
			r->err[--l] = '\0';
		if (r->truncated)
			log_error("image %s: qemu-img %s printed more than %zu bytes", path, what, cap);
		else
			log_error("image %s: qemu-img %s failed (exit %d): %s", path, what, r->status,
			    r->err);
		run_result_clear(r);
		return -1;
	}
	return 0;
}

int
qimg_bitmaps(const char *path, uint64_t *virtual_size, struct strlist *names,
    struct strlist *flags)
{
	char *argv[] = { "qemu-img", "info", "-U", "--output=json", "-f", "qcow2", (char *)path, NULL };
	struct run_result r;
	char err[256];
	int ret = 0;

	if (qimg_output(argv, "info", path, QIMG_OUT_MAX, &r) < 0)
		return -1;
	if (qimg_bitmaps_parse(r.out, virtual_size, names, flags, err, sizeof(err)) < 0) {
		log_error("image %s: %s", path, err);
		ret = -1;
	}
	run_result_clear(&r);
	return ret;
}

/* A map's JSON is about 130 bytes an extent: room for a million extents. */
#define QIMG_MAP_MAX (192 * 1024 * 1024)

int
qimg_map(const char *path, struct cbt_map *map)
{
	char *argv[] = { "qemu-img", "map", "-U", "--output=json", "-f", "qcow2", (char *)path, NULL };
	struct run_result r;
	struct stat st;
	char err[256];
	int ret = 0;

	if (qimg_output(argv, "map", path, QIMG_MAP_MAX, &r) < 0)
		return -1;
	if (cbt_map_parse(r.out, map, err, sizeof(err)) < 0) {
		log_error("image %s: %s", path, err);
		ret = -1;
	} else if (stat(path, &st) < 0) {
		log_error("image %s: %s", path, strerror(errno));
		cbt_map_clear(map);
		ret = -1;
	} else {
		map->file_size = (uint64_t)st.st_size;
	}
	run_result_clear(&r);
	return ret;
}

int
qimg_bitmap_remove(const char *path, const char *name)
{
	char *argv[] = { "qemu-img", "bitmap", "--remove", "-f", "qcow2", (char *)path, (char *)name, NULL };

	return qimg_run(argv, "bitmap --remove", path);
}
