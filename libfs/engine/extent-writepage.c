/* Writeback: extent_write_cache_pages -> __extent_writepage -> writepage_delalloc
 * (find_lock_delalloc_range, cow_file_range) -> __extent_writepage_io (the start
 * hook, then the bio).  extent_io.c v5.4:3332-4101.
 *
 * Lock order, as the kernel's: the page being written, then the other pages of
 * its delalloc range in ascending order, then the range's extent lock.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "cowfs/error.h"
#include "engine/bio.h"
#include "engine/fixup.h"
#include "engine/inode.h"
#include "engine/ordered-io.h"
#include "engine/page-ops.h"
#include "engine/reclaim.h"
#include "engine/writeback.h"

#define PAGES_GONE 1	/* lock_delalloc_pages: a page of the range left or was cleaned */

static void flush_write_bio(struct cowfs_engine *eng, struct extent_page_data *epd)
{
	if (epd->bio) {
		submit_one_bio(eng, epd->bio);
		epd->bio = NULL;
	}
}

static int submit_extent_page(struct cowfs_engine *eng, struct extent_page_data *epd,
			      struct inode *inode, struct ordered_extent *oe, struct page *page,
			      uint64_t bytenr)
{
	if (epd->bio && !bio_can_add(epd->bio, inode, oe, bytenr, page_offset(page)))
		flush_write_bio(eng, epd);
	if (!epd->bio) {
		epd->bio = bio_alloc(eng, inode, oe, bytenr, page_offset(page));
		if (!epd->bio)
			return -ENOMEM;
	}
	return bio_add_page(epd->bio, page);
}

static void unlock_delalloc_pages(struct cowfs_engine *eng, struct inode *inode,
				  struct page *locked_page, uint64_t first, uint64_t stop)
{
	for (uint64_t i = first; i < stop; i++) {
		struct page *page;

		if (i == locked_page->index || !(page = find_get_page(&inode->mapping, i)))
			continue;
		unlock_page(eng, page);
		put_page(page);
	}
}

/* lock_delalloc_pages: the other pages of [start, end], ascending; each must still
 * be cached and dirty (the PAGE_LOCK check of __process_pages_contig). */
static int lock_delalloc_pages(struct cowfs_engine *eng, struct inode *inode,
			       struct page *locked_page, uint64_t start, uint64_t end)
{
	uint64_t first = start >> PAGE_SHIFT, last = end >> PAGE_SHIFT, i;
	int ret = 0;

	for (i = first; i <= last; i++) {
		struct page *page;

		if (i == locked_page->index)
			continue;
		page = find_get_page(&inode->mapping, i);
		if (!page) {
			ret = PAGES_GONE;
			break;
		}
		ret = lock_page(eng, page);
		if (!ret && !page_test(page, PG_dirty)) {
			unlock_page(eng, page);
			ret = PAGES_GONE;
		}
		put_page(page);
		if (ret)
			break;
	}
	if (ret)
		unlock_delalloc_pages(eng, inode, locked_page, first, i);
	return ret;
}

/* find_lock_delalloc_range (extent_io.c v5.4:1784): 1 with [*start, *end] locked,
 * 0 with *end at the end of what to skip, or an error from a lock. */
static int find_lock_delalloc_range(struct cowfs_engine *eng, struct inode *inode,
				    struct page *locked_page, uint64_t *start, uint64_t *end)
{
	uint64_t max_bytes = MAX_EXTENT_SIZE, delalloc_start, delalloc_end;
	int loops = 0, ret;

again:
	delalloc_start = *start;
	delalloc_end = 0;
	if (!find_delalloc_range(&inode->io_tree, &delalloc_start, &delalloc_end, max_bytes) ||
	    delalloc_end <= *start) {
		*start = delalloc_start;
		*end = delalloc_end;
		return 0;
	}
	/* pages are locked in order: nothing before the locked page */
	if (delalloc_start < *start)
		delalloc_start = *start;
	if (delalloc_end + 1 - delalloc_start > max_bytes)
		delalloc_end = delalloc_start + max_bytes - 1;
	ret = lock_delalloc_pages(eng, inode, locked_page, delalloc_start, delalloc_end);
	if (ret == PAGES_GONE) {
		if (!loops++) {
			max_bytes = PAGE_SIZE;
			goto again;
		}
		*end = page_offset(locked_page) + PAGE_SIZE - 1;
		return 0;
	}
	if (ret)
		return ret;
	ret = lock_extent(eng, inode, delalloc_start, delalloc_end);
	if (!ret && !test_range_bit(&inode->io_tree, delalloc_start, delalloc_end,
				    EXTENT_DELALLOC, 1)) {
		/* cannot change under our locks in this model; the kernel retries */
		unlock_extent(eng, inode, delalloc_start, delalloc_end);
		ret = -EIO;
	}
	if (ret) {
		unlock_delalloc_pages(eng, inode, locked_page, delalloc_start >> PAGE_SHIFT,
				      (delalloc_end >> PAGE_SHIFT) + 1);
		return ret;
	}
	*start = delalloc_start;
	*end = delalloc_end;
	return 1;
}

