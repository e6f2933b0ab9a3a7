/* zstd for data extents, as btrfs compress=zstd at its default level. */
#ifndef COWFS_DISK_COMPRESS_H
#define COWFS_DISK_COMPRESS_H

#include <stddef.h>

#define COWFS_ZSTD_LEVEL	3	/* BTRFS_ZSTD_DEFAULT_LEVEL */

/* Compress len bytes of src into dst: the compressed size, or -COWFS_ETOOBIG when
 * it does not fit in cap (the caller then stores the data uncompressed). */
int compress_zstd(void *dst, size_t cap, const void *src, size_t len);

/* Decompress the one frame at the start of src (len bytes; the zeros that pad it to
 * a block may follow) into exactly dst_len bytes: 0, or -COWFS_ECORRUPT. */
int decompress_zstd(void *dst, size_t dst_len, const void *src, size_t len);

#endif
