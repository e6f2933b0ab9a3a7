/* Suite "engine_workqueue": queueing, FIFO and seeded order, blocking, nesting. */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/workqueue.h"
#include "testlib.h"

#define NITEMS 40

struct item {
	struct work work;
	int id;
	int block;		/* return -EAGAIN while set */
	int runs;
	int released;
};

static struct executor ex;
static struct workqueue wq = { "test", 0, 0 };
static struct item items[NITEMS];
static int order[NITEMS * 4], norder;

static int item_func(struct work *w)
{
	struct item *it = (struct item *)w;

	it->runs++;
	if (it->block)
		return -EAGAIN;
	order[norder++] = it->id;
	return 0;
}

static void item_release(struct work *w)
{
	((struct item *)w)->released++;
}

static void setup_seed(uint64_t seed, int n)
{
	memset(items, 0, sizeof(items));
	norder = 0;
	executor_init(&ex, seed, NULL, NULL);
	for (int i = 0; i < n; i++) {
		items[i].id = i;
		init_work(&items[i].work, "item", item_func, item_release, NULL, 1);
		ck_assert_int_eq(queue_work(&ex, &wq, &items[i].work), 0);
	}
}

START_TEST(test_fifo)
{
	setup_seed(0, NITEMS);
	ck_assert_uint_eq(executor_count(&ex, NULL, NULL), NITEMS);
	ck_assert_uint_eq(executor_run(&ex, 5, NULL, NULL), 5);
	ck_assert_uint_eq(executor_run(&ex, UINT64_MAX, NULL, NULL), NITEMS - 5);
	for (int i = 0; i < NITEMS; i++) {
		ck_assert_int_eq(order[i], i);
		ck_assert_int_eq(items[i].released, 1);
	}
	ck_assert_uint_eq(executor_count(&ex, NULL, NULL), 0);
	executor_destroy(&ex);
}
END_TEST

static void run_seeded(uint64_t seed, int *out)
{
	setup_seed(seed, NITEMS);
	ck_assert_uint_eq(executor_run(&ex, UINT64_MAX, NULL, NULL), NITEMS);
	memcpy(out, order, sizeof(int) * NITEMS);
	executor_destroy(&ex);
}

START_TEST(test_seeded_reproducible_permutation)
{
	int a[NITEMS], b[NITEMS], c[NITEMS], seen[NITEMS] = { 0 };
	int same_ab = 1, same_ac = 1, fifo = 1;

	run_seeded(42, a);
	run_seeded(42, b);
	run_seeded(43, c);
	for (int i = 0; i < NITEMS; i++) {
		seen[a[i]]++;
		same_ab &= a[i] == b[i];
		same_ac &= a[i] == c[i];
		fifo &= a[i] == i;
	}
	for (int i = 0; i < NITEMS; i++)
		ck_assert_int_eq(seen[i], 1);
	ck_assert(same_ab);
	ck_assert(!same_ac);
	ck_assert(!fifo);
}
END_TEST

START_TEST(test_blocked_items_stay)
{
	setup_seed(0, 4);
	items[1].block = 1;
	ck_assert_uint_eq(executor_run(&ex, UINT64_MAX, NULL, NULL), 3);
	ck_assert_int_eq(items[1].runs, 3);	/* retried after each later item finished */
	ck_assert_int_eq(items[1].released, 0);
	ck_assert_uint_eq(executor_count(&ex, NULL, NULL), 1);
	/* nothing changed since it blocked: it is not offered again */
	ck_assert_ptr_null(executor_pick(&ex, NULL, NULL));
	items[1].block = 0;
	ck_assert_int_eq(executor_run_work(&ex, &items[1].work), 1);
	ck_assert_int_eq(order[3], 1);
	ck_assert_int_eq(executor_run_work(&ex, &items[1].work), -EINVAL);
	executor_destroy(&ex);
}
END_TEST

static int only_odd(void *arg, const struct work *w)
{
	(void)arg;
	return ((const struct item *)w)->id % 2;
}

START_TEST(test_filter)
{
	setup_seed(0, 10);
	ck_assert_uint_eq(executor_count(&ex, only_odd, NULL), 5);
	ck_assert_uint_eq(executor_run(&ex, UINT64_MAX, only_odd, NULL), 5);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(order[i], 2 * i + 1);
	ck_assert_uint_eq(executor_count(&ex, NULL, NULL), 5);
	executor_discard_all(&ex);
	for (int i = 0; i < 10; i += 2) {
		ck_assert_int_eq(items[i].runs, 0);
		ck_assert_int_eq(items[i].released, 1);
	}
	executor_destroy(&ex);
}
END_TEST

/* An item that, while running, runs the whole queue (as a waiter does). */
static int nested_func(struct work *w)
{
	struct item *it = (struct item *)w;

	it->runs++;
	ck_assert_int_eq(executor_run_work(&ex, w), -EBUSY);
	executor_run(&ex, UINT64_MAX, NULL, NULL);
	order[norder++] = it->id;
	return 0;
}

START_TEST(test_nested_run)
{
	setup_seed(0, 5);
	items[0].work.func = nested_func;
	ck_assert_uint_eq(executor_run(&ex, 1, NULL, NULL), 1);
	ck_assert_int_eq(norder, 5);
	ck_assert_int_eq(order[0], 1);
	ck_assert_int_eq(order[4], 0);	/* the outer one finishes last */
	ck_assert_int_eq(items[0].runs, 1);
	ck_assert_uint_eq(executor_count(&ex, NULL, NULL), 0);
	executor_destroy(&ex);
}
END_TEST

static Suite *wq_suite(void)
{
	Suite *s = suite_create("engine_workqueue");
	TCase *tc = tcase_create("executor");

	tcase_add_test(tc, test_fifo);
	tcase_add_test(tc, test_seeded_reproducible_permutation);
	tcase_add_test(tc, test_blocked_items_stay);
	tcase_add_test(tc, test_filter);
	tcase_add_test(tc, test_nested_run);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return testlib_run(wq_suite());
}
