/*
 * The s3:// backend over libcurl: SigV4-signed requests (s3_sign.c) with
 * the payload's real SHA-256, a pool of reused connections for parallel
 * requests, retries with backoff and jitter (s3_policy.c), multipart
 * uploads above a threshold (aborted on failure), a bandwidth limit, and
 * clear errors for what retrying cannot fix. The only file that includes
 * curl.
 */
#include <curl/curl.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/crypto.h"
#include "common/log.h"
#include "transport/s3_policy.h"
#include "transport/s3_sign.h"
#include "transport/store_backend.h"

#define S3_POOL 32
#define S3_ATTEMPTS 6
#define S3_SMALL_CAP (8 * 1024 * 1024)	/* listings and error bodies */
#define EMPTY_SHA "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct s3 {
	char *base;		/* scheme://host[:port] requests go to */
	char *host;		/* the Host header */
	char *endpoint;		/* as configured, for messages */
	char *bucket;
	char *prefix;		/* "" or "a/b/" */
	bool path_style;
	char *region;
	char *access;
	char *secret;
	char *ca_file;
	bool verify;
	long timeout;
	curl_off_t bw_each;
	uint64_t multipart_threshold;
	int parallel;
	uint64_t requests;	/* under lock */
	pthread_mutex_t lock;
	CURL *pool[S3_POOL];
	int npool;
};

struct resp {
	char *buf;
	size_t len;
	size_t cap;
	bool over;
	char etag[128];
};

struct body {
	const char *p;
	size_t len;
	size_t off;
};

static size_t
on_write(char *data, size_t size, size_t n, void *arg)
{
	struct resp *r = arg;
	size_t len = size * n;

	if (r->len + len > r->cap) {
		r->over = true;
		return 0;
	}
	memcpy(r->buf + r->len, data, len);
	r->len += len;
	return len;
}

static size_t
on_read(char *dst, size_t size, size_t n, void *arg)
{
	struct body *b = arg;
	size_t len = size * n;

	if (len > b->len - b->off)
		len = b->len - b->off;
	memcpy(dst, b->p + b->off, len);
	b->off += len;
	return len;
}

