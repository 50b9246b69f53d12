/*
 * Base64 (RFC 4648, with padding, no line breaks): pictures embedded in a
 * page as data: URIs, attachments of a mail.
 */
#ifndef VV_BASE64_H
#define VV_BASE64_H

#include <stddef.h>

/* base64_encode: the LEN bytes of DATA in base64, a new string (the caller frees it). */
char *base64_encode(const void *data, size_t len);

/*
 * base64_file: the file PATH (at most MAX bytes) in base64, a new string.
 * Returns NULL when it is missing, unreadable or larger (not logged: the
 * caller says what is missing).
 */
char *base64_file(const char *path, size_t max);

#endif
