/* The cowfs on-disk format, version 1: the one place its layout is written down.
 *
 * doc/format.md explains it in prose.  Every integer is little-endian and is
 * read and written only through the accessors generated at the end of this
 * file; the structs are packed and never dereferenced for a raw field.
 */
#ifndef COWFS_DISK_FORMAT_H
#define COWFS_DISK_FORMAT_H

#include <endian.h>
#include <stdint.h>
#include <string.h>

#include "cowfs/layout.h"

#define COWFS_BLOCK_SIZE	4096u
#define COWFS_BLOCK_SHIFT	12
#define COWFS_NODE_SIZE		COWFS_BLOCK_SIZE

/* Superblock copies: the newest valid one wins.  Both lie in the reserved first MiB. */
#define COWFS_SUPER_OFFSET	(64ull * 1024)
#define COWFS_SUPER_BACKUP	(1024ull * 1024 - COWFS_BLOCK_SIZE)
#define COWFS_SUPER_COPIES	2
#define COWFS_RESERVED_BYTES	(1024ull * 1024)	/* nothing is allocated below this */

#define COWFS_MAGIC		0x315366576f435f5full	/* "_CoWfS1" + '_' little-endian */
#define COWFS_FORMAT_VERSION	1
#define COWFS_CSUM_CRC32C	0
#define COWFS_CSUM_SIZE		32	/* room in headers; crc32c uses the first 4 bytes */
#define COWFS_FSID_SIZE		16

/* Feature bits (COWFS_FEATURE_*) and extent limits are in cowfs/layout.h. */

/* Tree ids, as btrfs numbers them; also the header's owner field. */
#define COWFS_EXTENT_TREE	2ull
#define COWFS_FS_TREE		5ull
#define COWFS_CSUM_TREE		7ull
#define COWFS_NR_TREES		3

/* Root slots in the superblock, in this order. */
enum { COWFS_ROOT_FS = 0, COWFS_ROOT_EXTENT = 1, COWFS_ROOT_CSUM = 2 };

#define COWFS_ROOT_INO		256ull	/* the root directory */
#define COWFS_FIRST_INO		256ull
#define COWFS_CSUM_OBJECTID	((uint64_t)-10)	/* objectid of every csum item */

/* Item types, with btrfs's numbers. */
#define COWFS_INODE_ITEM	1
#define COWFS_INODE_REF		12
#define COWFS_DIR_ITEM		84
#define COWFS_EXTENT_DATA	108
#define COWFS_EXTENT_CSUM	128
#define COWFS_EXTENT_ITEM	168

#define COWFS_MAX_LEVEL		8


typedef struct { uint8_t b[2]; } le16_t;
typedef struct { uint8_t b[4]; } le32_t;
typedef struct { uint8_t b[8]; } le64_t;

struct cowfs_disk_key {
	le64_t objectid;
	uint8_t type;
	le64_t offset;
} __attribute__((packed));

struct cowfs_root_ptr {
	le64_t bytenr;
	le64_t generation;
	uint8_t level;
	uint8_t pad[7];
} __attribute__((packed));

struct cowfs_super {
	uint8_t csum[COWFS_CSUM_SIZE];	/* crc32c of everything after this field */
	uint8_t fsid[COWFS_FSID_SIZE];
	le64_t bytenr;			/* where this copy lives */
	le64_t flags;
	le64_t magic;
	le64_t generation;		/* of the commit this copy describes */
	le64_t total_bytes;
	le64_t bytes_used;		/* allocated bytes, data and metadata */
	le32_t block_size;
	le32_t node_size;
	le16_t csum_type;
	le16_t version;
	le32_t pad0;
	le64_t incompat;
	le64_t next_ino;		/* lowest inode number never used */
	struct cowfs_root_ptr roots[COWFS_NR_TREES];
	char label[COWFS_LABEL_SIZE];
	uint8_t reserved[COWFS_BLOCK_SIZE - 32 - 16 - 8 * 6 - 4 * 2 - 2 * 2 - 4
			 - 8 * 2 - 3 * 24 - COWFS_LABEL_SIZE];
} __attribute__((packed));

/* Every tree block starts with this header; the checksum covers the rest of the block. */
struct cowfs_header {
	uint8_t csum[COWFS_CSUM_SIZE];
	uint8_t fsid[COWFS_FSID_SIZE];
	le64_t bytenr;
	le64_t flags;
	le64_t generation;
	le64_t owner;
	le32_t nritems;
	uint8_t level;
	uint8_t pad[3];
} __attribute__((packed));

