/* Tasks, the page lock and the extent range lock, writeback waits.
 *
 * Nothing runs concurrently here, so a lock that is held is held by a task
 * further down the stack: a paused operation whose hook is running, or a work
 * item waiting for other work.  An operation that would sleep on it could never
 * wake (its holder resumes only after the operation returns): that is reported
 * as a deadlock of the modelled kernel.  A work item backs off with -EAGAIN
 * instead, and the executor retries it later, as a kernel worker would sleep.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "engine/bio.h"
#include "engine/fs-info.h"

void task_enter(struct cowfs_engine *eng, struct task *t, const char *name, uint64_t line,
		struct work *work)
{
	*t = (struct task){ .parent = eng->current, .name = name, .line = line, .work = work,
			    .paused_at = -1 };
	eng->current = t;
}

void task_exit(struct cowfs_engine *eng, struct task *t)
{
	if (t->page_locks || t->extent_locked_bytes)
		eng_finding(eng, COWFS_FINDING_INVARIANT,
			    "%s ended holding %d page locks and %" PRIu64 " locked bytes",
			    t->name, t->page_locks, t->extent_locked_bytes);
	eng->current = t->parent;
}

int task_run_work(void *arg, struct work *w)
{
	struct cowfs_engine *eng = arg;
	struct task t;
	int ret;

	task_enter(eng, &t, w->name, eng_line(eng), w);
	w->task = &t;
	ret = w->func(w);
	w->task = NULL;
	task_exit(eng, &t);
	if (ret != -EAGAIN)
		eng->stats.work_run++;
	return ret;
}

int in_work(const struct cowfs_engine *eng)
{
	return eng->current && eng->current->work;
}

const char *task_describe(const struct task *t, char *buf, size_t size)
{
	int n;

	if (!t)
		return "nobody";
	if (t->work)
		n = snprintf(buf, size, "the %s queued by line %" PRIu64 " (run by line %" PRIu64 ")",
			     t->name, t->work->line, t->line);
	else
		n = snprintf(buf, size, "line %" PRIu64 " (%s)", t->line, t->name);
	if (t->paused_at >= 0 && n > 0 && (size_t)n < size)
		snprintf(buf + n, size - (size_t)n, " paused at %s",
			 cowfs_point_name((enum cowfs_point)t->paused_at));
	return buf;
}

int wait_blocked(struct cowfs_engine *eng, const struct task *holder, const char *what)
{
	char mebuf[160], otherbuf[160];
	const char *me = task_describe(eng->current, mebuf, sizeof(mebuf));
	const char *other = task_describe(holder, otherbuf, sizeof(otherbuf));

	if (in_work(eng)) {
		eng_event(eng, "%s sleeps on %s, held by %s", me, what, other);
		return -EAGAIN;
	}
	eng_finding(eng, COWFS_FINDING_DEADLOCK, "%s waits for %s, held by %s", me, what, other);
	return -EDEADLK;
}

static void note_page_lock(struct cowfs_engine *eng, struct page *page)
{
	struct task *t = eng->current;

	if (!t)
		return;
	if (t->extent_locked_bytes)
		eng_finding(eng, COWFS_FINDING_INVARIANT,
			    "lock order: %s locks page %" PRIu64 " of %s holding an extent range lock",
			    t->name, page->index, page_inode(page)->path);
	else if (t->page_locks && t->last_page_mapping == page->mapping &&
		 page->index < t->last_page_index)
		eng_finding(eng, COWFS_FINDING_INVARIANT,
			    "lock order: %s locks page %" PRIu64 " of %s after page %" PRIu64,
			    t->name, page->index, page_inode(page)->path, t->last_page_index);
	t->page_locks++;
	t->last_page_mapping = page->mapping;
	t->last_page_index = page->index;
}

int trylock_page(struct cowfs_engine *eng, struct page *page)
{
	if (!page_trylock(page, eng->current))
		return 0;
	note_page_lock(eng, page);
	return 1;
}

int lock_page(struct cowfs_engine *eng, struct page *page)
{
	char what[96];
	struct inode *inode = page_inode(page);

	if (trylock_page(eng, page))
		return 0;
	snprintf(what, sizeof(what), "the lock of page %" PRIu64 " of %s", page->index,
		 inode ? inode->path : "(removed)");
	return wait_blocked(eng, page->lock_owner, what);
}

void unlock_page(struct cowfs_engine *eng, struct page *page)
{
	struct task *owner = (struct task *)page->lock_owner;

	(void)eng;
	if (owner && owner->page_locks > 0)
		owner->page_locks--;
	page_unlock(page);
}

int lock_extent(struct cowfs_engine *eng, struct inode *inode, uint64_t start, uint64_t end)
{
	uint64_t failed = start;
	char what[128];
	int ret;

	ret = set_extent_bit(&inode->io_tree, start, end, EXTENT_LOCKED, EXTENT_LOCKED, &failed,
			     eng->current);
	if (!ret) {
		if (eng->current)
			eng->current->extent_locked_bytes += end - start + 1;
		return 0;
	}
	if (ret != -EEXIST)
		return ret;
	if (failed > start)
		clear_extent_bit(&inode->io_tree, start, failed - 1, EXTENT_LOCKED);
	snprintf(what, sizeof(what), "the extent lock of [%" PRIu64 ", %" PRIu64 "] of %s",
		 start, end, inode->path);
	return wait_blocked(eng, extent_lock_owner(&inode->io_tree, failed), what);
}

void clear_extent_bits_locked(struct cowfs_engine *eng, struct inode *inode, uint64_t start,
			      uint64_t end, unsigned bits)
{
	struct task *t = eng->current;

	if ((bits & EXTENT_LOCKED) && t) {
		uint64_t from = start;
		uint64_t n = count_range_bits(&inode->io_tree, &from, end, UINT64_MAX,
					      EXTENT_LOCKED, 0);

		t->extent_locked_bytes -= n < t->extent_locked_bytes ? n : t->extent_locked_bytes;
	}
	clear_extent_bit(&inode->io_tree, start, end, bits);
}

void unlock_extent(struct cowfs_engine *eng, struct inode *inode, uint64_t start, uint64_t end)
{
	clear_extent_bits_locked(eng, inode, start, end, EXTENT_LOCKED);
}

void assert_no_locks_for_wait(struct cowfs_engine *eng, const char *what)
{
	struct task *t = eng->current;

	if (t && (t->page_locks || t->extent_locked_bytes))
		eng_finding(eng, COWFS_FINDING_INVARIANT,
			    "lock order: %s waits for %s holding %d page locks and %" PRIu64
			    " locked bytes", t->name, what, t->page_locks, t->extent_locked_bytes);
}

int wait_on_page_writeback(struct cowfs_engine *eng, struct page *page)
{
	while (page_test(page, PG_writeback)) {
		struct bio *bio = page->wb_bio;
		struct work *w = bio ? bio_pending_work(bio) : NULL;
		char what[96];

		if (w && executor_run_work(&eng->ex, w) == 1)
			continue;
		snprintf(what, sizeof(what), "writeback of page %" PRIu64 " of %s", page->index,
			 page_inode(page) ? page_inode(page)->path : "(removed)");
		return wait_blocked(eng, bio ? bio_holder(bio) : NULL, what);
	}
	return 0;
}
