/* File extent items and data checksum items, for the data paths and for fsck.
 *
 * (ino, EXTENT_DATA, file offset) maps file bytes to a disk extent; every
 * field is block-aligned, as btrfs's tree-checker demands.  A disk extent's
 * checksums are one item, (CSUM_OBJECTID, EXTENT_CSUM, disk bytenr), in the
 * csum tree: one le32 crc32c per block of the extent as it lies on disk.
 */
#ifndef COWFS_DISK_FILE_ITEM_H
#define COWFS_DISK_FILE_ITEM_H

#include <stdint.h>

#include "cowfs/disk.h"
#include "disk/format.h"
#include "disk/fs.h"

/* 1 if em, a mapping of a file extent item, respects the format: aligned, within
 * the extent size limits and the device, offset + len within ram_bytes. */
int extent_map_valid(const struct cowfs_fs *fs, const struct cowfs_extent_map *em);

/* Decode the item of key: 0, or -COWFS_ECORRUPT when it breaks the format. */
int file_extent_decode(const struct cowfs_fs *fs, const struct cowfs_key *key,
		       const void *data, uint32_t size, struct cowfs_extent_map *em);

/* How many checksums the csum item of a disk extent of that size holds. */
static inline uint64_t csum_count(uint64_t disk_num_bytes)
{
	return disk_num_bytes / COWFS_BLOCK_SIZE;
}

#endif
