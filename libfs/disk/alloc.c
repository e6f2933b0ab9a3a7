/* Free space, pinned extents and delayed references (see alloc.h). */
#include <errno.h>
#include <stdlib.h>

#include "disk/alloc.h"
#include "disk/ctree.h"

struct range {
	struct rb_node rb;
	uint64_t start, len;
};

struct delayed_ref {
	struct rb_node rb;
	uint64_t bytenr, num_bytes;
	int64_t delta;
	uint64_t flags, owner;
	int level;
};

/* ---- range sets (free space, pinned) ---- */

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

static void range_link(struct rb_root *root, struct range *r)
{
	struct rb_node **link = &root->rb_node, *parent = NULL;

	while (*link) {
		struct range *cur = rb_entry(*link, struct range, rb);

		parent = *link;
		link = r->start < cur->start ? &(*link)->rb_left : &(*link)->rb_right;
	}
	rb_link_node(&r->rb, parent, link);
	rb_insert_color(&r->rb, root);
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
			rb_erase(&next->rb, root);
			free(next);
		}
		return 0;
	}
	nn = prev ? rb_next(&prev->rb) : rb_first(root);
	next = rb_entry_safe(nn, struct range, rb);
	if (next && start + len == next->start) {
		next->start = start;
		next->len += len;
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

int alloc_range(struct cowfs_fs *fs, uint64_t len, uint64_t *bytenr)
{
	struct range *r = range_floor(&fs->free_space, fs->alloc_cursor);
	int wrapped = 0;

	if (!len || len % COWFS_BLOCK_SIZE)
		return -EINVAL;
	if (!r || r->start + r->len <= fs->alloc_cursor)
		r = rb_entry_safe(r ? rb_next(&r->rb) : rb_first(&fs->free_space), struct range, rb);
	/* Next fit from the cursor: allocations of one transaction land side by side. */
	for (;;) {
		if (!r) {
			if (wrapped++)
				return -ENOSPC;
			r = rb_entry_safe(rb_first(&fs->free_space), struct range, rb);
			continue;
		}
		uint64_t from = r->start < fs->alloc_cursor && !wrapped ? fs->alloc_cursor : r->start;

		if (r->start + r->len >= from + len) {
			uint64_t tail = r->start + r->len - (from + len);

			if (from == r->start) {
				r->start += len;
				r->len -= len;
				if (!r->len) {
					rb_erase(&r->rb, &fs->free_space);
					free(r);
				}
			} else {
				r->len = from - r->start;
				if (tail && range_add(&fs->free_space, from + len, tail) < 0) {
					r->len += len + tail;
					return -ENOMEM;
				}
			}
			fs->free_bytes -= len;
			fs->alloc_cursor = from + len;
			*bytenr = from;
			return 0;
		}
		r = rb_entry_safe(rb_next(&r->rb), struct range, rb);
	}
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

		rb_erase(n, &fs->pinned);
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
