/* Superblock fields as text, read raw so that a bad copy can be shown too. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uuid/uuid.h>

#include "cowfs/dump.h"
#include "disk/dev.h"
#include "disk/dump-fmt.h"
#include "disk/format.h"
#include "disk/fs.h"
#include "disk/verify.h"

uint64_t cowfs_super_offset(int copy)
{
	switch (copy) {
	case 0:	return COWFS_SUPER_OFFSET;
	case 1:	return COWFS_SUPER_BACKUP;
	}
	return 0;
}

struct fields {
	cowfs_field_fn cb;
	void *arg;
	struct sbuf v;
};

static int field(struct fields *f, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int field(struct fields *f, const char *name, const char *fmt, ...)
{
	char small[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	return f->cb(f->arg, name, small);
}

static const char *verdict(int ok)
{
	return ok ? "match" : "MISMATCH";
}

static int super_ids(struct fields *f, const struct cowfs_super *sb, uint64_t where,
		     uint64_t dev_size)
{
	uint32_t want = get_le32((const le32_t *)sb->csum);
	uint32_t got = cowfs_block_csum(sb);
	struct cowfs_block_err err;
	char uuid[37];
	int ret;

	if (cowfs_verify_super(sb, where, dev_size, &err) == 0)
		ret = field(f, "status", "valid");
	else
		ret = field(f, "status", "invalid: %s", err.msg);
	if (ret)
		return ret;

	if ((ret = field(f, "csum_type", "%u (%s)", cowfs_super_csum_type(sb),
			 cowfs_super_csum_type(sb) == COWFS_CSUM_CRC32C ? "crc32c" : "unknown")))
		return ret;
	if ((ret = field(f, "csum", "0x%08" PRIx32 " [%s]", want, verdict(want == got))))
		return ret;
	if ((ret = field(f, "bytenr", "%" PRIu64 " [%s]", cowfs_super_bytenr(sb),
			 verdict(cowfs_super_bytenr(sb) == where))))
		return ret;
	if ((ret = field(f, "magic", "0x%016" PRIx64 " [%s]", cowfs_super_magic(sb),
			 verdict(cowfs_super_magic(sb) == COWFS_MAGIC))))
		return ret;
	if ((ret = field(f, "version", "%u", cowfs_super_version(sb))))
		return ret;
	uuid_unparse(sb->fsid, uuid);
	if ((ret = field(f, "fsid", "%s", uuid)))
		return ret;
	sbuf_reset(&f->v);
	sbuf_escape(&f->v, (const uint8_t *)sb->label, strnlen(sb->label, sizeof(sb->label)));
	if (f->v.failed)
		return -ENOMEM;
	return f->cb(f->arg, "label", f->v.s ? f->v.s : "");
}

static int super_sizes(struct fields *f, const struct cowfs_super *sb)
{
	uint64_t incompat = cowfs_super_incompat(sb);
	int ret;

	if ((ret = field(f, "flags", "0x%" PRIx64, cowfs_super_flags(sb))))
		return ret;
	if ((ret = field(f, "generation", "%" PRIu64, cowfs_super_generation(sb))))
		return ret;
	if ((ret = field(f, "total_bytes", "%" PRIu64, cowfs_super_total_bytes(sb))))
		return ret;
	if ((ret = field(f, "bytes_used", "%" PRIu64, cowfs_super_bytes_used(sb))))
		return ret;
	if ((ret = field(f, "block_size", "%" PRIu32, cowfs_super_block_size(sb))))
		return ret;
	if ((ret = field(f, "node_size", "%" PRIu32, cowfs_super_node_size(sb))))
		return ret;
	if ((ret = field(f, "incompat", "0x%" PRIx64 "%s%s%s%s", incompat, incompat ? " (" : "",
			 incompat & COWFS_FEATURE_COMPRESS_ZSTD ? "COMPRESS_ZSTD" : "",
			 incompat & ~COWFS_FEATURES_SUPPORTED ?
			 (incompat & COWFS_FEATURE_COMPRESS_ZSTD ? "|UNKNOWN" : "UNKNOWN") : "",
			 incompat ? ")" : "")))
		return ret;
	return field(f, "next_ino", "%" PRIu64, cowfs_super_next_ino(sb));
}

static int super_roots(struct fields *f, const struct cowfs_super *sb)
{
	static const char *const names[COWFS_NR_TREES] = {
		[COWFS_ROOT_FS] = "root.fs",
		[COWFS_ROOT_EXTENT] = "root.extent",
		[COWFS_ROOT_CSUM] = "root.csum",
	};

	for (int i = 0; i < COWFS_NR_TREES; i++) {
		const struct cowfs_root_ptr *r = &sb->roots[i];
		int ret = field(f, names[i], "bytenr %" PRIu64 " generation %" PRIu64 " level %u",
				cowfs_root_ptr_bytenr(r), cowfs_root_ptr_generation(r),
				r->level);
		if (ret)
			return ret;
	}
	return 0;
}

int cowfs_dump_super(cowfs_fs *fs, int copy, cowfs_field_fn cb, void *arg)
{
	uint64_t where = cowfs_super_offset(copy);
	struct fields f = { .cb = cb, .arg = arg };
	struct cowfs_super *sb;
	int ret;

	if (!where)
		return -EINVAL;
	sb = malloc(sizeof(*sb));
	if (!sb)
		return -ENOMEM;
	ret = dev_pread(&fs->dev, sb, sizeof(*sb), where);
	if (!ret)
		ret = super_ids(&f, sb, where, fs->dev.size);
	if (!ret)
		ret = super_sizes(&f, sb);
	if (!ret)
		ret = super_roots(&f, sb);
	sbuf_free(&f.v);
	free(sb);
	return ret;
}
