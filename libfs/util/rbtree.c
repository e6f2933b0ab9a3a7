/* Red-black tree rebalancing, after the interface of the kernel's lib/rbtree.c.
 *
 * Invariants: the root is black, a red node has no red child, and every path
 * from a node down to a NULL leaf crosses the same number of black nodes.
 * Together they keep the height below 2 log2(n + 1).  The colour lives in bit
 * 0 of rb_parent_color (nodes are at least 4-byte aligned); red is 0, so
 * rb_link_node() leaves a new node red.
 */
#include "util/rbtree.h"

#define RB_RED		0
#define RB_BLACK	1

static inline int rb_color(const struct rb_node *n)
{
	return n->rb_parent_color & 1;
}

/* NULL leaves count as black. */
static inline int rb_is_red(const struct rb_node *n)
{
	return n && rb_color(n) == RB_RED;
}

static inline int rb_is_black(const struct rb_node *n)
{
	return !rb_is_red(n);
}

static inline void rb_set_color(struct rb_node *n, int color)
{
	n->rb_parent_color = (n->rb_parent_color & ~(uintptr_t)1) | (uintptr_t)color;
}

static inline void rb_set_parent(struct rb_node *n, struct rb_node *parent)
{
	n->rb_parent_color = (n->rb_parent_color & 3) | (uintptr_t)parent;
}

/* Make parent point at new where it pointed at old (or the root, if parent is NULL). */
static void rb_change_child(struct rb_node *old, struct rb_node *new,
			    struct rb_node *parent, struct rb_root *root)
{
	if (!parent)
		root->rb_node = new;
	else if (parent->rb_left == old)
		parent->rb_left = new;
	else
		parent->rb_right = new;
}

/* x's right child takes x's place; x becomes its left child.  Colours are kept. */
static void rb_rotate_left(struct rb_node *x, struct rb_root *root)
{
	struct rb_node *y = x->rb_right;
	struct rb_node *parent = rb_parent(x);

	x->rb_right = y->rb_left;
	if (y->rb_left)
		rb_set_parent(y->rb_left, x);
	y->rb_left = x;
	rb_set_parent(y, parent);
	rb_change_child(x, y, parent, root);
	rb_set_parent(x, y);
}

static void rb_rotate_right(struct rb_node *x, struct rb_root *root)
{
	struct rb_node *y = x->rb_left;
	struct rb_node *parent = rb_parent(x);

	x->rb_left = y->rb_right;
	if (y->rb_right)
		rb_set_parent(y->rb_right, x);
	y->rb_right = x;
	rb_set_parent(y, parent);
	rb_change_child(x, y, parent, root);
	rb_set_parent(x, y);
}

void rb_insert_color(struct rb_node *node, struct rb_root *root)
{
	struct rb_node *parent, *gparent, *uncle;

	/* A red parent is never the root, so gparent exists. */
	while ((parent = rb_parent(node)) && rb_is_red(parent)) {
		gparent = rb_parent(parent);
		if (parent == gparent->rb_left) {
			uncle = gparent->rb_right;
			if (rb_is_red(uncle)) {
				/* Push the blackness down from gparent; the problem moves up two levels. */
				rb_set_color(uncle, RB_BLACK);
				rb_set_color(parent, RB_BLACK);
				rb_set_color(gparent, RB_RED);
				node = gparent;
				continue;
			}
			if (node == parent->rb_right) {
				rb_rotate_left(parent, root);
				parent = node;
			}
			rb_set_color(parent, RB_BLACK);
			rb_set_color(gparent, RB_RED);
			rb_rotate_right(gparent, root);
		} else {
			uncle = gparent->rb_left;
			if (rb_is_red(uncle)) {
				rb_set_color(uncle, RB_BLACK);
				rb_set_color(parent, RB_BLACK);
				rb_set_color(gparent, RB_RED);
				node = gparent;
				continue;
			}
			if (node == parent->rb_left) {
				rb_rotate_right(parent, root);
				parent = node;
			}
			rb_set_color(parent, RB_BLACK);
			rb_set_color(gparent, RB_RED);
			rb_rotate_left(gparent, root);
		}
		break;
	}
	rb_set_color(root->rb_node, RB_BLACK);
}

/*
 * The path through child (possibly a NULL leaf) below parent is one black node
 * short.  Borrow from the sibling's side or push the deficit up the tree.
 */
static void rb_erase_fixup(struct rb_node *child, struct rb_node *parent,
			   struct rb_root *root)
{
	struct rb_node *sib;

