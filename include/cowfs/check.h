/* Offline checking and comparison of cowfs images.
 *
 * The checker reads the image directly (never through cowfs_open, which may
 * refuse a damaged image) and runs its passes in order: superblocks, tree
 * blocks, extents and references, namespace and inodes, data checksums.
 * Given an expected state, pass 5 then opens the image read-only through
 * cowfs_open and compares its files with it (cowfs_expect_check).
 * Every finding is a numbered problem (0xPPNNNN, PP the pass) reported
 * through a callback with its severity, its message and the structured
 * context the message was filled from.  The library prints nothing.
 */
#ifndef COWFS_CHECK_H
#define COWFS_CHECK_H

#include <stdint.h>

struct cowfs_expect;			/* cowfs/expect.h */

enum cowfs_severity {
	COWFS_SEV_INFO = 0,		/* worth knowing; the image is consistent */
	COWFS_SEV_WARNING = 1,		/* unusual but not damage */
	COWFS_SEV_ERROR = 2,		/* damage: fsck exit code 4 */
};

/* "info", "warning", "error". */
const char *cowfs_severity_name(enum cowfs_severity sev);

/* The fields of a problem context; ctx->fields says which ones the message used. */
enum {
	COWFS_PF_BYTENR		= 1u << 0,
	COWFS_PF_PARENT		= 1u << 1,
	COWFS_PF_TREE		= 1u << 2,
	COWFS_PF_SLOT		= 1u << 3,
	COWFS_PF_KEY		= 1u << 4,
	COWFS_PF_INO		= 1u << 5,
	COWFS_PF_DIR		= 1u << 6,
	COWFS_PF_PATH		= 1u << 7,
	COWFS_PF_FILE_OFF	= 1u << 8,
	COWFS_PF_HAVE		= 1u << 9,
	COWFS_PF_EXPECT		= 1u << 10,
	COWFS_PF_NUM		= 1u << 11,
	COWFS_PF_STR		= 1u << 12,
	COWFS_PF_COPY		= 1u << 13,
};

struct cowfs_problem_ctx {
	unsigned fields;		/* COWFS_PF_* that the message shows */
	uint64_t bytenr;		/* block, extent or data block */
	uint64_t parent;		/* parent block; 0: the superblock */
	uint64_t tree;			/* 2 extent, 5 fs, 7 csum */
	int slot;
	int copy;			/* superblock copy: 0 primary, 1 backup */
	uint64_t key_objectid;
	uint8_t key_type;
	uint64_t key_offset;
	uint64_t ino;
	uint64_t dir;
	const char *path;		/* of ino, NULL when unknown */
	uint64_t file_off;
	uint64_t have, expect;
	uint64_t num;			/* a length */
	const char *str;		/* a name or a reason */
};

struct cowfs_check_ops {
	void *arg;
	/* Each finding, in the order found; msg and ctx live during the call only. */
	void (*problem)(void *arg, uint32_t code, enum cowfs_severity sev, const char *msg,
			const struct cowfs_problem_ctx *ctx);
	/* Nullable: a pass starts ("checking tree blocks"). */
	void (*pass)(void *arg, int pass, const char *title);
	/* Nullable: each tree block reached (parent 0: a root), for listings. */
	void (*block)(void *arg, uint64_t tree, uint64_t bytenr, int level, uint64_t parent);
	/* Nullable: each file extent of a reachable regular file, after pass 3: file bytes
	 * [file_off, +len) are bytes [offset, +len) of the (decompressed) disk extent. */
	void (*extent)(void *arg, const char *path, uint64_t file_off, uint64_t len,
		       uint64_t disk_bytenr, uint64_t disk_num_bytes, uint64_t offset,
		       int compression);
};

#define COWFS_CHECK_NO_DATA	(1u << 0)	/* skip pass 4, the data checksums */

struct cowfs_check_opts {
	unsigned flags;			/* COWFS_CHECK_* */
	int threads;			/* hashing threads of pass 4; 0: two */
	const struct cowfs_expect *expect;	/* non-NULL: pass 5 checks the files against it */
};

struct cowfs_check_summary {
	uint64_t errors, warnings, infos;
	int super_copy;			/* the copy checked; -1: none was usable */
	uint64_t generation;
	uint64_t total_bytes, bytes_used;
	uint64_t tree_blocks;
	uint64_t inodes, directories, files;
	uint64_t data_extents;
	uint64_t data_blocks_checked;	/* by pass 4 */
};

/* Check the image at path (a file or block device; zstd-compressed images are
 * read into memory).  Returns 0 when the check ran to its end, whatever it
 * found, or a negative code when it could not (the image cannot be opened, no
 * memory).  sum is filled in both cases. */
int cowfs_check(const char *path, const struct cowfs_check_opts *opts,
		const struct cowfs_check_ops *ops, struct cowfs_check_summary *sum);

/* The table: template and severity of a code; NULL / -1 for an unknown code.
 * cowfs_problem_next(0) is the first code, then the one after code; 0 at the end. */
const char *cowfs_problem_template(uint32_t code);
int cowfs_problem_severity(uint32_t code);
uint32_t cowfs_problem_next(uint32_t code);

/* ---- comparing two images ---- */

enum cowfs_diff_kind {
	COWFS_DIFF_ONLY_A,		/* a name only in A */
	COWFS_DIFF_ONLY_B,
	COWFS_DIFF_TYPE,		/* a: A's type, b: B's (COWFS_FT_*) */
	COWFS_DIFF_SIZE,		/* a, b: the sizes */
	COWFS_DIFF_CONTENT,		/* [start, end) differs */
	COWFS_DIFF_LAYOUT,		/* the file extent maps differ over [start, end) */
	COWFS_DIFF_UNREADABLE,		/* [start, end) of image a (0: A, 1: B) unreadable */
};

struct cowfs_difference {
	enum cowfs_diff_kind kind;
	const char *path;		/* "/a/f" */
	uint64_t start, end;
	uint64_t a, b;
	int err;			/* UNREADABLE: the negative code */
	const char *message;		/* "/a/f: size 4096 != 8192" */
};

typedef void (*cowfs_diff_fn)(void *arg, const struct cowfs_difference *d);

#define COWFS_COMPARE_LAYOUT	(1u << 0)	/* compare the file extent maps too */

/* Compare the images a and b logically (names, types, sizes, contents), opened
 * read-only through cowfs_open.  Returns the number of differences reported, or
 * a negative code when an image cannot be opened or walked. */
int cowfs_compare(const char *a, const char *b, unsigned flags, cowfs_diff_fn fn, void *arg);

#endif
