/* The copy-on-write B+tree (see ctree.h for the rules it keeps). */
#include <errno.h>
#include <string.h>

#include "disk/alloc.h"
#include "disk/ctree.h"

#define LEAF_DATA	((uint32_t)COWFS_LEAF_DATA_SIZE)
#define ITEM_SIZE	((uint32_t)sizeof(struct cowfs_item))
#define PTR_SIZE	sizeof(struct cowfs_key_ptr)

static uint8_t *leaf_base(struct extent_buffer *eb)
{
	return eb->data + sizeof(struct cowfs_header);
}

static void set_nritems(struct extent_buffer *eb, uint32_t n)
{
	cowfs_set_header_nritems(eb_header(eb), n);
}

/* Lowest data offset used by the items (data is packed from the end down). */
static uint32_t leaf_data_end(struct extent_buffer *eb)
{
	uint32_t n = eb_nritems(eb);

	return n ? cowfs_item_offset(eb_item(eb, (int)n - 1)) : LEAF_DATA;
}

static uint32_t leaf_free_space(struct extent_buffer *eb)
{
	return leaf_data_end(eb) - eb_nritems(eb) * ITEM_SIZE;
}

void path_init(struct cowfs_path *p)
{
	memset(p, 0, sizeof(*p));
}

void path_release(struct cowfs_fs *fs, struct cowfs_path *p)
{
	for (int i = 0; i < COWFS_MAX_LEVEL; i++) {
		free_eb(fs, p->nodes[i]);
		p->nodes[i] = NULL;
		p->slots[i] = 0;
	}
}

/* First slot whose key is >= key: returns 0 if equal, 1 otherwise. */
static int bin_search(struct extent_buffer *eb, const struct cowfs_key *key, int *slot)
{
	int lo = 0, hi = (int)eb_nritems(eb);
	int leaf = eb_level(eb) == 0;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2, c;
		struct cowfs_key k;

		if (leaf)
			eb_item_key(eb, mid, &k);
		else
			eb_node_key(eb, mid, &k);
		c = cowfs_key_cmp(&k, key);
		if (c < 0) {
			lo = mid + 1;
		} else if (c > 0) {
			hi = mid;
		} else {
			*slot = mid;
			return 0;
		}
	}
	*slot = lo;
	return 1;
}

static int read_child(struct cowfs_root *root, struct extent_buffer *parent, int slot,
		      struct extent_buffer **out)
{
	struct cowfs_key_ptr *kp = eb_key_ptr(parent, slot);

	return read_tree_block(root->fs, cowfs_key_ptr_blockptr(kp), root->id,
			       eb_level(parent) - 1, cowfs_key_ptr_generation(kp), out);
}

/* Copy eb into the running transaction unless it already belongs to it
 * (btrfs_cow_block / should_cow_block).  parent, when not NULL, is already COWed. */
static int cow_block(struct cowfs_root *root, struct extent_buffer **ebp,
		     struct extent_buffer *parent, int parent_slot)
{
	struct cowfs_fs *fs = root->fs;
	struct extent_buffer *eb = *ebp, *cow;
	uint64_t bytenr;
	int level = eb_level(eb), ret;

	if (cowfs_header_generation(eb_header(eb)) == fs->transid && eb->dirty)
		return 0;
	ret = alloc_tree_block(fs, root->id, level, &bytenr);
	if (ret < 0)
		return ret;
	cow = eb_create(fs, bytenr, root->id, level);
	if (!cow) {
		free_range(fs, bytenr, COWFS_NODE_SIZE);
		return -ENOMEM;
	}
	memcpy(cow->data + sizeof(struct cowfs_header), eb->data + sizeof(struct cowfs_header),
	       COWFS_NODE_SIZE - sizeof(struct cowfs_header));
	cowfs_set_header_nritems(eb_header(cow), eb_nritems(eb));
	if (!parent) {
		cow->refs++;		/* the root's reference */
		free_eb(fs, root->node);
		root->node = cow;
	} else {
		struct cowfs_key_ptr *kp = eb_key_ptr(parent, parent_slot);

		cowfs_set_key_ptr_blockptr(kp, bytenr);
		cowfs_set_key_ptr_generation(kp, fs->transid);
		mark_eb_dirty(fs, parent);
	}
	free_tree_block(fs, eb->bytenr, root->id, level);
	eb_forget(fs, eb);
	free_eb(fs, eb);
	*ebp = cow;
	return 0;
}

