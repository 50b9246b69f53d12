/*
 * S3 Object Lock and storage classes: the headers a PUT carries (pure,
 * unit-tested), the bucket's lock configuration, an object's retain-until
 * date (HEAD) and its extension (PutObjectRetention). docs/FORMAT.md,
 * "Object Lock", says which objects carry what.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/crypto.h"
#include "common/log.h"
#include "common/util.h"
#include "transport/s3_int.h"
#include "transport/s3_sign.h"
#include "transport/store_backend.h"

static const char *
mode_name(int mode)
{
	return mode == STORE_LOCK_COMPLIANCE ? "COMPLIANCE" : "GOVERNANCE";
}

void
s3_retention_format(time_t until, char out[32])
{
	struct tm tm;

	gmtime_r(&until, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int
s3_retention_parse(const char *text, time_t *until)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(text, "%Y-%m-%dT%H:%M:%S", &tm);
	if (end == NULL) {
		/* Some stores answer with an HTTP date (RFC 7231). */
		memset(&tm, 0, sizeof(tm));
		end = strptime(text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
		if (end == NULL || *end != '\0')
			return -1;
		*until = timegm(&tm);
		return 0;
	}
	/* Fractions of a second, then the zone: only UTC is written. */
	if (*end == '.')
		end += 1 + strspn(end + 1, "0123456789");
	if (strcmp(end, "Z") != 0 && strcmp(end, "+00:00") != 0)
		return -1;
	*until = timegm(&tm);
	return 0;
}

/* Whether KEY is a bulk object (chunks/, indexes/), under any prefix of the bucket. */
static bool
bulk_key(const char *key)
{
	return strncmp(key, "chunks/", 7) == 0 || strncmp(key, "indexes/", 8) == 0;
}

int
s3_retention_headers(const char *key, const void *buf, size_t len, bool if_absent,
    const char *sclass, int mode, time_t until, char *out, size_t outlen)
{
	size_t used = 0;
	int n;

	out[0] = '\0';
	if (if_absent) {
		n = snprintf(out + used, outlen - used, "If-None-Match: *\n");
		if (n < 0 || (size_t)n >= outlen - used)
			return -1;
		used += (size_t)n;
	}
	if (sclass != NULL && bulk_key(key)) {
		n = snprintf(out + used, outlen - used, "x-amz-storage-class: %s\n", sclass);
		if (n < 0 || (size_t)n >= outlen - used)
			return -1;
		used += (size_t)n;
	}
	if (mode != STORE_LOCK_NONE) {
		char date[32], md5[25];

		s3_retention_format(until, date);
		if (buf != NULL)
			crypto_md5_base64(buf, len, md5);
		n = snprintf(out + used, outlen - used,
		    "x-amz-object-lock-mode: %s\nx-amz-object-lock-retain-until-date: %s\n%s%s%s",
		    mode_name(mode), date, buf ? "Content-MD5: " : "", buf ? md5 : "", buf ? "\n" : "");
		if (n < 0 || (size_t)n >= outlen - used)
			return -1;
	}
	return 0;
}

int
s3_retention_put_headers(struct s3 *s, const char *key, const void *buf, size_t len,
    bool if_absent, char *out, size_t outlen)
{
	time_t until = time(NULL) + (time_t)s->lock_days * 86400;

	return s3_retention_headers(key, buf, len, if_absent, s->storage_class, s->lock_mode, until,
	    out, outlen);
}

int
s3_set_lock(struct store *st, int mode, unsigned days)
{
	struct s3 *s = st->priv;

	s->lock_mode = mode;
	s->lock_days = days;
	return 0;
}

int
s3_lock_enabled(struct store *st)
{
	struct s3 *s = st->priv;
	struct resp r = RESP_INIT(S3_SMALL_CAP);
	char *path = s->path_style ? xasprintf("/%s", s->bucket) : xstrdup("/"), err[256];
	char *q = s3_query((const char *const[]){ "object-lock" }, (const char *const[]){ "" }, 1);
	long http;
	int ret = -1;

	if (s3_request(s, "GET", path, q, NULL, 0, &r, &http, err, sizeof(err)) < 0)
		log_error("S3 GetObjectLockConfiguration of bucket %s at %s failed: %s", s->bucket,
		    s->endpoint, err);
	else if (http == 200)
		ret = strstr(r.buf, "<ObjectLockEnabled>Enabled</ObjectLockEnabled>") != NULL;
	else if (http == 404 && strstr(r.buf, "NoSuchBucket") == NULL)
		ret = 0;	/* ObjectLockConfigurationNotFoundError */
	else
		s3_report(s, "GetObjectLockConfiguration of", s->bucket, http, &r);
	free(q);
	free(path);
	free(r.buf);
	return ret;
}

int
s3_retention(struct store *st, const char *key, time_t *until, char *version, size_t vlen)
{
	struct s3 *s = st->priv;
	struct resp r = RESP_INIT(S3_SMALL_CAP);
	char *path = s3_object_path(s, key), err[256];
	long http;
	int ret = -1;

	*until = 0;
	if (vlen > 0)
		version[0] = '\0';
	if (s3_request(s, "HEAD", path, "", NULL, 0, &r, &http, err, sizeof(err)) < 0) {
		log_error("S3 HEAD %s in bucket %s at %s failed: %s", key, s->bucket, s->endpoint, err);
	} else if (http == 404) {
		ret = VV_NOT_FOUND;
	} else if (http != 200) {
		s3_report(s, "HEAD", key, http, &r);
	} else if (r.retain[0] != '\0' && s3_retention_parse(r.retain, until) < 0) {
		log_error("S3 HEAD %s in bucket %s at %s: the retain-until date '%s' is not a date",
		    key, s->bucket, s->endpoint, r.retain);
	} else {
		if (vlen > 0)
			snprintf(version, vlen, "%s", strcmp(r.version, "null") == 0 ? "" : r.version);
		ret = 0;
	}
	free(path);
	free(r.buf);
	return ret;
}

int
s3_extend_retention(struct store *st, const char *key, const char *version, time_t until)
{
	struct s3 *s = st->priv;
	struct resp r = RESP_INIT(S3_SMALL_CAP);
	char *path = s3_object_path(s, key), *q, err[256], date[32], md5[25], hdr[64], xml[256];
	bool v = version != NULL && *version != '\0';
	long http;
	int n, ret = -1;

	if (s->lock_mode == STORE_LOCK_NONE) {
		free(path);
		return 0;
	}
	q = s3_query((const char *const[]){ "retention", "versionId" },
	    (const char *const[]){ "", v ? version : "" }, v ? 2 : 1);
	s3_retention_format(until, date);
	n = snprintf(xml, sizeof(xml),
	    "<Retention xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Mode>%s</Mode><RetainUntilDate>%s</RetainUntilDate></Retention>",
	    mode_name(s->lock_mode), date);
	crypto_md5_base64(xml, (size_t)n, md5);
	snprintf(hdr, sizeof(hdr), "Content-MD5: %s", md5);
	if (s3_request_hdr(s, "PUT", path, q, hdr, xml, (size_t)n, &r, &http, err, sizeof(err)) < 0)
		log_error("S3 PutObjectRetention of %s in bucket %s at %s failed: %s", key, s->bucket,
		    s->endpoint, err);
	else if (http == 404 && strstr(r.buf, "NoSuchBucket") == NULL)
		ret = VV_NOT_FOUND;
	else if (http != 200 && http != 204)
		s3_report(s, "PutObjectRetention of", key, http, &r);
	else
		ret = 0;
	free(q);
	free(path);
	free(r.buf);
	return ret;
}
