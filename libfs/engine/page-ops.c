/* Page state changes shared by the paths: see page-ops.h. */
#include <errno.h>
#include <inttypes.h>

#include "engine/inode.h"
#include "engine/page-ops.h"
#include "engine/reclaim.h"

int find_or_create_page(struct cowfs_engine *eng, struct inode *inode, uint64_t index,
			struct page **out)
{
	struct page *page = find_get_page(&inode->mapping, index);
	int ret;

	if (page) {
		ret = lock_page(eng, page);
		if (ret) {
			put_page(page);
			return ret;
		}
		mark_page_accessed(page);
		*out = page;
		return 0;
	}
	ret = add_to_page_cache(&inode->mapping, index, &page);
	if (ret)
		return ret;
	trylock_page(eng, page);
	shrink_cache_to_budget(eng);
	*out = page;
	return 0;
}

int clear_page_dirty_for_io(struct cowfs_engine *eng, struct page *page, const char *why)
{
	if (!page_test_clear_dirty(page))
		return 0;
	eng_event(eng, "page %" PRIu64 " of %s: dirty -> clean (%s)", page->index,
		  eng_inode_name(page_inode(page)), why);
	return 1;
}

void set_page_dirty_fs(struct cowfs_engine *eng, struct page *page, const char *why)
{
	page_clear(page, PG_oob);
	if (page_test_set_dirty(page))
		return;
	eng->stats.pages_dirtied++;
	eng_event(eng, "page %" PRIu64 " of %s: clean -> dirty (%s)", page->index,
		  eng_inode_name(page_inode(page)), why);
}

void set_page_dirty_oob(struct cowfs_engine *eng, struct page *page, const char *why)
{
	if (page_test_set_dirty(page))
		return;
	page_set(page, PG_oob);
	eng->stats.pages_dirtied_oob++;
	eng_event(eng, "page %" PRIu64 " of %s: clean -> dirty (%s, filesystem not told)",
		  page->index, eng_inode_name(page_inode(page)), why);
}

void redirty_page_for_writepage(struct cowfs_engine *eng, struct page *page)
{
	if (!page_test_set_dirty(page))
		eng_event(eng, "page %" PRIu64 " of %s: clean -> dirty (redirty_page_for_writepage)",
			  page->index, eng_inode_name(page_inode(page)));
}

void page_modify(struct cowfs_engine *eng, struct page *page, const char *who, int stable)
{
	if (stable && page_test(page, PG_writeback))
		eng_finding(eng, COWFS_FINDING_INVARIANT,
			    "page %" PRIu64 " of %s changed by %s under writeback, its checksums in "
			    "flight", page->index, eng_inode_name(page_inode(page)), who);
}

void check_page_state(struct cowfs_engine *eng, struct page *page, const char *where)
{
	struct inode *inode = page_inode(page);
	uint64_t start = page_offset(page);

	if (!inode || !page_test(page, PG_dirty) || page_test(page, PG_oob) ||
	    page_test(page, PG_private_2) || page_test(page, PG_checked))
		return;
	if (test_range_bit(&inode->io_tree, start, start + PAGE_SIZE - 1, EXTENT_DELALLOC, 1))
		return;
	eng_finding(eng, COWFS_FINDING_INVARIANT,
		    "page %" PRIu64 " of %s is dirty with no delalloc, ordered extent or fixup (%s)",
		    page->index, inode->path, where);
}

void check_all_pages(struct cowfs_engine *eng)
{
	for (struct rb_node *n = rb_first(&eng->inodes); n; n = rb_next(n)) {
		struct inode *inode = rb_entry(n, struct inode, rb);
		struct page *page = find_first_dirty_page(&inode->mapping, 0);

		for (; page; page = find_first_dirty_page(&inode->mapping, page->index + 1))
			check_page_state(eng, page, "after the operation");
	}
}
