/* File extent items: lookup, insert, drop (with splits), truncate; csum items. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "disk/alloc.h"
#include "disk/ctree.h"
#include "disk/file-item.h"
#include "disk/inode.h"

#define BLOCK_MASK	((uint64_t)COWFS_BLOCK_SIZE - 1)
#define MAX_FILE_SIZE	((uint64_t)INT64_MAX)	/* as the kernel's MAX_LFS_FILESIZE */

static int aligned(uint64_t v)
{
	return (v & BLOCK_MASK) == 0;
}

int extent_map_valid(const struct cowfs_fs *fs, const struct cowfs_extent_map *em)
{
	uint64_t max = em->compression == COWFS_COMPRESS_ZSTD ? COWFS_MAX_COMPRESSED
							       : COWFS_MAX_EXTENT;

	if (em->len == 0 || !aligned(em->file_off) || !aligned(em->len) ||
	    em->file_off > MAX_FILE_SIZE || em->len > MAX_FILE_SIZE - em->file_off)
		return 0;
	if (em->disk_bytenr == 0)
		return 1;	/* an explicit hole */
	if (em->compression != COWFS_COMPRESS_NONE && em->compression != COWFS_COMPRESS_ZSTD)
		return 0;
	if (!aligned(em->disk_bytenr) || !aligned(em->disk_num_bytes) || !aligned(em->offset) ||
	    !aligned(em->ram_bytes))
		return 0;
	if (em->disk_num_bytes == 0 || em->disk_num_bytes > max || em->ram_bytes > max)
		return 0;
	if (em->compression == COWFS_COMPRESS_NONE && em->ram_bytes != em->disk_num_bytes)
		return 0;
	if (em->offset >= em->ram_bytes || em->len > em->ram_bytes - em->offset)
		return 0;
	return em->disk_bytenr >= COWFS_RESERVED_BYTES &&
	       em->disk_bytenr <= cowfs_super_total_bytes(&fs->super) &&
	       em->disk_num_bytes <= cowfs_super_total_bytes(&fs->super) - em->disk_bytenr;
}

int file_extent_decode(const struct cowfs_fs *fs, const struct cowfs_key *key,
		       const void *data, uint32_t size, struct cowfs_extent_map *em)
{
	const struct cowfs_file_extent *fe = data;

	if (size != sizeof(*fe) || fe->type != COWFS_FILE_EXTENT_REG)
		return -COWFS_ECORRUPT;
	em->file_off = key->offset;
	em->len = cowfs_file_extent_num_bytes(fe);
	em->disk_bytenr = cowfs_file_extent_disk_bytenr(fe);
	em->disk_num_bytes = cowfs_file_extent_disk_num_bytes(fe);
	em->offset = cowfs_file_extent_offset(fe);
	em->ram_bytes = cowfs_file_extent_ram_bytes(fe);
	em->compression = fe->compression;
	return extent_map_valid(fs, em) ? 0 : -COWFS_ECORRUPT;
}

static void file_extent_encode(const struct cowfs_extent_map *em, uint64_t generation,
			       struct cowfs_file_extent *fe)
{
	memset(fe, 0, sizeof(*fe));
	cowfs_set_file_extent_generation(fe, generation);
	cowfs_set_file_extent_ram_bytes(fe, em->ram_bytes);
	fe->compression = (uint8_t)em->compression;
	fe->type = COWFS_FILE_EXTENT_REG;
	cowfs_set_file_extent_disk_bytenr(fe, em->disk_bytenr);
	cowfs_set_file_extent_disk_num_bytes(fe, em->disk_num_bytes);
	cowfs_set_file_extent_offset(fe, em->offset);
	cowfs_set_file_extent_num_bytes(fe, em->len);
}

static struct cowfs_key extent_key(uint64_t ino, uint64_t off)
{
	return (struct cowfs_key){ .objectid = ino, .type = COWFS_EXTENT_DATA, .offset = off };
}

/* The extent item at path p, if it belongs to ino: 0, 1 when not ino's, < 0 bad item. */
static int extent_at_path(struct cowfs_fs *fs, struct cowfs_path *p, uint64_t ino,
			  struct cowfs_extent_map *em, uint64_t *generation)
{
	struct extent_buffer *leaf = p->nodes[0];
	int slot = p->slots[0];
	struct cowfs_key key;
	int ret;

	eb_item_key(leaf, slot, &key);
	if (key.objectid != ino || key.type != COWFS_EXTENT_DATA)
		return 1;
	ret = file_extent_decode(fs, &key, eb_item_ptr(leaf, slot), eb_item_size(leaf, slot), em);
	if (ret == 0 && generation)
		*generation = cowfs_file_extent_generation(eb_item_ptr(leaf, slot));
	return ret;
}

/*
 * The first extent of ino that ends after off and starts before end: 0 with *em,
 * 1 when none.  Looks back first, for an extent that began before off.
 */
