/* btrfs_buffered_write and its helpers (fs/btrfs/file.c v5.4:396-1760).
 *
 * Lock order: space reserved first, then the pages in ascending order, then the
 * extent range.  A short copy drops every lock and retries page at a time.
 * Before 7703bdd8d23e the pages were cleaned (and their delalloc cleared) before
 * the copy, so a page dropped in that window by reclaim lost its last write.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "cowfs/error.h"
#include "engine/file.h"
#include "engine/inode.h"
#include "engine/ordered-io.h"
#include "engine/page-ops.h"
#include "engine/readpage.h"
#include "engine/reclaim.h"
#include "engine/space-info.h"

#define LOCK_RETRY 1000		/* lock_and_cleanup_extent_if_need waited: again */
#define NR_DIRTIED_PAUSE 32	/* pages: a task's first ratelimit (128 KiB) */

static uint64_t round_down_s(uint64_t x)
{
	return x & ~(uint64_t)(SECTORSIZE - 1);
}

static uint64_t round_up_s(uint64_t x)
{
	return round_down_s(x + SECTORSIZE - 1);
}

/* The user buffer (iov_iter): bytes come from fill, by file offset. */
struct user_iov {
	cowfs_fill_fn fill;
	void *arg;
	uint64_t pos;			/* file offset of the next byte to copy */
	uint64_t left;
	uint64_t fault;			/* the first attempt copies this much */
	int attempts;
	uint64_t budget;		/* of this attempt, before the fault */
	int err;			/* from fill */
};

/* iov_iter_copy_from_user_atomic into one page. */
static uint64_t copy_atomic(struct cowfs_engine *eng, struct user_iov *iov, struct page *page,
			    unsigned offset, uint64_t count)
{
	uint64_t n = count < iov->budget ? count : iov->budget;
	int ret;

	if (!n)
		return 0;
	page_modify(eng, page, "write", 1);
	ret = iov->fill(iov->arg, iov->pos, page->data + offset, n);
	if (ret) {
		iov->err = ret;
		return 0;
	}
	iov->budget -= n;
	return n;
}

/* btrfs_copy_from_user (file.c v5.4:396) with its short-copy rule. */
static uint64_t btrfs_copy_from_user(struct cowfs_engine *eng, struct user_iov *iov,
				     uint64_t pos, uint64_t write_bytes, struct page **pages)
{
	unsigned offset = pos & (PAGE_SIZE - 1);
	uint64_t total = 0;
	size_t pg = 0;

	iov->budget = ++iov->attempts == 1 && iov->fault != COWFS_NO_FAULT ? iov->fault : UINT64_MAX;
	while (write_bytes > 0) {
		uint64_t count = write_bytes < PAGE_SIZE - offset ? write_bytes : PAGE_SIZE - offset;
		struct page *page = pages[pg];
		uint64_t copied = copy_atomic(eng, iov, page, offset, count);

		/* a partial copy into a page that is not uptodate is thrown away */
		if (!page_test(page, PG_uptodate) && copied < count)
			copied = 0;
		iov->pos += copied;
		iov->left -= copied;
		write_bytes -= copied;
		total += copied;
		if (!copied)
			break;
		if (copied < PAGE_SIZE - offset) {
			offset += copied;
		} else {
			pg++;
			offset = 0;
		}
	}
	return total;
}

static int prepare_uptodate_page(struct cowfs_engine *eng, struct inode *inode,
				 struct page *page, uint64_t pos, int force_uptodate)
{
	int ret;

	if ((!(pos & (PAGE_SIZE - 1)) && !force_uptodate) || page_test(page, PG_uptodate))
		return 0;
	ret = btrfs_readpage(eng, inode, page);
	if (ret == -COWFS_ECSUM || (!ret && !page_test(page, PG_uptodate)))
		ret = -EIO;
	return ret;
}

