/* Block device / image file I/O, with an in-memory backing for decompressed
 * images and a write limit for crash tests. */
#ifndef COWFS_DISK_DEV_H
#define COWFS_DISK_DEV_H

#include <stddef.h>
#include <stdint.h>

struct cowfs_dev {
	int fd;				/* -1 for an in-memory image */
	uint8_t *mem;			/* the decompressed image, when fd < 0 */
	uint64_t size;
	int writable;
	int64_t write_limit;		/* block writes left before the "power cut"; -1: none */
	uint64_t blocks_written;
};

/* Open path (a file or block device); a zstd-compressed file is decompressed into
 * memory (read-only).  writable takes an exclusive flock. */
int dev_open(struct cowfs_dev *dev, const char *path, int writable);
void dev_close(struct cowfs_dev *dev);
/* Short reads past the end of the device are an error (-EIO). */
int dev_pread(struct cowfs_dev *dev, void *buf, size_t len, uint64_t off);
/* Writes count blocks against the write limit; once it is reached they are dropped. */
int dev_pwrite(struct cowfs_dev *dev, const void *buf, size_t len, uint64_t off);
int dev_flush(struct cowfs_dev *dev);
/* A hint that [off, off + len) will be read soon: the kernel starts reading it
 * into the page cache and returns.  Clipped to the device; a no-op in memory. */
int dev_readahead(struct cowfs_dev *dev, uint64_t off, uint64_t len);

#endif
