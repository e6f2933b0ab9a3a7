/* Reclaim (btrfs_releasepage) and invalidation (btrfs_invalidatepage, truncate). */
#ifndef COWFS_ENGINE_RECLAIM_H
#define COWFS_ENGINE_RECLAIM_H

#include <stdint.h>

#include "engine/fs-info.h"

/* Evict up to max pages of inode (NULL: of every file), oldest first, of those
 * the kernel may evict.  Returns how many went. */
uint64_t reclaim_pages(struct cowfs_engine *eng, struct inode *inode, uint64_t max);
/* Memory pressure: bring the cache back to its budget if it can. */
void shrink_cache_to_budget(struct cowfs_engine *eng);
/* balance_dirty_pages_ratelimited: a writer that finds the cache full of dirty
 * and writeback pages writes its file back and waits (runs its IO work) until
 * half the budget is free, so memory stays bounded by the budget. */
void balance_dirty_pages(struct cowfs_engine *eng, struct inode *inode);

/* btrfs_invalidatepage of a whole locked page: waits for its writeback, truncates
 * the ordered extent part it never sent (TestClearPagePrivate2), clears its
 * delalloc and state.  0, -EAGAIN or -EDEADLK. */
int btrfs_invalidatepage(struct cowfs_engine *eng, struct page *page);
/* truncate_inode_pages_range from lstart to the end: whole pages invalidated and
 * dropped, the partial page's tail zeroed in the cache. */
int truncate_inode_pages(struct cowfs_engine *eng, struct inode *inode, uint64_t lstart);
/* btrfs_truncate_block: zero [from, end of its block) and dirty the block. */
int btrfs_truncate_block(struct cowfs_engine *eng, struct inode *inode, uint64_t from);
/* btrfs_cont_expand: the file grows from oldsize; the bytes past it in its last
 * block, stale on disk, are zeroed and the block dirtied. */
int btrfs_cont_expand(struct cowfs_engine *eng, struct inode *inode, uint64_t oldsize);
/* btrfs_setsize: the truncate operation. */
int btrfs_setsize(struct cowfs_engine *eng, struct inode *inode, uint64_t newsize);
/* Eviction on unlink: drop every page, then wait for the ordered extents that
 * still hold the inode, as their igrab() delays the kernel's evict_inode. */
int evict_inode(struct cowfs_engine *eng, struct inode *inode);

#endif
