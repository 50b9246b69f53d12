/*
 * Text checks and shaping: UTF-8, control characters and escaping, object
 * names, paths, URL origins, edit distance.
 */
#ifndef VV_UTIL_TEXT_H
#define VV_UTIL_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/*
 * util_utf8_check: whether the LEN bytes at S are valid UTF-8 without NUL.
 * Returns -1 when valid, else the offset of the first bad byte.
 */
long util_utf8_check(const char *s, size_t len);

/*
 * util_has_control: whether S holds a control character (below 0x20, 0x7f,
 * or a UTF-8 C1 code, U+0080 to U+009F): text that could move a terminal's
 * cursor or fake a line. False for NULL.
 */
bool util_has_control(const char *s);

/*
 * util_escape: S as it may be shown to a person: each control character
 * (as util_has_control) as \xHH, a backslash as \\. NULL gives "-".
 * Returns a new string (the caller frees it).
 */
char *util_escape(const char *s);

/* util_path_join: DIR "/" NAME, a new string. */
char *util_path_join(const char *dir, const char *name);

/*
 * util_name_valid: whether NAME can be part of a repository object name (a
 * backup, domain or host name): 1 to 128 of [A-Za-z0-9_.-], not starting
 * with '.'.
 */
bool util_name_valid(const char *name);

/* What util_name_valid accepts, for messages. */
#define UTIL_NAME_RULE "1 to 128 letters, digits, '_', '.' or '-', not starting with '.'"

/*
 * util_url_origin: "scheme://host[:port]" of URL into BUF (LEN bytes):
 * without the user information ("user:token@"), path, query and
 * fragment, which may all hold secrets; the part a log may show. When
 * USERINFO is not NULL, *USERINFO tells whether URL had user
 * information. Returns BUF.
 */
const char *util_url_origin(const char *url, char *buf, size_t len, bool *userinfo);

/* util_basename: the part of PATH after its last '/', inside PATH. */
const char *util_basename(const char *path);

/*
 * util_edit_distance: the Levenshtein distance between A and B (99 when
 * either is 63 bytes or longer): how "did you mean" suggestions are found.
 */
size_t util_edit_distance(const char *a, const char *b);

#endif
