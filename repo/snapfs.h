/*
 * A snapshot as a read-only tree of files, read on demand: what `virtvault
 * mount` shows through FUSE. Each read fetches the chunks it needs
 * (authenticated like a restore), through a bounded cache of decoded
 * chunks; holes read as zeros without a fetch. The tree: the snapshot's
 * files (with their folders: nvram/, tpm/, DISK/), and domain.xml and
 * domain-inactive.xml when the snapshot has them.
 */
#ifndef VV_REPO_SNAPFS_H
#define VV_REPO_SNAPFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "repo/manifest.h"
#include "repo/repo.h"

struct snapfs;

/*
 * snapfs_open: the tree of snapshot M of R (both must outlive it), with a
 * cache of CACHE_BYTES of decoded chunks (at least one chunk). Loads and
 * checks every file's index. Returns NULL (logged).
 */
struct snapfs *snapfs_open(struct repo *r, const struct manifest *m, uint64_t cache_bytes);

/* snapfs_close: free FS; NULL is a no-op. */
void snapfs_close(struct snapfs *fs);

/*
 * snapfs_stat: what PATH ("/", "/disk.qcow2", "/nvram/X") is: a folder
 * (*DIR) or a file of *SIZE bytes. Returns 0, or -ENOENT.
 */
int snapfs_stat(struct snapfs *fs, const char *path, bool *dir, uint64_t *size);

/* snapfs_list: the names in folder PATH, each given to FN. Returns 0, -ENOENT or -ENOTDIR. */
int snapfs_list(struct snapfs *fs, const char *path,
    void (*fn)(void *arg, const char *name, bool dir), void *arg);

/*
 * snapfs_read: up to LEN bytes of file PATH at OFF into BUF. Returns the
 * bytes read (0 at the end), -ENOENT, -EISDIR, or -EIO for a chunk that
 * cannot be fetched or fails its check (logged, naming snapshot, file,
 * offset and chunk): never wrong data. Safe from several threads.
 */
ssize_t snapfs_read(struct snapfs *fs, const char *path, void *buf, size_t len, uint64_t off);

#endif
