#include "agent/xmlnode.h"

#include <libxml/parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

/* Domain XML from libvirt is small; anything larger is not one. */
#define XMLNODE_MAX (16 * 1024 * 1024)

bool
xmlnode_is(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && xmlStrcmp(n->name, BAD_CAST name) == 0;
}

xmlNode *
xmlnode_child(const xmlNode *n, const char *name)
{
	if (n == NULL)
		return NULL;
	for (xmlNode *c = n->children; c != NULL; c = c->next)
		if (xmlnode_is(c, name))
			return c;
	return NULL;
}

char *
xmlnode_attr(const xmlNode *n, const char *name)
{
	xmlChar *v;
	char *s;

	if (n == NULL)
		return NULL;
	v = xmlGetProp(n, BAD_CAST name);
	if (v == NULL)
		return NULL;
	s = xstrdup((const char *)v);
	xmlFree(v);
	return s;
}

char *
xmlnode_text(const xmlNode *n)
{
	xmlChar *v;
	char *s;

	if (n == NULL)
		return NULL;
	v = xmlNodeGetContent(n);
	if (v == NULL)
		return NULL;
	s = xstrdup((const char *)v);
	xmlFree(v);
	return s;
}

void
xmlnode_drop(xmlNode *n)
{
	xmlUnlinkNode(n);
	xmlFreeNode(n);
}

void
xmlnode_drop_all(xmlNode *n, const char *name)
{
	xmlNode *c, *next;

	for (c = n->children; c != NULL; c = next) {
		next = c->next;
		if (xmlnode_is(c, name))
			xmlnode_drop(c);
	}
}

xmlDoc *
xmlnode_read(const char *xml, const char *root, char *err, size_t errlen)
{
	size_t len = strlen(xml);
	xmlDoc *doc;
	xmlNode *r;

	if (len > XMLNODE_MAX) {
		snprintf(err, errlen, "XML too large (%zu bytes)", len);
		return NULL;
	}
	doc = xmlReadMemory(xml, (int)len, NULL, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc == NULL) {
		const xmlError *e = xmlGetLastError();

		snprintf(err, errlen, "malformed XML%s%s", e ? ": " : "",
		    e && e->message ? e->message : "");
		/* libxml2 messages end with a newline. */
		len = strlen(err);
		if (len > 0 && err[len - 1] == '\n')
			err[len - 1] = '\0';
		return NULL;
	}
	r = xmlDocGetRootElement(doc);
	if (r == NULL || !xmlnode_is(r, root)) {
		snprintf(err, errlen, "not a <%s> document", root);
		xmlFreeDoc(doc);
		return NULL;
	}
	return doc;
}

char *
xmlnode_dump(xmlDoc *doc)
{
	xmlChar *out = NULL;
	int len = 0;
	char *s;

	xmlDocDumpMemory(doc, &out, &len);
	s = xstrndup(out ? (const char *)out : "", out ? (size_t)len : 0);
	xmlFree(out);
	return s;
}
