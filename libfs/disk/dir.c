/* Directory entries and inode references: lookup, create, link, unlink, readdir. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "cowfs/disk.h"
#include "disk/ctree.h"
#include "disk/dir.h"
#include "disk/inode.h"

/* The inode item of dir, which must be a directory. */
static int dir_read(struct cowfs_fs *fs, uint64_t dir, struct cowfs_inode_item *item)
{
	int ret = inode_lookup(fs, dir, item);

	if (ret < 0)
		return ret;
	return S_ISDIR(cowfs_inode_item_mode(item)) ? 0 : -ENOTDIR;
}

static int dir_add_size(struct cowfs_fs *fs, uint64_t dir, int64_t delta)
{
	struct cowfs_inode_item item;
	uint64_t size;
	int ret;

	ret = inode_lookup(fs, dir, &item);
	if (ret < 0)
		return ret;
	size = cowfs_inode_item_size(&item);
	if (delta < 0 && size < (uint64_t)-delta)
		return -COWFS_ECORRUPT;
	cowfs_set_inode_item_size(&item, size + (uint64_t)delta);
	return inode_update(fs, dir, &item);
}

int dir_lookup_hash(struct cowfs_fs *fs, uint64_t dir, const char *name, size_t len,
		    uint64_t hash, uint64_t *ino, int *type)
{
	struct cowfs_inode_item dir_item;
	int ret;

	ret = dir_check_name(name, len);
	if (ret == 0)
		ret = dir_read(fs, dir, &dir_item);
	if (ret == 0)
		ret = dir_entry_find(fs, dir, hash, name, len, ino, type);
	return ret;
}

/* Both halves of a name (entry and back-reference) and the directory's size. */
static int dir_add_name(struct cowfs_fs *fs, uint64_t dir, const char *name, size_t len,
			uint64_t hash, uint64_t ino, int type)
{
	int ret;

	ret = dir_entry_add(fs, dir, hash, name, len, ino, type);
	if (ret < 0)
		return ret;
	ret = inode_ref_add(fs, ino, dir, name, len);
	if (ret < 0)
		return ret;
	return dir_add_size(fs, dir, (int64_t)len);
}

static int name_op_prepare(struct cowfs_fs *fs, uint64_t dir, const char *name, size_t len)
{
	struct cowfs_inode_item dir_item;
	int ret;

	ret = fsop_writable(fs);
	if (ret == 0)
		ret = dir_check_name(name, len);
	if (ret == 0)
		ret = dir_read(fs, dir, &dir_item);
	return ret;
}

static void new_inode_item(struct cowfs_fs *fs, uint32_t mode, const struct cowfs_inode *attrs,
			   struct cowfs_inode_item *item)
{
	struct cowfs_inode in;

	memset(&in, 0, sizeof(in));
	if (attrs) {
		in = *attrs;
		in.atime_ns %= 1000000000u;
		in.mtime_ns %= 1000000000u;
		in.ctime_ns %= 1000000000u;
	}
	in.generation = fs->transid;
	in.transid = fs->transid;
	in.size = 0;
	in.nbytes = 0;
	in.mode = mode;
	in.nlink = 1;	/* directories too, as btrfs: no "." or ".." entries on disk */
	inode_to_item(&in, item);
}

/* The entry goes in first: it is the step that can refuse (-EEXIST, a full item). */
int dir_create_hash(struct cowfs_fs *fs, uint64_t dir, const char *name, size_t len,
		    uint64_t hash, uint32_t mode, const struct cowfs_inode *attrs,
		    uint64_t *ino)
{
	struct cowfs_inode_item item;
	uint64_t new_ino = fs->next_ino;
	int ret;

	ret = name_op_prepare(fs, dir, name, len);
	if (ret < 0)
		return ret;
	if (!inode_mode_valid(mode) || (mode & ~(uint32_t)(S_IFMT | 07777)))
		return -EINVAL;
	if (new_ino < COWFS_FIRST_INO || new_ino >= COWFS_CSUM_OBJECTID)
		return -ENOSPC;
	ret = dir_entry_add(fs, dir, hash, name, len, new_ino,
			    S_ISDIR(mode) ? COWFS_FT_DIR : COWFS_FT_REG);
	if (ret < 0)
		return ret;
	fs->next_ino++;
	new_inode_item(fs, mode, attrs, &item);
	ret = inode_insert(fs, new_ino, &item);
	if (ret == 0)
		ret = inode_ref_add(fs, new_ino, dir, name, len);
	if (ret == 0)
		ret = dir_add_size(fs, dir, (int64_t)len);
	if (ret == 0 && ino)
		*ino = new_ino;
	return ret;
}