/* Leaf: items grow from the front, their data from the back of the block. */
struct cowfs_item {
	struct cowfs_disk_key key;
	le32_t offset;			/* of the data, from the end of the header */
	le32_t size;
} __attribute__((packed));

/* Node (level > 0): child pointers. */
struct cowfs_key_ptr {
	struct cowfs_disk_key key;
	le64_t blockptr;
	le64_t generation;
} __attribute__((packed));

#define COWFS_LEAF_DATA_SIZE	(COWFS_NODE_SIZE - sizeof(struct cowfs_header))
#define COWFS_NODE_PTRS		(COWFS_LEAF_DATA_SIZE / sizeof(struct cowfs_key_ptr))

/* S_IFMT bits of the mode, and the file types of directory entries. */
#define COWFS_FT_REG		1
#define COWFS_FT_DIR		2

struct cowfs_timespec {
	le64_t sec;
	le32_t nsec;
} __attribute__((packed));

/* (ino, INODE_ITEM, 0) */
struct cowfs_inode_item {
	le64_t generation;		/* transaction that created the inode */
	le64_t transid;			/* last transaction that changed it */
	le64_t size;
	le64_t nbytes;			/* bytes of file extents referenced */
	le32_t mode;
	le32_t nlink;
	le32_t uid;
	le32_t gid;
	le64_t flags;
	struct cowfs_timespec atime, mtime, ctime;
	uint8_t reserved[24];
} __attribute__((packed));

/* (parent ino, DIR_ITEM, name hash): one or more entries whose names share the hash. */
struct cowfs_dir_entry {
	le64_t ino;
	le64_t transid;
	le16_t name_len;
	uint8_t type;			/* COWFS_FT_* */
	/* name follows */
} __attribute__((packed));

/* (ino, INODE_REF, parent ino): the names by which parent refers to ino. */
struct cowfs_inode_ref {
	le16_t name_len;
	/* name follows */
} __attribute__((packed));

#define COWFS_FILE_EXTENT_REG	1
#define COWFS_COMPRESS_NONE	0
#define COWFS_COMPRESS_ZSTD	3	/* btrfs's number */

/* (ino, EXTENT_DATA, file offset): file bytes [key.offset, +num_bytes) are bytes
 * [offset, +num_bytes) of the (decompressed) disk extent [disk_bytenr, +disk_num_bytes). */
struct cowfs_file_extent {
	le64_t generation;
	le64_t ram_bytes;		/* decompressed size of the whole disk extent */
	uint8_t compression;
	uint8_t type;
	uint8_t pad[6];
	le64_t disk_bytenr;
	le64_t disk_num_bytes;
	le64_t offset;
	le64_t num_bytes;
} __attribute__((packed));

/* (CSUM_OBJECTID, EXTENT_CSUM, disk bytenr): one crc32c per block of one disk extent. */
struct cowfs_csum_item {
	le32_t csum[1];
} __attribute__((packed));

#define COWFS_EXTENT_FLAG_DATA		(1ull << 0)
#define COWFS_EXTENT_FLAG_TREE_BLOCK	(1ull << 1)

/* (bytenr, EXTENT_ITEM, num_bytes): an allocated extent and how many references it has. */
struct cowfs_extent_item {
	le64_t refs;
	le64_t generation;
	le64_t flags;
	le64_t owner;			/* tree id for a tree block, 0 for data */
	uint8_t level;			/* of a tree block */
	uint8_t pad[7];
} __attribute__((packed));

/* ---- accessors: the only way to touch an on-disk integer ---- */

static inline uint16_t get_le16(const le16_t *p) { uint16_t v; memcpy(&v, p, 2); return le16toh(v); }
static inline uint32_t get_le32(const le32_t *p) { uint32_t v; memcpy(&v, p, 4); return le32toh(v); }
static inline uint64_t get_le64(const le64_t *p) { uint64_t v; memcpy(&v, p, 8); return le64toh(v); }
static inline void put_le16(le16_t *p, uint16_t v) { v = htole16(v); memcpy(p, &v, 2); }
static inline void put_le32(le32_t *p, uint32_t v) { v = htole32(v); memcpy(p, &v, 4); }
static inline void put_le64(le64_t *p, uint64_t v) { v = htole64(v); memcpy(p, &v, 8); }

