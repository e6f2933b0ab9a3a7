/* Work items and the deterministic executor: see workqueue.h. */
#include <errno.h>
#include <stdlib.h>

#include "engine/workqueue.h"

/* Random choices after a few misses fall back to a scan, so a queue full of
 * blocked items still costs only one pass. */
#define PICK_TRIES 8

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

void executor_init(struct executor *ex, uint64_t seed,
		   int (*runner)(void *arg, struct work *w), void *arg)
{
	*ex = (struct executor){ .rng = seed, .seeded = seed != 0, .runner = runner, .arg = arg };
}

void init_work(struct work *w, const char *name, int (*func)(struct work *),
	       void (*release)(struct work *), void *inode, uint64_t line)
{
	*w = (struct work){ .func = func, .release = release, .inode = inode, .line = line,
			    .name = name };
}

int queue_work(struct executor *ex, struct workqueue *wq, struct work *w)
{
	if (ex->nr == ex->cap) {
		size_t cap = ex->cap ? ex->cap * 2 : 64;
		struct work **vec = realloc(ex->vec, cap * sizeof(*vec));

		if (!vec)
			return -ENOMEM;
		ex->vec = vec;
		ex->cap = cap;
	}
	w->slot = ex->nr;
	ex->vec[ex->nr++] = w;
	w->prev = ex->tail;
	w->next = NULL;
	if (ex->tail)
		ex->tail->next = w;
	else
		ex->head = w;
	ex->tail = w;
	w->seq = ex->seq++;
	w->state = WORK_QUEUED;
	w->blocked_gen = UINT64_MAX;
	w->wq = wq;
	wq->queued++;
	return 0;
}

static void dequeue(struct executor *ex, struct work *w)
{
	struct work *last = ex->vec[--ex->nr];

	ex->vec[w->slot] = last;
	last->slot = w->slot;
	if (w->prev)
		w->prev->next = w->next;
	else
		ex->head = w->next;
	if (w->next)
		w->next->prev = w->prev;
	else
		ex->tail = w->prev;
	w->prev = w->next = NULL;
	w->state = WORK_IDLE;
}

void executor_discard_all(struct executor *ex)
{
	while (ex->head) {
		struct work *w = ex->head;

		dequeue(ex, w);
		if (w->release)
			w->release(w);
	}
}

void executor_destroy(struct executor *ex)
{
	executor_discard_all(ex);
	free(ex->vec);
	ex->vec = NULL;
	ex->cap = 0;
}

int executor_run_work(struct executor *ex, struct work *w)
{
	int ret;

	if (w->state == WORK_RUNNING)
		return -EBUSY;
	if (w->state != WORK_QUEUED)
		return -EINVAL;
	w->state = WORK_RUNNING;
	ret = ex->runner ? ex->runner(ex->arg, w) : w->func(w);
	if (ret == -EAGAIN) {
		w->state = WORK_QUEUED;
		w->blocked_gen = ex->gen;
		return 0;
	}
	dequeue(ex, w);
	ex->gen++;
	ex->completed++;
	w->wq->completed++;
	if (w->release)
		w->release(w);
	return 1;
}

static int eligible(const struct executor *ex, const struct work *w, work_filter_fn filter,
		    void *arg)
{
	return w->state == WORK_QUEUED && w->blocked_gen != ex->gen && (!filter || filter(arg, w));
}

struct work *executor_pick(struct executor *ex, work_filter_fn filter, void *arg)
{
	size_t start;

	if (!ex->nr)
		return NULL;
	if (!ex->seeded) {
		for (struct work *w = ex->head; w; w = w->next)
			if (eligible(ex, w, filter, arg))
				return w;
		return NULL;
	}
	for (int i = 0; i < PICK_TRIES; i++) {
		struct work *w = ex->vec[splitmix64(&ex->rng) % ex->nr];

		if (eligible(ex, w, filter, arg))
			return w;
	}
	start = splitmix64(&ex->rng) % ex->nr;
	for (size_t i = 0; i < ex->nr; i++) {
		struct work *w = ex->vec[(start + i) % ex->nr];

		if (eligible(ex, w, filter, arg))
			return w;
	}
	return NULL;
}

uint64_t executor_run(struct executor *ex, uint64_t max, work_filter_fn filter, void *arg)
{
	uint64_t done = 0;
	struct work *w;

	/* a new round: whatever blocked an item may have been released since */
	ex->gen++;
	while (done < max && (w = executor_pick(ex, filter, arg)))
		if (executor_run_work(ex, w) == 1)
			done++;
	return done;
}

size_t executor_count(const struct executor *ex, work_filter_fn filter, void *arg)
{
	size_t n = 0;

	if (!filter)
		return ex->nr;
	for (const struct work *w = ex->head; w; w = w->next)
		if (filter(arg, w))
			n++;
	return n;
}
