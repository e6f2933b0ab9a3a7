/* Invalidation: btrfs_invalidatepage, truncate, btrfs_truncate_block, eviction. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "engine/inode.h"
#include "engine/ordered-io.h"
#include "engine/page-ops.h"
#include "engine/readpage.h"
#include "engine/reclaim.h"
#include "engine/space-info.h"
#include "engine/writeback.h"

#define INVALIDATE_BITS (EXTENT_DELALLOC | EXTENT_DELALLOC_NEW | EXTENT_LOCKED | \
			 EXTENT_DO_ACCOUNTING | EXTENT_DEFRAG)

/* The ordered extents over the page: the part this page never sent is truncated
 * off (whoever clears Private2 finishes that part). */
static void invalidate_ordered(struct cowfs_engine *eng, struct inode *inode, struct page *page)
{
	uint64_t start = page_offset(page), page_end = start + PAGE_SIZE - 1;
	struct ordered_extent *oe;

	while (start <= page_end &&
	       (oe = lookup_ordered_range(&inode->ordered_tree, start, page_end - start + 1))) {
		uint64_t end = ordered_end(oe) - 1 < page_end ? ordered_end(oe) - 1 : page_end;

		if (oe->file_offset > start)
			start = oe->file_offset;
		clear_extent_bits_locked(eng, inode, start, end, INVALIDATE_BITS);
		if (page_test_clear(page, PG_private_2)) {
			uint64_t new_len = start - oe->file_offset;

			oe->flags |= BTRFS_ORDERED_TRUNCATED;
			if (new_len < oe->truncated_len)
				oe->truncated_len = new_len;
			eng_event(eng, "ordered extent [%" PRIu64 ", %" PRIu64 ") of %s truncated to %"
				  PRIu64 " bytes", oe->file_offset, ordered_end(oe), inode->path,
				  oe->truncated_len);
			/* v5.4 runs btrfs_finish_ordered_io here directly; queued, it runs
			 * when truncate or eviction waits for the range, before they return */
			if (dec_test_ordered_pending(oe, start, end - start + 1, 1) == 1)
				queue_finish_ordered(eng, oe);
		}
		put_ordered_extent(oe);
		lock_extent(eng, inode, start, end);	/* released just above: cannot fail */
		start = end + 1;
	}
}

int btrfs_invalidatepage(struct cowfs_engine *eng, struct page *page)
{
	struct inode *inode = page_inode(page);
	uint64_t start = page_offset(page), end = start + PAGE_SIZE - 1;
	int ret = wait_on_page_writeback(eng, page);

	if (!ret)
		ret = lock_extent(eng, inode, start, end);
	if (ret)
		return ret;
	invalidate_ordered(eng, inode, page);
	clear_extent_bits_locked(eng, inode, start, end, INVALIDATE_BITS);
	page_clear(page, PG_checked);
	page_clear(page, PG_private);
	return 0;
}

static int truncate_one_page(struct cowfs_engine *eng, struct inode *inode, struct page *page)
{
	int ret = lock_page(eng, page);

	if (ret)
		return ret;
	if (page->mapping == &inode->mapping) {
		ret = btrfs_invalidatepage(eng, page);
		if (!ret) {
			eng_event(eng, "page %" PRIu64 " of %s: dropped (truncate)", page->index,
				  inode->path);
			delete_from_page_cache(page);
		}
	}
	unlock_page(eng, page);
	return ret;
}

int truncate_inode_pages(struct cowfs_engine *eng, struct inode *inode, uint64_t lstart)
{
	uint64_t index = (lstart + PAGE_SIZE - 1) >> PAGE_SHIFT;
	uint64_t partial = lstart & (PAGE_SIZE - 1);
	struct page *page;
	int ret = 0;

	while (!ret && (page = find_first_page(&inode->mapping, index))) {
		index = page->index + 1;
		get_page(page);
		ret = truncate_one_page(eng, inode, page);
		put_page(page);
	}
	if (ret || !partial || !(page = find_get_page(&inode->mapping, lstart >> PAGE_SHIFT)))
		return ret;
	ret = lock_page(eng, page);
	if (!ret) {
		ret = wait_on_page_writeback(eng, page);
		if (!ret) {
			page_modify(eng, page, "truncate", 1);
			memset(page->data + partial, 0, PAGE_SIZE - partial);
		}
		unlock_page(eng, page);
	}
	put_page(page);
	return ret;
}

/* The block is locked and uptodate; wait out ordered IO, then zero and dirty. */
static int truncate_block_locked(struct cowfs_engine *eng, struct inode *inode,
				 struct page *page, uint64_t from)
{
	uint64_t start = from & ~(uint64_t)(SECTORSIZE - 1), end = start + SECTORSIZE - 1;
	unsigned offset = from & (SECTORSIZE - 1);
	struct ordered_extent *oe;
	int ret = wait_on_page_writeback(eng, page);

