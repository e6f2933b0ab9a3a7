/* Suite "engine_fidelity": branches of the model checked against the kernel notes
 * where no trace can set the state up directly, so the tests reach into the
 * engine (its internal headers) to build it. */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cowfs/disk.h"
#include "cowfs/engine.h"
#include "cowfs/error.h"
#include "engine/fs-info.h"
#include "engine/inode.h"
#include "engine/page-ops.h"
#include "engine/readpage.h"
#include "testlib.h"

static char image[256];
static cowfs_engine *eng;
static int csum_findings, other_findings;
static char last_finding[256];

static void on_finding(void *arg, uint64_t line, enum cowfs_finding kind, const char *text)
{
	(void)arg;
	(void)line;
	if (kind == COWFS_FINDING_CSUM)
		csum_findings++;
	else
		other_findings++;
	snprintf(last_finding, sizeof(last_finding), "%s", text);
}

static int fill_byte(void *arg, uint64_t off, void *buf, size_t len)
{
	(void)off;
	memset(buf, (int)(uintptr_t)arg, len);
	return 0;
}

/* An image of size MiB under profile, with /f holding 4 KiB of 0x22 (dirty). */
static void start(uint64_t size, const char *profile)
{
	static const uint8_t uuid[16] = { 0xc0, 0x3f, 0x5e, 0x12, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
	struct cowfs_mkfs_opts o = { .size = size << 20, .uuid = uuid };
	struct cowfs_engine_opts opts = { .ops = { NULL, on_finding, NULL, NULL } };

	csum_findings = other_findings = 0;
	last_finding[0] = 0;
	ck_assert_int_eq(testlib_temp_image(image, sizeof(image), "fidelity", &o), 0);
	opts.profile = cowfs_profile_find(profile);
	ck_assert_ptr_nonnull(opts.profile);
	ck_assert_int_eq(cowfs_engine_open(image, &opts, &eng), 0);
	ck_assert_int_eq(cowfs_engine_create(eng, 1, "/f"), 0);
	ck_assert_int_eq(cowfs_engine_write(eng, 2, "/f", 0, 4096, fill_byte, (void *)0x22,
					    COWFS_NO_FAULT), 0);
}

static void setup(void)
{
	start(64, "current");
}

static void teardown(void)
{
	cowfs_engine_close(eng);
	eng = NULL;
}

/* Overwrite the disk block at bytenr behind the checksums' back. */
static void spoil_block(uint64_t bytenr)
{
	uint8_t junk[4096];

	memset(junk, 0x77, sizeof(junk));
	ck_assert_int_eq(cowfs_write_data(cowfs_engine_fs(eng), bytenr, junk, sizeof(junk)), 0);
}

/* btrfs_readpage of page 0 of /f, created afresh (it must not be cached), with
 * PageChecked set first if checked.  Returns what the read returned; *byte gets
 * the page's first byte and *still_checked the flag after the read. */
static int read_page0(int checked, uint8_t *byte, int *still_checked)
{
	struct inode *inode;
	struct page *page;
	struct task t;
	int ret;

	task_enter(eng, &t, "test read", 7, NULL);
	ck_assert_int_eq(eng_inode_lookup(eng, "/f", &inode), 0);
	ck_assert_int_eq(find_or_create_page(eng, inode, 0, &page), 0);
	ck_assert(!page_test(page, PG_uptodate));
	if (checked)
		page_set(page, PG_checked);
	ret = btrfs_readpage(eng, inode, page);
	*byte = page->data[0];
	*still_checked = page_test(page, PG_checked);
	unlock_page(eng, page);
	put_page(page);
	iput(inode);
	task_exit(eng, &t);
	return ret;
}

/* The committed block of /f offset 0, spoiled, the page gone from the cache. */
static void spoil_committed(void)
{
	struct cowfs_extent_map em;
	uint64_t ino;

	ck_assert_int_eq(cowfs_engine_sync(eng, 3), 0);
	ck_assert_int_eq(cowfs_engine_reclaim(eng, 4, "/f", UINT64_MAX), 1);
	ck_assert_int_eq(cowfs_lookup_path(cowfs_engine_fs(eng), "/f", &ino), 0);
	ck_assert_int_eq(cowfs_get_extent(cowfs_engine_fs(eng), ino, 0, &em), 0);
	ck_assert_uint_ne(em.disk_bytenr, 0);
	spoil_block(em.disk_bytenr + em.offset);
}

/* §2.2 (2): the end io hook of a PageChecked page skips the csum check. */
START_TEST(test_checked_read_skips_csum)
{
	uint8_t byte;
	int checked;

	spoil_committed();
	ck_assert_int_eq(read_page0(1, &byte, &checked), 0);
	ck_assert_uint_eq(byte, 0x77);
	ck_assert_int_eq(checked, 0);
	ck_assert_int_eq(csum_findings, 0);
	ck_assert_int_eq(other_findings, 0);
}
END_TEST

START_TEST(test_unchecked_read_verifies_csum)
{
	uint8_t byte;
	int checked;

	spoil_committed();
	ck_assert_int_eq(read_page0(0, &byte, &checked), -COWFS_ECSUM);
	ck_assert_uint_eq(byte, 0x01);
	ck_assert_int_eq(csum_findings, 1);
}
END_TEST

/* The same for a block whose ordered extent has written it but not finished:
 * the read goes to the new location, and only an unchecked page compares it
 * with the ordered extent's in-memory csum. */
static int read_pending(int checked, uint8_t *byte)
{
	struct inode *inode;
	struct ordered_extent *oe;
	int still_checked, ret;

	ck_assert_int_eq(cowfs_engine_writeback(eng, 3, "/f", 0), 0);
	ck_assert_int_eq(cowfs_engine_run(eng, 4, 2), 2);	/* csums, then the IO */
	ck_assert_uint_eq(cowfs_engine_pending(eng), 1);	/* finish_ordered_io */
	ck_assert_int_eq(cowfs_engine_reclaim(eng, 5, "/f", UINT64_MAX), 1);
	ck_assert_int_eq(eng_inode_lookup(eng, "/f", &inode), 0);
	oe = lookup_ordered_extent(&inode->ordered_tree, 0);
	ck_assert_ptr_nonnull(oe);
	spoil_block(oe->disk_bytenr);
	put_ordered_extent(oe);
	iput(inode);
	ret = read_page0(checked, byte, &still_checked);
	ck_assert_int_eq(still_checked, 0);
	ck_assert_int_eq(cowfs_engine_sync(eng, 8), 0);
	return ret;
}

START_TEST(test_checked_read_of_pending_ordered)
{
	uint8_t byte;

	ck_assert_int_eq(read_pending(1, &byte), 0);
	ck_assert_uint_eq(byte, 0x77);
	ck_assert_int_eq(csum_findings, 0);
}
END_TEST

START_TEST(test_unchecked_read_of_pending_ordered)
{
	uint8_t byte;

	ck_assert_int_eq(read_pending(0, &byte), -COWFS_ECSUM);
	ck_assert_uint_eq(byte, 0x01);
	ck_assert_int_eq(csum_findings, 1);
}
END_TEST

/* A hole issues no read IO, so nothing clears PageChecked there. */
START_TEST(test_checked_read_of_hole_keeps_flag)
{
	uint8_t byte;
	int checked;

	ck_assert_int_eq(cowfs_engine_truncate(eng, 3, "/f", 0), 0);
	ck_assert_int_eq(cowfs_engine_truncate(eng, 4, "/f", 8192), 0);
	ck_assert_int_eq(read_page0(1, &byte, &checked), 0);
	ck_assert_uint_eq(byte, 0);
	ck_assert_int_eq(checked, 1);
	ck_assert_int_eq(csum_findings, 0);
}
END_TEST

/* ---- the fixup worker's error exit, per profile ---- */

static void setup_4_20(void)
{
	start(16, "linux-4.20");
}

/* Fill the image: the next reservation fails. */
static void fill_up(void)
{
	int ret = 0;

	ck_assert_int_eq(cowfs_engine_create(eng, 4, "/g"), 0);
	for (int i = 0; i < 256 && !ret; i++)
		ret = cowfs_engine_write(eng, 4, "/g", (uint64_t)i * 65536, 65536, fill_byte,
					 (void *)0x44, COWFS_NO_FAULT);
	ck_assert_int_eq(ret, -ENOSPC);
	for (uint64_t off = 16ull << 20; !(ret = cowfs_engine_write(eng, 4, "/g", off, 4096,
			fill_byte, (void *)0x44, COWFS_NO_FAULT)); off += 4096)
		;
	ck_assert_int_eq(ret, -ENOSPC);
}

static int page0_dirty(void)
{
	struct inode *inode;
	struct page *page;
	int dirty;

	ck_assert_int_eq(eng_inode_lookup(eng, "/f", &inode), 0);
	page = find_get_page(&inode->mapping, 0);
	ck_assert_ptr_nonnull(page);
	dirty = page_test(page, PG_dirty);
	put_page(page);
	iput(inode);
	return dirty;
}

/* 87826df0ec36: the worker reserves under the page lock, and when that fails it
 * only marks page and mapping (mapping_set_error, end_extent_writepage): the
 * page stays dirty, unlike 25f3c5021985's error exit, which cleans it. */
START_TEST(test_fixup_ebusy_enospc_leaves_page_dirty)
{
	ck_assert_int_eq(cowfs_engine_sync(eng, 3), 0);
	fill_up();
	ck_assert_int_eq(cowfs_engine_munmap(eng, 5, "/f", 0, 4096, fill_byte, (void *)0x55), 0);
	ck_assert_int_eq(cowfs_engine_writeback(eng, 6, "/f", 0), 0);
	ck_assert_int_eq(page0_dirty(), 0);	/* -EBUSY: left clean, fixup queued */
	/* dirtied again before the worker runs, so the worker does its part */
	ck_assert_int_eq(cowfs_engine_munmap(eng, 7, "/f", 0, 4096, fill_byte, (void *)0x77), 0);
	ck_assert_int_eq(cowfs_engine_run(eng, 8, UINT64_MAX), 1);
	ck_assert_int_eq(other_findings, 1);
	ck_assert_ptr_nonnull(strstr(last_finding, "fixup of page 0 of /f failed, the page "
					"left dirty"));
	ck_assert_int_eq(page0_dirty(), 1);
	ck_assert_int_eq(cowfs_engine_fsync(eng, 9, "/f"), -ENOSPC);
}
END_TEST

static Suite *fidelity_suite(void)
{
	Suite *s = suite_create("engine_fidelity");
	TCase *tc = tcase_create("readpage");
	TCase *fx = tcase_create("fixup");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_checked_read_skips_csum);
	tcase_add_test(tc, test_unchecked_read_verifies_csum);
	tcase_add_test(tc, test_checked_read_of_pending_ordered);
	tcase_add_test(tc, test_unchecked_read_of_pending_ordered);
	tcase_add_test(tc, test_checked_read_of_hole_keeps_flag);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(fx, setup_4_20, teardown);
	tcase_set_timeout(fx, 60);
	tcase_add_test(fx, test_fixup_ebusy_enospc_leaves_page_dirty);
	suite_add_tcase(s, fx);
	return s;
}

int main(void)
{
	return testlib_run(fidelity_suite());
}
