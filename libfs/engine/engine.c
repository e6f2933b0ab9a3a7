/* The public API: each call is an operation task of the trace line it models. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cowfs/engine.h"
#include "cowfs/error.h"
#include "engine/file.h"
#include "engine/inode.h"
#include "engine/page-ops.h"
#include "engine/readpage.h"
#include "engine/reclaim.h"
#include "engine/space-info.h"
#include "engine/transaction.h"

int cowfs_engine_open(const char *image, const struct cowfs_engine_opts *opts,
		      cowfs_engine **out)
{
	struct cowfs_engine *eng = calloc(1, sizeof(*eng));
	int ret;

	if (!eng || !image || !(eng->spec = strdup(image))) {
		free(eng);
		return image ? -ENOMEM : -EINVAL;
	}
	ret = cowfs_open(image, COWFS_OPEN_RDWR, &eng->fs);
	if (ret) {
		free(eng->spec);
		free(eng);
		return ret;
	}
	eng->profile = opts && opts->profile ? opts->profile : cowfs_profile_find("current");
	if (opts) {
		eng->ops = opts->ops;
		eng->verbose = opts->verbose;
		eng->seed = opts->seed;
	}
	page_cache_init(&eng->cache, opts && opts->cache_pages ? opts->cache_pages :
				     COWFS_ENGINE_DEFAULT_CACHE);
	executor_init(&eng->ex, eng->seed, task_run_work, eng);
	eng->fixup_workers.name = "btrfs-fixup";
	eng->workers.name = "btrfs-worker";
	eng->endio.name = "device";
	eng->endio_write_workers.name = "btrfs-endio-write";
	space_info_init(eng);
	*out = eng;
	return 0;
}

void cowfs_engine_close(cowfs_engine *eng)
{
	if (!eng)
		return;
	executor_destroy(&eng->ex);
	eng_inode_drop_all(eng);
	if (eng->fs)
		cowfs_close(eng->fs);
	free(eng->spec);
	free(eng);
}

cowfs_fs *cowfs_engine_fs(cowfs_engine *eng)
{
	return eng->fs;
}

const struct cowfs_profile *cowfs_engine_profile(const cowfs_engine *eng)
{
	return eng->profile;
}

void cowfs_engine_get_stats(const cowfs_engine *eng, struct cowfs_engine_stats *stats)
{
	*stats = eng->stats;
	stats->cache_peak = eng->cache.peak;
}

uint64_t cowfs_engine_pending(const cowfs_engine *eng)
{
	return executor_count(&eng->ex, NULL, NULL);
}

static int op_begin(struct cowfs_engine *eng, struct task *t, const char *name, uint64_t line)
{
	if (!eng->fs)
		return -EIO;	/* a crash could not reopen the image */
	task_enter(eng, t, name, line, NULL);
	return 0;
}

static int op_end(struct cowfs_engine *eng, struct task *t, int ret)
{
#ifdef COWFS_DEBUG
	if (!t->parent)
		check_all_pages(eng);
#endif
	task_exit(eng, t);
	return ret;
}

/* Begin an operation on the regular file at path. */
static int op_file(struct cowfs_engine *eng, struct task *t, const char *name, uint64_t line,
		   const char *path, struct inode **inode)
{
	int ret = op_begin(eng, t, name, line);

	if (ret)
		return ret;
	ret = eng_inode_lookup(eng, path, inode);
	if (!ret && (*inode)->is_dir) {
		iput(*inode);
		ret = -EISDIR;
	}
	if (ret)
		task_exit(eng, t);
	return ret;
}

static int op_file_end(struct cowfs_engine *eng, struct task *t, struct inode *inode, int ret)
{
	iput(inode);
	return op_end(eng, t, ret);
}

static int range_ok(uint64_t off, uint64_t len)
{
	return off <= MAX_FILE_SIZE && len <= MAX_FILE_SIZE - off;
}

