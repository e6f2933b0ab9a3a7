/* Ordered extents at work: IO completion, btrfs_finish_ordered_io, the waits. */
#ifndef COWFS_ENGINE_ORDERED_IO_H
#define COWFS_ENGINE_ORDERED_IO_H

#include <stdint.h>

#include "engine/fs-info.h"

/* btrfs_writepage_endio_finish_ordered: the IO of [start, end] of page ended (or
 * will never happen); the last bytes of an ordered extent queue its finish. */
void btrfs_writepage_endio_finish_ordered(struct cowfs_engine *eng, struct inode *inode,
					  struct page *page, uint64_t start, uint64_t end,
					  int uptodate);
/* end_extent_writepage: as above, and an error marks the page and the mapping. */
void end_extent_writepage(struct cowfs_engine *eng, struct inode *inode, struct page *page,
			  int err, uint64_t start, uint64_t end);
/* Queue btrfs_finish_ordered_io on endio_write_workers. */
void queue_finish_ordered(struct cowfs_engine *eng, struct ordered_extent *oe);

/* Run the work oe waits for until it is COMPLETE: 0, -EAGAIN or -EDEADLK. */
int wait_ordered_extent(struct cowfs_engine *eng, struct ordered_extent *oe);
/* btrfs_start_ordered_extent: write back its dirty pages, then wait if asked:
 * 0, -EAGAIN or -EDEADLK. */
int btrfs_start_ordered_extent(struct cowfs_engine *eng, struct inode *inode,
			       struct ordered_extent *oe, int wait);
/* btrfs_wait_ordered_range: write back [start, start + len), wait for the IO and
 * for every ordered extent in it.  -EIO if one failed. */
int btrfs_wait_ordered_range(struct cowfs_engine *eng, struct inode *inode, uint64_t start,
			     uint64_t len);
/* filemap_fdatawait_range on [start, end] (inclusive). */
int filemap_fdatawait_range(struct cowfs_engine *eng, struct inode *inode, uint64_t start,
			    uint64_t end);
/* Wait for every ordered extent of the inode; start_io: write back its dirty
 * pages first, as btrfs_start_ordered_extent does. */
int wait_all_ordered(struct cowfs_engine *eng, struct inode *inode, int start_io);

#endif
