/*
 * ingest.c - The agents' in-memory FIFO and marks (see ingest.h).
 *
 * A push becomes one chunk: one allocation holding its records' ids,
 * offsets and data, immutable once linked at the tail. The FIFO is the
 * list of chunks from head (head_off of its records already released) to
 * tail; the consumer's read position is (rd, rd_idx), rd_idx == rd->n
 * meaning "at the end of rd". Only the consumer frees chunks (release), and
 * only at or before its read position, so it can walk the chunks from its
 * position outside the lock: it takes the unread count under the lock and
 * follows next only while records remain, i.e. through links written
 * before that count was read.
 *
 * Marks live in one struct per agent (never freed before the FIFO):
 * enqueued and durable under the mutex; read (highest id read, not yet
 * released) and the touched list belong to the consumer.
 */
#include "manager/ingest.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "lib/hmap.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/str.h"

struct ingest_src {
	char id[MGR_INGEST_AGENT_MAX + 1];
	uint64_t enqueued; /* under mu */
	uint64_t durable;  /* under mu */
	uint64_t read;     /* consumer: highest id read since the last release */
	bool touched;      /* consumer: in the touched list */
};

struct ingest_entry {
	uint64_t id;
	size_t off, len;
};

struct ingest_chunk {
	struct ingest_chunk *next;
	struct ingest_src *src;
	uint64_t seq0; /* seq of e[0] */
	size_t n;
	char *data; /* after e[n] */
	struct ingest_entry e[];
};

struct mgr_ingest {
	pthread_mutex_t mu;
	pthread_cond_t cond; /* a push or a kick */
	size_t max_records, max_bytes;
	int efd;
	struct vg_hmap *srcs; /* agent id -> struct ingest_src */
	struct ingest_chunk *head, *tail, *rd;
	size_t head_off, rd_idx;
	uint64_t next_seq;
	uint64_t kicks;
	struct mgr_ingest_stats st;
	/* the consumer's */
	struct ingest_src **touched;
	size_t ntouched, touched_cap;
	uint64_t nread, read_bytes; /* read since the last release */
};

int mgr_ingest_new(const struct mgr_ingest_opts *opts, struct mgr_ingest **out, struct vg_err *err)
{
	struct mgr_ingest *in = vg_xcalloc(1, sizeof(*in));
	struct timespec ts;

	*out = NULL;
	in->max_records =
	    opts != NULL && opts->max_records != 0 ? opts->max_records : MGR_INGEST_RECORDS_DEFAULT;
	in->max_bytes =
	    opts != NULL && opts->max_bytes != 0 ? opts->max_bytes : MGR_INGEST_BYTES_DEFAULT;
	in->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (in->efd < 0) {
		int rc = vg_err_errno(err, errno, "cannot create the ingest eventfd");
		vg_free(in);
		return rc;
	}
	/*
	 * Seqs from the clock in µs: an alert without files takes its id from
	 * (time, seq), so a restart must not reuse the previous run's seqs
	 * (it would have to take over a record per µs to catch up).
	 */
	clock_gettime(CLOCK_REALTIME, &ts);
	in->next_seq = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
	in->srcs = vg_hmap_new();
	pthread_mutex_init(&in->mu, NULL);
	pthread_cond_init(&in->cond, NULL);
	*out = in; /* transferred */
	return 0;
}

void mgr_ingest_free(struct mgr_ingest *in)
{
	if (in == NULL)
		return;
	for (struct ingest_chunk *c = in->head, *n; c != NULL; c = n) {
		n = c->next;
		vg_free(c);
	}
	vg_hmap_free(in->srcs, vg_free);
	vg_free(in->touched);
	close(in->efd);
	pthread_cond_destroy(&in->cond);
	pthread_mutex_destroy(&in->mu);
	vg_free(in);
}

/* The agent's marks, created at 0; under mu. */
static struct ingest_src *src_get(struct mgr_ingest *in, const char *agent, size_t len)
{
	struct ingest_src *s = vg_hmap_get(in->srcs, agent, len);

	if (s == NULL) {
		s = vg_xcalloc(1, sizeof(*s));
		memcpy(s->id, agent, len);
		vg_hmap_put(in->srcs, agent, len, s); /* transferred */
	}
	return s;
}

/* ---------------------------------------------------------------- producer */

/* One chunk of the records above from, whose count and bytes are given. */
static struct ingest_chunk *chunk_new(const struct mgr_ingest_rec *recs, size_t n, uint64_t from,
				      size_t k, size_t bytes)
{
	struct ingest_chunk *c = vg_xmalloc(sizeof(*c) + k * sizeof(c->e[0]) + bytes);
	size_t off = 0, j = 0;

	c->next = NULL;
	c->n = k;
	c->data = (char *)&c->e[k];
	for (size_t i = 0; i < n; i++) {
		if (recs[i].id <= from)
			continue;
		c->e[j++] = (struct ingest_entry){recs[i].id, off, recs[i].len};
		if (recs[i].len > 0)
			memcpy(c->data + off, recs[i].data, recs[i].len);
		off += recs[i].len;
		from = recs[i].id;
	}
	return c;
}