	if (!ret)
		ret = lock_extent(eng, inode, start, end);
	if (ret)
		return ret;
	page_set(page, PG_private);
	oe = lookup_ordered_extent(&inode->ordered_tree, start);
	if (oe) {
		unlock_extent(eng, inode, start, end);
		unlock_page(eng, page);
		ret = btrfs_start_ordered_extent(eng, inode, oe, 1);
		put_ordered_extent(oe);
		return ret ? ret : 1;
	}
	clear_extent_bit(&inode->io_tree, start, end,
			 EXTENT_DIRTY | EXTENT_DELALLOC | EXTENT_DO_ACCOUNTING | EXTENT_DEFRAG);
	ret = btrfs_set_extent_delalloc(eng, inode, start, end, 0);
	if (!ret) {
		page_modify(eng, page, "truncate", 1);
		memset(page->data + offset, 0, SECTORSIZE - offset);
		page_clear(page, PG_checked);
		set_page_dirty_fs(eng, page, "btrfs_truncate_block");
	}
	unlock_extent(eng, inode, start, end);
	return ret;
}

int btrfs_truncate_block(struct cowfs_engine *eng, struct inode *inode, uint64_t from)
{
	uint64_t start = from & ~(uint64_t)(SECTORSIZE - 1);
	struct page *page;
	int ret;

	if (!(from & (SECTORSIZE - 1)))
		return 0;
	ret = btrfs_delalloc_reserve_space(eng, start, SECTORSIZE);
	if (ret)
		return ret;
	do {
		ret = find_or_create_page(eng, inode, from >> PAGE_SHIFT, &page);
		if (ret)
			break;
		if (!page_test(page, PG_uptodate))
			ret = btrfs_readpage(eng, inode, page);
		if (!ret)
			ret = truncate_block_locked(eng, inode, page, from);
		if (page_test(page, PG_locked) && page->lock_owner == eng->current)
			unlock_page(eng, page);
		put_page(page);
	} while (ret == 1);
	if (ret)
		btrfs_delalloc_release_space(eng, start, SECTORSIZE);
	return ret;
}

int btrfs_cont_expand(struct cowfs_engine *eng, struct inode *inode, uint64_t oldsize)
{
	/* holes need no item in cowfs: only the old tail block's stale bytes matter */
	return btrfs_truncate_block(eng, inode, oldsize);
}

int btrfs_setsize(struct cowfs_engine *eng, struct inode *inode, uint64_t newsize)
{
	uint64_t oldsize = inode->i_size;
	int ret;

	if (newsize == oldsize)
		return 0;
	if (newsize > oldsize) {
		ret = btrfs_cont_expand(eng, inode, oldsize);
		if (ret)
			return ret;
		inode->i_size = newsize;
		/* "btrfs: replace all uses of btrfs_ordered_update_i_size" (2020) */
		if (eng->profile->disk_i_size_no_holes)
			inode->disk_i_size = newsize;	/* btrfs_inode_safe_disk_i_size_write */
		else	/* v5.4 btrfs_setsize */
			ordered_update_i_size(&inode->ordered_tree, newsize, NULL, newsize,
					      &inode->disk_i_size);
		return btrfs_update_inode(eng, inode);
	}
	inode->i_size = newsize;	/* truncate_setsize */
	ret = truncate_inode_pages(eng, inode, newsize);
	if (!ret)	/* btrfs_truncate */
		ret = btrfs_wait_ordered_range(eng, inode, newsize & ~(uint64_t)(SECTORSIZE - 1),
					       UINT64_MAX);
	/* btrfs_truncate_inode_items drops every extent past the new size, whatever
	 * size the inode item had (an ordered extent may just have set it) */
	if (!ret)
		ret = cowfs_drop_extents(eng->fs, inode->ino,
					 (newsize + SECTORSIZE - 1) & ~(uint64_t)(SECTORSIZE - 1),
					 UINT64_MAX);
	if (!ret)
		ret = cowfs_truncate(eng->fs, inode->ino, newsize);
	if (!ret)
		inode->disk_i_size = newsize;
	return ret;
}

int evict_inode(struct cowfs_engine *eng, struct inode *inode)
{
	int ret = truncate_inode_pages(eng, inode, 0);

	if (ret)
		return ret;
	/* evict_inode_truncate_pages: whatever delalloc has no page any more */
	clear_extent_bit(&inode->io_tree, 0, UINT64_MAX,
			 EXTENT_DIRTY | EXTENT_DELALLOC | EXTENT_DO_ACCOUNTING | EXTENT_DEFRAG);
	return wait_all_ordered(eng, inode, 0);
}
