#include "common/ppm.h"

#include <errno.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"

/* No screen is larger: a cap on what a header may claim. */
#define PPM_MAX_SIDE 16384

/* The next number of a PPM header (comments skipped), or -1. */
static long
header_number(FILE *f)
{
	long v = 0;
	int ch, digits = 0;

	while ((ch = getc(f)) != EOF) {
		if (ch == '#') {
			while ((ch = getc(f)) != EOF && ch != '\n')
				;
		} else if (ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r') {
			break;
		}
	}
	while (ch >= '0' && ch <= '9' && v <= PPM_MAX_SIDE) {
		v = v * 10 + (ch - '0');
		digits++;
		ch = getc(f);
	}
	/* One white-space character ends the number (and the header). */
	return digits > 0 && v <= PPM_MAX_SIDE && (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') ? v : -1;
}

/* Write the W x H RGB rows of IN to OUT as PNG. Returns 0 or -1 (not logged). */
static int
write_png(FILE *in, FILE *out, long w, long h)
{
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png ? png_create_info_struct(png) : NULL;
	unsigned char *volatile row = NULL;
	int ret = -1;

	if (info == NULL)
		goto out;
	/* libpng reports its errors by longjmp. */
	if (setjmp(png_jmpbuf(png)))
		goto out;
	row = xmalloc((size_t)w * 3);
	png_init_io(png, out);
	png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8, PNG_COLOR_TYPE_RGB,
	    PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (long y = 0; y < h; y++) {
		if (fread(row, 3, (size_t)w, in) != (size_t)w)
			goto out;
		png_write_row(png, row);
	}
	png_write_end(png, NULL);
	ret = 0;
out:
	png_destroy_write_struct(&png, &info);
	free(row);
	return ret;
}

/* Copy the rest of IN to OUT. Returns 0 or -1. */
static int
copy_rest(FILE *in, FILE *out)
{
	char buf[65536];
	size_t n;

	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			return -1;
	return ferror(in) ? -1 : 0;
}

int
ppm_to_png(const char *from, const char *to)
{
	FILE *in = fopen(from, "rbe"), *out = NULL;
	char *tmp = xasprintf("%s.tmp", to);
	long w = -1, h = -1, max = -1;
	int ret = -1;

	if (in == NULL) {
		log_error("screenshot %s: cannot open: %s", from, strerror(errno));
		goto out;
	}
	if ((out = fopen(tmp, "wbe")) == NULL) {
		log_error("screenshot %s: cannot create: %s", tmp, strerror(errno));
		goto out;
	}
	{
		/* A PNG already (QEMU 7 gives one): as it is. */
		static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
		unsigned char head[8];

		if (fread(head, 1, 8, in) == 8 && memcmp(head, sig, 8) == 0) {
			if (fwrite(head, 1, 8, out) != 8 || copy_rest(in, out) < 0) {
				log_error("screenshot %s: cannot copy it to %s: %s", from, tmp, strerror(errno));
				goto out;
			}
			goto done;
		}
		rewind(in);
	}
	if (getc(in) != 'P' || getc(in) != '6' || (w = header_number(in)) <= 0 ||
	    (h = header_number(in)) <= 0 || (max = header_number(in)) != 255) {
		log_error("screenshot %s: not a binary PPM of 8-bit colours (P6, 255)", from);
		goto out;
	}
	if (write_png(in, out, w, h) < 0) {
		log_error("screenshot %s: cannot convert it to PNG (%ldx%ld): truncated or unwritable",
		    from, w, h);
		goto out;
	}
done:
	if (fflush(out) != 0 || fsync(fileno(out)) < 0) {
		log_error("screenshot %s: cannot write: %s", tmp, strerror(errno));
		goto out;
	}
	fchmod(fileno(out), 0644);
	if (rename(tmp, to) < 0) {
		log_error("screenshot %s: cannot rename to %s: %s", tmp, to, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (out != NULL)
		fclose(out);
	if (ret < 0)
		unlink(tmp);
	if (in != NULL)
		fclose(in);
	free(tmp);
	return ret;
}