/* A new root above the old one, so the old root can split (insert_new_root). */
static int insert_new_root(struct cowfs_root *root, struct cowfs_path *p, int level)
{
	struct cowfs_fs *fs = root->fs;
	struct extent_buffer *lower = p->nodes[level], *c;
	struct cowfs_key_ptr *kp;
	struct cowfs_key first;
	uint64_t bytenr;
	int ret;

	if (level + 1 >= COWFS_MAX_LEVEL)
		return -COWFS_ETOOBIG;
	ret = alloc_tree_block(fs, root->id, level + 1, &bytenr);
	if (ret < 0)
		return ret;
	c = eb_create(fs, bytenr, root->id, level + 1);
	if (!c)
		return -ENOMEM;
	if (level == 0)
		eb_item_key(lower, 0, &first);
	else
		eb_node_key(lower, 0, &first);
	kp = eb_key_ptr(c, 0);
	cowfs_key_to_disk(&kp->key, &first);
	cowfs_set_key_ptr_blockptr(kp, lower->bytenr);
	cowfs_set_key_ptr_generation(kp, fs->transid);
	set_nritems(c, 1);
	c->refs++;
	free_eb(fs, root->node);
	root->node = c;
	p->nodes[level + 1] = c;
	p->slots[level + 1] = 0;
	return 0;
}

/* Insert a pointer into the node at path level `level`, at `slot`. */
static void insert_ptr(struct cowfs_fs *fs, struct extent_buffer *node, int slot,
		       const struct cowfs_key *key, uint64_t bytenr)
{
	uint32_t n = eb_nritems(node);
	struct cowfs_key_ptr *kp;

	memmove(eb_key_ptr(node, slot + 1), eb_key_ptr(node, slot), (n - (uint32_t)slot) * PTR_SIZE);
	kp = eb_key_ptr(node, slot);
	cowfs_key_to_disk(&kp->key, key);
	cowfs_set_key_ptr_blockptr(kp, bytenr);
	cowfs_set_key_ptr_generation(kp, fs->transid);
	set_nritems(node, n + 1);
	mark_eb_dirty(fs, node);
}

/* After slot 0 of the block at `level` changed its first key, fix the parents'. */
static void fixup_low_keys(struct cowfs_fs *fs, struct cowfs_path *p,
			   const struct cowfs_key *key, int level)
{
	for (int i = level; i < COWFS_MAX_LEVEL && p->nodes[i]; i++) {
		int slot = p->slots[i];

		cowfs_key_to_disk(&eb_key_ptr(p->nodes[i], slot)->key, key);
		mark_eb_dirty(fs, p->nodes[i]);
		if (slot != 0)
			break;
	}
}

/* Split the full node at `level` in two; the path follows the half holding its slot. */
static int split_node(struct cowfs_root *root, struct cowfs_path *p, int level)
{
	struct cowfs_fs *fs = root->fs;
	struct extent_buffer *c = p->nodes[level], *split;
	uint32_t n = eb_nritems(c), mid = n / 2;
	struct cowfs_key first;
	uint64_t bytenr;
	int ret;

	if (c == root->node) {
		ret = insert_new_root(root, p, level);
		if (ret < 0)
			return ret;
	}
	ret = alloc_tree_block(fs, root->id, level, &bytenr);
	if (ret < 0)
		return ret;
	split = eb_create(fs, bytenr, root->id, level);
	if (!split)
		return -ENOMEM;
	memcpy(eb_key_ptr(split, 0), eb_key_ptr(c, (int)mid), (n - mid) * PTR_SIZE);
	set_nritems(split, n - mid);
	set_nritems(c, mid);
	mark_eb_dirty(fs, c);
	eb_node_key(split, 0, &first);
	insert_ptr(fs, p->nodes[level + 1], p->slots[level + 1] + 1, &first, bytenr);
	if (p->slots[level] >= (int)mid) {
		p->slots[level] -= (int)mid;
		free_eb(fs, c);
		p->nodes[level] = split;
		p->slots[level + 1]++;
	} else {
		free_eb(fs, split);
	}
	return 0;
}

