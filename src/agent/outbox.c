/*
 * outbox.c - The shipping outbox (see outbox.h).
 *
 * A thin layer over lib/dqueue: the record layout ("location\nline"), the
 * wait for room with a stop flag, the bookkeeping of full episodes, and an
 * eventfd that tells the shipper a record is there. The episode state is
 * under a mutex because the producer records it and the shipper takes it.
 */
#include "agent/outbox.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/mem.h"

/*
 * How long one wait for room lasts before the stop flag is looked at
 * again: vg_dq_wake only wakes threads already waiting, so a stop that
 * lands between the check and the wait is seen at the next round.
 */
#define OUTBOX_ROOM_WAIT_MS 1000
#define OUTBOX_MAX_LOCATION 1024u

struct outbox {
	struct vg_dq *q;
	uint64_t max_bytes;
	int wake_fd; /* eventfd: readable after an append or a stop */
	atomic_bool stop;
	pthread_mutex_t mu; /* guards the episode state below */
	bool full;          /* in a full episode (the last append found no room) */
	bool unreported;    /* an episode began that the shipper has not taken */
	struct outbox_full counts;
};

int outbox_open(const char *path, uint64_t max_events, uint64_t max_bytes, struct outbox **out,
		struct vg_err *err)
{
	struct vg_dq_opts o = {max_events, max_bytes, true}; /* seqs are event ids */
	struct outbox *ob = vg_xcalloc(1, sizeof(*ob));
	int rc;

	*out = NULL;
	ob->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	pthread_mutex_init(&ob->mu, NULL);
	atomic_init(&ob->stop, false);
	ob->max_bytes = max_bytes;
	if (ob->wake_fd < 0) {
		rc = vg_err_errno(err, errno, "outbox: eventfd");
		goto out;
	}
	rc = vg_dq_open(path, &o, &ob->q, err);
out:
	if (rc != 0)
		outbox_close(ob);
	else
		*out = ob; /* transferred */
	return rc;
}

void outbox_close(struct outbox *ob)
{
	if (ob == NULL)
		return;
	vg_dq_close(ob->q);
	if (ob->wake_fd >= 0)
		close(ob->wake_fd);
	pthread_mutex_destroy(&ob->mu);
	vg_free(ob);
}

