/* Inode items: (ino, INODE_ITEM, 0) <-> struct cowfs_inode. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "disk/ctree.h"
#include "disk/inode.h"

static struct cowfs_key inode_key(uint64_t ino)
{
	return (struct cowfs_key){ .objectid = ino, .type = COWFS_INODE_ITEM, .offset = 0 };
}

int inode_mode_valid(uint32_t mode)
{
	return S_ISREG(mode) || S_ISDIR(mode);
}

int inode_lookup(struct cowfs_fs *fs, uint64_t ino, struct cowfs_inode_item *item)
{
	struct cowfs_key key = inode_key(ino);
	int ret;

	ret = lookup_item(&fs->fs_root, &key, item, sizeof(*item));
	if (ret < 0)
		return ret;
	if ((size_t)ret != sizeof(*item))
		return -COWFS_ECORRUPT;
	return 0;
}

int inode_update(struct cowfs_fs *fs, uint64_t ino, struct cowfs_inode_item *item)
{
	struct cowfs_key key = inode_key(ino);
	int ret;

	cowfs_set_inode_item_transid(item, fs->transid);
	ret = update_item(&fs->fs_root, &key, item, sizeof(*item));
	if (ret == 0)
		fs->trans_dirty = 1;
	return ret;
}

int inode_insert(struct cowfs_fs *fs, uint64_t ino, struct cowfs_inode_item *item)
{
	struct cowfs_key key = inode_key(ino);
	int ret;

	cowfs_set_inode_item_transid(item, fs->transid);
	ret = insert_item(&fs->fs_root, &key, item, sizeof(*item));
	if (ret == 0)
		fs->trans_dirty = 1;
	return ret;
}

int inode_delete(struct cowfs_fs *fs, uint64_t ino)
{
	struct cowfs_key key = inode_key(ino);
	int ret;

	ret = delete_item(&fs->fs_root, &key);
	if (ret == 0)
		fs->trans_dirty = 1;
	return ret;
}

static void get_time(const struct cowfs_timespec *ts, int64_t *sec, uint32_t *nsec)
{
	*sec = (int64_t)cowfs_timespec_sec(ts);
	*nsec = cowfs_timespec_nsec(ts);
}

static void set_time(struct cowfs_timespec *ts, int64_t sec, uint32_t nsec)
{
	cowfs_set_timespec_sec(ts, (uint64_t)sec);
	cowfs_set_timespec_nsec(ts, nsec);
}

void inode_from_item(uint64_t ino, const struct cowfs_inode_item *item,
		     struct cowfs_inode *inode)
{
	memset(inode, 0, sizeof(*inode));
	inode->ino = ino;
	inode->generation = cowfs_inode_item_generation(item);
	inode->transid = cowfs_inode_item_transid(item);
	inode->size = cowfs_inode_item_size(item);
	inode->nbytes = cowfs_inode_item_nbytes(item);
	inode->mode = cowfs_inode_item_mode(item);
	inode->nlink = cowfs_inode_item_nlink(item);
	inode->uid = cowfs_inode_item_uid(item);
	inode->gid = cowfs_inode_item_gid(item);
	get_time(&item->atime, &inode->atime, &inode->atime_ns);
	get_time(&item->mtime, &inode->mtime, &inode->mtime_ns);
	get_time(&item->ctime, &inode->ctime, &inode->ctime_ns);
}

void inode_to_item(const struct cowfs_inode *inode, struct cowfs_inode_item *item)
{
	memset(item, 0, sizeof(*item));
	cowfs_set_inode_item_generation(item, inode->generation);
	cowfs_set_inode_item_transid(item, inode->transid);
	cowfs_set_inode_item_size(item, inode->size);
	cowfs_set_inode_item_nbytes(item, inode->nbytes);
	cowfs_set_inode_item_mode(item, inode->mode);
	cowfs_set_inode_item_nlink(item, inode->nlink);
	cowfs_set_inode_item_uid(item, inode->uid);
	cowfs_set_inode_item_gid(item, inode->gid);
	set_time(&item->atime, inode->atime, inode->atime_ns);
	set_time(&item->mtime, inode->mtime, inode->mtime_ns);
	set_time(&item->ctime, inode->ctime, inode->ctime_ns);
}

int inode_add_nbytes(struct cowfs_fs *fs, uint64_t ino, int64_t delta)
{
	struct cowfs_inode_item item;
	uint64_t nbytes;
	int ret;

	if (delta == 0)
		return 0;
	ret = inode_lookup(fs, ino, &item);
	if (ret < 0)
		return ret;
	nbytes = cowfs_inode_item_nbytes(&item);
	if (delta < 0 ? nbytes < (uint64_t)-delta : nbytes + (uint64_t)delta < nbytes)
		return -COWFS_ECORRUPT;
	cowfs_set_inode_item_nbytes(&item, nbytes + (uint64_t)delta);
	return inode_update(fs, ino, &item);
}

int cowfs_read_inode(cowfs_fs *fs, uint64_t ino, struct cowfs_inode *inode)
{
	struct cowfs_inode_item item;
	int ret;

	ret = inode_lookup(fs, ino, &item);
	if (ret < 0)
		return ret;
	if (!inode_mode_valid(cowfs_inode_item_mode(&item)))
		return -COWFS_ECORRUPT;
	inode_from_item(ino, &item, inode);
	return 0;
}

/*
 * The caller owns size, the permission bits, uid, gid and the times.  The file
 * type, nlink, nbytes and generation stay the library's: they follow from the
 * names and extents, and a stale copy written back would contradict them.
 */
int cowfs_write_inode(cowfs_fs *fs, const struct cowfs_inode *inode)
{
	struct cowfs_inode_item item;
	uint32_t mode;
	int ret;

	ret = fsop_writable(fs);
	if (ret < 0)
		return ret;
	ret = inode_lookup(fs, inode->ino, &item);
	if (ret < 0)
		return ret;
	mode = cowfs_inode_item_mode(&item);
	if ((inode->mode & S_IFMT) != (mode & S_IFMT))
		return -EINVAL;
	if (inode->atime_ns >= 1000000000u || inode->mtime_ns >= 1000000000u ||
	    inode->ctime_ns >= 1000000000u)
		return -EINVAL;
	cowfs_set_inode_item_size(&item, inode->size);
	cowfs_set_inode_item_mode(&item, (mode & S_IFMT) | (inode->mode & 07777));
	cowfs_set_inode_item_uid(&item, inode->uid);
	cowfs_set_inode_item_gid(&item, inode->gid);
	set_time(&item.atime, inode->atime, inode->atime_ns);
	set_time(&item.mtime, inode->mtime, inode->mtime_ns);
	set_time(&item.ctime, inode->ctime, inode->ctime_ns);
	return inode_update(fs, inode->ino, &item);
}
