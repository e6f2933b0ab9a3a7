/* The writepage start hook and the fixup worker: see fixup.h.
 *
 * One worker models the three shapes the kernel had; each difference is a test
 * of the profile's oob switch at the place the kernel's code differed:
 *   fixup-noreserve  247e743cbe6e + 4a0967527967 + 8b62b72b26bc (2008-2012)
 *   fixup-ebusy      87826df0ec36 (Linux 3.3 - 5.5)
 *   fixup            25f3c5021985 + f4b1363cae43 (Linux 5.6 -)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "cowfs/error.h"
#include "engine/bio.h"
#include "engine/fixup.h"
#include "engine/inode.h"
#include "engine/ordered-io.h"
#include "engine/page-ops.h"
#include "engine/space-info.h"

struct fixup {
	struct work work;
	struct cowfs_engine *eng;
	struct page *page;
	struct inode *inode;
	int started;
	int reserve_ret;
	int reserved;		/* a reservation the worker still holds */
};

static void fixup_release(struct work *w)
{
	struct fixup *f = (struct fixup *)w;

	if (f->page->fixup == f)
		f->page->fixup = NULL;
	if (f->reserved)
		btrfs_delalloc_release_space(f->eng, page_offset(f->page), PAGE_SIZE);
	put_page(f->page);
	iput(f->inode);
	free(f);
}

/* The error exit.  25f3c5021985 cleans the page: the out-of-band data is dropped.
 * 87826df0ec36 (its two errors) only marks page and mapping: the page stays dirty,
 * not uptodate, and the next writeback queues another fixup. */
static void fixup_failed(struct cowfs_engine *eng, struct fixup *f, int ret)
{
	struct page *page = f->page;
	uint64_t start = page_offset(page);
	int cleans = eng->profile->oob == COWFS_OOB_FIXUP;

	mapping_set_error(page->mapping, ret);
	end_extent_writepage(eng, f->inode, page, ret, start, start + PAGE_SIZE - 1);
	if (cleans) {	/* 25f3c5021985 */
		clear_page_dirty_for_io(eng, page, "fixup worker error");
		page_set(page, PG_error);
	}
	eng_finding(eng, COWFS_FINDING_IOERR, "fixup of page %" PRIu64 " of %s failed, %s: %s",
		    page->index, f->inode->path, cleans ? "its data dropped" : "the page left dirty",
		    cowfs_strerror(ret));
}

/* The page is locked; extent lock, ordered wait, delalloc.  1: go round again
 * (after an ordered wait), 0: done, <0: error (or -EAGAIN: blocked). */
static int fixup_locked(struct cowfs_engine *eng, struct fixup *f)
{
	struct page *page = f->page;
	struct inode *inode = f->inode;
	uint64_t start = page_offset(page), end = start + PAGE_SIZE - 1;
	enum cowfs_oob_mode oob = eng->profile->oob;
	struct ordered_extent *oe;
	int ret = lock_extent(eng, inode, start, end);

	if (ret)
		return ret;
	if (page_test(page, PG_private_2))	/* already ordered: done (8b62b72b26bc) */
		goto out;
	oe = lookup_ordered_range(&inode->ordered_tree, start, PAGE_SIZE);
	if (oe) {
		/* 4a0967527967, 8b62b72b26bc: wait, again; PG_checked stays set, so
		 * writeback queues no second fixup meanwhile (25f3c5021985 keeps that) */
		unlock_extent(eng, inode, start, end);
		unlock_page(eng, page);
		ret = btrfs_start_ordered_extent(eng, inode, oe, 1);
		put_ordered_extent(oe);
		return ret ? ret : 1;
	}
	if (oob == COWFS_OOB_FIXUP_EBUSY) {
		/* 87826df0ec36 reserves here, under the page lock (the deadlock f4b1363cae43 fixed) */
		ret = btrfs_delalloc_reserve_space(eng, start, PAGE_SIZE);
		if (ret)
			goto out;
		f->reserved = 1;
	}
	ret = btrfs_set_extent_delalloc(eng, inode, start, end, 0);
	if (ret)
		goto out;
	f->reserved = 0;	/* the delalloc owns the reservation now */
	page_clear(page, PG_oob);
	if (oob == COWFS_OOB_FIXUP_EBUSY)	/* 87826df0ec36: set_page_dirty */
		set_page_dirty_fs(eng, page, "fixup worker");
	else if (oob == COWFS_OOB_FIXUP && !page_test(page, PG_dirty))	/* 25f3c5021985: BUG_ON */
		eng_finding(eng, COWFS_FINDING_INVARIANT, "fixup of page %" PRIu64 " of %s: the "
			    "page was cleaned under the fixup", page->index, inode->path);
	eng_event(eng, "page %" PRIu64 " of %s: delalloc set by the fixup worker", page->index,
		  inode->path);
out:
	unlock_extent(eng, inode, start, end);
	return ret;
}

