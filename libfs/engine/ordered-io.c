/* Ordered extents at work: see ordered-io.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "cowfs/error.h"
#include "engine/bio.h"
#include "engine/inode.h"
#include "engine/ordered-io.h"
#include "engine/space-info.h"
#include "engine/writeback.h"

struct finish_work {
	struct work work;
	struct cowfs_engine *eng;
	struct ordered_extent *oe;
};

void btrfs_writepage_endio_finish_ordered(struct cowfs_engine *eng, struct inode *inode,
					  struct page *page, uint64_t start, uint64_t end,
					  int uptodate)
{
	struct ordered_extent *oe;

	if (page)
		page_clear(page, PG_private_2);
	oe = lookup_ordered_extent(&inode->ordered_tree, start);
	if (!oe)
		return;
	if (dec_test_ordered_pending(oe, start, end - start + 1, uptodate) == 1)
		queue_finish_ordered(eng, oe);
	put_ordered_extent(oe);
}

void end_extent_writepage(struct cowfs_engine *eng, struct inode *inode, struct page *page,
			  int err, uint64_t start, uint64_t end)
{
	btrfs_writepage_endio_finish_ordered(eng, inode, page, start, end, !err);
	if (!err)
		return;
	page_clear(page, PG_uptodate);
	page_set(page, PG_error);
	mapping_set_error(page->mapping, err < 0 ? err : -EIO);
}

/* insert_reserved_file_extent + add_pending_csums: one call to the disk, which
 * takes the csums when the extent is new.  A truncated extent keeps only its
 * written head; the rest of the reservation goes back. */
static int insert_reserved_file_extent(struct cowfs_engine *eng, struct inode *inode,
				       struct ordered_extent *oe, uint64_t logical_len,
				       uint64_t *reserved)
{
	uint64_t len = (logical_len + SECTORSIZE - 1) & ~(uint64_t)(SECTORSIZE - 1);
	struct cowfs_extent_map em = {
		.file_off = oe->file_offset, .len = len, .disk_bytenr = oe->disk_bytenr,
		.disk_num_bytes = len, .ram_bytes = len,
	};

	for (uint64_t i = 0; i < len >> PAGE_SHIFT; i++) {
		if (!oe->csum_done[i]) {
			eng_finding(eng, COWFS_FINDING_INVARIANT,
				    "ordered extent [%" PRIu64 ", %" PRIu64 ") of %s finished with "
				    "block %" PRIu64 " never written", oe->file_offset,
				    ordered_end(oe), inode->path, i);
			break;
		}
	}
	if (len < *reserved) {
		cowfs_free_reserved_extent(eng->fs, oe->disk_bytenr + len, *reserved - len);
		*reserved = len;
	}
	return cowfs_insert_file_extent(eng->fs, inode->ino, &em, oe->csums);
}

/* The inode item's size once oe's file extent is in.  Before "btrfs: replace all
 * uses of btrfs_ordered_update_i_size" (2020) it stops at the first unfinished
 * ordered extent below; since then, on a NO_HOLES filesystem (cowfs has no hole
 * items), btrfs_inode_safe_disk_i_size_write takes i_size as it is. */
static int update_disk_i_size(struct cowfs_engine *eng, struct inode *inode,
			      struct ordered_extent *oe)
{
	if (eng->profile->disk_i_size_no_holes)
		inode->disk_i_size = inode->i_size;
	else if (ordered_update_i_size(&inode->ordered_tree, 0, oe, inode->i_size,
				       &inode->disk_i_size))
		return 0;
	return btrfs_update_inode(eng, inode);
}

/* btrfs_finish_ordered_io (inode.c v5.4:3191): the tree changes join the running
 * transaction; nothing of it is durable before that commits. */
static int finish_ordered_fn(struct work *w)
{
	struct finish_work *fw = (struct finish_work *)w;
	struct cowfs_engine *eng = fw->eng;
	struct ordered_extent *oe = fw->oe;
	struct inode *inode = oe->inode;
	uint64_t start = oe->file_offset, end = ordered_end(oe) - 1;
	uint64_t logical_len = oe->num_bytes, reserved = oe->disk_num_bytes;
	int ret = 0, inserted = 0;

	if (oe->flags & BTRFS_ORDERED_IOERR) {
		ret = -EIO;
		goto out;
	}
	if (oe->flags & BTRFS_ORDERED_TRUNCATED) {
		logical_len = oe->truncated_len;
		if (!logical_len)
			goto out;
	}
	ret = lock_extent(eng, inode, start, end);
	if (ret)
		return ret;
	ret = insert_reserved_file_extent(eng, inode, oe, logical_len, &reserved);
	if (!ret) {
		inserted = 1;
		ret = update_disk_i_size(eng, inode, oe);
	}
	clear_extent_bits_locked(eng, inode, start, end,
				 EXTENT_LOCKED | EXTENT_DEFRAG | EXTENT_DELALLOC_NEW);
out:
	if (!inserted)
		cowfs_free_reserved_extent(eng->fs, oe->disk_bytenr, reserved);
	if (ret) {
		mapping_set_error(&inode->mapping, ret);
		eng_finding(eng, COWFS_FINDING_IOERR, "data of [%" PRIu64 ", %" PRIu64 ") of %s lost: %s",
			    start, end + 1, inode->path, cowfs_strerror(ret));
	}
	eng_event(eng, "ordered extent [%" PRIu64 ", %" PRIu64 ") of %s finished%s", start, end + 1,
		  inode->path, inserted ? ": file extent in the running transaction" : "");
	remove_ordered_extent(&inode->ordered_tree, oe);
	btrfs_delalloc_release_metadata(eng, oe->num_bytes);
	return 0;
}

