/* The cowfs image: open, transactions, names, inodes, file extents, data.
 *
 * This is what the engine, the commands and cowmkfs build on.  Everything
 * returns 0 (or a count) on success and a negative code (see error.h).
 *
 * Model: one running transaction at a time.  Every change joins it; nothing
 * is durable until cowfs_commit() returns.  A commit writes the new tree
 * blocks, flushes, writes the superblocks, flushes: a crash at any point
 * leaves the previous commit intact, because no block the last commit
 * references is ever overwritten (freed blocks stay pinned until the commit).
 */
#ifndef COWFS_DISK_H
#define COWFS_DISK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cowfs/layout.h"

typedef struct cowfs_fs cowfs_fs;

#define COWFS_UUID_SIZE 16
#define COWFS_BLOCK 4096u

/* ---- making a filesystem ---- */

struct cowfs_mkfs_opts {
	const char *label;		/* NULL: empty */
	const uint8_t *uuid;		/* 16 bytes, NULL: generate */
	uint64_t size;			/* 0: the size of the existing file or device */
	uint64_t features;		/* COWFS_FEATURE_* of layout.h */
	int64_t time;			/* seconds for the root inode's times */
};

/* Write an empty filesystem to path (created sparse if missing).  Does not probe
 * for existing signatures: callers do that first with cowfs_probe_signature(). */
int cowfs_mkfs(const char *path, const struct cowfs_mkfs_opts *opts);

/* Probe path with libblkid: 1 and the type in type[] if it holds a known
 * filesystem or partition-table signature, 0 if none, negative on error. */
int cowfs_probe_signature(const char *path, char *type, size_t type_size);

/* ---- opening ---- */

#define COWFS_OPEN_RDWR		(1u << 0)	/* take an exclusive lock; allow transactions */
#define COWFS_OPEN_BACKUP_SUPER	(1u << 1)	/* use the backup superblock only */

/* spec: a path, UUID=..., or LABEL=... (resolved through libblkid).  A zstd-compressed
 * image (detected by its magic) is decompressed into memory; only read-only. */
int cowfs_open(const char *spec, unsigned flags, cowfs_fs **out);
/* Close without committing: what the running transaction changed is lost, as on a crash. */
void cowfs_close(cowfs_fs *fs);

/* Resolve UUID=/LABEL= to a path (malloc'd).  A plain path is returned as a copy. */
int cowfs_resolve_spec(const char *spec, char **path);

struct cowfs_info {
	uint8_t fsid[COWFS_UUID_SIZE];
	char label[257];
	uint64_t generation;		/* of the last commit */
	uint64_t total_bytes;
	uint64_t bytes_used;
	uint64_t features;
	uint64_t next_ino;
	int super_copy;			/* 0 primary, 1 backup: the copy the fs was opened from */
	int super_problems;		/* bit i: copy i was invalid or stale when opened */
};
void cowfs_get_info(const cowfs_fs *fs, struct cowfs_info *info);

/* ---- transactions ---- */

/* The running transaction's id (generation of the next commit). */
uint64_t cowfs_transid(const cowfs_fs *fs);
/* 1 if the running transaction changed anything. */
int cowfs_trans_dirty(const cowfs_fs *fs);
/* Commit the running transaction: run the delayed references, write every dirty tree
 * block, flush, write the superblocks, flush, release pinned extents. */
int cowfs_commit(cowfs_fs *fs);
/* Bytes not allocated and not pinned. */
uint64_t cowfs_free_bytes(const cowfs_fs *fs);

/* ---- inodes and names ---- */

struct cowfs_inode {
	uint64_t ino;
	uint64_t generation;
	uint64_t transid;
	uint64_t size;
	uint64_t nbytes;
	uint32_t mode;			/* S_IFREG or S_IFDIR | permissions */
	uint32_t nlink;
	uint32_t uid, gid;
	int64_t atime, mtime, ctime;	/* seconds */
	uint32_t atime_ns, mtime_ns, ctime_ns;
};

int cowfs_read_inode(cowfs_fs *fs, uint64_t ino, struct cowfs_inode *inode);
int cowfs_write_inode(cowfs_fs *fs, const struct cowfs_inode *inode);

int cowfs_lookup(cowfs_fs *fs, uint64_t dir, const char *name, size_t len, uint64_t *ino);
/* Absolute path ("/a/b") to an inode number. */
int cowfs_lookup_path(cowfs_fs *fs, const char *path, uint64_t *ino);

/* Create a regular file or directory (mode carries S_IFREG or S_IFDIR). inode, if not
 * NULL, gives uid, gid and times; its other fields are ignored. */
