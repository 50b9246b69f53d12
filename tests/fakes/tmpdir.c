#define _XOPEN_SOURCE 700
#include "tests/fakes/tmpdir.h"

#include <ftw.h>
#include <stdio.h>

static int
remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

int
tmpdir_remove(const char *dir)
{
	return nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}