#define COWFS_SETGET(type, member, bits)					\
static inline uint##bits##_t cowfs_##type##_##member(const struct cowfs_##type *s) \
{ return get_le##bits(&s->member); }						\
static inline void cowfs_set_##type##_##member(struct cowfs_##type *s, uint##bits##_t v) \
{ put_le##bits(&s->member, v); }

COWFS_SETGET(super, bytenr, 64)
COWFS_SETGET(super, flags, 64)
COWFS_SETGET(super, magic, 64)
COWFS_SETGET(super, generation, 64)
COWFS_SETGET(super, total_bytes, 64)
COWFS_SETGET(super, bytes_used, 64)
COWFS_SETGET(super, block_size, 32)
COWFS_SETGET(super, node_size, 32)
COWFS_SETGET(super, csum_type, 16)
COWFS_SETGET(super, version, 16)
COWFS_SETGET(super, incompat, 64)
COWFS_SETGET(super, next_ino, 64)

COWFS_SETGET(root_ptr, bytenr, 64)
COWFS_SETGET(root_ptr, generation, 64)

COWFS_SETGET(header, bytenr, 64)
COWFS_SETGET(header, flags, 64)
COWFS_SETGET(header, generation, 64)
COWFS_SETGET(header, owner, 64)
COWFS_SETGET(header, nritems, 32)

COWFS_SETGET(item, offset, 32)
COWFS_SETGET(item, size, 32)

COWFS_SETGET(key_ptr, blockptr, 64)
COWFS_SETGET(key_ptr, generation, 64)

COWFS_SETGET(timespec, sec, 64)
COWFS_SETGET(timespec, nsec, 32)

COWFS_SETGET(inode_item, generation, 64)
COWFS_SETGET(inode_item, transid, 64)
COWFS_SETGET(inode_item, size, 64)
COWFS_SETGET(inode_item, nbytes, 64)
COWFS_SETGET(inode_item, mode, 32)
COWFS_SETGET(inode_item, nlink, 32)
COWFS_SETGET(inode_item, uid, 32)
COWFS_SETGET(inode_item, gid, 32)
COWFS_SETGET(inode_item, flags, 64)

COWFS_SETGET(dir_entry, ino, 64)
COWFS_SETGET(dir_entry, transid, 64)
COWFS_SETGET(dir_entry, name_len, 16)

COWFS_SETGET(inode_ref, name_len, 16)

COWFS_SETGET(file_extent, generation, 64)
COWFS_SETGET(file_extent, ram_bytes, 64)
COWFS_SETGET(file_extent, disk_bytenr, 64)
COWFS_SETGET(file_extent, disk_num_bytes, 64)
COWFS_SETGET(file_extent, offset, 64)
COWFS_SETGET(file_extent, num_bytes, 64)

COWFS_SETGET(extent_item, refs, 64)
COWFS_SETGET(extent_item, generation, 64)
COWFS_SETGET(extent_item, flags, 64)
COWFS_SETGET(extent_item, owner, 64)

/* The in-memory key, and its conversion from and to the disk form. */
struct cowfs_key {
	uint64_t objectid;
	uint8_t type;
	uint64_t offset;
};

static inline void cowfs_disk_to_key(struct cowfs_key *k, const struct cowfs_disk_key *d)
{
	k->objectid = get_le64(&d->objectid);
	k->type = d->type;
	k->offset = get_le64(&d->offset);
}

static inline void cowfs_key_to_disk(struct cowfs_disk_key *d, const struct cowfs_key *k)
{
	put_le64(&d->objectid, k->objectid);
	d->type = k->type;
	put_le64(&d->offset, k->offset);
}

static inline int cowfs_key_cmp(const struct cowfs_key *a, const struct cowfs_key *b)
{
	if (a->objectid != b->objectid)
		return a->objectid < b->objectid ? -1 : 1;
	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	if (a->offset != b->offset)
		return a->offset < b->offset ? -1 : 1;
	return 0;
}

_Static_assert(sizeof(struct cowfs_super) == COWFS_BLOCK_SIZE, "superblock is one block");
_Static_assert(sizeof(struct cowfs_header) == 88, "header layout");
_Static_assert(sizeof(struct cowfs_item) == 25, "item layout");
_Static_assert(sizeof(struct cowfs_key_ptr) == 33, "key ptr layout");

#endif
