/* Reads through the cache: btrfs_readpage with checksum verification. */
#ifndef COWFS_ENGINE_READPAGE_H
#define COWFS_ENGINE_READPAGE_H

#include <stdint.h>

#include "engine/fs-info.h"

/*
 * btrfs_readpage of a page locked by the current task.  A block of a pending
 * ordered extent is read at its new location and checked against the
 * extent's in-memory csums, as btrfs_lookup_bio_sums asks btrfs_find_ordered_sum
 * first; any other through the committed extents and the csum tree.  A
 * mismatch fills the page with 0x01 (as __readpage_endio_check), leaves it not
 * uptodate, reports a finding and returns -COWFS_ECSUM.  A PageChecked page
 * (a fixup queued for it) is read unverified and loses the flag, as
 * btrfs_readpage_end_io_hook does; holes and compressed extents excepted.
 */
int btrfs_readpage(struct cowfs_engine *eng, struct inode *inode, struct page *page);

/* The page at index, uptodate, referenced and unlocked (filemap_fault).  On
 * -COWFS_ECSUM the page is returned as well, holding 0x01 bytes. */
int read_cache_page(struct cowfs_engine *eng, struct inode *inode, uint64_t index,
		    struct page **out);

/* The read operation: bytes [off, off + len) clipped at i_size into buf. */
int engine_read(struct cowfs_engine *eng, struct inode *inode, uint64_t off, uint64_t len,
		uint8_t *buf, uint64_t *nread);

#endif