int cowfs_create(cowfs_fs *fs, uint64_t dir, const char *name, size_t len,
		 uint32_t mode, const struct cowfs_inode *attrs, uint64_t *ino);
/* Remove a name.  A directory must be empty (-ENOTEMPTY).  When the last name goes
 * the inode, its file extents and their references go too. */
int cowfs_unlink(cowfs_fs *fs, uint64_t dir, const char *name, size_t len);

/* Entries of dir in hash order (callers sort if they want).  A nonzero return of
 * cb stops the walk and is returned. */
typedef int (*cowfs_dirent_fn)(void *arg, const char *name, size_t len,
			       uint64_t ino, int type);
int cowfs_readdir(cowfs_fs *fs, uint64_t dir, cowfs_dirent_fn cb, void *arg);

/* ---- file extents and data ---- */

/* A mapping of file bytes [file_off, file_off + len) to the disk. */
struct cowfs_extent_map {
	uint64_t file_off;
	uint64_t len;
	uint64_t disk_bytenr;		/* 0: a hole */
	uint64_t disk_num_bytes;
	uint64_t offset;		/* into the decompressed disk extent */
	uint64_t ram_bytes;
	int compression;		/* COWFS_COMPRESS_* of format.h */
};

/* The extent holding file offset off, or the hole from off to the next extent
 * (len = UINT64_MAX - off when nothing follows). */
int cowfs_get_extent(cowfs_fs *fs, uint64_t ino, uint64_t off, struct cowfs_extent_map *em);

/* Reserve len bytes (a multiple of the block size) of disk for data, in memory only,
 * as btrfs_reserve_extent: nothing is durable until an extent item references them. */
int cowfs_reserve_extent(cowfs_fs *fs, uint64_t len, uint64_t *bytenr);
/* Give back a reservation that no file extent will reference. */
void cowfs_free_reserved_extent(cowfs_fs *fs, uint64_t bytenr, uint64_t len);

/* Raw data I/O on reserved extents (block-aligned). */
int cowfs_write_data(cowfs_fs *fs, uint64_t bytenr, const void *buf, size_t len);
int cowfs_read_data(cowfs_fs *fs, uint64_t bytenr, void *buf, size_t len);

/* Make file bytes [em->file_off, +em->len) point at the disk extent of em, replacing
 * whatever mapped them (split as needed, references dropped, freed extents pinned).
 * When this is the first reference to the disk extent, csums (one crc32c per block of
 * the disk extent, disk_num_bytes / 4096 of them) and the allocation record go in too.
 * i_size is not changed. */
int cowfs_insert_file_extent(cowfs_fs *fs, uint64_t ino, const struct cowfs_extent_map *em,
			     const uint32_t *csums);
/* Drop every mapping of file bytes [start, end), splitting extents at the edges. */
int cowfs_drop_extents(cowfs_fs *fs, uint64_t ino, uint64_t start, uint64_t end);

/* Checksums of a disk extent, from the csum tree: n = disk_num_bytes / 4096. */
int cowfs_lookup_csums(cowfs_fs *fs, uint64_t disk_bytenr, uint64_t disk_num_bytes,
		       uint32_t *csums);

/* Read file bytes [off, off + len), holes as zeros, each block verified against its
 * checksum (decompressing zstd extents).  Returns -COWFS_ECSUM on a mismatch and, if
 * bad_off is not NULL, the file offset of the first bad block in *bad_off.  Does not
 * stop at i_size: callers clip. */
int cowfs_read_file(cowfs_fs *fs, uint64_t ino, uint64_t off, void *buf, size_t len,
		    uint64_t *bad_off);

/* Write file bytes [off, off + len) as new extents (copy-on-write; compressed with
 * zstd when the image has the feature and it saves at least a block), and grow i_size
 * to off + len if smaller.  The path cowmkfs --rootdir takes; the engine has its own. */
int cowfs_write_file(cowfs_fs *fs, uint64_t ino, uint64_t off, const void *buf, size_t len);

/* Set i_size; a shrink drops the extents wholly past the new size.  Zeroing the tail
 * of the last block is the caller's job, as it is btrfs_truncate_block's. */
int cowfs_truncate(cowfs_fs *fs, uint64_t ino, uint64_t size);

/* ---- fault injection, for crash tests ---- */

/* After n more block writes (-1: never), every write is dropped and fails with
 * -COWFS_EIOSTOP, and flushes fail too: a power cut during the I/O stream. */
void cowfs_set_write_limit(cowfs_fs *fs, int64_t nblocks);
/* Block writes done since open. */
uint64_t cowfs_blocks_written(const cowfs_fs *fs);

#endif
