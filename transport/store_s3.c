/*
 * The s3:// backend over libcurl: SigV4-signed requests (s3_sign.c) with
 * the payload's real SHA-256 over http (UNSIGNED-PAYLOAD over verified
 * TLS, s3_payload_hash), a pool of reused connections for parallel
 * requests, retries with backoff and jitter (s3_policy.c), multipart
 * uploads above a threshold (aborted on failure), a bandwidth limit, and
 * clear errors for what retrying cannot fix. Only the S3 backend's files
 * (store_s3.c, s3_request.c, s3_multipart.c, s3_int.h) include curl.
 */
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "transport/s3_int.h"
#include "transport/s3_sign.h"
#include "transport/store_backend.h"

static struct s3 *
s3_of(struct store *st)
{
	return st->priv;
}

static int
s3_put(struct store *st, const char *key, const void *buf, size_t len, int flags)
{
	struct s3 *s = s3_of(st);
	struct resp r = RESP_INIT(S3_SMALL_CAP);
	char *path = s3_object_path(s, key), err[256], hdr[512];
	long http;
	int ret = -1;

	/* S3 has no exclusive put: look first (a race only between two inits). */
	if (flags & STORE_EXCL) {
		if (s3_request(s, "HEAD", path, "", NULL, 0, &r, &http, err, sizeof(err)) == 0 && http == 200) {
			ret = VV_EXISTS;
			goto out;
		}
	}
	if (len > s->multipart_threshold) {
		ret = s3_put_multipart(s, key, buf, len);
		/* Some stores (Ceph RGW 16) ignore the lock given at the start of
		 * the upload: set it on the object made. */
		if (ret == 0 && s->lock_mode != STORE_LOCK_NONE)
			ret = s3_extend_retention(st, key, NULL,
			    time(NULL) + (time_t)s->lock_days * 86400) == 0 ? 0 : -1;
		goto out;
	}
	if (s3_retention_put_headers(s, key, buf, len, (flags & STORE_IF_ABSENT) != 0, hdr,
	    sizeof(hdr)) < 0) {
		log_error("S3 PUT %s: the storage class is too long", key);
		goto out;
	}
	if (s3_request_hdr(s, "PUT", path, "", hdr, buf, len, &r, &http, err, sizeof(err)) < 0) {
		log_error("S3 PUT %s to bucket %s at %s failed: %s", key, s->bucket, s->endpoint, err);
		goto out;
	}
	if (http == 412 && (flags & STORE_IF_ABSENT)) {
		ret = VV_EXISTS;	/* another writer stored it first */
		goto out;
	}
	if (http != 200) {
		if ((ret = s3_refusal(http, &r)) != VV_DENIED) {
			s3_report(s, "PUT", key, http, &r);
			ret = -1;
		}
		goto out;
	}
	ret = 0;
out:
	free(r.buf);
	free(path);
	return ret;
}

/* GET KEY into B's buffer, which the answer grows when KEY does not fit. */
static int
s3_get_buf(struct store *st, const char *key, struct store_buf *b, size_t *outlen, size_t cap)
{
	struct s3 *s = s3_of(st);
	struct resp r = RESP_INIT(cap);
	char *path = s3_object_path(s, key), err[256];
	long http;
	int ret = -1, rc;

	r.buf = b->p;
	r.alloc = b->room;
	rc = s3_request(s, "GET", path, "", NULL, 0, &r, &http, err, sizeof(err));
	b->p = r.buf;
	b->room = r.alloc;
	if (rc < 0) {
		log_error("S3 GET %s from bucket %s at %s failed: %s", key, s->bucket, s->endpoint, err);
	} else if (http == 404 && strstr(r.buf, "NoSuchBucket") == NULL) {
		ret = VV_NOT_FOUND;
	} else if (http != 200) {
		s3_report(s, "GET", key, http, &r);
	} else {
		*outlen = r.len;
		ret = 0;
	}
	free(path);
	return ret;
}

