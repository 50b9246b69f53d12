#include "agent/overlay.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"

char *
overlay_path(const char *image, const char *overlay_dir, const char *stamp)
{
	const char *base = util_basename(image);

	if (overlay_dir != NULL && *overlay_dir != '\0') {
		char *name = xasprintf("%s%s%s", base, OVERLAY_TAG, stamp);
		char *p = util_path_join(overlay_dir, name);

		free(name);
		return p;
	}
	return xasprintf("%.*s%s%s%s", (int)(base - image), image, base,
	    OVERLAY_TAG, stamp);
}

bool
overlay_is_ours(const char *path)
{
	return strstr(util_basename(path), OVERLAY_TAG) != NULL;
}

bool
overlay_is_ours_of(const char *name, const char *image)
{
	const char *base = util_basename(image);
	size_t n = strlen(base);

	return strncmp(name, base, n) == 0 &&
	    strncmp(name + n, OVERLAY_TAG, strlen(OVERLAY_TAG)) == 0;
}