static void outbox_notify(struct outbox *ob)
{
	uint64_t one = 1;
	/* EAGAIN only when the counter is near overflow: it is readable then */
	if (write(ob->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		vg_log_debug("outbox: eventfd write: %s", strerror(errno));
}

/* The append found no room: start an episode (logged once) unless in one. */
static void outbox_mark_full(struct outbox *ob)
{
	struct vg_dq_stats st;

	vg_dq_stats(ob->q, &st);
	pthread_mutex_lock(&ob->mu);
	bool first = !ob->full;
	if (first) {
		ob->full = true;
		ob->unreported = true;
		ob->counts.events = st.pending_records;
		ob->counts.bytes = st.pending_bytes;
	}
	pthread_mutex_unlock(&ob->mu);
	if (first)
		vg_log_warn(
		    "outbox full (%llu events, %llu bytes not acknowledged by the manager): "
		    "new events wait for room",
		    (unsigned long long)st.pending_records, (unsigned long long)st.pending_bytes);
}

static void outbox_mark_room(struct outbox *ob)
{
	pthread_mutex_lock(&ob->mu);
	bool was = ob->full;
	ob->full = false;
	pthread_mutex_unlock(&ob->mu);
	if (was)
		vg_log_info("outbox has room again");
}

static int outbox_check(const char *location, const char *line, size_t len, struct vg_err *err)
{
	size_t ll = strlen(location);

	if (ll > OUTBOX_MAX_LOCATION || memchr(location, '\n', ll) != NULL)
		return vg_err_set(err, VG_EPARSE,
				  "event location is over %u bytes or has a newline",
				  OUTBOX_MAX_LOCATION);
	if (memchr(line, '\n', len) != NULL)
		return vg_err_set(err, VG_EPARSE, "an event line cannot hold a newline");
	return 0;
}

/* Append b under (source, seq), waiting for room until stopped. */
static int outbox_append_wait(struct outbox *ob, const char *source, uint64_t seq,
			      const struct vg_buf *b, bool *dup, struct vg_err *err)
{
	for (;;) {
		struct vg_err e = VG_ERR_INIT;
		int rc = vg_dq_append(ob->q, source, seq, b->data, b->len, dup, NULL, &e);
		if (rc == 0) {
			outbox_mark_room(ob);
			return 0;
		}
		if (rc != VG_ETOOBIG)
			return vg_err_set(err, rc, "%s", e.msg);
		if (ob->max_bytes != 0 && b->len > ob->max_bytes)
			return vg_err_set(err, rc,
					  "an event of %zu bytes can never fit the outbox's %llu "
					  "bytes",
					  b->len, (unsigned long long)ob->max_bytes);
		outbox_mark_full(ob);
		if (atomic_load(&ob->stop))
			return vg_err_set(err, rc, "outbox full and the agent is stopping: %s",
					  e.msg);
		vg_dq_wait_room(ob->q, 1, b->len, OUTBOX_ROOM_WAIT_MS);
	}
}

int outbox_append(struct outbox *ob, const char *source, uint64_t seq, const char *location,
		  const char *line, size_t len, bool *duplicate, struct vg_err *err)
{
	struct vg_buf b;
	bool dup = false;
	int rc = outbox_check(location, line, len, err);

	if (duplicate != NULL)
		*duplicate = false;
	if (rc != 0)
		return rc;
	vg_buf_init(&b, OUTBOX_MAX_LOCATION + 1 + len);
	/* the cap fits all three: these appends cannot fail */
	if (vg_buf_puts(&b, location) != 0 || vg_buf_putc(&b, '\n') != 0 ||
	    vg_buf_append(&b, line, len) != 0) {
		rc = vg_err_set(err, VG_EINTERNAL, "event record does not fit its buffer");
		goto out;
	}
	rc = outbox_append_wait(ob, source, seq, &b, &dup, err);
	if (rc == 0 && !dup)
		outbox_notify(ob);
	if (duplicate != NULL)
		*duplicate = dup;
out:
	vg_buf_free(&b);
	return rc;
}

int outbox_ar_emit(void *ctx, uint64_t seq, const char *location, const char *line, size_t len)
{
	struct vg_err err = VG_ERR_INIT;
	int rc = outbox_append(ctx, OUTBOX_AR_SOURCE, seq, location, line, len, NULL, &err);

	if (rc != 0)
		vg_log_error("active-response line %llu kept for later: %s",
			     (unsigned long long)seq, err.msg);
	return rc;
}

int outbox_fim_emit(void *ctx, uint64_t seq, const char *json, size_t len)
{
	struct vg_err err = VG_ERR_INIT;
	bool dup = false;
	int rc =
	    outbox_append(ctx, OUTBOX_FIM_SOURCE, seq, OUTBOX_FIM_LOCATION, json, len, &dup, &err);

	if (rc != 0)
		vg_log_error("FIM event %llu kept for later: %s", (unsigned long long)seq, err.msg);
	else if (dup)
		vg_log_debug("FIM event %llu already in the outbox: dropped",
			     (unsigned long long)seq);
	return rc;
}

void outbox_stop(struct outbox *ob)
{
	atomic_store(&ob->stop, true);
	vg_dq_wake(ob->q);
	outbox_notify(ob);
}

void outbox_restart(struct outbox *ob)
{
	atomic_store(&ob->stop, false);
}

bool outbox_take_full(struct outbox *ob, struct outbox_full *out)
{
	pthread_mutex_lock(&ob->mu);
	bool r = ob->unreported;
	if (r)
		*out = ob->counts;
	ob->unreported = false;
	pthread_mutex_unlock(&ob->mu);
	return r;
}

bool outbox_full_pending(struct outbox *ob)
{
	pthread_mutex_lock(&ob->mu);
	bool r = ob->unreported;
	pthread_mutex_unlock(&ob->mu);
	return r;
}

struct vg_dq *outbox_queue(struct outbox *ob)
{
	return ob->q;
}

int outbox_wake_fd(const struct outbox *ob)
{
	return ob->wake_fd;
}

void outbox_drain_wake(struct outbox *ob)
{
	uint64_t n;
	/* EAGAIN: nothing to drain */
	if (read(ob->wake_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		vg_log_debug("outbox: eventfd read: %s", strerror(errno));
}
