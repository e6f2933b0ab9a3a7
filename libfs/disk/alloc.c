/* Free space, pinned extents and delayed references (see alloc.h). */
#include <errno.h>
#include <stdlib.h>

#include "disk/alloc.h"
#include "disk/ctree.h"

/*
 * Range sets are rbtrees by start, augmented with the longest range of each
 * subtree (max_len), so that a fit is found in O(log n) however fragmented the
 * free space (as the kernel's include/linux/rbtree_augmented.h does for vmas).
 */
struct range {
	struct rb_node rb;
	uint64_t start, len;
	uint64_t max_len;		/* the longest len in this subtree */
};

struct delayed_ref {
	struct rb_node rb;
	uint64_t bytenr, num_bytes;
	int64_t delta;
	uint64_t flags, owner;
	int level;
};

/* ---- range sets (free space, pinned) ---- */

static uint64_t subtree_max(const struct rb_node *n)
{
	return n ? rb_entry(n, const struct range, rb)->max_len : 0;
}

static void range_recompute(struct rb_node *n)
{
	struct range *r = rb_entry(n, struct range, rb);
	uint64_t l = subtree_max(n->rb_left), g = subtree_max(n->rb_right);

	r->max_len = r->len;
	if (l > r->max_len)
		r->max_len = l;
	if (g > r->max_len)
		r->max_len = g;
}

/*
 * Bring max_len up to date after n changed or the tree changed shape at n.
 * The rotations of an insertion (at n) or of an erasure (whose rebalancing
 * starts at n) leave every node they moved on n's path to the root or a child
 * of it, so recomputing those, bottom up, is enough.
 */
static void range_fix(struct rb_node *n)
{
	for (; n; n = rb_parent(n)) {
		if (n->rb_left)
			range_recompute(n->rb_left);
		if (n->rb_right)
			range_recompute(n->rb_right);
		range_recompute(n);
	}
}

static void range_erase(struct rb_root *root, struct range *r)
{
	struct rb_node *n = &r->rb, *from = rb_parent(n);

	/* rb_erase moves the successor into n's place: rebalancing starts below it */
	if (n->rb_left && n->rb_right) {
		struct rb_node *succ = rb_next(n);

		from = rb_parent(succ) == n ? succ : rb_parent(succ);
	}
	rb_erase(n, root);
	range_fix(from);
}

/* The range that starts at or before start and is the last such, or NULL. */
static struct range *range_floor(struct rb_root *root, uint64_t start)
{
	struct rb_node *n = root->rb_node;
	struct range *best = NULL;

	while (n) {
		struct range *r = rb_entry(n, struct range, rb);

		if (r->start <= start) {
			best = r;
			n = n->rb_right;
		} else {
			n = n->rb_left;
		}
	}
	return best;
}

/* The first range of subtree n at least len long, or NULL. */
static struct range *range_leftmost_fit(struct rb_node *n, uint64_t len)
{
	while (n && subtree_max(n) >= len) {
		struct range *r = rb_entry(n, struct range, rb);

		if (subtree_max(n->rb_left) >= len)
			n = n->rb_left;
		else if (r->len >= len)
			return r;
		else
			n = n->rb_right;
	}
	return NULL;
}

/* The first range starting at or after from that is at least len long, or NULL:
 * one descent towards from, each step keeping the nearer candidate. */
static struct range *range_first_fit(struct rb_root *root, uint64_t from, uint64_t len)
{
	struct rb_node *n = root->rb_node, *later = NULL;
	struct range *hit = NULL;

	while (n && subtree_max(n) >= len) {
		struct range *r = rb_entry(n, struct range, rb);

		if (r->start < from) {
			n = n->rb_right;
			continue;
		}
		if (r->len >= len) {
			hit = r;
			later = NULL;
		} else if (subtree_max(n->rb_right) >= len) {
			hit = NULL;
			later = n->rb_right;
		}
		n = n->rb_left;
	}
	return hit ? hit : range_leftmost_fit(later, len);
}

