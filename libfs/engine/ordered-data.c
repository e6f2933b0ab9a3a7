/* Ordered extents: see ordered-data.h. */
#include <errno.h>
#include <stdlib.h>

#include "engine/ordered-data.h"
#include "engine/page-cache.h"

#define BLOCK_SHIFT PAGE_SHIFT

static struct ordered_extent *oe_of(const struct rb_node *n)
{
	return rb_entry_safe(n, struct ordered_extent, rb_node);
}

void ordered_tree_init(struct ordered_tree *tree)
{
	tree->tree = RB_ROOT;
	tree->nr = 0;
}

static void free_ordered(struct ordered_extent *oe)
{
	free(oe->csums);
	free(oe->csum_done);
	free(oe);
}

void ordered_tree_release(struct ordered_tree *tree)
{
	struct rb_node *n;

	while ((n = tree->tree.rb_node)) {
		rb_erase(n, &tree->tree);
		free_ordered(oe_of(n));
	}
	tree->nr = 0;
}

/* The last extent starting at or before offset, or NULL. */
static struct ordered_extent *last_at_or_before(const struct ordered_tree *tree, uint64_t offset)
{
	struct rb_node *n = tree->tree.rb_node;
	struct ordered_extent *found = NULL;

	while (n) {
		struct ordered_extent *oe = oe_of(n);

		if (oe->file_offset <= offset) {
			found = oe;
			n = n->rb_right;
		} else {
			n = n->rb_left;
		}
	}
	return found;
}

int add_ordered_extent(struct ordered_tree *tree, void *inode, uint64_t file_offset,
		       uint64_t disk_bytenr, uint64_t num_bytes, struct ordered_extent **out)
{
	struct rb_node **link = &tree->tree.rb_node, *parent = NULL;
	uint64_t blocks = num_bytes >> BLOCK_SHIFT;
	struct ordered_extent *oe;

	if (!num_bytes || (num_bytes & (PAGE_SIZE - 1)) || file_offset + num_bytes < file_offset)
		return -EINVAL;
	while (*link) {
		struct ordered_extent *cur = oe_of(*link);

		parent = *link;
		if (file_offset + num_bytes <= cur->file_offset)
			link = &parent->rb_left;
		else if (file_offset >= ordered_end(cur))
			link = &parent->rb_right;
		else
			return -EEXIST;
	}
	oe = calloc(1, sizeof(*oe));
	if (!oe)
		return -ENOMEM;
	oe->csums = calloc(blocks, sizeof(*oe->csums));
	oe->csum_done = calloc(blocks, 1);
	if (!oe->csums || !oe->csum_done) {
		free_ordered(oe);
		return -ENOMEM;
	}
	oe->inode = inode;
	oe->file_offset = file_offset;
	oe->disk_bytenr = disk_bytenr;
	oe->num_bytes = oe->disk_num_bytes = oe->bytes_left = num_bytes;
	oe->truncated_len = UINT64_MAX;
	oe->flags = BTRFS_ORDERED_REGULAR;
	oe->refs = 1;
	oe->in_tree = 1;
	rb_link_node(&oe->rb_node, parent, link);
	rb_insert_color(&oe->rb_node, &tree->tree);
	tree->nr++;
	*out = oe;
	return 0;
}

struct ordered_extent *lookup_ordered_extent(struct ordered_tree *tree, uint64_t file_offset)
{
	struct ordered_extent *oe = last_at_or_before(tree, file_offset);

	if (!oe || file_offset >= ordered_end(oe))
		return NULL;
	get_ordered_extent(oe);
	return oe;
}

struct ordered_extent *lookup_ordered_range(struct ordered_tree *tree, uint64_t start,
					    uint64_t len)
{
	struct ordered_extent *oe = last_at_or_before(tree, start);
	uint64_t end = start + len;

	if (!len)
		return NULL;
	if (end < start)
		end = UINT64_MAX;
	if (!oe || ordered_end(oe) <= start)
		oe = oe ? ordered_next(oe) : ordered_first(tree);
	if (!oe || oe->file_offset >= end)
		return NULL;
	get_ordered_extent(oe);
	return oe;
}

struct ordered_extent *lookup_first_ordered_extent(struct ordered_tree *tree,
						   uint64_t file_offset)
{
	struct ordered_extent *oe = last_at_or_before(tree, file_offset);

	if (oe)
		get_ordered_extent(oe);
	return oe;
}

struct ordered_extent *ordered_first(struct ordered_tree *tree)
{
	return oe_of(rb_first(&tree->tree));
}

struct ordered_extent *ordered_next(struct ordered_extent *oe)
{
	return oe_of(rb_next(&oe->rb_node));
}

