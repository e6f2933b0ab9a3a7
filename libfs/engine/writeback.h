/* Writeback: extent_write_cache_pages and what it calls (extent_io.c, inode.c v5.4). */
#ifndef COWFS_ENGINE_WRITEBACK_H
#define COWFS_ENGINE_WRITEBACK_H

#include <stdint.h>

#include "engine/fs-info.h"

enum { WB_SYNC_NONE, WB_SYNC_ALL };

struct writeback_control {
	int sync_mode;
	uint64_t range_start;		/* bytes, inclusive */
	uint64_t range_end;
	uint64_t pages_skipped;
	uint64_t pages_written;		/* handed to a bio */
};

struct bio;

struct extent_page_data {
	struct bio *bio;		/* being built */
	struct writeback_control *wbc;
};

/* extent_writepages: write back the dirty pages of wbc's range and submit the
 * bios.  0, or the first error (-EDEADLK, -EAGAIN in a work item, -EIO...). */
int extent_writepages(struct cowfs_engine *eng, struct inode *inode,
		      struct writeback_control *wbc);
/* btrfs_fdatawrite_range: extent_writepages in WB_SYNC_ALL mode on [start, end]. */
int btrfs_fdatawrite_range(struct cowfs_engine *eng, struct inode *inode, uint64_t start,
			   uint64_t end);

/* Page ops of extent_clear_unlock_delalloc (__process_pages_contig). */
#define PAGE_UNLOCK		(1u << 0)
#define PAGE_CLEAR_DIRTY	(1u << 1)
#define PAGE_SET_WRITEBACK	(1u << 2)
#define PAGE_END_WRITEBACK	(1u << 3)
#define PAGE_SET_PRIVATE2	(1u << 4)

/* extent_clear_unlock_delalloc: clear bits on [start, end], then apply page_ops
 * to its cached pages (locked_page keeps its lock and dirty state). */
void extent_clear_unlock_delalloc(struct cowfs_engine *eng, struct inode *inode, uint64_t start,
				  uint64_t end, struct page *locked_page, unsigned clear_bits,
				  unsigned page_ops);
/* cow_file_range (inode.c v5.4:973): allocate [start, end] (locked and delalloc,
 * pages locked), create the ordered extents, set Private2, unlock. */
int cow_file_range(struct cowfs_engine *eng, struct inode *inode, struct page *locked_page,
		   uint64_t start, uint64_t end);

#endif
