/*
 * evqueue.c - Event queue records and blocking appends (see evqueue.h).
 */
#include "manager/evqueue.h"

#include <string.h>

#include "lib/buf.h"
#include "lib/log.h"

/* How long one wait for room lasts before *stop is looked at again. */
#define EVQUEUE_ROOM_WAIT_MS 500

static int check(const struct mgr_producer *p, const char *line, size_t len, struct vg_err *err)
{
	size_t ll = strlen(p->location);
	if (ll > MGR_EVQUEUE_MAX_LOCATION || memchr(p->location, '\n', ll) != NULL)
		return vg_err_set(err, VG_EPARSE,
				  "event location is over %u bytes or has a newline",
				  MGR_EVQUEUE_MAX_LOCATION);
	if (memchr(line, '\n', len) != NULL)
		return vg_err_set(err, VG_EPARSE, "an event line cannot hold a newline");
	return 0;
}

int mgr_evqueue_append(const struct mgr_producer *p, uint64_t seq, const char *line, size_t len,
		       struct vg_err *err)
{
	struct vg_buf b;
	bool warned = false;
	int rc = check(p, line, len, err);

	if (rc != 0)
		return rc;
	vg_buf_init(&b, MGR_EVQUEUE_MAX_LOCATION + 1 + len);
	/* the cap fits all three: appends cannot fail */
	if (vg_buf_puts(&b, p->location) != 0 || vg_buf_putc(&b, '\n') != 0 ||
	    vg_buf_append(&b, line, len) != 0) {
		rc = vg_err_set(err, VG_EINTERNAL, "event record does not fit its buffer");
		goto out;
	}
	for (;;) {
		struct vg_err e = VG_ERR_INIT;
		bool dup = false;
		rc = vg_dq_append(p->queue, p->source, seq, b.data, b.len, &dup, NULL, &e);
		if (rc == 0 && dup)
			vg_log_debug("event %llu from %s already queued: dropped",
				     (unsigned long long)seq, p->source);
		if (rc != VG_ETOOBIG) {
			if (rc != 0)
				vg_err_set(err, rc, "%s", e.msg);
			break;
		}
		if (!warned)
			vg_log_warn("event queue full, waiting for analysis to catch up");
		warned = true;
		if (p->stop != NULL && atomic_load(p->stop)) {
			vg_err_set(err, rc, "%s", e.msg);
			break;
		}
		vg_dq_wait_room(p->queue, 1, b.len, EVQUEUE_ROOM_WAIT_MS);
	}
out:
	vg_buf_free(&b);
	return rc;
}

int mgr_evqueue_fim_emit(void *p, uint64_t seq, const char *json, size_t len)
{
	struct vg_err err = VG_ERR_INIT;
	int rc = mgr_evqueue_append(p, seq, json, len, &err);
	if (rc != 0)
		vg_log_error("FIM event not queued: %s", err.msg);
	return rc;
}

int mgr_evqueue_split(const void *data, size_t len, const char **loc, size_t *loc_len,
		      const char **line, size_t *line_len, struct vg_err *err)
{
	const char *d = data;
	const char *nl = memchr(d, '\n', len);

	*loc = *line = NULL;
	*loc_len = *line_len = 0;
	if (nl == NULL)
		return vg_err_set(err, VG_EPARSE, "queue record without a location");
	*loc = d;
	*loc_len = (size_t)(nl - d);
	*line = nl + 1;
	*line_len = len - *loc_len - 1;
	return 0;
}
