/* Temporary folders for unit tests. */
#ifndef VV_TMPDIR_H
#define VV_TMPDIR_H

/* tmpdir_remove: remove DIR and everything below it. Returns 0 or -1. */
int tmpdir_remove(const char *dir);

#endif