/* Append an item to a leaf being built (split_leaf moves items this way). */
static void leaf_append(struct extent_buffer *leaf, const struct cowfs_key *key,
			const void *data, uint32_t size)
{
	uint32_t n = eb_nritems(leaf), off = leaf_data_end(leaf) - size;
	struct cowfs_item *it = eb_item(leaf, (int)n);

	cowfs_key_to_disk(&it->key, key);
	cowfs_set_item_offset(it, off);
	cowfs_set_item_size(it, size);
	memcpy(leaf_base(leaf) + off, data, size);
	set_nritems(leaf, n + 1);
}

static uint32_t items_bytes(struct extent_buffer *leaf, uint32_t from, uint32_t to)
{
	uint32_t sum = 0;

	for (uint32_t i = from; i < to; i++)
		sum += eb_item_size(leaf, (int)i) + ITEM_SIZE;
	return sum;
}

/* Split the leaf at the path so that an item of data_size fits at p->slots[0].
 * Tries the middle, then the insertion slot (new item ending the left half or
 * starting the right one): with items far smaller than a leaf one always fits. */
static int split_leaf(struct cowfs_root *root, struct cowfs_path *p,
		      const struct cowfs_key *key, uint32_t data_size)
{
	struct cowfs_fs *fs = root->fs;
	struct extent_buffer *l = p->nodes[0], *right;
	uint32_t n = eb_nritems(l), slot = (uint32_t)p->slots[0], need = data_size + ITEM_SIZE;
	uint32_t cand[3] = { n / 2, slot, slot }, mid = 0;
	int to_right[3] = { slot >= n / 2, 0, 1 }, choice = -1;
	struct cowfs_key first;
	uint64_t bytenr;
	int ret;

	for (int c = 0; c < 3 && choice < 0; c++) {
		uint32_t left_bytes = items_bytes(l, 0, cand[c]);
		uint32_t right_bytes = items_bytes(l, cand[c], n);

		/* Neither half may end up empty. */
		if ((cand[c] == 0 && to_right[c]) || (cand[c] == n && !to_right[c]))
			continue;
		if (to_right[c] ? right_bytes + need <= LEAF_DATA : left_bytes + need <= LEAF_DATA)
			choice = c;
	}
	if (choice < 0)
		return -COWFS_ETOOBIG;
	mid = cand[choice];
	if (l == root->node) {
		ret = insert_new_root(root, p, 0);
		if (ret < 0)
			return ret;
	}
	ret = alloc_tree_block(fs, root->id, 0, &bytenr);
	if (ret < 0)
		return ret;
	right = eb_create(fs, bytenr, root->id, 0);
	if (!right)
		return -ENOMEM;
	for (uint32_t i = mid; i < n; i++) {
		struct cowfs_key k;

		eb_item_key(l, (int)i, &k);
		leaf_append(right, &k, eb_item_ptr(l, (int)i), eb_item_size(l, (int)i));
	}
	set_nritems(l, mid);
	mark_eb_dirty(fs, l);
	if (mid < n)
		eb_item_key(right, 0, &first);
	else
		first = *key;	/* the right leaf will hold just the new item */
	insert_ptr(fs, p->nodes[1], p->slots[1] + 1, &first, bytenr);
	if (to_right[choice]) {
		p->slots[0] = (int)(slot - mid);
		free_eb(fs, l);
		p->nodes[0] = right;
		p->slots[1]++;
	} else {
		free_eb(fs, right);
	}
	return 0;
}

