/*
 * One HTTP POST of a JSON body, for notifications: TLS verified, no
 * redirects followed, bounded in time. Knows nothing of the configuration.
 */
#ifndef VV_WEBHOOK_H
#define VV_WEBHOOK_H

#include <stddef.h>

/*
 * webhook_post: POST BODY (application/json) to URL, taking at most
 * TIMEOUT seconds, verifying the server's certificate (against CA_FILE
 * when not NULL). Returns 0 for a 2xx answer; -1 otherwise, with the
 * reason in ERR (the HTTP status, or what failed: never the URL, whose
 * path may be a token).
 */
int webhook_post(const char *url, const char *body, unsigned timeout, const char *ca_file,
    char *err, size_t errlen);

/* webhook_origin: "scheme://host[:port]" of URL into BUF, the part a log may show. */
const char *webhook_origin(const char *url, char *buf, size_t len);

#endif
