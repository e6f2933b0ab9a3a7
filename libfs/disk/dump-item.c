/* Item bodies as text, in the spirit of btrfs inspect-internal dump-tree.
 *
 * Every field comes from the block through the format accessors; a body
 * shorter than its struct is reported, never read past.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cowfs/dump.h"
#include "disk/dir.h"
#include "disk/dump-fmt.h"

void sbuf_printf(struct sbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (sb->failed)
		return;
	for (;;) {
		size_t room = sb->cap - sb->len;

		va_start(ap, fmt);
		n = vsnprintf(sb->s ? sb->s + sb->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			sb->failed = 1;
			return;
		}
		if ((size_t)n < room) {
			sb->len += (size_t)n;
			return;
		}
		size_t cap = sb->cap ? sb->cap * 2 : 256;
		while (cap - sb->len <= (size_t)n)
			cap *= 2;
		char *s = realloc(sb->s, cap);
		if (!s) {
			sb->failed = 1;
			return;
		}
		sb->s = s;
		sb->cap = cap;
	}
}

void sbuf_reset(struct sbuf *sb)
{
	sb->len = 0;
	if (sb->s)
		sb->s[0] = '\0';
}

void sbuf_free(struct sbuf *sb)
{
	free(sb->s);
	*sb = (struct sbuf){ 0 };
}

void sbuf_escape(struct sbuf *sb, const uint8_t *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\\')
			sbuf_printf(sb, "%c", s[i]);
		else
			sbuf_printf(sb, "\\%03o", s[i]);
	}
}

void dump_format_owner(struct sbuf *sb, uint64_t owner)
{
	switch (owner) {
	case COWFS_FS_TREE:	sbuf_printf(sb, "FS_TREE"); return;
	case COWFS_EXTENT_TREE:	sbuf_printf(sb, "EXTENT_TREE"); return;
	case COWFS_CSUM_TREE:	sbuf_printf(sb, "CSUM_TREE"); return;
	}
	sbuf_printf(sb, "%" PRIu64, owner);
}

static void bad_size(struct sbuf *sb, uint32_t size, size_t want)
{
	sbuf_printf(sb, "bad item size %" PRIu32 ", expected %zu", size, want);
}

static void format_time(struct sbuf *sb, const char *name, const struct cowfs_timespec *t)
{
	sbuf_printf(sb, " %s %" PRId64 ".%09" PRIu32, name, (int64_t)cowfs_timespec_sec(t),
		    cowfs_timespec_nsec(t));
}

static void format_inode(struct sbuf *sb, const uint8_t *data, uint32_t size)
{
	struct cowfs_inode_item ii;

	if (size < sizeof(ii)) {
		bad_size(sb, size, sizeof(ii));
		return;
	}
	memcpy(&ii, data, sizeof(ii));
	sbuf_printf(sb, "generation %" PRIu64 " transid %" PRIu64 " size %" PRIu64
		    " nbytes %" PRIu64 " mode 0%" PRIo32 " nlink %" PRIu32 " uid %" PRIu32
		    " gid %" PRIu32 " flags 0x%" PRIx64,
		    cowfs_inode_item_generation(&ii), cowfs_inode_item_transid(&ii),
		    cowfs_inode_item_size(&ii), cowfs_inode_item_nbytes(&ii),
		    cowfs_inode_item_mode(&ii), cowfs_inode_item_nlink(&ii),
		    cowfs_inode_item_uid(&ii), cowfs_inode_item_gid(&ii),
		    cowfs_inode_item_flags(&ii));
	format_time(sb, "atime", &ii.atime);
	format_time(sb, "mtime", &ii.mtime);
	format_time(sb, "ctime", &ii.ctime);
}

static const char *ftype_name(uint8_t type)
{
	switch (type) {
	case COWFS_FT_REG:	return "FILE";
	case COWFS_FT_DIR:	return "DIR";
	}
	return "UNKNOWN";
}

/* One item may pack several names (hash collisions, several links). */
static void format_names(struct sbuf *sb, const uint8_t *data, uint32_t size, int dir_item)
{
	struct name_record rec;
	uint32_t pos = 0;
	int ret;

	while ((ret = (dir_item ? dir_item_next : inode_ref_next)(data, size, &pos, &rec)) == 0) {
		if (rec.off)
			sbuf_printf(sb, "; ");
		if (dir_item)
			sbuf_printf(sb, "location %" PRIu64 " transid %" PRIu64 " type %s ",
				    rec.ino, rec.transid, ftype_name((uint8_t)rec.type));
		sbuf_printf(sb, "name_len %zu name ", rec.len);
		sbuf_escape(sb, (const uint8_t *)rec.name, rec.len);
	}
	if (ret < 0)
		sbuf_printf(sb, "%sbad record at byte %" PRIu32 " of %" PRIu32,
			    pos ? "; " : "", pos, size);
}

