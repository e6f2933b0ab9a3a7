/* The disk layer's core: the COW B+tree, space accounting, commits, and
 * crash consistency of a commit cut short after every single block write. */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "cowfs/disk.h"
#include "disk/alloc.h"
#include "disk/ctree.h"
#include "disk/dev.h"
#include "disk/fs.h"
#include "testlib.h"

static char image[4096];

static void setup(void)
{
	struct cowfs_mkfs_opts o = { .size = 64ull << 20 };

	ck_assert_int_eq(testlib_temp_image(image, sizeof(image), "disk", &o), 0);
}

static void teardown(void)
{
	unlink(image);
}

static cowfs_fs *open_rw(void)
{
	cowfs_fs *fs = NULL;

	ck_assert_int_eq(cowfs_open(image, COWFS_OPEN_RDWR, &fs), 0);
	return fs;
}

/* Item i: a csum item (the tree checker knows its shape) at key offset (i + 1) * 4096,
 * of a size that varies with i and salt. */
static uint32_t item_size(uint64_t i, unsigned salt)
{
	return (uint32_t)(4 * (1 + (i * 37 + salt) % 75));
}

static void item_data(uint64_t i, unsigned salt, uint8_t *buf, uint32_t size)
{
	for (uint32_t j = 0; j < size; j++)
		buf[j] = (uint8_t)(i * 13 + j + salt);
}

static struct cowfs_key item_key(uint64_t i)
{
	struct cowfs_key k = { COWFS_CSUM_OBJECTID, COWFS_EXTENT_CSUM, (i + 1) * 4096 };

	return k;
}

static void check_items(cowfs_fs *fs, const uint8_t *present, const unsigned *salt, uint64_t n)
{
	struct cowfs_key k = { 0, 0, 0 }, got;
	struct cowfs_path p;
	uint8_t want[300];
	uint64_t i = 0, seen = 0;
	int ret;

	/* Every present item, in key order, with its data; nothing else. */
	path_init(&p);
	k = item_key(0);
	ret = search_forward(&fs->csum_root, &k, &p);
	while (ret == 0) {
		eb_item_key(p.nodes[0], p.slots[0], &got);
		while (i < n && !present[i])
			i++;
		ck_assert_uint_lt(i, n);
		k = item_key(i);
		ck_assert_int_eq(cowfs_key_cmp(&k, &got), 0);
		ck_assert_uint_eq(eb_item_size(p.nodes[0], p.slots[0]), item_size(i, salt[i]));
		item_data(i, salt[i], want, item_size(i, salt[i]));
		ck_assert_int_eq(memcmp(eb_item_ptr(p.nodes[0], p.slots[0]), want,
					item_size(i, salt[i])), 0);
		seen++;
		i++;
		ret = next_item(&fs->csum_root, &p);
	}
	ck_assert_int_ge(ret, 0);
	path_release(fs, &p);
	for (; i < n; i++)
		ck_assert(!present[i]);
	(void)seen;
}

START_TEST(test_tree_random)
{
	enum { N = 6000 };
	static uint8_t present[N];
	static unsigned salt[N];
	uint8_t buf[300];
	cowfs_fs *fs = open_rw();
	uint64_t free0 = cowfs_free_bytes(fs);
	unsigned seed = 12345;

	memset(present, 0, sizeof(present));
	for (int round = 0; round < 4; round++) {
		for (int op = 0; op < 8000; op++) {
			uint64_t i = (uint64_t)rand_r(&seed) % N;
			struct cowfs_key k = item_key(i);

			if (present[i] && rand_r(&seed) % 3 == 0) {
				ck_assert_int_eq(delete_item(&fs->csum_root, &k), 0);
				present[i] = 0;
			} else if (present[i]) {
				salt[i] = (unsigned)rand_r(&seed) % 100;
				item_data(i, salt[i], buf, item_size(i, salt[i]));
				ck_assert_int_eq(update_item(&fs->csum_root, &k, buf,
							     item_size(i, salt[i])), 0);
			} else {
				salt[i] = (unsigned)rand_r(&seed) % 100;
				item_data(i, salt[i], buf, item_size(i, salt[i]));
				ck_assert_int_eq(insert_item(&fs->csum_root, &k, buf,
							     item_size(i, salt[i])), 0);
				ck_assert_int_eq(insert_item(&fs->csum_root, &k, buf, 4), -EEXIST);
				present[i] = 1;
			}
		}
		check_items(fs, present, salt, N);
		ck_assert_int_eq(cowfs_commit(fs), 0);
		cowfs_close(fs);
		fs = open_rw();
		check_items(fs, present, salt, N);
	}
	/* Delete everything: after two commits (the pins released) space is back. */
	for (uint64_t i = 0; i < N; i++) {
		struct cowfs_key k = item_key(i);

		if (present[i])
			ck_assert_int_eq(delete_item(&fs->csum_root, &k), 0);
		present[i] = 0;
	}
	check_items(fs, present, salt, N);
	ck_assert_int_eq(cowfs_commit(fs), 0);
	{
		/* One more change so the next commit releases the previous one's pins. */
		struct cowfs_key k = item_key(0);

		ck_assert_int_eq(insert_item(&fs->csum_root, &k, "xxxx", 4), 0);
		ck_assert_int_eq(cowfs_commit(fs), 0);
		ck_assert_int_eq(delete_item(&fs->csum_root, &k), 0);
		ck_assert_int_eq(cowfs_commit(fs), 0);
	}
	ck_assert_uint_eq(cowfs_free_bytes(fs), free0);
	cowfs_close(fs);
}
END_TEST

