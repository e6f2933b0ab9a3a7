/* Commit: the only way anything becomes durable.
 *
 * Order: delayed refs to a fixed point, every dirty tree block written, flush,
 * superblocks written, flush.  Until the superblock lands the previous commit
 * is what a crash shows, and none of its blocks was overwritten (pinned).
 */
#include <errno.h>

#include "disk/alloc.h"
#include "disk/ctree.h"
#include "disk/super.h"

static void set_root_ptr(struct cowfs_super *sb, int slot, struct cowfs_root *root)
{
	struct cowfs_root_ptr *rp = &sb->roots[slot];
	struct extent_buffer *eb = root->node;

	cowfs_set_root_ptr_bytenr(rp, eb->bytenr);
	cowfs_set_root_ptr_generation(rp, cowfs_header_generation(eb_header(eb)));
	rp->level = (uint8_t)eb_level(eb);
}

int cowfs_commit(cowfs_fs *fs)
{
	int ret;

	if (!fs->writable)
		return -EROFS;
	if (fs->aborted)
		return -EIO;
	if (!fs->trans_dirty)
		return 0;
	ret = run_delayed_refs(fs);
	if (ret < 0)
		goto abort;
	cowfs_set_super_generation(&fs->super, fs->transid);
	cowfs_set_super_bytes_used(&fs->super, fs->bytes_used);
	cowfs_set_super_next_ino(&fs->super, fs->next_ino);
	set_root_ptr(&fs->super, COWFS_ROOT_FS, &fs->fs_root);
	set_root_ptr(&fs->super, COWFS_ROOT_EXTENT, &fs->extent_root);
	set_root_ptr(&fs->super, COWFS_ROOT_CSUM, &fs->csum_root);
	ret = write_dirty_ebs(fs);
	if (ret == 0)
		ret = dev_flush(&fs->dev);
	if (ret == 0)
		ret = write_supers(fs);
	if (ret == 0)
		ret = dev_flush(&fs->dev);
	if (ret < 0)
		goto abort;
	fs->last_trans = fs->transid++;
	fs->trans_dirty = 0;
	fs->super_copy = 0;
	fs->super_problems = 0;
	unpin_all(fs);
	return 0;
abort:
	/* As btrfs_abort_transaction: the in-memory state is no longer trustworthy. */
	fs->aborted = ret;
	return ret;
}

uint64_t cowfs_transid(const cowfs_fs *fs)
{
	return fs->transid;
}

int cowfs_trans_dirty(const cowfs_fs *fs)
{
	return fs->trans_dirty;
}
