#include "tests/fakes/store_mem.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "transport/store_backend.h"

#define SM_MAX_FAULTS 8
#define SM_BATCH 1000		/* keys a del_many call, as S3's DeleteObjects */

enum sm_op { OP_PUT, OP_GET, OP_EXISTS, OP_LIST, OP_DEL, OP_DEL_MANY, OP_CLEANUP, OP_SYNC, OP_N };

static const char *const op_names[OP_N] = {
	"put", "get", "exists", "list", "del", "del_many", "cleanup", "sync",
};

enum fate { FATE_OK, FATE_FAIL, FATE_AFTER };

/* Something that happens at the AT-th call of OP (NULL: of any operation). */
struct sm_when {
	const char *op;
	unsigned long at;
};

struct sm_obj {
	char *key;
	void *data;
	size_t len;
};

struct mem {
	pthread_mutex_t mu;
	struct sm_obj *objs;	/* sorted by key (strcmp), as S3 lists them */
	size_t n, cap;
	size_t page;
	unsigned delay_ms;
	unsigned long calls[OP_N], total;
	struct {
		struct sm_when when;
		enum store_mem_fault kind;
	} faults[SM_MAX_FAULTS];
	size_t nfaults;
	struct sm_when hook_when;
	void (*hook)(struct store *s, void *arg);
	void *hook_arg;
	bool in_hook;
	unsigned refs;		/* handles on these objects (store_mem_share) */
};

static struct mem *
mem_of(struct store *s)
{
	return s->priv;
}

static unsigned long
count(const struct mem *m, const char *op)
{
	if (op == NULL)
		return m->total;
	for (int i = 0; i < OP_N; i++)
		if (strcmp(op_names[i], op) == 0)
			return m->calls[i];
	abort();	/* a test names an operation the store does not have */
}

/* Whether WHEN is this call, of OP, just counted. */
static bool
now(const struct mem *m, const struct sm_when *when, enum sm_op op)
{
	if (when->op != NULL && strcmp(when->op, op_names[op]) != 0)
		return false;
	return count(m, when->op) == when->at;
}

/* Count a call of OP on KEY and decide its fate; runs the hook due. */
static enum fate
enter(struct store *s, enum sm_op op, const char *key)
{
	struct mem *m = mem_of(s);
	enum fate fate = FATE_OK;
	bool slow = false;

	pthread_mutex_lock(&m->mu);
	m->calls[op]++;
	m->total++;
	if (m->in_hook) {
		pthread_mutex_unlock(&m->mu);
		return FATE_OK;
	}
	if (m->hook != NULL && now(m, &m->hook_when, op)) {
		void (*fn)(struct store *, void *) = m->hook;

		m->hook = NULL;
		m->in_hook = true;
		pthread_mutex_unlock(&m->mu);
		fn(s, m->hook_arg);
		pthread_mutex_lock(&m->mu);
		m->in_hook = false;
	}
	for (size_t i = 0; i < m->nfaults; i++) {
		if (!now(m, &m->faults[i].when, op))
			continue;
		if (m->faults[i].kind == STORE_MEM_SLOW)
			slow = true;
		else
			fate = m->faults[i].kind == STORE_MEM_FAIL ? FATE_FAIL : FATE_AFTER;
	}
	pthread_mutex_unlock(&m->mu);
	if (slow) {
		struct timespec ts = { m->delay_ms / 1000, (long)(m->delay_ms % 1000) * 1000000L };

		while (nanosleep(&ts, &ts) < 0)
			;
	}
	if (fate == FATE_FAIL)
		log_error("repository %s: %s %s failed (injected)", s->url, op_names[op], key);
	return fate;
}

/* A call carried out whose reply is lost. */
static int
lost(struct store *s, enum sm_op op, const char *key)
{
	log_error("repository %s: %s %s failed after it was done (injected)", s->url,
	    op_names[op], key);
	return -1;
}

/* The index of the first key >= KEY (under the mutex); *FOUND when equal. */
static size_t
find(const struct mem *m, const char *key, bool *found)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(m->objs[mid].key, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < m->n && strcmp(m->objs[lo].key, key) == 0;
	return lo;
}

