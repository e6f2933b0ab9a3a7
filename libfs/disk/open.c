/* Opening and closing an image. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "disk/alloc.h"
#include "disk/ctree.h"
#include "disk/super.h"

static int load_root(struct cowfs_fs *fs, struct cowfs_root *root, uint64_t id, int slot)
{
	struct cowfs_root_ptr *rp = &fs->super.roots[slot];

	root->id = id;
	root->fs = fs;
	return read_tree_block(fs, cowfs_root_ptr_bytenr(rp), id, rp->level,
			       cowfs_root_ptr_generation(rp), &root->node);
}

/* Set up everything but the device and the superblock (shared with mkfs). */
void fs_init_memory(struct cowfs_fs *fs)
{
	fs->eb_tree = RB_ROOT;
	fs->free_space = RB_ROOT;
	fs->pinned = RB_ROOT;
	fs->delayed_refs = RB_ROOT;
	fs->fs_root = (struct cowfs_root){ COWFS_FS_TREE, NULL, fs };
	fs->extent_root = (struct cowfs_root){ COWFS_EXTENT_TREE, NULL, fs };
	fs->csum_root = (struct cowfs_root){ COWFS_CSUM_TREE, NULL, fs };
}

int cowfs_open(const char *spec, unsigned flags, cowfs_fs **out)
{
	struct cowfs_fs *fs;
	char *path = NULL;
	int ret;

	*out = NULL;
	ret = cowfs_resolve_spec(spec, &path);
	if (ret < 0)
		return ret;
	fs = calloc(1, sizeof(*fs));
	if (!fs) {
		free(path);
		return -ENOMEM;
	}
	fs_init_memory(fs);
	ret = dev_open(&fs->dev, path, !!(flags & COWFS_OPEN_RDWR));
	free(path);
	if (ret < 0) {
		free(fs);
		return ret;
	}
	fs->writable = !!(flags & COWFS_OPEN_RDWR);
	ret = read_supers(fs, !!(flags & COWFS_OPEN_BACKUP_SUPER));
	if (ret < 0)
		goto fail;
	fs->last_trans = cowfs_super_generation(&fs->super);
	fs->transid = fs->last_trans + 1;
	fs->next_ino = cowfs_super_next_ino(&fs->super);
	fs->bytes_used = cowfs_super_bytes_used(&fs->super);
	ret = load_root(fs, &fs->fs_root, COWFS_FS_TREE, COWFS_ROOT_FS);
	if (ret == 0)
		ret = load_root(fs, &fs->extent_root, COWFS_EXTENT_TREE, COWFS_ROOT_EXTENT);
	if (ret == 0)
		ret = load_root(fs, &fs->csum_root, COWFS_CSUM_TREE, COWFS_ROOT_CSUM);
	if (ret == 0)
		ret = free_space_load(fs);
	if (ret < 0)
		goto fail;
	*out = fs;
	return 0;
fail:
	cowfs_close(fs);
	return ret;
}

void cowfs_close(cowfs_fs *fs)
{
	if (!fs)
		return;
	free_eb(fs, fs->fs_root.node);
	free_eb(fs, fs->extent_root.node);
	free_eb(fs, fs->csum_root.node);
	eb_cache_destroy(fs);
	delayed_refs_destroy(fs);
	free_space_destroy(fs);
	dev_close(&fs->dev);
	free(fs);
}

void cowfs_get_info(const cowfs_fs *fs, struct cowfs_info *info)
{
	memset(info, 0, sizeof(*info));
	memcpy(info->fsid, fs->fsid, COWFS_UUID_SIZE);
	memcpy(info->label, fs->super.label, COWFS_LABEL_SIZE);
	info->label[COWFS_LABEL_SIZE] = '\0';
	info->generation = fs->last_trans;
	info->total_bytes = cowfs_super_total_bytes(&fs->super);
	info->bytes_used = fs->bytes_used;
	info->features = cowfs_super_incompat(&fs->super);
	info->next_ino = fs->next_ino;
	info->super_copy = fs->super_copy;
	info->super_problems = fs->super_problems;
}

uint64_t cowfs_free_bytes(const cowfs_fs *fs)
{
	return fs->free_bytes;
}

int cowfs_reserve_extent(cowfs_fs *fs, uint64_t len, uint64_t *bytenr)
{
	if (!fs->writable)
		return -EROFS;
	return alloc_range(fs, len, bytenr);
}

void cowfs_free_reserved_extent(cowfs_fs *fs, uint64_t bytenr, uint64_t len)
{
	free_range(fs, bytenr, len);
}

/* Data I/O stays inside [reserved area end, total_bytes) and on block boundaries. */
static int data_range_ok(const cowfs_fs *fs, uint64_t bytenr, size_t len)
{
	uint64_t total = cowfs_super_total_bytes(&fs->super);

	return bytenr >= COWFS_RESERVED_BYTES && !((bytenr | len) % COWFS_BLOCK_SIZE) &&
	       bytenr <= total && len <= total - bytenr;
}

int cowfs_write_data(cowfs_fs *fs, uint64_t bytenr, const void *buf, size_t len)
{
	if (!fs->writable)
		return -EROFS;
	if (fs->aborted)
		return -EIO;
	if (!data_range_ok(fs, bytenr, len))
		return -EINVAL;
	return dev_pwrite(&fs->dev, buf, len, bytenr);
}

int cowfs_read_data(cowfs_fs *fs, uint64_t bytenr, void *buf, size_t len)
{
	if (!data_range_ok(fs, bytenr, len))
		return -EINVAL;
	return dev_pread(&fs->dev, buf, len, bytenr);
}

void cowfs_set_write_limit(cowfs_fs *fs, int64_t nblocks)
{
	fs->dev.write_limit = nblocks;
}

uint64_t cowfs_blocks_written(const cowfs_fs *fs)
{
	return fs->dev.blocks_written;
}
