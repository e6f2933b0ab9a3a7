/* Work items and the deterministic executor.
 *
 * The kernel runs fixups, checksumming bio submission, IO completion and
 * ordered-extent completion on worker threads (btrfs_queue_work on named
 * btrfs_workqueues).  Here they are work items on one queue, run on the
 * caller's stack only when the trace says `run`, when an operation waits for
 * one, or at the end.  Which runnable item goes next is fixed by a seed: 0 takes
 * them in queue order, any other seed makes a reproducible random choice
 * (splitmix64), so the same trace and seed always run them in the same order.
 *
 * A work function either finishes (returns 0) or finds it would sleep on
 * something held by a paused task and returns -EAGAIN having changed nothing; it
 * stays queued and is not offered again in the same executor_run until some
 * other item has finished.
 */
#ifndef COWFS_ENGINE_WORKQUEUE_H
#define COWFS_ENGINE_WORKQUEUE_H

#include <stddef.h>
#include <stdint.h>

/* A named queue, as fs_info->fixup_workers etc.; counts only. */
struct workqueue {
	const char *name;
	uint64_t queued;
	uint64_t completed;
};

enum work_state { WORK_IDLE, WORK_QUEUED, WORK_RUNNING };

struct work {
	struct work *prev, *next;	/* queue order */
	size_t slot;			/* index in the executor's vector */
	uint64_t seq;
	enum work_state state;
	uint64_t blocked_gen;		/* the executor generation it last blocked in */
	struct workqueue *wq;
	int (*func)(struct work *w);	/* 0: done; -EAGAIN: blocked, nothing changed */
	void (*release)(struct work *w); /* once done or discarded; may free w */
	void *inode;			/* the engine inode it works for, or NULL */
	uint64_t line;			/* trace line of the operation that queued it */
	const char *name;		/* "fixup worker", ... */
	void *task;			/* the runner's context while it runs */
};

struct executor {
	struct work *head, *tail;
	struct work **vec;		/* the same items, for O(1) random choice */
	size_t nr, cap;
	uint64_t seq;
	uint64_t gen;			/* bumped whenever an item finishes */
	uint64_t rng;
	int seeded;
	/* runs w->func inside whatever context the owner keeps (the engine's tasks) */
	int (*runner)(void *arg, struct work *w);
	void *arg;
	uint64_t completed;
};

typedef int (*work_filter_fn)(void *arg, const struct work *w);

void executor_init(struct executor *ex, uint64_t seed,
		   int (*runner)(void *arg, struct work *w), void *arg);
/* Discard every queued item (release without running); none may be running. */
void executor_discard_all(struct executor *ex);
void executor_destroy(struct executor *ex);

void init_work(struct work *w, const char *name, int (*func)(struct work *),
	       void (*release)(struct work *), void *inode, uint64_t line);
/* Append w (idle) to the queue of wq.  0 or -ENOMEM. */
int queue_work(struct executor *ex, struct workqueue *wq, struct work *w);

/* Run one queued item now.  1 if it finished (it may be freed), 0 if it blocked,
 * -EBUSY if it is already running further down the stack, -EINVAL if not queued. */
int executor_run_work(struct executor *ex, struct work *w);

/* The item the executor would run next among those filter accepts (NULL: all),
 * skipping running items and those blocked since the last progress; or NULL. */
struct work *executor_pick(struct executor *ex, work_filter_fn filter, void *arg);

/* Run up to max items (picked as above) until none is runnable.  Returns how many
 * finished. */
uint64_t executor_run(struct executor *ex, uint64_t max, work_filter_fn filter, void *arg);

/* Number of queued (or running) items that filter accepts (NULL: all). */
size_t executor_count(const struct executor *ex, work_filter_fn filter, void *arg);

#endif
