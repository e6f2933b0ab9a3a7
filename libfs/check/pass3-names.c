/* Pass 3, first half: the namespace.  Every name is a directory entry under
 * (dir, DIR_ITEM, hash) and an inode ref under (ino, INODE_REF, dir); the two
 * must match one to one, every inode must be reachable from the root, and
 * its nlink must count its names (directories have exactly one name and
 * nlink 1, as in btrfs, which stores no "." or ".." entries).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check/fsck.h"
#include "check/problem.h"
#include "disk/dir.h"

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

static int cmp_inode(const void *a, const void *b)
{
	return cmp_u64(((const struct fsck_inode *)a)->ino, ((const struct fsck_inode *)b)->ino);
}

static int cmp_name(const char *names, uint64_t dir_a, uint64_t off_a, uint16_t len_a,
		    uint64_t dir_b, uint64_t off_b, uint16_t len_b)
{
	int r;

	if (dir_a != dir_b)
		return cmp_u64(dir_a, dir_b);
	r = memcmp(names + off_a, names + off_b, len_a < len_b ? len_a : len_b);
	return r ? r : cmp_u64(len_a, len_b);
}

static int cmp_dirent(const void *a, const void *b, void *arg)
{
	const struct fsck_dirent *x = a, *y = b;

	return cmp_name(arg, x->dir, x->name_off, x->name_len, y->dir, y->name_off, y->name_len);
}

struct fsck_inode *fsck_inode(struct fsck_ctx *c, uint64_t ino)
{
	size_t lo = 0, hi = c->inodes.n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->inodes.a[mid].ino == ino)
			return &c->inodes.a[mid];
		if (c->inodes.a[mid].ino < ino)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The first dirent of dir with a name not below (name, len); n if none. */