static void release_pages(struct cowfs_engine *eng, struct page **pages, size_t n)
{
	while (n-- > 0) {
		unlock_page(eng, pages[n]);
		put_page(pages[n]);
	}
}

/* prepare_pages (file.c v5.4:1421): locked, ascending, out of writeback. */
static int prepare_pages(struct cowfs_engine *eng, struct inode *inode, struct page **pages,
			 size_t num_pages, uint64_t pos, uint64_t write_bytes, int force_uptodate)
{
	uint64_t index = pos >> PAGE_SHIFT;

	for (size_t i = 0; i < num_pages; i++) {
		int ret;

		pages[i] = NULL;
		ret = find_or_create_page(eng, inode, index + i, &pages[i]);

		if (!ret && i == 0)
			ret = prepare_uptodate_page(eng, inode, pages[i], pos, force_uptodate);
		if (!ret && i == num_pages - 1)
			ret = prepare_uptodate_page(eng, inode, pages[i], pos + write_bytes, 0);
		if (!ret)	/* stable pages: never change one whose IO is in flight */
			ret = wait_on_page_writeback(eng, pages[i]);
		if (ret) {
			release_pages(eng, pages, i + (pages[i] && pages[i]->lock_owner == eng->current));
			return ret;
		}
	}
	return 0;
}

/* lock_and_cleanup_extent_if_need (file.c v5.4:1481): 1 if the range is locked,
 * 0 if it lies past EOF (no lock), LOCK_RETRY after an ordered wait (the pages are
 * released), or an error (pages released). */
static int lock_and_cleanup_extent_if_need(struct cowfs_engine *eng, struct inode *inode,
					   struct page **pages, size_t num_pages, uint64_t pos,
					   uint64_t write_bytes, uint64_t *lockstart,
					   uint64_t *lockend)
{
	uint64_t start_pos = round_down_s(pos);
	uint64_t last_pos = start_pos + round_up_s(pos + write_bytes - start_pos) - 1;
	int cleans = eng->profile->write_cleans_pages, ret = 0;

	if (start_pos < inode->i_size) {
		struct ordered_extent *oe;

		ret = lock_extent(eng, inode, start_pos, last_pos);
		if (ret) {
			release_pages(eng, pages, num_pages);
			return ret;
		}
		oe = lookup_ordered_range(&inode->ordered_tree, start_pos, last_pos - start_pos + 1);
		if (oe) {
			unlock_extent(eng, inode, start_pos, last_pos);
			release_pages(eng, pages, num_pages);
			ret = btrfs_start_ordered_extent(eng, inode, oe, 1);
			put_ordered_extent(oe);
			return ret ? ret : LOCK_RETRY;
		}
		if (cleans)	/* before 7703bdd8d23e */
			clear_extent_bit(&inode->io_tree, start_pos, last_pos, EXTENT_DIRTY |
					 EXTENT_DELALLOC | EXTENT_DO_ACCOUNTING | EXTENT_DEFRAG);
		*lockstart = start_pos;
		*lockend = last_pos;
		ret = 1;
	}
	for (size_t i = 0; i < num_pages; i++) {
		if (cleans)	/* the clean that 7703bdd8d23e removed */
			clear_page_dirty_for_io(eng, pages[i], "lock_and_cleanup_extent_if_need");
		page_set(pages[i], PG_private);
	}
	return ret;
}

/* btrfs_dirty_pages (file.c v5.4:515): the old accounting goes, the new delalloc
 * takes the write's reservation, the pages become uptodate and dirty. */
