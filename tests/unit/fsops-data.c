/* The "fsops" suite, continued: file data, extents, checksums, compression. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cowfs/disk.h"
#include "disk/ctree.h"
#include "disk/dir.h"
#include "disk/file-item.h"
#include "util/crc32c.h"
#include "fsops.h"

/* ---- data ---- */

START_TEST(test_sizes)
{
	static const size_t sizes[] = { 0, 1, 4095, 4096, 4097, MiB + 3, 5 * MiB };
	enum { N = sizeof(sizes) / sizeof(sizes[0]) };
	cowfs_fs *fs = open_fs(COWFS_OPEN_RDWR);
	uint64_t ino[N];
	uint8_t *data[N];
	char name[16];

	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		ino[i] = create(fs, COWFS_ROOT_INO, name, S_IFREG | 0644);
		data[i] = random_bytes(sizes[i], (uint64_t)i + 1);
		ck_assert_int_eq(cowfs_write_file(fs, ino[i], 0, data[i], sizes[i]), 0);
	}
	fs = commit_reopen(fs, 0);
	for (int i = 0; i < N; i++) {
		struct cowfs_inode in = inode_of(fs, ino[i]);
		struct cowfs_extent_map em;

		ck_assert_uint_eq(in.size, sizes[i]);
		ck_assert_uint_eq(in.nbytes, (sizes[i] + 4095) / 4096 * 4096);
		assert_content(fs, ino[i], data[i], sizes[i]);
		/* every extent at most 1 MiB, uncompressed */
		for (uint64_t off = 0; off < sizes[i]; off += em.len) {
			ck_assert_int_eq(cowfs_get_extent(fs, ino[i], off, &em), 0);
			ck_assert_uint_eq(em.file_off, off);
			ck_assert_uint_ne(em.disk_bytenr, 0);
			ck_assert_uint_le(em.len, COWFS_MAX_EXTENT);
			ck_assert_int_eq(em.compression, COWFS_COMPRESS_NONE);
		}
		free(data[i]);
	}
	/* past the last extent: a hole to the end of the offsets */
	struct cowfs_extent_map em;
	ck_assert_int_eq(cowfs_get_extent(fs, ino[6], 5 * MiB, &em), 0);
	ck_assert_uint_eq(em.disk_bytenr, 0);
	ck_assert_uint_eq(em.len, UINT64_MAX - 5 * MiB);
	cowfs_close(fs);
}
END_TEST

/* Write buf to the file and to the model, then compare the whole file. */
static void write_both(cowfs_fs *fs, uint64_t ino, uint8_t *model, size_t *model_len,
		       uint64_t off, size_t len, uint64_t seed)
{
	uint8_t *buf = random_bytes(len, seed);

	ck_assert_int_eq(cowfs_write_file(fs, ino, off, buf, len), 0);
	if (off > *model_len)
		memset(model + *model_len, 0, off - *model_len);
	memcpy(model + off, buf, len);
	if (off + len > *model_len)
		*model_len = off + len;
	free(buf);
	ck_assert_uint_eq(inode_of(fs, ino).size, *model_len);
	assert_content(fs, ino, model, *model_len);
}

START_TEST(test_overwrite)
{
	cowfs_fs *fs = open_fs(COWFS_OPEN_RDWR);
	uint64_t f = create(fs, COWFS_ROOT_INO, "f", S_IFREG | 0644);
	uint8_t *model = calloc(1, 12 * MiB);
	size_t len = 0;

	write_both(fs, f, model, &len, 0, 3 * MiB, 1);
	write_both(fs, f, model, &len, 5000, 10000, 2);		/* unaligned, inside */
	write_both(fs, f, model, &len, MiB - 100, 200, 3);	/* across an extent edge */
	write_both(fs, f, model, &len, 40960, 4096, 4);		/* aligned block */
	write_both(fs, f, model, &len, 100, 10, 5);		/* inside one block */
	fs = commit_reopen(fs, COWFS_OPEN_RDWR);
	assert_content(fs, f, model, len);
	write_both(fs, f, model, &len, 3 * MiB - 10, 20, 6);	/* straddles EOF */
	write_both(fs, f, model, &len, 8 * MiB + 5, 7, 7);	/* past EOF: a hole */
	ck_assert_uint_eq(inode_of(fs, f).nbytes, 3 * MiB + 4096 + 4096);
	fs = commit_reopen(fs, 0);
	assert_content(fs, f, model, len);
	/* a partial read in the middle of an extent */
	uint8_t part[300];
	ck_assert_int_eq(cowfs_read_file(fs, f, MiB - 150, part, sizeof(part), NULL), 0);
	ck_assert_int_eq(memcmp(part, model + MiB - 150, sizeof(part)), 0);
	free(model);
	cowfs_close(fs);
}
END_TEST