START_TEST(test_readonly_refuses_changes)
{
	cowfs_fs *fs = NULL;
	struct cowfs_key k = item_key(1);

	ck_assert_int_eq(cowfs_open(image, 0, &fs), 0);
	ck_assert_int_eq(insert_item(&fs->csum_root, &k, "xxxx", 4), -EROFS);
	ck_assert_int_eq(cowfs_commit(fs), -EROFS);
	cowfs_close(fs);
}
END_TEST

START_TEST(test_close_without_commit_loses_changes)
{
	cowfs_fs *fs = open_rw();
	struct cowfs_key k = item_key(5);
	char buf[8];

	ck_assert_int_eq(insert_item(&fs->csum_root, &k, "abcd", 4), 0);
	cowfs_close(fs);
	fs = open_rw();
	ck_assert_int_eq(lookup_item(&fs->csum_root, &k, buf, sizeof(buf)), -ENOENT);
	cowfs_close(fs);
}
END_TEST

START_TEST(test_second_writer_refused)
{
	cowfs_fs *a = open_rw(), *b = NULL;

	ck_assert_int_eq(cowfs_open(image, COWFS_OPEN_RDWR, &b), -COWFS_ELOCKED);
	cowfs_close(a);
}
END_TEST

/* Fill the tree with generation g's items: keys 0..n, data derived from g. */
static void write_generation(cowfs_fs *fs, unsigned g, uint64_t n)
{
	uint8_t buf[300];

	for (uint64_t i = 0; i < n; i++) {
		struct cowfs_key k = item_key(i);

		item_data(i, g, buf, item_size(i, g));
		if (g == 0)
			ck_assert_int_eq(insert_item(&fs->csum_root, &k, buf, item_size(i, g)), 0);
		else
			ck_assert_int_eq(update_item(&fs->csum_root, &k, buf, item_size(i, g)), 0);
	}
}

/* Which generation's items the image holds: g, or -1 if it is neither/mixed. */
static int image_generation(cowfs_fs *fs, uint64_t n, unsigned g0, unsigned g1)
{
	uint8_t buf[300], want[300];
	int gen = -1;

	for (uint64_t i = 0; i < n; i++) {
		struct cowfs_key k = item_key(i);
		int size = lookup_item(&fs->csum_root, &k, buf, sizeof(buf));
		int match = -1;
		unsigned gs[2] = { g0, g1 };

		for (int c = 0; c < 2; c++) {
			item_data(i, gs[c], want, item_size(i, gs[c]));
			if (size == (int)item_size(i, gs[c]) && !memcmp(buf, want, (size_t)size))
				match = (int)gs[c];
		}
		if (match < 0 || (gen >= 0 && match != gen))
			return -1;
		gen = match;
	}
	return gen;
}