/* "/a/b" -> the inode of "/a" and the name "b". */
static int lookup_parent(struct cowfs_engine *eng, const char *path, uint64_t *dir,
			 const char **name, size_t *len)
{
	const char *slash = path ? strrchr(path, '/') : NULL;
	char *parent;
	int ret;

	if (!slash || path[0] != '/' || !slash[1])
		return -EINVAL;
	*name = slash + 1;
	*len = strlen(*name);
	if (slash == path)
		return cowfs_lookup_path(eng->fs, "/", dir);
	parent = strndup(path, (size_t)(slash - path));
	if (!parent)
		return -ENOMEM;
	ret = cowfs_lookup_path(eng->fs, parent, dir);
	free(parent);
	return ret;
}

static int make_node(struct cowfs_engine *eng, uint64_t line, const char *path, uint32_t mode,
		     const char *opname)
{
	struct cowfs_inode attrs = { 0 };	/* times 0: replays give identical images */
	struct inode *inode;
	const char *name;
	uint64_t dir, ino;
	struct task t;
	size_t len;
	int ret = op_begin(eng, &t, opname, line);

	if (ret)
		return ret;
	ret = lookup_parent(eng, path, &dir, &name, &len);
	if (!ret)
		ret = cowfs_create(eng->fs, dir, name, len, mode, &attrs, &ino);
	if (!ret && !(ret = iget(eng, ino, path, &inode)))
		iput(inode);
	return op_end(eng, &t, ret);
}

int cowfs_engine_mkdir(cowfs_engine *eng, uint64_t line, const char *path)
{
	return make_node(eng, line, path, S_IFDIR | 0755, "mkdir");
}

int cowfs_engine_create(cowfs_engine *eng, uint64_t line, const char *path)
{
	return make_node(eng, line, path, S_IFREG | 0644, "create");
}

int cowfs_engine_unlink(cowfs_engine *eng, uint64_t line, const char *path)
{
	struct inode *inode;
	const char *name;
	uint64_t dir;
	struct task t;
	size_t len;
	int ret = op_begin(eng, &t, "unlink", line);

	if (ret)
		return ret;
	ret = lookup_parent(eng, path, &dir, &name, &len);
	if (!ret)
		ret = eng_inode_lookup(eng, path, &inode);
	if (ret)
		return op_end(eng, &t, ret);
	if (!inode->is_dir)
		ret = evict_inode(eng, inode);
	if (!ret)
		ret = cowfs_unlink(eng->fs, dir, name, len);
	if (!ret)
		eng_inode_forget(inode);
	return op_file_end(eng, &t, inode, ret);
}

int cowfs_engine_truncate(cowfs_engine *eng, uint64_t line, const char *path, uint64_t size)
{
	struct inode *inode;
	struct task t;
	int ret;

	if (size > MAX_FILE_SIZE)
		return -EFBIG;
	ret = op_file(eng, &t, "truncate", line, path, &inode);
	if (ret)
		return ret;
	return op_file_end(eng, &t, inode, btrfs_setsize(eng, inode, size));
}

int cowfs_engine_size(cowfs_engine *eng, const char *path, uint64_t *size)
{
	struct inode *inode;
	int ret = eng->fs ? eng_inode_lookup(eng, path, &inode) : -EIO;

	if (ret)
		return ret;
	*size = inode->i_size;
	iput(inode);
	return 0;
}

int cowfs_engine_write(cowfs_engine *eng, uint64_t line, const char *path, uint64_t off,
		       uint64_t len, cowfs_fill_fn fill, void *arg, uint64_t fault)
{
	struct inode *inode;
	struct task t;
	int ret;

	if (!range_ok(off, len))
		return -EFBIG;
	if (!fill || (fault != COWFS_NO_FAULT && fault >= len))
		return -EINVAL;
	ret = op_file(eng, &t, "write", line, path, &inode);
	if (ret)
		return ret;
	return op_file_end(eng, &t, inode, btrfs_buffered_write(eng, inode, off, len, fill, arg,
								fault));
}

static int store(cowfs_engine *eng, uint64_t line, const char *path, uint64_t off,
		 uint64_t len, cowfs_fill_fn fill, void *arg, enum mmap_store how,
		 const char *opname)
{
	struct inode *inode;
	struct task t;
	int ret;

	if (!range_ok(off, len))
		return -EFBIG;
	if (!fill)
		return -EINVAL;
	ret = op_file(eng, &t, opname, line, path, &inode);
	if (ret)
		return ret;
	return op_file_end(eng, &t, inode, mmap_store(eng, inode, off, len, fill, arg, how));
}

