/* Stores through a shared mapping: the page_mkwrite path and the two ways a page
 * gets dirty without the filesystem being told (§3.2-3.3 of the research notes).
 *
 * Every store first faults the page in (filemap_fault: read if not uptodate).
 * mwrite: btrfs_page_mkwrite sets up delalloc before the store, so the page can
 *   only become dirty the proper way; after writeback page_mkclean write-protects
 *   it again and the next store faults again.
 * munmap: the store went through a writable PTE; at munmap zap_pte_range calls
 *   set_page_dirty with no delalloc behind it.  The store waited for writeback.
 * pin_write: a GUP/DMA writer stores into the pinned page whenever it likes,
 *   under writeback too (stable pages are bypassed), and set_page_dirty at unpin.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "cowfs/error.h"
#include "engine/file.h"
#include "engine/inode.h"
#include "engine/ordered-io.h"
#include "engine/page-ops.h"
#include "engine/readpage.h"
#include "engine/reclaim.h"
#include "engine/space-info.h"

/* The page locked, out of writeback and of any ordered extent, with the range
 * locked too: 1, or 0 after an ordered wait (go again), or an error. */
static int mkwrite_lock(struct cowfs_engine *eng, struct inode *inode, struct page *page)
{
	uint64_t start = page_offset(page), end = start + PAGE_SIZE - 1;
	struct ordered_extent *oe;
	int ret = lock_page(eng, page);

	if (ret)
		return ret;
	if (page->mapping != &inode->mapping || start >= inode->i_size) {
		unlock_page(eng, page);
		return -ERANGE;	/* truncated under us: SIGBUS */
	}
	ret = wait_on_page_writeback(eng, page);
	if (!ret)
		ret = lock_extent(eng, inode, start, end);
	if (ret) {
		unlock_page(eng, page);
		return ret;
	}
	page_set(page, PG_private);
	oe = lookup_ordered_range(&inode->ordered_tree, start, PAGE_SIZE);
	if (!oe)
		return 1;
	unlock_extent(eng, inode, start, end);
	unlock_page(eng, page);
	ret = btrfs_start_ordered_extent(eng, inode, oe, 1);
	put_ordered_extent(oe);
	return ret;
}

/* btrfs_page_mkwrite (inode.c v5.4:9127): returns with the page locked. */
static int btrfs_page_mkwrite(struct cowfs_engine *eng, struct inode *inode, struct page *page)
{
	uint64_t start = page_offset(page), end = start + PAGE_SIZE - 1;
	int ret;

	/* reserving after the page lock would deadlock with writepage */
	ret = btrfs_delalloc_reserve_space(eng, start, PAGE_SIZE);
	if (ret)
		return ret;
	while ((ret = mkwrite_lock(eng, inode, page)) == 0)
		;
	if (ret < 0) {
		btrfs_delalloc_release_space(eng, start, PAGE_SIZE);
		return ret;
	}
	/* write(2) may have set delalloc here already: its accounting goes */
	clear_extent_bit(&inode->io_tree, start, end,
			 EXTENT_DIRTY | EXTENT_DELALLOC | EXTENT_DO_ACCOUNTING | EXTENT_DEFRAG);
	ret = btrfs_set_extent_delalloc(eng, inode, start, end, 0);
	if (ret) {
		unlock_extent(eng, inode, start, end);
		unlock_page(eng, page);
		btrfs_delalloc_release_space(eng, start, PAGE_SIZE);
		return ret;
	}
	if (inode->i_size - start < PAGE_SIZE) {
		uint64_t zero_start = inode->i_size - start;

		page_modify(eng, page, "page_mkwrite", 1);
		memset(page->data + zero_start, 0, PAGE_SIZE - zero_start);
	}
	page_clear(page, PG_checked);
	set_page_dirty_fs(eng, page, "page_mkwrite");
	page_set(page, PG_uptodate);
	unlock_extent(eng, inode, start, end);
	return 0;
}

static const char *const store_name[] = { "mwrite", "munmap", "pin_write" };

/* One page: fault in, then make it writable the way how says, then store. */
static int store_page(struct cowfs_engine *eng, struct inode *inode, uint64_t pos, uint64_t n,
		      cowfs_fill_fn fill, void *arg, enum mmap_store how)
{
	struct page *page;
	int ret = read_cache_page(eng, inode, pos >> PAGE_SHIFT, &page);

	if (ret) {
		if (ret == -COWFS_ECSUM) {
			put_page(page);
			ret = -EIO;	/* SIGBUS */
		}
		return ret;
	}
	if (how == STORE_MKWRITE) {
		ret = btrfs_page_mkwrite(eng, inode, page);
		if (!ret)
			unlock_page(eng, page);	/* the fault handler, after VM_FAULT_LOCKED */
	} else if (how == STORE_MUNMAP) {
		ret = wait_on_page_writeback(eng, page);
	}
	if (!ret) {
		page_modify(eng, page, store_name[how], how != STORE_PIN);
		ret = fill(arg, pos, page->data + (pos & (PAGE_SIZE - 1)), n);
	}
	if (!ret && how != STORE_MKWRITE)
		set_page_dirty_oob(eng, page, how == STORE_MUNMAP ? "munmap" : "unpin");
	check_page_state(eng, page, store_name[how]);
	put_page(page);
	if (!ret)	/* fault_dirty_shared_page */
		balance_dirty_pages(eng, inode);
	return ret;
}

int mmap_store(struct cowfs_engine *eng, struct inode *inode, uint64_t pos, uint64_t len,
	       cowfs_fill_fn fill, void *arg, enum mmap_store how)
{
	uint64_t end = pos + len;

	if (end > inode->i_size)
		return -ERANGE;
	while (pos < end) {
		uint64_t n = PAGE_SIZE - (pos & (PAGE_SIZE - 1));
		int ret;

		if (n > end - pos)
			n = end - pos;
		ret = store_page(eng, inode, pos, n, fill, arg, how);
		if (ret)
			return ret;
		pos += n;
	}
	return 0;
}
