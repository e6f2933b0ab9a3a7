/* An intrusive red-black tree, after the kernel's lib/rbtree.c interface.
 *
 * Every ordered index in libfs (free space, extent buffers, the extent io
 * tree, the page cache, ordered extents, the oracle) embeds a struct rb_node
 * and does its own descent, so each operation is O(log n) with no allocation.
 */
#ifndef COWFS_UTIL_RBTREE_H
#define COWFS_UTIL_RBTREE_H

#include <stdbool.h>
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

/* A node that is in no tree points at itself, so it can be tested and erased safely. */
#define RB_CLEAR_NODE(node)	((node)->rb_parent_color = (uintptr_t)(node))
#define RB_EMPTY_NODE(node)	((node)->rb_parent_color == (uintptr_t)(node))

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

/* The descent written once, as the kernel's rb_add()/rb_find()/rb_find_add(). */
static inline void rb_add(struct rb_node *node, struct rb_root *root,
			  bool (*less)(const struct rb_node *, const struct rb_node *))
{
	struct rb_node **link = &root->rb_node, *parent = NULL;

	while (*link) {
		parent = *link;
		link = less(node, parent) ? &parent->rb_left : &parent->rb_right;
	}
	rb_link_node(node, parent, link);
	rb_insert_color(node, root);
}

/* The node equal to key, or NULL.  cmp returns <0, 0, >0 as key sorts before, at, after n. */
static inline struct rb_node *rb_find(const void *key, const struct rb_root *root,
				      int (*cmp)(const void *key, const struct rb_node *n))
{
	struct rb_node *n = root->rb_node;

	while (n) {
		int c = cmp(key, n);

		if (c < 0)
			n = n->rb_left;
		else if (c > 0)
			n = n->rb_right;
		else
			return n;
	}
	return NULL;
}

/* Insert node unless one equal to it is there; return that one, or NULL once inserted. */
static inline struct rb_node *rb_find_add(struct rb_node *node, struct rb_root *root,
					  int (*cmp)(const struct rb_node *, const struct rb_node *))
{
	struct rb_node **link = &root->rb_node, *parent = NULL;

	while (*link) {
		int c;

		parent = *link;
		c = cmp(node, parent);
		if (c < 0)
			link = &parent->rb_left;
		else if (c > 0)
			link = &parent->rb_right;
		else
			return parent;
	}
	rb_link_node(node, parent, link);
	rb_insert_color(node, root);
	return NULL;
}

#endif
