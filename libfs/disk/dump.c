/* Tree walks for cowdump: every block, pointer and item, decoded into text.
 *
 * Read-only, and tolerant: a block that fails validation is reported and the
 * walk goes on with its siblings, because dumping a damaged image is what this
 * is for.  Item bodies are decoded only when their size fits the struct; the
 * block validator has already checked that they lie inside the leaf.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "cowfs/dump.h"
#include "disk/ctree.h"
#include "disk/dump-fmt.h"
#include "disk/format.h"
#include "disk/fs.h"

struct walk {
	struct cowfs_fs *fs;
	uint64_t owner;
	unsigned flags;
	cowfs_dump_fn cb;
	void *arg;
	struct sbuf key, desc;
	int first_err;
};

const char *cowfs_key_type_name(uint8_t type)
{
	switch (type) {
	case COWFS_INODE_ITEM:	return "INODE_ITEM";
	case COWFS_INODE_REF:	return "INODE_REF";
	case COWFS_DIR_ITEM:	return "DIR_ITEM";
	case COWFS_EXTENT_DATA:	return "EXTENT_DATA";
	case COWFS_EXTENT_CSUM:	return "EXTENT_CSUM";
	case COWFS_EXTENT_ITEM:	return "EXTENT_ITEM";
	}
	return "UNKNOWN";
}

static const struct { const char *name; uint64_t id; } tree_names[] = {
	{ "fs", COWFS_FS_TREE },
	{ "extent", COWFS_EXTENT_TREE },
	{ "csum", COWFS_CSUM_TREE },
};

int cowfs_tree_by_name(const char *name, uint64_t *tree_id)
{
	for (size_t i = 0; i < sizeof(tree_names) / sizeof(tree_names[0]); i++) {
		if (strcmp(name, tree_names[i].name) == 0) {
			*tree_id = tree_names[i].id;
			return 0;
		}
	}
	return -EINVAL;
}

const char *cowfs_tree_name(uint64_t tree_id)
{
	for (size_t i = 0; i < sizeof(tree_names) / sizeof(tree_names[0]); i++)
		if (tree_names[i].id == tree_id)
			return tree_names[i].name;
	return NULL;
}

static void format_key(struct sbuf *sb, const struct cowfs_key *k)
{
	sbuf_reset(sb);
	if (k->objectid == COWFS_CSUM_OBJECTID)
		sbuf_printf(sb, "(EXTENT_CSUM");
	else
		sbuf_printf(sb, "(%" PRIu64, k->objectid);
	sbuf_printf(sb, " %s %" PRIu64 ")", cowfs_key_type_name(k->type), k->offset);
}

/* Free bytes between the item array and the lowest item data. */
static uint32_t leaf_free_space(struct extent_buffer *eb)
{
	uint32_t n = eb_nritems(eb), low = COWFS_LEAF_DATA_SIZE;

	for (uint32_t i = 0; i < n; i++) {
		uint32_t off = cowfs_item_offset(eb_item(eb, i));
		if (off < low)
			low = off;
	}
	uint64_t used = (uint64_t)n * sizeof(struct cowfs_item);
	return used > low ? 0 : low - (uint32_t)used;
}

static void format_block(struct sbuf *sb, struct extent_buffer *eb)
{
	struct cowfs_header *h = eb_header(eb);
	uint32_t n = eb_nritems(eb);

	sbuf_reset(sb);
	if (eb_level(eb) == 0)
		sbuf_printf(sb, "leaf %" PRIu64 " items %" PRIu32 " free space %" PRIu32,
			    eb->bytenr, n, leaf_free_space(eb));
	else
		sbuf_printf(sb, "node %" PRIu64 " level %d items %" PRIu32 " free %u",
			    eb->bytenr, eb_level(eb), n,
			    n > COWFS_NODE_PTRS ? 0 : (unsigned)(COWFS_NODE_PTRS - n));
	sbuf_printf(sb, " generation %" PRIu64 " owner ", cowfs_header_generation(h));
	dump_format_owner(sb, cowfs_header_owner(h));
}

static int emit(struct walk *w, struct cowfs_dump_rec *rec)
{
	rec->key = w->key.s ? w->key.s : "";
	rec->desc = w->desc.s ? w->desc.s : "";
	if (w->key.failed || w->desc.failed)
		return -ENOMEM;
	return w->cb(w->arg, rec);
}

static int walk_leaf(struct walk *w, struct extent_buffer *eb)
{
	for (uint32_t i = 0; i < eb_nritems(eb); i++) {
		struct cowfs_dump_rec rec = { .kind = COWFS_DUMP_ITEM, .level = 0,
					      .bytenr = eb->bytenr, .slot = (int)i };
		struct cowfs_key k;

		eb_item_key(eb, (int)i, &k);
		format_key(&w->key, &k);
		rec.objectid = k.objectid;
		rec.type = k.type;
		rec.offset = k.offset;
		rec.item_off = cowfs_item_offset(eb_item(eb, (int)i));
		rec.item_size = eb_item_size(eb, (int)i);
		sbuf_reset(&w->desc);
		dump_format_item(&w->desc, &k, eb_item_ptr(eb, (int)i), rec.item_size,
				 w->flags);
		int ret = emit(w, &rec);
		if (ret)
			return ret;
	}
	return 0;
}

