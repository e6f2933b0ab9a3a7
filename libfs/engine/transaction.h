/* Durability: commit, fsync, sync, writeback of everything, crash. */
#ifndef COWFS_ENGINE_TRANSACTION_H
#define COWFS_ENGINE_TRANSACTION_H

#include "engine/fs-info.h"

/* btrfs_commit_transaction: the point commit.start, then cowfs_commit.  Delalloc
 * is not flushed (no flushoncommit). */
int transaction_commit(struct cowfs_engine *eng);
/* filemap_fdatawrite of one inode or (NULL) every one; wait: and wait for the IO
 * and the ordered extents.  Only -EDEADLK and -ENOMEM: a page that failed is
 * reported and left on the mapping for fsync. */
int engine_writeback(struct cowfs_engine *eng, struct inode *inode, int wait);
/* btrfs_sync_file, then a commit of the whole transaction. */
int engine_fsync(struct cowfs_engine *eng, struct inode *inode);
/* sync(2): write back and wait until nothing is dirty or queued, then commit. */
int engine_sync(struct cowfs_engine *eng);
/* Drop cache and work, close without committing, reopen at the last commit. */
int engine_crash(struct cowfs_engine *eng);

#endif