/* Bytes past EOF left in the last block (truncate does not zero them) must not
 * reappear when a write past EOF extends the file. */
START_TEST(test_extend_zeroes_eof_block)
{
	cowfs_fs *fs = open_fs(COWFS_OPEN_RDWR);
	uint64_t f = create(fs, COWFS_ROOT_INO, "f", S_IFREG | 0644);
	uint8_t ones[8192], got[20001];

	memset(ones, 0xff, sizeof(ones));
	ck_assert_int_eq(cowfs_write_file(fs, f, 0, ones, sizeof(ones)), 0);
	ck_assert_int_eq(cowfs_truncate(fs, f, 5000), 0);
	ck_assert_int_eq(cowfs_write_file(fs, f, 20000, "z", 1), 0);
	ck_assert_int_eq(cowfs_read_file(fs, f, 0, got, sizeof(got), NULL), 0);
	for (size_t i = 0; i < sizeof(got) - 1; i++)
		ck_assert_uint_eq(got[i], i < 5000 ? 0xff : 0);
	ck_assert_uint_eq(got[20000], 'z');
	ck_assert_uint_eq(inode_of(fs, f).size, 20001);
	cowfs_close(fs);
}
END_TEST

START_TEST(test_truncate)
{
	cowfs_fs *fs = open_fs(COWFS_OPEN_RDWR);
	uint64_t f = create(fs, COWFS_ROOT_INO, "f", S_IFREG | 0644);
	uint8_t *data = random_bytes(3 * MiB, 9), *zeros = calloc(1, MiB), *got = malloc(MiB);
	struct cowfs_extent_map em;

	ck_assert_int_eq(cowfs_write_file(fs, f, 0, data, 3 * MiB), 0);
	ck_assert_int_eq(cowfs_truncate(fs, f, MiB + 5000), 0);
	ck_assert_uint_eq(inode_of(fs, f).size, MiB + 5000);
	ck_assert_uint_eq(inode_of(fs, f).nbytes, MiB + 8192);
	fs = commit_reopen(fs, COWFS_OPEN_RDWR);
	assert_content(fs, f, data, MiB + 5000);
	/* the extent holding the new EOF was cut at the next block */
	ck_assert_int_eq(cowfs_get_extent(fs, f, MiB, &em), 0);
	ck_assert_uint_eq(em.file_off, MiB);
	ck_assert_uint_eq(em.len, 8192);
	ck_assert_int_eq(cowfs_get_extent(fs, f, MiB + 8192, &em), 0);
	ck_assert_uint_eq(em.disk_bytenr, 0);
	/* grow: the new range is a hole */
	ck_assert_int_eq(cowfs_truncate(fs, f, 4 * MiB), 0);
	ck_assert_uint_eq(inode_of(fs, f).size, 4 * MiB);
	ck_assert_int_eq(cowfs_read_file(fs, f, 2 * MiB, got, MiB, NULL), 0);
	ck_assert_int_eq(memcmp(got, zeros, MiB), 0);
	ck_assert_int_eq(cowfs_truncate(fs, f, 0), 0);
	ck_assert_uint_eq(inode_of(fs, f).nbytes, 0);
	ck_assert_int_eq(cowfs_get_extent(fs, f, 0, &em), 0);
	ck_assert_uint_eq(em.disk_bytenr, 0);
	ck_assert_uint_eq(em.len, UINT64_MAX);
	ck_assert_int_eq(cowfs_truncate(fs, COWFS_ROOT_INO, 0), -EISDIR);
	free(data);
	free(zeros);
	free(got);
	cowfs_close(fs);
}
END_TEST

