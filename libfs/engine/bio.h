/* Write bios: a run of pages contiguous in the file and on disk, in one ordered
 * extent, built by writeback and taken through two work items.
 *
 * submit (btrfs_submit_bio_start on fs_info->workers): btrfs_csum_one_bio hashes
 * the pages as they are *now* into the ordered extent, then hands the bio to
 * the device.  Under fsync (inode->sync_writers) this happens inline, as
 * btrfs_submit_bio_hook does for sync writers.
 * io (the device, then end_bio_extent_writepage): the device reads the pages as
 * they are now, writes them with cowfs_write_data, and each page ends
 * writeback; the last bytes of an ordered extent queue finish_ordered_io.
 * A page changed between the two stages is written with checksums of its old
 * contents: the checksum error stable pages exist to prevent.
 */
#ifndef COWFS_ENGINE_BIO_H
#define COWFS_ENGINE_BIO_H

#include <stdint.h>

#include "engine/fs-info.h"

#define BIO_MAX_PAGES 256	/* 1 MiB, the largest extent */

enum bio_stage { BIO_BUILDING, BIO_SUBMIT_QUEUED, BIO_IN_FLIGHT, BIO_ENDED };

struct bio {
	struct cowfs_engine *eng;
	struct inode *inode;
	struct ordered_extent *oe;	/* NULL: an in-place write (profile none) */
	uint64_t disk_bytenr;		/* of pages[0] */
	uint64_t file_offset;		/* of pages[0] */
	struct page **pages;
	unsigned nr_pages, cap;
	enum bio_stage stage;
	struct task *builder;
	struct work submit_work;
	struct work io_work;
	int refs;
	struct bio *oe_next;		/* the ordered extent's bios in flight */
};

/* A new bio of inode (referenced) at disk_bytenr for file_offset, or NULL. */
struct bio *bio_alloc(struct cowfs_engine *eng, struct inode *inode, struct ordered_extent *oe,
		      uint64_t disk_bytenr, uint64_t file_offset);
/* 1 if page (the next in file and disk order) fits, 0 if the bio is full or the
 * page is not contiguous. */
int bio_can_add(const struct bio *bio, const struct inode *inode,
		const struct ordered_extent *oe, uint64_t disk_bytenr, uint64_t file_offset);
/* Add a page under writeback.  0 or -ENOMEM. */
int bio_add_page(struct bio *bio, struct page *page);
/* btrfs_submit_bio_hook: queue the checksumming (or do it inline), then the IO. */
void submit_one_bio(struct cowfs_engine *eng, struct bio *bio);
/* Free a bio never submitted (its pages must have left it). */
void bio_abandon(struct bio *bio);

/* The queued work that would move the bio on, or NULL. */
struct work *bio_pending_work(struct bio *bio);
/* The task holding the bio back: its builder or the worker running it. */
const struct task *bio_holder(const struct bio *bio);

/* end_page_writeback: the IO no longer reads the page. */
void end_page_writeback(struct page *page);

/* Queue w, or run it at once if the queue cannot grow. */
void eng_queue_work(struct cowfs_engine *eng, struct workqueue *wq, struct work *w);

#endif
