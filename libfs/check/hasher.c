/* The hashing pool of pass 4: each submission is split into one contiguous
 * share per worker; a generation counter tells workers a new job arrived. */
#include <pthread.h>
#include <stdlib.h>

#include "check/hasher.h"
#include "disk/format.h"
#include "util/crc32c.h"

#define MAX_THREADS 64

struct hasher {
	pthread_mutex_t lock;
	pthread_cond_t work, done;
	pthread_t threads[MAX_THREADS];
	int nthreads;
	int stop;
	uint64_t seq;			/* bumped by each submission */
	int pending;			/* workers still hashing the current job */
	const uint8_t *buf;
	const size_t *offs;
	size_t n;
	uint32_t *out;
};

static void hash_share(const uint8_t *buf, const size_t *offs, uint32_t *out, size_t from,
		       size_t to)
{
	for (size_t i = from; i < to; i++)
		out[i] = cowfs_crc32c(buf + offs[i], COWFS_BLOCK_SIZE);
}

struct worker_arg {
	struct hasher *h;
	int id;
};

static void *worker(void *p)
{
	struct hasher *h = ((struct worker_arg *)p)->h;
	int id = ((struct worker_arg *)p)->id;
	uint64_t seen = 0;

	free(p);
	pthread_mutex_lock(&h->lock);
	for (;;) {
		const uint8_t *buf;
		const size_t *offs;
		uint32_t *out;
		size_t from, to;

		while (h->seq == seen && !h->stop)
			pthread_cond_wait(&h->work, &h->lock);
		if (h->stop)
			break;
		seen = h->seq;
		from = h->n * (size_t)id / (size_t)h->nthreads;
		to = h->n * (size_t)(id + 1) / (size_t)h->nthreads;
		buf = h->buf;
		offs = h->offs;
		out = h->out;
		pthread_mutex_unlock(&h->lock);
		hash_share(buf, offs, out, from, to);
		pthread_mutex_lock(&h->lock);
		if (--h->pending == 0)
			pthread_cond_signal(&h->done);
	}
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

struct hasher *hasher_start(int nthreads)
{
	struct hasher *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->work, NULL);
	pthread_cond_init(&h->done, NULL);
	if (nthreads > MAX_THREADS)
		nthreads = MAX_THREADS;
	for (int i = 0; i < nthreads; i++) {
		struct worker_arg *a = malloc(sizeof(*a));

		if (!a)
			break;
		*a = (struct worker_arg){ h, i };
		if (pthread_create(&h->threads[i], NULL, worker, a)) {
			free(a);
			break;
		}
		h->nthreads++;
	}
	/* Workers split jobs by nthreads: fix it before any job exists. */
	if (h->nthreads < nthreads && h->nthreads > 0) {
		hasher_stop(h);
		return hasher_start(0);
	}
	return h;
}

void hasher_submit(struct hasher *h, const uint8_t *buf, const size_t *offs, size_t n,
		   uint32_t *out)
{
	if (h->nthreads == 0) {
		hash_share(buf, offs, out, 0, n);
		return;
	}
	pthread_mutex_lock(&h->lock);
	h->buf = buf;
	h->offs = offs;
	h->n = n;
	h->out = out;
	h->pending = h->nthreads;
	h->seq++;
	pthread_cond_broadcast(&h->work);
	pthread_mutex_unlock(&h->lock);
}

void hasher_wait(struct hasher *h)
{
	pthread_mutex_lock(&h->lock);
	while (h->pending)
		pthread_cond_wait(&h->done, &h->lock);
	pthread_mutex_unlock(&h->lock);
}

void hasher_stop(struct hasher *h)
{
	if (!h)
		return;
	pthread_mutex_lock(&h->lock);
	h->stop = 1;
	pthread_cond_broadcast(&h->work);
	pthread_mutex_unlock(&h->lock);
	for (int i = 0; i < h->nthreads; i++)
		pthread_join(h->threads[i], NULL);
	pthread_cond_destroy(&h->work);
	pthread_cond_destroy(&h->done);
	pthread_mutex_destroy(&h->lock);
	free(h);
}