static size_t dirent_lower_bound(struct fsck_ctx *c, uint64_t dir, uint64_t name_off, uint16_t len)
{
	size_t lo = 0, hi = c->dirents.n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct fsck_dirent *d = &c->dirents.a[mid];

		if (cmp_name(c->names.a, d->dir, d->name_off, d->name_len, dir, name_off, len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const char *fsck_path(struct fsck_ctx *c, uint64_t ino, char *buf, size_t size)
{
	size_t pos = size;
	struct fsck_inode *in = fsck_inode(c, ino);

	if (!in || !in->reachable || size < 2)
		return NULL;
	buf[--pos] = '\0';
	/* Parents were set by a breadth-first walk: the chain is acyclic and ends at the root. */
	for (size_t steps = 0; in && in->ino != COWFS_ROOT_INO && steps < c->inodes.n; steps++) {
		if (pos < (size_t)in->name_len + 1)
			return NULL;
		pos -= in->name_len;
		memcpy(buf + pos, c->names.a + in->name_off, in->name_len);
		buf[--pos] = '/';
		in = fsck_inode(c, in->parent);
	}
	if (pos == size - 1)
		buf[--pos] = '/';
	return buf + pos;
}

static void name_ctx(struct fsck_ctx *c, struct cowfs_problem_ctx *pc, char *name,
		     uint64_t off, uint16_t len)
{
	memcpy(name, c->names.a + off, len);
	name[len] = '\0';
	pc->str = name;
}

static int dir_type_of(uint32_t mode)
{
	return S_ISDIR(mode) ? COWFS_FT_DIR : COWFS_FT_REG;
}

static void check_inode_items(struct fsck_ctx *c)
{
	uint64_t next_ino = cowfs_super_next_ino(&c->sb);

	for (size_t i = 0; i < c->inodes.n; i++) {
		struct fsck_inode *in = &c->inodes.a[i];
		struct cowfs_problem_ctx pc = { .ino = in->ino, .have = in->mode };

		c->sum->inodes++;
		if (S_ISDIR(in->mode))
			c->sum->directories++;
		else if (S_ISREG(in->mode))
			c->sum->files++;
		else
			fsck_report(c, PR_3_BAD_MODE, &pc);
		if (in->ino < COWFS_FIRST_INO || in->ino >= next_ino) {
			pc.expect = next_ino;
			fsck_report(c, PR_3_BAD_INO, &pc);
		}
		if (in->transid > c->gen || in->gen > c->gen) {
			pc.have = in->transid > c->gen ? in->transid : in->gen;
			pc.expect = c->gen;
			fsck_report(c, PR_3_INODE_GENERATION, &pc);
		}
	}
}

/* Entries on their own: hash, name, repeated names, parent and child. */
static void check_dirents(struct fsck_ctx *c, int links)
{
	uint64_t last_bad_dir = 0;
	char name[COWFS_NAME_MAX + 1];

	for (size_t i = 0; i < c->dirents.n; i++) {
		struct fsck_dirent *de = &c->dirents.a[i];
		struct cowfs_problem_ctx pc = { .dir = de->dir, .ino = de->ino };
		struct fsck_inode *dir = fsck_inode(c, de->dir), *child = fsck_inode(c, de->ino);
		uint64_t hash = cowfs_name_hash(c->names.a + de->name_off, de->name_len);

		name_ctx(c, &pc, name, de->name_off, de->name_len);
		if (hash != de->hash) {
			pc.have = de->hash;
			pc.expect = hash;
			fsck_report(c, PR_3_DIRENT_HASH, &pc);
		}
		if (dir_check_name(name, de->name_len))
			fsck_report(c, PR_3_DIRENT_NAME, &pc);
		if (i > 0 && !cmp_dirent(de - 1, de, c->names.a))
			fsck_report(c, PR_3_DIRENT_DUP, &pc);
		if ((!dir || !S_ISDIR(dir->mode)) && de->dir != last_bad_dir) {
			last_bad_dir = de->dir;
			pc.ino = de->dir;
			pc.str = "directory entry";
			if (dir)
				fsck_report(c, PR_3_DIRENT_NOT_DIR, &pc);
			else if (links)
				fsck_report(c, PR_3_ORPHAN_ITEMS, &pc);
			name_ctx(c, &pc, name, de->name_off, de->name_len);
			pc.ino = de->ino;
		}
		if (!child) {
			if (links)
				fsck_report(c, PR_3_DIRENT_NO_INODE, &pc);
			continue;
		}
		child->dirents++;
		if (dir)
			dir->dir_size += de->name_len;
		if (de->type != dir_type_of(child->mode)) {
			pc.have = de->type;
			pc.expect = (uint64_t)dir_type_of(child->mode);
			fsck_report(c, PR_3_DIRENT_TYPE, &pc);
		}
	}
}

/* Each inode ref against the entry it mirrors. */
static void check_irefs(struct fsck_ctx *c, int links)
{
	uint64_t last_orphan = 0;
	char name[COWFS_NAME_MAX + 1];

	for (size_t i = 0; i < c->irefs.n; i++) {
		const struct fsck_iref *r = &c->irefs.a[i];
		struct cowfs_problem_ctx pc = { .ino = r->ino, .dir = r->dir };
		size_t k = dirent_lower_bound(c, r->dir, r->name_off, r->name_len);
		struct fsck_dirent *de = k < c->dirents.n ? &c->dirents.a[k] : NULL;

		if (de && de->ino == r->ino &&
		    !cmp_name(c->names.a, de->dir, de->name_off, de->name_len,
			      r->dir, r->name_off, r->name_len)) {
			de->matched = 1;
			continue;
		}
		if (!links)
			continue;
		if (!fsck_inode(c, r->ino)) {
			if (r->ino != last_orphan) {
				last_orphan = r->ino;
				pc.str = "inode ref";
				fsck_report(c, PR_3_ORPHAN_ITEMS, &pc);
			}
			continue;
		}
		name_ctx(c, &pc, name, r->name_off, r->name_len);
		fsck_report(c, PR_3_REF_NO_DIRENT, &pc);
	}
	for (size_t i = 0; links && i < c->dirents.n; i++) {
		const struct fsck_dirent *de = &c->dirents.a[i];
		struct cowfs_problem_ctx pc = { .dir = de->dir, .ino = de->ino };

		if (de->matched || !fsck_inode(c, de->ino))
			continue;
		name_ctx(c, &pc, name, de->name_off, de->name_len);
		fsck_report(c, PR_3_DIRENT_NO_REF, &pc);
	}
}

/* Breadth first from the root, so that each inode's parent chain is its shortest path. */
static int walk_namespace(struct fsck_ctx *c)
{
	struct fsck_inode *root = fsck_inode(c, COWFS_ROOT_INO);
	VEC(uint64_t) queue = { 0 };

	if (!root || !S_ISDIR(root->mode))
		return 0;
	root->reachable = 1;
	if (!VEC_PUSH(queue))
		return -ENOMEM;
	queue.a[0] = COWFS_ROOT_INO;
	for (size_t q = 0; q < queue.n; q++) {
		uint64_t dir = queue.a[q];

		for (size_t k = dirent_lower_bound(c, dir, 0, 0);
		     k < c->dirents.n && c->dirents.a[k].dir == dir; k++) {
			const struct fsck_dirent *de = &c->dirents.a[k];
			struct fsck_inode *child = fsck_inode(c, de->ino);
			uint64_t *slot;

			if (!child || child->reachable)
				continue;
			child->reachable = 1;
			child->parent = dir;
			child->name_off = de->name_off;
			child->name_len = de->name_len;
			if (!S_ISDIR(child->mode))
				continue;
			slot = VEC_PUSH(queue);
			if (!slot) {
				VEC_FREE(queue);
				return -ENOMEM;
			}
			*slot = de->ino;
		}
	}
	VEC_FREE(queue);
	return 0;
}

static void check_links(struct fsck_ctx *c)
{
	char path[4096];

	for (size_t i = 0; i < c->inodes.n; i++) {
		const struct fsck_inode *in = &c->inodes.a[i];
		struct cowfs_problem_ctx pc = { .ino = in->ino };
		int root = in->ino == COWFS_ROOT_INO;

		if (!in->reachable && !root) {
			fsck_report(c, PR_3_UNREACHABLE, &pc);
			continue;
		}
		pc.path = fsck_path(c, in->ino, path, sizeof(path));
		if (S_ISDIR(in->mode)) {
			pc.have = in->dirents;
			pc.expect = root ? 0 : 1;
			if (in->dirents != pc.expect)
				fsck_report(c, PR_3_DIR_LINKS, &pc);
			pc.have = in->nlink;
			pc.expect = 1;
		} else {
			pc.have = in->nlink;
			pc.expect = in->dirents;
		}
		if (pc.have != pc.expect)
			fsck_report(c, PR_3_NLINK, &pc);
	}
}

/* Two items of one inode only come from leaves out of key order, already reported. */
static void dedup_inodes(struct fsck_ctx *c)
{
	size_t n = 0;

	for (size_t i = 0; i < c->inodes.n; i++)
		if (n == 0 || c->inodes.a[n - 1].ino != c->inodes.a[i].ino)
			c->inodes.a[n++] = c->inodes.a[i];
	c->inodes.n = n;
}

int fsck_pass3(struct fsck_ctx *c)
{
	int links = !fsck_tree_damaged(c, COWFS_FS_TREE);
	struct fsck_inode *root;
	int ret;

	VEC_SORT(c->inodes, cmp_inode);
	dedup_inodes(c);
	if (c->dirents.n > 1)
		qsort_r(c->dirents.a, c->dirents.n, sizeof(*c->dirents.a), cmp_dirent,
			c->names.a);
	root = fsck_inode(c, COWFS_ROOT_INO);
	if (!root || !S_ISDIR(root->mode)) {
		struct cowfs_problem_ctx pc = { .ino = COWFS_ROOT_INO,
						.have = root ? root->mode : 0 };

		if (root)
			fsck_report(c, PR_3_ROOT_NOT_DIR, &pc);
		else if (!fsck_lost_objectid(c, COWFS_FS_TREE, COWFS_ROOT_INO))
			fsck_report(c, PR_3_NO_ROOT, &pc);
	}
	check_inode_items(c);
	check_dirents(c, links);
	check_irefs(c, links);
	ret = walk_namespace(c);
	if (ret < 0)
		return ret;
	if (links) {
		check_links(c);
	} else {
		struct cowfs_problem_ctx pc = { .str = "the fs tree is damaged" };

		fsck_report(c, PR_3_LINKS_SKIPPED, &pc);
	}
	return 0;
}
