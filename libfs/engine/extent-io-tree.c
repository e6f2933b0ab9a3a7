/* The extent io tree (btrfs fs/btrfs/extent_io.c, v5.4): see extent-io-tree.h. */
#include <errno.h>
#include <stdlib.h>

#include "engine/extent-io-tree.h"

/* Bits that keep a state from merging with its neighbours, as merge_state(). */
#define NO_MERGE_BITS (EXTENT_LOCKED | EXTENT_BOUNDARY)

static struct extent_state *state_of(const struct rb_node *n)
{
	return rb_entry_safe(n, struct extent_state, rb_node);
}

void extent_io_tree_init(struct extent_io_tree *tree, const struct extent_io_ops *ops,
			 void *priv)
{
	tree->state = RB_ROOT;
	tree->nr_states = 0;
	tree->ops = ops;
	tree->priv = priv;
}

void extent_io_tree_release(struct extent_io_tree *tree)
{
	struct rb_node *n;

	while ((n = tree->state.rb_node)) {
		rb_erase(n, &tree->state);
		free(state_of(n));
	}
	tree->nr_states = 0;
}

/* The first state whose end is at or after offset (tree_search()). */
static struct extent_state *tree_search(const struct extent_io_tree *tree, uint64_t offset)
{
	struct rb_node *n = tree->state.rb_node;
	struct extent_state *found = NULL;

	while (n) {
		struct extent_state *s = state_of(n);

		if (s->end < offset) {
			n = n->rb_right;
		} else {
			found = s;
			if (s->start <= offset)
				break;
			n = n->rb_left;
		}
	}
	return found;
}

static struct extent_state *next_state(const struct extent_state *s)
{
	return state_of(rb_next(&s->rb_node));
}

static void insert_state(struct extent_io_tree *tree, struct extent_state *s)
{
	struct rb_node **link = &tree->state.rb_node, *parent = NULL;

	while (*link) {
		parent = *link;
		if (s->start < state_of(parent)->start)
			link = &parent->rb_left;
		else
			link = &parent->rb_right;
	}
	rb_link_node(&s->rb_node, parent, link);
	rb_insert_color(&s->rb_node, &tree->state);
	tree->nr_states++;
}

static void erase_state(struct extent_io_tree *tree, struct extent_state *s)
{
	rb_erase(&s->rb_node, &tree->state);
	tree->nr_states--;
	free(s);
}

/* Absorb equal adjacent neighbours into s. */
static void merge_state(struct extent_io_tree *tree, struct extent_state *s)
{
	struct extent_state *other;

	if (s->state & NO_MERGE_BITS)
		return;
	other = state_of(rb_prev(&s->rb_node));
	if (other && other->end + 1 == s->start && other->state == s->state) {
		s->start = other->start;
		erase_state(tree, other);
	}
	other = next_state(s);
	if (other && s->end + 1 == other->start && other->state == s->state) {
		s->end = other->end;
		erase_state(tree, other);
	}
}

/* Cut orig at offset at (orig->start < at <= orig->end): orig keeps [at, end], the
 * returned new state gets [start, at - 1] with the same bits. */
static struct extent_state *split_state(struct extent_io_tree *tree, struct extent_state *orig,
					uint64_t at)
{
	struct extent_state *left = malloc(sizeof(*left));

	if (!left)
		return NULL;
	*left = *orig;
	left->end = at - 1;
	orig->start = at;
	insert_state(tree, left);
	return left;
}

static void set_state_bits(struct extent_io_tree *tree, struct extent_state *s, unsigned bits,
			   const void *owner)
{
	if (tree->ops && tree->ops->set_bits)
		tree->ops->set_bits(tree->priv, s, bits);
	s->state |= bits & ~EXTENT_CTLBITS;
	if (bits & EXTENT_LOCKED)
		s->owner = owner;
}

static int insert_new(struct extent_io_tree *tree, uint64_t start, uint64_t end, unsigned bits,
		      const void *owner)
{
	struct extent_state *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->start = start;
	s->end = end;
	set_state_bits(tree, s, bits, owner);
	insert_state(tree, s);
	merge_state(tree, s);
	return 0;
}

int set_extent_bit(struct extent_io_tree *tree, uint64_t start, uint64_t end, unsigned bits,
		   unsigned exclusive_bits, uint64_t *failed_start, const void *owner)
{
	uint64_t cur = start;

	if (start > end)
		return -EINVAL;
	for (;;) {
		struct extent_state *s = tree_search(tree, cur);
		uint64_t last;

		if (!s || s->start > end)
			return insert_new(tree, cur, end, bits, owner);
		if (s->start > cur) {
			uint64_t next = s->start;	/* s may merge into the new state */
			int ret = insert_new(tree, cur, next - 1, bits, owner);

			if (ret)
				return ret;
			cur = next;
			continue;
		}
		if (s->state & exclusive_bits) {
			if (failed_start)
				*failed_start = cur;
			return -EEXIST;
		}
		if (s->start < cur && !split_state(tree, s, cur))
			return -ENOMEM;
		if (s->end > end) {
			s = split_state(tree, s, end + 1);
			if (!s)
				return -ENOMEM;
		}
		last = s->end;
		set_state_bits(tree, s, bits, owner);
		merge_state(tree, s);
		if (last >= end)
			return 0;
		cur = last + 1;
	}
}

