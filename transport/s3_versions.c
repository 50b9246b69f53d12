/*
 * Object versions on S3, for reading past an object overwritten or hidden
 * (a delete marker) in a versioned bucket: ListObjectVersions of one key,
 * GET and DELETE of one version (versionId), and what a 403 means.
 */
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/log.h"
#include "common/util.h"
#include "transport/s3_int.h"
#include "transport/s3_sign.h"
#include "transport/store_backend.h"

/* The text of element N, a new string ("" when it has none). */
static char *
node_text(const xmlNode *n)
{
	xmlChar *v = xmlNodeGetContent(n);
	char *s = xstrdup(v ? (const char *)v : "");

	xmlFree(v);
	return s;
}

/* S3's "2009-10-12T17:50:30.000Z" in epoch seconds; 0 when unreadable. */
static time_t
iso_time(const char *s)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (s == NULL || strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
		return 0;
	return timegm(&tm);
}

/* Append V to *OUT (of *N entries). */
static void
add_version(struct store_version **out, size_t *n, const struct store_version *v)
{
	if ((*n & (*n - 1)) == 0)
		*out = xrealloc(*out, alloc_mult(*n ? *n * 2 : 1, sizeof(**out)));
	(*out)[(*n)++] = *v;
}

/*
 * One Version or DeleteMarker element E, when its key is KEY (with KEYS:
 * when it starts with KEY, its key without the first STRIP bytes appended
 * to KEYS).
 */
static void
parse_entry(const xmlNode *e, const char *key, size_t strip, struct strlist *keys, bool marker,
    struct store_version **out, size_t *n)
{
	char *k = s3_xml_child_text(e, "Key"), *id = s3_xml_child_text(e, "VersionId");
	char *latest = s3_xml_child_text(e, "IsLatest"), *mod = s3_xml_child_text(e, "LastModified");
	char *size = s3_xml_child_text(e, "Size");
	struct store_version v = { .size = 0 };

	if (k != NULL && (keys == NULL ? strcmp(k, key) == 0 :
	    strncmp(k, key, strlen(key)) == 0 && strlen(k) > strip) &&
	    id != NULL && strlen(id) < sizeof(v.id)) {
		v.latest = latest != NULL && strcmp(latest, "true") == 0;
		/* An object stored before versioning ("null") is, when current, the
		 * current object: "" as for a store without versions. */
		snprintf(v.id, sizeof(v.id), "%s", strcmp(id, "null") == 0 && v.latest ? "" : id);
		v.modified = iso_time(mod);
		v.size = size ? strtoull(size, NULL, 10) : 0;
		v.delete_marker = marker;
		add_version(out, n, &v);
		if (keys != NULL)
			strlist_add(keys, k + strip);
	}
	free(k);
	free(id);
	free(latest);
	free(mod);
	free(size);
}

