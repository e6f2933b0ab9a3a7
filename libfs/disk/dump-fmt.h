/* Text formatting shared by the dump walks (private to libfs/disk). */
#ifndef COWFS_DISK_DUMP_FMT_H
#define COWFS_DISK_DUMP_FMT_H

#include <stddef.h>
#include <stdint.h>

#include "disk/format.h"

/* A growable string.  An allocation failure sets failed and keeps what fit. */
struct sbuf {
	char *s;
	size_t len, cap;
	int failed;
};

void sbuf_printf(struct sbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void sbuf_reset(struct sbuf *sb);
void sbuf_free(struct sbuf *sb);
/* Append bytes found on disk, printable ASCII as is, everything else as \ooo. */
void sbuf_escape(struct sbuf *sb, const uint8_t *s, size_t len);

/* A tree id as btrfs names it in dumps: FS_TREE, or the number when unknown. */
void dump_format_owner(struct sbuf *sb, uint64_t owner);

/* Decode the body of an item of size bytes with key k (flags: COWFS_DUMP_*). */
void dump_format_item(struct sbuf *sb, const struct cowfs_key *k, const uint8_t *data,
		      uint32_t size, unsigned flags);

#endif
