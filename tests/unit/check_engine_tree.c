/* Suite "engine_tree": the extent io tree against a byte-per-byte reference. */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/extent-io-tree.h"
#include "testlib.h"

#define SPAN 2048	/* the reference covers bytes [0, SPAN) */

static uint64_t rnd_state;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state >> 12;
	rnd_state ^= rnd_state << 25;
	rnd_state ^= rnd_state >> 27;
	return rnd_state * 0x2545f4914f6cdd1dull;
}

static uint64_t rnd_below(uint64_t n)
{
	return rnd() % n;
}

/* The delalloc accounting a hook keeps, as btrfs_set/clear_delalloc_extent do. */
struct acct {
	uint64_t delalloc;
	uint64_t released;	/* bytes cleared with EXTENT_CLEAR_DATA_RESV */
	int calls;
};

static void acct_set(void *priv, const struct extent_state *s, unsigned bits)
{
	struct acct *a = priv;

	a->calls++;
	if (!(s->state & EXTENT_DELALLOC) && (bits & EXTENT_DELALLOC))
		a->delalloc += s->end - s->start + 1;
}

static void acct_clear(void *priv, const struct extent_state *s, unsigned bits)
{
	struct acct *a = priv;

	a->calls++;
	if ((s->state & EXTENT_DELALLOC) && (bits & EXTENT_DELALLOC)) {
		a->delalloc -= s->end - s->start + 1;
		if (bits & EXTENT_CLEAR_DATA_RESV)
			a->released += s->end - s->start + 1;
	}
}

static const struct extent_io_ops acct_ops = { acct_set, acct_clear };

static struct extent_io_tree tree;
static struct acct acct;
static unsigned ref[SPAN];

static void setup(void)
{
	memset(&acct, 0, sizeof(acct));
	memset(ref, 0, sizeof(ref));
	extent_io_tree_init(&tree, &acct_ops, &acct);
}

static void teardown(void)
{
	extent_io_tree_release(&tree);
}

/* Every byte matches ref; states are sorted, disjoint, non-empty and merged. */
static void check_against_ref(void)
{
	uint64_t prev_end = 0, n = 0, delalloc = 0;
	unsigned prev_bits = 0;
	int have_prev = 0;

	for (struct rb_node *node = rb_first(&tree.state); node; node = rb_next(node)) {
		const struct extent_state *s = rb_entry(node, struct extent_state, rb_node);

		ck_assert_uint_le(s->start, s->end);
		ck_assert_uint_ne(s->state, 0);
		ck_assert_uint_eq(s->state & EXTENT_CTLBITS, 0);
		if (have_prev) {
			ck_assert_uint_gt(s->start, prev_end);
			if (prev_end + 1 == s->start && prev_bits == s->state)
				ck_assert(s->state & (EXTENT_LOCKED | EXTENT_BOUNDARY));
		}
		have_prev = 1;
		prev_end = s->end;
		prev_bits = s->state;
		n++;
	}
	ck_assert_uint_eq(n, tree.nr_states);
	for (uint64_t i = 0; i < SPAN; i++) {
		const struct extent_state *s = extent_state_at(&tree, i);

		ck_assert_uint_eq(s ? s->state : 0, ref[i]);
		if (ref[i] & EXTENT_DELALLOC)
			delalloc++;
	}
	ck_assert_uint_eq(acct.delalloc, delalloc);
}

static const unsigned some_bits[] = {
	EXTENT_DELALLOC, EXTENT_DEFRAG, EXTENT_UPTODATE, EXTENT_DELALLOC_NEW,
	EXTENT_DELALLOC | EXTENT_UPTODATE, EXTENT_NORESERVE, EXTENT_DELALLOC | EXTENT_DEFRAG,
};

static unsigned random_bits(void)
{
	return some_bits[rnd_below(sizeof(some_bits) / sizeof(some_bits[0]))];
}

START_TEST(test_random_set_clear)
{
	rnd_state = 0x1234567ull + (uint64_t)_i;
	for (int op = 0; op < 3000; op++) {
		uint64_t a = rnd_below(SPAN), b = rnd_below(SPAN);
		uint64_t lo = a < b ? a : b, hi = a < b ? b : a;
		unsigned bits = random_bits();

		if (rnd_below(2)) {
			ck_assert_int_eq(set_extent_bit(&tree, lo, hi, bits, 0, NULL, NULL), 0);
			for (uint64_t i = lo; i <= hi; i++)
				ref[i] |= bits;
		} else {
			if (bits & EXTENT_DELALLOC)
				bits |= EXTENT_DO_ACCOUNTING;
			ck_assert_int_eq(clear_extent_bit(&tree, lo, hi, bits), 0);
			for (uint64_t i = lo; i <= hi; i++)
				ref[i] &= ~(bits & ~EXTENT_CTLBITS);
		}
		if (op % 50 == 0)
			check_against_ref();
	}
	check_against_ref();
}
END_TEST

static int ref_test(uint64_t lo, uint64_t hi, unsigned bits, int filled)
{
	for (uint64_t i = lo; i <= hi; i++) {
		int has = (ref[i] & bits) != 0;

		if (filled && !has)
			return 0;
		if (!filled && has)
			return 1;
	}
	return filled;
}

