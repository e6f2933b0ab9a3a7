/* Making a filesystem: an empty one is built with the ordinary machinery
 * (three empty root leaves, the root directory's inode, one commit), so mkfs
 * and every later commit write the same structures the same way. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "disk/alloc.h"
#include "disk/ctree.h"
#include "disk/super.h"

static int make_root(struct cowfs_fs *fs, struct cowfs_root *root)
{
	uint64_t bytenr;
	int ret = alloc_tree_block(fs, root->id, 0, &bytenr);

	if (ret < 0)
		return ret;
	root->node = eb_create(fs, bytenr, root->id, 0);
	return root->node ? 0 : -ENOMEM;
}

static int make_root_dir(struct cowfs_fs *fs, int64_t time)
{
	struct cowfs_key key = { COWFS_ROOT_INO, COWFS_INODE_ITEM, 0 };
	struct cowfs_inode_item ii;

	memset(&ii, 0, sizeof(ii));
	cowfs_set_inode_item_generation(&ii, fs->transid);
	cowfs_set_inode_item_transid(&ii, fs->transid);
	cowfs_set_inode_item_mode(&ii, S_IFDIR | 0755);
	cowfs_set_inode_item_nlink(&ii, 1);
	cowfs_set_timespec_sec(&ii.atime, (uint64_t)time);
	cowfs_set_timespec_sec(&ii.mtime, (uint64_t)time);
	cowfs_set_timespec_sec(&ii.ctime, (uint64_t)time);
	return insert_item(&fs->fs_root, &key, &ii, sizeof(ii));
}

static int init_super(struct cowfs_fs *fs, const struct cowfs_mkfs_opts *o, uint64_t size)
{
	struct cowfs_super *sb = &fs->super;

	memset(sb, 0, sizeof(*sb));
	if (o->uuid)
		memcpy(fs->fsid, o->uuid, COWFS_FSID_SIZE);
	else
		uuid_generate(fs->fsid);
	memcpy(sb->fsid, fs->fsid, COWFS_FSID_SIZE);
	cowfs_set_super_magic(sb, COWFS_MAGIC);
	cowfs_set_super_total_bytes(sb, size);
	cowfs_set_super_block_size(sb, COWFS_BLOCK_SIZE);
	cowfs_set_super_node_size(sb, COWFS_NODE_SIZE);
	cowfs_set_super_csum_type(sb, COWFS_CSUM_CRC32C);
	cowfs_set_super_version(sb, COWFS_FORMAT_VERSION);
	if (o->features & ~COWFS_FEATURES_SUPPORTED)
		return -EINVAL;
	cowfs_set_super_incompat(sb, o->features);
	if (o->label) {
		if (strlen(o->label) >= COWFS_LABEL_SIZE)
			return -COWFS_ETOOBIG;
		strcpy(sb->label, o->label);
	}
	return 0;
}

/* Zero the reserved first MiB: old superblocks and other signatures go. */
static int wipe_reserved(struct cowfs_dev *dev)
{
	static const uint8_t zero[64 * 1024];
	int ret = 0;

	for (uint64_t off = 0; off < COWFS_RESERVED_BYTES && ret == 0; off += sizeof(zero))
		ret = dev_pwrite(dev, zero, sizeof(zero), off);
	return ret;
}

static int size_target(const char *path, uint64_t want, uint64_t *size)
{
	struct stat st;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		ret = -errno;
	} else if (S_ISREG(st.st_mode)) {
		if (want && ftruncate(fd, (off_t)want) < 0)
			ret = -errno;
		*size = want ? want : (uint64_t)st.st_size;
	} else {
		*size = 0;	/* a block device: dev_open measures it */
	}
	close(fd);
	return ret;
}

int cowfs_mkfs(const char *path, const struct cowfs_mkfs_opts *o)
{
	struct cowfs_fs *fs = calloc(1, sizeof(*fs));
	uint64_t size = 0;
	int ret;

	if (!fs)
		return -ENOMEM;
	fs_init_memory(fs);
	ret = size_target(path, o->size, &size);
	if (ret == 0)
		ret = dev_open(&fs->dev, path, 1);
	if (ret < 0) {
		free(fs);
		return ret;
	}
	if (!size || size > fs->dev.size)
		size = fs->dev.size;
	size &= ~(uint64_t)(COWFS_BLOCK_SIZE - 1);
	fs->writable = 1;
	if (size < COWFS_MIN_SIZE) {
		ret = -ENOSPC;
		goto out;
	}
	ret = init_super(fs, o, size);
	if (ret < 0)
		goto out;
	fs->last_trans = 0;
	fs->transid = 1;
	fs->next_ino = COWFS_ROOT_INO + 1;
	free_range(fs, COWFS_RESERVED_BYTES, size - COWFS_RESERVED_BYTES);
	fs->alloc_cursor = COWFS_RESERVED_BYTES;
	ret = wipe_reserved(&fs->dev);
	if (ret == 0)
		ret = make_root(fs, &fs->fs_root);
	if (ret == 0)
		ret = make_root(fs, &fs->extent_root);
	if (ret == 0)
		ret = make_root(fs, &fs->csum_root);
	if (ret == 0)
		ret = make_root_dir(fs, o->time);
	if (ret == 0)
		ret = cowfs_commit(fs);
out:
	cowfs_close(fs);
	return ret;
}
