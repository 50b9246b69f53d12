/*
 * The umbrella of the small shared helpers, each in its own module:
 * allocation and growing arrays (common/alloc.h), string lists
 * (common/strlist.h), sizes and durations (common/util_units.h), UTC times
 * (common/util_time.h), text checks and shaping (common/util_text.h). New
 * code may include just the one it needs.
 */
#ifndef VV_UTIL_H
#define VV_UTIL_H

#include "common/alloc.h"
#include "common/strlist.h"
#include "common/util_text.h"
#include "common/util_time.h"
#include "common/util_units.h"

#endif
