/* The few on-disk format constants that callers of libfs choose or plan with:
 * superblock feature bits and data extent limits.  The full layout stays
 * private, in libfs/disk/format.h. */
#ifndef COWFS_LAYOUT_H
#define COWFS_LAYOUT_H

/* Incompat feature bits: an image with a bit this version does not know is refused. */
#define COWFS_FEATURE_COMPRESS_ZSTD	(1ull << 0)	/* zstd-compressed data extents may exist */
#define COWFS_FEATURES_SUPPORTED	(COWFS_FEATURE_COMPRESS_ZSTD)

/* Data extent limits: an uncompressed extent holds at most 1 MiB (so its csum item
 * fits a leaf), a compressed one at most 128 KiB of file data, as btrfs. */
#define COWFS_MAX_EXTENT	(1024u * 1024)
#define COWFS_MAX_COMPRESSED	(128u * 1024)

#define COWFS_MIN_SIZE		(16ull * 1024 * 1024)	/* the smallest filesystem */
#define COWFS_NAME_MAX		255	/* bytes in one name */
#define COWFS_LABEL_SIZE	256	/* label bytes, with the terminating NUL */

#endif