static size_t
on_header(char *data, size_t size, size_t n, void *arg)
{
	struct resp *r = arg;
	size_t len = size * n;

	if (len > 5 && strncasecmp(data, "etag:", 5) == 0) {
		const char *v = data + 5;
		size_t vl = len - 5;

		while (vl > 0 && (*v == ' ' || *v == '\t'))
			v++, vl--;
		while (vl > 0 && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
			vl--;
		snprintf(r->etag, sizeof(r->etag), "%.*s", (int)vl, v);
	}
	return len;
}

static CURL *
take_handle(struct s3 *s)
{
	CURL *c = NULL;

	pthread_mutex_lock(&s->lock);
	if (s->npool > 0)
		c = s->pool[--s->npool];
	s->requests++;
	pthread_mutex_unlock(&s->lock);
	if (c == NULL)
		c = curl_easy_init();
	else
		curl_easy_reset(c);
	return c;
}

static void
give_handle(struct s3 *s, CURL *c)
{
	pthread_mutex_lock(&s->lock);
	if (s->npool < S3_POOL) {
		s->pool[s->npool++] = c;
		c = NULL;
	}
	pthread_mutex_unlock(&s->lock);
	if (c != NULL)
		curl_easy_cleanup(c);
}

/* The S3 error code in BODY ("NoSuchKey"), or "". */
static void
error_code(const char *body, char *out, size_t len)
{
	const char *a = body ? strstr(body, "<Code>") : NULL, *b;

	out[0] = '\0';
	if (a && (b = strstr(a, "</Code>")) != NULL)
		snprintf(out, len, "%.*s", (int)(b - a - 6), a + 6);
}

/*
 * One signed request: METHOD on PATH (not encoded, from '/') with the
 * canonical QUERY. Retries what may succeed later. *HTTP is the final
 * status (0 on a network failure). R receives the body (at most its cap).
 * Returns 0 when a response came, -1 on a network failure after retries
 * (reason in ERR).
 */
static int
request(struct s3 *s, const char *method, const char *path, const char *query,
    const void *data, size_t dlen, struct resp *r, long *http, char *err, size_t errlen)
{
	uint8_t h[CRYPTO_HASH_LEN];
	char payload[65], amz[32], auth[1024], *canon, *url;
	int ret = -1;

	crypto_sha256(data ? data : "", data ? dlen : 0, h);
	crypto_hex(h, sizeof(h), payload);
	canon = s3_uri_encode(path, 0);
	url = xasprintf("%s%s%s%s", s->base, canon, query && *query ? "?" : "", query ? query : "");
	for (int attempt = 0; attempt < S3_ATTEMPTS; attempt++) {
		struct s3_header hd[3] = { { "host", s->host }, { "x-amz-content-sha256", payload },
			{ "x-amz-date", amz } };
		struct s3_sign_req sr = { method, canon, query ? query : "", hd, 3, payload, s->access,
			s->secret, s->region, amz };
		struct curl_slist *hl = NULL;
		struct body b = { data, dlen, 0 };
		char line[1200];
		time_t now = time(NULL);
		struct tm tm;
		CURLcode cc;
		CURL *c;

		if (attempt > 0) {
			unsigned int rnd = 0;

			crypto_random(&rnd, sizeof(rnd));
			usleep((useconds_t)s3_backoff_ms(attempt, (double)rnd / 4294967296.0) * 1000);
		}
		gmtime_r(&now, &tm);
		strftime(amz, sizeof(amz), "%Y%m%dT%H%M%SZ", &tm);
		if (s3_sign(&sr, auth, sizeof(auth)) < 0) {
			snprintf(err, errlen, "cannot sign the request");
			break;
		}
		snprintf(line, sizeof(line), "Authorization: %s", auth);
		hl = curl_slist_append(hl, line);
		snprintf(line, sizeof(line), "x-amz-date: %s", amz);
		hl = curl_slist_append(hl, line);
		snprintf(line, sizeof(line), "x-amz-content-sha256: %s", payload);
		hl = curl_slist_append(hl, line);
		hl = curl_slist_append(hl, "Expect:");
		r->len = 0;
		r->over = false;
		r->etag[0] = '\0';
		c = take_handle(s);
		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
		curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
		curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
		curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
		/* A response that stalls fails within the request timeout. */
		curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, s->timeout);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, s->verify ? 1L : 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, s->verify ? 2L : 0L);
		if (s->ca_file)
			curl_easy_setopt(c, CURLOPT_CAINFO, s->ca_file);
		if (s->bw_each > 0) {
			curl_easy_setopt(c, CURLOPT_MAX_SEND_SPEED_LARGE, s->bw_each);
			curl_easy_setopt(c, CURLOPT_MAX_RECV_SPEED_LARGE, s->bw_each);
		}
		if (strcmp(method, "HEAD") == 0) {
			curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
		} else if (strcmp(method, "PUT") == 0) {
			curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
			curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
			curl_easy_setopt(c, CURLOPT_READDATA, &b);
			curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)dlen);
		} else if (strcmp(method, "POST") == 0) {
			curl_easy_setopt(c, CURLOPT_POST, 1L);
			curl_easy_setopt(c, CURLOPT_POSTFIELDS, data ? data : "");
			curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)dlen);
		} else if (strcmp(method, "GET") != 0) {
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
		}
		cc = curl_easy_perform(c);
		*http = 0;
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, http);
		give_handle(s, c);
		curl_slist_free_all(hl);
		if (r->over) {
			snprintf(err, errlen, "the response is larger than %zu bytes", r->cap);
			break;
		}
		r->buf[r->len] = '\0';
		if (cc != CURLE_OK) {
			snprintf(err, errlen, "%s", curl_easy_strerror(cc));
			log_debug("S3 %s %s: %s (attempt %d)", method, path, err, attempt + 1);
			continue;
		}
		if (s3_should_retry(false, *http, r->buf)) {
			snprintf(err, errlen, "HTTP %ld", *http);
			log_debug("S3 %s %s: HTTP %ld (attempt %d)", method, path, *http, attempt + 1);
			continue;
		}
		ret = 0;
		break;
	}
	free(canon);
	free(url);
	return ret;
}

/* The path of object KEY. */
static char *
object_path(struct s3 *s, const char *key)
{
	if (s->path_style)
		return xasprintf("/%s/%s%s", s->bucket, s->prefix, key);
	return xasprintf("/%s%s", s->prefix, key);
}

/* Log a failed response of a request on KEY, in the words an operator needs. */
static void
report(struct s3 *s, const char *what, const char *key, long http, const char *body)
{
	char code[64];

	error_code(body, code, sizeof(code));
	if (http == 403)
		log_error("access denied to bucket %s at %s (%s %s): check access_key/secret_key%s%s",
		    s->bucket, s->endpoint, what, key, code[0] ? ": " : "", code);
	else if (strcmp(code, "NoSuchBucket") == 0)
		log_error("bucket %s does not exist at %s (run 'virtvault init')", s->bucket, s->endpoint);
	else
		log_error("S3 %s %s in bucket %s at %s failed: HTTP %ld%s%s", what, key, s->bucket,
		    s->endpoint, http, code[0] ? " " : "", code);
}