/* writepage_delalloc (extent_io.c v5.4:3332) */
static int writepage_delalloc(struct cowfs_engine *eng, struct inode *inode, struct page *page)
{
	uint64_t delalloc_start = page_offset(page), page_end = delalloc_start + PAGE_SIZE - 1;
	uint64_t delalloc_end = 0;

	while (delalloc_end < page_end) {
		int found = find_lock_delalloc_range(eng, inode, page, &delalloc_start,
						     &delalloc_end);
		int ret;

		if (found < 0)
			return found;
		if (found) {
			ret = cow_file_range(eng, inode, page, delalloc_start, delalloc_end);
			if (ret) {
				page_set(page, PG_error);
				return ret;
			}
		}
		if (delalloc_end == UINT64_MAX)
			break;
		delalloc_start = delalloc_end + 1;
	}
	return 0;
}

/* btrfs_get_extent for a block to write: the pinned extent map of its ordered
 * extent, or (profile none only) the committed extent, rewritten in place. */
static int map_block_for_write(struct cowfs_engine *eng, struct inode *inode, uint64_t start,
			       struct ordered_extent **oe, uint64_t *bytenr)
{
	struct cowfs_extent_map em;
	int ret;

	*oe = lookup_ordered_extent(&inode->ordered_tree, start);
	if (*oe) {
		*bytenr = (*oe)->disk_bytenr + (start - (*oe)->file_offset);
		return 1;
	}
	if (eng->profile->oob != COWFS_OOB_NONE)
		eng_finding(eng, COWFS_FINDING_INVARIANT, "block at %" PRIu64 " of %s reached IO "
			    "without an ordered extent", start, inode->path);
	/* before 247e743cbe6e: the committed extent, rewritten in place */
	ret = cowfs_get_extent(eng->fs, inode->ino, start, &em);
	if (ret)
		return ret;
	if (!em.disk_bytenr || em.compression)
		return 0;
	*bytenr = em.disk_bytenr + em.offset + (start - em.file_off);
	return 1;
}

/* __extent_writepage_io: 1 if the page was unlocked here (the start hook sent it
 * away), 0 if it is still locked, or an error. */
static int extent_writepage_io(struct cowfs_engine *eng, struct inode *inode, struct page *page,
			       struct extent_page_data *epd, uint64_t i_size)
{
	uint64_t start = page_offset(page), end = start + PAGE_SIZE - 1, bytenr = 0;
	struct ordered_extent *oe = NULL;
	int ret = writepage_cow_fixup(eng, inode, page);

	if (ret == -EAGAIN || ret == -EBUSY) {
		if (ret == -EAGAIN)	/* 247e743cbe6e, and again since 25f3c5021985 */
			redirty_page_for_writepage(eng, page);
		else
			epd->wbc->pages_skipped++;	/* 87826df0ec36: left clean */
		unlock_page(eng, page);
		return 1;
	}
	if (ret)
		return ret;
	if (i_size <= start) {
		btrfs_writepage_endio_finish_ordered(eng, inode, page, start, end, 1);
		return 0;
	}
	ret = map_block_for_write(eng, inode, start, &oe, &bytenr);
	if (ret <= 0) {
		if (ret == 0) {
			eng_event(eng, "page %" PRIu64 " of %s: no extent to write to, skipped",
				  page->index, inode->path);
			btrfs_writepage_endio_finish_ordered(eng, inode, page, start, end, 1);
		} else {
			page_set(page, PG_error);
		}
		return ret;
	}
	page_set_writeback(page);
	page_clear(page, PG_oob);
	ret = submit_extent_page(eng, epd, inode, oe, page, bytenr);
	if (oe)
		put_ordered_extent(oe);
	if (ret) {
		page_set(page, PG_error);
		page_end_writeback(page);
		return ret;
	}
	epd->wbc->pages_written++;
	if (!oe)
		eng_event(eng, "page %" PRIu64 " of %s: rewritten in place at disk %" PRIu64
			  " with no new checksum", page->index, inode->path, bytenr);
	return 0;
}