START_TEST(test_split_keeps_references)
{
	cowfs_fs *fs = open_fs(COWFS_OPEN_RDWR);
	uint64_t f = create(fs, COWFS_ROOT_INO, "f", S_IFREG | 0644);
	uint8_t *data = random_bytes(MiB, 3);
	uint32_t csums[256];
	struct cowfs_extent_map whole, head, tail;

	ck_assert_int_eq(cowfs_write_file(fs, f, 0, data, MiB), 0);
	ck_assert_int_eq(cowfs_get_extent(fs, f, 0, &whole), 0);
	fs = commit_reopen(fs, COWFS_OPEN_RDWR);
	ck_assert_uint_eq(extent_refs(fs, &whole), 1);
	ck_assert_int_eq(cowfs_lookup_csums(fs, whole.disk_bytenr, whole.disk_num_bytes, csums), 0);
	ck_assert_uint_eq(csums[1], cowfs_crc32c(data + 4096, 4096));

	/* punch the middle: two items on one disk extent, two references */
	ck_assert_int_eq(cowfs_drop_extents(fs, f, 8192, 16384), 0);
	ck_assert_uint_eq(inode_of(fs, f).nbytes, MiB - 8192);
	ck_assert_int_eq(cowfs_get_extent(fs, f, 0, &head), 0);
	ck_assert_int_eq(cowfs_get_extent(fs, f, 16384, &tail), 0);
	ck_assert_uint_eq(head.len, 8192);
	ck_assert_uint_eq(tail.file_off, 16384);
	ck_assert_uint_eq(tail.offset, 16384);
	ck_assert_uint_eq(tail.disk_bytenr, whole.disk_bytenr);
	ck_assert_int_eq(cowfs_drop_extents(fs, f, 4096, 8193), -EINVAL);
	fs = commit_reopen(fs, COWFS_OPEN_RDWR);
	ck_assert_uint_eq(extent_refs(fs, &whole), 2);
	memset(data + 8192, 0, 8192);
	assert_content(fs, f, data, MiB);

	/* cut the head of the tail and the tail of the head: still two */
	ck_assert_int_eq(cowfs_drop_extents(fs, f, 4096, 20480), 0);
	ck_assert_int_eq(cowfs_get_extent(fs, f, 20480, &tail), 0);
	ck_assert_uint_eq(tail.offset, 20480);
	fs = commit_reopen(fs, COWFS_OPEN_RDWR);
	ck_assert_uint_eq(extent_refs(fs, &whole), 2);
	/* drop all: the extent and its csums go */
	ck_assert_int_eq(cowfs_unlink(fs, COWFS_ROOT_INO, "f", 1), 0);
	fs = commit_reopen(fs, COWFS_OPEN_RDWR);
	ck_assert_uint_eq(extent_refs(fs, &whole), 0);
	ck_assert_int_eq(cowfs_lookup_csums(fs, whole.disk_bytenr, whole.disk_num_bytes, csums),
			 -ENOENT);
	free(data);
	cowfs_close(fs);
}
END_TEST