static int find_extent(struct cowfs_fs *fs, uint64_t ino, uint64_t off, uint64_t end,
		       struct cowfs_extent_map *em, uint64_t *generation)
{
	struct cowfs_key key = extent_key(ino, off);
	struct cowfs_path path;
	int ret;

	path_init(&path);
	ret = search_backward(&fs->fs_root, &key, &path);
	if (ret == 0)
		ret = extent_at_path(fs, &path, ino, em, generation);
	path_release(fs, &path);
	if (ret < 0)
		return ret;
	if (ret == 0 && em->file_off + em->len > off)
		return 0;

	path_init(&path);
	ret = search_forward(&fs->fs_root, &key, &path);
	if (ret == 0)
		ret = extent_at_path(fs, &path, ino, em, generation);
	path_release(fs, &path);
	if (ret == 0 && em->file_off >= end)
		ret = 1;
	return ret;
}

int cowfs_get_extent(cowfs_fs *fs, uint64_t ino, uint64_t off, struct cowfs_extent_map *em)
{
	int ret;

	ret = find_extent(fs, ino, off, UINT64_MAX, em, NULL);
	if (ret < 0)
		return ret;
	if (ret == 0 && em->file_off <= off)
		return 0;
	/* a hole: up to the extent found after off, or to the end of the offsets */
	em->len = ret == 0 ? em->file_off - off : UINT64_MAX - off;
	em->file_off = off;
	em->disk_bytenr = 0;
	em->disk_num_bytes = 0;
	em->offset = 0;
	em->ram_bytes = 0;
	em->compression = COWFS_COMPRESS_NONE;
	return 0;
}

static int insert_extent_item(struct cowfs_fs *fs, uint64_t ino,
			      const struct cowfs_extent_map *em, uint64_t generation)
{
	struct cowfs_key key = extent_key(ino, em->file_off);
	struct cowfs_file_extent fe;

	file_extent_encode(em, generation, &fe);
	return insert_item(&fs->fs_root, &key, &fe, sizeof(fe));
}

static int update_extent_item(struct cowfs_fs *fs, uint64_t ino,
			      const struct cowfs_extent_map *em, uint64_t generation)
{
	struct cowfs_key key = extent_key(ino, em->file_off);
	struct cowfs_file_extent fe;

	file_extent_encode(em, generation, &fe);
	return update_item(&fs->fs_root, &key, &fe, sizeof(fe));
}

/* The part of em from end on, as its own mapping of the same disk extent. */
static struct cowfs_extent_map extent_tail(const struct cowfs_extent_map *em, uint64_t end)
{
	struct cowfs_extent_map tail = *em;
	uint64_t cut = end - em->file_off;

	tail.file_off = end;
	tail.len = em->len - cut;
	if (em->disk_bytenr)
		tail.offset = em->offset + cut;
	return tail;
}

/*
 * Take [start, end) out of one extent, as btrfs_drop_extents does: a cut in the
 * middle leaves two items on the same disk extent (one more reference), a cut at
 * the head moves the item's key.  *dropped counts the data bytes unmapped.
 */
static int drop_one(struct cowfs_fs *fs, uint64_t ino, const struct cowfs_extent_map *em,
		    uint64_t gen, uint64_t start, uint64_t end, uint64_t *dropped)
{
	struct cowfs_key key = extent_key(ino, em->file_off);
	uint64_t ext_end = em->file_off + em->len;
	int keep_head = em->file_off < start, data = em->disk_bytenr != 0;
	struct cowfs_extent_map part = *em;
	int ret;

	if (keep_head) {
		part.len = start - em->file_off;
		ret = update_extent_item(fs, ino, &part, gen);
	} else {
		ret = delete_item(&fs->fs_root, &key);
	}
	if (ret == 0 && ext_end > end) {
		part = extent_tail(em, end);
		ret = insert_extent_item(fs, ino, &part, gen);
		if (ret == 0 && data && keep_head)
			ret = add_data_ref(fs, em->disk_bytenr, em->disk_num_bytes, 1);
	} else if (ret == 0 && data && !keep_head) {
		ret = add_data_ref(fs, em->disk_bytenr, em->disk_num_bytes, -1);
	}
	if (ret == 0 && data)
		*dropped += (ext_end < end ? ext_end : end) - (keep_head ? start : em->file_off);
	return ret;
}

/* The inode item of a regular file ino. */
static int file_read(struct cowfs_fs *fs, uint64_t ino, struct cowfs_inode_item *item)
{
	int ret = inode_lookup(fs, ino, item);

	if (ret < 0)
		return ret;
	return S_ISREG(cowfs_inode_item_mode(item)) ? 0 : -EISDIR;
}