int mgr_ingest_push(struct mgr_ingest *in, const char *agent, const struct mgr_ingest_rec *recs,
		    size_t n, size_t *added, struct vg_err *err)
{
	size_t alen = strlen(agent);
	size_t k = 0, bytes = 0;
	uint64_t last;
	int rc = 0;

	if (added != NULL)
		*added = 0;
	if (alen == 0 || alen > MGR_INGEST_AGENT_MAX)
		return vg_err_set(err, VG_EPARSE, "ingest: agent id of %zu bytes", alen);
	pthread_mutex_lock(&in->mu);
	struct ingest_src *s = src_get(in, agent, alen);
	last = s->enqueued;
	for (size_t i = 0; i < n; i++)
		if (recs[i].id > last) {
			last = recs[i].id;
			bytes += recs[i].len;
			k++;
		}
	in->st.duplicates += n - k;
	if (k == 0)
		goto out;
	if (in->st.records > 0 &&
	    (in->st.records + k > in->max_records || in->st.bytes + bytes > in->max_bytes)) {
		in->st.duplicates -= n - k; /* nothing taken: counted when it is */
		in->st.full++;
		rc = vg_err_set(
		    err, VG_ETOOBIG, "ingest full: %llu records, %llu bytes held for analysis",
		    (unsigned long long)in->st.records, (unsigned long long)in->st.bytes);
		goto out;
	}
	struct ingest_chunk *c = chunk_new(recs, n, s->enqueued, k, bytes);
	c->src = s;
	c->seq0 = in->next_seq;
	in->next_seq += k;
	s->enqueued = last;
	if (in->rd == NULL) {
		in->head = in->tail = in->rd = c;
		in->head_off = in->rd_idx = 0;
	} else {
		in->tail->next = c;
		in->tail = c;
	}
	in->st.records += k;
	in->st.bytes += bytes;
	in->st.unread += k;
	in->st.pushed += k;
	if (added != NULL)
		*added = k;
	pthread_cond_broadcast(&in->cond);
out:
	pthread_mutex_unlock(&in->mu);
	return rc;
}

void mgr_ingest_marks(struct mgr_ingest *in, const char *agent, uint64_t *enqueued,
		      uint64_t *durable)
{
	pthread_mutex_lock(&in->mu);
	const struct ingest_src *s = vg_hmap_get(in->srcs, agent, strlen(agent));
	*enqueued = s != NULL ? s->enqueued : 0;
	*durable = s != NULL ? s->durable : 0;
	pthread_mutex_unlock(&in->mu);
}

void mgr_ingest_seed(struct mgr_ingest *in, const char *agent, uint64_t mark)
{
	size_t alen = strlen(agent);

	if (alen == 0 || alen > MGR_INGEST_AGENT_MAX || mark == 0)
		return;
	pthread_mutex_lock(&in->mu);
	struct ingest_src *s = src_get(in, agent, alen);
	if (mark > s->enqueued)
		s->enqueued = mark;
	if (mark > s->durable)
		s->durable = mark;
	pthread_mutex_unlock(&in->mu);
}

int mgr_ingest_fd(const struct mgr_ingest *in)
{
	return in->efd;
}