START_TEST(test_insert_file_extent_checks)
{
	cowfs_fs *fs = open_fs(COWFS_OPEN_RDWR);
	uint64_t f = create(fs, COWFS_ROOT_INO, "f", S_IFREG | 0644);
	uint64_t d = create(fs, COWFS_ROOT_INO, "d", S_IFDIR | 0755);
	uint32_t csums[2] = { 0, 0 };
	struct cowfs_extent_map em = { .file_off = 0, .len = 8192, .disk_num_bytes = 8192,
				       .ram_bytes = 8192 };
	uint8_t buf[8];

	ck_assert_int_eq(cowfs_reserve_extent(fs, 8192, &em.disk_bytenr), 0);
	em.file_off = 100;
	ck_assert_int_eq(cowfs_insert_file_extent(fs, f, &em, csums), -EINVAL);
	em.file_off = 0;
	em.offset = 4096;
	ck_assert_int_eq(cowfs_insert_file_extent(fs, f, &em, csums), -EINVAL);
	em.offset = 0;
	ck_assert_int_eq(cowfs_insert_file_extent(fs, f, &em, NULL), -EINVAL);
	ck_assert_int_eq(cowfs_insert_file_extent(fs, d, &em, csums), -EISDIR);
	ck_assert_int_eq(cowfs_write_file(fs, d, 0, "x", 1), -EISDIR);
	ck_assert_int_eq(cowfs_read_file(fs, d, 0, buf, 1, NULL), -EISDIR);
	ck_assert_int_eq(cowfs_read_file(fs, 999999, 0, buf, 1, NULL), -ENOENT);
	ck_assert_int_eq(cowfs_insert_file_extent(fs, f, &em, csums), 0);
	ck_assert_uint_eq(inode_of(fs, f).nbytes, 8192);
	/* the data was never written: its checksums (zeros) cannot match */
	ck_assert_int_eq(cowfs_read_file(fs, f, 0, buf, 1, NULL), -COWFS_ECSUM);
	cowfs_close(fs);
}
END_TEST

/* Items that break the format are reported, never trusted. */
START_TEST(test_bad_items_refused)
{
	cowfs_fs *fs = open_fs(COWFS_OPEN_RDWR);
	uint64_t f = create(fs, COWFS_ROOT_INO, "f", S_IFREG | 0644), ino;
	struct cowfs_key key = { f, COWFS_EXTENT_DATA, 0 };
	struct cowfs_file_extent good, bad;
	struct cowfs_extent_map em;
	uint8_t buf[8192], dir[64];
	int n;

	memset(buf, 1, sizeof(buf));
	ck_assert_int_eq(cowfs_write_file(fs, f, 0, buf, sizeof(buf)), 0);
	ck_assert_int_eq(lookup_item(&fs->fs_root, &key, &good, sizeof(good)), sizeof(good));
	for (int i = 0; i < 5; i++) {
		bad = good;
		if (i == 0)	/* past the disk extent */
			cowfs_set_file_extent_offset(&bad, 8192);
		if (i == 1)	/* past the device */
			cowfs_set_file_extent_disk_bytenr(&bad, UINT64_MAX - 4095);
		if (i == 2)	/* unaligned */
			cowfs_set_file_extent_num_bytes(&bad, 100);
		if (i == 3)
			bad.compression = 7;
		if (i == 4)	/* wraps the file offsets */
			cowfs_set_file_extent_num_bytes(&bad, UINT64_MAX - 4095);
		ck_assert_int_eq(update_item(&fs->fs_root, &key, &bad, sizeof(bad)), 0);
		ck_assert_int_eq(cowfs_read_file(fs, f, 0, buf, 10, NULL), -COWFS_ECORRUPT);
		ck_assert_int_eq(cowfs_get_extent(fs, f, 0, &em), -COWFS_ECORRUPT);
		ck_assert_int_eq(cowfs_drop_extents(fs, f, 0, 4096), -COWFS_ECORRUPT);
	}
	ck_assert_int_eq(update_item(&fs->fs_root, &key, &good, 10), 0);
	ck_assert_int_eq(cowfs_read_file(fs, f, 0, buf, 10, NULL), -COWFS_ECORRUPT);

	/* a csum item of the wrong size */
	ck_assert_int_eq(update_item(&fs->fs_root, &key, &good, sizeof(good)), 0);
	key = (struct cowfs_key){ COWFS_CSUM_OBJECTID, COWFS_EXTENT_CSUM,
				  cowfs_file_extent_disk_bytenr(&good) };
	ck_assert_int_eq(update_item(&fs->csum_root, &key, "abcd", 4), 0);
	ck_assert_int_eq(cowfs_read_file(fs, f, 0, buf, 10, NULL), -COWFS_ECORRUPT);

	/* a directory entry whose name runs past its item */
	key = (struct cowfs_key){ COWFS_ROOT_INO, COWFS_DIR_ITEM, cowfs_name_hash("f", 1) };
	n = lookup_item(&fs->fs_root, &key, dir, sizeof(dir));
	ck_assert_int_eq(n, (int)sizeof(struct cowfs_dir_entry) + 1);
	ck_assert_int_eq(update_item(&fs->fs_root, &key, dir, (uint32_t)n - 1), 0);
	ck_assert_int_eq(cowfs_lookup(fs, COWFS_ROOT_INO, "f", 1, &ino), -COWFS_ECORRUPT);
	ck_assert_int_eq(cowfs_unlink(fs, COWFS_ROOT_INO, "f", 1), -COWFS_ECORRUPT);
	ck_assert_int_eq(cowfs_readdir(fs, COWFS_ROOT_INO, collect, &(struct listing){ .n = 0 }),
			 -COWFS_ECORRUPT);
	cowfs_close(fs);	/* never committed */
}
END_TEST

