/*
 * Small libxml2 helpers shared by everything in agent/ that reads or
 * builds XML (domain, snapshot, restored definitions). XML is always
 * built and edited through libxml2, never printed: escaping is the
 * library's job.
 */
#ifndef VV_XMLNODE_H
#define VV_XMLNODE_H

#include <libxml/tree.h>
#include <stdbool.h>
#include <stddef.h>

/* xmlnode_is: whether N is an element named NAME. */
bool xmlnode_is(const xmlNode *n, const char *name);

/* xmlnode_child: the first child element of N named NAME, or NULL (also for a NULL N). */
xmlNode *xmlnode_child(const xmlNode *n, const char *name);

/* xmlnode_attr: a new copy of attribute NAME of N (NULL N: NULL), or NULL. */
char *xmlnode_attr(const xmlNode *n, const char *name);

/* xmlnode_text: a new copy of N's text content, or NULL. */
char *xmlnode_text(const xmlNode *n);

/* xmlnode_drop: unlink and free N. */
void xmlnode_drop(xmlNode *n);

/* xmlnode_drop_all: remove every child of N named NAME. */
void xmlnode_drop_all(xmlNode *n, const char *name);

/*
 * xmlnode_read: parse XML (no network, no entity expansion) whose root
 * element must be ROOT. Returns a new document (xmlFreeDoc), or NULL with
 * the reason in ERR.
 */
xmlDoc *xmlnode_read(const char *xml, const char *root, char *err, size_t errlen);

/* xmlnode_dump: DOC as a new NUL-terminated string (free()). */
char *xmlnode_dump(xmlDoc *doc);

#endif
