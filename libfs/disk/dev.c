/* Device I/O: a file or block device, or a zstd-compressed image held in memory. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "cowfs/error.h"
#include "disk/dev.h"
#include "disk/format.h"

#define ZSTD_MAGIC_LE 0xFD2FB528u
#define MAX_MEM_IMAGE (64ull << 30)

static int read_full(int fd, void *buf, size_t len, uint64_t off)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = pread(fd, p, len, (off_t)off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

static int write_full(int fd, const void *buf, size_t len, uint64_t off)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/* Decompress a whole zstd file into memory, streaming (frame sizes may be unknown). */
static int load_zstd(struct cowfs_dev *dev, int fd)
{
	ZSTD_DCtx *dctx = ZSTD_createDCtx();
	size_t incap = ZSTD_DStreamInSize();
	uint8_t *in = malloc(incap);
	uint64_t cap = 16ull << 20, used = 0, off = 0;
	uint8_t *out = malloc(cap);
	size_t last = 1;
	int ret = 0;

	if (!dctx || !in || !out) {
		ret = -ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t n = pread(fd, in, incap, (off_t)off);
		ZSTD_inBuffer ib = { in, 0, 0 };

		if (n < 0) {
			ret = -errno;
			goto out;
		}
		if (n == 0)
			break;
		off += (uint64_t)n;
		ib.size = (size_t)n;
		while (ib.pos < ib.size) {
			ZSTD_outBuffer ob;

			if (cap - used < (1u << 20)) {
				uint8_t *bigger;

				if (cap >= MAX_MEM_IMAGE) {
					ret = -COWFS_ETOOBIG;
					goto out;
				}
				bigger = realloc(out, cap * 2);
				if (!bigger) {
					ret = -ENOMEM;
					goto out;
				}
				out = bigger;
				cap *= 2;
			}
			ob = (ZSTD_outBuffer){ out + used, (size_t)(cap - used), 0 };
			last = ZSTD_decompressStream(dctx, &ob, &ib);
			if (ZSTD_isError(last)) {
				ret = -COWFS_EFORMAT;
				goto out;
			}
			used += ob.pos;
		}
	}
	if (last != 0) {		/* truncated frame */
		ret = -COWFS_EFORMAT;
		goto out;
	}
	dev->mem = out;
	dev->size = used;
	out = NULL;
out:
	free(out);
	free(in);
	ZSTD_freeDCtx(dctx);
	return ret;
}

int dev_open(struct cowfs_dev *dev, const char *path, int writable)
{
	struct stat st;
	uint32_t magic = 0;
	int fd, ret;

	memset(dev, 0, sizeof(*dev));
	dev->fd = -1;
	dev->write_limit = -1;
	fd = open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		goto fail;
	}
	if (S_ISBLK(st.st_mode)) {
		uint64_t sz = 0;

		if (ioctl(fd, BLKGETSIZE64, &sz) < 0) {
			ret = -errno;
			goto fail;
		}
		dev->size = sz;
	} else if (S_ISREG(st.st_mode)) {
		dev->size = (uint64_t)st.st_size;
	} else {
		ret = -EINVAL;
		goto fail;
	}
	/* Two writers on one image would interleave transactions: refuse. */
	if (writable && flock(fd, LOCK_EX | LOCK_NB) < 0) {
		ret = errno == EWOULDBLOCK ? -COWFS_ELOCKED : -errno;
		goto fail;
	}
	if (dev->size >= 4 && read_full(fd, &magic, 4, 0) == 0 && le32toh(magic) == ZSTD_MAGIC_LE) {
		if (writable) {
			ret = -EROFS;
			goto fail;
		}
		ret = load_zstd(dev, fd);
		close(fd);
		return ret;
	}
	dev->fd = fd;
	dev->writable = writable;
	return 0;
fail:
	close(fd);
	return ret;
}

void dev_close(struct cowfs_dev *dev)
{
	if (dev->fd >= 0)
		close(dev->fd);
	free(dev->mem);
	dev->fd = -1;
	dev->mem = NULL;
}

int dev_pread(struct cowfs_dev *dev, void *buf, size_t len, uint64_t off)
{
	if (off > dev->size || len > dev->size - off)
		return -EIO;
	if (dev->fd < 0) {
		memcpy(buf, dev->mem + off, len);
		return 0;
	}
	return read_full(dev->fd, buf, len, off);
}

int dev_pwrite(struct cowfs_dev *dev, const void *buf, size_t len, uint64_t off)
{
	uint64_t blocks = (len + COWFS_BLOCK_SIZE - 1) / COWFS_BLOCK_SIZE;
	int ret;

	if (!dev->writable)
		return -EROFS;
	if (off > dev->size || len > dev->size - off)
		return -ENOSPC;
	if (dev->write_limit >= 0) {
		/* The power cut: the first write_limit blocks of the stream land, no more. */
		if ((uint64_t)dev->write_limit < blocks) {
			size_t part = (size_t)dev->write_limit * COWFS_BLOCK_SIZE;

			if (part && write_full(dev->fd, buf, part, off) == 0)
				dev->blocks_written += (uint64_t)dev->write_limit;
			dev->write_limit = 0;
			return -COWFS_EIOSTOP;
		}
		dev->write_limit -= (int64_t)blocks;
	}
	ret = write_full(dev->fd, buf, len, off);
	if (ret == 0)
		dev->blocks_written += blocks;
	return ret;
}

int dev_flush(struct cowfs_dev *dev)
{
	if (dev->write_limit == 0)
		return -COWFS_EIOSTOP;
	if (dev->fd < 0 || !dev->writable)
		return 0;
	return fdatasync(dev->fd) < 0 ? -errno : 0;
}

int dev_readahead(struct cowfs_dev *dev, uint64_t off, uint64_t len)
{
	int ret;

	if (dev->fd < 0 || off >= dev->size || len == 0)
		return 0;
	if (len > dev->size - off)
		len = dev->size - off;
	if (off > INT64_MAX || len > INT64_MAX)
		return -EINVAL;
	ret = posix_fadvise(dev->fd, (off_t)off, (off_t)len, POSIX_FADV_WILLNEED);
	return ret ? -ret : 0;
}
