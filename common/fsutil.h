/*
 * Files that must survive a crash: folders made whole, files replaced
 * atomically (temporary name, fsync, rename, fsync of the folder).
 */
#ifndef VV_FSUTIL_H
#define VV_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

/* fs_mkdir_p: make DIR and its missing parents with MODE. Returns 0 or -1 (errno). */
int fs_mkdir_p(const char *dir, mode_t mode);

/* fs_fsync_dir: fsync the folder DIR. Returns 0 or -1 (errno). */
int fs_fsync_dir(const char *dir);

/* fs_fsync_parent: fsync the folder PATH is in. Returns 0 or -1 (errno). */
int fs_fsync_parent(const char *path);

/*
 * fs_write_atomic: replace PATH with LEN bytes of BUF (mode MODE): written
 * to PATH.tmp, fsynced, renamed, the folder fsynced. Returns 0, or -1
 * after logging the failure with PATH.
 */
int fs_write_atomic(const char *path, const void *buf, size_t len, mode_t mode);

#endif