static int walk_block(struct walk *w, struct extent_buffer *eb);

static int walk_child(struct walk *w, struct extent_buffer *eb, int slot)
{
	struct cowfs_key_ptr *kp = eb_key_ptr(eb, slot);
	struct extent_buffer *child;
	uint64_t bytenr = cowfs_key_ptr_blockptr(kp);
	int ret = read_tree_block(w->fs, bytenr, w->owner, eb_level(eb) - 1,
				  cowfs_key_ptr_generation(kp), &child);
	if (ret < 0) {
		struct cowfs_dump_rec rec = { .kind = COWFS_DUMP_BAD, .bytenr = bytenr,
					      .level = eb_level(eb) - 1, .slot = -1,
					      .err = ret };
		struct cowfs_key k;

		eb_node_key(eb, slot, &k);
		format_key(&w->key, &k);
		rec.objectid = k.objectid;
		rec.type = k.type;
		rec.offset = k.offset;
		sbuf_reset(&w->desc);
		sbuf_printf(&w->desc, "block %" PRIu64 " unreadable: %s", bytenr,
			    cowfs_strerror(ret));
		if (!w->first_err)
			w->first_err = ret;
		return emit(w, &rec);
	}
	ret = walk_block(w, child);
	free_eb(w->fs, child);
	return ret;
}

static int walk_node(struct walk *w, struct extent_buffer *eb)
{
	uint32_t n = eb_nritems(eb);
	int ret;

	for (uint32_t i = 0; i < n; i++) {
		struct cowfs_key_ptr *kp = eb_key_ptr(eb, (int)i);
		struct cowfs_dump_rec rec = { .kind = COWFS_DUMP_PTR, .level = eb_level(eb),
					      .bytenr = eb->bytenr, .slot = (int)i };
		struct cowfs_key k;

		eb_node_key(eb, (int)i, &k);
		format_key(&w->key, &k);
		rec.objectid = k.objectid;
		rec.type = k.type;
		rec.offset = k.offset;
		sbuf_reset(&w->desc);
		sbuf_printf(&w->desc, "block %" PRIu64 " gen %" PRIu64,
			    cowfs_key_ptr_blockptr(kp), cowfs_key_ptr_generation(kp));
		ret = emit(w, &rec);
		if (ret)
			return ret;
	}
	for (uint32_t i = 0; i < n; i++) {
		ret = walk_child(w, eb, (int)i);
		if (ret)
			return ret;
	}
	return 0;
}

static int walk_block(struct walk *w, struct extent_buffer *eb)
{
	struct cowfs_dump_rec rec = { .kind = COWFS_DUMP_BLOCK, .level = eb_level(eb),
				      .bytenr = eb->bytenr, .slot = -1 };
	struct cowfs_key k = { 0, 0, 0 };
	int ret;

	/* the validator bounds levels; a deeper one here would be a recursion hazard */
	if (eb_level(eb) >= COWFS_MAX_LEVEL)
		return -COWFS_EBADBLOCK;
	if (eb_nritems(eb) > 0) {
		if (eb_level(eb) == 0)
			eb_item_key(eb, 0, &k);
		else
			eb_node_key(eb, 0, &k);
	}
	format_key(&w->key, &k);
	rec.objectid = k.objectid;
	rec.type = k.type;
	rec.offset = k.offset;
	format_block(&w->desc, eb);
	ret = emit(w, &rec);
	if (ret)
		return ret;
	return eb_level(eb) == 0 ? walk_leaf(w, eb) : walk_node(w, eb);
}

static struct cowfs_root *tree_root(struct cowfs_fs *fs, uint64_t tree_id)
{
	switch (tree_id) {
	case COWFS_FS_TREE:	return &fs->fs_root;
	case COWFS_EXTENT_TREE:	return &fs->extent_root;
	case COWFS_CSUM_TREE:	return &fs->csum_root;
	}
	return NULL;
}

int cowfs_dump_tree(cowfs_fs *fs, uint64_t tree_id, unsigned flags,
		    cowfs_dump_fn cb, void *arg)
{
	struct cowfs_root *root = tree_root(fs, tree_id);
	struct walk w = { .fs = fs, .owner = tree_id, .flags = flags, .cb = cb, .arg = arg };
	int ret;

	if (!root)
		return -EINVAL;
	if (!root->node)
		return -COWFS_ECORRUPT;
	ret = walk_block(&w, root->node);
	sbuf_free(&w.key);
	sbuf_free(&w.desc);
	return ret ? ret : w.first_err;
}
