/* Pass 1: walk the three trees from their roots, validate every block once,
 * and hand the items of good leaves to the collectors.
 *
 * The walk is bounded: a block is visited at most once (the visited set), and
 * each level is one below its parent's, so the depth is below COWFS_MAX_LEVEL.
 * A bad block is reported and not descended; the key range it covered is
 * recorded as lost so that later passes do not report its absence again.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check/fsck.h"
#include "check/problem.h"
#include "cowfs/error.h"
#include "disk/verify.h"

/* Where a block hangs: what its parent promises about it. */
struct walk {
	uint64_t tree;
	uint64_t parent;		/* 0: the superblock */
	int slot;
	uint64_t gen;
	int level;
	struct cowfs_key lo, hi;	/* its keys lie in [lo, hi) */
	int bounded;			/* hi is meaningful */
};

static const uint32_t status_problem[COWFS_BLOCK_NR_STATUS] = {
	[COWFS_BLOCK_BAD_CSUM]		= PR_1_BLOCK_CSUM,
	[COWFS_BLOCK_BAD_BYTENR]	= PR_1_BLOCK_BYTENR,
	[COWFS_BLOCK_BAD_FSID]		= PR_1_BLOCK_FSID,
	[COWFS_BLOCK_BAD_GENERATION]	= PR_1_BLOCK_GENERATION,
	[COWFS_BLOCK_BAD_LEVEL]		= PR_1_BLOCK_LEVEL,
	[COWFS_BLOCK_BAD_OWNER]		= PR_1_BLOCK_OWNER,
	[COWFS_BLOCK_BAD_NRITEMS]	= PR_1_BLOCK_NRITEMS,
	[COWFS_BLOCK_BAD_KEY_ORDER]	= PR_1_BLOCK_KEY_ORDER,
	[COWFS_BLOCK_BAD_ITEM_OFFSET]	= PR_1_BLOCK_ITEM_OFFSET,
	[COWFS_BLOCK_BAD_BLOCKPTR]	= PR_1_BLOCK_PTR,
	[COWFS_BLOCK_BAD_ITEM]		= PR_1_BAD_ITEM,
};

static int lose(struct fsck_ctx *c, const struct walk *w)
{
	struct fsck_lost *l = VEC_PUSH(c->lost);

	if (!l)
		return -ENOMEM;
	l->tree = w->tree;
	l->lo = w->lo;
	l->hi = w->hi;
	l->bounded = w->bounded;
	return 0;
}

static int report_bad(struct fsck_ctx *c, enum cowfs_block_status st,
		      const struct cowfs_block_err *err, struct cowfs_problem_ctx *pc,
		      const struct walk *w)
{
	uint32_t code = (unsigned)st < COWFS_BLOCK_NR_STATUS ? status_problem[st] : 0;

	pc->have = err->have;
	pc->expect = err->expect;
	pc->str = err->msg;
	if (err->slot >= 0) {
		pc->slot = err->slot;
		fsck_key_ctx(pc, &err->key);
	}
	fsck_report(c, code ? code : PR_1_BAD_ITEM, pc);
	return lose(c, w);
}

/* Read and validate; 1: good, 0: bad (reported, range lost), < 0 error. */
static int read_block(struct fsck_ctx *c, uint64_t bytenr, uint8_t *buf, const struct walk *w,
		      struct cowfs_problem_ctx *pc)
{
	struct cowfs_block_err err;
	enum cowfs_block_status st;
	int ret;

	if (c->dev.size < COWFS_NODE_SIZE || bytenr > c->dev.size - COWFS_NODE_SIZE) {
		pc->str = "past the end of the image";
		fsck_report(c, PR_1_BLOCK_READ, pc);
		return lose(c, w);
	}
	ret = dev_pread(&c->dev, buf, COWFS_NODE_SIZE, bytenr);
	if (ret < 0) {
		pc->str = cowfs_strerror(ret);
		fsck_report(c, PR_1_BLOCK_READ, pc);
		return lose(c, w);
	}
	st = cowfs_verify_block_shape(buf, bytenr, c->fsid, w->tree, w->level, c->gen, &err);
	if (st != COWFS_BLOCK_OK)
		return report_bad(c, st, &err, pc, w);
	pc->have = cowfs_header_generation((const struct cowfs_header *)buf);
	if (pc->have != w->gen) {
		pc->expect = w->gen;
		fsck_report(c, PR_1_GEN_MISMATCH, pc);
		return lose(c, w);
	}
	return 1;
}

