/* The checker's private state, shared by its passes.
 *
 * Pass 1 reads every tree block once and collects what later passes need
 * from the leaves into flat arrays; passes 2 and 3 sort and cross-check those
 * arrays, pass 4 streams the data blocks.  Nothing is trusted that a check has
 * not passed: every index into the image is bounded before it is used.
 */
#ifndef COWFS_CHECK_FSCK_H
#define COWFS_CHECK_FSCK_H

#include <stddef.h>
#include <stdint.h>

#include "cowfs/check.h"
#include "disk/dev.h"
#include "disk/format.h"

/* ---- growable arrays ---- */

#define VEC(T) struct { T *a; size_t n, cap; }

int vec_grow(void *pptr, size_t *cap, size_t elem);

/* A pointer to a new zeroed slot at the end of v, or NULL when out of memory. */
#define VEC_PUSH(v)							\
	(((v).n < (v).cap || vec_grow(&(v).a, &(v).cap, sizeof(*(v).a)) == 0) ? \
	 memset(&(v).a[(v).n++], 0, sizeof(*(v).a)) : NULL)

/* qsort() of a whole array; an empty one may have a NULL base, which qsort must not see. */
#define VEC_SORT(v, cmp)						\
	do { if ((v).n > 1) qsort((v).a, (v).n, sizeof(*(v).a), cmp); } while (0)

#define VEC_FREE(v) do { free((v).a); (v).a = NULL; (v).n = (v).cap = 0; } while (0)

/* A set of block addresses (open addressing): bounds every walk. */
struct u64set {
	uint64_t *slots;		/* 0 is the empty marker: no block lives at 0 */
	size_t n, cap;
};

/* 1 if v was added, 0 if it was there, -ENOMEM. */
int u64set_add(struct u64set *s, uint64_t v);
void u64set_free(struct u64set *s);

/* ---- what pass 1 collects ---- */

struct fsck_tblock {
	uint64_t bytenr, tree, parent;
	uint8_t level;
};

/* A key range of a tree that could not be read: later passes stay quiet about
 * what may have lived there. */
struct fsck_lost {
	uint64_t tree;
	struct cowfs_key lo, hi;
	int bounded;			/* 0: no upper bound */
};

struct fsck_extent {
	uint64_t bytenr, len, refs, gen, flags, owner;
	uint8_t level;
	uint8_t csummed;		/* a csum item matches it */
	uint64_t found_refs;
};

struct fsck_csum {
	uint64_t bytenr;
	uint64_t first;			/* index of its first value in csum_vals */
	uint32_t count;
};

struct fsck_inode {
	uint64_t ino, size, nbytes, gen, transid;
	uint32_t mode, nlink;
	/* found while checking */
	uint64_t parent;		/* the directory that first reached it; 0: none */
	uint64_t name_off;
	uint16_t name_len;
	uint8_t reachable;
	uint32_t dirents;		/* directory entries naming it */
	uint64_t dir_size;		/* sum of its entries' name lengths */
};

struct fsck_dirent {
	uint64_t dir, ino, hash;
	uint64_t name_off;
	uint16_t name_len;
	uint8_t type;
	uint8_t matched;		/* an inode ref names it */
};

struct fsck_iref {
	uint64_t ino, dir;
	uint64_t name_off;
	uint16_t name_len;
};

struct fsck_fext {
	uint64_t ino, file_off;
	uint64_t disk_bytenr, disk_num_bytes, offset, num_bytes, ram_bytes;
	uint8_t compression;
};

struct fsck_ctx {
	const struct cowfs_check_ops *ops;
	struct cowfs_check_opts opts;
	struct cowfs_check_summary *sum;
	struct cowfs_dev dev;
	int dev_open;

	struct cowfs_super sb;		/* the copy being checked */
	uint64_t gen, total_bytes;
	uint8_t fsid[COWFS_FSID_SIZE];

	uint8_t *level_buf[COWFS_MAX_LEVEL];	/* pass 1: one block per level */
	struct u64set visited;
	VEC(struct fsck_tblock) blocks;
	VEC(struct fsck_lost) lost;
	VEC(struct fsck_extent) extents;
	VEC(struct fsck_csum) csums;
	VEC(uint32_t) csum_vals;
	VEC(struct fsck_inode) inodes;
	VEC(struct fsck_dirent) dirents;
	VEC(struct fsck_iref) irefs;
	VEC(struct fsck_fext) fexts;	/* sorted by (ino, file_off) in pass 2 */
	size_t *fext_by_disk;		/* indices into fexts of data, by disk_bytenr */
	size_t n_by_disk;
	VEC(char) names;

	int oom;			/* an allocation failed: the check is incomplete */
};

/* Report a problem: fill its message, count it, call the callback.  ctx may be
 * changed (its fields mask is set). */
void fsck_report(struct fsck_ctx *c, uint32_t code, struct cowfs_problem_ctx *ctx);

static inline void fsck_key_ctx(struct cowfs_problem_ctx *pc, const struct cowfs_key *k)
{
	pc->key_objectid = k->objectid;
	pc->key_type = k->type;
	pc->key_offset = k->offset;
}

/* 1 if a key of tree that compares like key may have been lost with a bad block. */
int fsck_lost_key(const struct fsck_ctx *c, uint64_t tree, const struct cowfs_key *key);
/* 1 if any key with this objectid may have been lost. */
int fsck_lost_objectid(const struct fsck_ctx *c, uint64_t tree, uint64_t objectid);
/* 1 if anything of tree was lost. */
int fsck_tree_damaged(const struct fsck_ctx *c, uint64_t tree);

/* Leaf items of a valid leaf of tree: record what later passes need. */
int fsck_collect_item(struct fsck_ctx *c, uint64_t tree, const struct cowfs_key *key,
		      const uint8_t *data, uint32_t size);

/* The inode record of ino (inodes sorted by pass 3), or NULL. */
struct fsck_inode *fsck_inode(struct fsck_ctx *c, uint64_t ino);
/* Path of ino from the root into buf; NULL when ino is not reachable. */
const char *fsck_path(struct fsck_ctx *c, uint64_t ino, char *buf, size_t size);

/* The passes: 0 to go on, 1 to stop (pass 0 found no superblock), < 0 on error. */
int fsck_pass0(struct fsck_ctx *c);
int fsck_pass1(struct fsck_ctx *c);
int fsck_pass2(struct fsck_ctx *c);
int fsck_pass3(struct fsck_ctx *c);
int fsck_pass3_inodes(struct fsck_ctx *c);
int fsck_pass4(struct fsck_ctx *c);
/* The files against c->opts.expect, the image at path opened read-only. */
int fsck_pass5(struct fsck_ctx *c, const char *path);

#endif
