/*
 * The one convention for outcomes across virtvault's modules: 0 is
 * success, -1 an error (logged once, where it was found), and these
 * positive values say why nothing was done, which is not an error in
 * itself: the caller decides, and logs, when it is one.
 */
#ifndef VV_OUTCOME_H
#define VV_OUTCOME_H

enum vv_outcome {
	VV_NOT_FOUND = 1,	/* what was asked for does not exist */
	VV_EXISTS = 2,		/* it exists already (an exclusive create) */
	VV_BUSY = 3,		/* not now: held by another, or not ready yet */
	VV_DENIED = 4,		/* the store refused this credential (403 AccessDenied) */
	VV_LOCKED = 5,		/* the store refused: the version is under Object Lock retention */
};

#endif
