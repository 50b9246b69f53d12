/*
 * The tar import: any bytes as an archive read into a file:// repository
 * (unencrypted, made once in a temporary folder). A valid archive becomes
 * a snapshot; anything else must fail cleanly, publishing nothing.
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "conf/conf.h"
#include "repo/archive.h"
#include "repo/repo.h"
#include "tests/fuzz/fuzz.h"

static struct repo *repo;
static char dir[] = "/tmp/vv-fuzz-tar.XXXXXX";

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

/* The temporary repository goes with the fuzzer. */
static void
cleanup(void)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *path;
	struct conf *c;
	FILE *f;

	(void)argc, (void)argv;
	fuzz_quiet();
	if (mkdtemp(dir) == NULL)
		abort();
	atexit(cleanup);
	path = xasprintf("%s/c.conf", dir);
	f = fopen(path, "w");
	if (f == NULL)
		abort();
	fprintf(f, "[agent]\nstate_dir = %s/state\n[repository]\nurl = file://%s/repo\nencryption = none\nchunk_size = 256K\n",
	    dir, dir);
	fclose(f);
	c = conf_load(path, true);
	if (c->errors.n > 0 || repo_init(c) < 0 || (repo = repo_open(c)) == NULL)
		abort();
	free(path);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct archive_import_opts o = { .name = "fuzz", .quiet = true };
	int fd = memfd_create("tar", MFD_CLOEXEC);
	char id[17];

	if (fd < 0 || write(fd, data, size) != (ssize_t)size || lseek(fd, 0, SEEK_SET) != 0)
		abort();
	archive_import(repo, fd, "fuzz", &o, id);
	close(fd);
	return 0;
}
