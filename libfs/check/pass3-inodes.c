/* Pass 3, second half: each inode against its own items.  A directory's size
 * is the sum of its entries' name lengths and it has no file extents; a
 * file's extents are well formed, apart, start below round_up(i_size, 4096)
 * (one may straddle the size after a truncate), and nbytes counts their
 * non-hole bytes.
 */
#include <stdlib.h>
#include <sys/stat.h>

#include "check/fsck.h"
#include "check/problem.h"

#define BLOCK_MASK ((uint64_t)COWFS_BLOCK_SIZE - 1)

static uint64_t round_up_block(uint64_t v)
{
	if (v > UINT64_MAX - BLOCK_MASK)
		return UINT64_MAX & ~BLOCK_MASK;
	return (v + BLOCK_MASK) & ~BLOCK_MASK;
}

/* What is wrong with a file extent on its own (as file-item.c's extent_map_valid), or NULL. */
static const char *file_extent_fault(const struct fsck_fext *f, uint64_t total_bytes)
{
	uint64_t max = f->compression == COWFS_COMPRESS_ZSTD ? COWFS_MAX_COMPRESSED
							     : COWFS_MAX_EXTENT;

	if (f->num_bytes == 0)
		return "zero length";
	if ((f->file_off | f->num_bytes) & BLOCK_MASK)
		return "file range not block aligned";
	if (f->disk_bytenr == 0)
		return NULL;
	if ((f->disk_bytenr | f->disk_num_bytes | f->offset | f->ram_bytes) & BLOCK_MASK)
		return "disk range not block aligned";
	if (f->disk_num_bytes == 0 || f->disk_num_bytes > max || f->ram_bytes > max)
		return "extent larger than the format allows";
	if (f->compression == COWFS_COMPRESS_NONE && f->ram_bytes != f->disk_num_bytes)
		return "ram_bytes differs from disk_num_bytes of an uncompressed extent";
	if (f->compression != COWFS_COMPRESS_NONE && f->disk_num_bytes > f->ram_bytes)
		return "compressed extent larger than its data";
	if (f->offset >= f->ram_bytes || f->num_bytes > f->ram_bytes - f->offset)
		return "offset and num_bytes past ram_bytes";
	if (f->disk_bytenr < COWFS_RESERVED_BYTES || f->disk_bytenr > total_bytes ||
	    f->disk_num_bytes > total_bytes - f->disk_bytenr)
		return "disk extent outside the filesystem";
	return NULL;
}

static void report_extent(struct fsck_ctx *c, const struct fsck_fext *f, const char *path)
{
	if (c->ops && c->ops->extent)
		c->ops->extent(c->ops->arg, path, f->file_off, f->num_bytes, f->disk_bytenr,
			       f->disk_num_bytes, f->offset, f->compression);
}

/* The extents [i, j) of one existing inode. */
static void check_file_extents(struct fsck_ctx *c, const struct fsck_inode *in, size_t i,
			       size_t j, const char *path)
{
	uint64_t prev_end = 0, nbytes = 0, eof = round_up_block(in->size);

	for (size_t k = i; k < j; k++) {
		const struct fsck_fext *f = &c->fexts.a[k];
		struct cowfs_problem_ctx pc = { .ino = in->ino, .path = path,
						.file_off = f->file_off };
		const char *fault = file_extent_fault(f, c->total_bytes);

		if (S_ISDIR(in->mode)) {
			fsck_report(c, PR_3_DIR_EXTENT, &pc);
			continue;
		}
		if (fault) {
			pc.str = fault;
			fsck_report(c, PR_3_EXTENT_BAD, &pc);
		}
		if (f->file_off >= eof) {
			pc.have = in->size;
			fsck_report(c, PR_3_EXTENT_PAST_EOF, &pc);
		}
		if (k > i && f->file_off < prev_end) {
			pc.have = prev_end;
			fsck_report(c, PR_3_EXTENT_OVERLAP, &pc);
		}
		if (f->num_bytes <= UINT64_MAX - f->file_off &&
		    f->file_off + f->num_bytes > prev_end)
			prev_end = f->file_off + f->num_bytes;
		if (f->disk_bytenr)
			nbytes += f->num_bytes;
		if (path && S_ISREG(in->mode))
			report_extent(c, f, path);
	}
	if (!S_ISDIR(in->mode) && nbytes != in->nbytes) {
		struct cowfs_problem_ctx pc = { .ino = in->ino, .path = path, .have = in->nbytes,
						.expect = nbytes };

		fsck_report(c, PR_3_NBYTES, &pc);
	}
}

static void check_dir_size(struct fsck_ctx *c, const struct fsck_inode *in, const char *path)
{
	struct cowfs_problem_ctx pc = { .ino = in->ino, .path = path, .have = in->size,
					.expect = in->dir_size };

	if (in->size != in->dir_size && !fsck_lost_objectid(c, COWFS_FS_TREE, in->ino))
		fsck_report(c, PR_3_DIR_SIZE, &pc);
}

/* Extents of inodes without an inode item: one report per inode. */
static size_t skip_orphan_extents(struct fsck_ctx *c, size_t k)
{
	uint64_t ino = c->fexts.a[k].ino;
	struct cowfs_problem_ctx pc = { .ino = ino, .str = "file extent" };

	if (!fsck_lost_objectid(c, COWFS_FS_TREE, ino))
		fsck_report(c, PR_3_ORPHAN_ITEMS, &pc);
	while (k < c->fexts.n && c->fexts.a[k].ino == ino)
		k++;
	return k;
}

int fsck_pass3_inodes(struct fsck_ctx *c)
{
	char path_buf[4096];
	size_t k = 0;

	/* Both arrays are sorted by inode number: walk them side by side. */
	for (size_t i = 0; i < c->inodes.n; i++) {
		const struct fsck_inode *in = &c->inodes.a[i];
		const char *path = fsck_path(c, in->ino, path_buf, sizeof(path_buf));
		size_t j;

		while (k < c->fexts.n && c->fexts.a[k].ino < in->ino)
			k = skip_orphan_extents(c, k);
		for (j = k; j < c->fexts.n && c->fexts.a[j].ino == in->ino; j++)
			;
		if (S_ISDIR(in->mode))
			check_dir_size(c, in, path);
		check_file_extents(c, in, k, j, path);
		k = j;
	}
	while (k < c->fexts.n)
		k = skip_orphan_extents(c, k);
	return 0;
}
