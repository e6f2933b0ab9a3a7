/* Durability (§3.5 of the research notes): commit, fsync, sync, crash.
 *
 * fsync and sync run the queued work of what they flush, fixups included: in the
 * kernel the fixup worker runs beside them and the next writeback pass picks the
 * page up; here a waiter runs the work it needs.  Each loops a bounded number of
 * passes and reports a stall if pages stay dirty.
 */
#include <errno.h>
#include <inttypes.h>

#include "cowfs/error.h"
#include "engine/inode.h"
#include "engine/ordered-io.h"
#include "engine/page-ops.h"
#include "engine/space-info.h"
#include "engine/transaction.h"
#include "engine/writeback.h"

#define FLUSH_PASSES 8

int transaction_commit(struct cowfs_engine *eng)
{
	uint64_t transid = cowfs_transid(eng->fs);
	int ret;

	eng_point(eng, COWFS_PT_COMMIT_START, "transaction %" PRIu64, transid);
	ret = cowfs_commit(eng->fs);
	if (ret) {
		eng_finding(eng, COWFS_FINDING_IOERR, "commit of transaction %" PRIu64 " failed: %s",
			    transid, cowfs_strerror(ret));
		return ret;
	}
	eng->stats.commits++;
	eng_event(eng, "transaction %" PRIu64 " committed", transid);
	return 0;
}

/* filemap_fdatawait, then every ordered extent (its dirty pages written first). */
static int wait_written(struct cowfs_engine *eng, struct inode *inode)
{
	int ret = filemap_fdatawait_range(eng, inode, 0, UINT64_MAX);

	return ret ? ret : wait_all_ordered(eng, inode, 1);
}

/* One inode or all, as one walk that tolerates inodes coming and going. */
static int for_each_inode(struct cowfs_engine *eng, struct inode *only,
			  int (*fn)(struct cowfs_engine *, struct inode *))
{
	struct inode *inode;
	uint64_t ino = 0;
	int ret = 0;

	if (only)
		return fn(eng, only);
	while ((inode = eng_inode_next(eng, ino))) {
		int err;

		ino = inode->ino;
		ihold(inode);
		err = fn(eng, inode);
		iput(inode);
		if (err == -EDEADLK)
			return err;
		if (err && !ret)
			ret = err;
	}
	return ret;
}

static int fdatawrite_all(struct cowfs_engine *eng, struct inode *inode)
{
	return btrfs_fdatawrite_range(eng, inode, 0, UINT64_MAX);
}

/* A page that failed is a finding and an error on its mapping, for fsync to
 * return; the writeback operation itself fails only when it cannot go on. */
static int operational(int err)
{
	return err == -EDEADLK || err == -ENOMEM ? err : 0;
}

int engine_writeback(struct cowfs_engine *eng, struct inode *inode, int wait)
{
	int ret = operational(for_each_inode(eng, inode, fdatawrite_all));

	if (wait && !ret)
		ret = operational(for_each_inode(eng, inode, wait_written));
	return ret;
}

static int work_of_inode(void *arg, const struct work *w)
{
	return w->inode == arg;
}

int engine_fsync(struct cowfs_engine *eng, struct inode *inode)
{
	int ret = 0, err;

	if (inode->is_dir)
		return transaction_commit(eng);
	inode->sync_writers++;	/* bios are checksummed inline, as for sync writers */
	ret = btrfs_wait_ordered_range(eng, inode, 0, UINT64_MAX);
	for (int pass = 0; !ret && pass < FLUSH_PASSES; pass++) {
		if (!inode->mapping.nrdirty && !executor_count(&eng->ex, work_of_inode, inode))
			break;
		executor_run(&eng->ex, UINT64_MAX, work_of_inode, inode);
		ret = btrfs_wait_ordered_range(eng, inode, 0, UINT64_MAX);
	}
	inode->sync_writers--;
	if (ret)
		return ret;	/* as btrfs_sync_file: a failed wait skips the commit */
	if (inode->mapping.nrdirty)
		eng_finding(eng, COWFS_FINDING_STALL, "fsync of %s left %" PRIu64 " dirty pages",
			    inode->path, inode->mapping.nrdirty);
	ret = transaction_commit(eng);
	err = inode->mapping.wb_err;	/* file_check_and_advance_wb_err */
	inode->mapping.wb_err = 0;
	return ret ? ret : err;
}

static int has_dirty(struct cowfs_engine *eng, struct inode *inode)
{
	(void)eng;
	return inode->mapping.nrdirty ? 1 : 0;
}

int engine_sync(struct cowfs_engine *eng)
{
	int ret = 0, dirty = 0;

	for (int pass = 0; pass < FLUSH_PASSES; pass++) {
		ret = engine_writeback(eng, NULL, 0);
		if (ret == -EDEADLK)
			return ret;
		executor_run(&eng->ex, UINT64_MAX, NULL, NULL);
		ret = engine_writeback(eng, NULL, 1);
		if (ret == -EDEADLK)
			return ret;
		dirty = for_each_inode(eng, NULL, has_dirty);
		if (!dirty && !executor_count(&eng->ex, NULL, NULL))
			break;
	}
	if (dirty)
		eng_finding(eng, COWFS_FINDING_STALL, "sync left dirty pages after %d passes",
			    FLUSH_PASSES);
	return transaction_commit(eng);
}

int engine_crash(struct cowfs_engine *eng)
{
	int ret;

	executor_discard_all(&eng->ex);
	eng_inode_drop_all(eng);
	if (eng->fs)
		cowfs_close(eng->fs);
	eng->fs = NULL;
	eng->halted = 0;
	ret = cowfs_open(eng->spec, COWFS_OPEN_RDWR, &eng->fs);
	if (ret) {
		eng->fs = NULL;
		return ret;
	}
	space_info_init(eng);
	eng_event(eng, "crash: cache and work dropped, image reopened at generation %" PRIu64,
		  cowfs_transid(eng->fs) - 1);
	return 0;
}
