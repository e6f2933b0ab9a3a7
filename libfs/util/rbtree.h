/* An intrusive red-black tree, after the kernel's lib/rbtree.c interface.
 *
 * Every ordered index in libfs (free space, extent buffers, the extent io
 * tree, the page cache, ordered extents, the oracle) embeds a struct rb_node
 * and does its own descent, so each operation is O(log n) with no allocation.
 */
#ifndef COWFS_UTIL_RBTREE_H
#define COWFS_UTIL_RBTREE_H

#include <stddef.h>
#include <stdint.h>

struct rb_node {
	uintptr_t rb_parent_color;
	struct rb_node *rb_right;
	struct rb_node *rb_left;
};

struct rb_root {
	struct rb_node *rb_node;
};

#define RB_ROOT ((struct rb_root){ NULL })
#define rb_entry(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))
#define rb_entry_safe(ptr, type, member) \
	((ptr) ? rb_entry(ptr, type, member) : NULL)

static inline struct rb_node *rb_parent(const struct rb_node *n)
{
	return (struct rb_node *)(n->rb_parent_color & ~(uintptr_t)3);
}

static inline int rb_empty_root(const struct rb_root *root)
{
	return root->rb_node == NULL;
}

/* Place node at *link below parent, found by the caller's descent; then rebalance. */
static inline void rb_link_node(struct rb_node *node, struct rb_node *parent,
				struct rb_node **link)
{
	node->rb_parent_color = (uintptr_t)parent;
	node->rb_left = node->rb_right = NULL;
	*link = node;
}

void rb_insert_color(struct rb_node *node, struct rb_root *root);
void rb_erase(struct rb_node *node, struct rb_root *root);

struct rb_node *rb_first(const struct rb_root *root);
struct rb_node *rb_last(const struct rb_root *root);
struct rb_node *rb_next(const struct rb_node *node);
struct rb_node *rb_prev(const struct rb_node *node);

#endif
