/* Pass 4: every data block against its checksum.
 *
 * The csum items, sorted by disk address, are turned into windows of up to
 * WINDOW_BYTES read with one pread each; while the hashing pool works on one
 * window the next is read into the other buffer.  A bad block is reported
 * with every file and file offset whose data lives in it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check/fsck.h"
#include "check/hasher.h"
#include "check/problem.h"
#include "cowfs/error.h"

#define WINDOW_BYTES	(4u << 20)
#define WINDOW_BLOCKS	(WINDOW_BYTES / COWFS_BLOCK_SIZE)
#define MAX_GAP		(1u << 20)	/* a longer hole starts a new window */

struct window {
	uint8_t *buf;
	uint64_t start, end;
	size_t n;
	size_t offs[WINDOW_BLOCKS];
	uint32_t got[WINDOW_BLOCKS];
	size_t item[WINDOW_BLOCKS];	/* csum item of each block */
	uint32_t idx[WINDOW_BLOCKS];	/* its index in that item */
	int readable;
};

/* Where the next block to check is: item i, block k of it. */
struct cursor {
	size_t i;
	uint32_t k;
};

/* The usable blocks of csum item i: inside the filesystem and the image. */
static uint32_t usable_blocks(struct fsck_ctx *c, size_t i)
{
	const struct fsck_csum *cs = &c->csums.a[i];
	uint64_t limit = c->total_bytes < c->dev.size ? c->total_bytes : c->dev.size;
	uint64_t room = cs->bytenr < limit ? (limit - cs->bytenr) / COWFS_BLOCK_SIZE : 0;

	if (cs->bytenr % COWFS_BLOCK_SIZE || cs->bytenr < COWFS_RESERVED_BYTES)
		return 0;
	return room < cs->count ? (uint32_t)room : cs->count;
}

/* Blocks of a csum item the image is too short to hold: a truncated image. */
static void report_past_end(struct fsck_ctx *c, size_t i)
{
	const struct fsck_csum *cs = &c->csums.a[i];
	uint32_t usable = usable_blocks(c, i);
	uint64_t first = cs->bytenr + (uint64_t)usable * COWFS_BLOCK_SIZE;
	struct cowfs_problem_ctx pc = { .bytenr = first };

	if (usable == cs->count || cs->bytenr % COWFS_BLOCK_SIZE ||
	    cs->bytenr < COWFS_RESERVED_BYTES || first >= c->total_bytes)
		return;
	pc.num = (uint64_t)(cs->count - usable) * COWFS_BLOCK_SIZE;
	if (pc.num > c->total_bytes - first)
		pc.num = c->total_bytes - first;
	fsck_report(c, PR_4_DATA_PAST_END, &pc);
}

static int fill_window(struct fsck_ctx *c, struct cursor *cur, struct window *w)
{
	w->n = 0;
	while (cur->i < c->csums.n && w->n < WINDOW_BLOCKS) {
		const struct fsck_csum *cs = &c->csums.a[cur->i];
		uint64_t b;

		if (cur->k >= usable_blocks(c, cur->i)) {
			report_past_end(c, cur->i);
			cur->i++;
			cur->k = 0;
			continue;
		}
		b = cs->bytenr + (uint64_t)cur->k * COWFS_BLOCK_SIZE;
		if (w->n && (b < w->start || b + COWFS_BLOCK_SIZE - w->start > WINDOW_BYTES ||
			     b > w->end + MAX_GAP))
			break;
		if (w->n == 0)
			w->start = w->end = b;
		w->offs[w->n] = b - w->start;
		w->item[w->n] = cur->i;
		w->idx[w->n] = cur->k;
		w->n++;
		if (b + COWFS_BLOCK_SIZE > w->end)
			w->end = b + COWFS_BLOCK_SIZE;
		cur->k++;
	}
	if (w->n == 0)
		return 0;
	w->readable = dev_pread(&c->dev, w->buf, w->end - w->start, w->start);
	if (w->readable < 0) {
		struct cowfs_problem_ctx pc = { .bytenr = w->start, .num = w->end - w->start,
						.str = cowfs_strerror(w->readable) };

		fsck_report(c, PR_4_DATA_READ, &pc);
	}
	return 1;
}

/* The file offset that disk block x of file extent f holds, or -1 if it holds none. */
static int block_file_offset(const struct fsck_fext *f, uint64_t x, uint64_t *off)
{
	uint64_t rel = x - f->disk_bytenr;

	if (f->compression != COWFS_COMPRESS_NONE) {
		*off = f->file_off;	/* all of the extent's file range depends on it */
		return 0;
	}
	if (rel < f->offset || rel - f->offset >= f->num_bytes)
		return -1;
	*off = f->file_off + (rel - f->offset);
	return 0;
}

static void report_bad_block(struct fsck_ctx *c, uint64_t x, uint64_t extent, uint32_t got,
			     uint32_t expect)
{
	struct cowfs_problem_ctx pc = { .bytenr = x, .have = got, .expect = expect };
	size_t lo = 0, hi = c->n_by_disk;
	char path[4096];
	int named = 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->fexts.a[c->fext_by_disk[mid]].disk_bytenr < extent)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < c->n_by_disk && c->fexts.a[c->fext_by_disk[lo]].disk_bytenr == extent; lo++) {
		const struct fsck_fext *f = &c->fexts.a[c->fext_by_disk[lo]];

		if (block_file_offset(f, x, &pc.file_off) < 0)
			continue;
		pc.ino = f->ino;
		pc.path = fsck_path(c, f->ino, path, sizeof(path));
		fsck_report(c, PR_4_DATA_CSUM, &pc);
		named = 1;
	}
	if (!named)
		fsck_report(c, PR_4_DATA_CSUM_NO_FILE, &pc);
}

static void check_window(struct fsck_ctx *c, const struct window *w)
{
	if (w->readable < 0)
		return;
	for (size_t j = 0; j < w->n; j++) {
		const struct fsck_csum *cs = &c->csums.a[w->item[j]];
		uint32_t expect = c->csum_vals.a[cs->first + w->idx[j]];

		if (w->got[j] != expect)
			report_bad_block(c, w->start + w->offs[j], cs->bytenr, w->got[j], expect);
	}
	c->sum->data_blocks_checked += w->n;
}

static void submit(struct hasher *h, struct window *w)
{
	if (w->readable == 0)
		hasher_submit(h, w->buf, w->offs, w->n, w->got);
}

int fsck_pass4(struct fsck_ctx *c)
{
	struct window *w[2] = { calloc(1, sizeof(struct window)),
				calloc(1, sizeof(struct window)) };
	struct hasher *h = NULL;
	struct cursor cur = { 0, 0 };
	int ret = -ENOMEM, cur_w = 0, more;

	if (!w[0] || !w[1] || !(w[0]->buf = malloc(WINDOW_BYTES)) ||
	    !(w[1]->buf = malloc(WINDOW_BYTES)))
		goto out;
	h = hasher_start(c->opts.threads > 0 ? c->opts.threads : 2);
	if (!h)
		goto out;
	more = fill_window(c, &cur, w[0]);
	if (more)
		submit(h, w[0]);
	while (more) {
		/* Read the next window while the current one is hashed. */
		more = fill_window(c, &cur, w[!cur_w]);
		hasher_wait(h);
		check_window(c, w[cur_w]);
		cur_w = !cur_w;
		if (more)
			submit(h, w[cur_w]);
	}
	ret = 0;
out:
	hasher_stop(h);
	for (int i = 0; i < 2; i++) {
		if (w[i])
			free(w[i]->buf);
		free(w[i]);
	}
	return ret;
}