void get_ordered_extent(struct ordered_extent *oe)
{
	oe->refs++;
}

void put_ordered_extent(struct ordered_extent *oe)
{
	if (--oe->refs == 0)
		free_ordered(oe);
}

int dec_test_ordered_pending(struct ordered_extent *oe, uint64_t file_offset, uint64_t len,
			     int uptodate)
{
	if (file_offset < oe->file_offset || file_offset + len > ordered_end(oe) ||
	    len > oe->bytes_left)
		return -EINVAL;
	if (!uptodate)
		oe->flags |= BTRFS_ORDERED_IOERR;
	oe->bytes_left -= len;
	if (oe->bytes_left || (oe->flags & BTRFS_ORDERED_IO_DONE))
		return 0;
	oe->flags |= BTRFS_ORDERED_IO_DONE;
	return 1;
}

void remove_ordered_extent(struct ordered_tree *tree, struct ordered_extent *oe)
{
	if (!oe->in_tree)
		return;
	rb_erase(&oe->rb_node, &tree->tree);
	tree->nr--;
	oe->in_tree = 0;
	oe->flags |= BTRFS_ORDERED_COMPLETE;
	put_ordered_extent(oe);
}

void ordered_set_csum(struct ordered_extent *oe, uint64_t file_offset, uint32_t csum)
{
	uint64_t i = (file_offset - oe->file_offset) >> BLOCK_SHIFT;

	if (file_offset < oe->file_offset || file_offset >= ordered_end(oe))
		return;
	oe->csums[i] = csum;
	oe->csum_done[i] = 1;
}

int find_ordered_sum(struct ordered_tree *tree, uint64_t file_offset, uint32_t *csum)
{
	struct ordered_extent *oe = last_at_or_before(tree, file_offset);
	uint64_t i;

	if (!oe || file_offset >= ordered_end(oe))
		return 0;
	i = (file_offset - oe->file_offset) >> BLOCK_SHIFT;
	if (!oe->csum_done[i])
		return 0;
	*csum = oe->csums[i];
	return 1;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* An unfinished extent below offset and above disk_i_size holds the size back:
 * remember offset in it, so that its completion carries the size that far. */
static int held_back(struct ordered_extent *test, struct ordered_extent *ordered, uint64_t offset,
		     uint64_t i_size, uint64_t disk_i_size)
{
	for (; test; test = oe_of(rb_prev(&test->rb_node))) {
		if (test->flags & BTRFS_ORDERED_UPDATED_ISIZE)
			continue;
		if (ordered_end(test) <= disk_i_size || test->file_offset >= i_size)
			return 0;
		if (test->outstanding_isize < offset)
			test->outstanding_isize = offset;
		if (ordered && ordered->outstanding_isize > test->outstanding_isize)
			test->outstanding_isize = ordered->outstanding_isize;
		return 1;
	}
	return 0;
}

int ordered_update_i_size(struct ordered_tree *tree, uint64_t offset,
			  struct ordered_extent *ordered, uint64_t i_size, uint64_t *disk_i_size)
{
	uint64_t orig_offset = offset, new_i_size;
	struct ordered_extent *test;
	int ret = 1;

	if (ordered) {
		offset = ordered_end(ordered);
		if (ordered->flags & BTRFS_ORDERED_TRUNCATED)
			offset = min_u64(offset, ordered->file_offset + ordered->truncated_len);
	} else {
		offset = (offset + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
	}
	if (!ordered && *disk_i_size > i_size) {
		*disk_i_size = orig_offset;	/* a truncate */
		ret = 0;
		goto out;
	}
	if (*disk_i_size == i_size)
		goto out;
	if (offset <= *disk_i_size && (!ordered || ordered->outstanding_isize <= *disk_i_size))
		goto out;
	if (ordered) {
		test = ordered->in_tree ? oe_of(rb_prev(&ordered->rb_node)) : NULL;
	} else {
		test = offset ? last_at_or_before(tree, offset - 1) : NULL;
		if (test && offset < ordered_end(test))
			test = oe_of(rb_prev(&test->rb_node));	/* the kernel BUG()s here */
	}
	if (held_back(test, ordered, offset, i_size, *disk_i_size))
		goto out;
	new_i_size = min_u64(offset, i_size);
	if (ordered && ordered->outstanding_isize > new_i_size)
		new_i_size = min_u64(ordered->outstanding_isize, i_size);
	*disk_i_size = new_i_size;
	ret = 0;
out:
	if (ordered)
		ordered->flags |= BTRFS_ORDERED_UPDATED_ISIZE;
	return ret;
}