START_TEST(test_queries)
{
	rnd_state = 0xabcdefull;
	for (int op = 0; op < 400; op++) {
		uint64_t a = rnd_below(SPAN), b = rnd_below(SPAN);
		uint64_t lo = a < b ? a : b, hi = a < b ? b : a;
		unsigned bits = random_bits();

		set_extent_bit(&tree, lo, lo + rnd_below(SPAN / 16), bits, 0, NULL, NULL);
		/* per-byte states are checked by test_random_set_clear; here they are the input */
		for (uint64_t i = 0; i < SPAN; i++) {
			const struct extent_state *s = extent_state_at(&tree, i);

			ref[i] = s ? s->state : 0;
		}
		bits = random_bits();
		ck_assert_int_eq(test_range_bit(&tree, lo, hi, bits, 1), ref_test(lo, hi, bits, 1));
		ck_assert_int_eq(test_range_bit(&tree, lo, hi, bits, 0), ref_test(lo, hi, bits, 0));
		{
			uint64_t start = lo, found_start = 0, total = 0, s_ret, e_ret;
			int found = 0;

			for (uint64_t i = lo; i <= hi; i++) {
				if ((ref[i] & bits) == bits) {
					if (!found)
						found_start = i;
					found = 1;
					total++;
				}
			}
			ck_assert_uint_eq(count_range_bits(&tree, &start, hi, UINT64_MAX, bits, 0),
					  total);
			if (found)
				ck_assert_uint_eq(start, found_start);
			found = 0;
			for (uint64_t i = lo; i < SPAN; i++)
				if (ref[i] & bits) {
					found_start = i;
					found = 1;
					break;
				}
			ck_assert_int_eq(find_first_extent_bit(&tree, lo, &s_ret, &e_ret, bits),
					 found ? 0 : 1);
			if (found) {
				ck_assert_uint_le(s_ret, found_start);
				ck_assert_uint_ge(e_ret, found_start);
			}
		}
		if (op % 7 == 0)
			clear_extent_bit(&tree, 0, SPAN - 1, random_bits());
	}
}
END_TEST

START_TEST(test_split_and_merge)
{
	ck_assert_int_eq(set_extent_bit(&tree, 0, 4095, EXTENT_DELALLOC, 0, NULL, NULL), 0);
	ck_assert_uint_eq(tree.nr_states, 1);
	ck_assert_int_eq(clear_extent_bit(&tree, 1024, 2047, EXTENT_DELALLOC), 0);
	ck_assert_uint_eq(tree.nr_states, 2);
	ck_assert_uint_eq(acct.delalloc, 3072);
	ck_assert_int_eq(set_extent_bit(&tree, 1024, 2047, EXTENT_DELALLOC, 0, NULL, NULL), 0);
	ck_assert_uint_eq(tree.nr_states, 1);	/* merged back */
	ck_assert_int_eq(set_extent_bit(&tree, 4096, 8191, EXTENT_DELALLOC, 0, NULL, NULL), 0);
	ck_assert_uint_eq(tree.nr_states, 1);	/* adjacent equal states merge */
	ck_assert_uint_eq(acct.delalloc, 8192);
	ck_assert_int_eq(set_extent_bit(&tree, 100, 200, EXTENT_DEFRAG, 0, NULL, NULL), 0);
	ck_assert_uint_eq(tree.nr_states, 3);
	ck_assert_int_eq(clear_extent_bit(&tree, 0, 8191, EXTENT_DELALLOC | EXTENT_DO_ACCOUNTING),
			 0);
	ck_assert_uint_eq(acct.delalloc, 0);
	ck_assert_uint_eq(acct.released, 8192);
	ck_assert_uint_eq(tree.nr_states, 1);	/* [100, 200] DEFRAG is left */
	ck_assert_int_eq(test_range_bit(&tree, 100, 200, EXTENT_DEFRAG, 1), 1);
	ck_assert_int_eq(test_range_bit(&tree, 99, 200, EXTENT_DEFRAG, 1), 0);
	ck_assert_int_eq(test_range_bit(&tree, 0, 99, EXTENT_DEFRAG, 0), 0);
	ck_assert_int_eq(set_extent_bit(&tree, 5, 4, EXTENT_DEFRAG, 0, NULL, NULL), -EINVAL);
}
END_TEST