static struct s3 *
s3_of(struct store *st)
{
	return st->priv;
}

static int
put_multipart(struct s3 *s, const char *key, const uint8_t *buf, size_t len)
{
	char *path = object_path(s, key), *q = NULL, upload[256] = "", err[256];
	struct resp r = { xmalloc(S3_SMALL_CAP + 1), 0, S3_SMALL_CAP, false, "" };
	struct strlist etags = { 0 };
	uint64_t part, count;
	long http;
	int ret = -1;
	const char *a, *b;

	s3_part_size(len, &part, &count);
	{
		static const char *const n[] = { "uploads" };
		static const char *const v[] = { "" };

		q = s3_query(n, v, 1);
	}
	if (request(s, "POST", path, q, "", 0, &r, &http, err, sizeof(err)) < 0 || http != 200) {
		if (http)
			report(s, "multipart start of", key, http, r.buf);
		else
			log_error("S3 multipart start of %s at %s: %s", key, s->endpoint, err);
		goto out;
	}
	a = strstr(r.buf, "<UploadId>");
	b = a ? strstr(a, "</UploadId>") : NULL;
	if (b == NULL || b - a - 10 >= (long)sizeof(upload)) {
		log_error("S3 multipart start of %s at %s: no upload ID in the answer", key, s->endpoint);
		goto out;
	}
	snprintf(upload, sizeof(upload), "%.*s", (int)(b - a - 10), a + 10);
	for (uint64_t i = 0; i < count; i++) {
		const char *n[] = { "partNumber", "uploadId" };
		char num[24];
		const char *v[] = { num, upload };
		size_t off = (size_t)(i * part), plen = len - off < part ? len - off : (size_t)part;

		snprintf(num, sizeof(num), "%llu", (unsigned long long)i + 1);
		free(q);
		q = s3_query(n, v, 2);
		if (request(s, "PUT", path, q, buf + off, plen, &r, &http, err, sizeof(err)) < 0 ||
		    http != 200) {
			if (http)
				report(s, "multipart part of", key, http, r.buf);
			else
				log_error("S3 part %llu of %s at %s: %s", (unsigned long long)i + 1, key,
				    s->endpoint, err);
			goto abort;
		}
		strlist_add(&etags, r.etag);
	}
	{
		const char *n[] = { "uploadId" };
		const char *v[] = { upload };
		size_t cap = 128 + count * 200;
		char *xml = xmalloc(cap), *p = xml;

		p += sprintf(p, "<CompleteMultipartUpload>");
		for (size_t i = 0; i < etags.n; i++)
			p += snprintf(p, 200, "<Part><PartNumber>%zu</PartNumber><ETag>%s</ETag></Part>",
			    i + 1, etags.v[i]);
		p += sprintf(p, "</CompleteMultipartUpload>");
		free(q);
		q = s3_query(n, v, 1);
		/* Success can come as 200 with an <Error> body; the ETag may be empty (RGW). */
		if (request(s, "POST", path, q, xml, (size_t)(p - xml), &r, &http, err, sizeof(err)) < 0 ||
		    http != 200 || strstr(r.buf, "<Error>") != NULL) {
			if (http)
				report(s, "multipart completion of", key, http, r.buf);
			else
				log_error("S3 multipart completion of %s at %s: %s", key, s->endpoint, err);
			free(xml);
			goto abort;
		}
		free(xml);
	}
	ret = 0;
	goto out;
abort:
	{
		const char *n[] = { "uploadId" };
		const char *v[] = { upload };

		free(q);
		q = s3_query(n, v, 1);
		/* No incomplete upload is left to be billed. */
		if (request(s, "DELETE", path, q, NULL, 0, &r, &http, err, sizeof(err)) < 0 ||
		    (http != 204 && http != 200))
			log_error("S3: cannot abort the multipart upload of %s (upload %s)", key, upload);
	}
out:
	strlist_clear(&etags);
	free(r.buf);
	free(q);
	free(path);
	return ret;
}