/* __extent_writepage (extent_io.c v5.4:3553); unlocks the page. */
static int extent_writepage(struct cowfs_engine *eng, struct inode *inode, struct page *page,
			    struct extent_page_data *epd)
{
	uint64_t i_size = inode->i_size, start = page_offset(page);
	uint64_t end_index = i_size >> PAGE_SHIFT, pg_offset = i_size & (PAGE_SIZE - 1);
	int ret;

	page_clear(page, PG_error);
	if (page->index > end_index || (page->index == end_index && !pg_offset)) {
		ret = btrfs_invalidatepage(eng, page);
		unlock_page(eng, page);
		return ret;
	}
	if (page->index == end_index) {
		page_modify(eng, page, "writepage zeroing past EOF", 1);
		memset(page->data + pg_offset, 0, PAGE_SIZE - pg_offset);
	}
	/* 7ca3e84980ef: a dirty page the filesystem never saw */
	if (eng->profile->oob == COWFS_OOB_REJECT && !page_test(page, PG_private)) {
		ret = -EUCLEAN;
		goto done;
	}
	page_set(page, PG_private);
	ret = writepage_delalloc(eng, inode, page);
	if (!ret) {
		ret = extent_writepage_io(eng, inode, page, epd, i_size);
		if (ret == 1)
			return 0;
	}
done:
	if (ret == -EAGAIN || ret == -EDEADLK) {
		/* the kernel would sleep here; the model gives up the page, still dirty */
		redirty_page_for_writepage(eng, page);
	} else if (ret == -EUCLEAN) {
		/* 7ca3e84980ef: cleaned, not written, the error on the mapping */
		mapping_set_error(&inode->mapping, ret);
	} else if (ret) {
		page_set(page, PG_error);
		end_extent_writepage(eng, inode, page, ret, start, start + PAGE_SIZE - 1);
	}
	unlock_page(eng, page);
	return ret;
}

/* A page the trylock missed: flush our bio first, its pages may be what the
 * holder waits for. */
static int lock_page_for_writeback(struct cowfs_engine *eng, struct extent_page_data *epd,
				   struct page *page)
{
	if (trylock_page(eng, page))
		return 0;
	flush_write_bio(eng, epd);
	return lock_page(eng, page);
}

/* extent_write_cache_pages (extent_io.c v5.4:4101) over the DIRTY index. */
static int extent_write_cache_pages(struct cowfs_engine *eng, struct inode *inode,
				    struct extent_page_data *epd)
{
	struct writeback_control *wbc = epd->wbc;
	uint64_t index = wbc->range_start >> PAGE_SHIFT, last = wbc->range_end >> PAGE_SHIFT;
	struct page *page;
	int ret = 0, err;

	while ((page = find_first_dirty_page(&inode->mapping, index)) && page->index <= last) {
		index = page->index + 1;
		get_page(page);
		err = lock_page_for_writeback(eng, epd, page);
		if (err) {
			put_page(page);
			return err;
		}
		if (wbc->sync_mode != WB_SYNC_NONE && page_test(page, PG_writeback)) {
			flush_write_bio(eng, epd);
			err = wait_on_page_writeback(eng, page);
		}
		if (err || page->mapping != &inode->mapping || page_test(page, PG_writeback) ||
		    !clear_page_dirty_for_io(eng, page, "clear_page_dirty_for_io")) {
			unlock_page(eng, page);
			put_page(page);
			if (err)
				return err;
			continue;
		}
		eng_point(eng, COWFS_PT_WRITEBACK_CLEANED, "page %" PRIu64 " of %s", page->index,
			  inode->path);
		err = extent_writepage(eng, inode, page, epd);
		put_page(page);
		/* integrity writeback goes on past a failed page (write_cache_pages), so
		 * that ordered extents set up for the pages after it get their IO */
		if (err && !ret)
			ret = err;
		if (err == -EDEADLK || err == -EAGAIN || err == -ENOMEM ||
		    (err && wbc->sync_mode == WB_SYNC_NONE))
			break;
	}
	return ret;
}

int extent_writepages(struct cowfs_engine *eng, struct inode *inode,
		      struct writeback_control *wbc)
{
	struct extent_page_data epd = { NULL, wbc };
	int ret;

	if (!inode->mapping.nrdirty)
		return 0;
	ret = extent_write_cache_pages(eng, inode, &epd);
	flush_write_bio(eng, &epd);
	return ret;
}

int btrfs_fdatawrite_range(struct cowfs_engine *eng, struct inode *inode, uint64_t start,
			   uint64_t end)
{
	struct writeback_control wbc = { .sync_mode = WB_SYNC_ALL, .range_start = start,
					 .range_end = end };

	return extent_writepages(eng, inode, &wbc);
}
