/* cowfs_compare(): two images, logically, through the public disk API.
 *
 * Directories are merged by name; files by size, then by content in 4 KiB
 * blocks (runs of differing blocks are one difference), then optionally by
 * their file extent maps.  Each side keeps a set of visited directories, so a
 * damaged image with a directory loop cannot make the walk run forever.
 *
 * Data written by a trace is stamped with its line (cowtrace's data=stamp), so
 * a content difference says which line each side holds, B as found and A as
 * expected; a run of blocks is one difference only while that story holds.
 */
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check/fsck.h"
#include "cowfs/check.h"
#include "cowfs/disk.h"
#include "cowfs/error.h"
#include "cowfs/trace.h"

#define CHUNK (1u << 20)

struct cmp {
	cowfs_fs *fs[2];
	struct u64set seen[2];
	unsigned flags;
	cowfs_diff_fn fn;
	void *arg;
	int count;
	uint8_t *buf[2];
};

struct entry {
	char *name;
	uint64_t ino;
	int type;
};

struct listing {
	VEC(struct entry) e;
};

__attribute__((format(printf, 3, 4)))
static void differ(struct cmp *m, struct cowfs_difference *d, const char *fmt, ...)
{
	char msg[4096 + 256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	d->message = msg;
	m->count++;
	if (m->fn)
		m->fn(m->arg, d);
}

static int add_entry(void *arg, const char *name, size_t len, uint64_t ino, int type)
{
	struct listing *l = arg;
	struct entry *e = VEC_PUSH(l->e);

	if (!e || !(e->name = strndup(name, len)))
		return -ENOMEM;
	e->ino = ino;
	e->type = type;
	return 0;
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

static void free_listing(struct listing *l)
{
	for (size_t i = 0; i < l->e.n; i++)
		free(l->e.a[i].name);
	VEC_FREE(l->e);
}

static char *join(const char *dir, const char *name)
{
	char *p;

	if (asprintf(&p, "%s%s%s", dir, strcmp(dir, "/") ? "/" : "", name) < 0)
		return NULL;
	return p;
}

static const char *type_name(int type)
{
	return type == COWFS_FT_DIR ? "directory" : "file";
}

/* ---- file contents ---- */

/* What a block holds, by its stamps. */
struct stamp {
	int cls;			/* enum cowfs_stamp_class */
	uint64_t line;
};

/* A run of blocks, reported when the next block does not extend it. */
struct run {
	uint64_t start, end;		/* empty when start == end */
	int err;
	struct stamp st[2];		/* diff: what A and B hold */
};

struct content {
	const char *path;
	uint64_t ino[2];
	struct run diff, bad[2];
};

static bool stamped(const struct stamp *st)
{
	return st->cls == COWFS_STAMP_LINE || st->cls == COWFS_STAMP_MIXED;
}

static void stamp_text(char *buf, size_t size, const struct stamp *st)
{
	if (st->cls == COWFS_STAMP_LINE)
		snprintf(buf, size, "line %" PRIu64, st->line);
	else if (st->cls == COWFS_STAMP_MIXED)
		snprintf(buf, size, "line %" PRIu64 " mixed with other data", st->line);
	else
		snprintf(buf, size, "%s", st->cls == COWFS_STAMP_ZEROS ? "zeros" : "other data");
}

static void flush_diff(struct cmp *m, struct content *ct)
{
	struct run *r = &ct->diff;
	struct cowfs_difference d = { .kind = COWFS_DIFF_CONTENT, .path = ct->path,
				      .start = r->start, .end = r->end };
	char found[64], expected[64];

	if (r->end > r->start && (stamped(&r->st[0]) || stamped(&r->st[1]))) {
		stamp_text(expected, sizeof(expected), &r->st[0]);
		stamp_text(found, sizeof(found), &r->st[1]);
		differ(m, &d, "%s [%" PRIu64 ", %" PRIu64 "): contents differ: found %s, "
		       "expected %s", ct->path, r->start, r->end, found, expected);
	} else if (r->end > r->start) {
		differ(m, &d, "%s [%" PRIu64 ", %" PRIu64 "): contents differ", ct->path,
		       r->start, r->end);
	}
	r->start = r->end = 0;
}

static void flush_bad(struct cmp *m, struct content *ct, int side)
{
	struct run *r = &ct->bad[side];
	struct cowfs_difference d = { .kind = COWFS_DIFF_UNREADABLE, .path = ct->path,
				      .start = r->start, .end = r->end, .a = (uint64_t)side,
				      .err = r->err };

	if (r->end > r->start)
		differ(m, &d, "%s [%" PRIu64 ", %" PRIu64 "): cannot read %s: %s", ct->path,
		       r->start, r->end, side ? "B" : "A", cowfs_strerror(r->err));
	r->start = r->end = 0;
}

static void extend(struct run *r, uint64_t s, uint64_t e, int err)
{
	if (r->end == r->start)
		r->start = s;
	r->end = e;
	r->err = err;
}

static bool same_stamp(const struct stamp *a, const struct stamp *b)
{
	return a->cls == b->cls && a->line == b->line;
}

static void note_diff(struct cmp *m, struct content *ct, uint64_t s, uint64_t e,
		      const struct stamp *st)
{
	struct run *r = &ct->diff;

	if (r->end != s || !same_stamp(&r->st[0], &st[0]) || !same_stamp(&r->st[1], &st[1]))
		flush_diff(m, ct);
	extend(r, s, e, 0);
	r->st[0] = st[0];
	r->st[1] = st[1];
}

static void note_bad(struct cmp *m, struct content *ct, int side, uint64_t s, uint64_t e,
		     int err)
{
	if (ct->bad[side].end != s || ct->bad[side].err != err)
		flush_bad(m, ct, side);
	extend(&ct->bad[side], s, e, err);
}

/* Does either side's block at pos hold stamps (only whole words count)? */
static bool block_stamped(struct cmp *m, size_t pos, uint64_t off, size_t blk)
{
	size_t words = blk & ~(size_t)7;

	for (int side = 0; side < 2 && words; side++) {
		uint64_t line;
		int cls = cowfs_stamp_classify(m->buf[side] + pos, words, off, &line);

		if (cls == COWFS_STAMP_LINE || cls == COWFS_STAMP_MIXED)
			return true;
	}
	return false;
}

/* One word (n < 8 only at the end of a file) at file offset x. */
static struct stamp word_stamp(const uint8_t *p, size_t n, uint64_t x)
{
	struct stamp st = { .cls = COWFS_STAMP_ZEROS };
	uint64_t le;

	for (size_t i = 0; i < n; i++)
		if (p[i])
			st.cls = COWFS_STAMP_NONE;
	if (st.cls == COWFS_STAMP_NONE && n == 8) {
		memcpy(&le, p, 8);
		if (cowfs_stamp_decode(le64toh(le), x, &st.line))
			st.cls = COWFS_STAMP_LINE;
	}
	return st;
}

/* A stamped block, word by word: each differing stretch with what both sides hold. */
static void compare_words(struct cmp *m, struct content *ct, size_t pos, uint64_t at, size_t blk)
{
	for (size_t w = 0; w < blk; w += 8) {
		size_t n = blk - w < 8 ? blk - w : 8;
		struct stamp st[2];

		if (!memcmp(m->buf[0] + pos + w, m->buf[1] + pos + w, n))
			continue;
		st[0] = word_stamp(m->buf[0] + pos + w, n, at + w);
		st[1] = word_stamp(m->buf[1] + pos + w, n, at + w);
		note_diff(m, ct, at + w, at + w + n, st);
	}
}

/* Bytes [base, base + len) of the buffers, which hold file bytes from off - base. */
static void compare_bytes(struct cmp *m, struct content *ct, uint64_t off, size_t base,
			  size_t len)
{
	static const struct stamp plain[2] = { { COWFS_STAMP_NONE, 0 }, { COWFS_STAMP_NONE, 0 } };

	for (size_t pos = base; pos < base + len; pos += COWFS_BLOCK_SIZE) {
		size_t blk = base + len - pos < COWFS_BLOCK_SIZE ? base + len - pos : COWFS_BLOCK_SIZE;
		uint64_t at = off + (pos - base);

		if (!memcmp(m->buf[0] + pos, m->buf[1] + pos, blk))
			continue;
		if (block_stamped(m, pos, at, blk))
			compare_words(m, ct, pos, at, blk);
		else
			note_diff(m, ct, at, at + blk, plain);
	}
}

/* After a failed read of a chunk: block by block, to say exactly what is unreadable. */
static void compare_blocks(struct cmp *m, struct content *ct, uint64_t off, size_t len)
{
	for (size_t pos = 0; pos < len; pos += COWFS_BLOCK_SIZE) {
		size_t blk = len - pos < COWFS_BLOCK_SIZE ? len - pos : COWFS_BLOCK_SIZE;
		int ok = 1;

		for (int side = 0; side < 2; side++) {
			int ret = cowfs_read_file(m->fs[side], ct->ino[side], off + pos,
						  m->buf[side] + pos, blk, NULL);

			if (ret < 0) {
				note_bad(m, ct, side, off + pos, off + pos + blk, ret);
				ok = 0;
			}
		}
		if (ok)
			compare_bytes(m, ct, off + pos, pos, blk);
		else
			flush_diff(m, ct);
	}
}

/* How many bytes from off are a hole in both files (0: not a hole in one of them). */
static uint64_t common_hole(struct cmp *m, uint64_t ia, uint64_t ib, uint64_t off)
{
	struct cowfs_extent_map ea, eb;
	uint64_t ra, rb;

	if (cowfs_get_extent(m->fs[0], ia, off, &ea) < 0 || ea.disk_bytenr ||
	    cowfs_get_extent(m->fs[1], ib, off, &eb) < 0 || eb.disk_bytenr ||
	    ea.file_off > off || eb.file_off > off)
		return 0;
	ra = ea.len - (off - ea.file_off);
	rb = eb.len - (off - eb.file_off);
	if (ea.len < off - ea.file_off || eb.len < off - eb.file_off)
		return 0;
	return (ra < rb ? ra : rb) & ~(uint64_t)(COWFS_BLOCK_SIZE - 1);
}

static void compare_contents(struct cmp *m, const char *path, uint64_t ia, uint64_t ib,
			     uint64_t size)
{
	struct content ct = { .path = path, .ino = { ia, ib } };

	for (uint64_t off = 0; off < size;) {
		size_t len = size - off < CHUNK ? (size_t)(size - off) : CHUNK;
		uint64_t hole = common_hole(m, ia, ib, off);

		if (hole) {
			/* A damaged size may claim exabytes: holes are skipped, not read. */
			off += hole < size - off ? hole : size - off;
			continue;
		}
		if (cowfs_read_file(m->fs[0], ia, off, m->buf[0], len, NULL) == 0 &&
		    cowfs_read_file(m->fs[1], ib, off, m->buf[1], len, NULL) == 0)
			compare_bytes(m, &ct, off, 0, len);
		else
			compare_blocks(m, &ct, off, len);
		off += len;
	}
	flush_diff(m, &ct);
	flush_bad(m, &ct, 0);
	flush_bad(m, &ct, 1);
}

/* ---- extent layout ---- */

static int same_mapping(const struct cowfs_extent_map *a, const struct cowfs_extent_map *b)
{
	if (!a->disk_bytenr || !b->disk_bytenr)
		return !a->disk_bytenr && !b->disk_bytenr && a->len == b->len;
	return a->len == b->len && a->disk_bytenr == b->disk_bytenr &&
	       a->disk_num_bytes == b->disk_num_bytes && a->offset == b->offset &&
	       a->ram_bytes == b->ram_bytes && a->compression == b->compression;
}

static void describe(char *buf, size_t size, const struct cowfs_extent_map *em, uint64_t limit)
{
	uint64_t len = em->len > limit - em->file_off ? limit - em->file_off : em->len;

	if (!em->disk_bytenr)
		snprintf(buf, size, "hole of %" PRIu64, len);
	else
		snprintf(buf, size, "%" PRIu64 " bytes at disk %" PRIu64 "+%" PRIu64 " offset %"
			 PRIu64 "%s", len, em->disk_bytenr, em->disk_num_bytes, em->offset,
			 em->compression ? " zstd" : "");
}

static void compare_layout(struct cmp *m, const char *path, uint64_t ia, uint64_t ib,
			   uint64_t limit)
{
	for (uint64_t off = 0; off < limit;) {
		struct cowfs_extent_map ea, eb;
		struct cowfs_difference d = { .kind = COWFS_DIFF_LAYOUT, .path = path,
					      .start = off };
		char da[128], db[128];
		uint64_t end_a, end_b;

		if (cowfs_get_extent(m->fs[0], ia, off, &ea) < 0 ||
		    cowfs_get_extent(m->fs[1], ib, off, &eb) < 0 ||
		    ea.file_off > off || eb.file_off > off || ea.len == 0 || eb.len == 0)
			return;		/* unreadable maps show up as unreadable contents */
		end_a = ea.len > UINT64_MAX - ea.file_off ? UINT64_MAX : ea.file_off + ea.len;
		end_b = eb.len > UINT64_MAX - eb.file_off ? UINT64_MAX : eb.file_off + eb.len;
		if (ea.file_off != eb.file_off || !same_mapping(&ea, &eb)) {
			d.end = end_a < end_b ? end_a : end_b;
			if (d.end > limit)
				d.end = limit;
			describe(da, sizeof(da), &ea, limit);
			describe(db, sizeof(db), &eb, limit);
			differ(m, &d, "%s [%" PRIu64 ", %" PRIu64
			       "): extent layout differs: A %s, B %s", path, d.start, d.end, da, db);
		}
		off = end_a < end_b ? end_a : end_b;
	}
}

static void compare_file(struct cmp *m, const char *path, uint64_t ia, uint64_t ib)
{
	struct cowfs_inode a, b;
	struct cowfs_difference d = { .kind = COWFS_DIFF_UNREADABLE, .path = path };
	int ret;

	ret = cowfs_read_inode(m->fs[0], ia, &a);
	if (ret == 0) {
		ret = cowfs_read_inode(m->fs[1], ib, &b);
		d.a = 1;
	}
	if (ret < 0) {
		d.err = ret;
		differ(m, &d, "%s: cannot read inode in %s: %s", path, d.a ? "B" : "A",
		       cowfs_strerror(ret));
		return;
	}
	if (a.size != b.size) {
		d = (struct cowfs_difference){ .kind = COWFS_DIFF_SIZE, .path = path,
					       .a = a.size, .b = b.size };
		differ(m, &d, "%s: size %" PRIu64 " != %" PRIu64, path, a.size, b.size);
	}
	compare_contents(m, path, ia, ib, a.size < b.size ? a.size : b.size);
	if (m->flags & COWFS_COMPARE_LAYOUT) {
		uint64_t max = a.size > b.size ? a.size : b.size;

		max = (max + COWFS_BLOCK_SIZE - 1) & ~(uint64_t)(COWFS_BLOCK_SIZE - 1);
		compare_layout(m, path, ia, ib, max);
	}
}

/* ---- directories ---- */

static int compare_dir(struct cmp *m, const char *path, uint64_t ia, uint64_t ib);

static int read_listing(struct cmp *m, int side, const char *path, uint64_t ino,
			struct listing *l)
{
	int ret = cowfs_readdir(m->fs[side], ino, add_entry, l);
	struct cowfs_difference d = { .kind = COWFS_DIFF_UNREADABLE, .path = path,
				      .a = (uint64_t)side, .err = ret };

	if (ret == -ENOMEM)
		return ret;
	if (ret < 0)
		differ(m, &d, "%s: cannot read directory in %s: %s", path, side ? "B" : "A",
		       cowfs_strerror(ret));
	VEC_SORT(l->e, cmp_entry);
	return 0;
}

static int compare_pair(struct cmp *m, const char *path, const struct entry *a,
			const struct entry *b)
{
	struct cowfs_difference d = { .kind = COWFS_DIFF_TYPE, .path = path,
				      .a = (uint64_t)a->type, .b = (uint64_t)b->type };

	if (a->type != b->type) {
		differ(m, &d, "%s: %s in A, %s in B", path, type_name(a->type), type_name(b->type));
		return 0;
	}
	if (a->type == COWFS_FT_DIR)
		return compare_dir(m, path, a->ino, b->ino);
	compare_file(m, path, a->ino, b->ino);
	return 0;
}

static int merge_listings(struct cmp *m, const char *path, struct listing *la,
			  struct listing *lb)
{
	size_t i = 0, j = 0;
	int ret = 0;

	while (ret == 0 && (i < la->e.n || j < lb->e.n)) {
		int c = i == la->e.n ? 1 : j == lb->e.n ? -1 :
			strcmp(la->e.a[i].name, lb->e.a[j].name);
		const char *name = c <= 0 ? la->e.a[i].name : lb->e.a[j].name;
		char *sub = join(path, name);
		struct cowfs_difference d = { .kind = c < 0 ? COWFS_DIFF_ONLY_A : COWFS_DIFF_ONLY_B,
					      .path = sub };

		if (!sub)
			return -ENOMEM;
		if (c)
			differ(m, &d, "%s: only in %s", sub, c < 0 ? "A" : "B");
		else
			ret = compare_pair(m, sub, &la->e.a[i], &lb->e.a[j]);
		free(sub);
		i += c <= 0;
		j += c >= 0;
	}
	return ret;
}

static int compare_dir(struct cmp *m, const char *path, uint64_t ia, uint64_t ib)
{
	struct listing la = { 0 }, lb = { 0 };
	int ret;

	/* A directory seen before (a loop in a damaged image) is not walked again. */
	ret = u64set_add(&m->seen[0], ia);
	if (ret > 0)
		ret = u64set_add(&m->seen[1], ib);
	if (ret <= 0)
		return ret;
	ret = read_listing(m, 0, path, ia, &la);
	if (ret == 0)
		ret = read_listing(m, 1, path, ib, &lb);
	if (ret == 0)
		ret = merge_listings(m, path, &la, &lb);
	free_listing(&la);
	free_listing(&lb);
	return ret;
}

int cowfs_compare(const char *a, const char *b, unsigned flags, cowfs_diff_fn fn, void *arg)
{
	struct cmp m = { .flags = flags, .fn = fn, .arg = arg };
	int ret;

	ret = cowfs_open(a, 0, &m.fs[0]);
	if (ret == 0)
		ret = cowfs_open(b, 0, &m.fs[1]);
	if (ret == 0) {
		m.buf[0] = malloc(CHUNK);
		m.buf[1] = malloc(CHUNK);
		ret = m.buf[0] && m.buf[1] ? 0 : -ENOMEM;
	}
	if (ret == 0)
		ret = compare_dir(&m, "/", COWFS_ROOT_INO, COWFS_ROOT_INO);
	free(m.buf[0]);
	free(m.buf[1]);
	u64set_free(&m.seen[0]);
	u64set_free(&m.seen[1]);
	if (m.fs[1])
		cowfs_close(m.fs[1]);
	if (m.fs[0])
		cowfs_close(m.fs[0]);
	return ret < 0 ? ret : m.count;
}