/* ---- compression ---- */

START_TEST(test_compressed)
{
	cowfs_fs *fs = open_fs(COWFS_OPEN_RDWR);
	uint64_t text = create(fs, COWFS_ROOT_INO, "text", S_IFREG | 0644);
	uint64_t rnd = create(fs, COWFS_ROOT_INO, "random", S_IFREG | 0644);
	size_t tlen = MiB + 777, rlen = 512 * 1024 + 5, mlen;
	uint8_t *tdata = malloc(2 * MiB), *rdata = random_bytes(rlen, 21);
	struct cowfs_extent_map em;

	for (size_t i = 0; i < tlen; i++)
		tdata[i] = (uint8_t)"the quick brown fox jumps over the lazy dog\n"[i % 44];
	ck_assert_int_eq(cowfs_write_file(fs, text, 0, tdata, tlen), 0);
	ck_assert_int_eq(cowfs_write_file(fs, rnd, 0, rdata, rlen), 0);
	fs = commit_reopen(fs, COWFS_OPEN_RDWR);
	assert_content(fs, text, tdata, tlen);
	assert_content(fs, rnd, rdata, rlen);
	ck_assert_int_eq(cowfs_get_extent(fs, text, 200000, &em), 0);
	ck_assert_int_eq(em.compression, COWFS_COMPRESS_ZSTD);
	ck_assert_uint_eq(em.len, COWFS_MAX_COMPRESSED);
	ck_assert_uint_eq(em.ram_bytes, COWFS_MAX_COMPRESSED);
	ck_assert_uint_lt(em.disk_num_bytes, em.len);
	ck_assert_int_eq(cowfs_get_extent(fs, rnd, 200000, &em), 0);
	ck_assert_int_eq(em.compression, COWFS_COMPRESS_NONE);
	ck_assert_uint_eq(em.len, COWFS_MAX_COMPRESSED);
	ck_assert_uint_eq(inode_of(fs, rnd).nbytes, (rlen + 4095) / 4096 * 4096);

	/* an unaligned overwrite inside a compressed extent, and partial reads */
	mlen = tlen;
	write_both(fs, text, tdata, &mlen, 300001, 5000, 22);
	fs = commit_reopen(fs, 0);
	assert_content(fs, text, tdata, mlen);
	uint8_t part[100];
	ck_assert_int_eq(cowfs_read_file(fs, text, 262100, part, sizeof(part), NULL), 0);
	ck_assert_int_eq(memcmp(part, tdata + 262100, sizeof(part)), 0);
	free(tdata);
	free(rdata);
	cowfs_close(fs);
}
END_TEST

/* Flip one byte of the image at disk offset off. */
static void corrupt_image(uint64_t off)
{
	int fd = open(image, O_RDWR);
	uint8_t b;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, &b, 1, (off_t)off), 1);
	b ^= 0x40;
	ck_assert_int_eq(pwrite(fd, &b, 1, (off_t)off), 1);
	close(fd);
}