static const char *compression_name(uint8_t c)
{
	switch (c) {
	case COWFS_COMPRESS_NONE:	return "none";
	case COWFS_COMPRESS_ZSTD:	return "zstd";
	}
	return "unknown";
}

static void format_file_extent(struct sbuf *sb, const uint8_t *data, uint32_t size)
{
	struct cowfs_file_extent fe;

	if (size < sizeof(fe)) {
		bad_size(sb, size, sizeof(fe));
		return;
	}
	memcpy(&fe, data, sizeof(fe));
	sbuf_printf(sb, "generation %" PRIu64 " type %s compression %s(%u) disk_bytenr %" PRIu64
		    " disk_num_bytes %" PRIu64 " offset %" PRIu64 " num_bytes %" PRIu64
		    " ram_bytes %" PRIu64,
		    cowfs_file_extent_generation(&fe),
		    fe.type == COWFS_FILE_EXTENT_REG ? "regular" : "unknown",
		    compression_name(fe.compression), fe.compression,
		    cowfs_file_extent_disk_bytenr(&fe), cowfs_file_extent_disk_num_bytes(&fe),
		    cowfs_file_extent_offset(&fe), cowfs_file_extent_num_bytes(&fe),
		    cowfs_file_extent_ram_bytes(&fe));
}

static void format_csum(struct sbuf *sb, const struct cowfs_key *k, const uint8_t *data,
			uint32_t size, unsigned flags)
{
	uint64_t n = size / sizeof(le32_t), len = n * COWFS_BLOCK_SIZE;

	if (size % sizeof(le32_t)) {
		sbuf_printf(sb, "bad item size %" PRIu32 ", not a multiple of 4", size);
		return;
	}
	sbuf_printf(sb, "range start %" PRIu64 " end %" PRIu64 " length %" PRIu64,
		    k->offset, k->offset + len, len);
	if (!(flags & COWFS_DUMP_CSUMS))
		return;
	sbuf_printf(sb, " csums");
	for (uint64_t i = 0; i < n; i++) {
		le32_t c;

		memcpy(&c, data + i * sizeof(c), sizeof(c));
		sbuf_printf(sb, " 0x%08" PRIx32, get_le32(&c));
	}
}

static void format_extent_item(struct sbuf *sb, const uint8_t *data, uint32_t size)
{
	struct cowfs_extent_item ei;

	if (size < sizeof(ei)) {
		bad_size(sb, size, sizeof(ei));
		return;
	}
	memcpy(&ei, data, sizeof(ei));
	uint64_t flags = cowfs_extent_item_flags(&ei);
	sbuf_printf(sb, "refs %" PRIu64 " generation %" PRIu64 " flags %s%s%s",
		    cowfs_extent_item_refs(&ei), cowfs_extent_item_generation(&ei),
		    flags & COWFS_EXTENT_FLAG_DATA ? "DATA" : "",
		    (flags & COWFS_EXTENT_FLAG_DATA) && (flags & COWFS_EXTENT_FLAG_TREE_BLOCK)
			? "|" : "",
		    flags & COWFS_EXTENT_FLAG_TREE_BLOCK ? "TREE_BLOCK" : "");
	if (flags & ~(COWFS_EXTENT_FLAG_DATA | COWFS_EXTENT_FLAG_TREE_BLOCK))
		sbuf_printf(sb, "|0x%" PRIx64, flags);
	if (flags & COWFS_EXTENT_FLAG_TREE_BLOCK) {
		sbuf_printf(sb, " owner ");
		dump_format_owner(sb, cowfs_extent_item_owner(&ei));
		sbuf_printf(sb, " level %u", ei.level);
	}
}

void dump_format_item(struct sbuf *sb, const struct cowfs_key *k, const uint8_t *data,
		      uint32_t size, unsigned flags)
{
	switch (k->type) {
	case COWFS_INODE_ITEM:	format_inode(sb, data, size); return;
	case COWFS_INODE_REF:	format_names(sb, data, size, 0); return;
	case COWFS_DIR_ITEM:	format_names(sb, data, size, 1); return;
	case COWFS_EXTENT_DATA:	format_file_extent(sb, data, size); return;
	case COWFS_EXTENT_CSUM:	format_csum(sb, k, data, size, flags); return;
	case COWFS_EXTENT_ITEM:	format_extent_item(sb, data, size); return;
	}
	sbuf_printf(sb, "unknown item type %u size %" PRIu32, k->type, size);
}
