/*
 * A new domain from a backup: restore --define.
 */
#ifndef VV_DEFINE_H
#define VV_DEFINE_H

#include <stdbool.h>

#include "agent/hv.h"
#include "repo/manifest.h"

/*
 * define_restored: define domain NEWNAME from M's saved XML with a new
 * UUID, new MAC addresses, disks (and their qcow2 backing chains) pointing
 * at the files restored into DIR, and serial logs in DIR. Disks that were
 * not backed up are left out, so the new domain never shares a disk with
 * the original. Returns 0 or -1 (logged).
 */
int define_restored(struct hv *hv, const struct manifest *m, const char *dir,
    const char *newname);

/*
 * define_name_free: whether a new domain may be called NEWNAME, checked
 * before a restore writes anything. Returns 0 (free), or -1 (logged: a
 * domain of that name exists, naming --name, or libvirt cannot say).
 */
int define_name_free(struct hv *hv, const char *newname);

/*
 * define_restored_on: define_restored with each disk on DIR/NAME in
 * DISK_FORMAT whatever the file's own (an instant restore's qcow2
 * overlays), no chain rebased.
 */
int define_restored_on(struct hv *hv, const struct manifest *m, const char *dir,
    const char *newname, const char *disk_format);

/*
 * define_tpm_copy: the TPM state files of M, restored into DIR/tpm, copied
 * into the folder STATE (made when missing; it, and with OWN_PARENT its
 * parent too, handed to the swtpm user tss of Debian's libvirt when there
 * is one). Returns 0 or -1 (logged).
 */
int define_tpm_copy(const struct manifest *m, const char *dir, const char *state, bool own_parent);

#endif
