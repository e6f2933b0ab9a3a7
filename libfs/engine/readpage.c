/* Reads through the cache: see readpage.h. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "cowfs/error.h"
#include "engine/inode.h"
#include "engine/page-ops.h"
#include "engine/readpage.h"
#include "util/crc32c.h"

/* The block at off from a pending ordered extent: 1 read (0 or -COWFS_ECSUM in
 * *ret), 0 if no pending extent has its csum.  verify = 0 skips the csum check. */
static int read_from_ordered(struct cowfs_engine *eng, struct inode *inode, uint64_t off,
			     uint8_t *data, int verify, int *ret)
{
	struct ordered_extent *oe = lookup_ordered_extent(&inode->ordered_tree, off);
	uint32_t csum;
	int found = 0;

	if (oe && find_ordered_sum(&inode->ordered_tree, off, &csum)) {
		found = 1;
		*ret = cowfs_read_data(eng->fs, oe->disk_bytenr + (off - oe->file_offset), data,
				       PAGE_SIZE);
		if (!*ret && verify && cowfs_crc32c(data, PAGE_SIZE) != csum)
			*ret = -COWFS_ECSUM;
	}
	if (oe)
		put_ordered_extent(oe);
	return found;
}

/*
 * A PageChecked page read from its committed extent: the read's end io hook
 * clears the flag and skips the csum check (btrfs_readpage_end_io_hook, inode.c
 * v5.4:3508).  A hole issues no IO, and a compressed extent is checked on its
 * compressed blocks (end_compressed_bio_read) before that hook: both stay
 * verified.  1 if the block was read here (0 or an error in *ret), else 0.
 */
static int read_checked_unverified(struct cowfs_engine *eng, struct inode *inode,
				   struct page *page, int *ret)
{
	uint64_t off = page_offset(page);
	struct cowfs_extent_map em;

	*ret = cowfs_get_extent(eng->fs, inode->ino, off, &em);
	if (*ret)
		return 1;
	if (!em.disk_bytenr || em.compression)
		return 0;
	*ret = cowfs_read_data(eng->fs, em.disk_bytenr + em.offset + (off - em.file_off),
			       page->data, PAGE_SIZE);
	if (!*ret)
		page_clear(page, PG_checked);
	return 1;
}

int btrfs_readpage(struct cowfs_engine *eng, struct inode *inode, struct page *page)
{
	uint64_t off = page_offset(page), bad = off;
	const char *from = "nowhere: past EOF";
	int ret = 0;

	if (off < inode->i_size) {
		int checked = page_test(page, PG_checked);

		from = "its ordered extent";
		if (read_from_ordered(eng, inode, off, page->data, !checked, &ret)) {
			if (checked && !ret)	/* the end io hook: PageChecked skips the csum */
				page_clear(page, PG_checked);
		} else {
			from = "the committed extents";
			if (!checked || !read_checked_unverified(eng, inode, page, &ret))
				ret = cowfs_read_file(eng->fs, inode->ino, off, page->data,
						      PAGE_SIZE, &bad);
		}
	}
	if (ret == -COWFS_ECSUM) {
		memset(page->data, 0x01, PAGE_SIZE);
		page_clear(page, PG_uptodate);
		page_set(page, PG_error);
		eng_finding(eng, COWFS_FINDING_CSUM, "block at %" PRIu64 " of %s does not match its "
			    "checksum (read from %s)", off, inode->path, from);
		return ret;
	}
	if (ret)
		return ret;
	if (off >= inode->i_size)
		memset(page->data, 0, PAGE_SIZE);
	else if (inode->i_size - off < PAGE_SIZE)
		memset(page->data + (inode->i_size - off), 0, PAGE_SIZE - (inode->i_size - off));
	page_set(page, PG_uptodate);
	page_set(page, PG_private);
	eng->stats.pages_read++;
	eng_event(eng, "page %" PRIu64 " of %s: read from %s", page->index, inode->path, from);
	return 0;
}

int read_cache_page(struct cowfs_engine *eng, struct inode *inode, uint64_t index,
		    struct page **out)
{
	struct page *page = find_get_page(&inode->mapping, index);
	int ret;

	if (page && page_test(page, PG_uptodate)) {
		mark_page_accessed(page);
		*out = page;
		return 0;
	}
	if (page) {
		ret = lock_page(eng, page);
		if (ret) {
			put_page(page);
			return ret;
		}
	} else {
		ret = find_or_create_page(eng, inode, index, &page);
		if (ret)
			return ret;
	}
	if (!page_test(page, PG_uptodate))
		ret = btrfs_readpage(eng, inode, page);
	unlock_page(eng, page);
	if (ret && ret != -COWFS_ECSUM) {
		put_page(page);
		return ret;
	}
	*out = page;
	return ret;
}

int engine_read(struct cowfs_engine *eng, struct inode *inode, uint64_t off, uint64_t len,
		uint8_t *buf, uint64_t *nread)
{
	uint64_t end = inode->i_size, pos = off;
	int csum_err = 0;

	if (end > off + len)
		end = off + len;
	*nread = end > off ? end - off : 0;
	while (pos < end) {
		uint64_t in = pos & (PAGE_SIZE - 1), n = PAGE_SIZE - in;
		struct page *page;
		int ret = read_cache_page(eng, inode, pos >> PAGE_SHIFT, &page);

		if (ret == -COWFS_ECSUM)
			csum_err = 1;
		else if (ret)
			return ret;
		if (n > end - pos)
			n = end - pos;
		memcpy(buf + (pos - off), page->data + in, n);
		put_page(page);
		pos += n;
	}
	if (*nread < len)
		memset(buf + *nread, 0, len - *nread);
	return csum_err ? -COWFS_ECSUM : 0;
}