static int
s3_put(struct store *st, const char *key, const void *buf, size_t len, int flags)
{
	struct s3 *s = s3_of(st);
	struct resp r = { xmalloc(S3_SMALL_CAP + 1), 0, S3_SMALL_CAP, false, "" };
	char *path = object_path(s, key), err[256];
	long http;
	int ret = -1;

	/* S3 has no exclusive put: look first (a race only between two inits). */
	if (flags & STORE_EXCL) {
		if (request(s, "HEAD", path, "", NULL, 0, &r, &http, err, sizeof(err)) == 0 && http == 200) {
			ret = STORE_EXISTS;
			goto out;
		}
	}
	if (len > s->multipart_threshold) {
		ret = put_multipart(s, key, buf, len);
		goto out;
	}
	if (request(s, "PUT", path, "", buf, len, &r, &http, err, sizeof(err)) < 0) {
		log_error("S3 PUT %s to bucket %s at %s failed: %s", key, s->bucket, s->endpoint, err);
		goto out;
	}
	if (http != 200) {
		report(s, "PUT", key, http, r.buf);
		goto out;
	}
	ret = 0;
out:
	free(r.buf);
	free(path);
	return ret;
}

static int
s3_get(struct store *st, const char *key, void **out, size_t *outlen, size_t cap)
{
	struct s3 *s = s3_of(st);
	struct resp r = { xmalloc(cap + 1), 0, cap, false, "" };
	char *path = object_path(s, key), err[256];
	long http;
	int ret = -1;

	if (request(s, "GET", path, "", NULL, 0, &r, &http, err, sizeof(err)) < 0) {
		log_error("S3 GET %s from bucket %s at %s failed: %s", key, s->bucket, s->endpoint, err);
	} else if (http == 404 && strstr(r.buf, "NoSuchBucket") == NULL) {
		ret = STORE_NOT_FOUND;
	} else if (http != 200) {
		report(s, "GET", key, http, r.buf);
	} else {
		*out = r.buf;
		*outlen = r.len;
		r.buf = NULL;
		ret = 0;
	}
	free(r.buf);
	free(path);
	return ret;
}

static int
s3_exists(struct store *st, const char *key)
{
	struct s3 *s = s3_of(st);
	struct resp r = { xmalloc(S3_SMALL_CAP + 1), 0, S3_SMALL_CAP, false, "" };
	char *path = object_path(s, key), err[256];
	long http;
	int ret = -1;

	if (request(s, "HEAD", path, "", NULL, 0, &r, &http, err, sizeof(err)) < 0)
		log_error("S3 HEAD %s in bucket %s at %s failed: %s", key, s->bucket, s->endpoint, err);
	else if (http == 200)
		ret = 1;
	else if (http == 404)
		ret = 0;
	else
		report(s, "HEAD", key, http, r.buf);
	free(r.buf);
	free(path);
	return ret;
}

static int
s3_delete(struct store *st, const char *key)
{
	struct s3 *s = s3_of(st);
	struct resp r = { xmalloc(S3_SMALL_CAP + 1), 0, S3_SMALL_CAP, false, "" };
	char *path = object_path(s, key), err[256];
	long http;
	int ret = -1;

	if (request(s, "DELETE", path, "", NULL, 0, &r, &http, err, sizeof(err)) < 0)
		log_error("S3 DELETE %s in bucket %s at %s failed: %s", key, s->bucket, s->endpoint, err);
	else if (http == 204 || http == 200)
		ret = 0;
	else if (http == 404)
		ret = STORE_NOT_FOUND;
	else
		report(s, "DELETE", key, http, r.buf);
	free(r.buf);
	free(path);
	return ret;
}

