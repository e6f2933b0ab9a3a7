/* The copy-on-write B+tree: search, insert, delete, iterate.
 *
 * A block is copied the first time a transaction changes it (its header
 * generation is older than the running transid); the copy gets a new
 * address, the parent is updated the same way up to the root, and the old
 * block is freed (pinned until the commit).  Leaves split when full; a leaf
 * or node that empties is removed from its parent.  No other rebalancing:
 * under-full blocks are valid.
 */
#ifndef COWFS_DISK_CTREE_H
#define COWFS_DISK_CTREE_H

#include <stdint.h>

#include "disk/format.h"
#include "disk/fs.h"

struct extent_buffer {
	uint64_t bytenr;
	int refs;			/* paths and roots holding it */
	int dirty;			/* changed in the running transaction */
	int stale;			/* freed: not in the cache any more, drop at last ref */
	struct rb_node rb;		/* in fs->eb_tree */
	struct extent_buffer *lru_prev, *lru_next;
	uint8_t data[COWFS_NODE_SIZE];
};

struct cowfs_path {
	struct extent_buffer *nodes[COWFS_MAX_LEVEL];
	int slots[COWFS_MAX_LEVEL];
};

/* ---- block access (validated once, when read from disk) ---- */

/* Read (or find cached) the tree block at bytenr; owner/level/gen are what the
 * parent expects (gen 0: don't check).  The reference is dropped with free_eb(). */
int read_tree_block(struct cowfs_fs *fs, uint64_t bytenr, uint64_t owner, int level,
		    uint64_t gen, struct extent_buffer **out);
void free_eb(struct cowfs_fs *fs, struct extent_buffer *eb);
void mark_eb_dirty(struct cowfs_fs *fs, struct extent_buffer *eb);
/* A fresh, zeroed, dirty block at bytenr for tree owner at level (referenced once). */
struct extent_buffer *eb_create(struct cowfs_fs *fs, uint64_t bytenr, uint64_t owner, int level);
/* Take a block out of the cache (it was freed); the memory goes at its last reference. */
void eb_forget(struct cowfs_fs *fs, struct extent_buffer *eb);
/* Write every dirty block (checksummed) to the device; they become clean. */
int write_dirty_ebs(struct cowfs_fs *fs);
/* Drop every cached block (at close); dirty ones are discarded. */
void eb_cache_destroy(struct cowfs_fs *fs);

static inline struct cowfs_header *eb_header(struct extent_buffer *eb)
{
	return (struct cowfs_header *)eb->data;
}
static inline uint32_t eb_nritems(struct extent_buffer *eb)
{
	return cowfs_header_nritems(eb_header(eb));
}
static inline int eb_level(struct extent_buffer *eb)
{
	return eb_header(eb)->level;
}
static inline struct cowfs_item *eb_item(struct extent_buffer *eb, int slot)
{
	return (struct cowfs_item *)(eb->data + sizeof(struct cowfs_header)) + slot;
}
static inline struct cowfs_key_ptr *eb_key_ptr(struct extent_buffer *eb, int slot)
{
	return (struct cowfs_key_ptr *)(eb->data + sizeof(struct cowfs_header)) + slot;
}
static inline void *eb_item_ptr(struct extent_buffer *eb, int slot)
{
	return eb->data + sizeof(struct cowfs_header) + cowfs_item_offset(eb_item(eb, slot));
}
static inline uint32_t eb_item_size(struct extent_buffer *eb, int slot)
{
	return cowfs_item_size(eb_item(eb, slot));
}
static inline void eb_item_key(struct extent_buffer *eb, int slot, struct cowfs_key *k)
{
	cowfs_disk_to_key(k, &eb_item(eb, slot)->key);
}
static inline void eb_node_key(struct extent_buffer *eb, int slot, struct cowfs_key *k)
{
	cowfs_disk_to_key(k, &eb_key_ptr(eb, slot)->key);
}

/* ---- paths ---- */

void path_init(struct cowfs_path *p);
void path_release(struct cowfs_fs *fs, struct cowfs_path *p);

/* Find key.  Returns 0 with p->slots[0] at the item, 1 when absent with p->slots[0]
 * where it would go (possibly == nritems), < 0 on error.  With cow, every block on
 * the path is copied into the running transaction; ins_len > 0 also makes room for an
 * item of that many data bytes (splitting), ins_len < 0 prepares for a deletion. */
int search_slot(struct cowfs_root *root, const struct cowfs_key *key,
		struct cowfs_path *p, int ins_len, int cow);

/* Move to the first item of the next leaf: 0, 1 at the end of the tree, < 0 error.
 * Read-only (paths from a cow search stay valid). */
int next_leaf(struct cowfs_root *root, struct cowfs_path *p);
/* Advance p->slots[0], crossing leaves: 0, 1 at the end, < 0 error. */
int next_item(struct cowfs_root *root, struct cowfs_path *p);
/* Find the first item with key >= key: 0 found one (p at it), 1 none, < 0 error. */
int search_forward(struct cowfs_root *root, const struct cowfs_key *key, struct cowfs_path *p);
/* The last item with key <= key: 0 found (p at it), 1 none, < 0 error.  Read-only. */
int search_backward(struct cowfs_root *root, const struct cowfs_key *key, struct cowfs_path *p);

/* Insert an item (fails with -EEXIST if the key is present). */
int insert_item(struct cowfs_root *root, const struct cowfs_key *key,
		const void *data, uint32_t size);
/* Insert an empty item of size bytes; on 0, p points at it for the caller to fill. */
int insert_empty_item(struct cowfs_root *root, struct cowfs_path *p,
		      const struct cowfs_key *key, uint32_t size);
/* Delete nr items from p->slots[0] of a path from a cow search with ins_len < 0. */
int del_items(struct cowfs_root *root, struct cowfs_path *p, int nr);
/* Look up key and delete it: 0, -ENOENT. */
int delete_item(struct cowfs_root *root, const struct cowfs_key *key);
/* Replace the data of an existing item (any new size). */
int update_item(struct cowfs_root *root, const struct cowfs_key *key,
		const void *data, uint32_t size);
/* Copy out an item's data: returns its size (may exceed cap; only cap bytes copied),
 * -ENOENT when absent. */
int lookup_item(struct cowfs_root *root, const struct cowfs_key *key, void *buf, uint32_t cap);

#endif