static void range_link(struct rb_root *root, struct range *r)
{
	struct rb_node **link = &root->rb_node, *parent = NULL;

	while (*link) {
		struct range *cur = rb_entry(*link, struct range, rb);

		parent = *link;
		link = r->start < cur->start ? &(*link)->rb_left : &(*link)->rb_right;
	}
	r->max_len = r->len;
	rb_link_node(&r->rb, parent, link);
	rb_insert_color(&r->rb, root);
	range_fix(&r->rb);
}

/* Add [start, start+len) to a set of disjoint ranges, merging with neighbours. */
static int range_add(struct rb_root *root, uint64_t start, uint64_t len)
{
	struct range *prev = range_floor(root, start), *next;
	struct rb_node *nn;

	if (prev && prev->start + prev->len == start) {
		prev->len += len;
		nn = rb_next(&prev->rb);
		next = rb_entry_safe(nn, struct range, rb);
		if (next && prev->start + prev->len == next->start) {
			prev->len += next->len;
			range_erase(root, next);
			free(next);
		}
		range_fix(&prev->rb);
		return 0;
	}
	nn = prev ? rb_next(&prev->rb) : rb_first(root);
	next = rb_entry_safe(nn, struct range, rb);
	if (next && start + len == next->start) {
		next->start = start;
		next->len += len;
		range_fix(&next->rb);
		return 0;
	}
	prev = malloc(sizeof(*prev));
	if (!prev)
		return -ENOMEM;
	prev->start = start;
	prev->len = len;
	range_link(root, prev);
	return 0;
}

static void range_destroy(struct rb_root *root)
{
	struct rb_node *n;

	while ((n = rb_first(root))) {
		rb_erase(n, root);
		free(rb_entry(n, struct range, rb));
	}
}

/* Take [from, from + len) out of r, which holds it. */
static int range_take(struct cowfs_fs *fs, struct range *r, uint64_t from, uint64_t len)
{
	uint64_t tail = r->start + r->len - (from + len);

	if (from == r->start) {
		r->start += len;
		r->len -= len;
		if (!r->len) {
			range_erase(&fs->free_space, r);
			free(r);
		} else {
			range_fix(&r->rb);
		}
		return 0;
	}
	r->len = from - r->start;
	range_fix(&r->rb);
	if (tail && range_add(&fs->free_space, from + len, tail) < 0) {
		r->len += len + tail;
		range_fix(&r->rb);
		return -ENOMEM;
	}
	return 0;
}

/*
 * Next fit from the cursor, so that the allocations of one transaction land
 * side by side: the rest of the range holding the cursor, else the first range
 * after it that is long enough, else the first such from the start.
 */
int alloc_range(struct cowfs_fs *fs, uint64_t len, uint64_t *bytenr)
{
	uint64_t cursor = fs->alloc_cursor, from;
	struct range *r;
	int ret;

	if (!len || len % COWFS_BLOCK_SIZE)
		return -EINVAL;
	r = range_floor(&fs->free_space, cursor);
	if (r && r->start < cursor && r->start + r->len > cursor &&
	    r->start + r->len - cursor >= len)
		from = cursor;
	else if ((r = range_first_fit(&fs->free_space, cursor, len)) ||
		 (r = range_first_fit(&fs->free_space, 0, len)))
		from = r->start;
	else
		return -ENOSPC;
	ret = range_take(fs, r, from, len);
	if (ret < 0)
		return ret;
	fs->free_bytes -= len;
	fs->alloc_cursor = from + len;
	*bytenr = from;
	return 0;
}

void free_range(struct cowfs_fs *fs, uint64_t bytenr, uint64_t len)
{
	if (range_add(&fs->free_space, bytenr, len) == 0)
		fs->free_bytes += len;
}

void pin_range(struct cowfs_fs *fs, uint64_t bytenr, uint64_t len)
{
	range_add(&fs->pinned, bytenr, len);
}

