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
 * user information, path or query may be a token; util_url_origin gives
 * the part a log may show).
 */
int webhook_post(const char *url, const char *body, unsigned timeout, const char *ca_file,
    char *err, size_t errlen);

#endif
