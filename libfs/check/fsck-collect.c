/* What pass 1 keeps from each leaf item (already validated by
 * cowfs_verify_item): flat records for the cross-checks of passes 2 to 4. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check/fsck.h"
#include "disk/dir.h"

static int add_name(struct fsck_ctx *c, const char *name, size_t len, uint64_t *off)
{
	while (c->names.cap - c->names.n < len)
		if (vec_grow(&c->names.a, &c->names.cap, 1) < 0)
			return -ENOMEM;
	*off = c->names.n;
	memcpy(c->names.a + c->names.n, name, len);
	c->names.n += len;
	return 0;
}

static int collect_inode(struct fsck_ctx *c, const struct cowfs_key *key, const void *data)
{
	const struct cowfs_inode_item *ii = data;
	struct fsck_inode *in = VEC_PUSH(c->inodes);

	if (!in)
		return -ENOMEM;
	in->ino = key->objectid;
	in->size = cowfs_inode_item_size(ii);
	in->nbytes = cowfs_inode_item_nbytes(ii);
	in->gen = cowfs_inode_item_generation(ii);
	in->transid = cowfs_inode_item_transid(ii);
	in->mode = cowfs_inode_item_mode(ii);
	in->nlink = cowfs_inode_item_nlink(ii);
	return 0;
}

static int collect_names(struct fsck_ctx *c, const struct cowfs_key *key, const uint8_t *data,
			 uint32_t size)
{
	int dir = key->type == COWFS_DIR_ITEM;
	struct name_record rec;
	uint32_t pos = 0;

	while ((dir ? dir_item_next : inode_ref_next)(data, size, &pos, &rec) == 0) {
		uint64_t off;

		if (add_name(c, rec.name, rec.len, &off) < 0)
			return -ENOMEM;
		if (dir) {
			struct fsck_dirent *de = VEC_PUSH(c->dirents);

			if (!de)
				return -ENOMEM;
			*de = (struct fsck_dirent){ .dir = key->objectid, .ino = rec.ino,
						    .hash = key->offset, .name_off = off,
						    .name_len = (uint16_t)rec.len,
						    .type = (uint8_t)rec.type };
		} else {
			struct fsck_iref *r = VEC_PUSH(c->irefs);

			if (!r)
				return -ENOMEM;
			*r = (struct fsck_iref){ .ino = key->objectid, .dir = key->offset,
						 .name_off = off, .name_len = (uint16_t)rec.len };
		}
	}
	return 0;
}

static int collect_file_extent(struct fsck_ctx *c, const struct cowfs_key *key, const void *data)
{
	const struct cowfs_file_extent *fe = data;
	struct fsck_fext *f = VEC_PUSH(c->fexts);

	if (!f)
		return -ENOMEM;
	f->ino = key->objectid;
	f->file_off = key->offset;
	f->disk_bytenr = cowfs_file_extent_disk_bytenr(fe);
	f->disk_num_bytes = cowfs_file_extent_disk_num_bytes(fe);
	f->offset = cowfs_file_extent_offset(fe);
	f->num_bytes = cowfs_file_extent_num_bytes(fe);
	f->ram_bytes = cowfs_file_extent_ram_bytes(fe);
	f->compression = fe->compression;
	return 0;
}

static int collect_extent(struct fsck_ctx *c, const struct cowfs_key *key, const void *data)
{
	const struct cowfs_extent_item *ei = data;
	struct fsck_extent *e = VEC_PUSH(c->extents);

	if (!e)
		return -ENOMEM;
	e->bytenr = key->objectid;
	e->len = key->offset;
	e->refs = cowfs_extent_item_refs(ei);
	e->gen = cowfs_extent_item_generation(ei);
	e->flags = cowfs_extent_item_flags(ei);
	e->owner = cowfs_extent_item_owner(ei);
	e->level = ei->level;
	return 0;
}

static int collect_csum(struct fsck_ctx *c, const struct cowfs_key *key, const uint8_t *data,
			uint32_t size)
{
	struct fsck_csum *cs = VEC_PUSH(c->csums);
	uint32_t n = size / sizeof(uint32_t);

	if (!cs)
		return -ENOMEM;
	cs->bytenr = key->offset;
	cs->first = c->csum_vals.n;
	cs->count = n;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t *v = VEC_PUSH(c->csum_vals);

		if (!v)
			return -ENOMEM;
		*v = get_le32((const le32_t *)(data + i * sizeof(uint32_t)));
	}
	return 0;
}

int fsck_collect_item(struct fsck_ctx *c, uint64_t tree, const struct cowfs_key *key,
		      const uint8_t *data, uint32_t size)
{
	if (tree == COWFS_EXTENT_TREE)
		return collect_extent(c, key, data);
	if (tree == COWFS_CSUM_TREE)
		return collect_csum(c, key, data, size);
	switch (key->type) {
	case COWFS_INODE_ITEM:
		return collect_inode(c, key, data);
	case COWFS_INODE_REF:
	case COWFS_DIR_ITEM:
		return collect_names(c, key, data, size);
	case COWFS_EXTENT_DATA:
		return collect_file_extent(c, key, data);
	}
	return 0;
}
