/* Inode items, for the other name and file-extent code of libfs/disk and for fsck.
 *
 * An inode is the item (ino, INODE_ITEM, 0) of the fs tree.  Every change to
 * an inode stamps its transid with the running transaction, as btrfs's
 * btrfs_update_inode does.
 */
#ifndef COWFS_DISK_INODE_H
#define COWFS_DISK_INODE_H

#include <errno.h>
#include <stdint.h>

#include "disk/format.h"
#include "disk/fs.h"

/* Changes need an image opened read-write, and a transaction no failed commit
 * left half-written; the running transaction is implicit. */
static inline int fsop_writable(struct cowfs_fs *fs)
{
	if (!fs->writable)
		return -EROFS;
	return fs->aborted ? -EIO : 0;
}

/* 1 if mode is a regular file or a directory, the only types version 1 knows. */
int inode_mode_valid(uint32_t mode);

/* The raw item: 0, -ENOENT, -COWFS_ECORRUPT when its size is wrong. */
int inode_lookup(struct cowfs_fs *fs, uint64_t ino, struct cowfs_inode_item *item);
/* Store item as ino's, stamped with the running transid. */
int inode_update(struct cowfs_fs *fs, uint64_t ino, struct cowfs_inode_item *item);
int inode_insert(struct cowfs_fs *fs, uint64_t ino, struct cowfs_inode_item *item);
int inode_delete(struct cowfs_fs *fs, uint64_t ino);

void inode_from_item(uint64_t ino, const struct cowfs_inode_item *item,
		     struct cowfs_inode *inode);
void inode_to_item(const struct cowfs_inode *inode, struct cowfs_inode_item *item);

/* Add delta to nbytes (bytes referenced by file extents), refusing to wrap. */
int inode_add_nbytes(struct cowfs_fs *fs, uint64_t ino, int64_t delta);

#endif
