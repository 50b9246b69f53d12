/* S3's answers: errors, listings, DeleteObjects, multipart uploads. */
#include <stdlib.h>

#include "transport/s3_int.h"
#include "transport/store.h"
#include "tests/fuzz/fuzz.h"

FUZZ_QUIET_INIT

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size), code[64], next[1024], km[1024], im[512], id[512];
	struct strlist keys = { 0 }, ids = { 0 };
	struct store_version *v = NULL;
	size_t nv = 0;
	uint64_t *sizes = NULL;
	bool more;

	s3_error_code(text, code, sizeof(code));
	store_s3_parse_list("hosts/one/", (const char *)data, size, &keys, &sizes, next, sizeof(next));
	strlist_clear(&keys);
	free(sizes);
	s3_parse_delete_answer("b", "http://127.0.0.1", (const char *)data, size, 3);
	s3_parse_uploads((const char *)data, size, 2000000000, &keys, &ids, &more, km, sizeof(km),
	    im, sizeof(im));
	strlist_clear(&keys);
	strlist_clear(&ids);
	s3_parse_upload_id(text, id, sizeof(id));
	s3_parse_versions("hosts/one/k", 0, NULL, (const char *)data, size, &v, &nv, &more, km, sizeof(km),
	    im, sizeof(im));
	free(v);
	free(text);
	return 0;
}
