/* The problem table: every finding of the checker, numbered 0xPPNNNN with PP
 * the pass (e2fsprogs e2fsck/problem.h).  Codes are never renumbered; a new
 * problem takes the next number of its pass.
 *
 * Message templates are filled from a cowfs_problem_ctx:
 *   %b bytenr   %P parent block ("superblock" when 0)   %t tree   %s slot
 *   %k key "(objectid type offset)"   %i ino   %d dir   %p path (or "inode N")
 *   %o file offset   %h %e have/expect   %H %E have/expect in hex   %O have in octal
 *   %n num   %m str   %c superblock copy ("primary", "backup")   %% a percent sign
 *   %q path as a trace writes it (quoted when it needs to be)
 *   %r " [file offset, file offset + num)", nothing when num is 0
 */
#ifndef COWFS_CHECK_PROBLEM_H
#define COWFS_CHECK_PROBLEM_H

#include <stddef.h>
#include <stdint.h>

#include "cowfs/check.h"

enum fsck_problem {
	/* Pass 0: superblocks */
	PR_0_SUPER_READ			= 0x000001,
	PR_0_SUPER_INVALID		= 0x000002,
	PR_0_NO_SUPER			= 0x000003,
	PR_0_USING_BACKUP		= 0x000004,
	PR_0_INTERRUPTED_COMMIT		= 0x000005,
	PR_0_STALE_COPY			= 0x000006,
	PR_0_COPIES_DIFFER		= 0x000007,
	PR_0_TRUNCATED			= 0x000008,

	/* Pass 1: tree blocks */
	PR_1_PTR_RANGE			= 0x010001,
	PR_1_BLOCK_READ			= 0x010002,
	PR_1_BLOCK_CSUM			= 0x010003,
	PR_1_BLOCK_BYTENR		= 0x010004,
	PR_1_BLOCK_FSID			= 0x010005,
	PR_1_BLOCK_GENERATION		= 0x010006,
	PR_1_BLOCK_LEVEL		= 0x010007,
	PR_1_BLOCK_OWNER		= 0x010008,
	PR_1_BLOCK_NRITEMS		= 0x010009,
	PR_1_BLOCK_KEY_ORDER		= 0x01000a,
	PR_1_BLOCK_ITEM_OFFSET		= 0x01000b,
	PR_1_BLOCK_PTR			= 0x01000c,
	PR_1_GEN_MISMATCH		= 0x01000d,
	PR_1_FIRST_KEY			= 0x01000e,
	PR_1_KEY_RANGE			= 0x01000f,
	PR_1_DUP_BLOCK			= 0x010010,
	PR_1_EMPTY_LEAF			= 0x010011,
	PR_1_BAD_ITEM			= 0x010012,

	/* Pass 2: extents, references and free space */
	PR_2_EXTENT_RANGE		= 0x020001,
	PR_2_EXTENT_ALIGN		= 0x020002,
	PR_2_EXTENT_OVERLAP		= 0x020003,
	PR_2_EXTENT_FLAGS		= 0x020004,
	PR_2_EXTENT_GENERATION		= 0x020005,
	PR_2_EXTENT_UNREFERENCED	= 0x020006,
	PR_2_TREE_NO_EXTENT		= 0x020007,
	PR_2_TREE_EXTENT_KIND		= 0x020008,
	PR_2_TREE_EXTENT_LEN		= 0x020009,
	PR_2_TREE_EXTENT_REFS		= 0x02000a,
	PR_2_TREE_EXTENT_OWNER		= 0x02000b,
	PR_2_TREE_EXTENT_LEVEL		= 0x02000c,
	PR_2_DATA_NO_EXTENT		= 0x02000d,
	PR_2_DATA_EXTENT_KIND		= 0x02000e,
	PR_2_DATA_EXTENT_LEN		= 0x02000f,
	PR_2_DATA_REFS			= 0x020010,
	PR_2_BYTES_USED			= 0x020011,
	PR_2_CSUM_NO_EXTENT		= 0x020012,
	PR_2_CSUM_COUNT			= 0x020013,
	PR_2_DATA_NO_CSUM		= 0x020014,
	PR_2_REFS_SKIPPED		= 0x020015,

	/* Pass 3: namespace and inodes */
	PR_3_NO_ROOT			= 0x030001,
	PR_3_ROOT_NOT_DIR		= 0x030002,
	PR_3_BAD_MODE			= 0x030003,
	PR_3_BAD_INO			= 0x030004,
	PR_3_INODE_GENERATION		= 0x030005,
	PR_3_ORPHAN_ITEMS		= 0x030006,
	PR_3_DIRENT_HASH		= 0x030007,
	PR_3_DIRENT_NAME		= 0x030008,
	PR_3_DIRENT_DUP			= 0x030009,
	PR_3_DIRENT_NOT_DIR		= 0x03000a,
	PR_3_DIRENT_NO_INODE		= 0x03000b,
	PR_3_DIRENT_TYPE		= 0x03000c,
	PR_3_DIRENT_NO_REF		= 0x03000d,
	PR_3_REF_NO_DIRENT		= 0x03000e,
	PR_3_UNREACHABLE		= 0x03000f,
	PR_3_DIR_LINKS			= 0x030010,
	PR_3_NLINK			= 0x030011,
	PR_3_DIR_SIZE			= 0x030012,
	PR_3_DIR_EXTENT			= 0x030013,
	PR_3_EXTENT_BAD			= 0x030014,
	PR_3_EXTENT_PAST_EOF		= 0x030015,
	PR_3_EXTENT_OVERLAP		= 0x030016,
	PR_3_NBYTES			= 0x030017,
	PR_3_LINKS_SKIPPED		= 0x030018,

	/* Pass 4: data checksums */
	PR_4_DATA_CSUM			= 0x040001,
	PR_4_DATA_CSUM_NO_FILE		= 0x040002,
	PR_4_DATA_READ			= 0x040003,
	PR_4_DATA_PAST_END		= 0x040004,

	/* Pass 5: expectations, one per kind of cowfs_expect_finding */
	PR_5_CONTENT			= 0x050001,
	PR_5_SIZE			= 0x050002,
	PR_5_MISSING			= 0x050003,
	PR_5_UNEXPECTED			= 0x050004,
	PR_5_TYPE			= 0x050005,
	PR_5_CHECKSUM			= 0x050006,
	PR_5_UNREADABLE			= 0x050007,
	PR_5_MIXED			= 0x050008,
};

#define PR_PASS(code)	((int)((code) >> 16))

struct fsck_problem_def {
	uint32_t code;
	enum cowfs_severity severity;
	const char *tmpl;
};

extern const struct fsck_problem_def fsck_problem_table[];
extern const size_t fsck_problem_count;

/* The row of code, or NULL. */
const struct fsck_problem_def *fsck_problem_find(uint32_t code);

/* Which COWFS_PF_* fields tmpl uses; -1 if it holds an unknown placeholder or
 * ends in a lone '%'. */
int fsck_template_fields(const char *tmpl);

/* Fill tmpl from ctx into buf (always terminated, truncated to size). */
void fsck_fill_message(char *buf, size_t size, const char *tmpl,
		       const struct cowfs_problem_ctx *ctx);

#endif