void unpin_all(struct cowfs_fs *fs)
{
	struct rb_node *n;

	while ((n = rb_first(&fs->pinned))) {
		struct range *r = rb_entry(n, struct range, rb);

		range_erase(&fs->pinned, r);
		free_range(fs, r->start, r->len);
		free(r);
	}
}

int free_space_load(struct cowfs_fs *fs)
{
	struct cowfs_key key = { 0, 0, 0 };
	uint64_t cursor = COWFS_RESERVED_BYTES, end = fs->dev.size;
	struct cowfs_path p;
	int ret;

	if (cowfs_super_total_bytes(&fs->super) < end)
		end = cowfs_super_total_bytes(&fs->super);
	fs->free_space = RB_ROOT;
	fs->pinned = RB_ROOT;
	fs->free_bytes = 0;
	path_init(&p);
	ret = search_forward(&fs->extent_root, &key, &p);
	while (ret == 0) {
		eb_item_key(p.nodes[0], p.slots[0], &key);
		if (key.type == COWFS_EXTENT_ITEM) {
			if (key.objectid < cursor || key.offset > end || key.objectid > end - key.offset) {
				ret = -COWFS_ECORRUPT;
				break;
			}
			if (key.objectid > cursor)
				free_range(fs, cursor, key.objectid - cursor);
			cursor = key.objectid + key.offset;
		}
		ret = next_item(&fs->extent_root, &p);
	}
	path_release(fs, &p);
	if (ret < 0)
		return ret;
	end &= ~(uint64_t)(COWFS_BLOCK_SIZE - 1);
	if (end > cursor)
		free_range(fs, cursor, end - cursor);
	fs->alloc_cursor = COWFS_RESERVED_BYTES;
	return 0;
}

void free_space_destroy(struct cowfs_fs *fs)
{
	range_destroy(&fs->free_space);
	range_destroy(&fs->pinned);
}

/* ---- delayed references ---- */

static int add_delayed_ref(struct cowfs_fs *fs, uint64_t bytenr, uint64_t num_bytes,
			   int delta, uint64_t flags, uint64_t owner, int level)
{
	struct rb_node **link = &fs->delayed_refs.rb_node, *parent = NULL;
	struct delayed_ref *ref;

	while (*link) {
		ref = rb_entry(*link, struct delayed_ref, rb);
		parent = *link;
		if (bytenr < ref->bytenr) {
			link = &(*link)->rb_left;
		} else if (bytenr > ref->bytenr) {
			link = &(*link)->rb_right;
		} else {
			ref->delta += delta;
			return 0;
		}
	}
	ref = calloc(1, sizeof(*ref));
	if (!ref)
		return -ENOMEM;
	ref->bytenr = bytenr;
	ref->num_bytes = num_bytes;
	ref->delta = delta;
	ref->flags = flags;
	ref->owner = owner;
	ref->level = level;
	rb_link_node(&ref->rb, parent, link);
	rb_insert_color(&ref->rb, &fs->delayed_refs);
	fs->delayed_ref_count++;
	fs->trans_dirty = 1;
	return 0;
}

int alloc_tree_block(struct cowfs_fs *fs, uint64_t owner, int level, uint64_t *bytenr)
{
	int ret = alloc_range(fs, COWFS_NODE_SIZE, bytenr);

	if (ret < 0)
		return ret;
	ret = add_delayed_ref(fs, *bytenr, COWFS_NODE_SIZE, 1, COWFS_EXTENT_FLAG_TREE_BLOCK,
			      owner, level);
	if (ret < 0)
		free_range(fs, *bytenr, COWFS_NODE_SIZE);
	return ret;
}

void free_tree_block(struct cowfs_fs *fs, uint64_t bytenr, uint64_t owner, int level)
{
	/* An allocation failure here leaks the block until a checker notices; never corrupts. */
	add_delayed_ref(fs, bytenr, COWFS_NODE_SIZE, -1, COWFS_EXTENT_FLAG_TREE_BLOCK, owner, level);
}

