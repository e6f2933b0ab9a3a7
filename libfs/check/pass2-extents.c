/* Pass 2: the extent tree against everything that uses space.
 *
 * Each tree block reached in pass 1 needs a tree-block extent item (one
 * reference, its owner and level); each data extent named by file extents
 * needs a data extent item counting them; each data extent needs its csum
 * item and each csum item its extent.  Extents stay inside the usable space
 * and apart, and their lengths add up to the superblock's bytes_used (there
 * is no free-space tree: free space is what the extent items leave).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check/fsck.h"
#include "check/problem.h"

#define KNOWN_FLAGS (COWFS_EXTENT_FLAG_DATA | COWFS_EXTENT_FLAG_TREE_BLOCK)

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

static int cmp_extent(const void *a, const void *b)
{
	const struct fsck_extent *x = a, *y = b;

	return cmp_u64(x->bytenr, y->bytenr) ? cmp_u64(x->bytenr, y->bytenr)
					      : cmp_u64(x->len, y->len);
}

static int cmp_tblock(const void *a, const void *b)
{
	return cmp_u64(((const struct fsck_tblock *)a)->bytenr,
		       ((const struct fsck_tblock *)b)->bytenr);
}

static int cmp_csum(const void *a, const void *b)
{
	return cmp_u64(((const struct fsck_csum *)a)->bytenr,
		       ((const struct fsck_csum *)b)->bytenr);
}

static int cmp_fext(const void *a, const void *b)
{
	const struct fsck_fext *x = a, *y = b;

	return cmp_u64(x->ino, y->ino) ? cmp_u64(x->ino, y->ino)
				       : cmp_u64(x->file_off, y->file_off);
}

static int cmp_by_disk(const void *a, const void *b, void *arg)
{
	const struct fsck_fext *f = arg;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	if (f[x].disk_bytenr != f[y].disk_bytenr)
		return cmp_u64(f[x].disk_bytenr, f[y].disk_bytenr);
	return cmp_u64(x, y);
}

static struct fsck_extent *find_extent(struct fsck_ctx *c, uint64_t bytenr)
{
	size_t lo = 0, hi = c->extents.n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->extents.a[mid].bytenr < bytenr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < c->extents.n && c->extents.a[lo].bytenr == bytenr ? &c->extents.a[lo] : NULL;
}

/* Each extent item on its own, and against its predecessor. */
static uint64_t check_extent_items(struct fsck_ctx *c)
{
	uint64_t used = 0, max_end = 0, max_start = 0;

	for (size_t i = 0; i < c->extents.n; i++) {
		struct fsck_extent *e = &c->extents.a[i];
		struct cowfs_problem_ctx pc = { .bytenr = e->bytenr, .num = e->len };

		used += e->len;
		if (e->bytenr % COWFS_BLOCK_SIZE || e->len % COWFS_BLOCK_SIZE || e->len == 0)
			fsck_report(c, PR_2_EXTENT_ALIGN, &pc);
		if (e->bytenr < COWFS_RESERVED_BYTES || e->bytenr > c->total_bytes ||
		    e->len > c->total_bytes - e->bytenr) {
			pc.expect = c->total_bytes;
			fsck_report(c, PR_2_EXTENT_RANGE, &pc);
		}
		if (i > 0 && e->bytenr < max_end) {
			pc.have = max_start;
			fsck_report(c, PR_2_EXTENT_OVERLAP, &pc);
		}
		if ((e->flags & ~(uint64_t)KNOWN_FLAGS) || !(e->flags & KNOWN_FLAGS) ||
		    (e->flags & KNOWN_FLAGS) == KNOWN_FLAGS) {
			pc.have = e->flags;
			fsck_report(c, PR_2_EXTENT_FLAGS, &pc);
		}
		if (e->gen == 0 || e->gen > c->gen) {
			pc.have = e->gen;
			pc.expect = c->gen;
			fsck_report(c, PR_2_EXTENT_GENERATION, &pc);
		}
		if (e->flags & COWFS_EXTENT_FLAG_DATA)
			c->sum->data_extents++;
		if (e->bytenr + e->len > max_end) {
			max_end = e->bytenr + e->len;
			max_start = e->bytenr;
		}
	}
	return used;
}

static void check_tree_block(struct fsck_ctx *c, const struct fsck_tblock *tb)
{
	struct fsck_extent *e = find_extent(c, tb->bytenr);
	struct cowfs_problem_ctx pc = { .tree = tb->tree, .bytenr = tb->bytenr };

	if (!e) {
		if (!fsck_lost_objectid(c, COWFS_EXTENT_TREE, tb->bytenr))
			fsck_report(c, PR_2_TREE_NO_EXTENT, &pc);
		return;
	}
	e->found_refs++;
	if (!(e->flags & COWFS_EXTENT_FLAG_TREE_BLOCK)) {
		fsck_report(c, PR_2_TREE_EXTENT_KIND, &pc);
		return;
	}
	pc.num = e->len;
	if (e->len != COWFS_NODE_SIZE)
		fsck_report(c, PR_2_TREE_EXTENT_LEN, &pc);
	pc.have = e->refs;
	pc.expect = 1;
	if (e->refs != 1)
		fsck_report(c, PR_2_TREE_EXTENT_REFS, &pc);
	pc.have = e->owner;
	pc.expect = tb->tree;
	if (e->owner != tb->tree)
		fsck_report(c, PR_2_TREE_EXTENT_OWNER, &pc);
	pc.have = e->level;
	pc.expect = tb->level;
	if (e->level != tb->level)
		fsck_report(c, PR_2_TREE_EXTENT_LEVEL, &pc);
}

