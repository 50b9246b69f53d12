/*
 * Disks and backing chains of a domain, and their read-only health check.
 */
#ifndef VV_CHAIN_H
#define VV_CHAIN_H

#include "agent/domxml.h"
#include "agent/hv.h"
#include "common/util.h"

/*
 * chain_describe: DOM's disks with complete backing chains: from libvirt's
 * XML (live when the domain runs), completed by qemu-img for file disks
 * whose chain the XML does not give. Returns 0 with a new domain in *OUT
 * (free with domxml_free), VV_NOT_FOUND, or -1 (logged).
 */
int chain_describe(struct hv *hv, const char *dom, struct domxml_domain **out);

/*
 * chain_check: look for what a backup must not find and must not leave:
 * an overlay of ours in use or left on disk, snapshot metadata of ours or
 * an external snapshot whose overlay a disk still runs on, a running block
 * job, an image missing on disk, a journal of an interrupted backup
 * (STATE_DIR/journal). Each problem is appended to PROBLEMS as one
 * sentence naming the disk and file. Returns 0 when DOM was checked (healthy
 * when no problem was added), VV_NOT_FOUND, or -1 (logged).
 */
int chain_check(struct hv *hv, const char *state_dir, const char *overlay_dir,
    const char *dom, struct strlist *problems);

/*
 * chain_verify: each disk of J has again the chain J recorded, no overlay
 * of J is on disk, no block job runs, and qemu-img check passes on its
 * qcow2 images. Returns 0, or -1 with each difference logged.
 */
struct journal;
int chain_verify(struct hv *hv, const char *dom, const struct journal *j);

#endif