int dir_link_hash(struct cowfs_fs *fs, uint64_t dir, const char *name, size_t len,
		  uint64_t hash, uint64_t ino)
{
	struct cowfs_inode_item item;
	uint32_t nlink;
	int ret;

	ret = name_op_prepare(fs, dir, name, len);
	if (ret < 0)
		return ret;
	ret = inode_lookup(fs, ino, &item);
	if (ret < 0)
		return ret;
	if (!S_ISREG(cowfs_inode_item_mode(&item)))
		return -EPERM;
	nlink = cowfs_inode_item_nlink(&item);
	if (nlink == UINT32_MAX)
		return -EMLINK;
	ret = dir_add_name(fs, dir, name, len, hash, ino, COWFS_FT_REG);
	if (ret < 0)
		return ret;
	ret = inode_lookup(fs, ino, &item);
	if (ret < 0)
		return ret;
	cowfs_set_inode_item_nlink(&item, nlink + 1);
	return inode_update(fs, ino, &item);
}

/* 0 when dir has no entries, -ENOTEMPTY when it has, < 0 on error. */
static int dir_empty(struct cowfs_fs *fs, uint64_t dir)
{
	struct cowfs_key key = { .objectid = dir, .type = COWFS_DIR_ITEM, .offset = 0 };
	struct cowfs_path path;
	int ret;

	path_init(&path);
	ret = search_forward(&fs->fs_root, &key, &path);
	if (ret == 0) {
		eb_item_key(path.nodes[0], path.slots[0], &key);
		ret = key.objectid == dir && key.type == COWFS_DIR_ITEM ? -ENOTEMPTY : 0;
	} else if (ret == 1) {
		ret = 0;
	}
	path_release(fs, &path);
	return ret;
}

/* The last name is gone: the file's extents (and their references), then the inode. */
static int inode_evict(struct cowfs_fs *fs, uint64_t ino, uint32_t mode)
{
	int ret;

	if (S_ISREG(mode)) {
		ret = cowfs_drop_extents(fs, ino, 0, UINT64_MAX);
		if (ret < 0)
			return ret;
	}
	return inode_delete(fs, ino);
}

int dir_unlink_hash(struct cowfs_fs *fs, uint64_t dir, const char *name, size_t len,
		    uint64_t hash)
{
	struct cowfs_inode_item item;
	uint64_t ino;
	uint32_t nlink;
	int ret;

	ret = name_op_prepare(fs, dir, name, len);
	if (ret == 0)
		ret = dir_entry_find(fs, dir, hash, name, len, &ino, NULL);
	if (ret < 0)
		return ret;
	ret = inode_lookup(fs, ino, &item);
	if (ret < 0)
		return ret == -ENOENT ? -COWFS_ECORRUPT : ret;
	if (S_ISDIR(cowfs_inode_item_mode(&item))) {
		ret = dir_empty(fs, ino);
		if (ret < 0)
			return ret;
	}
	nlink = cowfs_inode_item_nlink(&item);
	if (nlink == 0)
		return -COWFS_ECORRUPT;
	ret = dir_entry_del(fs, dir, hash, name, len);
	if (ret == 0)
		ret = inode_ref_del(fs, ino, dir, name, len);
	if (ret == 0)
		ret = dir_add_size(fs, dir, -(int64_t)len);
	if (ret < 0)
		return ret;
	if (nlink == 1)
		return inode_evict(fs, ino, cowfs_inode_item_mode(&item));
	cowfs_set_inode_item_nlink(&item, nlink - 1);
	return inode_update(fs, ino, &item);
}

int cowfs_lookup(cowfs_fs *fs, uint64_t dir, const char *name, size_t len, uint64_t *ino)
{
	return dir_lookup_hash(fs, dir, name, len, cowfs_name_hash(name, len), ino, NULL);
}

