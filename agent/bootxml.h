/*
 * The definition of a boot check's throwaway domain, made from a
 * snapshot's domain XML: pure (no libvirt, no file), tested by tables.
 *
 * Nothing of it may collide with the original domain, which may run beside
 * it: a new name and UUID; every backed-up disk on its own qcow2 overlay,
 * the others left out; no network interface at all (no route out, no MAC
 * or IP address clashing with the original's: the guest agent is reached
 * over virtio-serial, which needs none); host devices, shared folders,
 * shared memory and vsock addresses left out; consoles and channels on
 * files of its own or pseudo-terminals; a display (if any) on a free port
 * of 127.0.0.1; the UEFI variables and TPM state its own copies; a guest
 * agent channel added when the domain had none.
 */
#ifndef VV_BOOTXML_H
#define VV_BOOTXML_H

#include <stdbool.h>
#include <stddef.h>

#include "common/util.h"

/* The guest agent's virtio-serial name. */
#define BOOTXML_AGENT_CHANNEL "org.qemu.guest_agent.0"

struct bootxml_spec {
	const char *name;		/* the throwaway domain */
	const char *uuid;		/* its UUID (new) */
	const char *dir;		/* its work folder: serial logs, fresh UEFI variables */
	const struct strlist *targets;	/* the disks booted, by target (vda) */
	const struct strlist *overlays;	/* each one's qcow2 overlay, in the same order */
	const char *nvram;		/* the copy of the UEFI variables, or NULL: fresh in DIR */
	const char *tpm_dir;		/* the copy of the TPM state (a folder), or NULL */
};

/*
 * bootxml_make: the throwaway domain's XML from SRC (a domain's XML, the
 * inactive one preferably) by S. *DISPLAY says whether it has a display
 * (a screenshot can be taken). Returns a new string, or NULL with the
 * reason in ERR (not logged): SRC is not a domain's XML.
 */
char *bootxml_make(const char *src, const struct bootxml_spec *s, bool *display, char *err,
    size_t errlen);

#endif
