/* Name items: the records of DIR_ITEM and INODE_REF items, read, added, removed.
 *
 * Both item types are runs of (header, name) records, so one set of helpers
 * serves both; each change rewrites the whole item (at most a leaf's worth).
 */
#include <errno.h>
#include <string.h>

#include "disk/ctree.h"
#include "disk/dir.h"

/* Every name item must fit an empty leaf beside its item header. */
#define NAME_ITEM_MAX	(COWFS_LEAF_DATA_SIZE - sizeof(struct cowfs_item))

uint64_t cowfs_name_hash(const char *name, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++) {
		h ^= (uint8_t)name[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

int dir_check_name(const char *name, size_t len)
{
	if (len > COWFS_NAME_MAX)
		return -ENAMETOOLONG;
	if (len == 0 || !name)
		return -EINVAL;
	if (memchr(name, '/', len) || memchr(name, '\0', len))
		return -EINVAL;
	if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
		return -EINVAL;
	return 0;
}

int dir_item_next(const uint8_t *data, uint32_t size, uint32_t *pos, struct name_record *rec)
{
	const struct cowfs_dir_entry *de;
	uint32_t left;

	if (*pos >= size)
		return 1;
	left = size - *pos;
	if (left < sizeof(*de))
		return -COWFS_ECORRUPT;
	de = (const struct cowfs_dir_entry *)(data + *pos);
	rec->len = cowfs_dir_entry_name_len(de);
	if (rec->len == 0 || rec->len > COWFS_NAME_MAX || rec->len > left - sizeof(*de))
		return -COWFS_ECORRUPT;
	rec->type = de->type;
	if (rec->type != COWFS_FT_REG && rec->type != COWFS_FT_DIR)
		return -COWFS_ECORRUPT;
	rec->ino = cowfs_dir_entry_ino(de);
	rec->transid = cowfs_dir_entry_transid(de);
	rec->name = (const char *)(de + 1);
	rec->off = *pos;
	rec->size = (uint32_t)(sizeof(*de) + rec->len);
	*pos += rec->size;
	return 0;
}

int inode_ref_next(const uint8_t *data, uint32_t size, uint32_t *pos, struct name_record *rec)
{
	const struct cowfs_inode_ref *ref;
	uint32_t left;

	if (*pos >= size)
		return 1;
	left = size - *pos;
	if (left < sizeof(*ref))
		return -COWFS_ECORRUPT;
	ref = (const struct cowfs_inode_ref *)(data + *pos);
	rec->len = cowfs_inode_ref_name_len(ref);
	if (rec->len == 0 || rec->len > COWFS_NAME_MAX || rec->len > left - sizeof(*ref))
		return -COWFS_ECORRUPT;
	rec->ino = 0;
	rec->transid = 0;
	rec->type = 0;
	rec->name = (const char *)(ref + 1);
	rec->off = *pos;
	rec->size = (uint32_t)(sizeof(*ref) + rec->len);
	*pos += rec->size;
	return 0;
}

typedef int (*record_next_fn)(const uint8_t *, uint32_t, uint32_t *, struct name_record *);

/* A name item, read whole: buf holds size bytes. */
struct name_item {
	struct cowfs_key key;
	record_next_fn next;
	uint32_t size;
	uint8_t buf[COWFS_LEAF_DATA_SIZE];
};

/* 0 read, -ENOENT absent (size 0), < 0 error. */
static int name_item_read(struct cowfs_fs *fs, struct name_item *it)
{
	int ret;

	it->size = 0;
	ret = lookup_item(&fs->fs_root, &it->key, it->buf, sizeof(it->buf));
	if (ret < 0)
		return ret;
	if ((size_t)ret > sizeof(it->buf))
		return -COWFS_ECORRUPT;
	it->size = (uint32_t)ret;
	return 0;
}

/* 0 with *rec the record named name, -ENOENT when none, < 0 on a bad item. */
static int name_item_find(struct name_item *it, const char *name, size_t len,
			  struct name_record *rec)
{
	uint32_t pos = 0;
	int ret;

	while ((ret = it->next(it->buf, it->size, &pos, rec)) == 0) {
		if (rec->len == len && memcmp(rec->name, name, len) == 0)
			return 0;
	}
	return ret == 1 ? -ENOENT : ret;
}

/* Append a record of rec_size bytes (already in it->buf at it->size) and store the item. */
static int name_item_append(struct cowfs_fs *fs, struct name_item *it, uint32_t rec_size)
{
	uint32_t old = it->size;
	int ret;

	it->size += rec_size;
	if (old == 0)
		ret = insert_item(&fs->fs_root, &it->key, it->buf, it->size);
	else
		ret = update_item(&fs->fs_root, &it->key, it->buf, it->size);
	if (ret == 0)
		fs->trans_dirty = 1;
	return ret;
}

/* Cut rec out of the item; the last record takes the item with it. */
static int name_item_remove(struct cowfs_fs *fs, struct name_item *it,
			    const struct name_record *rec)
{
	int ret;

	memmove(it->buf + rec->off, it->buf + rec->off + rec->size,
		it->size - rec->off - rec->size);
	it->size -= rec->size;
	if (it->size == 0)
		ret = delete_item(&fs->fs_root, &it->key);
	else
		ret = update_item(&fs->fs_root, &it->key, it->buf, it->size);
	if (ret == 0)
		fs->trans_dirty = 1;
	return ret;
}

static void dir_item_init(struct name_item *it, uint64_t dir, uint64_t hash)
{
	it->key = (struct cowfs_key){ .objectid = dir, .type = COWFS_DIR_ITEM, .offset = hash };
	it->next = dir_item_next;
}

static void inode_ref_init(struct name_item *it, uint64_t ino, uint64_t parent)
{
	it->key = (struct cowfs_key){ .objectid = ino, .type = COWFS_INODE_REF, .offset = parent };
	it->next = inode_ref_next;
}

int dir_entry_add(struct cowfs_fs *fs, uint64_t dir, uint64_t hash, const char *name,
		  size_t len, uint64_t ino, int type)
{
	struct name_item it;
	struct name_record rec;
	struct cowfs_dir_entry *de;
	int ret;

	dir_item_init(&it, dir, hash);
	ret = name_item_read(fs, &it);
	if (ret < 0 && ret != -ENOENT)
		return ret;
	ret = name_item_find(&it, name, len, &rec);
	if (ret == 0)
		return -EEXIST;
	if (ret != -ENOENT)
		return ret;
	if (it.size + sizeof(*de) + len > NAME_ITEM_MAX)
		return -COWFS_ETOOBIG;
	de = (struct cowfs_dir_entry *)(it.buf + it.size);
	memset(de, 0, sizeof(*de));
	cowfs_set_dir_entry_ino(de, ino);
	cowfs_set_dir_entry_transid(de, fs->transid);
	cowfs_set_dir_entry_name_len(de, (uint16_t)len);
	de->type = (uint8_t)type;
	memcpy(de + 1, name, len);
	return name_item_append(fs, &it, (uint32_t)(sizeof(*de) + len));
}

int inode_ref_add(struct cowfs_fs *fs, uint64_t ino, uint64_t parent,
		  const char *name, size_t len)
{
	struct name_item it;
	struct name_record rec;
	struct cowfs_inode_ref *ref;
	int ret;

	inode_ref_init(&it, ino, parent);
	ret = name_item_read(fs, &it);
	if (ret < 0 && ret != -ENOENT)
		return ret;
	ret = name_item_find(&it, name, len, &rec);
	if (ret == 0)
		return -COWFS_ECORRUPT;	/* the dir entry was absent but its ref is not */
	if (ret != -ENOENT)
		return ret;
	if (it.size + sizeof(*ref) + len > NAME_ITEM_MAX)
		return -COWFS_ETOOBIG;
	ref = (struct cowfs_inode_ref *)(it.buf + it.size);
	cowfs_set_inode_ref_name_len(ref, (uint16_t)len);
	memcpy(ref + 1, name, len);
	return name_item_append(fs, &it, (uint32_t)(sizeof(*ref) + len));
}

int inode_ref_del(struct cowfs_fs *fs, uint64_t ino, uint64_t parent,
		  const char *name, size_t len)
{
	struct name_item it;
	struct name_record rec;
	int ret;

	inode_ref_init(&it, ino, parent);
	ret = name_item_read(fs, &it);
	if (ret == 0)
		ret = name_item_find(&it, name, len, &rec);
	if (ret == -ENOENT)
		return -COWFS_ECORRUPT;
	if (ret < 0)
		return ret;
	return name_item_remove(fs, &it, &rec);
}

int dir_entry_find(struct cowfs_fs *fs, uint64_t dir, uint64_t hash, const char *name,
		   size_t len, uint64_t *ino, int *type)
{
	struct name_item it;
	struct name_record rec;
	int ret;

	dir_item_init(&it, dir, hash);
	ret = name_item_read(fs, &it);
	if (ret == 0)
		ret = name_item_find(&it, name, len, &rec);
	if (ret < 0)
		return ret;
	if (ino)
		*ino = rec.ino;
	if (type)
		*type = rec.type;
	return 0;
}

int dir_entry_del(struct cowfs_fs *fs, uint64_t dir, uint64_t hash, const char *name,
		  size_t len)
{
	struct name_item it;
	struct name_record rec;
	int ret;

	dir_item_init(&it, dir, hash);
	ret = name_item_read(fs, &it);
	if (ret == 0)
		ret = name_item_find(&it, name, len, &rec);
	if (ret < 0)
		return ret;
	return name_item_remove(fs, &it, &rec);
}
