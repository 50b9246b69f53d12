/*
 * S3 operations on many objects: DeleteObjects in batches of 1000 keys,
 * and the cleanup of incomplete multipart uploads (ListMultipartUploads,
 * AbortMultipartUpload).
 */
#include <libxml/parser.h>
#include <limits.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/util.h"
#include "transport/s3_int.h"
#include "transport/s3_sign.h"
#include "transport/store_backend.h"

/* S3 takes at most this many keys per DeleteObjects request. */
#define S3_DELETE_BATCH 1000

static xmlDoc *
read_xml(const char *buf, size_t len)
{
	return buf == NULL || len > INT_MAX ? NULL : xmlReadMemory(buf, (int)len, NULL, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
}

char *
s3_xml_child_text(const xmlNode *n, const char *name)
{
	for (xmlNode *c = n->children; c != NULL; c = c->next) {
		if (c->type == XML_ELEMENT_NODE && xmlStrcmp(c->name, BAD_CAST name) == 0) {
			xmlChar *v = xmlNodeGetContent(c);
			char *s = v ? xstrdup((const char *)v) : NULL;

			xmlFree(v);
			return s;
		}
	}
	return NULL;
}

static char *
bucket_path(struct s3 *s)
{
	return s->path_style ? xasprintf("/%s", s->bucket) : xstrdup("/");
}

/* One DeleteObjects request of N keys; the number that failed (logged). */
static size_t
delete_batch(struct s3 *s, char *const *keys, size_t n)
{
	xmlDoc *doc = xmlNewDoc(BAD_CAST "1.0"), *ans = NULL;
	xmlNode *root = xmlNewNode(NULL, BAD_CAST "Delete");
	struct resp r = RESP_INIT(S3_SMALL_CAP);
	char *path = bucket_path(s), *q, err[256];
	static const char *const qn[] = { "delete" };
	static const char *const qv[] = { "" };
	xmlChar *body = NULL;
	int bodylen = 0;
	size_t failed = n;
	long http;

	xmlDocSetRootElement(doc, root);
	xmlNewChild(root, NULL, BAD_CAST "Quiet", BAD_CAST "true");
	for (size_t i = 0; i < n; i++) {
		char *full = xasprintf("%s%s", s->prefix, keys[i]);
		xmlNode *o = xmlNewChild(root, NULL, BAD_CAST "Object", NULL);

		xmlNewTextChild(o, NULL, BAD_CAST "Key", BAD_CAST full);
		free(full);
	}
	xmlDocDumpMemory(doc, &body, &bodylen);
	q = s3_query(qn, qv, 1);
	if (s3_request(s, "POST", path, q, body, (size_t)bodylen, &r, &http, err, sizeof(err)) < 0) {
		log_error("S3 DeleteObjects of %zu keys in bucket %s at %s failed: %s", n, s->bucket,
		    s->endpoint, err);
		goto out;
	}
	if (http != 200) {
		s3_report(s, "DeleteObjects of", keys[0], http, &r);
		goto out;
	}
	/* Quiet: the answer lists only the keys that failed. */
	failed = s3_parse_delete_answer(s->bucket, s->endpoint, r.buf, r.len, n);
out:
	xmlFreeDoc(ans);
	xmlFree(body);
	xmlFreeDoc(doc);
	free(q);
	free(path);
	free(r.buf);
	return failed;
}

size_t
s3_parse_delete_answer(const char *bucket, const char *endpoint, const char *buf, size_t len,
    size_t n)
{
	xmlDoc *ans = read_xml(buf, len);
	xmlNode *root = ans ? xmlDocGetRootElement(ans) : NULL;
	size_t failed = 0;

	if (root == NULL) {
		log_error("S3 DeleteObjects at %s: the answer is not valid XML", endpoint);
		xmlFreeDoc(ans);
		return n;
	}
	for (xmlNode *c = root->children; c != NULL; c = c->next) {
		char *key, *code, *msg;

		if (c->type != XML_ELEMENT_NODE || xmlStrcmp(c->name, BAD_CAST "Error") != 0)
			continue;
		key = s3_xml_child_text(c, "Key");
		code = s3_xml_child_text(c, "Code");
		msg = s3_xml_child_text(c, "Message");
		if (code == NULL || strcmp(code, "NoSuchKey") != 0) {
			log_error("S3 bucket %s at %s: cannot delete %s: %s%s%s", bucket, endpoint,
			    key ? key : "?", code ? code : "error", msg ? ": " : "", msg ? msg : "");
			failed++;
		}
		free(key);
		free(code);
		free(msg);
	}
	xmlFreeDoc(ans);
	return failed > n ? n : failed;
}

size_t
s3_delete_many(struct store *st, char *const *keys, size_t n)
{
	struct s3 *s = st->priv;
	size_t failed = 0;

	for (size_t i = 0; i < n; i += S3_DELETE_BATCH)
		failed += delete_batch(s, keys + i, n - i < S3_DELETE_BATCH ? n - i : S3_DELETE_BATCH);
	return failed;
}

/* S3's "2026-11-26T02:00:00.000Z", or 0. */
static time_t
iso_time(const char *s)
{
	time_t t = 0;

	return util_parse_utc(s, &t) != NULL ? t : 0;
}

static int
abort_upload(struct s3 *s, const char *fullkey, const char *upload)
{
	static const char *const n[] = { "uploadId" };
	const char *v[] = { upload };
	struct resp r = RESP_INIT(S3_SMALL_CAP);
	char *path = s->path_style ? xasprintf("/%s/%s", s->bucket, fullkey) :
	    xasprintf("/%s", fullkey);
	char *q = s3_query(n, v, 1), err[256];
	long http;
	int ret = -1;

	if (s3_request(s, "DELETE", path, q, NULL, 0, &r, &http, err, sizeof(err)) < 0)
		log_error("S3 abort of the upload of %s at %s failed: %s", fullkey, s->endpoint, err);
	else if (http == 204 || http == 200 || http == 404)
		ret = 0;
	else
		s3_report(s, "multipart abort of", fullkey, http, &r);
	free(q);
	free(path);
	free(r.buf);
	return ret;
}

int
s3_parse_uploads(const char *buf, size_t len, time_t before, struct strlist *keys,
    struct strlist *ids, bool *truncated, char *key_marker, size_t kml, char *id_marker,
    size_t iml)
{
	xmlDoc *doc = read_xml(buf, len);
	xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;

	*truncated = false;
	if (root == NULL) {
		xmlFreeDoc(doc);
		return -1;
	}
	for (xmlNode *c = root->children; c != NULL; c = c->next) {
		char *t;

		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (xmlStrcmp(c->name, BAD_CAST "Upload") == 0) {
			char *key = s3_xml_child_text(c, "Key"), *id = s3_xml_child_text(c, "UploadId");
			char *init = s3_xml_child_text(c, "Initiated");

			if (key != NULL && id != NULL && iso_time(init) < before) {
				strlist_add(keys, key);
				strlist_add(ids, id);
			}
			free(key);
			free(id);
			free(init);
		} else if (xmlStrcmp(c->name, BAD_CAST "IsTruncated") == 0) {
			t = (char *)xmlNodeGetContent(c);
			*truncated = t != NULL && strcmp(t, "true") == 0;
			xmlFree(t);
		} else if (xmlStrcmp(c->name, BAD_CAST "NextKeyMarker") == 0) {
			t = (char *)xmlNodeGetContent(c);
			snprintf(key_marker, kml, "%s", t ? t : "");
			xmlFree(t);
		} else if (xmlStrcmp(c->name, BAD_CAST "NextUploadIdMarker") == 0) {
			t = (char *)xmlNodeGetContent(c);
			snprintf(id_marker, iml, "%s", t ? t : "");
			xmlFree(t);
		}
	}
	xmlFreeDoc(doc);
	return 0;
}

int
s3_cleanup(struct store *st, time_t before, bool dry_run, size_t *found)
{
	struct s3 *s = st->priv;
	struct resp r = RESP_INIT(S3_SMALL_CAP);
	char *path = bucket_path(s), err[256];
	char key_marker[1024] = "", id_marker[512] = "";
	bool truncated;
	int ret = 0;

	do {
		const char *n[] = { "key-marker", "prefix", "upload-id-marker", "uploads" };
		const char *v[] = { key_marker, s->prefix, id_marker, "" };
		char *q = s3_query(n, v, 4);
		long http;
		int rc = s3_request(s, "GET", path, q, NULL, 0, &r, &http, err, sizeof(err));

		free(q);
		if (rc < 0 || http != 200) {
			if (rc < 0)
				log_error("S3 listing of incomplete uploads in bucket %s at %s failed: %s",
				    s->bucket, s->endpoint, err);
			else
				s3_report(s, "listing of incomplete uploads under", s->prefix, http, &r);
			ret = -1;
			break;
		}
		{
			struct strlist keys = { 0 }, ids = { 0 };

			if (s3_parse_uploads(r.buf, r.len, before, &keys, &ids, &truncated, key_marker,
			    sizeof(key_marker), id_marker, sizeof(id_marker)) < 0) {
				log_error("S3 listing of incomplete uploads at %s: the answer is not valid XML",
				    s->endpoint);
				ret = -1;
				break;
			}
			for (size_t i = 0; i < keys.n; i++) {
				(*found)++;
				if (!dry_run && abort_upload(s, keys.v[i], ids.v[i]) < 0)
					ret = -1;
			}
			strlist_clear(&keys);
			strlist_clear(&ids);
		}
	} while (truncated && key_marker[0] != '\0');
	free(path);
	free(r.buf);
	return ret;
}
