#include "transport/s3_sign.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "common/util.h"

char *
s3_uri_encode(const char *in, int encode_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(in);
	char *out = xmalloc(3 * n + 1), *p = out;

	for (const unsigned char *s = (const unsigned char *)in; *s; s++) {
		if ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    *s == '-' || *s == '_' || *s == '.' || *s == '~' || (*s == '/' && !encode_slash)) {
			*p++ = (char)*s;
		} else {
			*p++ = '%';
			*p++ = hex[*s >> 4];
			*p++ = hex[*s & 15];
		}
	}
	*p = '\0';
	return out;
}

struct pair {
	char *name;
	char *value;
};

static int
by_name(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : strcmp(x->value, y->value);
}

char *
s3_query(const char *const *names, const char *const *values, size_t n)
{
	struct pair *p = xcalloc(n + 1, sizeof(*p));
	size_t len = 1;
	char *out, *o;

	for (size_t i = 0; i < n; i++) {
		p[i].name = s3_uri_encode(names[i], 1);
		p[i].value = s3_uri_encode(values[i] ? values[i] : "", 1);
		len += strlen(p[i].name) + strlen(p[i].value) + 2;
	}
	qsort(p, n, sizeof(*p), by_name);
	out = o = xmalloc(len);
	*o = '\0';
	for (size_t i = 0; i < n; i++) {
		o += snprintf(o, len - (size_t)(o - out), "%s%s=%s", i ? "&" : "", p[i].name,
		    p[i].value);
		free(p[i].name);
		free(p[i].value);
	}
	free(p);
	return out;
}

static void
hmac_str(const uint8_t *key, size_t keylen, const char *msg, uint8_t out[CRYPTO_HASH_LEN])
{
	crypto_hmac_any(key, keylen, msg, strlen(msg), out);
}

int
s3_sign(const struct s3_sign_req *r, char *out, size_t len)
{
	struct strlist parts = { 0 };
	char *creq, *sts, *signed_headers, *secret;
	uint8_t h[CRYPTO_HASH_LEN], k1[32], k2[32], k3[32], k4[32], sig[32];
	char hhex[65], sighex[65], date[9], *p;
	size_t total = 0;
	int n;

	/* The canonical request. */
	strlist_add(&parts, r->method);
	strlist_add(&parts, "\n");
	strlist_add(&parts, r->path);
	strlist_add(&parts, "\n");
	strlist_add(&parts, r->query);
	strlist_add(&parts, "\n");
	for (size_t i = 0; i < r->nheaders; i++) {
		char *line = xasprintf("%s:%s\n", r->headers[i].name, r->headers[i].value);

		strlist_add(&parts, line);
		free(line);
	}
	strlist_add(&parts, "\n");
	signed_headers = xstrdup("");
	for (size_t i = 0; i < r->nheaders; i++) {
		char *s = xasprintf("%s%s%s", signed_headers, i ? ";" : "", r->headers[i].name);

		free(signed_headers);
		signed_headers = s;
	}
	strlist_add(&parts, signed_headers);
	strlist_add(&parts, "\n");
	strlist_add(&parts, r->payload_hash);
	for (size_t i = 0; i < parts.n; i++)
		total += strlen(parts.v[i]);
	creq = p = xmalloc(total + 1);
	for (size_t i = 0; i < parts.n; i++)
		p = stpcpy(p, parts.v[i]);
	strlist_clear(&parts);

	/* The string to sign. */
	crypto_sha256(creq, strlen(creq), h);
	crypto_hex(h, sizeof(h), hhex);
	snprintf(date, sizeof(date), "%.8s", r->amz_date);
	sts = xasprintf("AWS4-HMAC-SHA256\n%s\n%s/%s/s3/aws4_request\n%s", r->amz_date, date,
	    r->region, hhex);

	/* The signing key: HMAC chain from "AWS4" + secret. */
	secret = xasprintf("AWS4%s", r->secret_key);
	hmac_str((const uint8_t *)secret, strlen(secret), date, k1);
	hmac_str(k1, 32, r->region, k2);
	hmac_str(k2, 32, "s3", k3);
	hmac_str(k3, 32, "aws4_request", k4);
	hmac_str(k4, 32, sts, sig);
	crypto_hex(sig, sizeof(sig), sighex);
	explicit_bzero(secret, strlen(secret));
	free(secret);

	n = snprintf(out, len, "AWS4-HMAC-SHA256 Credential=%s/%s/%s/s3/aws4_request,SignedHeaders=%s,Signature=%s",
	    r->access_key, date, r->region, signed_headers, sighex);
	free(signed_headers);
	free(creq);
	free(sts);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}