START_TEST(test_commit_cut_at_every_block)
{
	const uint64_t n = 400;
	uint64_t total;
	cowfs_fs *fs = open_rw();

	write_generation(fs, 0, n);
	ck_assert_int_eq(cowfs_commit(fs), 0);
	cowfs_close(fs);

	/* Measure how many blocks the next commit writes. */
	fs = open_rw();
	write_generation(fs, 1, n);
	{
		uint64_t before = cowfs_blocks_written(fs);

		ck_assert_int_eq(cowfs_commit(fs), 0);
		total = cowfs_blocks_written(fs) - before;
	}
	cowfs_close(fs);
	ck_assert_uint_gt(total, 4);

	/* Generation 1 is durable.  Now cut commit 2 after every block count. */
	for (uint64_t cut = 0; cut <= total + 1; cut++) {
		int got;

		fs = open_rw();
		write_generation(fs, 2 + (unsigned)cut, n);
		cowfs_set_write_limit(fs, (int64_t)cut);
		cowfs_commit(fs);
		cowfs_close(fs);

		fs = open_rw();
		got = image_generation(fs, n, 1, 2 + (unsigned)cut);
		ck_assert_msg(got >= 0, "cut after %llu blocks: neither commit", (unsigned long long)cut);
		if (got != 1) {
			/* The new commit landed: make the next round start from generation 1 again. */
			write_generation(fs, 1, n);
			ck_assert_int_eq(cowfs_commit(fs), 0);
		}
		cowfs_close(fs);
	}
}
END_TEST

START_TEST(test_mkfs_too_small)
{
	struct cowfs_mkfs_opts o = { .size = 1 << 20 };

	ck_assert_int_eq(cowfs_mkfs(image, &o), -ENOSPC);
}
END_TEST

/* ---- readahead ---- */

START_TEST(test_readahead_file)
{
	struct cowfs_dev dev;
	uint8_t a[4096], b[4096];

	ck_assert_int_eq(dev_open(&dev, image, 0), 0);
	ck_assert_int_ge(dev.fd, 0);
	ck_assert_int_eq(dev_pread(&dev, a, sizeof(a), 65536), 0);
	ck_assert_int_eq(dev_readahead(&dev, 0, dev.size), 0);
	ck_assert_int_eq(dev_readahead(&dev, 65536, 1 << 20), 0);
	ck_assert_int_eq(dev_readahead(&dev, 0, 0), 0);
	/* Past the end: clipped to the device.  Unclipped, the last three would not
	 * fit an off_t and posix_fadvise would never see them (-EINVAL). */
	ck_assert_int_eq(dev_readahead(&dev, dev.size - 4096, 1 << 20), 0);
	ck_assert_int_eq(dev_readahead(&dev, dev.size, 4096), 0);
	ck_assert_int_eq(dev_readahead(&dev, UINT64_MAX, UINT64_MAX), 0);
	ck_assert_int_eq(dev_readahead(&dev, 4096, UINT64_MAX), 0);
	ck_assert_int_eq(dev_readahead(&dev, 0, (uint64_t)INT64_MAX + 1), 0);
	/* A hint: it changes nothing that is read, and writes nothing. */
	ck_assert_int_eq(dev_pread(&dev, b, sizeof(b), 65536), 0);
	ck_assert_mem_eq(a, b, sizeof(a));
	ck_assert_uint_eq(dev.blocks_written, 0);
	dev_close(&dev);
}
END_TEST

/* The kernel's refusal reaches the caller: a pipe has no page cache to read into. */
START_TEST(test_readahead_error_returned)
{
	struct cowfs_dev dev = { .fd = -1, .size = 1 << 20, .write_limit = -1 };
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	dev.fd = p[0];
	ck_assert_int_eq(dev_readahead(&dev, 0, 4096), -ESPIPE);
	ck_assert_int_eq(dev_readahead(&dev, dev.size, 4096), 0);	/* clipped to nothing */
	close(p[0]);
	close(p[1]);
}
END_TEST

