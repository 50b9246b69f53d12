#include "repo/archive_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "repo/archive.h"

/* What the input callback reads at once. */
#define INPUT_BUF (1024 * 1024)

struct archive_in {
	int fd;
	uint8_t *buf;
	uint8_t head[8];	/* the stream's first bytes: what it is compressed with */
	size_t nhead;
};

/* The compressions libarchive decodes in-process (none needs a program). */
static const struct {
	const char *name;
	int (*add)(struct archive *);
} decoded[] = {
	{ "gzip", archive_read_support_filter_gzip },
	{ "bzip2", archive_read_support_filter_bzip2 },
	{ "xz", archive_read_support_filter_xz },
	{ "zstd", archive_read_support_filter_zstd },
	{ "lz4", archive_read_support_filter_lz4 },
};

/* Others, refused by name: libarchive would run lzop, lrzip, grzip. */
static const struct {
	const char *magic;
	size_t len;
	const char *name;
} refused[] = {
	{ "\x89LZO", 4, "lzop" },
	{ "LRZI", 4, "lrzip" },
	{ "GRZipII", 7, "grzip" },
	{ "LZIP", 4, "lzip" },
	{ "\x1f\x9d", 2, "compress (.Z)" },
	{ "\x5d\x00\x00", 3, "lzma" },
	{ "begin ", 6, "uuencode" },
};

static la_ssize_t
input_read(struct archive *a, void *ctx, const void **out)
{
	struct archive_in *in = ctx;
	ssize_t n;

	do
		n = read(in->fd, in->buf, INPUT_BUF);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		archive_set_error(a, errno, "read error: %s", strerror(errno));
		return -1;
	}
	if (in->nhead < sizeof(in->head)) {
		size_t k = sizeof(in->head) - in->nhead < (size_t)n ? sizeof(in->head) - in->nhead : (size_t)n;

		memcpy(in->head + in->nhead, in->buf, k);
		in->nhead += k;
	}
	*out = in->buf;
	return n;
}

int
archive_in_open(int fd, const char *label, struct archive_in **inp, struct archive **ap)
{
	struct archive_in *in = xcalloc(1, sizeof(*in));
	struct archive *a = archive_read_new();

	in->fd = fd;
	in->buf = xmalloc(INPUT_BUF);
	archive_read_support_format_tar(a);
	for (size_t i = 0; i < sizeof(decoded) / sizeof(decoded[0]); i++) {
		/* Asked of a reader of its own first: ARCHIVE_WARN means this
		 * libarchive would run a program for it. */
		struct archive *probe = archive_read_new();
		int rc = decoded[i].add(probe);

		archive_read_free(probe);
		if (rc == ARCHIVE_OK)
			decoded[i].add(a);
		else
			log_debug("import: this libarchive decodes %s only with an outside program: not offered",
			    decoded[i].name);
	}
	*inp = in;
	*ap = a;
	if (archive_read_open(a, in, NULL, input_read, NULL) != ARCHIVE_OK) {
		archive_in_unknown(in, a, label);
		return -1;
	}
	return 0;
}

void
archive_in_unknown(struct archive_in *in, struct archive *a, const char *label)
{
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		if (in->nhead >= refused[i].len && memcmp(in->head, refused[i].magic, refused[i].len) == 0) {
			log_error("import of %s: compressed with %s, which virtvault does not decode (only gzip, bzip2, xz, zstd, lz4): decompress it first",
			    label, refused[i].name);
			return;
		}
	}
	log_error("import of %s: not a tar archive: %s", label, archive_error_string(a));
}

void
archive_in_close(struct archive_in *in, struct archive *a)
{
	archive_read_free(a);
	if (in != NULL)
		free(in->buf);
	free(in);
}

int
archive_in_check(struct archive_entry *e, const char *label, const char *path, uint64_t *data)
{
	la_int64_t size = archive_entry_size(e), off, len, end = 0;
	uint64_t sum = 0;
	int n, i = 0;

	if (!archive_entry_size_is_set(e) || size < 0 || (uint64_t)size > ARCHIVE_SIZE_MAX) {
		log_error("import of %s: entry %s declares %lld bytes; an import takes files of up to %llu bytes (64 TiB): nothing imported",
		    label, path, (long long)size, (unsigned long long)ARCHIVE_SIZE_MAX);
		return -1;
	}
	n = archive_entry_sparse_reset(e);
	while (archive_entry_sparse_next(e, &off, &len) == ARCHIVE_OK) {
		if (off < end || len < 0 || off > size || len > size - off) {
			log_error("import of %s: entry %s: block %d of its sparse map (%lld bytes at %lld) goes backwards, overlaps or lies beyond its %lld bytes: nothing imported",
			    label, path, i, (long long)len, (long long)off, (long long)size);
			return -1;
		}
		end = off + len;
		sum += (uint64_t)len;
		i++;
	}
	*data = n > 0 ? sum : (uint64_t)size;
	return 0;
}

