/*
 * scale_chunks: make synthetic chunk objects for 'make bench-scale' fast.
 *
 *     scale_chunks CHUNKS_DIR FROM TO
 *     scale_chunks --list FROM TO
 *
 * Creates the empty files CHUNKS_DIR/XX/<64 hex> for the counters FROM to
 * TO-1 (XX: the name's first two hex digits, as layout_chunk_key names a
 * chunk), so a repository can be given 10^7 chunk names in minutes. The
 * name of counter I is 32 bytes of splitmix64 over I: the same counters
 * always give the same names, so a repository grows from one N to the next
 * by the counters it lacks. The files are empty: no chunk of a snapshot
 * names them, and they are only for what lists chunks/ (a backup that
 * lists, verify, prune). A name that already exists is an error.
 *
 * Exit 0, or 1 with the reason on stderr (naming the file).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static uint64_t
splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* name_of: the 64 hex digits of counter I into HEX (65 bytes). */
static void
name_of(uint64_t i, char hex[65])
{
	static const char digits[] = "0123456789abcdef";

	for (int w = 0; w < 4; w++) {
		uint64_t v = splitmix64(i * 4 + (uint64_t)w + 0x5ca1eULL);

		for (int b = 0; b < 16; b++)
			hex[w * 16 + b] = digits[(v >> (60 - 4 * b)) & 0xf];
	}
	hex[64] = '\0';
}

static int
parse_u64(const char *s, uint64_t *out)
{
	char *end = NULL;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

int
main(int argc, char **argv)
{
	int dirs[256];
	uint64_t from, to;
	int root;

	if (argc != 4 || parse_u64(argv[2], &from) < 0 || parse_u64(argv[3], &to) < 0 || from > to) {
		fprintf(stderr, "usage: scale_chunks CHUNKS_DIR FROM TO | --list FROM TO\n");
		return 1;
	}
	if (strcmp(argv[1], "--list") == 0) {
		for (uint64_t i = from; i < to; i++) {
			char hex[65];

			name_of(i, hex);
			printf("%s\n", hex);
		}
		return fflush(stdout) == 0 ? 0 : 1;
	}
	if (mkdir(argv[1], 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "scale_chunks: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	root = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0) {
		fprintf(stderr, "scale_chunks: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	for (int d = 0; d < 256; d++) {
		char sub[3];

		snprintf(sub, sizeof(sub), "%02x", d);
		if (mkdirat(root, sub, 0700) < 0 && errno != EEXIST) {
			fprintf(stderr, "scale_chunks: %s/%s: %s\n", argv[1], sub, strerror(errno));
			return 1;
		}
		dirs[d] = openat(root, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dirs[d] < 0) {
			fprintf(stderr, "scale_chunks: %s/%s: %s\n", argv[1], sub, strerror(errno));
			return 1;
		}
	}
	for (uint64_t i = from; i < to; i++) {
		char hex[65];
		int hi, lo, fd;

		name_of(i, hex);
		hi = hex[0] <= '9' ? hex[0] - '0' : hex[0] - 'a' + 10;
		lo = hex[1] <= '9' ? hex[1] - '0' : hex[1] - 'a' + 10;
		fd = openat(dirs[hi * 16 + lo], hex, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0) {
			fprintf(stderr, "scale_chunks: %s/%.2s/%s (counter %" PRIu64 "): %s\n",
			    argv[1], hex, hex, i, strerror(errno));
			return 1;
		}
		close(fd);
	}
	return 0;
}