/* A zstd image lives in memory: readahead has nothing to do and must not fail. */
START_TEST(test_readahead_zstd_in_memory)
{
	enum { N = 1 << 20 };
	uint8_t *raw = malloc(N), *z = malloc(ZSTD_compressBound(N)), buf[4096];
	char zpath[4096];
	struct cowfs_dev dev;
	size_t zlen;
	FILE *f;

	ck_assert_ptr_nonnull(raw);
	ck_assert_ptr_nonnull(z);
	for (size_t i = 0; i < N; i++)
		raw[i] = (uint8_t)(i * 7 + (i >> 12));
	zlen = ZSTD_compress(z, ZSTD_compressBound(N), raw, N, 1);
	ck_assert(!ZSTD_isError(zlen));
	ck_assert_int_eq(testlib_temp_file(zpath, sizeof(zpath), "disk-zst"), 0);
	f = fopen(zpath, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(z, 1, zlen, f), zlen);
	ck_assert_int_eq(fclose(f), 0);

	ck_assert_int_eq(dev_open(&dev, zpath, 0), 0);
	ck_assert_int_eq(dev.fd, -1);
	ck_assert_ptr_nonnull(dev.mem);
	ck_assert_uint_eq(dev.size, N);
	ck_assert_int_eq(dev_readahead(&dev, 0, N), 0);
	ck_assert_int_eq(dev_readahead(&dev, 4096, UINT64_MAX), 0);
	ck_assert_int_eq(dev_readahead(&dev, UINT64_MAX, 1), 0);
	ck_assert_int_eq(dev.fd, -1);
	ck_assert_int_eq(dev_pread(&dev, buf, sizeof(buf), N - sizeof(buf)), 0);
	ck_assert_mem_eq(buf, raw + N - sizeof(buf), sizeof(buf));
	dev_close(&dev);
	ck_assert_int_eq(dev_open(&dev, zpath, 1), -EROFS);
	unlink(zpath);
	free(z);
	free(raw);
}
END_TEST

/* ---- the allocator against a reference model ---- */

/*
 * The reference keeps free space as a sorted array of disjoint, non-adjacent
 * ranges and scans it; alloc.c keeps the same set in an augmented rbtree.  The
 * set, not the tree's shape, decides every choice, so both must agree exactly.
 */
struct ref_range {
	uint64_t start, len;
};

struct ref {
	struct ref_range *r, *pinned;
	size_t n, npinned;
	uint64_t free_bytes, cursor;
};

/* The first index whose range starts at or after start. */
static size_t ref_lower(const struct ref *m, uint64_t start)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->r[mid].start < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void ref_insert_at(struct ref *m, size_t i, uint64_t start, uint64_t len)
{
	memmove(&m->r[i + 1], &m->r[i], (m->n - i) * sizeof(m->r[0]));
	m->r[i] = (struct ref_range){ start, len };
	m->n++;
}

static void ref_remove_at(struct ref *m, size_t i)
{
	memmove(&m->r[i], &m->r[i + 1], (m->n - i - 1) * sizeof(m->r[0]));
	m->n--;
}

static void ref_free(struct ref *m, uint64_t start, uint64_t len)
{
	size_t i = ref_lower(m, start);
	struct ref_range *prev = i ? &m->r[i - 1] : NULL;
	int merge_prev = prev && prev->start + prev->len == start;
	int merge_next = i < m->n && start + len == m->r[i].start;

	m->free_bytes += len;
	if (merge_prev && merge_next) {
		prev->len += len + m->r[i].len;
		ref_remove_at(m, i);
	} else if (merge_prev) {
		prev->len += len;
	} else if (merge_next) {
		m->r[i].start = start;
		m->r[i].len += len;
	} else {
		ref_insert_at(m, i, start, len);
	}
}

/* The first range of [from, n) at least len long, or n. */
static size_t ref_scan(const struct ref *m, size_t from, uint64_t len)
{
	while (from < m->n && m->r[from].len < len)
		from++;
	return from;
}

/* alloc_range()'s rule: the rest of the range holding the cursor, else the first
 * range at or after the cursor that fits, else the first that fits at all. */
static int ref_alloc(struct ref *m, uint64_t len, uint64_t *bytenr)
{
	size_t i = ref_lower(m, m->cursor), j;
	struct ref_range *r;
	uint64_t from;

	if (!len || len % COWFS_BLOCK_SIZE)
		return -EINVAL;
	r = i ? &m->r[i - 1] : NULL;
	if (r && r->start + r->len > m->cursor && r->start + r->len - m->cursor >= len) {
		j = i - 1;
		from = m->cursor;
	} else if ((j = ref_scan(m, i, len)) < m->n || (j = ref_scan(m, 0, len)) < m->n) {
		from = m->r[j].start;
	} else {
		return -ENOSPC;
	}
	r = &m->r[j];
	if (from == r->start) {
		r->start += len;
		r->len -= len;
		if (!r->len)
			ref_remove_at(m, j);
	} else {
		uint64_t tail = r->start + r->len - (from + len);

		r->len = from - r->start;
		if (tail)
			ref_insert_at(m, j + 1, from + len, tail);
	}
	m->free_bytes -= len;
	m->cursor = from + len;
	*bytenr = from;
	return 0;
}