int search_slot(struct cowfs_root *root, const struct cowfs_key *key,
		struct cowfs_path *p, int ins_len, int cow)
{
	struct cowfs_fs *fs = root->fs;
	struct extent_buffer *b;
	int ret, level, slot;

	if (cow && (!fs->writable || fs->aborted))
		return fs->aborted ? -EIO : -EROFS;
	b = root->node;
	b->refs++;
	if (cow) {
		ret = cow_block(root, &b, NULL, 0);
		if (ret < 0) {
			free_eb(fs, b);
			return ret;
		}
	}
	for (;;) {
		level = eb_level(b);
		p->nodes[level] = b;
		ret = bin_search(b, key, &slot);
		if (level == 0)
			break;
		if (ret && slot > 0)
			slot--;
		p->slots[level] = slot;
		/* Split a nearly full node on the way down so a split below has room. */
		if (ins_len > 0 && eb_nritems(b) >= COWFS_NODE_PTRS - 1) {
			int err = split_node(root, p, level);

			if (err < 0)
				return err;
			b = p->nodes[level];
			slot = p->slots[level];
		}
		ret = read_child(root, b, slot, &b);
		if (ret < 0)
			return ret;
		if (cow) {
			ret = cow_block(root, &b, p->nodes[level], slot);
			if (ret < 0) {
				free_eb(fs, b);
				return ret;
			}
		}
	}
	p->slots[0] = slot;
	if (ins_len > 0 && leaf_free_space(b) < (uint32_t)ins_len + ITEM_SIZE) {
		int err = split_leaf(root, p, key, (uint32_t)ins_len);

		if (err < 0)
			return err;
	}
	return ret;
}

int insert_empty_item(struct cowfs_root *root, struct cowfs_path *p,
		      const struct cowfs_key *key, uint32_t size)
{
	struct extent_buffer *l;
	uint32_t n, end, data_end;
	struct cowfs_item *it;
	int ret, slot;

	if (size > LEAF_DATA - ITEM_SIZE)
		return -COWFS_ETOOBIG;
	ret = search_slot(root, key, p, (int)size, 1);
	if (ret == 0)
		return -EEXIST;
	if (ret < 0)
		return ret;
	l = p->nodes[0];
	slot = p->slots[0];
	n = eb_nritems(l);
	end = slot == 0 ? LEAF_DATA : cowfs_item_offset(eb_item(l, slot - 1));
	data_end = leaf_data_end(l);
	memmove(leaf_base(l) + data_end - size, leaf_base(l) + data_end, end - data_end);
	for (uint32_t i = (uint32_t)slot; i < n; i++) {
		it = eb_item(l, (int)i);
		cowfs_set_item_offset(it, cowfs_item_offset(it) - size);
	}
	memmove(eb_item(l, slot + 1), eb_item(l, slot), (n - (uint32_t)slot) * ITEM_SIZE);
	it = eb_item(l, slot);
	cowfs_key_to_disk(&it->key, key);
	cowfs_set_item_offset(it, end - size);
	cowfs_set_item_size(it, size);
	memset(leaf_base(l) + end - size, 0, size);
	set_nritems(l, n + 1);
	mark_eb_dirty(root->fs, l);
	if (slot == 0)
		fixup_low_keys(root->fs, p, key, 1);
	return 0;
}

int insert_item(struct cowfs_root *root, const struct cowfs_key *key,
		const void *data, uint32_t size)
{
	struct cowfs_path p;
	int ret;

	path_init(&p);
	ret = insert_empty_item(root, &p, key, size);
	if (ret == 0)
		memcpy(eb_item_ptr(p.nodes[0], p.slots[0]), data, size);
	path_release(root->fs, &p);
	return ret;
}

