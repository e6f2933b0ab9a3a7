/* Suite "engine_ordered": ordered extents, their lookups, pending IO and i_size. */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "engine/ordered-data.h"
#include "testlib.h"

#define K 1024ull

static struct ordered_tree tree;
static int inode;

static void setup(void)
{
	ordered_tree_init(&tree);
}

static void teardown(void)
{
	ordered_tree_release(&tree);
}

static struct ordered_extent *add(uint64_t off, uint64_t len, uint64_t bytenr)
{
	struct ordered_extent *oe = NULL;

	ck_assert_int_eq(add_ordered_extent(&tree, &inode, off, bytenr, len, &oe), 0);
	return oe;
}

START_TEST(test_add_overlap)
{
	struct ordered_extent *oe;

	add(16 * K, 8 * K, 1 << 20);
	add(0, 4 * K, 2 << 20);
	ck_assert_int_eq(add_ordered_extent(&tree, &inode, 20 * K, 0, 8 * K, &oe), -EEXIST);
	ck_assert_int_eq(add_ordered_extent(&tree, &inode, 12 * K, 0, 8 * K, &oe), -EEXIST);
	ck_assert_int_eq(add_ordered_extent(&tree, &inode, 0, 0, 0, &oe), -EINVAL);
	ck_assert_int_eq(add_ordered_extent(&tree, &inode, 0, 0, 100, &oe), -EINVAL);
	add(24 * K, 4 * K, 3 << 20);	/* touching is not overlapping */
	add(4 * K, 12 * K, 4 << 20);
	ck_assert_uint_eq(tree.nr, 4);
	oe = ordered_first(&tree);
	ck_assert_uint_eq(oe->file_offset, 0);
	oe = ordered_next(oe);
	ck_assert_uint_eq(oe->file_offset, 4 * K);
	ck_assert_uint_eq(ordered_next(ordered_next(oe))->file_offset, 24 * K);
}
END_TEST

START_TEST(test_lookups)
{
	struct ordered_extent *a = add(8 * K, 8 * K, 1 << 20), *b = add(32 * K, 4 * K, 2 << 20);
	struct ordered_extent *oe;

	ck_assert_ptr_null(lookup_ordered_extent(&tree, 4 * K));
	oe = lookup_ordered_extent(&tree, 15 * K);
	ck_assert_ptr_eq(oe, a);
	ck_assert_int_eq(a->refs, 2);
	put_ordered_extent(oe);
	ck_assert_ptr_null(lookup_ordered_extent(&tree, 16 * K));
	oe = lookup_ordered_range(&tree, 0, 9 * K);
	ck_assert_ptr_eq(oe, a);
	put_ordered_extent(oe);
	oe = lookup_ordered_range(&tree, 16 * K, 17 * K);
	ck_assert_ptr_eq(oe, b);
	put_ordered_extent(oe);
	ck_assert_ptr_null(lookup_ordered_range(&tree, 16 * K, 16 * K));
	ck_assert_ptr_null(lookup_ordered_range(&tree, 36 * K, UINT64_MAX));
	oe = lookup_ordered_range(&tree, 20 * K, UINT64_MAX);	/* wraps: to the end */
	ck_assert_ptr_eq(oe, b);
	put_ordered_extent(oe);
	oe = lookup_first_ordered_extent(&tree, 30 * K);
	ck_assert_ptr_eq(oe, a);
	put_ordered_extent(oe);
	ck_assert_ptr_null(lookup_first_ordered_extent(&tree, 4 * K));
}
END_TEST

