/* Engine inodes (btrfs_inode): lookup, references, delalloc bits and the inode item. */
#ifndef COWFS_ENGINE_INODE_H
#define COWFS_ENGINE_INODE_H

#include <stdint.h>

#include "engine/fs-info.h"

/* The inode of path, read from the image on first use, with a reference. */
int eng_inode_lookup(struct cowfs_engine *eng, const char *path, struct inode **out);
/* The inode ino (path names it in messages), with a reference. */
int iget(struct cowfs_engine *eng, uint64_t ino, const char *path, struct inode **out);
void ihold(struct inode *inode);
void iput(struct inode *inode);
/* The cached inode with the smallest ino above ino, or NULL: a walk that
 * survives inodes coming and going under it (hooks run inside the walk). */
struct inode *eng_inode_next(struct cowfs_engine *eng, uint64_t ino);
/* Take the inode out of the engine's table (its last name is gone). */
void eng_inode_forget(struct inode *inode);
/* Drop every inode's cache, trees and state at once (crash, close): all work
 * must have been discarded first. */
void eng_inode_drop_all(struct cowfs_engine *eng);

/* btrfs_set_extent_delalloc: DELALLOC | UPTODATE | extra_bits on [start, end]. */
int btrfs_set_extent_delalloc(struct cowfs_engine *eng, struct inode *inode, uint64_t start,
			      uint64_t end, unsigned extra_bits);
/* btrfs_find_new_delalloc_bytes: DELALLOC_NEW on the parts of [start, +len) that
 * are holes on disk and not covered by an ordered extent.  Can fail (reading the
 * extent tree), which is why 95ee2231896d moved it before the clear. */
int btrfs_find_new_delalloc_bytes(struct cowfs_engine *eng, struct inode *inode,
				  uint64_t start, uint64_t len);
/* btrfs_update_inode: write the inode item with size disk_i_size. */
int btrfs_update_inode(struct cowfs_engine *eng, struct inode *inode);

/* "page 3 of /a/f" etc. use inode->path; this gives "(removed)" for NULL. */
const char *eng_inode_name(const struct inode *inode);

#endif
