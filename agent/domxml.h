/*
 * Domain and snapshot XML as virtvault needs it: the disks, their sources
 * and backing chains. Pure parsing (libxml2), no libvirt.
 */
#ifndef VV_DOMXML_H
#define VV_DOMXML_H

#include <stdbool.h>
#include <stddef.h>

#include "common/outcome.h"

enum domxml_type {
	DOMXML_FILE,
	DOMXML_BLOCK,
	DOMXML_NETWORK,
	DOMXML_VOLUME,
	DOMXML_DIR,
	DOMXML_NVME,
	DOMXML_OTHER,
};

struct domxml_image {
	enum domxml_type type;
	char *path;		/* file or device path; "PROTOCOL:NAME" for network */
	char *format;		/* "qcow2", "raw", ...; NULL when not said */
};

struct domxml_disk {
	char *target;		/* "vda" */
	char *device;		/* "disk", "cdrom", "floppy", "lun" */
	char *bus;		/* "virtio", "sata", ... or NULL */
	bool readonly;
	bool transient;
	bool shareable;
	/* chain[0] is the active image, chain[i+1] the backing of chain[i]. */
	struct domxml_image *chain;
	size_t nchain;
	/* Whether the XML gave the whole chain (live XML ends it with an
	 * empty <backingStore/>); when not, ask qemu-img. */
	bool chain_complete;
	bool has_source;	/* an empty cdrom has none */
};

struct domxml_domain {
	char *name;
	char *uuid;
	struct domxml_disk *disks;
	size_t ndisks;
	/* Firmware and TPM state: the UEFI variables file (<os><nvram>), and
	 * the emulated TPM's version ("2.0", "1.2") or NULL when none. */
	char *nvram;
	char *tpm_version;
	char *tpm_state_dir;	/* <backend><source type='dir' path=...>, or NULL */
};

/* Where libvirt keeps an emulated TPM's state by default: DIR/UUID/tpm2. */
#define DOMXML_SWTPM_DIR "/var/lib/libvirt/swtpm"

/*
 * domxml_tpm_state: the folder holding D's emulated TPM state (a new
 * string), or NULL when D has no emulated TPM.
 */
char *domxml_tpm_state(const struct domxml_domain *d);

/*
 * domxml_parse: parse a domain XML document. Returns a new domain (the
 * caller frees it with domxml_free), or NULL with the reason in ERR.
 */
struct domxml_domain *domxml_parse(const char *xml, char *err, size_t errlen);

/* domxml_free: free D; NULL is a no-op. */
void domxml_free(struct domxml_domain *d);

/* domxml_disk_chain_set: replace DISK's chain by the N images of CHAIN
 * (ownership moves to DISK) and mark it complete. */
void domxml_disk_chain_set(struct domxml_disk *disk, struct domxml_image *chain,
    size_t n);

/* domxml_type_name: "file", "block", "network", ... */
const char *domxml_type_name(enum domxml_type t);

/* domxml_find_disk: the disk of D with target TARGET, or NULL. */
const struct domxml_disk *domxml_find_disk(const struct domxml_domain *d, const char *target);

/* domxml_runs_on: whether disk TARGET of D has PATH as its active image. */
bool domxml_runs_on(const struct domxml_domain *d, const char *target, const char *path);

/* domxml_references: whether any disk of D has PATH in its chain. */
bool domxml_references(const struct domxml_domain *d, const char *path);

/*
 * domxml_replace_source: in domain XML, point disk TARGET whose file
 * source is FROM at file TO of format TO_FORMAT instead (NULL: the driver
 * type stays; its <backingStore> dropped: libvirt probes it again). Returns 0 with a new document in *OUT, VV_NOT_FOUND
 * when no disk TARGET has source FROM, or -1 with the reason in ERR.
 */
int domxml_replace_source(const char *xml, const char *target, const char *from,
    const char *to, const char *to_format, char **out, char *err, size_t errlen);

/* One disk of a snapshot request: an external qcow2 overlay, or none. */
struct domxml_snapreq {
	const char *target;
	const char *overlay;	/* NULL: snapshot='no' */
};

/*
 * domxml_snapshot_request: the <domainsnapshot> XML asking for snapshot
 * NAME of the N disks of REQ. A new string.
 */
char *domxml_snapshot_request(const char *name, const struct domxml_snapreq *req,
    size_t n);

/*
 * domxml_checkpoint_request: the <domaincheckpoint> XML asking for
 * checkpoint NAME with a bitmap in each of the N disks TARGETS[i] where
 * BITMAP[i], and none in the others (every disk is named: libvirt gives a
 * disk left out no bitmap only when another is named, which is easy to get
 * wrong). A new string.
 */
char *domxml_checkpoint_request(const char *name, const char *const *targets,
    const bool *bitmap, size_t n);

/* One disk of an external snapshot: the overlay it created. */
struct domxml_snapdisk {
	char *target;
	char *snapshot;		/* "external", "internal", "no" */
	char *source;		/* overlay path for external file snapshots, or NULL */
};

struct domxml_snapshot {
	char *name;
	struct domxml_snapdisk *disks;
	size_t ndisks;
};

/* domxml_snapshot_parse: parse a snapshot XML; as domxml_parse. */
struct domxml_snapshot *domxml_snapshot_parse(const char *xml, char *err,
    size_t errlen);

/* domxml_snapshot_free: free S; NULL is a no-op. */
void domxml_snapshot_free(struct domxml_snapshot *s);

#endif