START_TEST(test_pending_and_remove)
{
	struct ordered_extent *oe = add(0, 12 * K, 1 << 20);

	get_ordered_extent(oe);	/* a waiter's reference */
	ck_assert_int_eq(dec_test_ordered_pending(oe, 0, 4 * K, 1), 0);
	ck_assert_int_eq(dec_test_ordered_pending(oe, 8 * K, 4 * K, 0), 0);
	ck_assert(oe->flags & BTRFS_ORDERED_IOERR);
	ck_assert_int_eq(dec_test_ordered_pending(oe, 8 * K, 8 * K, 1), -EINVAL);
	ck_assert_int_eq(dec_test_ordered_pending(oe, 4 * K, 4 * K, 1), 1);
	ck_assert(oe->flags & BTRFS_ORDERED_IO_DONE);
	ck_assert_uint_eq(oe->bytes_left, 0);
	remove_ordered_extent(&tree, oe);
	ck_assert(oe->flags & BTRFS_ORDERED_COMPLETE);
	ck_assert_uint_eq(tree.nr, 0);
	ck_assert_int_eq(oe->refs, 1);
	remove_ordered_extent(&tree, oe);	/* twice is harmless */
	put_ordered_extent(oe);
}
END_TEST

START_TEST(test_csums)
{
	struct ordered_extent *oe = add(8 * K, 8 * K, 1 << 20);
	uint32_t c = 0;

	ck_assert_int_eq(find_ordered_sum(&tree, 8 * K, &c), 0);
	ordered_set_csum(oe, 12 * K, 0xdeadbeef);
	ordered_set_csum(oe, 16 * K, 1);	/* outside: ignored */
	ck_assert_int_eq(find_ordered_sum(&tree, 8 * K, &c), 0);
	ck_assert_int_eq(find_ordered_sum(&tree, 12 * K, &c), 1);
	ck_assert_uint_eq(c, 0xdeadbeef);
	ck_assert_int_eq(find_ordered_sum(&tree, 16 * K, &c), 0);
}
END_TEST

START_TEST(test_isize_held_back)
{
	struct ordered_extent *a = add(0, 8 * K, 1 << 20), *b = add(8 * K, 8 * K, 2 << 20);
	uint64_t disk = 0;

	/* b finishes first: a still pending below it holds the size at 0 */
	ck_assert_int_eq(ordered_update_i_size(&tree, 0, b, 16 * K, &disk), 1);
	ck_assert_uint_eq(disk, 0);
	ck_assert_uint_eq(a->outstanding_isize, 16 * K);
	remove_ordered_extent(&tree, b);
	/* a's completion carries the size through b's end */
	ck_assert_int_eq(ordered_update_i_size(&tree, 0, a, 16 * K, &disk), 0);
	ck_assert_uint_eq(disk, 16 * K);
}
END_TEST

START_TEST(test_isize_clipped_and_truncated)
{
	struct ordered_extent *a = add(16 * K, 8 * K, 1 << 20);
	uint64_t disk = 8 * K;

	ck_assert_int_eq(ordered_update_i_size(&tree, 0, a, 18 * K, &disk), 0);
	ck_assert_uint_eq(disk, 18 * K);	/* not past i_size */
	remove_ordered_extent(&tree, a);
	a = add(32 * K, 16 * K, 2 << 20);
	a->flags |= BTRFS_ORDERED_TRUNCATED;
	a->truncated_len = 4 * K;
	ck_assert_int_eq(ordered_update_i_size(&tree, 0, a, 64 * K, &disk), 0);
	ck_assert_uint_eq(disk, 36 * K);
	/* no ordered extent: a shrink sets it, a grow goes to the aligned offset */
	ck_assert_int_eq(ordered_update_i_size(&tree, 10 * K, NULL, 10 * K, &disk), 0);
	ck_assert_uint_eq(disk, 10 * K);
	ck_assert_int_eq(ordered_update_i_size(&tree, 20 * K, NULL, 20 * K, &disk), 0);
	ck_assert_uint_eq(disk, 20 * K);
	ck_assert_int_eq(ordered_update_i_size(&tree, 20 * K, NULL, 20 * K, &disk), 1);
}
END_TEST

static Suite *ordered_suite(void)
{
	Suite *s = suite_create("engine_ordered");
	TCase *tc = tcase_create("ordered_extents");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_add_overlap);
	tcase_add_test(tc, test_lookups);
	tcase_add_test(tc, test_pending_and_remove);
	tcase_add_test(tc, test_csums);
	tcase_add_test(tc, test_isize_held_back);
	tcase_add_test(tc, test_isize_clipped_and_truncated);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return testlib_run(ordered_suite());
}
