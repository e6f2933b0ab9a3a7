/* Reclaim: which pages memory pressure may take (btrfs_releasepage). */
#include <errno.h>
#include <inttypes.h>

#include "engine/inode.h"
#include "engine/reclaim.h"
#include "engine/writeback.h"

#define ALL_EXTENT_BITS ((EXTENT_DELALLOC_NEW << 1) - 1)
#define SCAN_BATCH 32	/* SWAP_CLUSTER_MAX */

struct release_ctx {
	struct cowfs_engine *eng;
	const char *why;
};

/* btrfs_releasepage (inode.c v5.4:8995) -> try_release_extent_state: refuses
 * dirty and writeback pages (the page cache checked those) and a locked range;
 * everything else on the range goes, reservations included. */
static int btrfs_releasepage(void *arg, struct page *page)
{
	struct release_ctx *ctx = arg;
	struct inode *inode = page_inode(page);
	uint64_t start = page_offset(page), end = start + PAGE_SIZE - 1;

	if (test_range_bit(&inode->io_tree, start, end, EXTENT_LOCKED, 0))
		return 0;
	clear_extent_bit(&inode->io_tree, start, end,
			 ALL_EXTENT_BITS & ~(EXTENT_LOCKED | EXTENT_NODATASUM));
	page_clear(page, PG_private);
	ctx->eng->stats.pages_reclaimed++;
	eng_event(ctx->eng, "page %" PRIu64 " of %s: evicted (%s)", page->index, inode->path,
		  ctx->why);
	return 1;
}

uint64_t reclaim_pages(struct cowfs_engine *eng, struct inode *inode, uint64_t max)
{
	struct release_ctx ctx = { eng, "reclaim" };

	return page_cache_reclaim(&eng->cache, inode ? &inode->mapping : NULL, max, UINT64_MAX,
				  0, btrfs_releasepage, &ctx);
}

void shrink_cache_to_budget(struct cowfs_engine *eng)
{
	struct release_ctx ctx = { eng, "memory pressure" };
	struct page_cache *cache = &eng->cache;

	uint64_t over;

	if (cache->nr_pages <= cache->budget)
		return;
	/* a bounded look, as shrink_page_list's batches: what cannot go is rotated */
	over = cache->nr_pages - cache->budget;
	page_cache_reclaim(cache, NULL, over, 2 * over + SCAN_BATCH, 1, btrfs_releasepage, &ctx);
}

static int over(const struct page_cache *cache, uint64_t limit)
{
	return cache->nr_dirty + cache->nr_writeback > limit;
}

/* IO work (not fixups) of inode, or of every inode when arg is the engine. */
struct io_filter {
	struct cowfs_engine *eng;
	struct inode *inode;
};

static int io_work_of(void *arg, const struct work *w)
{
	struct io_filter *f = arg;

	return (!f->inode || w->inode == f->inode) && w->wq != &f->eng->fixup_workers;
}

/* Write back (WB_SYNC_NONE) and run IO work until under the limit: 0 or -EDEADLK. */
static int flush_some(struct cowfs_engine *eng, struct inode *inode, uint64_t limit)
{
	struct writeback_control wbc = { .sync_mode = WB_SYNC_NONE, .range_end = UINT64_MAX };
	struct io_filter f = { eng, inode };

	if (extent_writepages(eng, inode, &wbc) == -EDEADLK)
		return -EDEADLK;
	while (over(&eng->cache, limit))
		if (!executor_run(&eng->ex, 1, io_work_of, &f))
			break;
	return 0;
}

/* The flusher's pass over every file, IO work only: 0 or -EDEADLK. */
static int flush_all(struct cowfs_engine *eng, uint64_t limit)
{
	struct inode *inode;
	uint64_t ino = 0;

	while (over(&eng->cache, limit) && (inode = eng_inode_next(eng, ino))) {
		int ret;

		ino = inode->ino;
		ihold(inode);
		ret = flush_some(eng, inode, limit);
		iput(inode);
		if (ret)
			return ret;
	}
	return 0;
}

void balance_dirty_pages(struct cowfs_engine *eng, struct inode *inode)
{
	struct page_cache *cache = &eng->cache;
	uint64_t limit = cache->budget / 2;

	if (!over(cache, cache->budget))
		return;
	eng_event(eng, "balance_dirty_pages: %" PRIu64 " dirty and %" PRIu64 " writeback pages "
		  "fill the cache, writing back", cache->nr_dirty, cache->nr_writeback);
	if (flush_some(eng, inode, limit) || flush_all(eng, limit))
		return;
	/* what is left waits for fixups, which run beside the flusher in the kernel */
	if (over(cache, limit) && executor_run(&eng->ex, UINT64_MAX, NULL, NULL))
		flush_all(eng, limit);
	shrink_cache_to_budget(eng);
}