/* Put a copy of BUF as KEY (under the mutex); VV_EXISTS when IF_ABSENT and present. */
static int
store_obj(struct mem *m, const char *key, const void *buf, size_t len, bool if_absent)
{
	bool found;
	size_t i = find(m, key, &found);
	void *copy = xmalloc(len + 1);

	if (found && if_absent) {
		free(copy);
		return VV_EXISTS;
	}
	memcpy(copy, buf, len);
	if (found) {
		free(m->objs[i].data);
	} else {
		if (m->n == m->cap) {
			m->cap = m->cap ? 2 * m->cap : 64;
			m->objs = xrealloc(m->objs, m->cap * sizeof(*m->objs));
		}
		memmove(&m->objs[i + 1], &m->objs[i], (m->n - i) * sizeof(*m->objs));
		m->objs[i].key = xstrdup(key);
		m->n++;
	}
	m->objs[i].data = copy;
	m->objs[i].len = len;
	return 0;
}

/* Remove KEY (under the mutex): 0, or VV_NOT_FOUND. */
static int
drop_obj(struct mem *m, const char *key)
{
	bool found;
	size_t i = find(m, key, &found);

	if (!found)
		return VV_NOT_FOUND;
	free(m->objs[i].key);
	free(m->objs[i].data);
	memmove(&m->objs[i], &m->objs[i + 1], (m->n - i - 1) * sizeof(*m->objs));
	m->n--;
	return 0;
}

static int
mem_put(struct store *s, const char *key, const void *buf, size_t len, int flags)
{
	struct mem *m = mem_of(s);
	enum fate fate = enter(s, OP_PUT, key);
	int rc;

	if (fate == FATE_FAIL)
		return -1;
	pthread_mutex_lock(&m->mu);
	rc = store_obj(m, key, buf, len, (flags & (STORE_EXCL | STORE_IF_ABSENT)) != 0);
	pthread_mutex_unlock(&m->mu);
	return fate == FATE_AFTER ? lost(s, OP_PUT, key) : rc;
}

static int
mem_get(struct store *s, const char *key, void **out, size_t *outlen, size_t cap)
{
	struct mem *m = mem_of(s);
	enum fate fate = enter(s, OP_GET, key);
	bool found;
	size_t i;
	int rc = 0;

	if (fate == FATE_FAIL)
		return -1;
	pthread_mutex_lock(&m->mu);
	i = find(m, key, &found);
	if (!found) {
		rc = VV_NOT_FOUND;
	} else if (m->objs[i].len > cap) {
		log_error("repository %s: object %s is %zu bytes, more than the %zu expected", s->url,
		    key, m->objs[i].len, cap);
		rc = -1;
	} else if (fate == FATE_OK) {
		*out = xmalloc(m->objs[i].len + 1);
		memcpy(*out, m->objs[i].data, m->objs[i].len);
		*outlen = m->objs[i].len;
	}
	pthread_mutex_unlock(&m->mu);
	return fate == FATE_AFTER ? lost(s, OP_GET, key) : rc;
}

static int
mem_exists(struct store *s, const char *key)
{
	struct mem *m = mem_of(s);
	enum fate fate = enter(s, OP_EXISTS, key);
	bool found;

	if (fate == FATE_FAIL)
		return -1;
	if (fate == FATE_AFTER)
		return lost(s, OP_EXISTS, key);
	pthread_mutex_lock(&m->mu);
	find(m, key, &found);
	pthread_mutex_unlock(&m->mu);
	return found ? 1 : 0;
}

/*
 * One page per call, continuing after the last key returned, as S3; the
 * page is handed to CB outside the mutex (CB may use the store).
 */
