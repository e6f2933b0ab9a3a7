/* The line stamp: W = ((L & 0xFFFFFF) << 40 | ((x >> 3) & 0xFFFFFFFFFF)) ^ 0x5A5A5A5A5A5A5A5A.
 * Because a stamp carries its own position, a word decodes only where it was
 * written: a block moved to the wrong offset does not pass as the right data.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "cowfs/trace.h"

#define STAMP_XOR	0x5A5A5A5A5A5A5A5Aull
#define STAMP_POS_MASK	0xFFFFFFFFFFull		/* 40 bits of x >> 3 */
#define STAMP_LINE_MASK	0xFFFFFFull		/* 24 bits of the line */
#define STAMP_BLOCK	4096u			/* the page and block size */

uint64_t cowfs_stamp_word(uint64_t line, uint64_t x)
{
	return ((line & STAMP_LINE_MASK) << 40 | ((x >> 3) & STAMP_POS_MASK)) ^ STAMP_XOR;
}

bool cowfs_stamp_decode(uint64_t word, uint64_t x, uint64_t *line)
{
	uint64_t v = word ^ STAMP_XOR;

	if ((v & STAMP_POS_MASK) != ((x >> 3) & STAMP_POS_MASK))
		return false;
	*line = v >> 40;
	return true;
}

int cowfs_stamp_classify(const void *buf, size_t len, uint64_t x, uint64_t *line)
{
	const uint8_t *p = buf;
	size_t stamped = 0;
	bool zeros = true, one_line = true;
	uint64_t first = 0;

	*line = 0;
	if ((x & 7) || (len & 7))
		return -EINVAL;
	for (size_t i = 0; i < len; i += 8) {
		uint64_t le, w, l;

		memcpy(&le, p + i, 8);
		w = le64toh(le);
		if (w)
			zeros = false;
		if (!cowfs_stamp_decode(w, x + i, &l))
			continue;
		if (!stamped++)
			first = l;
		else if (l != first)
			one_line = false;
	}
	if (zeros)
		return COWFS_STAMP_ZEROS;
	if (!stamped)
		return COWFS_STAMP_NONE;
	*line = first;
	return stamped == len / 8 && one_line ? COWFS_STAMP_LINE : COWFS_STAMP_MIXED;
}

int cowfs_stamp_block(const void *block, uint64_t x, uint64_t *line)
{
	return cowfs_stamp_classify(block, STAMP_BLOCK, x, line);
}