	while (child != root->rb_node && rb_is_black(child)) {
		/* parent has a real sibling subtree: its black height is at least one. */
		if (child == parent->rb_left) {
			sib = parent->rb_right;
			if (rb_is_red(sib)) {
				rb_set_color(sib, RB_BLACK);
				rb_set_color(parent, RB_RED);
				rb_rotate_left(parent, root);
				sib = parent->rb_right;
			}
			if (rb_is_black(sib->rb_left) && rb_is_black(sib->rb_right)) {
				rb_set_color(sib, RB_RED);
				child = parent;
				parent = rb_parent(child);
				continue;
			}
			if (rb_is_black(sib->rb_right)) {
				rb_set_color(sib->rb_left, RB_BLACK);
				rb_set_color(sib, RB_RED);
				rb_rotate_right(sib, root);
				sib = parent->rb_right;
			}
			rb_set_color(sib, rb_color(parent));
			rb_set_color(parent, RB_BLACK);
			rb_set_color(sib->rb_right, RB_BLACK);
			rb_rotate_left(parent, root);
		} else {
			sib = parent->rb_left;
			if (rb_is_red(sib)) {
				rb_set_color(sib, RB_BLACK);
				rb_set_color(parent, RB_RED);
				rb_rotate_right(parent, root);
				sib = parent->rb_left;
			}
			if (rb_is_black(sib->rb_left) && rb_is_black(sib->rb_right)) {
				rb_set_color(sib, RB_RED);
				child = parent;
				parent = rb_parent(child);
				continue;
			}
			if (rb_is_black(sib->rb_left)) {
				rb_set_color(sib->rb_right, RB_BLACK);
				rb_set_color(sib, RB_RED);
				rb_rotate_left(sib, root);
				sib = parent->rb_left;
			}
			rb_set_color(sib, rb_color(parent));
			rb_set_color(parent, RB_BLACK);
			rb_set_color(sib->rb_left, RB_BLACK);
			rb_rotate_right(parent, root);
		}
		child = root->rb_node;
		break;
	}
	if (child)
		rb_set_color(child, RB_BLACK);
}

void rb_erase(struct rb_node *node, struct rb_root *root)
{
	struct rb_node *child, *parent;
	int removed_color;

	if (!node->rb_left || !node->rb_right) {
		child = node->rb_left ? node->rb_left : node->rb_right;
		parent = rb_parent(node);
		removed_color = rb_color(node);
		if (child)
			rb_set_parent(child, parent);
		rb_change_child(node, child, parent, root);
	} else {
		/* Two children: the in-order successor takes node's place and colour. */
		struct rb_node *succ = node->rb_right;

		while (succ->rb_left)
			succ = succ->rb_left;
		child = succ->rb_right;
		removed_color = rb_color(succ);
		if (rb_parent(succ) == node) {
			parent = succ;
		} else {
			parent = rb_parent(succ);
			parent->rb_left = child;
			if (child)
				rb_set_parent(child, parent);
			succ->rb_right = node->rb_right;
			rb_set_parent(succ->rb_right, succ);
		}
		succ->rb_left = node->rb_left;
		rb_set_parent(succ->rb_left, succ);
		succ->rb_parent_color = node->rb_parent_color;
		rb_change_child(node, succ, rb_parent(node), root);
	}
	if (removed_color == RB_BLACK)
		rb_erase_fixup(child, parent, root);
}

struct rb_node *rb_first(const struct rb_root *root)
{
	struct rb_node *n = root->rb_node;

	if (!n)
		return NULL;
	while (n->rb_left)
		n = n->rb_left;
	return n;
}

struct rb_node *rb_last(const struct rb_root *root)
{
	struct rb_node *n = root->rb_node;

	if (!n)
		return NULL;
	while (n->rb_right)
		n = n->rb_right;
	return n;
}

struct rb_node *rb_next(const struct rb_node *node)
{
	struct rb_node *parent;

	if (!node)
		return NULL;
	if (node->rb_right) {
		node = node->rb_right;
		while (node->rb_left)
			node = node->rb_left;
		return (struct rb_node *)node;
	}
	/* Climb until we arrive from a left child: that parent is next. */
	while ((parent = rb_parent(node)) && node == parent->rb_right)
		node = parent;
	return parent;
}

struct rb_node *rb_prev(const struct rb_node *node)
{
	struct rb_node *parent;

	if (!node)
		return NULL;
	if (node->rb_left) {
		node = node->rb_left;
		while (node->rb_right)
			node = node->rb_right;
		return (struct rb_node *)node;
	}
	while ((parent = rb_parent(node)) && node == parent->rb_left)
		node = parent;
	return parent;
}