static int
s3_exists(struct store *st, const char *key)
{
	struct s3 *s = s3_of(st);
	struct resp r = RESP_INIT(S3_SMALL_CAP);
	char *path = s3_object_path(s, key), err[256];
	long http;
	int ret = -1;

	if (s3_request(s, "HEAD", path, "", NULL, 0, &r, &http, err, sizeof(err)) < 0)
		log_error("S3 HEAD %s in bucket %s at %s failed: %s", key, s->bucket, s->endpoint, err);
	else if (http == 200)
		ret = 1;
	else if (http == 404)
		ret = 0;
	else
		s3_report(s, "HEAD", key, http, &r);
	free(r.buf);
	free(path);
	return ret;
}

static int
s3_delete(struct store *st, const char *key)
{
	struct s3 *s = s3_of(st);
	struct resp r = RESP_INIT(S3_SMALL_CAP);
	char *path = s3_object_path(s, key), err[256];
	long http;
	int ret = -1;

	if (s3_request(s, "DELETE", path, "", NULL, 0, &r, &http, err, sizeof(err)) < 0)
		log_error("S3 DELETE %s in bucket %s at %s failed: %s", key, s->bucket, s->endpoint, err);
	else if (http == 204 || http == 200)
		ret = 0;
	else if (http == 404)
		ret = VV_NOT_FOUND;
	else if (s3_refusal(http, &r) == VV_DENIED)
		ret = VV_DENIED;
	else
		s3_report(s, "DELETE", key, http, &r);
	free(r.buf);
	free(path);
	return ret;
}

