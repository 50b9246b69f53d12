/*
 * What qemu-img tells about image files.
 */
#ifndef VV_QIMG_H
#define VV_QIMG_H

#include <stddef.h>
#include <stdint.h>

#include "common/util.h"

#include "agent/domxml.h"

/*
 * qimg_chain: the backing chain of the image at PATH (FORMAT, or NULL to
 * let qemu-img probe), from `qemu-img info --backing-chain -U
 * --output=json`. On success *CHAIN is a new array of *N images, the first
 * PATH itself; the caller frees it (or hands it to domxml_disk_chain_set).
 * Returns 0, or -1 with the reason logged (naming PATH).
 */
int qimg_chain(const char *path, const char *format, struct domxml_image **chain,
    size_t *n);

/*
 * qimg_chain_parse: the same from qemu-img's JSON output TEXT, for tests.
 * Returns 0, or -1 with the reason in ERR.
 */
int qimg_chain_parse(const char *text, struct domxml_image **chain, size_t *n,
    char *err, size_t errlen);

/*
 * qimg_check: `qemu-img check` of the qcow2 image PATH, in use or not (-U:
 * shared, read-only). Returns 0 (leaked clusters alone are only a
 * warning: wasted space, and seen in passing on an image in use), or -1
 * when it fails or finds corruption (logged with what qemu-img said,
 * naming PATH).
 */
int qimg_check(const char *path);

/*
 * qimg_commit: commit the qcow2 OVERLAY into its backing file (offline).
 * Returns 0 or -1 (logged, naming OVERLAY).
 */
int qimg_commit(const char *overlay);

/*
 * qimg_rebase_unsafe: make PATH (of FORMAT) name BACKING (of
 * BACKING_FORMAT) as its backing file, data untouched. Returns 0 or -1
 * (logged, naming PATH).
 */
/*
 * qimg_overlay: a new qcow2 PATH on top of BACKING (BACKING_FORMAT), of
 * its size. Returns 0 or -1 (logged).
 */
int qimg_overlay(const char *path, const char *backing, const char *backing_format);

/*
 * qimg_standalone: copy into the qcow2 PATH what its backing chain gives
 * and drop the chain (a safe rebase onto nothing), offline. Returns 0 or -1.
 */
int qimg_standalone(const char *path);

int qimg_rebase_unsafe(const char *path, const char *format, const char *backing,
    const char *backing_format);

/*
 * qimg_bitmaps: the virtual size of the qcow2 image PATH (in use or not:
 * -U) and its persistent bitmaps: their names appended to NAMES and their
 * flags, comma-separated ("auto", "in-use,auto"), to FLAGS. Returns 0 or
 * -1 (logged, naming PATH).
 */
int qimg_bitmaps(const char *path, uint64_t *virtual_size, struct strlist *names,
    struct strlist *flags);

/*
 * qimg_bitmaps_parse: the same from `qemu-img info --output=json` TEXT.
 * Returns 0, or -1 with the reason in ERR.
 */
int qimg_bitmaps_parse(const char *text, uint64_t *virtual_size, struct strlist *names,
    struct strlist *flags, char *err, size_t errlen);

/*
 * qimg_map: `qemu-img map -U --output=json` of the qcow2 image PATH: its
 * own data clusters into *MAP (file size from stat). Returns 0 or -1
 * (logged, naming PATH).
 */
struct cbt_map;
int qimg_map(const char *path, struct cbt_map *map);

/* qimg_bitmap_remove: remove bitmap NAME from the qcow2 image PATH (not in
 * use). Returns 0 or -1 (logged). */
int qimg_bitmap_remove(const char *path, const char *name);

#endif