int cowfs_engine_mwrite(cowfs_engine *eng, uint64_t line, const char *path, uint64_t off,
			uint64_t len, cowfs_fill_fn fill, void *arg)
{
	return store(eng, line, path, off, len, fill, arg, STORE_MKWRITE, "mwrite");
}

int cowfs_engine_munmap(cowfs_engine *eng, uint64_t line, const char *path, uint64_t off,
			uint64_t len, cowfs_fill_fn fill, void *arg)
{
	return store(eng, line, path, off, len, fill, arg, STORE_MUNMAP, "munmap");
}

int cowfs_engine_pin_write(cowfs_engine *eng, uint64_t line, const char *path, uint64_t off,
			   uint64_t len, cowfs_fill_fn fill, void *arg)
{
	return store(eng, line, path, off, len, fill, arg, STORE_PIN, "pin_write");
}

int cowfs_engine_read(cowfs_engine *eng, uint64_t line, const char *path, uint64_t off,
		      uint64_t len, void *buf, uint64_t *nread)
{
	struct inode *inode;
	struct task t;
	int ret;

	if (!range_ok(off, len) || !buf || !nread)
		return -EINVAL;
	ret = op_file(eng, &t, "read", line, path, &inode);
	if (ret)
		return ret;
	return op_file_end(eng, &t, inode, engine_read(eng, inode, off, len, buf, nread));
}

int64_t cowfs_engine_reclaim(cowfs_engine *eng, uint64_t line, const char *path, uint64_t max)
{
	struct inode *inode = NULL;
	struct task t;
	int ret = path ? op_file(eng, &t, "reclaim", line, path, &inode) :
			 op_begin(eng, &t, "reclaim", line);
	uint64_t n;

	if (ret)
		return ret;
	n = reclaim_pages(eng, inode, max);
	if (inode)
		iput(inode);
	op_end(eng, &t, 0);
	return (int64_t)n;
}

int cowfs_engine_writeback(cowfs_engine *eng, uint64_t line, const char *path, int wait)
{
	struct inode *inode = NULL;
	struct task t;
	int ret = path ? op_file(eng, &t, "writeback", line, path, &inode) :
			 op_begin(eng, &t, "writeback", line);

	if (ret)
		return ret;
	ret = engine_writeback(eng, inode, wait);
	if (inode)
		iput(inode);
	return op_end(eng, &t, ret);
}

int64_t cowfs_engine_run(cowfs_engine *eng, uint64_t line, uint64_t max)
{
	struct task t;
	int ret = op_begin(eng, &t, "run", line);
	uint64_t n;

	if (ret)
		return ret;
	n = executor_run(&eng->ex, max, NULL, NULL);
	op_end(eng, &t, 0);
	return (int64_t)n;
}

int cowfs_engine_fsync(cowfs_engine *eng, uint64_t line, const char *path)
{
	struct inode *inode;
	struct task t;
	int ret = op_begin(eng, &t, "fsync", line);

	if (ret)
		return ret;
	ret = eng_inode_lookup(eng, path, &inode);
	if (ret)
		return op_end(eng, &t, ret);
	return op_file_end(eng, &t, inode, engine_fsync(eng, inode));
}

int cowfs_engine_sync(cowfs_engine *eng, uint64_t line)
{
	struct task t;
	int ret = op_begin(eng, &t, "sync", line);

	return ret ? ret : op_end(eng, &t, engine_sync(eng));
}

int cowfs_engine_commit(cowfs_engine *eng, uint64_t line)
{
	struct task t;
	int ret = op_begin(eng, &t, "commit", line);

	return ret ? ret : op_end(eng, &t, transaction_commit(eng));
}

void cowfs_engine_power_cut(cowfs_engine *eng)
{
	eng->halted = 1;
	if (eng->fs)
		cowfs_set_write_limit(eng->fs, 0);
}

int cowfs_engine_crash(cowfs_engine *eng, uint64_t line)
{
	struct task t;
	int ret;

	if (eng->current)
		return -EBUSY;
	task_enter(eng, &t, "crash", line, NULL);
	ret = engine_crash(eng);
	task_exit(eng, &t);
	return ret;
}