/* The root has a single child: the child becomes the root (height shrinks). */
static int collapse_root(struct cowfs_root *root)
{
	struct cowfs_fs *fs = root->fs;

	while (eb_level(root->node) > 0 && eb_nritems(root->node) == 1) {
		struct extent_buffer *old = root->node, *child;
		int ret = read_child(root, old, 0, &child);

		if (ret < 0)
			return ret;
		root->node = child;	/* takes read_child's reference */
		free_tree_block(fs, old->bytenr, root->id, eb_level(old));
		eb_forget(fs, old);
		free_eb(fs, old);
	}
	return 0;
}

/* Remove the pointer at path level `level` (its block emptied), cascading upward. */
static int del_ptr(struct cowfs_root *root, struct cowfs_path *p, int level)
{
	struct cowfs_fs *fs = root->fs;

	for (; level < COWFS_MAX_LEVEL && p->nodes[level]; level++) {
		struct extent_buffer *node = p->nodes[level];
		struct extent_buffer *child = p->nodes[level - 1];
		uint32_t n = eb_nritems(node);
		int slot = p->slots[level];

		free_tree_block(fs, child->bytenr, root->id, level - 1);
		eb_forget(fs, child);
		memmove(eb_key_ptr(node, slot), eb_key_ptr(node, slot + 1),
			(n - (uint32_t)slot - 1) * PTR_SIZE);
		set_nritems(node, n - 1);
		mark_eb_dirty(fs, node);
		if (n - 1 > 0 || node == root->node) {
			if (n - 1 > 0 && slot == 0) {
				struct cowfs_key k;

				eb_node_key(node, 0, &k);
				fixup_low_keys(fs, p, &k, level + 1);
			}
			if (n - 1 == 0) {	/* the root emptied: it becomes an empty leaf */
				eb_header(node)->level = 0;
			}
			return collapse_root(root);
		}
	}
	return 0;
}

int del_items(struct cowfs_root *root, struct cowfs_path *p, int nr)
{
	struct extent_buffer *l = p->nodes[0];
	uint32_t n = eb_nritems(l), slot = (uint32_t)p->slots[0], dsize = 0, end, data_end;

	if (nr <= 0 || slot + (uint32_t)nr > n)
		return -EINVAL;
	for (uint32_t i = slot; i < slot + (uint32_t)nr; i++)
		dsize += eb_item_size(l, (int)i);
	end = cowfs_item_offset(eb_item(l, (int)(slot + (uint32_t)nr - 1)));
	data_end = leaf_data_end(l);
	memmove(leaf_base(l) + data_end + dsize, leaf_base(l) + data_end, end - data_end);
	for (uint32_t i = slot + (uint32_t)nr; i < n; i++) {
		struct cowfs_item *it = eb_item(l, (int)i);

		cowfs_set_item_offset(it, cowfs_item_offset(it) + dsize);
	}
	memmove(eb_item(l, (int)slot), eb_item(l, (int)slot + nr),
		(n - slot - (uint32_t)nr) * ITEM_SIZE);
	set_nritems(l, n - (uint32_t)nr);
	mark_eb_dirty(root->fs, l);
	if (n - (uint32_t)nr == 0) {
		if (l == root->node)
			return 0;
		return del_ptr(root, p, 1);
	}
	if (slot == 0) {
		struct cowfs_key k;

		eb_item_key(l, 0, &k);
		fixup_low_keys(root->fs, p, &k, 1);
	}
	return 0;
}

int delete_item(struct cowfs_root *root, const struct cowfs_key *key)
{
	struct cowfs_path p;
	int ret;

	path_init(&p);
	ret = search_slot(root, key, &p, -1, 1);
	if (ret > 0)
		ret = -ENOENT;
	if (ret == 0)
		ret = del_items(root, &p, 1);
	path_release(root->fs, &p);
	return ret;
}

