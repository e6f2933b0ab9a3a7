/* The engine's state: btrfs_fs_info, btrfs_inode and the tasks that run.
 *
 * A task is whatever the modelled kernel would run on a thread: an operation of
 * the trace (or of a hook) or a work item.  Tasks nest on the C stack: a hook
 * runs inside the task paused at a schedule point, a work item inside the task
 * that ran or waited for it.  Locks record their holding task, so a wait on a
 * lock held further down the stack is a deadlock of the modelled kernel, found
 * at once instead of hanging.
 */
#ifndef COWFS_ENGINE_FS_INFO_H
#define COWFS_ENGINE_FS_INFO_H

#include <stdint.h>

#include "cowfs/engine.h"
#include "cowfs/layout.h"
#include "engine/extent-io-tree.h"
#include "engine/ordered-data.h"
#include "engine/page-cache.h"
#include "engine/workqueue.h"
#include "util/rbtree.h"

#define SECTORSIZE	PAGE_SIZE
/* The format's largest uncompressed data extent, where btrfs allows 128 MiB
 * (BTRFS_MAX_EXTENT_SIZE). */
#define MAX_EXTENT_SIZE	COWFS_MAX_EXTENT
#define MAX_FILE_SIZE	(1ull << 60)

struct task {
	struct task *parent;
	const char *name;		/* "write", "fixup worker", ... */
	uint64_t line;
	struct work *work;		/* the work item it runs, NULL for an operation */
	int paused_at;			/* enum cowfs_point its hooks run at, or -1 */
	/* for the lock-order check */
	int page_locks;
	uint64_t extent_locked_bytes;
	const struct address_space *last_page_mapping;
	uint64_t last_page_index;
};

/* btrfs_inode: what the engine keeps per file. */
struct inode {
	struct rb_node rb;
	struct cowfs_engine *eng;
	uint64_t ino;
	char *path;			/* as first named, for messages */
	int refs;
	int unlinked;
	int is_dir;
	uint64_t i_size;		/* in memory */
	uint64_t disk_i_size;		/* what the inode item says */
	uint64_t delalloc_bytes;
	uint64_t new_delalloc_bytes;
	int sync_writers;		/* fsyncs in progress: bios checksummed inline */
	struct extent_io_tree io_tree;
	struct address_space mapping;
	struct ordered_tree ordered_tree;
};

struct cowfs_engine {
	cowfs_fs *fs;
	char *spec;
	const struct cowfs_profile *profile;
	struct cowfs_engine_ops ops;
	int verbose;
	uint64_t seed;
	struct rb_root inodes;		/* by ino */
	struct page_cache cache;
	struct executor ex;
	struct workqueue fixup_workers;	/* btrfs-fixup */
	struct workqueue workers;	/* btrfs-worker: checksumming bio submission */
	struct workqueue endio;		/* the device: IO and end_bio_extent_writepage */
	struct workqueue endio_write_workers;	/* btrfs-endio-write: finish_ordered_io */
	struct task *current;
	/* space_info: what reservations hold back from cowfs_free_bytes() */
	uint64_t data_may_use;
	uint64_t meta_may_use;
	uint64_t global_rsv;
	struct cowfs_engine_stats stats;
	int halted;			/* power cut: findings are moot from here */
};

static inline struct inode *page_inode(const struct page *page)
{
	return page->mapping ? (struct inode *)page->mapping->host : NULL;
}

/* ---- tasks and locks (task.c) ---- */

void task_enter(struct cowfs_engine *eng, struct task *t, const char *name, uint64_t line,
		struct work *work);
void task_exit(struct cowfs_engine *eng, struct task *t);
/* The work runner the executor calls: runs w->func as a task. */
int task_run_work(void *eng, struct work *w);
/* 1 if the current task is a work item (it backs off with -EAGAIN instead of deadlocking). */
int in_work(const struct cowfs_engine *eng);
/* Describe a task for messages: "line 5 (writeback)", "fixup worker of line 5". */
const char *task_describe(const struct task *t, char *buf, size_t size);
/* The current task must sleep until holder releases what: -EAGAIN in a work
 * item (it is retried later), else a deadlock finding and -EDEADLK. */
int wait_blocked(struct cowfs_engine *eng, const struct task *holder, const char *what);

/* lock_page: 0; -EAGAIN in a work item; -EDEADLK (with a finding) in an operation. */
int lock_page(struct cowfs_engine *eng, struct page *page);
int trylock_page(struct cowfs_engine *eng, struct page *page);
void unlock_page(struct cowfs_engine *eng, struct page *page);
/* lock_extent_bits on [start, end] (inclusive): 0, -EAGAIN or -EDEADLK as lock_page. */
int lock_extent(struct cowfs_engine *eng, struct inode *inode, uint64_t start, uint64_t end);
void unlock_extent(struct cowfs_engine *eng, struct inode *inode, uint64_t start, uint64_t end);
/* clear_extent_bit that may include EXTENT_LOCKED held by the current task. */
void clear_extent_bits_locked(struct cowfs_engine *eng, struct inode *inode, uint64_t start,
			      uint64_t end, unsigned bits);
/* A wait for something only other tasks can release was reached while this task
 * holds locks: the lock-order invariant of §8.5. */
void assert_no_locks_for_wait(struct cowfs_engine *eng, const char *what);
/* wait_on_page_writeback: runs the page's IO work; 0, -EAGAIN or -EDEADLK. */
int wait_on_page_writeback(struct cowfs_engine *eng, struct page *page);

/* ---- messages (events.c) ---- */

uint64_t eng_line(const struct cowfs_engine *eng);
void eng_event(struct cowfs_engine *eng, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void eng_finding(struct cowfs_engine *eng, enum cowfs_finding kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Reach a schedule point: the hooks of the current operation may run here. */
void eng_point(struct cowfs_engine *eng, enum cowfs_point point, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static inline int eng_verbose(const struct cowfs_engine *eng)
{
	return eng->verbose && eng->ops.event;
}

#endif
