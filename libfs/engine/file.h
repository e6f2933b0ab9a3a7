/* The data-writing paths: buffered write, mmap stores and out-of-band dirtying. */
#ifndef COWFS_ENGINE_FILE_H
#define COWFS_ENGINE_FILE_H

#include <stdint.h>

#include "engine/fs-info.h"

/* btrfs_buffered_write (file.c v5.4:1585) of [pos, pos + len). */
int btrfs_buffered_write(struct cowfs_engine *eng, struct inode *inode, uint64_t pos,
			 uint64_t len, cowfs_fill_fn fill, void *arg, uint64_t fault);

enum mmap_store {
	STORE_MKWRITE,		/* each page through btrfs_page_mkwrite */
	STORE_MUNMAP,		/* set_page_dirty at munmap; the store waits for writeback */
	STORE_PIN,		/* set_page_dirty at unpin; no wait for writeback */
};

/* Stores through a shared mapping of [pos, pos + len), which must lie inside the file. */
int mmap_store(struct cowfs_engine *eng, struct inode *inode, uint64_t pos, uint64_t len,
	       cowfs_fill_fn fill, void *arg, enum mmap_store how);

#endif
