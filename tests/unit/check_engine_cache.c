/* Suite "engine_cache": pages, the per-mapping indexes, the LRU and reclaim. */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/page-cache.h"
#include "testlib.h"

static struct page_cache cache;
static struct address_space map_a, map_b;
static int owner_a, owner_b;

static void setup(void)
{
	page_cache_init(&cache, 8);
	mapping_init(&map_a, &cache, &owner_a);
	mapping_init(&map_b, &cache, &owner_b);
}

static void teardown(void)
{
	mapping_drop_all(&map_a);
	mapping_drop_all(&map_b);
	ck_assert_uint_eq(cache.nr_pages, 0);
}

/* Add a page and drop the caller's reference: the cache holds it alone. */
static struct page *add(struct address_space *m, uint64_t index)
{
	struct page *p;

	ck_assert_int_eq(add_to_page_cache(m, index, &p), 0);
	put_page(p);
	return p;
}

START_TEST(test_add_find)
{
	struct page *p = add(&map_a, 7), *q;

	ck_assert_ptr_nonnull(p->data);
	ck_assert_uint_eq(p->data[0], 0);
	ck_assert_uint_eq(page_offset(p), 7 * 4096);
	q = find_get_page(&map_a, 7);
	ck_assert_ptr_eq(q, p);
	ck_assert_int_eq(q->refs, 2);
	put_page(q);
	ck_assert_ptr_null(find_get_page(&map_a, 8));
	ck_assert_ptr_null(find_get_page(&map_b, 7));
	add(&map_a, 3);
	add(&map_a, 100);
	ck_assert_uint_eq(find_first_page(&map_a, 0)->index, 3);
	ck_assert_uint_eq(find_first_page(&map_a, 4)->index, 7);
	ck_assert_uint_eq(find_first_page(&map_a, 8)->index, 100);
	ck_assert_ptr_null(find_first_page(&map_a, 101));
	ck_assert_uint_eq(map_a.nrpages, 3);
	ck_assert_uint_eq(cache.nr_pages, 3);
}
END_TEST

START_TEST(test_dirty_index)
{
	struct page *p[10];

	for (int i = 0; i < 10; i++)
		p[i] = add(&map_a, (uint64_t)i * 3);
	ck_assert_int_eq(page_test_set_dirty(p[4]), 0);
	ck_assert_int_eq(page_test_set_dirty(p[4]), 1);
	page_test_set_dirty(p[8]);
	page_test_set_dirty(p[1]);
	ck_assert_uint_eq(map_a.nrdirty, 3);
	ck_assert_uint_eq(find_first_dirty_page(&map_a, 0)->index, 3);
	ck_assert_uint_eq(find_first_dirty_page(&map_a, 4)->index, 12);
	ck_assert_uint_eq(find_first_dirty_page(&map_a, 13)->index, 24);
	ck_assert_ptr_null(find_first_dirty_page(&map_a, 25));
	ck_assert_int_eq(page_test_clear_dirty(p[4]), 1);
	ck_assert_int_eq(page_test_clear_dirty(p[4]), 0);
	ck_assert_uint_eq(find_first_dirty_page(&map_a, 4)->index, 24);
	ck_assert_uint_eq(map_a.nrdirty, 2);
	/* leaving the cache takes the page out of the dirty index too */
	delete_from_page_cache(p[8]);
	ck_assert_uint_eq(map_a.nrdirty, 1);
	ck_assert_ptr_null(find_first_dirty_page(&map_a, 4));
}
END_TEST

START_TEST(test_lock)
{
	struct page *p = add(&map_a, 0);

	ck_assert_int_eq(page_trylock(p, &owner_a), 1);
	ck_assert_ptr_eq(p->lock_owner, &owner_a);
	ck_assert_int_eq(page_trylock(p, &owner_b), 0);
	ck_assert_ptr_eq(p->lock_owner, &owner_a);
	page_unlock(p);
	ck_assert_int_eq(page_trylock(p, &owner_b), 1);
	page_unlock(p);
	ck_assert_ptr_null(p->lock_owner);
}
END_TEST

static int refuse_index;

static int release_cb(void *arg, struct page *p)
{
	(void)arg;
	return (int)p->index != refuse_index;
}

