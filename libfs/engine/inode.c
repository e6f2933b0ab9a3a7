/* Engine inodes: see inode.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/inode.h"
#include "engine/space-info.h"

static struct inode *inode_of(const struct rb_node *n)
{
	return rb_entry_safe(n, struct inode, rb);
}

const char *eng_inode_name(const struct inode *inode)
{
	return inode ? inode->path : "(removed)";
}

/* btrfs_set_delalloc_extent (inode.c v5.4:1969) */
static void delalloc_set_hook(void *priv, const struct extent_state *s, unsigned bits)
{
	struct inode *inode = priv;
	uint64_t len = s->end - s->start + 1;

	if ((bits & EXTENT_DEFRAG) && !(bits & EXTENT_DELALLOC))
		eng_finding(inode->eng, COWFS_FINDING_INVARIANT,
			    "EXTENT_DEFRAG set without EXTENT_DELALLOC on %s", inode->path);
	if (!(s->state & EXTENT_DELALLOC) && (bits & EXTENT_DELALLOC)) {
		inode->delalloc_bytes += len;
		if (bits & EXTENT_DELALLOC_NEW)
			inode->new_delalloc_bytes += len;
	}
}

/* btrfs_clear_delalloc_extent (inode.c v5.4:2020): the control bits say which
 * reservations the cleared delalloc gives back. */
static void delalloc_clear_hook(void *priv, const struct extent_state *s, unsigned bits)
{
	struct inode *inode = priv;
	uint64_t len = s->end - s->start + 1;

	if ((s->state & EXTENT_DELALLOC_NEW) && (bits & EXTENT_DELALLOC_NEW))
		inode->new_delalloc_bytes -= len < inode->new_delalloc_bytes ?
					     len : inode->new_delalloc_bytes;
	if (!(s->state & EXTENT_DELALLOC) || !(bits & EXTENT_DELALLOC))
		return;
	if (bits & EXTENT_CLEAR_META_RESV)
		btrfs_delalloc_release_metadata(inode->eng, len);
	if (!(s->state & EXTENT_NORESERVE) && (bits & EXTENT_CLEAR_DATA_RESV))
		btrfs_free_reserved_data_space(inode->eng, s->start, len);
	inode->delalloc_bytes -= len < inode->delalloc_bytes ? len : inode->delalloc_bytes;
}

static const struct extent_io_ops delalloc_ops = { delalloc_set_hook, delalloc_clear_hook };

static struct inode *inode_find(struct cowfs_engine *eng, uint64_t ino)
{
	struct rb_node *n = eng->inodes.rb_node;

	while (n) {
		struct inode *inode = inode_of(n);

		if (ino < inode->ino)
			n = n->rb_left;
		else if (ino > inode->ino)
			n = n->rb_right;
		else
			return inode;
	}
	return NULL;
}

struct inode *eng_inode_next(struct cowfs_engine *eng, uint64_t ino)
{
	struct rb_node *n = eng->inodes.rb_node;
	struct inode *found = NULL;

	while (n) {
		struct inode *inode = inode_of(n);

		if (inode->ino > ino) {
			found = inode;
			n = n->rb_left;
		} else {
			n = n->rb_right;
		}
	}
	return found;
}

static void inode_insert(struct cowfs_engine *eng, struct inode *inode)
{
	struct rb_node **link = &eng->inodes.rb_node, *parent = NULL;

	while (*link) {
		parent = *link;
		link = inode->ino < inode_of(parent)->ino ? &parent->rb_left : &parent->rb_right;
	}
	rb_link_node(&inode->rb, parent, link);
	rb_insert_color(&inode->rb, &eng->inodes);
}

int iget(struct cowfs_engine *eng, uint64_t ino, const char *path, struct inode **out)
{
	struct inode *inode = inode_find(eng, ino);
	struct cowfs_inode di;
	int ret;

	if (inode) {
		ihold(inode);
		*out = inode;
		return 0;
	}
	ret = cowfs_read_inode(eng->fs, ino, &di);
	if (ret)
		return ret;
	inode = calloc(1, sizeof(*inode));
	if (!inode || !(inode->path = strdup(path))) {
		free(inode);
		return -ENOMEM;
	}
	inode->eng = eng;
	inode->ino = ino;
	inode->refs = 2;	/* the table's and the caller's */
	inode->is_dir = S_ISDIR(di.mode);
	inode->i_size = inode->disk_i_size = di.size;
	extent_io_tree_init(&inode->io_tree, &delalloc_ops, inode);
	mapping_init(&inode->mapping, &eng->cache, inode);
	ordered_tree_init(&inode->ordered_tree);
	inode_insert(eng, inode);
	*out = inode;
	return 0;
}

