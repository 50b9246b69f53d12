/*
 * Shared by the files of the boot check (agent/bootcheck*.c) alone.
 */
#ifndef VV_BOOTCHECK_INT_H
#define VV_BOOTCHECK_INT_H

#include "agent/hv.h"
#include "state/bootjournal.h"

/*
 * bootcheck_clean: remove what J names: its throwaway domain (stopped),
 * its mount, its work folder and TPM state folder. Returns 0, or -1
 * (logged: something stays, so does the journal).
 */
int bootcheck_clean(struct hv *hv, const struct bootjournal *j);

#endif