START_TEST(test_lock_exclusive)
{
	int a = 0, b = 0;
	uint64_t failed = 0;

	ck_assert_int_eq(set_extent_bit(&tree, 4096, 8191, EXTENT_LOCKED, EXTENT_LOCKED, &failed, &a),
			 0);
	ck_assert_ptr_eq(extent_lock_owner(&tree, 5000), &a);
	ck_assert_ptr_null(extent_lock_owner(&tree, 100));
	/* a second locker stops at the held byte, having locked what came before */
	ck_assert_int_eq(set_extent_bit(&tree, 0, 12287, EXTENT_LOCKED, EXTENT_LOCKED, &failed, &b),
			 -EEXIST);
	ck_assert_uint_eq(failed, 4096);
	ck_assert_ptr_eq(extent_lock_owner(&tree, 100), &b);
	ck_assert_ptr_null(extent_lock_owner(&tree, 9000));
	/* adjacent locks of different owners never merge */
	ck_assert_uint_eq(tree.nr_states, 2);
	ck_assert_int_eq(clear_extent_bit(&tree, 4096, 8191, EXTENT_LOCKED), 0);
	ck_assert_ptr_null(extent_lock_owner(&tree, 5000));
	ck_assert_int_eq(clear_extent_bit(&tree, 0, 4095, EXTENT_LOCKED), 0);
	ck_assert_uint_eq(tree.nr_states, 0);
}
END_TEST

START_TEST(test_find_delalloc_range)
{
	uint64_t start, end;

	start = 0;
	ck_assert_int_eq(find_delalloc_range(&tree, &start, &end, UINT64_MAX), 0);
	ck_assert_uint_eq(end, UINT64_MAX);
	set_extent_bit(&tree, 8192, 16383, EXTENT_DELALLOC, 0, NULL, NULL);
	set_extent_bit(&tree, 16384, 20479, EXTENT_DELALLOC | EXTENT_DELALLOC_NEW, 0, NULL, NULL);
	set_extent_bit(&tree, 20480, 24575, EXTENT_UPTODATE, 0, NULL, NULL);
	set_extent_bit(&tree, 24576, 28671, EXTENT_DELALLOC, 0, NULL, NULL);
	start = 0;
	ck_assert_int_eq(find_delalloc_range(&tree, &start, &end, UINT64_MAX), 1);
	ck_assert_uint_eq(start, 8192);
	ck_assert_uint_eq(end, 20479);	/* two contiguous delalloc states */
	start = 12288;
	ck_assert_int_eq(find_delalloc_range(&tree, &start, &end, 4096), 1);
	ck_assert_uint_eq(start, 8192);	/* the run begins before the page */
	ck_assert_uint_eq(end, 16383);	/* max_bytes stops after the first state */
	start = 20480;
	ck_assert_int_eq(find_delalloc_range(&tree, &start, &end, UINT64_MAX), 0);
	ck_assert_uint_eq(end, 24575);	/* the non-delalloc state to skip */
	set_extent_bit(&tree, 28672, 32767, EXTENT_DELALLOC | EXTENT_BOUNDARY, 0, NULL, NULL);
	start = 24576;
	ck_assert_int_eq(find_delalloc_range(&tree, &start, &end, UINT64_MAX), 1);
	ck_assert_uint_eq(end, 28671);	/* stops at the boundary */
}
END_TEST

START_TEST(test_hooks_called_once_per_state)
{
	set_extent_bit(&tree, 0, 4095, EXTENT_DELALLOC, 0, NULL, NULL);
	set_extent_bit(&tree, 8192, 12287, EXTENT_DELALLOC, 0, NULL, NULL);
	acct.calls = 0;
	/* touches [0,4095], the gap, and [8192,12287]: three states */
	set_extent_bit(&tree, 0, 12287, EXTENT_DELALLOC, 0, NULL, NULL);
	ck_assert_int_eq(acct.calls, 3);
	ck_assert_uint_eq(acct.delalloc, 12288);
	ck_assert_uint_eq(tree.nr_states, 1);
	acct.calls = 0;
	/* clearing a bit nobody has calls nothing */
	clear_extent_bit(&tree, 0, 12287, EXTENT_DEFRAG);
	ck_assert_int_eq(acct.calls, 0);
}
END_TEST

START_TEST(test_full_range)
{
	ck_assert_int_eq(set_extent_bit(&tree, 0, UINT64_MAX, EXTENT_DEFRAG, 0, NULL, NULL), 0);
	ck_assert_int_eq(set_extent_bit(&tree, UINT64_MAX - 10, UINT64_MAX, EXTENT_UPTODATE, 0,
					NULL, NULL), 0);
	ck_assert_int_eq(test_range_bit(&tree, 0, UINT64_MAX, EXTENT_DEFRAG, 1), 1);
	ck_assert_int_eq(test_range_bit(&tree, 0, UINT64_MAX, EXTENT_UPTODATE, 1), 0);
	ck_assert_int_eq(clear_extent_bit(&tree, 0, UINT64_MAX, EXTENT_DEFRAG | EXTENT_UPTODATE),
			 0);
	ck_assert_uint_eq(tree.nr_states, 0);
}
END_TEST

static Suite *tree_suite(void)
{
	Suite *s = suite_create("engine_tree");
	TCase *tc = tcase_create("extent_io_tree");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_random_set_clear, 0, 4);
	tcase_add_test(tc, test_queries);
	tcase_add_test(tc, test_split_and_merge);
	tcase_add_test(tc, test_lock_exclusive);
	tcase_add_test(tc, test_find_delalloc_range);
	tcase_add_test(tc, test_hooks_called_once_per_state);
	tcase_add_test(tc, test_full_range);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return testlib_run(tree_suite());
}