START_TEST(test_reclaim_only_freeable)
{
	struct page *p[8], *held;

	refuse_index = -1;
	for (int i = 0; i < 8; i++)
		p[i] = add(i < 4 ? &map_a : &map_b, (uint64_t)i);
	page_test_set_dirty(p[0]);
	page_set(p[1], PG_writeback);
	page_trylock(p[2], &owner_a);
	held = find_get_page(&map_a, 3);	/* someone else holds a reference */
	refuse_index = 4;			/* releasepage says no */
	ck_assert_uint_eq(page_cache_reclaim(&cache, NULL, UINT64_MAX, UINT64_MAX, 0, release_cb, NULL), 3);
	ck_assert_uint_eq(cache.nr_pages, 5);
	for (int i = 0; i < 5; i++)
		ck_assert_ptr_nonnull(p[i]->mapping);
	page_clear(p[1], PG_writeback);
	page_unlock(p[2]);
	put_page(held);
	page_test_clear_dirty(p[0]);
	/* one file only, and at most max */
	ck_assert_uint_eq(page_cache_reclaim(&cache, &map_a, 2, UINT64_MAX, 0, release_cb, NULL), 2);
	ck_assert_ptr_null(find_get_page(&map_a, 0));
	ck_assert_ptr_null(find_get_page(&map_a, 1));
	ck_assert_uint_eq(page_cache_reclaim(&cache, &map_a, UINT64_MAX, UINT64_MAX, 0, NULL, NULL), 2);
	ck_assert_uint_eq(map_a.nrpages, 0);
	ck_assert_uint_eq(map_b.nrpages, 1);
}
END_TEST

START_TEST(test_reclaim_oldest_first)
{
	struct page *p[6];

	for (int i = 0; i < 6; i++)
		p[i] = add(&map_a, (uint64_t)i);
	mark_page_accessed(p[0]);	/* 0 becomes the youngest */
	ck_assert_uint_eq(page_cache_reclaim(&cache, NULL, 2, UINT64_MAX, 0, NULL, NULL), 2);
	ck_assert_ptr_eq(find_first_page(&map_a, 0), p[0]);
	ck_assert_uint_eq(find_first_page(&map_a, 1)->index, 3);	/* 1 and 2 went */
}
END_TEST

START_TEST(test_reclaim_rotates)
{
	struct page *p[4];

	for (int i = 0; i < 4; i++)
		p[i] = add(&map_a, (uint64_t)i);
	page_test_set_dirty(p[0]);
	ck_assert_uint_eq(page_cache_reclaim(&cache, NULL, 1, UINT64_MAX, 1, NULL, NULL), 1);
	ck_assert_uint_eq(find_first_page(&map_a, 1)->index, 2);	/* 1 went */
	/* the dirty page moved to the young end: it is now after 2 and 3 */
	ck_assert_ptr_eq(cache.lru.lru_next, p[2]);
	ck_assert_ptr_eq(cache.lru.lru_prev, p[0]);
}
END_TEST

START_TEST(test_refs_outlive_cache)
{
	struct page *p = add(&map_a, 5);

	get_page(p);			/* as a queued fixup does */
	delete_from_page_cache(p);
	ck_assert_ptr_null(p->mapping);
	ck_assert_ptr_null(p->data);
	ck_assert_int_eq(p->refs, 1);
	ck_assert_uint_eq(cache.nr_pages, 0);
	put_page(p);
}
END_TEST

START_TEST(test_mapping_error_first_wins)
{
	mapping_set_error(&map_a, -EIO);
	mapping_set_error(&map_a, -ENOSPC);
	ck_assert_int_eq(map_a.wb_err, -EIO);
	mapping_set_error(NULL, -EIO);
}
END_TEST

static Suite *cache_suite(void)
{
	Suite *s = suite_create("engine_cache");
	TCase *tc = tcase_create("page_cache");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_add_find);
	tcase_add_test(tc, test_dirty_index);
	tcase_add_test(tc, test_lock);
	tcase_add_test(tc, test_reclaim_only_freeable);
	tcase_add_test(tc, test_reclaim_oldest_first);
	tcase_add_test(tc, test_reclaim_rotates);
	tcase_add_test(tc, test_refs_outlive_cache);
	tcase_add_test(tc, test_mapping_error_first_wins);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return testlib_run(cache_suite());
}