int
s3_parse_versions(const char *key, size_t strip, struct strlist *keys, const char *buf,
    size_t len, struct store_version **out, size_t *n, bool *truncated, char *key_marker, size_t kml, char *vid_marker, size_t vml)
{
	xmlDoc *doc = buf == NULL || len > INT_MAX ? NULL : xmlReadMemory(buf, (int)len, NULL,
	    NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;

	*truncated = false;
	key_marker[0] = vid_marker[0] = '\0';
	if (root == NULL) {
		xmlFreeDoc(doc);
		return -1;
	}
	for (xmlNode *c = root->children; c != NULL; c = c->next) {
		char *t;

		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (xmlStrcmp(c->name, BAD_CAST "Version") == 0) {
			parse_entry(c, key, strip, keys, false, out, n);
		} else if (xmlStrcmp(c->name, BAD_CAST "DeleteMarker") == 0) {
			parse_entry(c, key, strip, keys, true, out, n);
		} else if (xmlStrcmp(c->name, BAD_CAST "IsTruncated") == 0) {
			t = node_text(c);
			*truncated = strcmp(t, "true") == 0;
			free(t);
		} else if (xmlStrcmp(c->name, BAD_CAST "NextKeyMarker") == 0) {
			t = node_text(c);
			snprintf(key_marker, kml, "%s", t);
			free(t);
		} else if (xmlStrcmp(c->name, BAD_CAST "NextVersionIdMarker") == 0) {
			t = node_text(c);
			snprintf(vid_marker, vml, "%s", t);
			free(t);
		}
	}
	xmlFreeDoc(doc);
	/* A truncated page without a marker to go on from would loop for ever. */
	if (*truncated && key_marker[0] == '\0')
		return -1;
	return 0;
}

int
s3_refusal(long http, const struct resp *r)
{
	const char *body = r->buf ? r->buf : "", *m;
	char code[64];

	if (http != 403)
		return 0;
	s3_error_code(body, code, sizeof(code));
	if (strcmp(code, "AccessDenied") != 0)
		return 0;
	/* RGW: "forbidden by object lock"; AWS: "... protected by object lock". */
	for (m = body; *m != '\0'; m++)
		if (strncasecmp(m, "object lock", 11) == 0)
			return VV_LOCKED;
	return VV_DENIED;
}

/* What version_pages gives each version: its key (without the store's prefix) too. */
typedef int (*version_page_fn)(const char *key, const struct store_version *v, void *ctx);

/*
 * The versions under PREFIX (below the store's prefix) by ListObjectVersions,
 * a page at a time, each to CB with its key; with EXACT only those of the
 * key PREFIX itself (a listing by prefix also names longer keys). WHAT
 * ("of", "under") names the listing in messages. Returns 0, CB's nonzero
 * answer, or -1 (logged).
 */
static int
version_pages(struct s3 *s, const char *prefix, bool exact, const char *what,
    version_page_fn cb, void *ctx)
{
	struct resp r = RESP_INIT(S3_SMALL_CAP);
	char *full = xasprintf("%s%s", s->prefix, prefix), *path, *listing, err[256];
	char km[1024] = "", vm[256] = "";
	struct strlist keys = { 0 };
	struct store_version *v = NULL;
	size_t n = 0;
	bool more;
	int ret = -1;

	path = s->path_style ? xasprintf("/%s", s->bucket) : xstrdup("/");
	listing = xasprintf("listing of the versions %s", what);
	do {
		const char *qn[] = { "versions", "prefix", "key-marker", "version-id-marker" };
		const char *qv[] = { "", full, km, vm };
		char *q = s3_query(qn, qv, km[0] ? 4 : 2);
		long http;
		int rc = s3_request(s, "GET", path, q, NULL, 0, &r, &http, err, sizeof(err));

		free(q);
		if (rc < 0) {
			log_error("S3 %s %s in bucket %s at %s failed: %s", listing, prefix, s->bucket,
			    s->endpoint, err);
			goto out;
		}
		if (http != 200) {
			s3_report(s, listing, prefix, http, &r);
			goto out;
		}
		if (s3_parse_versions(full, strlen(s->prefix), exact ? NULL : &keys, r.buf, r.len, &v,
		    &n, &more, km, sizeof(km), vm, sizeof(vm)) < 0) {
			log_error("S3 %s %s at %s: the answer is not valid XML", listing, prefix,
			    s->endpoint);
			goto out;
		}
		/* One page at a time: a key's versions may go on in the next. */
		for (size_t i = 0; i < n; i++) {
			if ((rc = cb(exact ? prefix : keys.v[i], &v[i], ctx)) != 0) {
				ret = rc;
				goto out;
			}
		}
		strlist_clear(&keys);
		n = 0;
	} while (more);
	ret = 0;
out:
	strlist_clear(&keys);
	free(v);
	free(listing);
	free(path);
	free(full);
	free(r.buf);
	return ret;
}

/* s3_versions' callback and its context, under version_pages. */
struct one_key {
	store_version_fn cb;
	void *ctx;
};

static int
one_key_version(const char *key, const struct store_version *v, void *ctx)
{
	struct one_key *o = ctx;

	(void)key;
	return o->cb(v, o->ctx);
}

int
s3_versions(struct store *st, const char *key, store_version_fn cb, void *ctx)
{
	struct one_key o = { cb, ctx };

	return version_pages(st->priv, key, true, "of", one_key_version, &o);
}

int
s3_list_versions(struct store *st, const char *prefix,
    int (*cb)(const char *key, const struct store_version *v, void *ctx), void *ctx)
{
	return version_pages(st->priv, prefix, false, "under", cb, ctx);
}

int
s3_get_version(struct store *st, const char *key, const char *version, void **out,
    size_t *outlen, size_t cap)
{
	struct s3 *s = st->priv;
	struct resp r = RESP_INIT(cap);
	char *path = s3_object_path(s, key), err[256], *q;
	const char *qn[] = { "versionId" }, *qv[] = { version };
	long http;
	int ret = -1;

	q = s3_query(qn, qv, 1);
	if (s3_request(s, "GET", path, q, NULL, 0, &r, &http, err, sizeof(err)) < 0) {
		log_error("S3 GET %s (version %s) from bucket %s at %s failed: %s", key, version,
		    s->bucket, s->endpoint, err);
	} else if ((http == 404 && strstr(r.buf ? r.buf : "", "NoSuchBucket") == NULL) ||
	    http == 405) {
		ret = VV_NOT_FOUND;	/* 405: the version is a delete marker */
	} else if (http != 200) {
		s3_report(s, "GET (a version of)", key, http, &r);
	} else {
		*out = r.buf;
		*outlen = r.len;
		r.buf = NULL;
		ret = 0;
	}
	free(q);
	free(r.buf);
	free(path);
	return ret;
}

int
s3_delete_version(struct store *st, const char *key, const char *version)
{
	struct s3 *s = st->priv;
	struct resp r = RESP_INIT(S3_SMALL_CAP);
	char *path = s3_object_path(s, key), err[256], *q;
	const char *qn[] = { "versionId" }, *qv[] = { version };
	long http;
	int ret = -1;

	q = s3_query(qn, qv, 1);
	if (s3_request(s, "DELETE", path, q, NULL, 0, &r, &http, err, sizeof(err)) < 0)
		log_error("S3 DELETE %s (version %s) in bucket %s at %s failed: %s", key, version,
		    s->bucket, s->endpoint, err);
	else if (http == 204 || http == 200)
		ret = 0;
	else if (http == 404)
		ret = VV_NOT_FOUND;
	else if ((ret = s3_refusal(http, &r)) == 0) {
		s3_report(s, "DELETE (a version of)", key, http, &r);
		ret = -1;
	}
	free(q);
	free(r.buf);
	free(path);
	return ret;
}
