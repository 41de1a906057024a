/*
 * changeq.c - Coalescing change queue.
 *
 * Two doubly-linked lists plus a hash map from path to node. "settling"
 * holds paths waiting for their notifications to stop: a re-pushed path
 * moves to its back with a fresh settle time, so due times grow along it.
 * "held" holds files created and not yet closed, due at first push + max
 * delay, in first-push order: due times grow along it too. The consumer
 * therefore only ever looks at the two heads.
 */
#include "fim/changeq.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

#include "fim/watch.h"
#include "lib/hmap.h"
#include "lib/mem.h"

struct changeq_list {
	struct changeq_node *head, *tail;
};

struct changeq_node {
	struct changeq_node *prev, *next;
	struct changeq_list *list;
	char *path;
	size_t len;
	unsigned flags;
	uint64_t first_ns;
	uint64_t due_ns;
};

struct fim_changeq {
	pthread_mutex_t lock;
	struct vg_hmap *index;
	struct changeq_list settling, held;
	size_t max;
	uint64_t settle_ns, max_delay_ns;
	bool lost_all;
	char **lost;
	size_t nlost;
	void (*wake)(void *ctx);
	void *ctx;
};

uint64_t fim_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct fim_changeq *fim_changeq_new(size_t max, uint64_t settle_ns, uint64_t max_delay_ns,
				    void (*wake)(void *ctx), void *ctx)
{
	struct fim_changeq *q = vg_xcalloc(1, sizeof(*q));
	pthread_mutex_init(&q->lock, NULL);
	q->index = vg_hmap_new();
	q->max = max;
	q->settle_ns = settle_ns;
	q->max_delay_ns = max_delay_ns;
	q->wake = wake;
	q->ctx = ctx;
	return q;
}

static void changeq_free_lost(struct fim_changeq *q)
{
	for (size_t i = 0; i < q->nlost; i++)
		vg_free(q->lost[i]);
	vg_free(q->lost);
	q->lost = NULL;
	q->nlost = 0;
}

void fim_changeq_free(struct fim_changeq *q)
{
	if (q == NULL)
		return;
	struct changeq_list *lists[] = {&q->settling, &q->held};
	for (size_t i = 0; i < 2; i++) {
		for (struct changeq_node *n = lists[i]->head, *next; n != NULL; n = next) {
			next = n->next;
			vg_free(n->path);
			vg_free(n);
		}
	}
	vg_hmap_free(q->index, NULL);
	changeq_free_lost(q);
	pthread_mutex_destroy(&q->lock);
	vg_free(q);
}

static void changeq_unlink(struct changeq_node *n)
{
	struct changeq_list *l = n->list;
	if (n->prev != NULL)
		n->prev->next = n->next;
	else
		l->head = n->next;
	if (n->next != NULL)
		n->next->prev = n->prev;
	else
		l->tail = n->prev;
	n->prev = n->next = NULL;
	n->list = NULL;
}

static void changeq_append(struct changeq_list *l, struct changeq_node *n)
{
	n->prev = l->tail;
	n->next = NULL;
	n->list = l;
	if (l->tail != NULL)
		l->tail->next = n;
	else
		l->head = n;
	l->tail = n;
}

/* Created, not yet closed by its writer, still there: wait for the close. */
static bool changeq_is_held(unsigned flags)
{
	return (flags & FIM_WATCH_CREATED) &&
	       !(flags & (FIM_WATCH_CLOSED | FIM_WATCH_REMOVED | FIM_WATCH_DIR));
}

static void changeq_lost_locked(struct fim_changeq *q, const char *root)
{
	if (root == NULL) {
		q->lost_all = true;
		return;
	}
	for (size_t i = 0; i < q->nlost; i++)
		if (strcmp(q->lost[i], root) == 0)
			return;
	q->lost = vg_xreallocarray(q->lost, q->nlost + 1, sizeof(*q->lost));
	q->lost[q->nlost++] = vg_xstrdup(root);
}

void fim_changeq_push(struct fim_changeq *q, const char *path, size_t len, unsigned flags)
{
	uint64_t now = fim_now_ns();

	pthread_mutex_lock(&q->lock);
	struct changeq_node *n = vg_hmap_get(q->index, path, len);
	if (n != NULL) {
		n->flags |= flags;
		if (n->list == &q->held && changeq_is_held(n->flags)) {
			pthread_mutex_unlock(&q->lock); /* still waiting for the close */
			return;
		}
		changeq_unlink(n);
	} else if (vg_hmap_count(q->index) >= q->max) {
		changeq_lost_locked(q, NULL); /* bounded: degrade to a rescan */
		pthread_mutex_unlock(&q->lock);
		q->wake(q->ctx);
		return;
	} else {
		n = vg_xcalloc(1, sizeof(*n));
		n->path = vg_xstrndup(path, len);
		n->len = len;
		n->flags = flags;
		n->first_ns = now;
		vg_hmap_put(q->index, n->path, len, n);
	}
	uint64_t cap = n->first_ns + q->max_delay_ns;
	if (changeq_is_held(n->flags)) {
		n->due_ns = cap;
		changeq_append(&q->held, n);
	} else {
		n->due_ns = now + q->settle_ns < cap ? now + q->settle_ns : cap;
		changeq_append(&q->settling, n);
	}
	pthread_mutex_unlock(&q->lock);
	q->wake(q->ctx);
}

void fim_changeq_push_lost(struct fim_changeq *q, const char *root)
{
	pthread_mutex_lock(&q->lock);
	changeq_lost_locked(q, root);
	pthread_mutex_unlock(&q->lock);
	q->wake(q->ctx);
}

bool fim_changeq_take_lost(struct fim_changeq *q, bool *all, char ***roots, size_t *nroots)
{
	pthread_mutex_lock(&q->lock);
	bool any = q->lost_all || q->nlost > 0;
	*all = q->lost_all;
	*roots = q->lost;
	*nroots = q->nlost;
	q->lost_all = false;
	q->lost = NULL;
	q->nlost = 0;
	pthread_mutex_unlock(&q->lock);
	return any;
}

bool fim_changeq_pop(struct fim_changeq *q, uint64_t now_ns, struct fim_change *out,
		     uint64_t *wait_ns)
{
	bool popped = false;

	pthread_mutex_lock(&q->lock);
	struct changeq_node *a = q->settling.head, *b = q->held.head;
	struct changeq_node *n = a == NULL || (b != NULL && b->due_ns < a->due_ns) ? b : a;
	if (n == NULL) {
		*wait_ns = UINT64_MAX;
	} else if (n->due_ns > now_ns) {
		*wait_ns = n->due_ns - now_ns;
	} else {
		changeq_unlink(n);
		vg_hmap_del(q->index, n->path, n->len);
		out->path = n->path; /* transferred */
		out->len = n->len;
		out->flags = n->flags;
		vg_free(n);
		popped = true;
	}
	pthread_mutex_unlock(&q->lock);
	return popped;
}

size_t fim_changeq_count(struct fim_changeq *q)
{
	pthread_mutex_lock(&q->lock);
	size_t n = vg_hmap_count(q->index);
	pthread_mutex_unlock(&q->lock);
	return n;
}