static void check_csum_detected(uint64_t file_off_bad, uint64_t expect_bad_off, int compressed)
{
	cowfs_fs *fs = open_fs(COWFS_OPEN_RDWR);
	uint64_t f = create(fs, COWFS_ROOT_INO, "f", S_IFREG | 0644);
	size_t len = 1024 * 1024;
	uint8_t *data = malloc(len), *got = malloc(len);
	uint64_t bad = 0;
	struct cowfs_extent_map em;

	for (size_t i = 0; i < len; i++)
		data[i] = compressed ? (uint8_t)(i / 512) : (uint8_t)(i * 7 + i / 4096);
	ck_assert_int_eq(cowfs_write_file(fs, f, 0, data, len), 0);
	ck_assert_int_eq(cowfs_get_extent(fs, f, file_off_bad, &em), 0);
	ck_assert_int_eq(em.compression, compressed ? COWFS_COMPRESS_ZSTD : COWFS_COMPRESS_NONE);
	cowfs_close(commit_reopen(fs, 0));
	if (compressed)
		corrupt_image(em.disk_bytenr + 10);
	else
		corrupt_image(em.disk_bytenr + em.offset + (file_off_bad - em.file_off) + 123);
	fs = open_fs(0);
	ck_assert_int_eq(cowfs_read_file(fs, f, 0, got, len, &bad), -COWFS_ECSUM);
	ck_assert_uint_eq(bad, expect_bad_off);
	/* what lies before the bad block still reads */
	ck_assert_int_eq(cowfs_read_file(fs, f, 0, got, em.file_off, NULL), 0);
	ck_assert_int_eq(memcmp(got, data, em.file_off), 0);
	free(data);
	free(got);
	cowfs_close(fs);
}

START_TEST(test_csum_corruption)
{
	check_csum_detected(5 * 4096 + 100, 5 * 4096, 0);
}
END_TEST

START_TEST(test_csum_corruption_compressed)
{
	check_csum_detected(3 * COWFS_MAX_COMPRESSED + 5, 3 * COWFS_MAX_COMPRESSED, 1);
}
END_TEST

/* The same operations on two images made alike give byte-identical images. */
static void scenario(const char *path)
{
	cowfs_fs *fs = NULL;
	uint8_t *data = random_bytes(2 * MiB, 5);
	uint64_t d, f;

	ck_assert_int_eq(cowfs_open(path, COWFS_OPEN_RDWR, &fs), 0);
	d = create(fs, COWFS_ROOT_INO, "dir", S_IFDIR | 0755);
	f = create(fs, d, "file", S_IFREG | 0644);
	ck_assert_int_eq(cowfs_write_file(fs, f, 0, data, 2 * MiB), 0);
	ck_assert_int_eq(cowfs_commit(fs), 0);
	ck_assert_int_eq(cowfs_write_file(fs, f, 12345, data, 54321), 0);
	ck_assert_int_eq(cowfs_truncate(fs, f, MiB), 0);
	ck_assert_int_eq(cowfs_commit(fs), 0);
	cowfs_close(fs);
	free(data);
}

static int same_files(const char *a, const char *b)
{
	FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
	int ca, cb, same = fa && fb;

	while (same && (ca = fgetc(fa)) != EOF) {
		cb = fgetc(fb);
		same = ca == cb;
	}
	if (same)
		same = fgetc(fb) == EOF;
	if (fa)
		fclose(fa);
	if (fb)
		fclose(fb);
	return same;
}

START_TEST(test_deterministic)
{
	char other[4096];

	make_image(other, sizeof(other), COWFS_FEATURE_COMPRESS_ZSTD);
	unlink(image);
	make_image(image, sizeof(image), COWFS_FEATURE_COMPRESS_ZSTD);
	scenario(image);
	scenario(other);
	ck_assert(same_files(image, other));
	unlink(other);
}
END_TEST

void fsops_add_data_tests(Suite *s)
{
	TCase *tc = tcase_create("data");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_sizes);
	tcase_add_test(tc, test_overwrite);
	tcase_add_test(tc, test_extend_zeroes_eof_block);
	tcase_add_test(tc, test_truncate);
	tcase_add_test(tc, test_split_keeps_references);
	tcase_add_test(tc, test_insert_file_extent_checks);
	tcase_add_test(tc, test_bad_items_refused);
	tcase_add_test(tc, test_csum_corruption);
	suite_add_tcase(s, tc);

	tc = tcase_create("zstd");
	tcase_add_checked_fixture(tc, setup_zstd, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_compressed);
	tcase_add_test(tc, test_csum_corruption_compressed);
	tcase_add_test(tc, test_deterministic);
	suite_add_tcase(s, tc);
}
