/* Block validation (the "tree-checker"): every tree block and superblock is
 * checked once, when it is read, so that later code can trust its layout.
 *
 * Used by the B+tree code on each read and by the offline checker, which
 * turns a failed check into a numbered problem.  Nothing here reads the
 * device: callers hand in the 4 KiB they read.
 */
#ifndef COWFS_DISK_VERIFY_H
#define COWFS_DISK_VERIFY_H

#include <stdint.h>

#include "disk/format.h"

/* Which check failed; the first one found wins. */
enum cowfs_block_status {
	COWFS_BLOCK_OK = 0,
	COWFS_BLOCK_BAD_CSUM,		/* have: stored crc32c, expect: computed */
	COWFS_BLOCK_BAD_BYTENR,		/* have: header bytenr, expect: address */
	COWFS_BLOCK_BAD_FSID,
	COWFS_BLOCK_BAD_GENERATION,	/* have: generation, expect: the maximum */
	COWFS_BLOCK_BAD_LEVEL,		/* have: level, expect: wanted level or the maximum */
	COWFS_BLOCK_BAD_OWNER,		/* have: owner, expect: wanted owner (0: any) */
	COWFS_BLOCK_BAD_NRITEMS,	/* have: nritems, expect: the limit */
	COWFS_BLOCK_BAD_KEY_ORDER,	/* slot: the first key not above its predecessor */
	COWFS_BLOCK_BAD_ITEM_OFFSET,	/* slot: item data outside, overlapping or not packed */
	COWFS_BLOCK_BAD_BLOCKPTR,	/* slot: a child pointer; have: its value */
	COWFS_BLOCK_BAD_ITEM,		/* slot: an item of a wrong type or size for its tree */
	/* superblock only */
	COWFS_SUPER_BAD_MAGIC,
	COWFS_SUPER_BAD_CSUM,
	COWFS_SUPER_BAD_BYTENR,
	COWFS_SUPER_BAD_VERSION,
	COWFS_SUPER_BAD_GEOMETRY,	/* block size, node size or csum type */
	COWFS_SUPER_BAD_FEATURES,	/* have: the unknown incompat bits */
	COWFS_SUPER_BAD_SIZE,		/* total_bytes below the minimum or not aligned */
	COWFS_SUPER_BAD_ROOT,		/* slot: root index */
	COWFS_SUPER_BAD_GENERATION,
	COWFS_SUPER_BAD_USAGE,		/* bytes_used or next_ino impossible */
	COWFS_SUPER_TOO_BIG,		/* past the device end; every other check passed */
	COWFS_BLOCK_NR_STATUS
};

/* Details of a failed check, for messages; zeroed (status OK) when all pass. */
struct cowfs_block_err {
	enum cowfs_block_status status;
	int slot;			/* item, pointer or root index; -1: the header */
	struct cowfs_key key;		/* the key at slot, when slot >= 0 */
	uint64_t have, expect;
	char msg[128];			/* "bad checksum, have 0x1234abcd expect 0x..." */
};

/* Short stable name of a status ("bad-csum"), never NULL. */
const char *cowfs_block_status_name(enum cowfs_block_status st);

/* Validate the tree block read from bytenr: checksum, bytenr, fsid, generation in
 * (0, max_gen], level (-1: any), owner (0: any known tree), item count, key order,
 * item layout (leaf) or child pointers (node), and every leaf item's type and size
 * for its tree.  err may be NULL. */
enum cowfs_block_status cowfs_verify_block(const void *block, uint64_t bytenr,
					   const uint8_t fsid[16], uint64_t owner, int level,
					   uint64_t max_gen, struct cowfs_block_err *err);

/* The same without the per-item checks, for the checker, which reports a bad item
 * on its own and keeps the rest of the leaf. */
enum cowfs_block_status cowfs_verify_block_shape(const void *block, uint64_t bytenr,
						 const uint8_t fsid[16], uint64_t owner, int level,
						 uint64_t max_gen, struct cowfs_block_err *err);

/* One leaf item: is its type allowed in tree owner, and its size right for it?
 * Returns COWFS_BLOCK_OK or COWFS_BLOCK_BAD_ITEM with a reason in err->msg. */
enum cowfs_block_status cowfs_verify_item(uint64_t owner, const struct cowfs_key *key,
					  const void *data, uint32_t size,
					  struct cowfs_block_err *err);

/* Store the crc32c of bytes [32, 4096) in csum[0..3] (little-endian), zero the rest. */
void cowfs_block_set_csum(void *block);
/* The checksum a block (or superblock) should carry. */
uint32_t cowfs_block_csum(const void *block);

/* Validate the superblock copy read from bytenr of a device of dev_size bytes.
 * Returns 0 or -COWFS_EBADSUPER; err (nullable) says why. */
int cowfs_verify_super(const struct cowfs_super *sb, uint64_t bytenr, uint64_t dev_size,
		       struct cowfs_block_err *err);

#endif
