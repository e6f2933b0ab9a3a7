/* The in-memory filesystem: what cowfs_open() builds, private to libfs/disk. */
#ifndef COWFS_DISK_FS_H
#define COWFS_DISK_FS_H

#include <stdint.h>

#include "cowfs/disk.h"
#include "cowfs/error.h"
#include "disk/dev.h"
#include "disk/format.h"
#include "util/rbtree.h"

struct extent_buffer;

/* One B+tree.  node is the current root block (held while the fs is open). */
struct cowfs_root {
	uint64_t id;			/* COWFS_*_TREE */
	struct extent_buffer *node;
	struct cowfs_fs *fs;
};

struct cowfs_fs {
	struct cowfs_dev dev;
	struct cowfs_super super;	/* the copy of the last commit */
	int super_copy;
	int super_problems;
	uint8_t fsid[COWFS_FSID_SIZE];
	int writable;

	struct cowfs_root fs_root, extent_root, csum_root;

	uint64_t last_trans;		/* generation of the last commit */
	uint64_t transid;		/* of the running transaction: last_trans + 1 */
	int trans_dirty;
	int aborted;			/* a commit failed: refuse further changes */
	uint64_t next_ino;
	uint64_t bytes_used;		/* as of the running transaction */

	/* extent buffers by bytenr; dirty ones stay until the commit writes them */
	struct rb_root eb_tree;
	uint64_t eb_count;
	struct extent_buffer *lru_head, *lru_tail;	/* clean, unreferenced ones */
	struct extent_buffer *dirty_head, *dirty_tail;	/* written at commit */
	uint64_t eb_clean;

	/* free space: ranges neither allocated, reserved nor pinned */
	struct rb_root free_space;
	uint64_t free_bytes;
	uint64_t alloc_cursor;
	/* freed during the running transaction; free again after its commit */
	struct rb_root pinned;
	/* reference-count changes waiting for the commit to reach the extent tree */
	struct rb_root delayed_refs;
	uint64_t delayed_ref_count;
};

/* Empty in-memory indexes and roots, for open and mkfs. */
void fs_init_memory(struct cowfs_fs *fs);

#endif
