/* Writing file data as new extents: copy-on-write, checksummed, optionally zstd. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "disk/compress.h"
#include "disk/file-item.h"
#include "disk/inode.h"
#include "util/crc32c.h"

#define BLOCK		((uint64_t)COWFS_BLOCK_SIZE)
#define ROUND_DOWN(x)	((x) & ~(BLOCK - 1))
#define ROUND_UP(x)	ROUND_DOWN((x) + BLOCK - 1)
#define MAX_FILE_SIZE	((uint64_t)INT64_MAX)

/* Buffers of one cowfs_write_file call. */
struct write_ctx {
	struct cowfs_fs *fs;
	uint64_t ino;
	int compress;
	uint8_t *chunk;			/* file data of one extent */
	uint8_t *cbuf;			/* its compressed form */
	uint32_t csums[COWFS_MAX_EXTENT / COWFS_BLOCK_SIZE];
};

/*
 * Store disk_len bytes of data as a new disk extent mapped at file_off for
 * ram_len bytes: reserve, checksum the blocks as they lie on disk, write, map.
 */
static int write_disk_extent(struct write_ctx *w, uint64_t file_off, const uint8_t *data,
			     uint64_t disk_len, uint64_t ram_len, int compression)
{
	struct cowfs_extent_map em = {
		.file_off = file_off, .len = ram_len, .disk_num_bytes = disk_len,
		.offset = 0, .ram_bytes = ram_len, .compression = compression,
	};
	int ret;

	for (uint64_t i = 0; i < disk_len / BLOCK; i++)
		w->csums[i] = cowfs_crc32c(data + i * BLOCK, BLOCK);
	ret = cowfs_reserve_extent(w->fs, disk_len, &em.disk_bytenr);
	if (ret < 0)
		return ret;
	ret = cowfs_write_data(w->fs, em.disk_bytenr, data, disk_len);
	if (ret < 0) {
		cowfs_free_reserved_extent(w->fs, em.disk_bytenr, disk_len);
		return ret;
	}
	return cowfs_insert_file_extent(w->fs, w->ino, &em, w->csums);
}

/* As btrfs compress=zstd: keep the compressed form only if it saves a block. */
static int write_chunk(struct write_ctx *w, uint64_t file_off, uint64_t len)
{
	int csize;

	if (w->compress && len > BLOCK) {
		csize = compress_zstd(w->cbuf, len - BLOCK, w->chunk, len);
		if (csize > 0) {
			uint64_t disk_len = ROUND_UP((uint64_t)csize);

			memset(w->cbuf + csize, 0, disk_len - (uint64_t)csize);
			return write_disk_extent(w, file_off, w->cbuf, disk_len, len,
						 COWFS_COMPRESS_ZSTD);
		}
		if (csize < 0 && csize != -COWFS_ETOOBIG)
			return csize;
	}
	return write_disk_extent(w, file_off, w->chunk, len, len, COWFS_COMPRESS_NONE);
}

/* The current content of the block at blk, with zeros from isize on. */
static int read_block(struct write_ctx *w, uint64_t blk, uint64_t isize, uint8_t *dst)
{
	int ret;

	if (blk >= isize) {
		memset(dst, 0, BLOCK);
		return 0;
	}
	ret = cowfs_read_file(w->fs, w->ino, blk, dst, BLOCK, NULL);
	if (ret == 0 && isize - blk < BLOCK)
		memset(dst + (isize - blk), 0, BLOCK - (isize - blk));
	return ret;
}

/*
 * Writing past EOF exposes the rest of the block holding EOF: zero it, as
 * btrfs_cont_expand does through btrfs_truncate_block.
 */
static int zero_eof_block(struct write_ctx *w, uint64_t isize)
{
	struct cowfs_extent_map em;
	uint64_t blk = ROUND_DOWN(isize);
	int ret;

	if (isize == blk)
		return 0;
	ret = cowfs_get_extent(w->fs, w->ino, blk, &em);
	if (ret < 0 || em.disk_bytenr == 0)
		return ret;
	ret = read_block(w, blk, isize, w->chunk);
	if (ret == 0)
		ret = write_chunk(w, blk, BLOCK);
	return ret;
}

/* Fill w->chunk with file bytes [cur, cur + clen): the caller's, or read back where
 * the write covers only part of the first or last block. */
static int fill_chunk(struct write_ctx *w, uint64_t cur, uint64_t clen, uint64_t off,
		      const uint8_t *buf, uint64_t len, uint64_t isize)
{
	uint64_t first = cur > off ? cur : off;
	uint64_t last = cur + clen < off + len ? cur + clen : off + len;
	int ret;

	if (cur < off) {
		ret = read_block(w, cur, isize, w->chunk);
		if (ret < 0)
			return ret;
	}
	if (cur + clen > off + len && !(cur < off && clen == BLOCK)) {	/* not read yet */
		ret = read_block(w, cur + clen - BLOCK, isize, w->chunk + clen - BLOCK);
		if (ret < 0)
			return ret;
	}
	memcpy(w->chunk + (first - cur), buf + (first - off), last - first);
	return 0;
}

static int write_range(struct write_ctx *w, uint64_t off, const uint8_t *buf, uint64_t len,
		       uint64_t isize)
{
	uint64_t max = w->compress ? COWFS_MAX_COMPRESSED : COWFS_MAX_EXTENT;
	uint64_t end = ROUND_UP(off + len);
	int ret;

	for (uint64_t cur = ROUND_DOWN(off); cur < end; cur += max) {
		uint64_t clen = end - cur < max ? end - cur : max;

		ret = fill_chunk(w, cur, clen, off, buf, len, isize);
		if (ret == 0)
			ret = write_chunk(w, cur, clen);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int grow_isize(struct cowfs_fs *fs, uint64_t ino, uint64_t size)
{
	struct cowfs_inode_item item;
	int ret;

	ret = inode_lookup(fs, ino, &item);
	if (ret < 0)
		return ret;
	if (cowfs_inode_item_size(&item) < size)
		cowfs_set_inode_item_size(&item, size);
	return inode_update(fs, ino, &item);
}

int cowfs_write_file(cowfs_fs *fs, uint64_t ino, uint64_t off, const void *buf, size_t len)
{
	struct cowfs_inode_item item;
	struct write_ctx w = { .fs = fs, .ino = ino };
	uint64_t isize;
	int ret;

	ret = fsop_writable(fs);
	if (ret == 0)
		ret = inode_lookup(fs, ino, &item);
	if (ret < 0)
		return ret;
	if (!S_ISREG(cowfs_inode_item_mode(&item)))
		return -EISDIR;
	if (len == 0)
		return 0;
	if (off > MAX_FILE_SIZE || len > MAX_FILE_SIZE - off)
		return -EFBIG;
	isize = cowfs_inode_item_size(&item);
	w.compress = !!(cowfs_super_incompat(&fs->super) & COWFS_FEATURE_COMPRESS_ZSTD);
	w.chunk = malloc(w.compress ? COWFS_MAX_COMPRESSED : COWFS_MAX_EXTENT);
	w.cbuf = w.compress ? malloc(COWFS_MAX_COMPRESSED) : NULL;
	if (!w.chunk || (w.compress && !w.cbuf)) {
		ret = -ENOMEM;
	} else {
		if (off > isize && ROUND_DOWN(isize) < ROUND_DOWN(off))
			ret = zero_eof_block(&w, isize);
		if (ret == 0)
			ret = write_range(&w, off, buf, len, isize);
		if (ret == 0)
			ret = grow_isize(fs, ino, off + len);
	}
	free(w.chunk);
	free(w.cbuf);
	return ret;
}
