/* Reading file data: holes as zeros, every block verified against its crc32c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "disk/compress.h"
#include "disk/file-item.h"
#include "disk/inode.h"
#include "util/crc32c.h"

/* Blocks read and verified per I/O of an uncompressed extent. */
#define READ_BATCH	64u

/* Index of the first block of blocks[0..n) whose crc32c is not its csum, or n. */
static uint64_t first_bad_block(const uint8_t *blocks, uint64_t n, const uint32_t *csums)
{
	for (uint64_t i = 0; i < n; i++) {
		if (cowfs_crc32c(blocks + i * COWFS_BLOCK_SIZE, COWFS_BLOCK_SIZE) != csums[i])
			return i;
	}
	return n;
}

/* File bytes [pos, pos + n) of the uncompressed extent em into dst. */
static int read_plain(struct cowfs_fs *fs, const struct cowfs_extent_map *em, uint64_t pos,
		      uint8_t *dst, uint64_t n, const uint32_t *csums, uint8_t *bounce,
		      uint64_t *bad_off)
{
	uint64_t first = em->offset + (pos - em->file_off);	/* byte in the disk extent */
	uint64_t last = first + n;

	while (first < last) {
		uint64_t b0 = first / COWFS_BLOCK_SIZE;
		uint64_t b1 = (last + COWFS_BLOCK_SIZE - 1) / COWFS_BLOCK_SIZE;
		uint64_t skip = first - b0 * COWFS_BLOCK_SIZE, bad, take;
		int ret;

		if (b1 - b0 > READ_BATCH)
			b1 = b0 + READ_BATCH;
		ret = dev_pread(&fs->dev, bounce, (b1 - b0) * COWFS_BLOCK_SIZE,
				em->disk_bytenr + b0 * COWFS_BLOCK_SIZE);
		if (ret < 0)
			return ret;
		bad = first_bad_block(bounce, b1 - b0, csums + b0);
		if (bad < b1 - b0) {
			if (bad_off)
				*bad_off = em->file_off + (b0 + bad) * COWFS_BLOCK_SIZE - em->offset;
			return -COWFS_ECSUM;
		}
		take = b1 * COWFS_BLOCK_SIZE - first;
		if (take > last - first)
			take = last - first;
		memcpy(dst, bounce + skip, take);
		dst += take;
		first += take;
	}
	return 0;
}

/*
 * The csums cover the compressed blocks, so one bad block spoils the whole
 * extent: *bad_off is then the first block of the read within it.
 */
static int read_compressed(struct cowfs_fs *fs, const struct cowfs_extent_map *em,
			   uint64_t pos, uint8_t *dst, uint64_t n, const uint32_t *csums,
			   uint64_t *bad_off)
{
	uint8_t *disk, *ram;
	int ret;

	disk = malloc(em->disk_num_bytes);
	ram = malloc(em->ram_bytes);
	ret = disk && ram ? 0 : -ENOMEM;
	if (ret == 0)
		ret = dev_pread(&fs->dev, disk, em->disk_num_bytes, em->disk_bytenr);
	if (ret == 0 && first_bad_block(disk, csum_count(em->disk_num_bytes), csums) <
			csum_count(em->disk_num_bytes)) {
		if (bad_off)
			*bad_off = pos & ~(uint64_t)(COWFS_BLOCK_SIZE - 1);
		ret = -COWFS_ECSUM;
	}
	if (ret == 0)
		ret = decompress_zstd(ram, em->ram_bytes, disk, em->disk_num_bytes);
	if (ret == 0)
		memcpy(dst, ram + em->offset + (pos - em->file_off), n);
	free(disk);
	free(ram);
	return ret;
}

static int read_extent(struct cowfs_fs *fs, const struct cowfs_extent_map *em, uint64_t pos,
		       uint8_t *dst, uint64_t n, uint8_t *bounce, uint64_t *bad_off)
{
	uint32_t csums[COWFS_MAX_EXTENT / COWFS_BLOCK_SIZE];
	int ret;

	ret = cowfs_lookup_csums(fs, em->disk_bytenr, em->disk_num_bytes, csums);
	if (ret == -ENOENT)
		return -COWFS_ECORRUPT;	/* data with no checksums */
	if (ret < 0)
		return ret;
	if (em->compression == COWFS_COMPRESS_ZSTD)
		return read_compressed(fs, em, pos, dst, n, csums, bad_off);
	return read_plain(fs, em, pos, dst, n, csums, bounce, bad_off);
}

int cowfs_read_file(cowfs_fs *fs, uint64_t ino, uint64_t off, void *buf, size_t len,
		    uint64_t *bad_off)
{
	struct cowfs_inode_item item;
	struct cowfs_extent_map em;
	uint8_t *dst = buf, *bounce = NULL;
	uint64_t pos = off, end;
	int ret;

	ret = inode_lookup(fs, ino, &item);
	if (ret < 0)
		return ret;
	if (!S_ISREG(cowfs_inode_item_mode(&item)))
		return -EISDIR;
	if (len > UINT64_MAX - off)
		return -EINVAL;
	end = off + len;
	while (pos < end) {
		uint64_t n;

		ret = cowfs_get_extent(fs, ino, pos, &em);
		if (ret < 0)
			break;
		n = em.file_off + em.len - pos;
		if (n > end - pos)
			n = end - pos;
		if (em.disk_bytenr == 0) {
			memset(dst, 0, n);
		} else {
			if (!bounce && !(bounce = malloc(READ_BATCH * COWFS_BLOCK_SIZE))) {
				ret = -ENOMEM;
				break;
			}
			ret = read_extent(fs, &em, pos, dst, n, bounce, bad_off);
			if (ret < 0)
				break;
		}
		dst += n;
		pos += n;
	}
	free(bounce);
	return ret < 0 ? ret : 0;
}
