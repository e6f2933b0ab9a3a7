/* Ordered extents (btrfs fs/btrfs/ordered-data.c, v5.4; field names of v5.10).
 *
 * cow_file_range creates one for each disk extent it reserves; it owns the
 * range's reservation until btrfs_finish_ordered_io has inserted the file extent
 * and the checksums into the running transaction.  Each lives in a per-inode
 * red-black tree keyed by file_offset; ranges never overlap.  The checksums are
 * filled one block at a time when the bios are submitted (btrfs_csum_one_bio),
 * and reads of blocks whose extent is still pending use them first, as
 * btrfs_lookup_bio_sums does.
 */
#ifndef COWFS_ENGINE_ORDERED_DATA_H
#define COWFS_ENGINE_ORDERED_DATA_H

#include <stdint.h>

#include "util/rbtree.h"

enum {
	BTRFS_ORDERED_IO_DONE = 1u << 0,	/* every byte's IO has ended */
	BTRFS_ORDERED_COMPLETE = 1u << 1,	/* finished and out of the tree */
	BTRFS_ORDERED_IOERR = 1u << 2,
	BTRFS_ORDERED_TRUNCATED = 1u << 3,	/* invalidatepage cut it at truncated_len */
	BTRFS_ORDERED_REGULAR = 1u << 4,
	BTRFS_ORDERED_UPDATED_ISIZE = 1u << 5,
};

struct ordered_extent {
	struct rb_node rb_node;
	void *inode;			/* the engine's inode */
	uint64_t file_offset;
	uint64_t disk_bytenr;
	uint64_t num_bytes;
	uint64_t disk_num_bytes;
	uint64_t bytes_left;		/* of IO not ended yet */
	uint64_t truncated_len;		/* UINT64_MAX unless TRUNCATED */
	uint64_t outstanding_isize;
	unsigned flags;
	uint32_t *csums;		/* one crc32c per block */
	uint8_t *csum_done;		/* per block: its csum is filled */
	uint64_t meta_reserved;		/* metadata reservation it owns */
	int refs;
	int in_tree;
	void *bios;			/* engine: its bios not ended yet */
	void *finish_work;		/* engine: the queued finish_ordered_io */
};

struct ordered_tree {
	struct rb_root tree;
	uint64_t nr;
};

static inline uint64_t ordered_end(const struct ordered_extent *oe)
{
	return oe->file_offset + oe->num_bytes;
}

void ordered_tree_init(struct ordered_tree *tree);
/* Free every ordered extent still in the tree (crash, close); references held
 * elsewhere must have been dropped first. */
void ordered_tree_release(struct ordered_tree *tree);

/*
 * __btrfs_add_ordered_extent: a new extent for file [file_offset, +num_bytes) at
 * disk_bytenr, holding one reference (the tree's).  num_bytes is a positive
 * multiple of the block size.  -EEXIST if it overlaps one in the tree (the
 * kernel panics there), -EINVAL, -ENOMEM.
 */
int add_ordered_extent(struct ordered_tree *tree, void *inode, uint64_t file_offset,
		       uint64_t disk_bytenr, uint64_t num_bytes, struct ordered_extent **out);

/* The extent containing file_offset, with a reference, or NULL. */
struct ordered_extent *lookup_ordered_extent(struct ordered_tree *tree, uint64_t file_offset);
/* The first extent overlapping [start, start + len), with a reference, or NULL. */
struct ordered_extent *lookup_ordered_range(struct ordered_tree *tree, uint64_t start,
					    uint64_t len);
/* The extent containing file_offset or else the last one before it, with a
 * reference (btrfs_lookup_first_ordered_extent), or NULL. */
struct ordered_extent *lookup_first_ordered_extent(struct ordered_tree *tree,
						   uint64_t file_offset);
/* First / next in file order, no reference taken. */
struct ordered_extent *ordered_first(struct ordered_tree *tree);
struct ordered_extent *ordered_next(struct ordered_extent *oe);

void get_ordered_extent(struct ordered_extent *oe);
void put_ordered_extent(struct ordered_extent *oe);

/*
 * btrfs_dec_test_ordered_pending: IO of [file_offset, +len) inside oe ended
 * (uptodate = 0: with an error, sets IOERR).  Returns 1 if that was the last of
 * it and IO_DONE is now set, so the caller must queue finish_ordered_io; 0
 * otherwise; -EINVAL if more bytes end than were pending.
 */
int dec_test_ordered_pending(struct ordered_extent *oe, uint64_t file_offset, uint64_t len,
			     int uptodate);

/* btrfs_remove_ordered_extent: out of the tree, COMPLETE, the tree's reference dropped. */
void remove_ordered_extent(struct ordered_tree *tree, struct ordered_extent *oe);

/* Record the csum of the block at file_offset (btrfs_csum_one_bio). */
void ordered_set_csum(struct ordered_extent *oe, uint64_t file_offset, uint32_t csum);
/* btrfs_find_ordered_sum: 1 and *csum if a pending extent has the block's csum. */
int find_ordered_sum(struct ordered_tree *tree, uint64_t file_offset, uint32_t *csum);

/*
 * btrfs_ordered_update_i_size (v5.4): the on-disk size may advance to the end of
 * ordered (or to offset when ordered is NULL) only when no unfinished ordered
 * extent lies between it and there.  Returns 0 when *disk_i_size changed (the
 * inode item must be written), 1 when not.
 */
int ordered_update_i_size(struct ordered_tree *tree, uint64_t offset,
			  struct ordered_extent *ordered, uint64_t i_size, uint64_t *disk_i_size);

#endif
