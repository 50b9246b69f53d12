/*
 * What a hypervisor backend provides: a table of functions behind
 * struct hv. Only backends (and hv.c) include this file.
 */
#ifndef VV_HV_BACKEND_H
#define VV_HV_BACKEND_H

#include "agent/hv.h"

struct hv_ops {
	int (*domain_state)(struct hv *hv, const char *dom, enum hv_state *state,
	    bool *persistent);
	int (*domain_xml)(struct hv *hv, const char *dom, bool inactive, char **xml);
	int (*snapshots)(struct hv *hv, const char *dom, struct strlist *xmls);
	int (*block_job)(struct hv *hv, const char *dom, const char *target,
	    struct hv_block_job *job);
	int (*snapshot_disks)(struct hv *hv, const char *dom, const char *xml, bool quiesce,
	    char *err, size_t errlen);
	int (*block_commit)(struct hv *hv, const char *dom, const char *target);
	int (*block_pivot)(struct hv *hv, const char *dom, const char *target, char *err,
	    size_t errlen);
	int (*block_abort)(struct hv *hv, const char *dom, const char *target);
	int (*block_pull)(struct hv *hv, const char *dom, const char *target);	/* may be NULL */
	int (*domain_start)(struct hv *hv, const char *dom);			/* may be NULL */
	int (*undefine)(struct hv *hv, const char *dom);			/* may be NULL */
	int (*define)(struct hv *hv, const char *xml);
	int (*snapshot_delete_metadata)(struct hv *hv, const char *dom, const char *name);
	int (*list_domains)(struct hv *hv, struct strlist *names);
	int (*checkpoint_create)(struct hv *hv, const char *dom, const char *xml, char *err,
	    size_t errlen);
	int (*checkpoints)(struct hv *hv, const char *dom, struct strlist *names);
	int (*checkpoint_delete)(struct hv *hv, const char *dom, const char *name);
	int (*checkpoint_forget)(struct hv *hv, const char *dom, const char *name);
	/* The boot check's (may be NULL). */
	int (*domain_create)(struct hv *hv, const char *xml, char *err, size_t errlen);
	int (*domain_destroy)(struct hv *hv, const char *dom);
	int (*agent_command)(struct hv *hv, const char *dom, const char *cmd, int timeout,
	    char **reply, char *err, size_t errlen);
	int (*screenshot)(struct hv *hv, const char *dom, const char *path, char *mime,
	    size_t mimelen);
	void (*close)(struct hv *hv);
};

struct hv {
	const struct hv_ops *ops;
	char *uri;
	void *priv;		/* the backend's own state */
};

#endif