int eng_inode_lookup(struct cowfs_engine *eng, const char *path, struct inode **out)
{
	uint64_t ino;
	int ret = cowfs_lookup_path(eng->fs, path, &ino);

	return ret ? ret : iget(eng, ino, path, out);
}

void ihold(struct inode *inode)
{
	inode->refs++;
}

static void inode_free(struct inode *inode)
{
	mapping_drop_all(&inode->mapping);
	extent_io_tree_release(&inode->io_tree);
	ordered_tree_release(&inode->ordered_tree);
	free(inode->path);
	free(inode);
}

void iput(struct inode *inode)
{
	if (--inode->refs == 0)
		inode_free(inode);
}

void eng_inode_forget(struct inode *inode)
{
	if (inode->unlinked)
		return;
	inode->unlinked = 1;
	rb_erase(&inode->rb, &inode->eng->inodes);
	iput(inode);
}

void eng_inode_drop_all(struct cowfs_engine *eng)
{
	struct rb_node *n;

	while ((n = eng->inodes.rb_node)) {
		struct inode *inode = inode_of(n);

		rb_erase(n, &eng->inodes);
		inode->unlinked = 1;
		/* anything still referencing it would be a leak of discarded work */
		if (inode->refs != 1)
			eng_finding(eng, COWFS_FINDING_INVARIANT, "%s still has %d references",
				    inode->path, inode->refs - 1);
		inode_free(inode);
	}
}

int btrfs_set_extent_delalloc(struct cowfs_engine *eng, struct inode *inode, uint64_t start,
			      uint64_t end, unsigned extra_bits)
{
	(void)eng;
	return set_extent_bit(&inode->io_tree, start, end,
			      EXTENT_DELALLOC | EXTENT_UPTODATE | extra_bits, 0, NULL, NULL);
}

/* DELALLOC_NEW on the parts of [start, end) no ordered extent covers. */
static int set_new_outside_ordered(struct inode *inode, uint64_t start, uint64_t end)
{
	while (start < end) {
		struct ordered_extent *oe = lookup_ordered_range(&inode->ordered_tree, start,
								 end - start);
		uint64_t stop = oe && oe->file_offset < end ? oe->file_offset : end;
		int ret = 0;

		if (stop > start)
			ret = set_extent_bit(&inode->io_tree, start, stop - 1, EXTENT_DELALLOC_NEW, 0,
					     NULL, NULL);
		start = oe ? ordered_end(oe) : end;
		if (oe)
			put_ordered_extent(oe);
		if (ret)
			return ret;
	}
	return 0;
}

int btrfs_find_new_delalloc_bytes(struct cowfs_engine *eng, struct inode *inode,
				  uint64_t start, uint64_t len)
{
	uint64_t cur = start, end = start + len;

	while (cur < end) {
		struct cowfs_extent_map em;
		uint64_t em_end;
		int ret = cowfs_get_extent(eng->fs, inode->ino, cur, &em);

		if (ret)
			return ret;
		em_end = em.len > UINT64_MAX - em.file_off ? UINT64_MAX : em.file_off + em.len;
		if (em_end <= cur)
			return -EIO;	/* a mapping that does not cover what was asked */
		if (em_end > end)
			em_end = end;
		if (!em.disk_bytenr) {
			ret = set_new_outside_ordered(inode, cur, em_end);
			if (ret)
				return ret;
		}
		cur = em_end;
	}
	return 0;
}

int btrfs_update_inode(struct cowfs_engine *eng, struct inode *inode)
{
	struct cowfs_inode di;
	int ret = cowfs_read_inode(eng->fs, inode->ino, &di);

	if (ret)
		return ret;
	if (di.size != inode->disk_i_size)
		eng_event(eng, "inode item of %s: size %" PRIu64 " -> %" PRIu64, inode->path,
			  di.size, inode->disk_i_size);
	di.size = inode->disk_i_size;
	return cowfs_write_inode(eng->fs, &di);
}
