/*
 * store_writer.c - The alert store's inserts on a thread of their own.
 *
 * An alert's row costs the pipeline as much as decoding, evaluating and
 * writing the alert files together (SQLite's table and index B-trees: ~7 of
 * ~21 µs per event with 500 agents), and nothing in it needs the pipeline's
 * thread: the row is final once the alert files gave it its id. So the
 * pipeline packs each row into a chunk (its numbers, then its strings, each
 * NUL-terminated) and hands full chunks to this thread, which unpacks and
 * store_adds them while the pipeline goes on. At most SW_CHUNKS chunks
 * exist: when the thread falls behind, the pipeline waits for a free one.
 *
 * The store's connection is used by one thread at a time: by this thread
 * while chunks are handed over, by the pipeline after store_writer_sync has
 * seen the thread idle (the mutex orders the two). After a failed insert
 * the thread stores nothing more until the next sync reports the failure,
 * since the transaction is to be rolled back anyway.
 */
#include "manager/store_writer.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/common.h"
#include "lib/mem.h"

#define SW_CHUNK_ROWS 64             /* rows handed over together */
#define SW_CHUNK_BYTES (256u * 1024) /* or fewer when they are large */
#define SW_CHUNKS 16                 /* in flight at most */
#define SW_ROW_MAX (16u * 1024 * 1024)

/* The string columns of a row, in the order they are packed; json last
 * (its length is given, json_len, not measured). */
static const size_t sw_strings[] = {
    offsetof(struct store_alert, id),         offsetof(struct store_alert, agent_id),
    offsetof(struct store_alert, agent_name), offsetof(struct store_alert, decoder),
    offsetof(struct store_alert, location),   offsetof(struct store_alert, description),
    offsetof(struct store_alert, path),       offsetof(struct store_alert, md5),
    offsetof(struct store_alert, sha1),       offsetof(struct store_alert, sha256),
    offsetof(struct store_alert, groups),     offsetof(struct store_alert, json),
};
#define SW_NSTR (sizeof(sw_strings) / sizeof(sw_strings[0]))
#define SW_NULL UINT32_MAX

/* A packed row's head; its strings follow. */
struct sw_rec {
	int64_t time_ms;
	unsigned rule_id;
	unsigned level;
	uint32_t len[SW_NSTR]; /* each string's length, SW_NULL for NULL */
	uint32_t size;         /* head + strings, rounded up to 8 */
};

struct sw_chunk {
	struct sw_chunk *next;
	char *data;
	size_t len, cap;
	size_t n; /* rows */
};

struct store_writer {
	struct store *store;
	struct sw_chunk *fill; /* the pipeline's, not handed over yet */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond; /* chunks handed over, the thread idle, a chunk free */
	struct sw_chunk *todo, *todo_last;
	struct sw_chunk *spare;
	size_t chunks; /* allocated */
	bool busy;     /* the thread holds a chunk */
	bool stop;
	int rc; /* the first failed insert since the last sync */
	struct vg_err err;
};

static const char **sw_field(struct store_alert *a, size_t i)
{
	return (const char **)((char *)a + sw_strings[i]);
}

/* ---------------------------------------------------------------- the thread */

/* Row r of a chunk into *a (strings borrowed from the chunk); the next row. */
static const char *sw_unpack(const char *r, struct store_alert *a)
{
	struct sw_rec h;
	const char *s = r + sizeof(h);

	memcpy(&h, r, sizeof(h));
	memset(a, 0, sizeof(*a));
	a->time_ms = h.time_ms;
	a->rule_id = h.rule_id;
	a->level = h.level;
	for (size_t i = 0; i < SW_NSTR; i++) {
		if (h.len[i] == SW_NULL)
			continue;
		*sw_field(a, i) = s;
		s += h.len[i] + 1;
	}
	a->json_len = h.len[SW_NSTR - 1] != SW_NULL ? h.len[SW_NSTR - 1] : 0;
	return r + h.size;
}

static void sw_insert(struct store_writer *w, const struct sw_chunk *c)
{
	const char *r = c->data;

	for (size_t k = 0; k < c->n && w->rc == 0; k++) {
		struct store_alert a;
		r = sw_unpack(r, &a);
		w->rc = store_add(w->store, &a, NULL, &w->err);
	}
}