/* The file extents naming one disk extent: refs [i, j) of fext_by_disk. */
static void check_data_refs(struct fsck_ctx *c, size_t i, size_t j, int refs_checked)
{
	const struct fsck_fext *f = &c->fexts.a[c->fext_by_disk[i]];
	struct fsck_extent *e = find_extent(c, f->disk_bytenr);
	struct cowfs_problem_ctx pc = { .bytenr = f->disk_bytenr, .num = f->disk_num_bytes,
					.ino = f->ino, .file_off = f->file_off };

	if (!e) {
		if (!fsck_lost_objectid(c, COWFS_EXTENT_TREE, f->disk_bytenr))
			fsck_report(c, PR_2_DATA_NO_EXTENT, &pc);
		return;
	}
	e->found_refs += j - i;
	pc.num = e->len;
	if (!(e->flags & COWFS_EXTENT_FLAG_DATA)) {
		fsck_report(c, PR_2_DATA_EXTENT_KIND, &pc);
		return;
	}
	for (size_t k = i; k < j; k++) {
		f = &c->fexts.a[c->fext_by_disk[k]];
		if (f->disk_num_bytes != e->len) {
			struct cowfs_problem_ctx lc = {
				.bytenr = e->bytenr, .ino = f->ino, .file_off = f->file_off,
				.have = f->disk_num_bytes, .expect = e->len };

			fsck_report(c, PR_2_DATA_EXTENT_LEN, &lc);
		}
	}
	pc.have = e->refs;
	pc.expect = j - i;
	if (refs_checked && e->refs != j - i)
		fsck_report(c, PR_2_DATA_REFS, &pc);
}

static int check_data_extents(struct fsck_ctx *c, int refs_checked)
{
	size_t n = 0;

	VEC_SORT(c->fexts, cmp_fext);
	c->fext_by_disk = malloc((c->fexts.n ? c->fexts.n : 1) * sizeof(size_t));
	if (!c->fext_by_disk)
		return -ENOMEM;
	for (size_t i = 0; i < c->fexts.n; i++)
		if (c->fexts.a[i].disk_bytenr)	/* 0: a hole */
			c->fext_by_disk[n++] = i;
	c->n_by_disk = n;
	if (n > 1)
		qsort_r(c->fext_by_disk, n, sizeof(size_t), cmp_by_disk, c->fexts.a);
	for (size_t i = 0, j; i < n; i = j) {
		uint64_t bytenr = c->fexts.a[c->fext_by_disk[i]].disk_bytenr;

		for (j = i + 1; j < n && c->fexts.a[c->fext_by_disk[j]].disk_bytenr == bytenr; j++)
			;
		check_data_refs(c, i, j, refs_checked);
	}
	return 0;
}

static void check_csum_items(struct fsck_ctx *c)
{
	VEC_SORT(c->csums, cmp_csum);
	for (size_t i = 0; i < c->csums.n; i++) {
		const struct fsck_csum *cs = &c->csums.a[i];
		struct fsck_extent *e = find_extent(c, cs->bytenr);
		struct cowfs_problem_ctx pc = { .bytenr = cs->bytenr, .have = cs->count };

		if (!e || !(e->flags & COWFS_EXTENT_FLAG_DATA)) {
			if (!fsck_lost_objectid(c, COWFS_EXTENT_TREE, cs->bytenr))
				fsck_report(c, PR_2_CSUM_NO_EXTENT, &pc);
			continue;
		}
		e->csummed = 1;
		pc.num = e->len;
		pc.expect = e->len / COWFS_BLOCK_SIZE;
		if (cs->count != pc.expect)
			fsck_report(c, PR_2_CSUM_COUNT, &pc);
	}
}

/* What no one referenced, what has no checksums. */
static void check_unreferenced(struct fsck_ctx *c, int refs_checked)
{
	for (size_t i = 0; i < c->extents.n; i++) {
		const struct fsck_extent *e = &c->extents.a[i];
		struct cowfs_problem_ctx pc = { .bytenr = e->bytenr, .num = e->len };
		struct cowfs_key ck = { COWFS_CSUM_OBJECTID, COWFS_EXTENT_CSUM, e->bytenr };
		int data = (e->flags & COWFS_EXTENT_FLAG_DATA) != 0;

		if (data && !e->csummed && !fsck_lost_key(c, COWFS_CSUM_TREE, &ck))
			fsck_report(c, PR_2_DATA_NO_CSUM, &pc);
		if (e->found_refs)
			continue;
		if (data ? refs_checked : !fsck_tree_damaged(c, e->owner))
			fsck_report(c, PR_2_EXTENT_UNREFERENCED, &pc);
	}
}

int fsck_pass2(struct fsck_ctx *c)
{
	int refs_checked = !fsck_tree_damaged(c, COWFS_FS_TREE);
	uint64_t used;
	int ret;

	VEC_SORT(c->extents, cmp_extent);
	VEC_SORT(c->blocks, cmp_tblock);
	used = check_extent_items(c);
	for (size_t i = 0; i < c->blocks.n; i++)
		check_tree_block(c, &c->blocks.a[i]);
	ret = check_data_extents(c, refs_checked);
	if (ret < 0)
		return ret;
	check_csum_items(c);
	check_unreferenced(c, refs_checked);
	if (!refs_checked) {
		struct cowfs_problem_ctx pc = { .str = "the fs tree is damaged" };

		fsck_report(c, PR_2_REFS_SKIPPED, &pc);
	}
	if (!fsck_tree_damaged(c, COWFS_EXTENT_TREE) &&
	    used != cowfs_super_bytes_used(&c->sb)) {
		struct cowfs_problem_ctx pc = { .have = cowfs_super_bytes_used(&c->sb),
						.expect = used };

		fsck_report(c, PR_2_BYTES_USED, &pc);
	}
	return 0;
}