static int btrfs_dirty_pages(struct cowfs_engine *eng, struct inode *inode, struct page **pages,
			     size_t num_pages, uint64_t pos, uint64_t write_bytes)
{
	uint64_t start_pos = round_down_s(pos);
	uint64_t end = start_pos + round_up_s(write_bytes + pos - start_pos) - 1;
	unsigned extra_bits = 0;
	int ret;

	/* 7703bdd8d23e moved this clear here from lock_and_cleanup_extent_if_need,
	 * which before it had cleared the range already (past EOF there is no delalloc) */
	clear_extent_bit(&inode->io_tree, start_pos, end,
			 EXTENT_DELALLOC | EXTENT_DO_ACCOUNTING | EXTENT_DEFRAG);
	if (start_pos >= inode->i_size) {
		extra_bits = EXTENT_DELALLOC_NEW;
	} else {
		/* can fail with delalloc already cleared (fixed by 95ee2231896d) */
		ret = btrfs_find_new_delalloc_bytes(eng, inode, start_pos, end + 1 - start_pos);
		if (ret)
			return ret;
	}
	ret = btrfs_set_extent_delalloc(eng, inode, start_pos, end, extra_bits);
	if (ret)
		return ret;
	for (size_t i = 0; i < num_pages; i++) {
		page_set(pages[i], PG_uptodate);
		page_clear(pages[i], PG_checked);	/* 247e743cbe6e */
		set_page_dirty_fs(eng, pages[i], "btrfs_dirty_pages");
	}
	if (pos + write_bytes > inode->i_size)
		inode->i_size = pos + write_bytes;
	return 0;
}

/* btrfs_drop_pages */
static void btrfs_drop_pages(struct cowfs_engine *eng, struct page **pages, size_t num_pages)
{
	for (size_t i = 0; i < num_pages; i++) {
		page_clear(pages[i], PG_checked);	/* 4a0967527967 */
		unlock_page(eng, pages[i]);
		check_page_state(eng, pages[i], "buffered write");
		put_page(pages[i]);
	}
}

struct write_state {
	struct user_iov iov;
	struct page **pages;
	size_t nrptrs;
	int force_page_uptodate;
	uint64_t pos;
	uint64_t release_bytes;		/* reserved and not yet owned by delalloc */
};

/* After the copy: give back what was not used, dirty what was copied. */
static int account_and_dirty(struct cowfs_engine *eng, struct inode *inode,
			     struct write_state *ws, size_t num_pages, uint64_t write_bytes,
			     uint64_t reserve_bytes, uint64_t copied)
{
	uint64_t pos = ws->pos, offset = pos & (PAGE_SIZE - 1), sector_offset = offset;
	uint64_t dirty_sectors = round_up_s(copied + sector_offset) >> PAGE_SHIFT;
	uint64_t num_sectors = reserve_bytes >> PAGE_SHIFT, dirty_pages;

	if (copied < write_bytes)
		ws->nrptrs = 1;
	if (!copied) {
		ws->force_page_uptodate = 1;
		dirty_sectors = 0;
		dirty_pages = 0;
	} else {
		ws->force_page_uptodate = 0;
		dirty_pages = (copied + offset + PAGE_SIZE - 1) >> PAGE_SHIFT;
	}
	if (num_sectors > dirty_sectors) {
		ws->release_bytes -= dirty_sectors << PAGE_SHIFT;
		btrfs_delalloc_release_space(eng, round_down_s(pos) + (dirty_pages << PAGE_SHIFT),
					     ws->release_bytes);
	}
	ws->release_bytes = round_up_s(copied + sector_offset);
	(void)num_pages;
	return copied ? btrfs_dirty_pages(eng, inode, ws->pages, dirty_pages, pos, copied) : 0;
}

