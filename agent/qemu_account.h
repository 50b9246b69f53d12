/*
 * The account libvirt runs QEMU as (system instance), found as libvirt
 * finds it: the `user =` and `group =` of its qemu.conf, else the build's
 * default (Debian: libvirt-qemu; Fedora: qemu). A value "+N" is the id N;
 * a name that no account has but that is a number is that id. What a
 * mount shared with QEMU (`mount --allow-other`, instant restore) lets
 * read it besides root.
 */
#ifndef VV_QEMU_ACCOUNT_H
#define VV_QEMU_ACCOUNT_H

#include <stddef.h>
#include <sys/types.h>

/* libvirt's own configuration of its QEMU driver. */
#define QEMU_ACCOUNT_CONF "/etc/libvirt/qemu.conf"

/*
 * qemu_account_parse: the quoted values of `user =` and `group =` in the
 * qemu.conf text TEXT into USER and GROUP (each of LEN bytes; "" when the
 * key is not set, or commented out). Returns 0, or -1 with the reason in
 * ERR (a value unquoted, unterminated or longer than LEN).
 */
int qemu_account_parse(const char *text, char *user, char *group, size_t len,
    char *err, size_t errlen);

/*
 * qemu_account_find: QEMU's uid and gid per the qemu.conf at CONF_PATH (a
 * missing file: the defaults). The group, when neither set nor a default
 * group exists, is the user's own. Returns 0, or -1 (logged, naming the
 * file and the account that is missing).
 */
int qemu_account_find(const char *conf_path, uid_t *uid, gid_t *gid);

#endif
