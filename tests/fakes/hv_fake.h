/*
 * A fake hypervisor for unit tests: domains are XML strings, snapshots and
 * block jobs are set by the test.
 */
#ifndef VV_HV_FAKE_H
#define VV_HV_FAKE_H

#include "agent/hv.h"

/* hv_fake_new: an empty fake; free with hv_close. */
struct hv *hv_fake_new(void);

/* hv_fake_add_domain: add domain NAME in STATE with its live XML. */
void hv_fake_add_domain(struct hv *hv, const char *name, enum hv_state state,
    const char *xml);

/* hv_fake_add_snapshot: add snapshot XML to domain NAME. */
void hv_fake_add_snapshot(struct hv *hv, const char *name, const char *xml);

/* hv_fake_set_block_job: a block job of TYPE runs on TARGET of NAME. */
void hv_fake_set_block_job(struct hv *hv, const char *name, const char *target,
    const char *type);

/* hv_fake_fail: make every later call fail (-1), as a broken connection. */
void hv_fake_fail(struct hv *hv);

#endif
