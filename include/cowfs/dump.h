/* Looking inside an image, read-only: superblock fields and tree items as text.
 *
 * The library formats, the caller prints: each walk calls back once per
 * field, block, pointer or item with a description string that is valid only
 * during the call.  A nonzero return of the callback stops the walk and is
 * returned.  Descriptions never contain a newline; names found on disk are
 * escaped (\ooo for control bytes, backslash and bytes >= 0x7f).
 */
#ifndef COWFS_DUMP_H
#define COWFS_DUMP_H

#include <stddef.h>
#include <stdint.h>

#include "cowfs/disk.h"

/* ---- superblock ---- */

/* One line per field of superblock copy 0 (primary) or 1 (backup), read raw from
 * the image, whether or not the copy is valid: "magic", "csum" and friends carry
 * their verdict in the value ("0x... [match]").  Returns 0, the callback's
 * nonzero value, or a negative code when the copy cannot be read. */
typedef int (*cowfs_field_fn)(void *arg, const char *name, const char *value);
int cowfs_dump_super(cowfs_fs *fs, int copy, cowfs_field_fn cb, void *arg);

/* Where copy lives (bytes from the start of the image); 0 for a bad copy number. */
uint64_t cowfs_super_offset(int copy);

/* ---- trees ---- */

enum cowfs_dump_kind {
	COWFS_DUMP_BLOCK,	/* a node or leaf header; key is its first key */
	COWFS_DUMP_PTR,		/* a child pointer of a node */
	COWFS_DUMP_ITEM,	/* an item of a leaf */
	COWFS_DUMP_BAD,		/* a block that could not be read: err says why */
};

struct cowfs_dump_rec {
	enum cowfs_dump_kind kind;
	int level;			/* of the block holding the record */
	uint64_t bytenr;		/* that block (for BAD: the block that failed) */
	int slot;			/* in the block; -1 for BLOCK and BAD */
	uint64_t objectid;
	uint8_t type;
	uint64_t offset;
	const char *key;		/* "(256 INODE_ITEM 0)" */
	uint32_t item_off, item_size;	/* ITEM: where its data sits in the leaf */
	const char *desc;
	int err;			/* BAD: the negative code of the read */
};

typedef int (*cowfs_dump_fn)(void *arg, const struct cowfs_dump_rec *rec);

/* Include every checksum of EXTENT_CSUM items, not only their range. */
#define COWFS_DUMP_CSUMS	(1u << 0)

/* Walk tree_id (COWFS_FS_TREE, COWFS_EXTENT_TREE, COWFS_CSUM_TREE: 5, 2, 7) depth
 * first, a node before its children.  A block that fails to read is reported as a
 * BAD record and skipped; the walk goes on and returns the first such error. */
int cowfs_dump_tree(cowfs_fs *fs, uint64_t tree_id, unsigned flags,
		    cowfs_dump_fn cb, void *arg);

/* "fs", "extent", "csum" <-> tree id.  Lookup returns 0, or -EINVAL. */
int cowfs_tree_by_name(const char *name, uint64_t *tree_id);
const char *cowfs_tree_name(uint64_t tree_id);	/* NULL if unknown */

/* "INODE_ITEM" etc.; "UNKNOWN" for a type this format does not define. */
const char *cowfs_key_type_name(uint8_t type);

#endif
