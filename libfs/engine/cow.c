/* cow_file_range and extent_clear_unlock_delalloc (inode.c, extent_io.c v5.4). */
#include <errno.h>
#include <inttypes.h>

#include "cowfs/error.h"
#include "engine/inode.h"
#include "engine/page-ops.h"
#include "engine/space-info.h"
#include "engine/writeback.h"

void extent_clear_unlock_delalloc(struct cowfs_engine *eng, struct inode *inode, uint64_t start,
				  uint64_t end, struct page *locked_page, unsigned clear_bits,
				  unsigned page_ops)
{
	clear_extent_bits_locked(eng, inode, start, end, clear_bits);
	for (uint64_t index = start >> PAGE_SHIFT; index <= end >> PAGE_SHIFT; index++) {
		struct page *page = find_get_page(&inode->mapping, index);

		if (!page)
			continue;
		if (page_ops & PAGE_SET_PRIVATE2)
			page_set(page, PG_private_2);
		if (page != locked_page) {
			if (page_ops & PAGE_CLEAR_DIRTY)
				clear_page_dirty_for_io(eng, page, "cow_file_range error");
			if (page_ops & PAGE_UNLOCK)
				unlock_page(eng, page);
		}
		put_page(page);
	}
}

/* btrfs_reserve_extent: on ENOSPC retry with half the size, down to a block. */
static int reserve_extent(struct cowfs_engine *eng, uint64_t want, uint64_t *bytenr,
			  uint64_t *got)
{
	int ret;

	for (;;) {
		ret = cowfs_reserve_extent(eng->fs, want, bytenr);
		if (ret != -ENOSPC || want <= SECTORSIZE)
			break;
		want = (want / 2) & ~(uint64_t)(SECTORSIZE - 1);
	}
	if (!ret)
		*got = want;
	return ret;
}

/* The error path: the range's pages are cleaned (their data dropped, the error
 * on the mapping) so that writeback does not retry them forever. */
static void cow_file_range_failed(struct cowfs_engine *eng, struct inode *inode,
				  struct page *locked_page, uint64_t start, uint64_t end,
				  uint64_t reserved_len, int ret)
{
	unsigned clear_bits = EXTENT_LOCKED | EXTENT_DELALLOC | EXTENT_DELALLOC_NEW |
			      EXTENT_DEFRAG | EXTENT_CLEAR_META_RESV;
	unsigned page_ops = PAGE_UNLOCK | PAGE_CLEAR_DIRTY | PAGE_SET_WRITEBACK |
			    PAGE_END_WRITEBACK;

	/* an allocated chunk already consumed its data reservation */
	if (reserved_len) {
		extent_clear_unlock_delalloc(eng, inode, start, start + reserved_len - 1,
					     locked_page, clear_bits, page_ops);
		start += reserved_len;
	}
	if (start <= end)
		extent_clear_unlock_delalloc(eng, inode, start, end, locked_page,
					     clear_bits | EXTENT_CLEAR_DATA_RESV, page_ops);
	mapping_set_error(&inode->mapping, ret);
	eng_finding(eng, COWFS_FINDING_IOERR, "writeback of [%" PRIu64 ", %" PRIu64 "] of %s "
		    "failed, its pages dropped: %s", start, end, inode->path, cowfs_strerror(ret));
}

int cow_file_range(struct cowfs_engine *eng, struct inode *inode, struct page *locked_page,
		   uint64_t start, uint64_t end)
{
	uint64_t num_bytes = ((end - start + 1) + SECTORSIZE - 1) & ~(uint64_t)(SECTORSIZE - 1);

	while (num_bytes > 0) {
		uint64_t bytenr, got = 0;
		struct ordered_extent *oe;
		int ret = reserve_extent(eng, num_bytes < MAX_EXTENT_SIZE ? num_bytes : MAX_EXTENT_SIZE,
					 &bytenr, &got);

		if (ret) {
			cow_file_range_failed(eng, inode, locked_page, start, end, 0, ret);
			return ret;
		}
		btrfs_convert_data_reservation(eng, got);
		ret = add_ordered_extent(&inode->ordered_tree, inode, start, bytenr, got, &oe);
		if (ret) {
			cowfs_free_reserved_extent(eng->fs, bytenr, got);
			eng_finding(eng, COWFS_FINDING_INVARIANT, "ordered extent [%" PRIu64 ", %" PRIu64
				    ") of %s: %s", start, start + got, inode->path, cowfs_strerror(ret));
			cow_file_range_failed(eng, inode, locked_page, start, end, got, ret);
			return ret;
		}
		eng->stats.ordered_extents++;
		eng_event(eng, "ordered extent [%" PRIu64 ", %" PRIu64 ") of %s at disk %" PRIu64
			  " (cow_file_range)", start, start + got, inode->path, bytenr);
		/* DELALLOC goes without EXTENT_DO_ACCOUNTING: the ordered extent owns the
		 * reservation now; every page gets Private2, "set up for IO" (8b62b72b26bc),
		 * and stays dirty for the write_cache_pages walk to reach */
		extent_clear_unlock_delalloc(eng, inode, start, start + got - 1, locked_page,
					     EXTENT_LOCKED | EXTENT_DELALLOC,
					     PAGE_UNLOCK | PAGE_SET_PRIVATE2);
		num_bytes -= got;
		start += got;
	}
	return 0;
}
