/* The extent io tree: per-inode byte ranges carrying state bits.
 *
 * A model of btrfs's extent_io_tree (fs/btrfs/extent_io.c, v5.4): disjoint
 * states [start, end] (inclusive, as the kernel writes them) in a red-black
 * tree, split when a range boundary falls inside one and merged with equal
 * neighbours, so that each operation costs O(log n) plus the states it touches.
 * EXTENT_LOCKED is the range lock; who holds it is kept beside the bit so that a
 * deadlock can name the holder.  Owners are opaque here (the engine's tasks).
 */
#ifndef COWFS_ENGINE_EXTENT_IO_TREE_H
#define COWFS_ENGINE_EXTENT_IO_TREE_H

#include <stdint.h>

#include "util/rbtree.h"

/* The bit values of v5.4 extent_io.h:11-28; only the data-inode bits are used. */
#define EXTENT_DIRTY		(1u << 0)	/* unused for data since 1edbb734b4e0 */
#define EXTENT_UPTODATE		(1u << 1)
#define EXTENT_LOCKED		(1u << 2)
#define EXTENT_NEW		(1u << 3)
#define EXTENT_DELALLOC		(1u << 4)
#define EXTENT_DEFRAG		(1u << 5)
#define EXTENT_BOUNDARY		(1u << 6)
#define EXTENT_NODATASUM	(1u << 7)
#define EXTENT_CLEAR_META_RESV	(1u << 8)	/* control bit: never stored */
#define EXTENT_NEED_WAIT	(1u << 9)
#define EXTENT_DAMAGED		(1u << 10)
#define EXTENT_NORESERVE	(1u << 11)
#define EXTENT_QGROUP_RESERVED	(1u << 12)
#define EXTENT_CLEAR_DATA_RESV	(1u << 13)	/* control bit: never stored */
#define EXTENT_DELALLOC_NEW	(1u << 14)
#define EXTENT_DO_ACCOUNTING	(EXTENT_CLEAR_META_RESV | EXTENT_CLEAR_DATA_RESV)
#define EXTENT_CTLBITS		(EXTENT_DO_ACCOUNTING)

struct extent_state {
	struct rb_node rb_node;
	uint64_t start;
	uint64_t end;			/* inclusive */
	unsigned state;
	const void *owner;		/* holder of EXTENT_LOCKED, else NULL */
};

/*
 * Called for each state whose bits change, before the change, with the state's
 * current bits in state->state and the requested bits (control bits included):
 * btrfs_set_delalloc_extent / btrfs_clear_delalloc_extent keep the delalloc
 * byte counts and release reservations from here.
 */
struct extent_io_ops {
	void (*set_bits)(void *priv, const struct extent_state *state, unsigned bits);
	void (*clear_bits)(void *priv, const struct extent_state *state, unsigned bits);
};

struct extent_io_tree {
	struct rb_root state;
	uint64_t nr_states;
	const struct extent_io_ops *ops;
	void *priv;
};

void extent_io_tree_init(struct extent_io_tree *tree, const struct extent_io_ops *ops,
			 void *priv);
/* Free every state without calling the hooks (eviction, crash). */
void extent_io_tree_release(struct extent_io_tree *tree);

/*
 * Set bits on [start, end].  If a byte of the range already has one of
 * exclusive_bits, stop there: *failed_start (if not NULL) gets its offset, the
 * bytes before it keep the new bits (as __set_extent_bit), and -EEXIST is
 * returned.  owner is recorded on the states when EXTENT_LOCKED is set.
 * Returns 0, -EEXIST, -EINVAL (start > end) or -ENOMEM.
 */
int set_extent_bit(struct extent_io_tree *tree, uint64_t start, uint64_t end, unsigned bits,
		   unsigned exclusive_bits, uint64_t *failed_start, const void *owner);
/* Clear bits (control bits go to the hook only) on [start, end].  0, -EINVAL or -ENOMEM. */
int clear_extent_bit(struct extent_io_tree *tree, uint64_t start, uint64_t end, unsigned bits);

/*
 * filled = 1: 1 if every byte of [start, end] is in a state having any of bits.
 * filled = 0: 1 if any byte of [start, end] is.  As the kernel's test_range_bit.
 */
int test_range_bit(const struct extent_io_tree *tree, uint64_t start, uint64_t end,
		   unsigned bits, int filled);

/* The first state ending at or after start that has any of bits: 0 and its range,
 * or 1 if there is none (the kernel's convention). */
int find_first_extent_bit(const struct extent_io_tree *tree, uint64_t start,
			  uint64_t *start_ret, uint64_t *end_ret, unsigned bits);

/*
 * Bytes in [*start, search_end] in states having all of bits, stopping once
 * max_bytes are counted; *start moves to the first such byte.  contig: stop at
 * the first gap.
 */
uint64_t count_range_bits(const struct extent_io_tree *tree, uint64_t *start,
			  uint64_t search_end, uint64_t max_bytes, unsigned bits, int contig);

/*
 * find_delalloc_range (extent_io.c v5.4): the run of contiguous DELALLOC states
 * starting with the first state that ends at or after *start, at most about
 * max_bytes, stopping at EXTENT_BOUNDARY.  Returns 1 with the run in [*start,
 * *end]; 0 if that first state is not delalloc (*end = its end) or there is none
 * (*end = UINT64_MAX).
 */
int find_delalloc_range(const struct extent_io_tree *tree, uint64_t *start, uint64_t *end,
			uint64_t max_bytes);

/* Holder of the EXTENT_LOCKED byte at offset, or NULL. */
const void *extent_lock_owner(const struct extent_io_tree *tree, uint64_t offset);

/* The state containing offset, or NULL (for tests and the invariant checks). */
const struct extent_state *extent_state_at(const struct extent_io_tree *tree, uint64_t offset);

#endif
