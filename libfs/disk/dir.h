/* Names: directory entries and the inode back-references that mirror them.
 *
 * (dir, DIR_ITEM, hash) holds, one after another, the entries of dir whose
 * names hash to hash; (ino, INODE_REF, parent) holds, one after another, the
 * names by which parent refers to ino.  Each name is in both.  A directory's
 * i_size is the sum of the lengths of its entries' names.
 */
#ifndef COWFS_DISK_DIR_H
#define COWFS_DISK_DIR_H

#include <stddef.h>
#include <stdint.h>

#include "disk/format.h"
#include "disk/fs.h"

/* The DIR_ITEM key offset of a name: 64-bit FNV-1a of its bytes. */
uint64_t cowfs_name_hash(const char *name, size_t len);

/* 0 for a valid name (1..255 bytes, no '/' or NUL, not "." or ".."), -EINVAL or
 * -ENAMETOOLONG. */
int dir_check_name(const char *name, size_t len);

/* One record of a DIR_ITEM or INODE_REF item; name points into the item data. */
struct name_record {
	uint64_t ino;			/* DIR_ITEM only */
	uint64_t transid;		/* DIR_ITEM only */
	int type;			/* DIR_ITEM only: COWFS_FT_* */
	const char *name;
	size_t len;
	uint32_t off, size;		/* the record's bytes within the item */
};

/* Walk the records of an item's data from *pos: 0 with *rec filled and *pos
 * advanced, 1 at the end, -COWFS_ECORRUPT when a record is malformed. */
int dir_item_next(const uint8_t *data, uint32_t size, uint32_t *pos, struct name_record *rec);
int inode_ref_next(const uint8_t *data, uint32_t size, uint32_t *pos, struct name_record *rec);

/* Name items (dir-item.c).  dir_entry_add: -EEXIST when dir has the name;
 * -COWFS_ETOOBIG when the names sharing a hash no longer fit one item. */
int dir_entry_find(struct cowfs_fs *fs, uint64_t dir, uint64_t hash, const char *name,
		   size_t len, uint64_t *ino, int *type);
int dir_entry_add(struct cowfs_fs *fs, uint64_t dir, uint64_t hash, const char *name,
		  size_t len, uint64_t ino, int type);
int dir_entry_del(struct cowfs_fs *fs, uint64_t dir, uint64_t hash, const char *name,
		  size_t len);
int inode_ref_add(struct cowfs_fs *fs, uint64_t ino, uint64_t parent, const char *name,
		  size_t len);
int inode_ref_del(struct cowfs_fs *fs, uint64_t ino, uint64_t parent, const char *name,
		  size_t len);

/* The name operations of cowfs/disk.h (dir.c) with the hash given rather than computed,
 * so that tests can make names collide. */
int dir_lookup_hash(struct cowfs_fs *fs, uint64_t dir, const char *name, size_t len,
		    uint64_t hash, uint64_t *ino, int *type);
int dir_create_hash(struct cowfs_fs *fs, uint64_t dir, const char *name, size_t len,
		    uint64_t hash, uint32_t mode, const struct cowfs_inode *attrs,
		    uint64_t *ino);
int dir_unlink_hash(struct cowfs_fs *fs, uint64_t dir, const char *name, size_t len,
		    uint64_t hash);

/* Give the regular file ino one more name, as btrfs_link (nlink + 1). */
int dir_link_hash(struct cowfs_fs *fs, uint64_t dir, const char *name, size_t len,
		  uint64_t hash, uint64_t ino);

#endif
