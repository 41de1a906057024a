/*
 * ar_local.c - Agent 000's executor, its lines into the event queue (see
 * ar_local.h).
 */
#include "manager/ar_local.h"

#include <stdatomic.h>
#include <stdio.h>

#include "lib/log.h"
#include "lib/mem.h"
#include "manager/evqueue.h"

struct ar_local {
	struct ar_exec *ex;
	struct vg_dq *queue;
	char *name;
	atomic_bool stop;
};

/* ar_emit_fn: one line as agent 000's, under the executor's number. */
static int emit(void *ctx, uint64_t seq, const char *location, const char *line, size_t len)
{
	struct ar_local *l = ctx;
	struct vg_err err = VG_ERR_INIT;
	char *loc = vg_xasprintf("[000] (%s) any->%s", l->name, location);
	struct mgr_producer p = {l->queue, AR_LOCAL_SOURCE, loc, &l->stop};
	int rc = mgr_evqueue_append(&p, seq, line, len, &err);

	if (rc != 0)
		vg_log_error("active-response line %llu kept for later: %s",
			     (unsigned long long)seq, err.msg);
	vg_free(loc);
	return rc;
}

int ar_local_open(const char *home, const struct fim_config *fim, const char *name,
		  struct vg_dq *queue, struct ar_local **out, struct vg_err *err)
{
	struct ar_local *l = vg_xcalloc(1, sizeof(*l));
	struct ar_exec_opts o = {home, fim, name, emit, l, 0, false};
	int rc;

	*out = NULL;
	l->queue = queue;
	l->name = vg_xstrdup(name);
	rc = ar_exec_open(&o, &l->ex, err);
	if (rc != 0)
		ar_local_close(l);
	else
		*out = l;
	return rc;
}

int ar_local_start(struct ar_local *l, struct vg_err *err)
{
	return ar_exec_start(l->ex, err);
}

struct ar_exec *ar_local_exec(struct ar_local *l)
{
	return l != NULL ? l->ex : NULL;
}

void ar_local_close(struct ar_local *l)
{
	if (l == NULL)
		return;
	atomic_store(&l->stop, true);
	ar_exec_close(l->ex);
	vg_free(l->name);
	vg_free(l);
}