/* btrfs_writepage_fixup_worker */
static int fixup_worker(struct work *w)
{
	struct fixup *f = (struct fixup *)w;
	struct cowfs_engine *eng = f->eng;
	struct page *page = f->page;
	enum cowfs_oob_mode oob = eng->profile->oob;
	int ret;

	if (!f->started) {
		f->started = 1;
		eng->stats.fixups_run++;
		eng_point(eng, COWFS_PT_FIXUP_RUN, "page %" PRIu64 " of %s", page->index,
			  f->inode->path);
		if (oob == COWFS_OOB_FIXUP) {
			/* f4b1363cae43: reserve before the page lock, as page_mkwrite does */
			f->reserve_ret = btrfs_delalloc_reserve_space(eng, page_offset(page),
								      PAGE_SIZE);
			f->reserved = !f->reserve_ret;
		}
	}
	do {
		ret = lock_page(eng, page);
		if (ret)
			return ret;
		if (!page->mapping || !page_test(page, PG_dirty) || !page_test(page, PG_checked)) {
			/* 87826df0ec36: a page the hook left clean lands here and is never written */
			eng_event(eng, "fixup of page %" PRIu64 " of %s: page %s, nothing to do",
				  page->index, eng_inode_name(page_inode(page)),
				  !page->mapping ? "gone" : !page_test(page, PG_dirty) ?
				  "clean" : "already handled");
			ret = 0;
			break;
		}
		/* f4b1363cae43: a failed reservation fails the page only once it is locked */
		if (oob == COWFS_OOB_FIXUP && f->reserve_ret) {
			ret = f->reserve_ret;
			break;
		}
		ret = fixup_locked(eng, f);
		if (ret == -EAGAIN && page_test(page, PG_locked) && page->lock_owner == eng->current)
			unlock_page(eng, page);
		if (ret == -EAGAIN)
			return ret;
	} while (ret == 1);
	if (f->reserved) {
		btrfs_delalloc_release_space(eng, page_offset(page), PAGE_SIZE);
		f->reserved = 0;
	}
	if (ret)
		fixup_failed(eng, f, ret);
	page_clear(page, PG_checked);
	unlock_page(eng, page);
	return 0;
}

int writepage_cow_fixup(struct cowfs_engine *eng, struct inode *inode, struct page *page)
{
	enum cowfs_oob_mode oob = eng->profile->oob;
	struct fixup *f;

	if (oob == COWFS_OOB_NONE)		/* before 247e743cbe6e: no start hook */
		return 0;
	if (page_test_clear(page, PG_private_2))	/* set up for IO (8b62b72b26bc) */
		return 0;
	if (oob == COWFS_OOB_REJECT) {		/* 7ca3e84980ef */
		eng_finding(eng, COWFS_FINDING_IOERR, "page %" PRIu64 " of %s is dirty without "
			    "notifying the filesystem: rejected (-EUCLEAN)", page->index,
			    inode->path);
		return -EUCLEAN;
	}
	if (page_test(page, PG_checked))	/* a fixup is already queued */
		return -EAGAIN;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -EAGAIN;
	f->eng = eng;
	f->page = page;
	f->inode = inode;
	get_page(page);
	ihold(inode);
	page_set(page, PG_checked);
	page->fixup = f;
	init_work(&f->work, "fixup worker", fixup_worker, fixup_release, inode, eng_line(eng));
	eng_queue_work(eng, &eng->fixup_workers, &f->work);
	eng->stats.fixups_queued++;
	eng_event(eng, "page %" PRIu64 " of %s: dirty but not set up for IO, fixup queued%s",
		  page->index, inode->path, oob == COWFS_OOB_FIXUP_EBUSY ? ", page left clean" : "");
	eng_point(eng, COWFS_PT_WRITEBACK_FIXUP_QUEUED, "page %" PRIu64 " of %s", page->index,
		  inode->path);
	/* 87826df0ec36 returned -EBUSY (no redirty); 25f3c5021985 went back to -EAGAIN */
	return oob == COWFS_OOB_FIXUP_EBUSY ? -EBUSY : -EAGAIN;
}