static void finish_release(struct work *w)
{
	struct finish_work *fw = (struct finish_work *)w;

	fw->oe->finish_work = NULL;
	put_ordered_extent(fw->oe);
	free(fw);
}

void queue_finish_ordered(struct cowfs_engine *eng, struct ordered_extent *oe)
{
	struct finish_work *fw = calloc(1, sizeof(*fw));

	if (!fw) {
		eng_finding(eng, COWFS_FINDING_INVARIANT, "out of memory finishing an ordered extent");
		return;
	}
	fw->eng = eng;
	fw->oe = oe;
	get_ordered_extent(oe);
	oe->finish_work = &fw->work;
	init_work(&fw->work, "finish_ordered_io", finish_ordered_fn, finish_release, oe->inode,
		  eng_line(eng));
	eng_queue_work(eng, &eng->endio_write_workers, &fw->work);
}

/* The queued work an ordered extent waits for, and else who holds it back. */
static struct work *ordered_pending_work(struct ordered_extent *oe, const struct task **holder)
{
	struct work *fin = oe->finish_work;

	*holder = NULL;
	if (fin) {
		if (fin->state == WORK_QUEUED)
			return fin;
		*holder = fin->task;
	}
	for (struct bio *bio = oe->bios; bio; bio = bio->oe_next) {
		struct work *w = bio_pending_work(bio);

		if (w)
			return w;
		if (!*holder)
			*holder = bio_holder(bio);
	}
	return NULL;
}

int wait_ordered_extent(struct cowfs_engine *eng, struct ordered_extent *oe)
{
	int ret = 0;

	get_ordered_extent(oe);
	assert_no_locks_for_wait(eng, "an ordered extent");
	while (!(oe->flags & BTRFS_ORDERED_COMPLETE)) {
		const struct task *holder;
		struct work *w = ordered_pending_work(oe, &holder);
		char what[128];

		if (w && executor_run_work(&eng->ex, w) == 1)
			continue;
		if (w && w == oe->finish_work) {
			uint64_t s, e;

			if (!find_first_extent_bit(&((struct inode *)oe->inode)->io_tree,
						   oe->file_offset, &s, &e, EXTENT_LOCKED) &&
			    s < ordered_end(oe))
				holder = extent_lock_owner(&((struct inode *)oe->inode)->io_tree, s);
		}
		snprintf(what, sizeof(what), "ordered extent [%" PRIu64 ", %" PRIu64 ") of %s%s",
			 oe->file_offset, ordered_end(oe), eng_inode_name(oe->inode),
			 w || holder ? "" : " (its IO was never started)");
		ret = wait_blocked(eng, holder, what);
		break;
	}
	put_ordered_extent(oe);
	return ret;
}

int btrfs_start_ordered_extent(struct cowfs_engine *eng, struct inode *inode,
			       struct ordered_extent *oe, int wait)
{
	int ret = btrfs_fdatawrite_range(eng, inode, oe->file_offset, ordered_end(oe) - 1);

	/* the kernel ignores what filemap_fdatawrite_range returns; a wait that
	 * cannot end is another matter */
	if (ret == -EAGAIN || ret == -EDEADLK)
		return ret;
	return wait ? wait_ordered_extent(eng, oe) : 0;
}

int filemap_fdatawait_range(struct cowfs_engine *eng, struct inode *inode, uint64_t start,
			    uint64_t end)
{
	uint64_t index = start >> PAGE_SHIFT, last = end >> PAGE_SHIFT;
	struct page *page;

	while ((page = find_first_page(&inode->mapping, index)) && page->index <= last) {
		int ret;

		index = page->index + 1;
		if (!page_test(page, PG_writeback))
			continue;
		get_page(page);
		ret = wait_on_page_writeback(eng, page);
		put_page(page);
		if (ret)
			return ret;
	}
	return 0;
}

int btrfs_wait_ordered_range(struct cowfs_engine *eng, struct inode *inode, uint64_t start,
			     uint64_t len)
{
	uint64_t orig_end = len > UINT64_MAX - start ? UINT64_MAX : start + len - 1, end;
	int ret;

	if (!len)
		return 0;
	ret = btrfs_fdatawrite_range(eng, inode, start, orig_end);
	if (!ret)
		ret = filemap_fdatawait_range(eng, inode, start, orig_end);
	if (ret)
		return ret;
	end = orig_end;
	for (;;) {
		struct ordered_extent *oe = lookup_first_ordered_extent(&inode->ordered_tree, end);
		int err;

		if (!oe)
			break;
		if (oe->file_offset > orig_end || ordered_end(oe) <= start) {
			put_ordered_extent(oe);
			break;
		}
		err = btrfs_start_ordered_extent(eng, inode, oe, 1);
		end = oe->file_offset;
		if (oe->flags & BTRFS_ORDERED_IOERR)
			ret = -EIO;
		put_ordered_extent(oe);
		if (err)
			return err;
		if (end == 0 || end == start)
			break;
		end--;
	}
	return ret;
}

int wait_all_ordered(struct cowfs_engine *eng, struct inode *inode, int start_io)
{
	struct ordered_extent *oe;

	while ((oe = ordered_first(&inode->ordered_tree))) {
		int ret = start_io ? btrfs_start_ordered_extent(eng, inode, oe, 1) :
				     wait_ordered_extent(eng, oe);

		if (ret)
			return ret;
	}
	return 0;
}