static int
mem_list(struct store *s, const char *prefix, bool sizes, store_list_fn cb, void *ctx)
{
	struct mem *m = mem_of(s);
	size_t pl = strlen(prefix);
	char *after = NULL;
	bool more = true;
	int ret = 0;

	(void)sizes;
	while (more && ret == 0) {
		enum fate fate = enter(s, OP_LIST, prefix);
		struct strlist page = { 0 };
		uint64_t *psizes = NULL;
		bool found;
		size_t i, taken = 0;

		if (fate == FATE_FAIL) {
			ret = -1;
			break;
		}
		pthread_mutex_lock(&m->mu);
		i = find(m, after ? after : prefix, &found);
		if (after != NULL && found)
			i++;
		for (; i < m->n && strncmp(m->objs[i].key, prefix, pl) == 0 &&
		    (m->page == 0 || taken < m->page); i++, taken++) {
			if (fate == FATE_AFTER)
				continue;
			store_list_add(&page, &psizes, m->objs[i].key, m->objs[i].len);
		}
		more = i < m->n && strncmp(m->objs[i].key, prefix, pl) == 0;
		free(after);
		after = taken > 0 ? xstrdup(m->objs[i - 1].key) : NULL;
		pthread_mutex_unlock(&m->mu);
		if (fate == FATE_AFTER)
			ret = lost(s, OP_LIST, prefix);
		for (size_t k = 0; k < page.n && ret == 0; k++)
			ret = cb(page.v[k], psizes[k], ctx);
		strlist_clear(&page);
		free(psizes);
	}
	free(after);
	return ret;
}

static int
mem_size(struct store *s, const char *key, uint64_t *size)
{
	struct mem *m = mem_of(s);
	enum fate fate = enter(s, OP_EXISTS, key);
	bool found;
	size_t i;

	if (fate == FATE_FAIL)
		return -1;
	if (fate == FATE_AFTER)
		return lost(s, OP_EXISTS, key);
	pthread_mutex_lock(&m->mu);
	i = find(m, key, &found);
	if (found)
		*size = m->objs[i].len;
	pthread_mutex_unlock(&m->mu);
	return found ? 0 : VV_NOT_FOUND;
}

static int
mem_del(struct store *s, const char *key)
{
	struct mem *m = mem_of(s);
	enum fate fate = enter(s, OP_DEL, key);
	int rc;

	if (fate == FATE_FAIL)
		return -1;
	pthread_mutex_lock(&m->mu);
	rc = drop_obj(m, key);
	pthread_mutex_unlock(&m->mu);
	return fate == FATE_AFTER ? lost(s, OP_DEL, key) : rc;
}

static size_t
mem_del_many(struct store *s, char *const *keys, size_t n)
{
	struct mem *m = mem_of(s);
	size_t failed = 0;

	for (size_t b = 0; b < n; b += SM_BATCH) {
		size_t nb = n - b < SM_BATCH ? n - b : SM_BATCH;
		enum fate fate = enter(s, OP_DEL_MANY, keys[b]);

		if (fate == FATE_FAIL) {
			failed += nb;
			continue;
		}
		pthread_mutex_lock(&m->mu);
		for (size_t i = b; i < b + nb; i++)
			drop_obj(m, keys[i]);
		pthread_mutex_unlock(&m->mu);
		if (fate == FATE_AFTER) {
			lost(s, OP_DEL_MANY, keys[b]);
			failed += nb;
		}
	}
	return failed;
}

/* No write of this store is ever interrupted: no debris. */
static int
mem_cleanup(struct store *s, time_t before, bool dry_run, size_t *found)
{
	enum fate fate = enter(s, OP_CLEANUP, "(debris)");

	(void)before;
	(void)dry_run;
	*found = 0;
	if (fate == FATE_AFTER)
		return lost(s, OP_CLEANUP, "(debris)");
	return fate == FATE_FAIL ? -1 : 0;
}

static int
mem_sync(struct store *s)
{
	enum fate fate = enter(s, OP_SYNC, "(all)");

	if (fate == FATE_AFTER)
		return lost(s, OP_SYNC, "(all)");
	return fate == FATE_FAIL ? -1 : 0;
}

