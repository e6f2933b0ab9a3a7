/* cowfs_check(): open the image read-only and run the passes in order. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check/fsck.h"

static const char *const pass_titles[] = {
	"checking superblocks",
	"checking tree blocks",
	"checking extents, references and free space",
	"checking names and inodes",
	"checking data checksums",
	"checking expectations",
};

int fsck_lost_key(const struct fsck_ctx *c, uint64_t tree, const struct cowfs_key *key)
{
	for (size_t i = 0; i < c->lost.n; i++) {
		const struct fsck_lost *l = &c->lost.a[i];

		if (l->tree == tree && cowfs_key_cmp(key, &l->lo) >= 0 &&
		    (!l->bounded || cowfs_key_cmp(key, &l->hi) < 0))
			return 1;
	}
	return 0;
}

int fsck_lost_objectid(const struct fsck_ctx *c, uint64_t tree, uint64_t objectid)
{
	for (size_t i = 0; i < c->lost.n; i++) {
		const struct fsck_lost *l = &c->lost.a[i];

		if (l->tree == tree && objectid >= l->lo.objectid &&
		    (!l->bounded || objectid <= l->hi.objectid))
			return 1;
	}
	return 0;
}

int fsck_tree_damaged(const struct fsck_ctx *c, uint64_t tree)
{
	for (size_t i = 0; i < c->lost.n; i++)
		if (c->lost.a[i].tree == tree)
			return 1;
	return 0;
}

static void fsck_free(struct fsck_ctx *c)
{
	for (int i = 0; i < COWFS_MAX_LEVEL; i++)
		free(c->level_buf[i]);
	u64set_free(&c->visited);
	VEC_FREE(c->blocks);
	VEC_FREE(c->lost);
	VEC_FREE(c->extents);
	VEC_FREE(c->csums);
	VEC_FREE(c->csum_vals);
	VEC_FREE(c->inodes);
	VEC_FREE(c->dirents);
	VEC_FREE(c->irefs);
	VEC_FREE(c->fexts);
	free(c->fext_by_disk);
	VEC_FREE(c->names);
	if (c->dev_open)
		dev_close(&c->dev);
	free(c);
}

static void start_pass(struct fsck_ctx *c, int pass)
{
	if (c->ops && c->ops->pass)
		c->ops->pass(c->ops->arg, pass, pass_titles[pass]);
}

static int run_passes(struct fsck_ctx *c, const char *path)
{
	int ret;

	start_pass(c, 0);
	ret = fsck_pass0(c);
	if (ret)
		return ret > 0 ? 0 : ret;
	start_pass(c, 1);
	ret = fsck_pass1(c);
	if (ret < 0)
		return ret;
	start_pass(c, 2);
	ret = fsck_pass2(c);
	if (ret < 0)
		return ret;
	start_pass(c, 3);
	ret = fsck_pass3(c);
	if (ret == 0)
		ret = fsck_pass3_inodes(c);
	if (ret < 0)
		return ret;
	if (!(c->opts.flags & COWFS_CHECK_NO_DATA)) {
		start_pass(c, 4);
		if ((ret = fsck_pass4(c)) < 0)
			return ret;
	}
	if (!c->opts.expect)
		return 0;
	start_pass(c, 5);
	return fsck_pass5(c, path);
}

int cowfs_check(const char *path, const struct cowfs_check_opts *opts,
		const struct cowfs_check_ops *ops, struct cowfs_check_summary *sum)
{
	struct fsck_ctx *c;
	int ret;

	memset(sum, 0, sizeof(*sum));
	sum->super_copy = -1;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->ops = ops;
	if (opts)
		c->opts = *opts;
	c->sum = sum;
	for (int i = 0; i < COWFS_MAX_LEVEL; i++) {
		c->level_buf[i] = malloc(COWFS_NODE_SIZE);
		if (!c->level_buf[i]) {
			fsck_free(c);
			return -ENOMEM;
		}
	}
	ret = dev_open(&c->dev, path, 0);
	if (ret < 0) {
		fsck_free(c);
		return ret;
	}
	c->dev_open = 1;
	ret = run_passes(c, path);
	if (ret == 0 && c->oom)
		ret = -ENOMEM;
	fsck_free(c);
	return ret;
}