static void block_key(const uint8_t *buf, int level, uint32_t slot, struct cowfs_key *key)
{
	const uint8_t *p = buf + sizeof(struct cowfs_header);

	if (level == 0)
		cowfs_disk_to_key(key, &((const struct cowfs_item *)p)[slot].key);
	else
		cowfs_disk_to_key(key, &((const struct cowfs_key_ptr *)p)[slot].key);
}

/* The parent's key is the child's first; every key stays below the next one. */
static void check_key_range(struct fsck_ctx *c, const uint8_t *buf, const struct walk *w,
			    uint32_t nritems, struct cowfs_problem_ctx *pc)
{
	struct cowfs_key first, last;

	if (w->parent == 0 || nritems == 0)
		return;
	block_key(buf, w->level, 0, &first);
	if (cowfs_key_cmp(&first, &w->lo)) {
		fsck_key_ctx(pc, &first);
		fsck_report(c, PR_1_FIRST_KEY, pc);
	}
	block_key(buf, w->level, nritems - 1, &last);
	if (w->bounded && cowfs_key_cmp(&last, &w->hi) >= 0) {
		pc->slot = (int)nritems - 1;
		fsck_key_ctx(pc, &last);
		fsck_report(c, PR_1_KEY_RANGE, pc);
	}
}