static void clear_state_bits(struct extent_io_tree *tree, struct extent_state *s, unsigned bits)
{
	if (tree->ops && tree->ops->clear_bits)
		tree->ops->clear_bits(tree->priv, s, bits);
	s->state &= ~(bits & ~EXTENT_CTLBITS);
	if (!(s->state & EXTENT_LOCKED))
		s->owner = NULL;
	if (!s->state)
		erase_state(tree, s);
	else
		merge_state(tree, s);
}

int clear_extent_bit(struct extent_io_tree *tree, uint64_t start, uint64_t end, unsigned bits)
{
	unsigned clear = bits & ~EXTENT_CTLBITS;
	uint64_t cur = start;

	if (start > end)
		return -EINVAL;
	for (;;) {
		struct extent_state *s = tree_search(tree, cur);
		uint64_t last;

		if (!s || s->start > end)
			return 0;
		if (s->state & clear) {
			if (s->start < cur && !split_state(tree, s, cur))
				return -ENOMEM;
			if (s->end > end) {
				s = split_state(tree, s, end + 1);
				if (!s)
					return -ENOMEM;
			}
			last = s->end;
			clear_state_bits(tree, s, bits);
		} else {
			last = s->end;
		}
		if (last >= end)
			return 0;
		cur = last + 1;
	}
}

int test_range_bit(const struct extent_io_tree *tree, uint64_t start, uint64_t end,
		   unsigned bits, int filled)
{
	const struct extent_state *s = tree_search(tree, start);
	int bitset = 0;

	while (s && start <= end) {
		if (filled && s->start > start) {
			bitset = 0;
			break;
		}
		if (s->start > end)
			break;
		if (s->state & bits) {
			bitset = 1;
			if (!filled)
				break;
		} else if (filled) {
			bitset = 0;
			break;
		}
		if (s->end == UINT64_MAX)
			break;
		start = s->end + 1;
		if (start > end)
			break;
		s = next_state(s);
		if (!s) {
			if (filled)
				bitset = 0;
			break;
		}
	}
	return bitset;
}

int find_first_extent_bit(const struct extent_io_tree *tree, uint64_t start,
			  uint64_t *start_ret, uint64_t *end_ret, unsigned bits)
{
	for (const struct extent_state *s = tree_search(tree, start); s; s = next_state(s)) {
		if (s->state & bits) {
			*start_ret = s->start;
			*end_ret = s->end;
			return 0;
		}
	}
	return 1;
}

uint64_t count_range_bits(const struct extent_io_tree *tree, uint64_t *start,
			  uint64_t search_end, uint64_t max_bytes, unsigned bits, int contig)
{
	uint64_t cur_start = *start, total = 0, last = 0;
	int found = 0;

	if (search_end < cur_start)
		return 0;
	for (const struct extent_state *s = tree_search(tree, cur_start); s; s = next_state(s)) {
		if (s->start > search_end)
			break;
		if (contig && found && s->start > last + 1)
			break;
		if ((s->state & bits) == bits) {
			uint64_t lo = s->start > cur_start ? s->start : cur_start;
			uint64_t hi = s->end < search_end ? s->end : search_end;

			total += hi - lo + 1;
			if (!found) {
				*start = lo;
				found = 1;
			}
			if (total >= max_bytes)
				break;
			last = s->end;
		} else if (contig && found) {
			break;
		}
	}
	return total;
}

int find_delalloc_range(const struct extent_io_tree *tree, uint64_t *start, uint64_t *end,
			uint64_t max_bytes)
{
	const struct extent_state *s = tree_search(tree, *start);
	uint64_t cur = *start, total = 0;
	int found = 0;

	if (!s) {
		*end = UINT64_MAX;
		return 0;
	}
	for (; s; s = next_state(s)) {
		if (found && (s->start != cur || (s->state & EXTENT_BOUNDARY)))
			break;
		if (!(s->state & EXTENT_DELALLOC)) {
			if (!found)
				*end = s->end;
			break;
		}
		if (!found)
			*start = s->start;
		found = 1;
		*end = s->end;
		if (s->end == UINT64_MAX)
			break;
		cur = s->end + 1;
		total += s->end - s->start + 1;
		if (total >= max_bytes)
			break;
	}
	return found;
}

const struct extent_state *extent_state_at(const struct extent_io_tree *tree, uint64_t offset)
{
	const struct extent_state *s = tree_search(tree, offset);

	return s && s->start <= offset ? s : NULL;
}

const void *extent_lock_owner(const struct extent_io_tree *tree, uint64_t offset)
{
	const struct extent_state *s = extent_state_at(tree, offset);

	return s && (s->state & EXTENT_LOCKED) ? s->owner : NULL;
}