static void
mem_close(struct store *s)
{
	struct mem *m = mem_of(s);

	pthread_mutex_lock(&m->mu);
	if (--m->refs > 0) {
		pthread_mutex_unlock(&m->mu);
		return;
	}
	pthread_mutex_unlock(&m->mu);
	for (size_t i = 0; i < m->n; i++) {
		free(m->objs[i].key);
		free(m->objs[i].data);
	}
	free(m->objs);
	pthread_mutex_destroy(&m->mu);
	free(m);
}

static const struct store_ops mem_ops = {
	.put = mem_put,
	.get = mem_get,
	.exists = mem_exists,
	.list = mem_list,
	.size = mem_size,
	.del = mem_del,
	.del_many = mem_del_many,
	.cleanup = mem_cleanup,
	.sync = mem_sync,
	.close = mem_close,
};

struct store *
store_mem_new(const char *url)
{
	struct store *s = xcalloc(1, sizeof(*s));
	struct mem *m = xcalloc(1, sizeof(*m));

	pthread_mutex_init(&m->mu, NULL);
	m->delay_ms = 100;
	m->refs = 1;
	s->ops = &mem_ops;
	s->url = xstrdup(url);
	s->priv = m;
	return s;
}

struct store *
store_mem_clone(struct store *s)
{
	struct mem *m = mem_of(s);
	struct store *c = store_mem_new(s->url);
	struct mem *cm = mem_of(c);

	pthread_mutex_lock(&m->mu);
	for (size_t i = 0; i < m->n; i++)
		store_obj(cm, m->objs[i].key, m->objs[i].data, m->objs[i].len, false);
	cm->page = m->page;
	pthread_mutex_unlock(&m->mu);
	return c;
}

struct store *
store_mem_share(struct store *s)
{
	struct mem *m = mem_of(s);
	struct store *c = xcalloc(1, sizeof(*c));

	pthread_mutex_lock(&m->mu);
	m->refs++;
	pthread_mutex_unlock(&m->mu);
	c->ops = &mem_ops;
	c->url = xstrdup(s->url);
	c->priv = m;
	return c;
}

void
store_mem_page(struct store *s, size_t n)
{
	mem_of(s)->page = n;
}

void
store_mem_fault(struct store *s, const char *op, unsigned long nth, enum store_mem_fault fault)
{
	struct mem *m = mem_of(s);

	pthread_mutex_lock(&m->mu);
	if (m->nfaults == SM_MAX_FAULTS)
		abort();
	m->faults[m->nfaults].when.op = op;
	m->faults[m->nfaults].when.at = count(m, op) + nth;
	m->faults[m->nfaults++].kind = fault;
	pthread_mutex_unlock(&m->mu);
}

void
store_mem_delay(struct store *s, unsigned ms)
{
	mem_of(s)->delay_ms = ms;
}

void
store_mem_on_call(struct store *s, const char *op, unsigned long nth,
    void (*fn)(struct store *s, void *arg), void *arg)
{
	struct mem *m = mem_of(s);

	pthread_mutex_lock(&m->mu);
	m->hook_when.op = op;
	m->hook_when.at = count(m, op) + nth;
	m->hook = fn;
	m->hook_arg = arg;
	pthread_mutex_unlock(&m->mu);
}

void
store_mem_clear_faults(struct store *s)
{
	struct mem *m = mem_of(s);

	pthread_mutex_lock(&m->mu);
	m->nfaults = 0;
	m->hook = NULL;
	pthread_mutex_unlock(&m->mu);
}

unsigned long
store_mem_calls(struct store *s, const char *op)
{
	struct mem *m = mem_of(s);
	unsigned long n;

	pthread_mutex_lock(&m->mu);
	n = count(m, op);
	pthread_mutex_unlock(&m->mu);
	return n;
}

size_t
store_mem_count(struct store *s, const char *prefix)
{
	struct mem *m = mem_of(s);
	size_t n = 0, pl = strlen(prefix);

	pthread_mutex_lock(&m->mu);
	for (size_t i = 0; i < m->n; i++)
		n += strncmp(m->objs[i].key, prefix, pl) == 0;
	pthread_mutex_unlock(&m->mu);
	return n;
}