/* One pass of the loop: at most nrptrs pages.  Returns 0 or an error. */
static int write_chunk(struct cowfs_engine *eng, struct inode *inode, struct write_state *ws)
{
	uint64_t pos = ws->pos, offset = pos & (PAGE_SIZE - 1);
	uint64_t write_bytes = ws->nrptrs * PAGE_SIZE - offset;
	uint64_t reserve_bytes, copied, lockstart = 0, lockend = 0;
	size_t num_pages;
	int locked, ret;

	if (write_bytes > ws->iov.left)
		write_bytes = ws->iov.left;
	num_pages = (write_bytes + offset + PAGE_SIZE - 1) >> PAGE_SHIFT;
	reserve_bytes = round_up_s(write_bytes + offset);
	/* iov_iter_fault_in_readable cannot fail here: the buffer is always readable */
	ret = btrfs_check_data_free_space(eng, pos, write_bytes);
	if (ret)
		return ret;
	ret = btrfs_delalloc_reserve_metadata(eng, reserve_bytes);
	if (ret) {
		btrfs_free_reserved_data_space(eng, pos, write_bytes);
		return ret;
	}
	ws->release_bytes = reserve_bytes;
	do {
		ret = prepare_pages(eng, inode, ws->pages, num_pages, pos, write_bytes,
				    ws->force_page_uptodate);
		if (ret)
			return ret;
		locked = lock_and_cleanup_extent_if_need(eng, inode, ws->pages, num_pages, pos,
							 write_bytes, &lockstart, &lockend);
	} while (locked == LOCK_RETRY);
	if (locked < 0)
		return locked;
	copied = btrfs_copy_from_user(eng, &ws->iov, pos, write_bytes, ws->pages);
	if (copied)
		eng_point(eng, COWFS_PT_WRITE_COPIED, "pages %" PRIu64 "-%" PRIu64 " of %s",
			  pos >> PAGE_SHIFT, (pos >> PAGE_SHIFT) + num_pages - 1, inode->path);
	ret = account_and_dirty(eng, inode, ws, num_pages, write_bytes, reserve_bytes, copied);
	if (locked)
		unlock_extent(eng, inode, lockstart, lockend);
	btrfs_drop_pages(eng, ws->pages, num_pages);
	if (ret)
		return ret;
	balance_dirty_pages(eng, inode);
	ws->release_bytes = 0;
	ws->pos += copied;
	if (ws->iov.err)
		return ws->iov.err;
	if (copied < write_bytes) {
		eng->stats.write_retries++;
		eng_event(eng, "write to %s: short copy (%" PRIu64 " of %" PRIu64 " bytes), locks "
			  "dropped, retrying page at a time", inode->path, copied, write_bytes);
		eng_point(eng, COWFS_PT_WRITE_RETRY, "page %" PRIu64 " of %s", ws->pos >> PAGE_SHIFT,
			  inode->path);
	}
	return 0;
}

int btrfs_buffered_write(struct cowfs_engine *eng, struct inode *inode, uint64_t pos,
			 uint64_t len, cowfs_fill_fn fill, void *arg, uint64_t fault)
{
	struct write_state ws = {
		.iov = { .fill = fill, .arg = arg, .pos = pos, .left = len, .fault = fault },
		.pos = pos,
	};
	uint64_t want = (len + PAGE_SIZE - 1) >> PAGE_SHIFT;
	int ret = 0;

	/* btrfs_file_write_iter: a write past the block holding EOF expands first */
	if (round_down_s(pos) > inode->i_size) {
		ret = btrfs_cont_expand(eng, inode, inode->i_size);
		if (ret)
			return ret;
	}

	/* min(pages wanted, PAGE_SIZE / sizeof(page *), nr_dirtied_pause), then at
	 * least 8; nr_dirtied_pause starts at 32 pages and the model never throttles */
	ws.nrptrs = want < NR_DIRTIED_PAUSE ? want : NR_DIRTIED_PAUSE;
	if (ws.nrptrs < 8)
		ws.nrptrs = 8;
	ws.pages = calloc(ws.nrptrs, sizeof(*ws.pages));
	if (!ws.pages)
		return -ENOMEM;
	while (ws.iov.left > 0 && !ret)
		ret = write_chunk(eng, inode, &ws);
	if (ws.release_bytes)
		btrfs_delalloc_release_space(eng, round_down_s(ws.pos), ws.release_bytes);
	free(ws.pages);
	return ret;
}
