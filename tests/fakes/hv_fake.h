/*
 * A stateful fake hypervisor for unit tests, in the spirit of libvirt's
 * test:/// driver. Each domain has a live and a persistent definition
 * (libxml2 documents) that the fake edits as libvirt would: an external
 * disk-only snapshot creates the overlay files and puts them on top of
 * the disks' chains, an active block commit is a job that makes progress
 * at each poll and folds the overlay back at its pivot, define replaces
 * the persistent definition. Faults can be injected at any call.
 */
#ifndef VV_HV_FAKE_H
#define VV_HV_FAKE_H

#include "agent/hv.h"

/* hv_fake_new: an empty fake; free with hv_close. */
struct hv *hv_fake_new(void);

/*
 * hv_fake_add_domain: add persistent domain NAME in STATE. XML is its
 * live definition when it runs or is paused (give the chains with
 * <backingStore>, as libvirt does); the persistent one is XML without
 * them. A shut-off domain has only the persistent one.
 */
void hv_fake_add_domain(struct hv *hv, const char *name, enum hv_state state,
    const char *xml);

/* hv_fake_set_state: DOM is now in STATE (started: its live definition is
 * the persistent one; stopped: the live one is dropped). */
void hv_fake_set_state(struct hv *hv, const char *name, enum hv_state state);

/* hv_fake_add_snapshot: add snapshot metadata XML to domain NAME. */
void hv_fake_add_snapshot(struct hv *hv, const char *name, const char *xml);

/* hv_fake_set_block_job: a block job of TYPE that never ends runs on
 * TARGET of NAME (half done). */
void hv_fake_set_block_job(struct hv *hv, const char *name, const char *target,
    const char *type);

/* hv_fake_set_agent: whether NAME's guest agent answers (default yes):
 * without it, a quiesced snapshot fails. */
void hv_fake_set_agent(struct hv *hv, const char *name, bool answers);

/* hv_fake_outwrite: the next N block commits of NAME never become ready:
 * the guest writes faster than the mirror copies. */
void hv_fake_outwrite(struct hv *hv, const char *name, unsigned n);

/* hv_fake_jobs: how many block jobs run on NAME. */
size_t hv_fake_jobs(struct hv *hv, const char *name);

/* hv_fake_checkpoints: how many checkpoints domain NAME has. */
size_t hv_fake_checkpoints(struct hv *hv, const char *name);

enum hv_fake_fault {
	HV_FAKE_FAIL,		/* the call fails, nothing done */
	HV_FAKE_FAIL_AFTER,	/* the call is carried out, then fails (reply lost) */
	HV_FAKE_DISCONNECT,	/* this call and every later one fail until
				 * hv_fake_reconnect */
};

/* hv_fake_fault: the NTH call from now on (1: the next one) of OP
 * ("snapshot_disks", "block_commit", ...; NULL: of any operation) meets
 * FAULT. OP is not copied. */
void hv_fake_fault(struct hv *hv, const char *op, unsigned long nth,
    enum hv_fake_fault fault);

/* hv_fake_on_call: run FN(HV, ARG) just before the NTH call from now on
 * of OP (NULL: of any operation). */
void hv_fake_on_call(struct hv *hv, const char *op, unsigned long nth,
    void (*fn)(struct hv *hv, void *arg), void *arg);

/* hv_fake_fail: every later call fails, as a broken connection. */
void hv_fake_fail(struct hv *hv);

/* hv_fake_reconnect: calls work again. */
void hv_fake_reconnect(struct hv *hv);

/* hv_fake_calls: calls so far, all operations (OP NULL) or of OP
 * ("snapshot_disks", "block_commit", "block_pivot", "block_abort",
 * "block_job", "define", "domain_xml", ...). */
unsigned long hv_fake_calls(struct hv *hv, const char *op);

#endif