static int walk_leaf(struct fsck_ctx *c, const uint8_t *buf, uint64_t bytenr,
		     const struct walk *w, uint32_t nritems)
{
	const struct cowfs_item *items = (const void *)(buf + sizeof(struct cowfs_header));

	for (uint32_t i = 0; i < nritems; i++) {
		const uint8_t *data = buf + sizeof(struct cowfs_header) +
				      cowfs_item_offset(&items[i]);
		uint32_t size = cowfs_item_size(&items[i]);
		struct cowfs_block_err err;
		struct cowfs_key key;
		int ret;

		cowfs_disk_to_key(&key, &items[i].key);
		if (cowfs_verify_item(w->tree, &key, data, size, &err) != COWFS_BLOCK_OK) {
			struct cowfs_problem_ctx pc = { .tree = w->tree, .bytenr = bytenr,
							.parent = w->parent, .slot = (int)i,
							.str = err.msg };

			fsck_key_ctx(&pc, &key);
			fsck_report(c, PR_1_BAD_ITEM, &pc);
			continue;
		}
		ret = fsck_collect_item(c, w->tree, &key, data, size);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int walk_block(struct fsck_ctx *c, uint64_t bytenr, const struct walk *w);

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/*
 * The walk is depth first and reads one block at a time, each read waiting for
 * the last: asking for all children of a node at once lets the device work on
 * them together while the first subtree is checked (btrfs check does the same
 * with readahead_tree_block).  Pointers out of range are left to walk_block.
 */
static void readahead_children(struct fsck_ctx *c, const struct cowfs_key_ptr *ptrs,
			       uint32_t nritems)
{
	uint64_t at[COWFS_NODE_PTRS], start, end;
	uint32_t n = 0;

	if (c->total_bytes < COWFS_NODE_SIZE)
		return;
	for (uint32_t i = 0; i < nritems && i < COWFS_NODE_PTRS; i++) {
		uint64_t b = cowfs_key_ptr_blockptr(&ptrs[i]);

		if (b % COWFS_BLOCK_SIZE == 0 && b >= COWFS_RESERVED_BYTES &&
		    b <= c->total_bytes - COWFS_NODE_SIZE)
			at[n++] = b;
	}
	if (n == 0)
		return;
	qsort(at, n, sizeof(at[0]), cmp_u64);
	start = at[0];
	end = start + COWFS_NODE_SIZE;
	for (uint32_t i = 1; i <= n; i++) {
		if (i < n && at[i] <= end) {
			if (at[i] + COWFS_NODE_SIZE > end)
				end = at[i] + COWFS_NODE_SIZE;
			continue;
		}
		/* Only a hint: a failure shows up again as the read's own error. */
		(void)dev_readahead(&c->dev, start, end - start);
		if (i < n) {
			start = at[i];
			end = start + COWFS_NODE_SIZE;
		}
	}
}

static int walk_node(struct fsck_ctx *c, const uint8_t *buf, uint64_t bytenr,
		     const struct walk *w, uint32_t nritems)
{
	const struct cowfs_key_ptr *ptrs = (const void *)(buf + sizeof(struct cowfs_header));

	readahead_children(c, ptrs, nritems);
	for (uint32_t i = 0; i < nritems; i++) {
		struct walk cw = { .tree = w->tree, .parent = bytenr, .slot = (int)i,
				   .gen = cowfs_key_ptr_generation(&ptrs[i]),
				   .level = w->level - 1 };
		int ret;

		cowfs_disk_to_key(&cw.lo, &ptrs[i].key);
		if (i + 1 < nritems) {
			cowfs_disk_to_key(&cw.hi, &ptrs[i + 1].key);
			cw.bounded = 1;
		} else {
			cw.hi = w->hi;
			cw.bounded = w->bounded;
		}
		ret = walk_block(c, cowfs_key_ptr_blockptr(&ptrs[i]), &cw);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int note_block(struct fsck_ctx *c, uint64_t bytenr, const struct walk *w)
{
	struct fsck_tblock *tb = VEC_PUSH(c->blocks);

	if (!tb)
		return -ENOMEM;
	tb->bytenr = bytenr;
	tb->tree = w->tree;
	tb->parent = w->parent;
	tb->level = (uint8_t)w->level;
	c->sum->tree_blocks++;
	if (c->ops && c->ops->block)
		c->ops->block(c->ops->arg, w->tree, bytenr, w->level, w->parent);
	return 0;
}

static int walk_block(struct fsck_ctx *c, uint64_t bytenr, const struct walk *w)
{
	struct cowfs_problem_ctx pc = { .tree = w->tree, .bytenr = bytenr, .parent = w->parent,
					.slot = w->slot };
	uint8_t *buf = c->level_buf[w->level];
	uint32_t nritems;
	int ret;

	if (bytenr % COWFS_BLOCK_SIZE || bytenr < COWFS_RESERVED_BYTES ||
	    bytenr > c->total_bytes - COWFS_NODE_SIZE) {
		fsck_report(c, PR_1_PTR_RANGE, &pc);
		return lose(c, w);
	}
	ret = u64set_add(&c->visited, bytenr);
	if (ret <= 0) {
		if (ret == 0)
			fsck_report(c, PR_1_DUP_BLOCK, &pc);
		return ret;
	}
	ret = note_block(c, bytenr, w);
	if (ret == 0)
		ret = read_block(c, bytenr, buf, w, &pc);
	if (ret <= 0)
		return ret;
	nritems = cowfs_header_nritems((const struct cowfs_header *)buf);
	check_key_range(c, buf, w, nritems, &pc);
	if (w->level == 0) {
		if (nritems == 0 && w->parent)
			fsck_report(c, PR_1_EMPTY_LEAF, &pc);
		return walk_leaf(c, buf, bytenr, w, nritems);
	}
	return walk_node(c, buf, bytenr, w, nritems);
}

int fsck_pass1(struct fsck_ctx *c)
{
	static const struct { int slot; uint64_t tree; } roots[COWFS_NR_TREES] = {
		{ COWFS_ROOT_FS, COWFS_FS_TREE },
		{ COWFS_ROOT_EXTENT, COWFS_EXTENT_TREE },
		{ COWFS_ROOT_CSUM, COWFS_CSUM_TREE },
	};

	for (int i = 0; i < COWFS_NR_TREES; i++) {
		const struct cowfs_root_ptr *r = &c->sb.roots[roots[i].slot];
		struct walk w = { .tree = roots[i].tree, .slot = roots[i].slot,
				  .gen = cowfs_root_ptr_generation(r), .level = r->level };
		int ret = walk_block(c, cowfs_root_ptr_bytenr(r), &w);

		if (ret < 0)
			return ret;
	}
	return 0;
}
