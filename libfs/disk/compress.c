/* zstd helpers for compressed data extents. */
#include <stdint.h>
#include <zstd.h>

#include "cowfs/error.h"
#include "disk/compress.h"

int compress_zstd(void *dst, size_t cap, const void *src, size_t len)
{
	size_t ret;

	if (len > (size_t)INT32_MAX || cap > (size_t)INT32_MAX)
		return -COWFS_ETOOBIG;
	ret = ZSTD_compress(dst, cap, src, len, COWFS_ZSTD_LEVEL);
	if (ZSTD_isError(ret))
		return -COWFS_ETOOBIG;
	return (int)ret;
}

int decompress_zstd(void *dst, size_t dst_len, const void *src, size_t len)
{
	unsigned long long content;
	size_t frame, ret;

	/* The extent is padded to a block: zstd would read the zeros as a next frame. */
	frame = ZSTD_findFrameCompressedSize(src, len);
	if (ZSTD_isError(frame) || frame > len)
		return -COWFS_ECORRUPT;
	content = ZSTD_getFrameContentSize(src, frame);
	if (content != ZSTD_CONTENTSIZE_UNKNOWN && content != dst_len)
		return -COWFS_ECORRUPT;
	ret = ZSTD_decompress(dst, dst_len, src, frame);
	if (ZSTD_isError(ret) || ret != dst_len)
		return -COWFS_ECORRUPT;
	return 0;
}