/* Keys from one ListObjectsV2 page; the continuation token, if any. */
static int
parse_list(struct s3 *s, const char *xml, size_t len, struct strlist *keys, char *next,
    size_t nextlen)
{
	xmlDoc *doc = xmlReadMemory(xml, (int)len, NULL, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	xmlNode *root;
	size_t pl = strlen(s->prefix);

	next[0] = '\0';
	if (doc == NULL || (root = xmlDocGetRootElement(doc)) == NULL) {
		xmlFreeDoc(doc);
		return -1;
	}
	for (xmlNode *c = root->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (xmlStrcmp(c->name, BAD_CAST "Contents") == 0) {
			for (xmlNode *k = c->children; k; k = k->next) {
				if (k->type == XML_ELEMENT_NODE && xmlStrcmp(k->name, BAD_CAST "Key") == 0) {
					xmlChar *v = xmlNodeGetContent(k);

					if (v && strncmp((const char *)v, s->prefix, pl) == 0)
						strlist_add(keys, (const char *)v + pl);
					xmlFree(v);
				}
			}
		} else if (xmlStrcmp(c->name, BAD_CAST "NextContinuationToken") == 0) {
			xmlChar *v = xmlNodeGetContent(c);

			snprintf(next, nextlen, "%s", v ? (const char *)v : "");
			xmlFree(v);
		}
	}
	xmlFreeDoc(doc);
	return 0;
}

static int
s3_list(struct store *st, const char *prefix, struct strlist *keys)
{
	struct s3 *s = s3_of(st);
	struct resp r = { xmalloc(S3_SMALL_CAP + 1), 0, S3_SMALL_CAP, false, "" };
	char *full = xasprintf("%s%s", s->prefix, prefix), *path;
	char token[1024] = "", err[256];
	int ret = -1;

	path = s->path_style ? xasprintf("/%s", s->bucket) : xstrdup("/");
	do {
		const char *n[] = { "list-type", "prefix", "continuation-token" };
		const char *v[] = { "2", full, token };
		char *q = s3_query(n, v, token[0] ? 3 : 2);
		long http;
		int rc = request(s, "GET", path, q, NULL, 0, &r, &http, err, sizeof(err));

		free(q);
		if (rc < 0) {
			log_error("S3 listing of %s in bucket %s at %s failed: %s", prefix, s->bucket,
			    s->endpoint, err);
			goto out;
		}
		if (http != 200) {
			report(s, "listing of", prefix, http, r.buf);
			goto out;
		}
		if (parse_list(s, r.buf, r.len, keys, token, sizeof(token)) < 0) {
			log_error("S3 listing of %s at %s: the answer is not valid XML", prefix, s->endpoint);
			goto out;
		}
	} while (token[0] != '\0');
	ret = 0;
out:
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
	free(s);
}

static const struct store_ops s3_ops = {
	.put = s3_put,
	.get = s3_get,
	.exists = s3_exists,
	.list = s3_list,
	.del = s3_delete,
	.sync = s3_sync,
	.parallel = s3_parallel,
	.requests = s3_requests,
	.close = s3_close,
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

struct store *
store_s3_open(const char *url, const struct conf *c, int create)
{
	struct s3 *s = xcalloc(1, sizeof(*s));
	const char *b = url + 5, *slash = strchr(b, '/');
	struct store *st;
	const char *ep;
	char *scheme_end;

	curl_global_init(CURL_GLOBAL_DEFAULT);
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
	s->region = xstrdup(c && c->region ? c->region : "us-east-1");
	ep = c ? c->endpoint : NULL;
	s->endpoint = ep ? xstrdup(ep) : xasprintf("https://s3.%s.amazonaws.com", s->region);
	/* Path style for custom endpoints, virtual-hosted for AWS, unless said. */
	s->path_style = c && c->s3_addressing ? strcmp(c->s3_addressing, "path") == 0 : ep != NULL;
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
		free(scheme);
	}
	s->access = c && c->access_key ? xstrdup(c->access_key) : NULL;
	s->secret = c && c->secret_key ? xstrdup(c->secret_key) : NULL;
	if (s->access == NULL || s->secret == NULL)
		aws_credentials(&s->access, &s->secret);
	s->verify = c ? c->tls_verify : true;
	s->ca_file = c && c->ca_file ? xstrdup(c->ca_file) : NULL;
	s->timeout = c && c->request_timeout ? (long)c->request_timeout : 60;
	s->parallel = c && c->upload_parallel ? c->upload_parallel : 8;
	s->multipart_threshold = c && c->multipart_threshold ? c->multipart_threshold : 64ULL << 20;
	if (c && c->bandwidth_limit)
		s->bw_each = (curl_off_t)(c->bandwidth_limit / (uint64_t)s->parallel);
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
		struct resp r = { xmalloc(S3_SMALL_CAP + 1), 0, S3_SMALL_CAP, false, "" };
		char *bp = xasprintf("/%s", s->bucket), err[256];
		long http = 0;
		int rc;

		/* Virtual-hosted: the bucket is in the host name, its path is "/". */
		rc = request(s, "HEAD", s->path_style ? bp : "/", "", NULL, 0, &r, &http, err, sizeof(err));
		if (rc == 0 && http == 404)
			rc = request(s, "PUT", s->path_style ? bp : "/", "", "", 0, &r, &http, err, sizeof(err));
		if (rc < 0)
			log_error("repository %s: cannot reach %s: %s", url, s->endpoint, err);
		else if (http != 200)
			report(s, "creating the bucket", s->bucket, http, r.buf);
		free(bp);
		free(r.buf);
		if (rc < 0 || http != 200) {
			store_close(st);
			return NULL;
		}
	}
	return st;
}
