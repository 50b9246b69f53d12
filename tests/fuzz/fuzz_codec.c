/* The codec: decoding objects with a fixed test key, and with none. */
#include <stdlib.h>

#include "repo/codec.h"
#include "tests/fuzz/fuzz.h"

#define MAXPLAIN (1 << 20)

static struct codec *keyed, *plain;
static struct codec_work *work;
static uint8_t *out;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const uint8_t master[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

	(void)argc, (void)argv;
	fuzz_quiet();
	keyed = codec_new(master, 1);
	plain = codec_new(NULL, 1);
	work = codec_work_new(MAXPLAIN);
	out = xmalloc(MAXPLAIN);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char kinds[] = "CIMK";
	char err[256];
	size_t n;
	uint64_t declared;

	codec_declared_len(data, size, &declared);
	for (const char *k = kinds; *k; k++) {
		codec_decode(keyed, work, *k, "chunks/ab/abcd", data, size, out, MAXPLAIN, &n, err,
		    sizeof(err));
		codec_decode(plain, work, *k, "chunks/ab/abcd", data, size, out, MAXPLAIN, &n, err,
		    sizeof(err));
	}
	return 0;
}
