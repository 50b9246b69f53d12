/*
 * The boot check's conversation with the QEMU guest agent (guest-ping,
 * guest-exec, guest-exec-status) through hv_agent_command. Internal to
 * agent/bootcheck.c.
 */
#ifndef VV_BOOTCHECK_GUEST_H
#define VV_BOOTCHECK_GUEST_H

#include <signal.h>
#include <stddef.h>

#include "agent/hv.h"

/*
 * bootcheck_guest_ping: whether DOM's guest agent answers guest-ping.
 * Returns 0, or -1 with the reason in ERR (not logged).
 */
int bootcheck_guest_ping(struct hv *hv, const char *dom, char *err, size_t errlen);

/*
 * bootcheck_guest_exec: run `/bin/sh -c CMD` in DOM through the agent and
 * wait for it until the monotonic time UNTIL (or *CANCEL). Its exit code
 * into *EXIT (128 + N when signal N ended it), its output (standard output
 * then standard error, cut to OUTLEN - 1 bytes) into OUT. Returns 0 when
 * it ran to its end, or -1 with the reason in ERR (not logged).
 */
int bootcheck_guest_exec(struct hv *hv, const char *dom, const char *cmd, double until,
    const volatile sig_atomic_t *cancel, int *exit, char *out, size_t outlen, char *err,
    size_t errlen);

#endif
