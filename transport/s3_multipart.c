/*
 * Multipart uploads: start, parts (each retried), complete; abort on any
 * failure so that no incomplete upload is left to be billed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "common/log.h"
#include "common/util.h"
#include "transport/s3_int.h"
#include "transport/s3_policy.h"
#include "transport/s3_sign.h"

int
s3_parse_upload_id(const char *buf, char *out, size_t len)
{
	const char *a = buf ? strstr(buf, "<UploadId>") : NULL;
	const char *b = a ? strstr(a + 10, "</UploadId>") : NULL;

	if (b == NULL || b == a + 10 || (size_t)(b - a - 10) >= len)
		return -1;
	snprintf(out, len, "%.*s", (int)(b - a - 10), a + 10);
	return 0;
}

int
s3_put_multipart(struct s3 *s, const char *key, const uint8_t *buf, size_t len)
{
	char *path = s3_object_path(s, key), *q = NULL, upload[256] = "", hdr[512];
	char err[256] = "cannot build the request's headers";
	struct resp r = RESP_INIT(S3_SMALL_CAP);
	struct strlist etags = { 0 };
	uint64_t part, count;
	long http = 0;
	int ret = -1;

	s3_part_size(len, &part, &count);
	{
		static const char *const n[] = { "uploads" };
		static const char *const v[] = { "" };

		q = s3_query(n, v, 1);
	}
	/* The class and the lock are the upload's, given when it starts. */
	if (s3_retention_put_headers(s, key, NULL, 0, false, hdr, sizeof(hdr)) < 0 ||
	    s3_request_hdr(s, "POST", path, q, hdr, "", 0, &r, &http, err, sizeof(err)) < 0 ||
	    http != 200) {
		if (http)
			s3_report(s, "multipart start of", key, http, &r);
		else
			log_error("S3 multipart start of %s at %s: %s", key, s->endpoint, err);
		goto out;
	}
	if (s3_parse_upload_id(r.buf, upload, sizeof(upload)) < 0) {
		log_error("S3 multipart start of %s at %s: no upload ID in the answer", key, s->endpoint);
		goto out;
	}
	for (uint64_t i = 0; i < count; i++) {
		const char *n[] = { "partNumber", "uploadId" };
		char num[24];
		const char *v[] = { num, upload };
		size_t off = (size_t)(i * part), plen = len - off < part ? len - off : (size_t)part;

		snprintf(num, sizeof(num), "%llu", (unsigned long long)i + 1);
		free(q);
		q = s3_query(n, v, 2);
		if (s->lock_mode != 0) {
			char md5[25];

			/* S3 asks for it on every part of a locked object. */
			crypto_md5_base64(buf + off, plen, md5);
			snprintf(hdr, sizeof(hdr), "Content-MD5: %s", md5);
		}
		if (s3_request_hdr(s, "PUT", path, q, s->lock_mode != 0 ? hdr : NULL, buf + off, plen,
		    &r, &http, err, sizeof(err)) < 0 || http != 200) {
			if (http)
				s3_report(s, "multipart part of", key, http, &r);
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
		size_t cap = 128, used;
		char *xml, *p;

		/* Sized by the ETags the server sent, whatever their length. */
		for (size_t i = 0; i < etags.n; i++)
			cap += strlen(etags.v[i]) + 80;
		xml = xmalloc(cap);
		used = (size_t)snprintf(xml, cap, "<CompleteMultipartUpload>");
		for (size_t i = 0; i < etags.n && used < cap; i++)
			used += (size_t)snprintf(xml + used, cap - used,
			    "<Part><PartNumber>%zu</PartNumber><ETag>%s</ETag></Part>", i + 1, etags.v[i]);
		if (used < cap)
			used += (size_t)snprintf(xml + used, cap - used, "</CompleteMultipartUpload>");
		p = xml + (used < cap ? used : cap - 1);
		free(q);
		q = s3_query(n, v, 1);
		/* Success can come as 200 with an <Error> body; the ETag may be empty (RGW). */
		if (s3_request(s, "POST", path, q, xml, (size_t)(p - xml), &r, &http, err, sizeof(err)) < 0 ||
		    http != 200 || strstr(r.buf, "<Error>") != NULL) {
			if (http)
				s3_report(s, "multipart completion of", key, http, &r);
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
		if (s3_request(s, "DELETE", path, q, NULL, 0, &r, &http, err, sizeof(err)) < 0 ||
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

