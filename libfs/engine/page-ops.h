/* Page state changes shared by the paths, each with its event and checks. */
#ifndef COWFS_ENGINE_PAGE_OPS_H
#define COWFS_ENGINE_PAGE_OPS_H

#include <stdint.h>

#include "engine/fs-info.h"

/* find_or_create_page: the page at index, locked by the current task and
 * referenced; a new page is zeroed and not uptodate, and makes the cache give
 * back its oldest evictable pages if it is over budget.  0, -ENOMEM, or what
 * lock_page returns. */
int find_or_create_page(struct cowfs_engine *eng, struct inode *inode, uint64_t index,
			struct page **out);

/* clear_page_dirty_for_io (page_mkclean included): 1 if the page was dirty. */
int clear_page_dirty_for_io(struct cowfs_engine *eng, struct page *page, const char *why);
/* The filesystem's set_page_dirty after it set up delalloc for the page. */
void set_page_dirty_fs(struct cowfs_engine *eng, struct page *page, const char *why);
/* __set_page_dirty_nobuffers from outside the filesystem (munmap, unpin). */
void set_page_dirty_oob(struct cowfs_engine *eng, struct page *page, const char *why);
/* redirty_page_for_writepage */
void redirty_page_for_writepage(struct cowfs_engine *eng, struct page *page);

/* Before changing page->data: every filesystem path waits for writeback first
 * (stable pages); only a pinned-page writer (stable = 0) may not. */
void page_modify(struct cowfs_engine *eng, struct page *page, const char *who, int stable);

/* A dirty page must be covered by delalloc, an ordered extent (Private2) or a
 * queued fixup, unless it was dirtied behind the filesystem's back. */
void check_page_state(struct cowfs_engine *eng, struct page *page, const char *where);
/* The same check on every cached dirty page (debug builds, end of operations). */
void check_all_pages(struct cowfs_engine *eng);

#endif