void mgr_ingest_fd_clear(struct mgr_ingest *in)
{
	uint64_t v;
	if (read(in->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		vg_log_warn("ingest eventfd: %s", strerror(errno));
}

/* ---------------------------------------------------------------- consumer */

uint64_t mgr_ingest_gen(struct mgr_ingest *in)
{
	pthread_mutex_lock(&in->mu);
	uint64_t g = in->kicks;
	pthread_mutex_unlock(&in->mu);
	return g;
}

void mgr_ingest_kick(struct mgr_ingest *in)
{
	pthread_mutex_lock(&in->mu);
	in->kicks++;
	pthread_cond_broadcast(&in->cond);
	pthread_mutex_unlock(&in->mu);
}

bool mgr_ingest_wait(struct mgr_ingest *in, uint64_t gen, int timeout_ms)
{
	struct timespec dl;
	bool ok;

	if (timeout_ms >= 0) {
		clock_gettime(CLOCK_REALTIME, &dl);
		dl.tv_sec += timeout_ms / 1000;
		dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
		if (dl.tv_nsec >= 1000000000L) {
			dl.tv_sec++;
			dl.tv_nsec -= 1000000000L;
		}
	}
	pthread_mutex_lock(&in->mu);
	while (in->st.unread == 0 && in->kicks == gen) {
		int rc = timeout_ms < 0 ? pthread_cond_wait(&in->cond, &in->mu)
					: pthread_cond_timedwait(&in->cond, &in->mu, &dl);
		if (rc == ETIMEDOUT)
			break;
	}
	ok = in->st.unread > 0;
	pthread_mutex_unlock(&in->mu);
	return ok;
}

bool mgr_ingest_pending(struct mgr_ingest *in)
{
	pthread_mutex_lock(&in->mu);
	bool ok = in->st.unread > 0;
	pthread_mutex_unlock(&in->mu);
	return ok;
}

static void touch(struct mgr_ingest *in, struct ingest_src *s, uint64_t id)
{
	s->read = id;
	if (s->touched)
		return;
	if (in->ntouched == in->touched_cap) {
		in->touched_cap = in->touched_cap != 0 ? in->touched_cap * 2 : 64;
		in->touched = vg_xreallocarray(in->touched, in->touched_cap, sizeof(*in->touched));
	}
	in->touched[in->ntouched++] = s;
	s->touched = true;
}

size_t mgr_ingest_read(struct mgr_ingest *in, size_t max, mgr_ingest_read_fn fn, void *ctx)
{
	struct ingest_chunk *c;
	size_t i, avail, n = 0;
	uint64_t bytes = 0;

	pthread_mutex_lock(&in->mu);
	c = in->rd;
	i = in->rd_idx;
	avail = in->st.unread;
	pthread_mutex_unlock(&in->mu);
	while (n < max && n < avail) {
		if (i == c->n) { /* records remain: next was linked before avail was read */
			c = c->next;
			i = 0;
			continue;
		}
		const struct ingest_entry *e = &c->e[i];
		const struct mgr_ingest_item it = {c->seq0 + i, c->src->id, e->id, c->data + e->off,
						   e->len};
		if (fn(ctx, &it) != 0)
			break;
		touch(in, c->src, e->id);
		bytes += e->len;
		n++;
		i++;
	}
	if (c == NULL) /* nothing kept at all: rd may have been set by a push since */
		return 0;
	pthread_mutex_lock(&in->mu);
	in->rd = c;
	in->rd_idx = i;
	in->st.unread -= n;
	pthread_mutex_unlock(&in->mu);
	in->nread += n;
	in->read_bytes += bytes;
	return n;
}

int mgr_ingest_marks_read(struct mgr_ingest *in, mgr_ingest_mark_fn fn, void *ctx)
{
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < in->ntouched; i++)
		rc = fn(ctx, in->touched[i]->id, in->touched[i]->read);
	return rc;
}

/* Free the chunks before rd (all released), under mu. */
static void drop_before_rd(struct mgr_ingest *in)
{
	while (in->head != in->rd) {
		struct ingest_chunk *c = in->head;
		in->head = c->next;
		vg_free(c);
	}
}

void mgr_ingest_release(struct mgr_ingest *in)
{
	bool moved = false;

	pthread_mutex_lock(&in->mu);
	for (size_t i = 0; i < in->ntouched; i++) {
		struct ingest_src *s = in->touched[i];
		if (s->read > s->durable) {
			s->durable = s->read;
			moved = true;
		}
		s->touched = false;
	}
	in->ntouched = 0;
	while (in->rd != NULL && in->rd_idx == in->rd->n && in->rd->next != NULL) {
		in->rd = in->rd->next;
		in->rd_idx = 0;
	}
	drop_before_rd(in);
	if (in->rd != NULL && in->rd_idx == in->rd->n) { /* all read, nothing after */
		vg_free(in->rd);
		in->head = in->tail = in->rd = NULL;
		in->rd_idx = 0;
	}
	in->head_off = in->rd_idx;
	in->st.records -= in->nread;
	in->st.bytes -= in->read_bytes;
	in->nread = in->read_bytes = 0;
	pthread_mutex_unlock(&in->mu);
	if (moved) {
		uint64_t one = 1;
		if (write(in->efd, &one, sizeof(one)) < 0)
			vg_log_warn("ingest eventfd: %s", strerror(errno));
	}
}

void mgr_ingest_rewind(struct mgr_ingest *in)
{
	for (size_t i = 0; i < in->ntouched; i++)
		in->touched[i]->touched = false;
	in->ntouched = 0;
	pthread_mutex_lock(&in->mu);
	in->rd = in->head;
	in->rd_idx = in->head_off;
	in->st.unread += in->nread;
	pthread_mutex_unlock(&in->mu);
	in->nread = in->read_bytes = 0;
}

void mgr_ingest_stats(struct mgr_ingest *in, struct mgr_ingest_stats *out)
{
	pthread_mutex_lock(&in->mu);
	*out = in->st;
	pthread_mutex_unlock(&in->mu);
}
