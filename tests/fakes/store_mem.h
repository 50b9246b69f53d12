/*
 * An in-memory store for unit tests, behind the store backend table
 * (transport/store_backend.h) like file:// and s3://: objects in a sorted
 * array; listings in pages like S3's (each page one call, continuing after
 * the last key seen, so a listing sees what changes after its cursor);
 * conditional puts (STORE_EXCL, STORE_IF_ABSENT: VV_EXISTS, as the real
 * backends); batch deletes (1000 keys a call, as S3's DeleteObjects).
 * Faults can be injected at the Nth call of any operation or of a named
 * one, and a function run just before a call (to change the store between
 * two pages of a listing, or under a reader's feet). Safe to use from
 * several threads (one mutex).
 *
 * Operation names: "put", "get", "exists" (store_size too), "list" (one per page), "del",
 * "del_many" (one per batch), "cleanup", "sync".
 */
#ifndef VV_STORE_MEM_H
#define VV_STORE_MEM_H

#include <stdbool.h>
#include <stddef.h>

#include "transport/store.h"

/* store_mem_new: an empty store named URL ("mem://NAME"); close with store_close. */
struct store *store_mem_new(const char *url);

/*
 * store_mem_clone: a new store with a copy of S's objects and page size,
 * without its faults, hooks or call counts: the same repository seen
 * again after S is closed (repo_close closes its store).
 */
struct store *store_mem_clone(struct store *s);

/*
 * store_mem_share: a second handle on S's objects, faults, hooks and call
 * counts (another process on the same store); each handle is closed with
 * store_close, the objects go with the last.
 */
struct store *store_mem_share(struct store *s);

/* store_mem_page: listings return at most N keys a call (0: all in one). */
void store_mem_page(struct store *s, size_t n);

enum store_mem_fault {
	STORE_MEM_FAIL,		/* the call fails, nothing done */
	STORE_MEM_FAIL_AFTER,	/* the call is carried out, then fails (reply lost) */
	STORE_MEM_SLOW,		/* the call is carried out after store_mem_delay */
};

/*
 * store_mem_fault: the NTH call from now on (1: the next one) of OP (NULL:
 * of any operation) meets FAULT. OP is not copied. At most 8 at once.
 */
void store_mem_fault(struct store *s, const char *op, unsigned long nth,
    enum store_mem_fault fault);

/* store_mem_delay: how long a STORE_MEM_SLOW call takes, in milliseconds (default 100). */
void store_mem_delay(struct store *s, unsigned ms);

/*
 * store_mem_on_call: run FN(S, ARG) just before the NTH call from now on
 * of OP (NULL: any); FN may use S (store_put, store_delete...): its own
 * calls are counted but meet no fault and run no hook. One at a time.
 */
void store_mem_on_call(struct store *s, const char *op, unsigned long nth,
    void (*fn)(struct store *s, void *arg), void *arg);

/* store_mem_clear_faults: no fault or hook pending any more. */
void store_mem_clear_faults(struct store *s);

/* store_mem_calls: calls so far of OP (NULL: of every operation). */
unsigned long store_mem_calls(struct store *s, const char *op);

/* store_mem_count: how many objects have keys starting with PREFIX. */
size_t store_mem_count(struct store *s, const char *prefix);

#endif