int cowfs_create(cowfs_fs *fs, uint64_t dir, const char *name, size_t len,
		 uint32_t mode, const struct cowfs_inode *attrs, uint64_t *ino)
{
	return dir_create_hash(fs, dir, name, len, cowfs_name_hash(name, len), mode, attrs, ino);
}

int cowfs_unlink(cowfs_fs *fs, uint64_t dir, const char *name, size_t len)
{
	return dir_unlink_hash(fs, dir, name, len, cowfs_name_hash(name, len));
}

/* The parent of ino, from its first back-reference (the root is its own parent). */
static int dir_parent(struct cowfs_fs *fs, uint64_t ino, uint64_t *parent)
{
	struct cowfs_key key = { .objectid = ino, .type = COWFS_INODE_REF, .offset = 0 };
	struct cowfs_path path;
	int ret;

	if (ino == COWFS_ROOT_INO) {
		*parent = ino;
		return 0;
	}
	path_init(&path);
	ret = search_forward(&fs->fs_root, &key, &path);
	if (ret == 0) {
		eb_item_key(path.nodes[0], path.slots[0], &key);
		if (key.objectid == ino && key.type == COWFS_INODE_REF)
			*parent = key.offset;
		else
			ret = 1;
	}
	path_release(fs, &path);
	return ret == 1 ? -COWFS_ECORRUPT : ret;
}

int cowfs_lookup_path(cowfs_fs *fs, const char *path, uint64_t *ino)
{
	uint64_t cur = COWFS_ROOT_INO;
	const char *p = path;
	int ret;

	if (!path || path[0] != '/')
		return -EINVAL;
	while (*p) {
		const char *end;
		size_t len;

		while (*p == '/')
			p++;
		end = strchrnul(p, '/');
		len = (size_t)(end - p);
		if (len == 0 || (len == 1 && p[0] == '.'))
			ret = 0;
		else if (len == 2 && p[0] == '.' && p[1] == '.')
			ret = dir_parent(fs, cur, &cur);
		else
			ret = cowfs_lookup(fs, cur, p, len, &cur);
		if (ret < 0)
			return ret;
		p = end;
	}
	*ino = cur;
	return 0;
}

struct readdir_item {
	uint32_t size;
	uint8_t buf[COWFS_LEAF_DATA_SIZE];
};

/* Copy the first DIR_ITEM of dir at or after *hash out of the tree: 0, 1 when none. */
static int readdir_next_item(struct cowfs_fs *fs, uint64_t dir, uint64_t *hash,
			     struct readdir_item *it)
{
	struct cowfs_key key = { .objectid = dir, .type = COWFS_DIR_ITEM, .offset = *hash };
	struct cowfs_path path;
	struct extent_buffer *leaf;
	int ret;

	path_init(&path);
	ret = search_forward(&fs->fs_root, &key, &path);
	if (ret == 0) {
		leaf = path.nodes[0];
		eb_item_key(leaf, path.slots[0], &key);
		if (key.objectid != dir || key.type != COWFS_DIR_ITEM) {
			ret = 1;
		} else if (eb_item_size(leaf, path.slots[0]) > sizeof(it->buf)) {
			ret = -COWFS_ECORRUPT;
		} else {
			it->size = eb_item_size(leaf, path.slots[0]);
			memcpy(it->buf, eb_item_ptr(leaf, path.slots[0]), it->size);
			*hash = key.offset;
		}
	}
	path_release(fs, &path);
	return ret;
}

/* Each item is copied out before the callbacks run, so they may use the fs. */
int cowfs_readdir(cowfs_fs *fs, uint64_t dir, cowfs_dirent_fn cb, void *arg)
{
	struct cowfs_inode_item dir_item;
	struct readdir_item it;
	struct name_record rec;
	uint64_t hash = 0;
	uint32_t pos;
	int ret;

	ret = dir_read(fs, dir, &dir_item);
	if (ret < 0)
		return ret;
	for (;;) {
		ret = readdir_next_item(fs, dir, &hash, &it);
		if (ret != 0)
			return ret == 1 ? 0 : ret;
		pos = 0;
		while ((ret = dir_item_next(it.buf, it.size, &pos, &rec)) == 0) {
			ret = cb(arg, rec.name, rec.len, rec.ino, rec.type);
			if (ret != 0)
				return ret;
		}
		if (ret < 0)
			return ret;
		if (hash == UINT64_MAX)
			return 0;
		hash++;
	}
}