static uint64_t xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* Where the choice turns: the rest of the range holding the cursor, else the
 * length of the next range after it. */
static uint64_t ref_rest_at_cursor(const struct ref *m)
{
	size_t i = ref_lower(m, m->cursor);

	if (i && m->r[i - 1].start + m->r[i - 1].len > m->cursor)
		return m->r[i - 1].start + m->r[i - 1].len - m->cursor;
	return i < m->n ? m->r[i].len : 0;
}

static uint64_t ref_longest(const struct ref *m)
{
	uint64_t max = 0;

	for (size_t i = 0; i < m->n; i++)
		if (m->r[i].len > max)
			max = m->r[i].len;
	return max;
}

/* Mostly a few blocks, sometimes many; now and then exactly where the choice
 * turns or a block either side of it, more than is free, or no block multiple. */
static uint64_t random_len(uint64_t *x, const struct ref *m, uint64_t total)
{
	uint64_t r = xorshift(x) % 200, edge;

	if (r < 130)
		return (1 + xorshift(x) % 8) * COWFS_BLOCK_SIZE;
	if (r < 175)
		return (1 + xorshift(x) % 128) * COWFS_BLOCK_SIZE;
	if (r < 180)
		return (1 + xorshift(x) % (total / COWFS_BLOCK_SIZE)) * COWFS_BLOCK_SIZE;
	if (r < 198) {
		edge = r < 190 ? ref_rest_at_cursor(m) : ref_longest(m);
		edge += (xorshift(x) % 3) * COWFS_BLOCK_SIZE;
		return edge > COWFS_BLOCK_SIZE ? edge - COWFS_BLOCK_SIZE : COWFS_BLOCK_SIZE;
	}
	if (r < 199)
		return total + COWFS_BLOCK_SIZE;
	return xorshift(x) % 2 ? 0 : 1 + xorshift(x) % (COWFS_BLOCK_SIZE - 1);
}

/* Take a random allocated piece, or half the time a random block-aligned part
 * of one (the rest stays allocated): free space fragments but does not fill up.
 * Now and then the newest piece, so that the cursor ends up inside free space. */
static struct ref_range take_part(struct ref_range *pieces, size_t *n, uint64_t *x)
{
	size_t k = xorshift(x) % 8 ? xorshift(x) % *n : *n - 1;
	struct ref_range p = pieces[k];
	uint64_t blocks = p.len / COWFS_BLOCK_SIZE;
	uint64_t a = xorshift(x) % blocks, b = a + 1 + xorshift(x) % (blocks - a);

	if (xorshift(x) % 2) {
		a = 0;
		b = blocks;
	}
	if (a)
		pieces[k].len = a * COWFS_BLOCK_SIZE;
	else
		pieces[k] = pieces[--*n];
	if (b < blocks)
		pieces[(*n)++] = (struct ref_range){ p.start + b * COWFS_BLOCK_SIZE,
						     (blocks - b) * COWFS_BLOCK_SIZE };
	return (struct ref_range){ p.start + a * COWFS_BLOCK_SIZE, (b - a) * COWFS_BLOCK_SIZE };
}

static void ref_unpin_all(struct ref *m)
{
	for (size_t i = 0; i < m->npinned; i++)
		ref_free(m, m->pinned[i].start, m->pinned[i].len);
	m->npinned = 0;
}

#define ALLOC_BASE	COWFS_RESERVED_BYTES
#define ALLOC_TOTAL	(8192ull * COWFS_BLOCK_SIZE)
#define ALLOC_OPS	200000