static void *sw_main(void *arg)
{
	struct store_writer *w = arg;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (w->todo == NULL && !w->stop)
			pthread_cond_wait(&w->cond, &w->lock);
		struct sw_chunk *c = w->todo;
		if (c == NULL)
			break; /* stopped, nothing left */
		w->todo = c->next;
		w->busy = true;
		pthread_mutex_unlock(&w->lock);
		sw_insert(w, c);
		pthread_mutex_lock(&w->lock);
		c->len = c->n = 0;
		c->next = w->spare;
		w->spare = c;
		w->busy = false;
		pthread_cond_broadcast(&w->cond);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* ---------------------------------------------------------------- the pipeline's side */

static void sw_handover(struct store_writer *w)
{
	struct sw_chunk *c = w->fill;

	if (c == NULL || c->n == 0)
		return;
	w->fill = NULL;
	c->next = NULL;
	pthread_mutex_lock(&w->lock);
	if (w->todo == NULL)
		w->todo = c;
	else
		w->todo_last->next = c;
	w->todo_last = c;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

/* A free chunk to fill, waiting for one when SW_CHUNKS are in use. */
static struct sw_chunk *sw_take(struct store_writer *w)
{
	struct sw_chunk *c;

	pthread_mutex_lock(&w->lock);
	while (w->spare == NULL && w->chunks >= SW_CHUNKS)
		pthread_cond_wait(&w->cond, &w->lock);
	if ((c = w->spare) != NULL) {
		w->spare = c->next;
	} else {
		c = vg_xcalloc(1, sizeof(*c));
		w->chunks++;
	}
	pthread_mutex_unlock(&w->lock);
	return c;
}

int store_writer_add(struct store_writer *w, const struct store_alert *a, struct vg_err *err)
{
	struct store_alert in = *a;
	struct sw_rec h = {a->time_ms, a->rule_id, a->level, {0}, 0};
	size_t size = sizeof(h);

	if (in.json != NULL && in.json_len == 0)
		in.json_len = strlen(in.json);
	for (size_t i = 0; i < SW_NSTR; i++) {
		const char *s = *sw_field(&in, i);
		size_t len = s == NULL ? 0 : i == SW_NSTR - 1 ? in.json_len : strlen(s);
		size += s == NULL ? 0 : len + 1;
		if (size > SW_ROW_MAX) /* which also keeps each length below SW_NULL */
			return vg_err_set(err, VG_ETOOBIG, "alert store: alert %.64s is too large",
					  a->id != NULL ? a->id : "");
		h.len[i] = s == NULL ? SW_NULL : (uint32_t)len;
	}
	h.size = (uint32_t)((size + 7) & ~(size_t)7);
	if (w->fill == NULL)
		w->fill = sw_take(w);
	struct sw_chunk *c = w->fill;
	if (c->cap - c->len < h.size) {
		c->cap = VG_MAX(VG_MAX(c->cap * 2, (size_t)SW_CHUNK_BYTES), c->len + h.size);
		c->data = vg_xreallocarray(c->data, c->cap, 1);
	}
	char *p = c->data + c->len;
	memcpy(p, &h, sizeof(h));
	p += sizeof(h);
	for (size_t i = 0; i < SW_NSTR; i++) {
		if (h.len[i] == SW_NULL)
			continue;
		memcpy(p, *sw_field(&in, i), h.len[i]);
		p[h.len[i]] = '\0';
		p += h.len[i] + 1;
	}
	c->len += h.size;
	if (++c->n >= SW_CHUNK_ROWS || c->len >= SW_CHUNK_BYTES)
		sw_handover(w);
	return 0;
}

int store_writer_sync(struct store_writer *w, struct vg_err *err)
{
	int rc;

	sw_handover(w);
	pthread_mutex_lock(&w->lock);
	while (w->todo != NULL || w->busy)
		pthread_cond_wait(&w->cond, &w->lock);
	rc = w->rc;
	if (rc != 0) {
		vg_err_set(err, rc, "%s", w->err.msg);
		vg_err_clear(&w->err);
		w->rc = 0;
	}
	pthread_mutex_unlock(&w->lock);
	return rc;
}

/* ---------------------------------------------------------------- life cycle */

int store_writer_start(struct store *s, struct store_writer **out, struct vg_err *err)
{
	struct store_writer *w = vg_xcalloc(1, sizeof(*w));
	int rc;

	*out = NULL;
	w->store = s;
	vg_err_clear(&w->err);
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	if ((rc = pthread_create(&w->thread, NULL, sw_main, w)) != 0) {
		pthread_cond_destroy(&w->cond);
		pthread_mutex_destroy(&w->lock);
		vg_free(w);
		return vg_err_set(err, VG_EINTERNAL, "alert store: starting its writer: %s",
				  strerror(rc));
	}
	*out = w;
	return 0;
}

static void sw_free_list(struct sw_chunk *c)
{
	while (c != NULL) {
		struct sw_chunk *next = c->next;
		vg_free(c->data);
		vg_free(c);
		c = next;
	}
}

void store_writer_stop(struct store_writer *w)
{
	if (w == NULL)
		return;
	sw_handover(w);
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	sw_free_list(w->fill);
	sw_free_list(w->spare);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	vg_free(w);
}
