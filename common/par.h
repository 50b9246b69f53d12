/*
 * Running one function over many items at once: the reads of many small
 * objects (manifests, lock objects), whose cost on S3 is the round trip.
 */
#ifndef VV_PAR_H
#define VV_PAR_H

#include <stddef.h>

/*
 * par_each: FN(I, CTX) for every I below N, on up to WANT threads (the
 * calling one among them; a thread that cannot start is one fewer). FN
 * must be safe to run at once for different I. Returns when all are done.
 */
void par_each(size_t n, int want, void (*fn)(size_t i, void *ctx), void *ctx);

#endif
