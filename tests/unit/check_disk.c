/* The disk layer's core: the COW B+tree, space accounting, commits, and
 * crash consistency of a commit cut short after every single block write. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cowfs/disk.h"
#include "disk/alloc.h"
#include "disk/ctree.h"

static char image[64];

static void setup(void)
{
	struct cowfs_mkfs_opts o = { .size = 64ull << 20 };
	int fd;

	snprintf(image, sizeof(image), "/tmp/cowfs-disk-XXXXXX");
	fd = mkstemp(image);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(cowfs_mkfs(image, &o), 0);
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
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(disk_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