void
archive_in_zeros(struct crypto_sha *h, uint64_t *zeros)
{
	static const uint8_t z[64 * 1024];

	for (; *zeros > 0; *zeros -= *zeros < sizeof(z) ? *zeros : sizeof(z))
		crypto_sha_update(h, z, *zeros < sizeof(z) ? (size_t)*zeros : sizeof(z));
}

/*
 * The next data block of the entry into ER, or ER->eof. A block must start
 * at or after AT (the map is in order, without overlaps) and end inside
 * the declared size: anything else is a lying sparse map. Returns 0 or -1
 * (logged).
 */
static int
next_block(struct entry_reader *er, uint64_t at)
{
	const void *b;
	size_t n;
	la_int64_t o;
	int rc = archive_read_data_block(er->a, &b, &n, &o);

	if (rc == ARCHIVE_EOF) {
		er->eof = true;
		if (er->data_got != er->data_want) {
			log_error("import of %s: entry %s holds %llu data bytes, its sparse map %llu: refused",
			    er->label, er->name, (unsigned long long)er->data_got,
			    (unsigned long long)er->data_want);
			return -1;
		}
		return 0;
	}
	if (rc < ARCHIVE_WARN) {
		log_error("import of %s: entry %s is cut short or corrupt at byte %llu: %s",
		    er->label, er->name, (unsigned long long)at, archive_error_string(er->a));
		return -1;
	}
	if (n == 0)
		return 0;
	if (o < 0 || (uint64_t)o < at || n > er->size || (uint64_t)o > er->size - n ||
	    n > er->data_want - er->data_got) {
		log_error("import of %s: entry %s: its sparse map puts %zu bytes at byte %lld (after byte %llu, within %llu, %llu data bytes): refused",
		    er->label, er->name, n, (long long)o, (unsigned long long)at,
		    (unsigned long long)er->size, (unsigned long long)er->data_want);
		return -1;
	}
	er->data_got += n;
	er->block = b;
	er->blen = n;
	er->boff = (uint64_t)o;
	return 0;
}

int
archive_in_read(void *ctx, uint8_t *buf, size_t len, uint64_t off, bool *zero)
{
	struct entry_reader *er = ctx;
	size_t done = 0;
	bool any = false;

	(void)off;
	if (er->cancel != NULL && *er->cancel) {
		log_error("import of %s: stopped by a signal in %s", er->label, er->name);
		return -1;
	}
	while (done < len) {
		uint64_t at = er->pos + done;

		if (er->blen == 0 && !er->eof) {
			if (next_block(er, at) < 0)
				return -1;
			continue;
		}
		if (er->blen > 0 && er->boff == at) {
			/* The current block starts here. */
			size_t n = er->blen < len - done ? er->blen : len - done;

			if (!any)
				memset(buf, 0, done);	/* the hole before it, left unwritten */
			archive_in_zeros(er->sha, &er->zeros);
			memcpy(buf + done, er->block, n);
			crypto_sha_update(er->sha, er->block, n);
			any = true;
			done += n;
			er->block += n;
			er->blen -= n;
			er->boff += n;
		} else {
			/* A hole up to the next block (or the end): zeros, written only
			 * when the chunk also holds data. */
			uint64_t upto = er->blen > 0 ? er->boff : at + (len - done);
			size_t n = upto - at < len - done ? (size_t)(upto - at) : len - done;

			if (any)
				memset(buf + done, 0, n);
			er->zeros += n;
			done += n;
		}
	}
	if (er->pos == 0 && len >= 4 && any)
		memcpy(er->head, buf, 4);
	er->pos += len;
	*zero = !any;
	return 0;
}

int
archive_in_finish(struct entry_reader *er)
{
	while (!er->eof) {
		if (next_block(er, er->pos) < 0)
			return -1;
		if (er->blen > 0) {
			log_error("import of %s: entry %s has data beyond its %llu bytes: refused", er->label,
			    er->name, (unsigned long long)er->size);
			return -1;
		}
	}
	return 0;
}

