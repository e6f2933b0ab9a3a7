/* Space: the free-space index, reservations, pinned extents and delayed
 * references (reference-count changes that reach the extent tree at commit,
 * so that changing the extent tree never recurses into itself mid-operation). */
#ifndef COWFS_DISK_ALLOC_H
#define COWFS_DISK_ALLOC_H

#include <stdint.h>

#include "disk/fs.h"

/* Build the free-space index from the extent tree (at open). */
int free_space_load(struct cowfs_fs *fs);
void free_space_destroy(struct cowfs_fs *fs);

/* Take len bytes (block multiple) out of free space; in memory only. */
int alloc_range(struct cowfs_fs *fs, uint64_t len, uint64_t *bytenr);
/* Return a range that was never referenced by anything durable. */
void free_range(struct cowfs_fs *fs, uint64_t bytenr, uint64_t len);
/* Return a range at the next commit (it may be referenced by the last one). */
void pin_range(struct cowfs_fs *fs, uint64_t bytenr, uint64_t len);
/* After a commit: pinned ranges become free. */
void unpin_all(struct cowfs_fs *fs);

/* A new tree block for tree owner at level: allocated and given a +1 delayed ref. */
int alloc_tree_block(struct cowfs_fs *fs, uint64_t owner, int level, uint64_t *bytenr);
/* Drop a tree block (COWed away or emptied): -1 delayed ref, pinned at commit. */
void free_tree_block(struct cowfs_fs *fs, uint64_t bytenr, uint64_t owner, int level);

/* Data extent references: +1 when a file extent item starts pointing at the disk
 * extent, -1 when one stops.  At commit a count reaching 0 deletes the extent item
 * and its csum item and pins the range. */
int add_data_ref(struct cowfs_fs *fs, uint64_t bytenr, uint64_t num_bytes, int delta);

/* Apply every delayed reference to the extent tree, until none is left. */
int run_delayed_refs(struct cowfs_fs *fs);
void delayed_refs_destroy(struct cowfs_fs *fs);

#endif
