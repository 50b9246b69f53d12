#include "common/base64.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/util.h"

char *
base64_encode(const void *data, size_t len)
{
	/* 4 characters for each 3 bytes or part, and the terminator. */
	char *out = xcalloc(4 * ((len + 2) / 3) + 1, 1);
	const unsigned char *in = data;
	size_t at = 0;

	/* EVP_EncodeBlock takes an int: in slices a multiple of 3. */
	while (len > 0) {
		size_t k = len > 3u << 20 ? 3u << 20 : len;

		at += (size_t)EVP_EncodeBlock((unsigned char *)out + at, in, (int)k);
		in += k;
		len -= k;
	}
	out[at] = '\0';
	return out;
}

char *
base64_file(const char *path, size_t max)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	char *out = NULL;
	size_t n;

	if (f == NULL)
		return NULL;
	buf = xcalloc(max + 1, 1);
	n = fread(buf, 1, max + 1, f);
	if (!ferror(f) && n <= max)
		out = base64_encode(buf, n);
	fclose(f);
	free(buf);
	return out;
}