int update_item(struct cowfs_root *root, const struct cowfs_key *key,
		const void *data, uint32_t size)
{
	struct cowfs_path p;
	int ret;

	path_init(&p);
	ret = search_slot(root, key, &p, 0, 1);
	if (ret > 0)
		ret = -ENOENT;
	if (ret == 0 && eb_item_size(p.nodes[0], p.slots[0]) == size) {
		memcpy(eb_item_ptr(p.nodes[0], p.slots[0]), data, size);
		mark_eb_dirty(root->fs, p.nodes[0]);
		path_release(root->fs, &p);
		return 0;
	}
	path_release(root->fs, &p);
	if (ret < 0)
		return ret;
	ret = delete_item(root, key);
	if (ret == 0)
		ret = insert_item(root, key, data, size);
	return ret;
}

int lookup_item(struct cowfs_root *root, const struct cowfs_key *key, void *buf, uint32_t cap)
{
	struct cowfs_path p;
	int ret;

	path_init(&p);
	ret = search_slot(root, key, &p, 0, 0);
	if (ret > 0)
		ret = -ENOENT;
	if (ret == 0) {
		uint32_t size = eb_item_size(p.nodes[0], p.slots[0]);

		memcpy(buf, eb_item_ptr(p.nodes[0], p.slots[0]), size < cap ? size : cap);
		ret = (int)size;
	}
	path_release(root->fs, &p);
	return ret;
}

/* Replace path levels below `level` by the leftmost (dir 0) or rightmost (dir 1)
 * descent from p->nodes[level] at p->slots[level]. */
static int descend_edge(struct cowfs_root *root, struct cowfs_path *p, int level, int right)
{
	while (level > 0) {
		struct extent_buffer *child;
		int ret = read_child(root, p->nodes[level], p->slots[level], &child);

		if (ret < 0)
			return ret;
		free_eb(root->fs, p->nodes[level - 1]);
		p->nodes[level - 1] = child;
		level--;
		p->slots[level] = right ? (int)eb_nritems(child) - 1 : 0;
		if (eb_nritems(child) == 0)
			return -COWFS_EBADBLOCK;
	}
	return 0;
}

int next_leaf(struct cowfs_root *root, struct cowfs_path *p)
{
	int level;

	for (level = 1; level < COWFS_MAX_LEVEL; level++) {
		if (!p->nodes[level])
			return 1;
		if (p->slots[level] + 1 < (int)eb_nritems(p->nodes[level]))
			break;
	}
	if (level == COWFS_MAX_LEVEL)
		return 1;
	p->slots[level]++;
	return descend_edge(root, p, level, 0);
}

static int prev_leaf(struct cowfs_root *root, struct cowfs_path *p)
{
	int level;

	for (level = 1; level < COWFS_MAX_LEVEL; level++) {
		if (!p->nodes[level])
			return 1;
		if (p->slots[level] > 0)
			break;
	}
	if (level == COWFS_MAX_LEVEL)
		return 1;
	p->slots[level]--;
	return descend_edge(root, p, level, 1);
}

int next_item(struct cowfs_root *root, struct cowfs_path *p)
{
	p->slots[0]++;
	while (p->slots[0] >= (int)eb_nritems(p->nodes[0])) {
		int ret = next_leaf(root, p);

		if (ret)
			return ret;
	}
	return 0;
}

int search_forward(struct cowfs_root *root, const struct cowfs_key *key, struct cowfs_path *p)
{
	int ret = search_slot(root, key, p, 0, 0);

	if (ret <= 0)
		return ret;
	while (p->slots[0] >= (int)eb_nritems(p->nodes[0])) {
		ret = next_leaf(root, p);
		if (ret)
			return ret;
	}
	return 0;
}

int search_backward(struct cowfs_root *root, const struct cowfs_key *key, struct cowfs_path *p)
{
	int ret = search_slot(root, key, p, 0, 0);

	if (ret <= 0)
		return ret;
	while (p->slots[0] == 0) {
		ret = prev_leaf(root, p);
		if (ret)
			return ret;
		p->slots[0] = (int)eb_nritems(p->nodes[0]);
	}
	p->slots[0]--;
	return 0;
}
