/*
 * One signed S3 request over a pooled curl handle, with retries.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "common/crypto.h"
#include "common/log.h"
#include "common/util.h"
#include "transport/s3_int.h"
#include "transport/s3_policy.h"
#include "transport/s3_sign.h"

#define EMPTY_SHA "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static size_t
on_write(char *data, size_t size, size_t n, void *arg)
{
	struct resp *r = arg;
	size_t len = size * n;

	if (r->len + len > r->cap) {
		r->over = true;
		return 0;
	}
	if (r->len + len + 1 > r->alloc) {
		size_t want = r->alloc ? r->alloc : 4096;

		while (want < r->len + len + 1)
			want *= 2;
		if (want > r->cap + 1)
			want = r->cap + 1;
		r->buf = xrealloc(r->buf, want);
		r->alloc = want;
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

/* When header line DATA (LEN bytes) is NAME (with its colon), its value into OUT. */
static void
header_value(const char *data, size_t len, const char *name, char *out, size_t outlen)
{
	size_t nl = strlen(name);
	const char *v = data + nl;
	size_t vl = len - nl;

	if (len <= nl || strncasecmp(data, name, nl) != 0)
		return;
	while (vl > 0 && (*v == ' ' || *v == '\t'))
		v++, vl--;
	while (vl > 0 && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
		vl--;
	snprintf(out, outlen, "%.*s", (int)vl, v);
}

static size_t
on_header(char *data, size_t size, size_t n, void *arg)
{
	struct resp *r = arg;
	size_t len = size * n;

	header_value(data, len, "etag:", r->etag, sizeof(r->etag));
	header_value(data, len, "date:", r->date, sizeof(r->date));
	header_value(data, len, "x-amz-object-lock-retain-until-date:", r->retain, sizeof(r->retain));
	header_value(data, len, "x-amz-version-id:", r->version, sizeof(r->version));
	header_value(data, len, "x-amz-storage-class:", r->sclass, sizeof(r->sclass));
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

void
s3_error_code(const char *body, char *out, size_t len)
{
	const char *a = body ? strstr(body, "<Code>") : NULL, *b;

	out[0] = '\0';
	if (a && (b = strstr(a, "</Code>")) != NULL)
		snprintf(out, len, "%.*s", (int)(b - a - 6), a + 6);
}

void
s3_payload_hash(const struct s3 *s, const void *data, size_t len, char out[65])
{
	uint8_t h[CRYPTO_HASH_LEN];

	if (s->unsigned_payload) {
		snprintf(out, 65, "%s", S3_UNSIGNED_PAYLOAD);
		return;
	}
	crypto_sha256(data ? data : "", data ? len : 0, h);
	crypto_hex(h, sizeof(h), out);
}

/*
 * One signed request: METHOD on PATH (not encoded, from '/') with the
 * canonical QUERY. Retries what may succeed later. *HTTP is the final
 * status (0 on a network failure). R receives the body (at most its cap).
 * Returns 0 when a response came, -1 on a network failure after retries
 * (reason in ERR).
 */
int
s3_request(struct s3 *s, const char *method, const char *path, const char *query,
    const void *data, size_t dlen, struct resp *r, long *http, char *err, size_t errlen)
{
	return s3_request_hdr(s, method, path, query, NULL, data, dlen, r, http, err, errlen);
}

int
s3_request_hdr(struct s3 *s, const char *method, const char *path, const char *query,
    const char *header, const void *data, size_t dlen, struct resp *r, long *http, char *err,
    size_t errlen)
{
	char payload[65], amz[32], auth[1024], *canon, *url;
	int ret = -1;

	s3_payload_hash(s, data, dlen, payload);
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
		for (const char *h0 = header; h0 != NULL && *h0 != '\0';) {
			size_t hn = strcspn(h0, "\n");

			snprintf(line, sizeof(line), "%.*s", (int)hn, h0);
			if (hn > 0)
				hl = curl_slist_append(hl, line);
			h0 += hn + (h0[hn] == '\n');
		}
		if (strcmp(method, "POST") == 0 && data != NULL) {
			/* DeleteObjects requires it; harmless on the others. */
			char md5[25];

			crypto_md5_base64(data, dlen, md5);
			snprintf(line, sizeof(line), "Content-MD5: %s", md5);
			hl = curl_slist_append(hl, line);
		}
		r->len = 0;
		r->over = false;
		r->etag[0] = '\0';
		r->date[0] = '\0';
		r->retain[0] = '\0';
		r->version[0] = '\0';
		r->sclass[0] = '\0';
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
		if (r->buf == NULL) {
			r->buf = xmalloc(1);
			r->alloc = 1;
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
char *
s3_object_path(struct s3 *s, const char *key)
{
	if (s->path_style)
		return xasprintf("/%s/%s%s", s->bucket, s->prefix, key);
	return xasprintf("/%s%s", s->prefix, key);
}

/* Log a failed response of a request on KEY, in the words an operator needs. */
void
s3_report(struct s3 *s, const char *what, const char *key, long http, const struct resp *r)
{
	const char *body = r->buf ? r->buf : "";
	char code[64];

	s3_error_code(body, code, sizeof(code));
	{
		struct tm tm;
		const char *end;
		long long skew = 0;

		memset(&tm, 0, sizeof(tm));
		end = r->date[0] ? strptime(r->date, "%a, %d %b %Y %H:%M:%S", &tm) : NULL;
		if (end != NULL)
			skew = (long long)(time(NULL) - timegm(&tm));
		/* S3 refuses a request more than 15 minutes off; a HEAD has no
		 * body to say so, its Date does. */
		if (http == 403 && (strcmp(code, "RequestTimeTooSkewed") == 0 ||
		    (code[0] == '\0' && end != NULL && (skew > 900 || skew < -900)))) {
			if (end != NULL)
				log_error("S3 %s %s at %s refused: the clocks differ: this host's is %lld s %s the store's (its Date: %s); set the time right (NTP)",
				    what, key, s->endpoint, skew < 0 ? -skew : skew,
				    skew < 0 ? "behind" : "ahead of", r->date);
			else
				log_error("S3 %s %s at %s refused: the clocks of this host and the store differ too much (RequestTimeTooSkewed); set the time right (NTP)",
				    what, key, s->endpoint);
			return;
		}
	}
	if (http == 403)
		log_error("access denied to bucket %s at %s (%s %s): check access_key/secret_key%s%s",
		    s->bucket, s->endpoint, what, key, code[0] ? ": " : "", code);
	else if (strcmp(code, "NoSuchBucket") == 0)
		log_error("bucket %s does not exist at %s (run 'virtvault init')", s->bucket, s->endpoint);
	else
		log_error("S3 %s %s in bucket %s at %s failed: HTTP %ld%s%s", what, key, s->bucket,
		    s->endpoint, http, code[0] ? " " : "", code);
}