/* end == UINT64_MAX means to the end of the file. */
int cowfs_drop_extents(cowfs_fs *fs, uint64_t ino, uint64_t start, uint64_t end)
{
	struct cowfs_inode_item item;
	struct cowfs_extent_map em;
	uint64_t cur = start, dropped = 0, gen;
	int ret;

	ret = fsop_writable(fs);
	if (ret == 0)
		ret = file_read(fs, ino, &item);
	if (ret < 0)
		return ret;
	if (!aligned(start) || (!aligned(end) && end != UINT64_MAX))
		return -EINVAL;
	while (cur < end) {
		ret = find_extent(fs, ino, cur, end, &em, &gen);
		if (ret != 0)
			break;
		ret = drop_one(fs, ino, &em, gen, start, end, &dropped);
		if (ret < 0)
			break;
		fs->trans_dirty = 1;
		cur = em.file_off + em.len;
	}
	if (dropped) {
		int ret2 = inode_add_nbytes(fs, ino, -(int64_t)dropped);

		if (ret >= 0)
			ret = ret2;
	}
	return ret < 0 ? ret : 0;
}

static struct cowfs_key csum_key(uint64_t disk_bytenr)
{
	return (struct cowfs_key){ .objectid = COWFS_CSUM_OBJECTID, .type = COWFS_EXTENT_CSUM,
				   .offset = disk_bytenr };
}

int cowfs_lookup_csums(cowfs_fs *fs, uint64_t disk_bytenr, uint64_t disk_num_bytes,
		       uint32_t *csums)
{
	struct cowfs_key key = csum_key(disk_bytenr);
	uint64_t n = csum_count(disk_num_bytes);
	int ret;

	if (disk_num_bytes == 0 || !aligned(disk_num_bytes) || disk_num_bytes > COWFS_MAX_EXTENT)
		return -EINVAL;
	ret = lookup_item(&fs->csum_root, &key, csums, (uint32_t)(n * 4));
	if (ret < 0)
		return ret;
	if ((uint64_t)ret != n * 4)
		return -COWFS_ECORRUPT;
	for (uint64_t i = 0; i < n; i++)
		csums[i] = get_le32((const le32_t *)&csums[i]);
	return 0;
}

/* The csum item of a disk extent goes in with its first reference. */
static int csum_insert_once(struct cowfs_fs *fs, uint64_t disk_bytenr, uint64_t disk_num_bytes,
			    const uint32_t *csums)
{
	struct cowfs_key key = csum_key(disk_bytenr);
	uint64_t n = csum_count(disk_num_bytes);
	uint8_t probe[4];
	le32_t *item;
	int ret;

	ret = lookup_item(&fs->csum_root, &key, probe, 0);
	if (ret >= 0)
		return (uint64_t)ret == n * 4 ? 0 : -COWFS_ECORRUPT;
	if (ret != -ENOENT)
		return ret;
	if (!csums)
		return -EINVAL;
	item = malloc(n * 4);
	if (!item)
		return -ENOMEM;
	for (uint64_t i = 0; i < n; i++)
		put_le32(&item[i], csums[i]);
	ret = insert_item(&fs->csum_root, &key, item, (uint32_t)(n * 4));
	free(item);
	return ret;
}

int cowfs_insert_file_extent(cowfs_fs *fs, uint64_t ino, const struct cowfs_extent_map *em,
			     const uint32_t *csums)
{
	struct cowfs_inode_item item;
	int ret;

	ret = fsop_writable(fs);
	if (ret == 0)
		ret = file_read(fs, ino, &item);
	if (ret < 0)
		return ret;
	if (!extent_map_valid(fs, em))
		return -EINVAL;
	if (em->disk_bytenr == 0)	/* no hole items: a hole is the absence of extents */
		return cowfs_drop_extents(fs, ino, em->file_off, em->file_off + em->len);
	ret = csum_insert_once(fs, em->disk_bytenr, em->disk_num_bytes, csums);
	if (ret == 0)
		ret = cowfs_drop_extents(fs, ino, em->file_off, em->file_off + em->len);
	if (ret == 0)
		ret = insert_extent_item(fs, ino, em, fs->transid);
	if (ret == 0)
		ret = add_data_ref(fs, em->disk_bytenr, em->disk_num_bytes, 1);
	if (ret == 0)
		fs->trans_dirty = 1;
	if (ret == 0)
		ret = inode_add_nbytes(fs, ino, (int64_t)em->len);
	return ret;
}

int cowfs_truncate(cowfs_fs *fs, uint64_t ino, uint64_t size)
{
	struct cowfs_inode_item item;
	int ret;

	ret = fsop_writable(fs);
	if (ret == 0)
		ret = file_read(fs, ino, &item);
	if (ret < 0)
		return ret;
	if (size > MAX_FILE_SIZE)
		return -EFBIG;
	/* Everything past the new size goes, whatever the item's old size said: extents
	 * written beyond i_size (delalloc past EOF that completed) must not come back. */
	ret = cowfs_drop_extents(fs, ino, (size + BLOCK_MASK) & ~BLOCK_MASK, UINT64_MAX);
	if (ret == 0)
		ret = inode_lookup(fs, ino, &item);	/* nbytes moved */
	if (ret < 0)
		return ret;
	cowfs_set_inode_item_size(&item, size);
	return inode_update(fs, ino, &item);
}