/* One random operation on both; the same result and the same accounting after it. */
static void alloc_step(struct cowfs_fs *fs, struct ref *m, struct ref_range *pieces, size_t *n,
		       uint64_t *x, long op)
{
	uint64_t r = xorshift(x) % 1000, len, got = 0, want = 0, cursor = fs->alloc_cursor;
	struct ref_range part;

	if (r < 450 || !*n) {
		int ret, ref_ret;

		len = random_len(x, m, ALLOC_TOTAL);
		ret = alloc_range(fs, len, &got);
		ref_ret = ref_alloc(m, len, &want);
		ck_assert_msg(ret == ref_ret && got == want,
			      "op %ld: alloc %llu from cursor %llu: got %d at %llu, reference %d at %llu",
			      op, (unsigned long long)len, (unsigned long long)cursor,
			      ret, (unsigned long long)got, ref_ret, (unsigned long long)want);
		if (ret == 0)
			pieces[(*n)++] = (struct ref_range){ got, len };
	} else if (r < 850) {
		part = take_part(pieces, n, x);
		free_range(fs, part.start, part.len);
		ref_free(m, part.start, part.len);
	} else if (r < 995) {
		part = take_part(pieces, n, x);
		pin_range(fs, part.start, part.len);
		m->pinned[m->npinned++] = part;
	} else {
		unpin_all(fs);
		ref_unpin_all(m);
	}
	ck_assert_msg(fs->free_bytes == m->free_bytes && fs->alloc_cursor == m->cursor,
		      "op %ld: free %llu cursor %llu, reference free %llu cursor %llu", op,
		      (unsigned long long)fs->free_bytes, (unsigned long long)fs->alloc_cursor,
		      (unsigned long long)m->free_bytes, (unsigned long long)m->cursor);
}

START_TEST(test_alloc_against_reference)
{
	const size_t max = ALLOC_TOTAL / COWFS_BLOCK_SIZE + 1;
	struct cowfs_fs *fs = calloc(1, sizeof(*fs));
	struct ref m = { .r = calloc(max, sizeof(*m.r)), .pinned = calloc(max, sizeof(*m.pinned)) };
	struct ref_range *pieces = calloc(max, sizeof(*pieces));
	uint64_t x = 0x9e3779b97f4a7c15ull, bytenr = 0;
	size_t n = 0;

	ck_assert(fs && m.r && m.pinned && pieces);
	fs_init_memory(fs);
	free_range(fs, ALLOC_BASE, ALLOC_TOTAL);
	fs->alloc_cursor = m.cursor = ALLOC_BASE;
	ref_free(&m, ALLOC_BASE, ALLOC_TOTAL);
	for (long op = 0; op < ALLOC_OPS; op++)
		alloc_step(fs, &m, pieces, &n, &x, op);

	/* Everything back: one range again, all of it allocatable at once, then nothing. */
	unpin_all(fs);
	ref_unpin_all(&m);
	while (n) {
		n--;
		free_range(fs, pieces[n].start, pieces[n].len);
		ref_free(&m, pieces[n].start, pieces[n].len);
	}
	ck_assert_uint_eq(fs->free_bytes, ALLOC_TOTAL);
	ck_assert_uint_eq(m.n, 1);
	ck_assert_int_eq(alloc_range(fs, ALLOC_TOTAL, &bytenr), 0);
	ck_assert_uint_eq(bytenr, ALLOC_BASE);
	ck_assert_int_eq(alloc_range(fs, COWFS_BLOCK_SIZE, &bytenr), -ENOSPC);
	ck_assert_uint_eq(fs->free_bytes, 0);
	free_space_destroy(fs);
	free(pieces);
	free(m.pinned);
	free(m.r);
	free(fs);
}
END_TEST

static Suite *disk_suite(void)
{
	Suite *s = suite_create("disk");
	TCase *tc = tcase_create("tree");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_tree_random);
	tcase_add_test(tc, test_readonly_refuses_changes);
	tcase_add_test(tc, test_close_without_commit_loses_changes);
	tcase_add_test(tc, test_second_writer_refused);
	tcase_add_test(tc, test_mkfs_too_small);
	suite_add_tcase(s, tc);
	tc = tcase_create("crash");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_commit_cut_at_every_block);
	suite_add_tcase(s, tc);
	tc = tcase_create("readahead");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_readahead_file);
	tcase_add_test(tc, test_readahead_error_returned);
	tcase_add_test(tc, test_readahead_zstd_in_memory);
	suite_add_tcase(s, tc);
	tc = tcase_create("alloc");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_alloc_against_reference);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return testlib_run(disk_suite());
}