int
store_s3_parse_list(const char *prefix, const char *xml, size_t len, struct strlist *keys,
    uint64_t **sizes, char *next, size_t nextlen)
{
	xmlDoc *doc = len > INT_MAX ? NULL : xmlReadMemory(xml, (int)len, NULL, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	xmlNode *root;
	size_t pl = strlen(prefix);

	next[0] = '\0';
	if (doc == NULL || (root = xmlDocGetRootElement(doc)) == NULL) {
		xmlFreeDoc(doc);
		return -1;
	}
	for (xmlNode *c = root->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (xmlStrcmp(c->name, BAD_CAST "Contents") == 0) {
			uint64_t size = 0;
			xmlChar *key = NULL;

			for (xmlNode *k = c->children; k; k = k->next) {
				xmlChar *v;

				if (k->type != XML_ELEMENT_NODE)
					continue;
				v = xmlNodeGetContent(k);
				if (xmlStrcmp(k->name, BAD_CAST "Key") == 0 && v &&
				    strncmp((const char *)v, prefix, pl) == 0 && key == NULL) {
					key = v;
					continue;
				} else if (xmlStrcmp(k->name, BAD_CAST "Size") == 0 && v) {
					size = strtoull((const char *)v, NULL, 10);
				}
				xmlFree(v);
			}
			if (key != NULL)
				store_list_add(keys, sizes, (const char *)key + pl, size);
			xmlFree(key);
		} else if (xmlStrcmp(c->name, BAD_CAST "NextContinuationToken") == 0) {
			xmlChar *v = xmlNodeGetContent(c);

			snprintf(next, nextlen, "%s", v ? (const char *)v : "");
			xmlFree(v);
		}
	}
	xmlFreeDoc(doc);
	return 0;
}

/* One page at a time: at most 1000 keys in memory, their sizes from the listing. */
static int
s3_list(struct store *st, const char *prefix, bool sizes, store_list_fn cb, void *ctx)
{
	struct s3 *s = s3_of(st);
	struct resp r = RESP_INIT(S3_SMALL_CAP);
	char *full = xasprintf("%s%s", s->prefix, prefix), *path;
	char token[1024] = "", err[256];
	struct strlist page = { 0 };
	uint64_t *psizes = NULL;
	int ret = -1;

	(void)sizes;
	path = s->path_style ? xasprintf("/%s", s->bucket) : xstrdup("/");
	do {
		const char *n[] = { "list-type", "prefix", "continuation-token" };
		const char *v[] = { "2", full, token };
		char *q = s3_query(n, v, token[0] ? 3 : 2);
		long http;
		int rc = s3_request(s, "GET", path, q, NULL, 0, &r, &http, err, sizeof(err));

		free(q);
		if (rc < 0) {
			log_error("S3 listing of %s in bucket %s at %s failed: %s", prefix, s->bucket,
			    s->endpoint, err);
			goto out;
		}
		if (http != 200) {
			s3_report(s, "listing of", prefix, http, &r);
			goto out;
		}
		if (store_s3_parse_list(s->prefix, r.buf, r.len, &page, &psizes, token,
		    sizeof(token)) < 0) {
			log_error("S3 listing of %s at %s: the answer is not valid XML", prefix, s->endpoint);
			goto out;
		}
		for (size_t i = 0; i < page.n; i++) {
			rc = cb(page.v[i], psizes[i], ctx);
			if (rc != 0) {
				ret = rc;
				goto out;
			}
		}
		strlist_clear(&page);
		free(psizes);
		psizes = NULL;
	} while (token[0] != '\0');
	ret = 0;
out:
	strlist_clear(&page);
	free(psizes);
	free(path);
	free(full);
	free(r.buf);
	return ret;
}

/* A 200 from S3 means the object is stored durably. */
static int
s3_sync(struct store *st)
{
	(void)st;
	return 0;
}

static uint64_t
s3_requests(struct store *st)
{
	struct s3 *s = s3_of(st);
	uint64_t n;

	pthread_mutex_lock(&s->lock);
	n = s->requests;
	pthread_mutex_unlock(&s->lock);
	return n;
}

static int
s3_parallel(struct store *st)
{
	return s3_of(st)->parallel;
}

static void
s3_close(struct store *st)
{
	struct s3 *s = s3_of(st);

	if (s == NULL)
		return;
	for (int i = 0; i < s->npool; i++)
		curl_easy_cleanup(s->pool[i]);
	pthread_mutex_destroy(&s->lock);
	free(s->base);
	free(s->host);
	free(s->endpoint);
	free(s->bucket);
	free(s->prefix);
	free(s->region);
	free(s->access);
	if (s->secret) {
		explicit_bzero(s->secret, strlen(s->secret));
		free(s->secret);
	}
	free(s->ca_file);
	free(s->storage_class);
	free(s);
}

static const struct store_ops s3_ops = {
	.put = s3_put,
	.get_buf = s3_get_buf,
	.exists = s3_exists,
	.list = s3_list,
	.del = s3_delete,
	.del_many = s3_delete_many,
	.cleanup = s3_cleanup,
	.sync = s3_sync,
	.parallel = s3_parallel,
	.requests = s3_requests,
	.close = s3_close,
	.versions = s3_versions,
	.get_version = s3_get_version,
	.del_version = s3_delete_version,
	.list_versions = s3_list_versions,
	.set_lock = s3_set_lock,
	.lock_enabled = s3_lock_enabled,
	.retention = s3_retention,
	.extend_retention = s3_extend_retention,
};

/* Credentials from ~/.aws/credentials, profile $AWS_PROFILE or default. */
static void
aws_credentials(char **access, char **secret)
{
	const char *home = getenv("HOME"), *profile = getenv("AWS_PROFILE");
	char *path, line[1024], want[256];
	bool in = false;
	FILE *f;

	if (home == NULL)
		return;
	path = xasprintf("%s/.aws/credentials", home);
	f = fopen(path, "r");
	free(path);
	if (f == NULL)
		return;
	snprintf(want, sizeof(want), "[%s]", profile && *profile ? profile : "default");
	while (fgets(line, sizeof(line), f) != NULL) {
		char *k = line, *v, *e;

		line[strcspn(line, "\r\n")] = '\0';
		while (*k == ' ' || *k == '\t')
			k++;
		if (*k == '[') {
			in = strcmp(k, want) == 0;
			continue;
		}
		if (!in || (v = strchr(k, '=')) == NULL)
			continue;
		for (e = v; e > k && (e[-1] == ' ' || e[-1] == '\t'); e--)
			;
		*e = '\0';
		for (v++; *v == ' ' || *v == '\t'; v++)
			;
		if (strcmp(k, "aws_access_key_id") == 0 && *access == NULL)
			*access = xstrdup(v);
		else if (strcmp(k, "aws_secret_access_key") == 0 && *secret == NULL)
			*secret = xstrdup(v);
	}
	explicit_bzero(line, sizeof(line));
	fclose(f);
}

/* libcurl's global set-up, once per process (it is not thread-safe). */
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void
curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct store *
store_s3_open(const char *url, const struct store_s3_opts *o, int create)
{
	struct s3 *s = xcalloc(1, sizeof(*s));
	const char *b = url + 5, *slash = strchr(b, '/');
	struct store *st;
	const char *ep;
	char *scheme_end;

	pthread_once(&curl_once, curl_init_once);
	pthread_mutex_init(&s->lock, NULL);
	s->bucket = slash ? xstrndup(b, (size_t)(slash - b)) : xstrdup(b);
	if (slash && slash[1]) {
		size_t n = strlen(slash + 1);

		while (n > 0 && slash[1 + n - 1] == '/')
			n--;
		s->prefix = xasprintf("%.*s/", (int)n, slash + 1);
	} else {
		s->prefix = xstrdup("");
	}
	s->region = xstrdup(o->region ? o->region : "us-east-1");
	ep = o->endpoint;
	s->endpoint = ep ? xstrdup(ep) : xasprintf("https://s3.%s.amazonaws.com", s->region);
	/* Path style for custom endpoints, virtual-hosted for AWS, unless said. */
	s->path_style = o->addressing ? strcmp(o->addressing, "path") == 0 : ep != NULL;
	scheme_end = strstr(s->endpoint, "://");
	{
		const char *hst = scheme_end + 3;
		size_t hl = strcspn(hst, "/");
		char *scheme = xstrndup(s->endpoint, (size_t)(scheme_end - s->endpoint));

		if (s->path_style) {
			s->host = xstrndup(hst, hl);
		} else {
			s->host = xasprintf("%s.%.*s", s->bucket, (int)hl, hst);
		}
		s->base = xasprintf("%s://%s", scheme, s->host);
		s->unsigned_payload = strcmp(scheme, "https") == 0 && o->tls_verify;
		free(scheme);
	}
	s->access = o->access_key ? xstrdup(o->access_key) : NULL;
	s->secret = o->secret_key ? xstrdup(o->secret_key) : NULL;
	if (s->access == NULL || s->secret == NULL)
		aws_credentials(&s->access, &s->secret);
	s->verify = o->tls_verify;
	s->ca_file = o->ca_file ? xstrdup(o->ca_file) : NULL;
	s->timeout = o->request_timeout;
	s->parallel = o->parallel > 0 ? o->parallel : 1;
	s->multipart_threshold = o->multipart_threshold;
	s->storage_class = o->storage_class ? xstrdup(o->storage_class) : NULL;
	if (o->bandwidth_limit)
		s->bw_each = (curl_off_t)(o->bandwidth_limit / (uint64_t)s->parallel);
	if (!s->verify)
		log_warn("repository %s: TLS certificate verification is OFF (tls_verify = no): anyone on the path can read and change what is sent",
		    url);
	st = xcalloc(1, sizeof(*st));
	st->ops = &s3_ops;
	st->url = xstrdup(url);
	st->priv = s;
	if (s->access == NULL || s->secret == NULL) {
		log_error("repository %s: no S3 credentials: set access_key and secret_key, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or ~/.aws/credentials",
		    url);
		store_close(st);
		return NULL;
	}
	if (create) {
		struct resp r = RESP_INIT(S3_SMALL_CAP);
		char *bp = xasprintf("/%s", s->bucket), err[256];
		long http = 0;
		int rc;

		/* Virtual-hosted: the bucket is in the host name, its path is "/". */
		rc = s3_request(s, "HEAD", s->path_style ? bp : "/", "", NULL, 0, &r, &http, err, sizeof(err));
		if (rc == 0 && http == 404)
			rc = s3_request_hdr(s, "PUT", s->path_style ? bp : "/", "",
			    o->object_lock ? "x-amz-bucket-object-lock-enabled: true" : NULL, "", 0, &r,
			    &http, err, sizeof(err));
		if (rc < 0)
			log_error("repository %s: cannot reach %s: %s", url, s->endpoint, err);
		else if (http != 200)
			s3_report(s, "creating the bucket", s->bucket, http, &r);
		free(bp);
		free(r.buf);
		if (rc < 0 || http != 200) {
			store_close(st);
			return NULL;
		}
	}
	return st;
}