int add_data_ref(struct cowfs_fs *fs, uint64_t bytenr, uint64_t num_bytes, int delta)
{
	return add_delayed_ref(fs, bytenr, num_bytes, delta, COWFS_EXTENT_FLAG_DATA, 0, 0);
}

/* An extent lost its last reference: its record and csums go, its space is pinned
 * if the last commit may reference it, or freed at once if it never was durable. */
static int release_extent(struct cowfs_fs *fs, struct delayed_ref *ref, int durable)
{
	int ret = 0;

	if (ref->flags & COWFS_EXTENT_FLAG_DATA) {
		struct cowfs_key ck = { COWFS_CSUM_OBJECTID, COWFS_EXTENT_CSUM, ref->bytenr };

		ret = delete_item(&fs->csum_root, &ck);
		if (ret == -ENOENT)
			ret = 0;
	}
	if (durable)
		pin_range(fs, ref->bytenr, ref->num_bytes);
	else
		free_range(fs, ref->bytenr, ref->num_bytes);
	return ret;
}

static int apply_ref(struct cowfs_fs *fs, struct delayed_ref *ref)
{
	struct cowfs_key key = { ref->bytenr, COWFS_EXTENT_ITEM, ref->num_bytes };
	struct cowfs_extent_item ei;
	int ret = lookup_item(&fs->extent_root, &key, &ei, sizeof(ei));

	if (ret == -ENOENT) {
		if (ref->delta < 0)
			return -COWFS_ECORRUPT;
		if (ref->delta == 0)	/* allocated and dropped within this transaction */
			return release_extent(fs, ref, 0);
		memset(&ei, 0, sizeof(ei));
		cowfs_set_extent_item_refs(&ei, (uint64_t)ref->delta);
		cowfs_set_extent_item_generation(&ei, fs->transid);
		cowfs_set_extent_item_flags(&ei, ref->flags);
		cowfs_set_extent_item_owner(&ei, ref->owner);
		ei.level = (uint8_t)ref->level;
		fs->bytes_used += ref->num_bytes;
		return insert_item(&fs->extent_root, &key, &ei, sizeof(ei));
	}
	if (ret < 0)
		return ret;
	if (ret != sizeof(ei))
		return -COWFS_ECORRUPT;
	if (ref->delta == 0)
		return 0;
	uint64_t refs = cowfs_extent_item_refs(&ei);

	if (ref->delta < 0 && refs < (uint64_t)-ref->delta)
		return -COWFS_ECORRUPT;
	refs += (uint64_t)ref->delta;
	if (refs == 0) {
		ret = delete_item(&fs->extent_root, &key);
		if (ret < 0)
			return ret;
		fs->bytes_used -= ref->num_bytes;
		return release_extent(fs, ref, 1);
	}
	cowfs_set_extent_item_refs(&ei, refs);
	return update_item(&fs->extent_root, &key, &ei, sizeof(ei));
}

int run_delayed_refs(struct cowfs_fs *fs)
{
	struct rb_node *n;

	/* Applying a ref changes the extent tree, which may queue more: run to a fixed point. */
	while ((n = rb_first(&fs->delayed_refs))) {
		struct delayed_ref *ref = rb_entry(n, struct delayed_ref, rb);
		int ret;

		rb_erase(n, &fs->delayed_refs);
		fs->delayed_ref_count--;
		ret = apply_ref(fs, ref);
		free(ref);
		if (ret < 0)
			return ret;
	}
	return 0;
}

void delayed_refs_destroy(struct cowfs_fs *fs)
{
	struct rb_node *n;

	while ((n = rb_first(&fs->delayed_refs))) {
		rb_erase(n, &fs->delayed_refs);
		free(rb_entry(n, struct delayed_ref, rb));
	}
	fs->delayed_ref_count = 0;
}
