/* Suite "engine": the writeback engine's paths on a real image, per profile. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cowfs/disk.h"
#include "cowfs/engine.h"
#include "cowfs/error.h"
#include "testlib.h"

#define K 1024ull

static char image[256];
static cowfs_engine *eng;

/* ---- what the engine reports ---- */

#define MAX_FINDINGS 64
static struct {
	enum cowfs_finding kind;
	uint64_t line;
	char text[256];
} findings[MAX_FINDINGS];
static int nfindings;

static void on_finding(void *arg, uint64_t line, enum cowfs_finding kind, const char *text)
{
	(void)arg;
	if (nfindings < MAX_FINDINGS) {
		findings[nfindings].kind = kind;
		findings[nfindings].line = line;
		snprintf(findings[nfindings].text, sizeof(findings[0].text), "%s", text);
	}
	nfindings++;
}

static int count_findings(enum cowfs_finding kind)
{
	int n = 0;

	for (int i = 0; i < nfindings && i < MAX_FINDINGS; i++)
		n += findings[i].kind == kind;
	return n;
}

static int nevents;

static void on_event(void *arg, uint64_t line, const char *text)
{
	(void)arg;
	(void)line;
	(void)text;
	nevents++;
	if (getenv("ENGINE_TEST_VERBOSE"))
		fprintf(stderr, "  line %llu: %s\n", (unsigned long long)line, text);
}

/* A hook: called at each point; tests set it. */
static void (*hook)(enum cowfs_point pt, uint64_t line);
static int point_hits[COWFS_PT_NR];

static void on_point(void *arg, enum cowfs_point pt, uint64_t line, const char *where)
{
	(void)arg;
	(void)where;
	point_hits[pt]++;
	if (hook)
		hook(pt, line);
}

/* ---- data: the trace format's stamp generator ---- */

static uint8_t stamp(uint64_t line, uint64_t x)
{
	uint64_t w = (((line & 0xFFFFFF) << 40) | ((x >> 3) & 0xFFFFFFFFFFull)) ^
		     0x5A5A5A5A5A5A5A5Aull;

	return (uint8_t)(w >> (8 * (x & 7)));
}

static int fill_stamp(void *arg, uint64_t off, void *buf, size_t len)
{
	uint64_t line = (uint64_t)(uintptr_t)arg;

	for (size_t i = 0; i < len; i++)
		((uint8_t *)buf)[i] = stamp(line, off + i);
	return 0;
}

#define LINE(n) ((void *)(uintptr_t)(n))

/* ---- set up ---- */

static void make_image(uint64_t size)
{
	static const uint8_t uuid[16] = { 0xc0, 0x3f, 0x5e, 0x11, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
	struct cowfs_mkfs_opts o = { .size = size, .uuid = uuid };

	ck_assert_int_eq(testlib_temp_image(image, sizeof(image), "engine", &o), 0);
}

static void open_engine(const char *profile, uint64_t cache_pages, uint64_t seed)
{
	struct cowfs_engine_opts opts = {
		.profile = cowfs_profile_find(profile), .cache_pages = cache_pages, .seed = seed,
		.verbose = 1, .ops = { on_event, on_finding, on_point, NULL },
	};

	ck_assert_ptr_nonnull(opts.profile);
	ck_assert_int_eq(cowfs_engine_open(image, &opts, &eng), 0);
}

static void setup(void)
{
	nfindings = nevents = 0;
	memset(point_hits, 0, sizeof(point_hits));
	hook = NULL;
	make_image(64ull << 20);
}

static void teardown(void)
{
	if (eng)
		cowfs_engine_close(eng);
	eng = NULL;
	unlink(image);
}

/* ---- checks ---- */

/* The bytes [off, off + len) of path read through the engine come from line
 * (0: zeros).  Returns the number of mismatching bytes. */
static uint64_t mismatches(const char *path, uint64_t off, uint64_t len, uint64_t line)
{
	uint8_t *buf = malloc(len);
	uint64_t nread = 0, bad = 0;

	ck_assert_ptr_nonnull(buf);
	cowfs_engine_read(eng, 999, path, off, len, buf, &nread);
	ck_assert_uint_eq(nread, len);
	for (uint64_t i = 0; i < len; i++)
		bad += buf[i] != (line ? stamp(line, off + i) : 0);
	free(buf);
	return bad;
}

static void write_ok(uint64_t line, const char *path, uint64_t off, uint64_t len)
{
	ck_assert_int_eq(cowfs_engine_write(eng, line, path, off, len, fill_stamp, LINE(line),
					    COWFS_NO_FAULT), 0);
}

static void crash(void)
{
	ck_assert_int_eq(cowfs_engine_crash(eng, 900), 0);
}

/* ---- basic durability ---- */

START_TEST(test_write_sync_crash)
{
	open_engine("current", 0, 0);
	ck_assert_int_eq(cowfs_engine_create(eng, 1, "/f"), 0);
	write_ok(2, "/f", 0, 10000);
	ck_assert_uint_eq(mismatches("/f", 0, 10000, 2), 0);
	ck_assert_int_eq(cowfs_engine_sync(eng, 3), 0);
	crash();
	ck_assert_uint_eq(mismatches("/f", 0, 10000, 2), 0);
	ck_assert_int_eq(nfindings, 0);
}
END_TEST

START_TEST(test_unsynced_write_lost_on_crash)
{
	uint64_t size;

	open_engine("current", 0, 0);
	ck_assert_int_eq(cowfs_engine_create(eng, 1, "/f"), 0);
	write_ok(2, "/f", 0, 8192);
	ck_assert_int_eq(cowfs_engine_sync(eng, 3), 0);
	write_ok(4, "/f", 4096, 8192);
	/* written back and finished, but never committed */
	ck_assert_int_eq(cowfs_engine_writeback(eng, 5, "/f", 1), 0);
	ck_assert_int_eq(cowfs_engine_pending(eng), 0);
	crash();
	ck_assert_int_eq(cowfs_engine_size(eng, "/f", &size), 0);
	ck_assert_uint_eq(size, 8192);
	ck_assert_uint_eq(mismatches("/f", 0, 8192, 2), 0);
	ck_assert_int_eq(nfindings, 0);
}
END_TEST

START_TEST(test_queued_work_and_run)
{
	struct cowfs_engine_stats st;

	open_engine("current", 0, 0);
	ck_assert_int_eq(cowfs_engine_create(eng, 1, "/f"), 0);
	write_ok(2, "/f", 0, 3 * 4096);
	ck_assert_int_eq(cowfs_engine_writeback(eng, 3, "/f", 0), 0);
	ck_assert_uint_eq(cowfs_engine_pending(eng), 1);	/* the bio's submission */
	ck_assert_int_eq(point_hits[COWFS_PT_WRITEBACK_CLEANED], 3);
	ck_assert_int_eq(point_hits[COWFS_PT_WRITEBACK_CSUMMED], 0);
	ck_assert_int_eq(cowfs_engine_run(eng, 4, 1), 1);
	ck_assert_int_eq(point_hits[COWFS_PT_WRITEBACK_CSUMMED], 1);
	ck_assert_uint_eq(cowfs_engine_pending(eng), 1);	/* the IO */
	ck_assert_int_eq(cowfs_engine_run(eng, 5, 1), 1);
	ck_assert_int_eq(point_hits[COWFS_PT_WRITEBACK_IO_DONE], 1);
	ck_assert_uint_eq(cowfs_engine_pending(eng), 1);	/* finish_ordered_io */
	ck_assert_int_eq(cowfs_engine_run(eng, 6, 10), 1);
	ck_assert_uint_eq(cowfs_engine_pending(eng), 0);
	cowfs_engine_get_stats(eng, &st);
	ck_assert_uint_eq(st.pages_written, 3);
	ck_assert_uint_eq(st.ordered_extents, 1);
	ck_assert_int_eq(cowfs_engine_commit(eng, 7), 0);
	crash();
	ck_assert_uint_eq(mismatches("/f", 0, 3 * 4096, 2), 0);
	ck_assert_int_eq(nfindings, 0);
}
END_TEST

/* Reclaimed after its IO but before finish_ordered_io: read back through the
 * ordered extent's new location and in-memory csums. */
START_TEST(test_read_pending_ordered)
{
	open_engine("current", 0, 0);
	ck_assert_int_eq(cowfs_engine_create(eng, 1, "/f"), 0);
	write_ok(2, "/f", 0, 8192);
	ck_assert_int_eq(cowfs_engine_writeback(eng, 3, "/f", 0), 0);
	ck_assert_int_eq(cowfs_engine_run(eng, 4, 2), 2);
	ck_assert_uint_eq(cowfs_engine_pending(eng), 1);
	ck_assert_int_eq(cowfs_engine_reclaim(eng, 5, "/f", UINT64_MAX), 2);
	ck_assert_uint_eq(mismatches("/f", 0, 8192, 2), 0);
	ck_assert_int_eq(cowfs_engine_sync(eng, 6), 0);
	ck_assert_int_eq(nfindings, 0);
}
END_TEST

/* ---- the lost update of 7703bdd8d23e ---- */

static void reclaim_hook(enum cowfs_point pt, uint64_t line)
{
	(void)line;
	if (pt == COWFS_PT_WRITE_RETRY)
		cowfs_engine_reclaim(eng, 11, NULL, UINT64_MAX);
}

static void short_copy_trace(const char *profile)
{
	open_engine(profile, 0, 0);
	ck_assert_int_eq(cowfs_engine_create(eng, 1, "/f"), 0);
	ck_assert_int_eq(cowfs_engine_sync(eng, 2), 0);
	write_ok(3, "/f", 0, 8192);
	hook = reclaim_hook;
	ck_assert_int_eq(cowfs_engine_write(eng, 4, "/f", 4000, 200, fill_stamp, LINE(4), 0), 0);
	hook = NULL;
	ck_assert_int_eq(point_hits[COWFS_PT_WRITE_RETRY], 1);
	ck_assert_int_eq(cowfs_engine_sync(eng, 5), 0);
	crash();
	ck_assert_uint_eq(mismatches("/f", 4000, 200, 4), 0);
}

START_TEST(test_short_copy_current_keeps_data)
{
	short_copy_trace("current");
	ck_assert_uint_eq(mismatches("/f", 0, 4000, 3), 0);
	ck_assert_uint_eq(mismatches("/f", 4200, 8192 - 4200, 3), 0);
	ck_assert_int_eq(nfindings, 0);
}
END_TEST

START_TEST(test_short_copy_4_19_loses_data)
{
	short_copy_trace("linux-4.19");
	/* the pages were cleaned before the copy and reclaimed: line 3 is gone */
	ck_assert_uint_eq(mismatches("/f", 0, 4000, 0), 0);
	ck_assert_uint_eq(mismatches("/f", 4200, 8192 - 4200, 0), 0);
}
END_TEST

/* ---- out-of-band dirty pages ---- */

/* Returns what the writeback of the out-of-band page returned. */
static int oob_trace(const char *profile)
{
	int ret;

	open_engine(profile, 0, 0);
	ck_assert_int_eq(cowfs_engine_create(eng, 1, "/f"), 0);
	write_ok(2, "/f", 0, 8192);
	ck_assert_int_eq(cowfs_engine_sync(eng, 3), 0);
	ck_assert_int_eq(cowfs_engine_munmap(eng, 4, "/f", 0, 4096, fill_stamp, LINE(4)), 0);
	ret = cowfs_engine_writeback(eng, 5, "/f", 0);
	cowfs_engine_run(eng, 6, UINT64_MAX);
	ck_assert_int_eq(cowfs_engine_sync(eng, 7), 0);
	crash();
	return ret;
}

START_TEST(test_oob_fixup_current)
{
	struct cowfs_engine_stats st;

	ck_assert_int_eq(oob_trace("current"), 0);
	ck_assert_int_eq(point_hits[COWFS_PT_WRITEBACK_FIXUP_QUEUED], 1);
	ck_assert_int_eq(point_hits[COWFS_PT_FIXUP_RUN], 1);
	cowfs_engine_get_stats(eng, &st);
	ck_assert_uint_eq(st.fixups_queued, 1);
	ck_assert_uint_eq(mismatches("/f", 0, 4096, 4), 0);
	ck_assert_uint_eq(mismatches("/f", 4096, 4096, 2), 0);
	ck_assert_int_eq(nfindings, 0);
}
END_TEST

START_TEST(test_oob_fixup_ebusy_loses)
{
	ck_assert_int_eq(oob_trace("linux-4.19"), 0);
	ck_assert_int_eq(point_hits[COWFS_PT_FIXUP_RUN], 1);
	/* the hook left the page clean; the worker found it clean and skipped it */
	ck_assert_uint_eq(mismatches("/f", 0, 4096, 2), 0);
	ck_assert_int_eq(nfindings, 0);
}
END_TEST

START_TEST(test_oob_fixup_noreserve)
{
	ck_assert_int_eq(oob_trace("linux-2.6.29"), 0);
	ck_assert_uint_eq(mismatches("/f", 0, 4096, 4), 0);
	ck_assert_int_eq(nfindings, 0);
}
END_TEST

START_TEST(test_oob_reject)
{
	ck_assert_int_eq(oob_trace("linux-6.15-experimental"), 0);
	ck_assert_int_eq(point_hits[COWFS_PT_WRITEBACK_FIXUP_QUEUED], 0);
	ck_assert_int_eq(count_findings(COWFS_FINDING_IOERR), 1);
	ck_assert_uint_eq(mismatches("/f", 0, 4096, 2), 0);
}
END_TEST

START_TEST(test_oob_none_in_place)
{
	uint8_t buf[4096];
	uint64_t nread;

	ck_assert_int_eq(oob_trace("pre-fixup"), 0);
	/* rewritten in place over the committed block, its old checksum kept */
	ck_assert_int_eq(cowfs_engine_read(eng, 20, "/f", 0, 4096, buf, &nread), -COWFS_ECSUM);
	ck_assert_int_eq(count_findings(COWFS_FINDING_CSUM), 1);
	ck_assert_uint_eq(mismatches("/f", 4096, 4096, 2), 0);
}
END_TEST

/* ---- stable pages ---- */

static void store_under_writeback(int pin)
{
	uint8_t buf[4096];
	uint64_t nread;
	int ret;

	open_engine("current", 0, 0);
	ck_assert_int_eq(cowfs_engine_create(eng, 1, "/f"), 0);
	write_ok(2, "/f", 0, 4096);
	ck_assert_int_eq(cowfs_engine_writeback(eng, 3, "/f", 0), 0);
	ck_assert_int_eq(cowfs_engine_run(eng, 4, 1), 1);	/* checksummed, IO in flight */
	if (pin)
		ret = cowfs_engine_pin_write(eng, 5, "/f", 0, 4096, fill_stamp, LINE(5));
	else
		ret = cowfs_engine_munmap(eng, 5, "/f", 0, 4096, fill_stamp, LINE(5));
	ck_assert_int_eq(ret, 0);
	/* the IO ends, its extent and csum are committed; the redirtied page is not
	 * written again before the crash */
	cowfs_engine_run(eng, 6, UINT64_MAX);
	ck_assert_int_eq(cowfs_engine_commit(eng, 7), 0);
	crash();
	ret = cowfs_engine_read(eng, 8, "/f", 0, 4096, buf, &nread);
	ck_assert_int_eq(ret, pin ? -COWFS_ECSUM : 0);
}

START_TEST(test_pin_write_breaks_csum)
{
	store_under_writeback(1);
	ck_assert_int_eq(count_findings(COWFS_FINDING_CSUM), 1);
	ck_assert_int_eq(count_findings(COWFS_FINDING_INVARIANT), 0);
}
END_TEST

START_TEST(test_munmap_waits_for_writeback)
{
	store_under_writeback(0);
	ck_assert_uint_eq(mismatches("/f", 0, 4096, 2), 0);
	ck_assert_int_eq(nfindings, 0);
}
END_TEST

/* ---- re-entrancy and deadlocks ---- */

static int hook_ret;

static void write_same_page_hook(enum cowfs_point pt, uint64_t line)
{
	(void)line;
	if (pt == COWFS_PT_WRITEBACK_CLEANED && !hook_ret)
		hook_ret = cowfs_engine_write(eng, 9, "/f", 0, 10, fill_stamp, LINE(9),
					      COWFS_NO_FAULT);
}

START_TEST(test_deadlock_reported)
{
	open_engine("current", 0, 0);
	ck_assert_int_eq(cowfs_engine_create(eng, 1, "/f"), 0);
	write_ok(2, "/f", 0, 4096);
	hook = write_same_page_hook;
	hook_ret = 0;
	ck_assert_int_eq(cowfs_engine_writeback(eng, 3, "/f", 1), 0);
	hook = NULL;
	ck_assert_int_eq(hook_ret, -EDEADLK);
	ck_assert_int_eq(count_findings(COWFS_FINDING_DEADLOCK), 1);
	ck_assert_uint_eq(findings[0].line, 9);
	ck_assert_ptr_nonnull(strstr(findings[0].text, "line 3 (writeback) paused at writeback.cleaned"));
	ck_assert_int_eq(cowfs_engine_sync(eng, 4), 0);
	crash();
	ck_assert_uint_eq(mismatches("/f", 0, 4096, 2), 0);
}
END_TEST

static void munmap_at_csummed_hook(enum cowfs_point pt, uint64_t line)
{
	(void)line;
	if (pt == COWFS_PT_WRITEBACK_CSUMMED && !hook_ret)
		hook_ret = 1 + cowfs_engine_munmap(eng, 9, "/f", 0, 4096, fill_stamp, LINE(9));
}

/* A hook waiting for the IO of the bio whose submission reached the point: the IO
 * is already queued, so the wait runs it. */
START_TEST(test_hook_waits_for_inflight_io)
{
	open_engine("current", 0, 0);
	ck_assert_int_eq(cowfs_engine_create(eng, 1, "/f"), 0);
	write_ok(2, "/f", 0, 4096);
	ck_assert_int_eq(cowfs_engine_writeback(eng, 3, "/f", 0), 0);
	hook = munmap_at_csummed_hook;
	hook_ret = 0;
	/* submission and finish; the hook's wait ran the IO itself */
	ck_assert_int_eq(cowfs_engine_run(eng, 4, UINT64_MAX), 2);
	ck_assert_uint_eq(cowfs_engine_pending(eng), 0);
	hook = NULL;
	ck_assert_int_eq(hook_ret, 1);
	ck_assert_int_eq(cowfs_engine_sync(eng, 5), 0);
	crash();
	ck_assert_uint_eq(mismatches("/f", 0, 4096, 9), 0);
	ck_assert_int_eq(nfindings, 0);
}
END_TEST

static void reclaim_locked_hook(enum cowfs_point pt, uint64_t line)
{
	(void)line;
	if (pt == COWFS_PT_WRITE_COPIED)
		hook_ret = (int)cowfs_engine_reclaim(eng, 9, NULL, UINT64_MAX);
}

START_TEST(test_reclaim_skips_locked_pages)
{
	open_engine("current", 0, 0);
	ck_assert_int_eq(cowfs_engine_create(eng, 1, "/f"), 0);
	hook = reclaim_locked_hook;
	hook_ret = -1;
	write_ok(2, "/f", 0, 8192);
	hook = NULL;
	ck_assert_int_eq(hook_ret, 0);
	ck_assert_uint_eq(mismatches("/f", 0, 8192, 2), 0);
}
END_TEST

static int run_in_hook = -1;

static void run_at_second_clean_hook(enum cowfs_point pt, uint64_t line)
{
	(void)line;
	if (pt == COWFS_PT_WRITEBACK_CLEANED && run_in_hook < 0)
		run_in_hook = (int)cowfs_engine_run(eng, 9, UINT64_MAX);
}

/* The fixup worker sleeps on the page writeback holds: it backs off, stays
 * queued, and runs once the page is free. */
START_TEST(test_blocked_work_stays_queued)
{
	open_engine("current", 0, 0);
	ck_assert_int_eq(cowfs_engine_create(eng, 1, "/f"), 0);
	write_ok(2, "/f", 0, 4096);
	ck_assert_int_eq(cowfs_engine_sync(eng, 3), 0);
	ck_assert_int_eq(cowfs_engine_munmap(eng, 4, "/f", 0, 4096, fill_stamp, LINE(4)), 0);
	ck_assert_int_eq(cowfs_engine_writeback(eng, 5, "/f", 0), 0);
	ck_assert_uint_eq(cowfs_engine_pending(eng), 1);	/* the fixup */
	hook = run_at_second_clean_hook;
	run_in_hook = -1;
	ck_assert_int_eq(cowfs_engine_writeback(eng, 6, "/f", 0), 0);
	hook = NULL;
	ck_assert_int_eq(run_in_hook, 0);
	ck_assert_uint_eq(cowfs_engine_pending(eng), 1);
	ck_assert_int_eq(count_findings(COWFS_FINDING_DEADLOCK), 0);
	ck_assert_int_eq(cowfs_engine_run(eng, 7, UINT64_MAX), 1);
	ck_assert_int_eq(cowfs_engine_sync(eng, 8), 0);
	crash();
	ck_assert_uint_eq(mismatches("/f", 0, 4096, 4), 0);
	ck_assert_int_eq(nfindings, 0);
}
END_TEST

static void truncate_at_page1_hook(enum cowfs_point pt, uint64_t line)
{
	(void)line;
	if (pt == COWFS_PT_WRITEBACK_CLEANED && point_hits[pt] == 2)
		hook_ret = cowfs_engine_truncate(eng, 9, "/f", 8192);
}

/* Pages set up for IO (Private2) but truncated before writepage reached them cut
 * their ordered extent short; the truncate's own wait cannot end while the paused
 * writeback holds the first pages' bio. */
START_TEST(test_truncated_ordered_extent)
{
	uint64_t size;

	open_engine("current", 0, 0);
	ck_assert_int_eq(cowfs_engine_create(eng, 1, "/f"), 0);
	write_ok(2, "/f", 0, 16384);
	hook = truncate_at_page1_hook;
	hook_ret = 0;
	ck_assert_int_eq(cowfs_engine_writeback(eng, 3, "/f", 1), 0);
	hook = NULL;
	ck_assert_int_eq(hook_ret, -EDEADLK);
	ck_assert_int_eq(count_findings(COWFS_FINDING_DEADLOCK), 1);
	ck_assert_int_eq(cowfs_engine_sync(eng, 4), 0);
	crash();
	ck_assert_int_eq(cowfs_engine_size(eng, "/f", &size), 0);
	ck_assert_uint_eq(size, 8192);
	ck_assert_uint_eq(mismatches("/f", 0, 8192, 2), 0);
	ck_assert_int_eq(count_findings(COWFS_FINDING_INVARIANT), 0);
	ck_assert_int_eq(count_findings(COWFS_FINDING_CSUM), 0);
}
END_TEST

/* The fixup worker cannot reserve: the out-of-band data is dropped with an error. */
START_TEST(test_fixup_enospc)
{
	int ret = 0;

	teardown();
	make_image(16ull << 20);
	open_engine("current", 0, 0);
	ck_assert_int_eq(cowfs_engine_create(eng, 1, "/f"), 0);
	ck_assert_int_eq(cowfs_engine_create(eng, 1, "/g"), 0);
	write_ok(2, "/f", 0, 4096);
	ck_assert_int_eq(cowfs_engine_sync(eng, 3), 0);
	for (int i = 0; i < 256 && !ret; i++)
		ret = cowfs_engine_write(eng, 4, "/g", (uint64_t)i * 65536, 65536, fill_stamp,
					 LINE(4), COWFS_NO_FAULT);
	ck_assert_int_eq(ret, -ENOSPC);
	for (uint64_t off = 16ull << 20; !(ret = cowfs_engine_write(eng, 4, "/g", off, 4096,
			fill_stamp, LINE(4), COWFS_NO_FAULT)); off += 4096)
		;
	ck_assert_int_eq(ret, -ENOSPC);
	ck_assert_int_eq(cowfs_engine_munmap(eng, 5, "/f", 0, 4096, fill_stamp, LINE(5)), 0);
	ck_assert_int_eq(cowfs_engine_writeback(eng, 6, "/f", 0), 0);
	ck_assert_int_eq(cowfs_engine_run(eng, 7, UINT64_MAX), 1);
	ck_assert_int_eq(count_findings(COWFS_FINDING_IOERR), 1);
	ck_assert_ptr_nonnull(strstr(findings[0].text, "fixup of page 0 of /f failed"));
	ck_assert_int_eq(cowfs_engine_fsync(eng, 8, "/f"), -ENOSPC);	/* the mapping's error */
	ck_assert_int_eq(cowfs_engine_fsync(eng, 9, "/f"), 0);		/* reported once */
	crash();
	ck_assert_uint_eq(mismatches("/f", 0, 4096, 2), 0);
}
END_TEST

/* Writers throttle: dirty and writeback pages never hold the cache far above its
 * budget, even with no sync in the trace. */
START_TEST(test_dirty_memory_bounded)
{
	struct cowfs_engine_stats st;

	open_engine("current", 16, 0);
	ck_assert_int_eq(cowfs_engine_create(eng, 1, "/f"), 0);
	write_ok(2, "/f", 0, 1024 * 1024);
	ck_assert_int_eq(cowfs_engine_mwrite(eng, 3, "/f", 0, 1024 * 1024, fill_stamp, LINE(3)),
			 0);
	cowfs_engine_get_stats(eng, &st);
	ck_assert_uint_le(st.cache_peak, 16 + 40);
	ck_assert_int_eq(cowfs_engine_sync(eng, 4), 0);
	crash();
	ck_assert_uint_eq(mismatches("/f", 0, 1024 * 1024, 3), 0);
	ck_assert_int_eq(nfindings, 0);
}
END_TEST

/* A write past EOF's block first zeroes that block's tail: the disk still has
 * the bytes a shrinking truncate cut off. */
START_TEST(test_write_past_eof_zeroes_tail)
{
	open_engine("current", 0, 0);
	ck_assert_int_eq(cowfs_engine_create(eng, 1, "/f"), 0);
	write_ok(2, "/f", 0, 10000);
	ck_assert_int_eq(cowfs_engine_sync(eng, 3), 0);
	ck_assert_int_eq(cowfs_engine_truncate(eng, 4, "/f", 5000), 0);
	ck_assert_int_eq(cowfs_engine_sync(eng, 5), 0);
	ck_assert_int_eq(cowfs_engine_reclaim(eng, 6, "/f", UINT64_MAX), 2);
	write_ok(7, "/f", 20000, 10);
	ck_assert_uint_eq(mismatches("/f", 5000, 15000, 0), 0);
	ck_assert_int_eq(cowfs_engine_sync(eng, 8), 0);
	crash();
	ck_assert_uint_eq(mismatches("/f", 0, 5000, 2), 0);
	ck_assert_uint_eq(mismatches("/f", 5000, 15000, 0), 0);
	ck_assert_uint_eq(mismatches("/f", 20000, 10, 7), 0);
	ck_assert_int_eq(nfindings, 0);
}
END_TEST

/* An ordered extent finishing under a grown file: v5.4 carries the size a
 * truncate recorded, block-aligned, which the file never had; with NO_HOLES the
 * size is i_size. */
static uint64_t size_after_truncate_race(const char *profile)
{
	uint64_t size;

	open_engine(profile, 0, 0);
	ck_assert_int_eq(cowfs_engine_create(eng, 1, "/f"), 0);
	write_ok(2, "/f", 0, 4096);
	ck_assert_int_eq(cowfs_engine_writeback(eng, 3, "/f", 0), 0);
	ck_assert_int_eq(cowfs_engine_truncate(eng, 4, "/f", 10000), 0);
	write_ok(5, "/f", 10000, 10000);
	ck_assert_int_eq(cowfs_engine_run(eng, 6, UINT64_MAX), 3);
	ck_assert_int_eq(cowfs_engine_commit(eng, 7), 0);
	crash();
	ck_assert_int_eq(cowfs_engine_size(eng, "/f", &size), 0);
	ck_assert_uint_eq(mismatches("/f", 0, 4096, 2), 0);
	ck_assert_int_eq(nfindings, 0);
	return size;
}

START_TEST(test_disk_i_size_no_holes)
{
	ck_assert_uint_eq(size_after_truncate_race("current"), 20000);
}
END_TEST

START_TEST(test_disk_i_size_ordered_5_6)
{
	ck_assert_uint_eq(size_after_truncate_race("linux-5.6"), 12288);
}
END_TEST

/* ---- truncate, unlink, mmap, cache budget, ENOSPC, seeds ---- */

START_TEST(test_truncate)
{
	uint64_t size;

	open_engine("current", 0, 0);
	ck_assert_int_eq(cowfs_engine_create(eng, 1, "/f"), 0);
	write_ok(2, "/f", 0, 16384);
	ck_assert_int_eq(cowfs_engine_writeback(eng, 3, "/f", 0), 0);
	ck_assert_int_eq(cowfs_engine_truncate(eng, 4, "/f", 5000), 0);
	ck_assert_int_eq(cowfs_engine_truncate(eng, 5, "/f", 10000), 0);
	ck_assert_int_eq(cowfs_engine_sync(eng, 6), 0);
	crash();
	ck_assert_int_eq(cowfs_engine_size(eng, "/f", &size), 0);
	ck_assert_uint_eq(size, 10000);
	ck_assert_uint_eq(mismatches("/f", 0, 5000, 2), 0);
	ck_assert_uint_eq(mismatches("/f", 5000, 5000, 0), 0);
	ck_assert_int_eq(nfindings, 0);
}
END_TEST

START_TEST(test_unlink_waits_for_ordered)
{
	uint64_t size;

	open_engine("current", 0, 0);
	ck_assert_int_eq(cowfs_engine_create(eng, 1, "/f"), 0);
	ck_assert_int_eq(cowfs_engine_create(eng, 2, "/g"), 0);
	write_ok(3, "/f", 0, 8192);
	write_ok(4, "/g", 0, 8192);
	ck_assert_int_eq(cowfs_engine_writeback(eng, 5, NULL, 0), 0);
	ck_assert_int_eq(cowfs_engine_unlink(eng, 6, "/f"), 0);
	ck_assert_int_eq(cowfs_engine_size(eng, "/f", &size), -ENOENT);
	ck_assert_uint_ge(cowfs_engine_pending(eng), 1);	/* /g's work stays queued */
	ck_assert_int_eq(cowfs_engine_sync(eng, 7), 0);
	crash();
	ck_assert_int_eq(cowfs_engine_size(eng, "/f", &size), -ENOENT);
	ck_assert_uint_eq(mismatches("/g", 0, 8192, 4), 0);
	ck_assert_int_eq(nfindings, 0);
}
END_TEST

START_TEST(test_mwrite)
{
	open_engine("current", 0, 0);
	ck_assert_int_eq(cowfs_engine_create(eng, 1, "/f"), 0);
	write_ok(2, "/f", 0, 8192);
	ck_assert_int_eq(cowfs_engine_sync(eng, 3), 0);
	ck_assert_int_eq(cowfs_engine_mwrite(eng, 4, "/f", 100, 5000, fill_stamp, LINE(4)), 0);
	ck_assert_int_eq(cowfs_engine_mwrite(eng, 5, "/f", 8000, 500, fill_stamp, LINE(5)),
			 -ERANGE);
	ck_assert_int_eq(cowfs_engine_writeback(eng, 6, "/f", 1), 0);
	ck_assert_int_eq(point_hits[COWFS_PT_WRITEBACK_FIXUP_QUEUED], 0);
	ck_assert_int_eq(cowfs_engine_sync(eng, 7), 0);
	crash();
	ck_assert_uint_eq(mismatches("/f", 0, 100, 2), 0);
	ck_assert_uint_eq(mismatches("/f", 100, 5000, 4), 0);
	ck_assert_uint_eq(mismatches("/f", 5100, 8192 - 5100, 2), 0);
	ck_assert_int_eq(nfindings, 0);
}
END_TEST

START_TEST(test_cache_budget)
{
	struct cowfs_engine_stats st;

	open_engine("current", 8, 0);
	ck_assert_int_eq(cowfs_engine_create(eng, 1, "/f"), 0);
	for (int i = 0; i < 16; i++) {
		write_ok(2, "/f", (uint64_t)i * 16384, 16384);
		ck_assert_int_eq(cowfs_engine_sync(eng, 3), 0);
	}
	ck_assert_uint_eq(mismatches("/f", 0, 16 * 16384, 2), 0);
	cowfs_engine_get_stats(eng, &st);
	ck_assert_uint_le(st.cache_peak, 8 + 4);
	ck_assert_uint_gt(st.pages_reclaimed, 0);
	ck_assert_int_eq(nfindings, 0);
}
END_TEST

START_TEST(test_enospc)
{
	int ret = 0;

	teardown();
	make_image(16ull << 20);
	open_engine("current", 0, 0);
	ck_assert_int_eq(cowfs_engine_create(eng, 1, "/f"), 0);
	for (int i = 0; i < 64 && !ret; i++)
		ret = cowfs_engine_write(eng, 2, "/f", (uint64_t)i * 1048576, 1048576, fill_stamp,
					 LINE(2), COWFS_NO_FAULT);
	ck_assert_int_eq(ret, -ENOSPC);
	ck_assert_int_eq(cowfs_engine_sync(eng, 3), 0);
	ck_assert_int_eq(count_findings(COWFS_FINDING_INVARIANT), 0);
}
END_TEST

static void seeded_run(uint64_t seed, const char *copy)
{
	char cmd[1024];

	open_engine("current", 0, seed);
	ck_assert_int_eq(cowfs_engine_create(eng, 1, "/f"), 0);
	ck_assert_int_eq(cowfs_engine_create(eng, 2, "/g"), 0);
	write_ok(3, "/f", 0, 40000);
	write_ok(4, "/g", 5000, 40000);
	ck_assert_int_eq(cowfs_engine_writeback(eng, 5, NULL, 0), 0);
	write_ok(6, "/f", 1000, 100);
	ck_assert_int_eq(cowfs_engine_munmap(eng, 7, "/g", 8192, 4096, fill_stamp, LINE(7)), 0);
	ck_assert_int_eq(cowfs_engine_writeback(eng, 8, NULL, 0), 0);
	cowfs_engine_run(eng, 9, 3);
	ck_assert_int_eq(cowfs_engine_sync(eng, 10), 0);
	cowfs_engine_close(eng);
	eng = NULL;
	snprintf(cmd, sizeof(cmd), "cp %s %s", image, copy);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(nfindings, 0);
}

static int same_file(const char *a, const char *b)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "cmp -s %s %s", a, b);
	return system(cmd) == 0;
}

START_TEST(test_seed_reproducible)
{
	char a[300], b[300], c[300];

	snprintf(a, sizeof(a), "%s.a", image);
	snprintf(b, sizeof(b), "%s.b", image);
	snprintf(c, sizeof(c), "%s.c", image);
	for (int i = 0; i < 3; i++) {
		teardown();
		make_image(64ull << 20);
		seeded_run(i == 2 ? 0 : 12345, i == 0 ? a : i == 1 ? b : c);
		unlink(image);
	}
	ck_assert(same_file(a, b));
	unlink(a);
	unlink(b);
	unlink(c);
	make_image(64ull << 20);	/* for the teardown */
}
END_TEST

START_TEST(test_profiles_table)
{
	ck_assert_int_ge(cowfs_profile_count(), 6);
	ck_assert_ptr_null(cowfs_profile_at(-1));
	ck_assert_ptr_null(cowfs_profile_at(cowfs_profile_count()));
	ck_assert_ptr_null(cowfs_profile_find("linux-0.1"));
	ck_assert_int_eq(cowfs_profile_find("current")->oob, COWFS_OOB_FIXUP);
	ck_assert_int_eq(cowfs_profile_find("current")->write_cleans_pages, 0);
	ck_assert_int_eq(cowfs_profile_find("linux-4.19")->write_cleans_pages, 1);
	ck_assert_int_eq(cowfs_profile_find("linux-4.20")->write_cleans_pages, 0);
	ck_assert_int_eq(cowfs_profile_find("current")->disk_i_size_no_holes, 1);
	ck_assert_int_eq(cowfs_profile_find("linux-5.6")->disk_i_size_no_holes, 0);
	ck_assert_ptr_ne(cowfs_disk_i_size_commit(0), cowfs_disk_i_size_commit(1));
	for (int m = 0; m < COWFS_OOB_NR; m++) {
		ck_assert_ptr_nonnull(strstr(cowfs_oob_mode_commit(m), " "));
		ck_assert_str_ne(cowfs_oob_mode_name(m), "unknown");
	}
	for (int i = 0; i < cowfs_profile_count(); i++)
		for (int j = i + 1; j < cowfs_profile_count(); j++)
			ck_assert_str_ne(cowfs_profile_at(i)->name, cowfs_profile_at(j)->name);
}
END_TEST

START_TEST(test_bad_arguments)
{
	uint8_t buf[16];
	uint64_t nread;

	open_engine("current", 0, 0);
	ck_assert_int_eq(cowfs_engine_create(eng, 1, "/f"), 0);
	ck_assert_int_eq(cowfs_engine_create(eng, 1, "/f"), -EEXIST);
	ck_assert_int_eq(cowfs_engine_mkdir(eng, 1, "/d"), 0);
	ck_assert_int_eq(cowfs_engine_create(eng, 1, "relative"), -EINVAL);
	ck_assert_int_eq(cowfs_engine_create(eng, 1, "/d/"), -EINVAL);
	ck_assert_int_lt(cowfs_engine_create(eng, 1, "/nope/f"), 0);
	ck_assert_int_eq(cowfs_engine_write(eng, 2, "/d", 0, 10, fill_stamp, LINE(2),
					    COWFS_NO_FAULT), -EISDIR);
	ck_assert_int_eq(cowfs_engine_write(eng, 2, "/g", 0, 10, fill_stamp, LINE(2),
					    COWFS_NO_FAULT), -ENOENT);
	ck_assert_int_eq(cowfs_engine_write(eng, 2, "/f", UINT64_MAX - 5, 10, fill_stamp,
					    LINE(2), COWFS_NO_FAULT), -EFBIG);
	ck_assert_int_eq(cowfs_engine_write(eng, 2, "/f", 0, 10, fill_stamp, LINE(2), 10),
			 -EINVAL);
	ck_assert_int_eq(cowfs_engine_read(eng, 3, "/f", 0, 16, buf, &nread), 0);
	ck_assert_uint_eq(nread, 0);
	ck_assert_int_eq(cowfs_engine_unlink(eng, 4, "/d"), 0);
	ck_assert_int_eq(cowfs_engine_write(eng, 5, "/f", 0, 0, fill_stamp, LINE(5),
					    COWFS_NO_FAULT), 0);
	ck_assert_int_eq(nfindings, 0);
}
END_TEST

/* ENGINE_TEST=name runs one test, for debugging with ENGINE_TEST_VERBOSE=1. */
#define ADD(tc, t) do {								\
		const char *only_ = getenv("ENGINE_TEST");			\
		if (!only_ || !strcmp(only_, #t))				\
			tcase_add_test(tc, t);					\
	} while (0)

static Suite *engine_suite(void)
{
	Suite *s = suite_create("engine");
	TCase *tc = tcase_create("paths");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	ADD(tc, test_write_sync_crash);
	ADD(tc, test_unsynced_write_lost_on_crash);
	ADD(tc, test_queued_work_and_run);
	ADD(tc, test_read_pending_ordered);
	ADD(tc, test_short_copy_current_keeps_data);
	ADD(tc, test_short_copy_4_19_loses_data);
	ADD(tc, test_oob_fixup_current);
	ADD(tc, test_oob_fixup_ebusy_loses);
	ADD(tc, test_oob_fixup_noreserve);
	ADD(tc, test_oob_reject);
	ADD(tc, test_oob_none_in_place);
	ADD(tc, test_pin_write_breaks_csum);
	ADD(tc, test_munmap_waits_for_writeback);
	ADD(tc, test_deadlock_reported);
	ADD(tc, test_hook_waits_for_inflight_io);
	ADD(tc, test_reclaim_skips_locked_pages);
	ADD(tc, test_blocked_work_stays_queued);
	ADD(tc, test_truncated_ordered_extent);
	ADD(tc, test_fixup_enospc);
	ADD(tc, test_dirty_memory_bounded);
	ADD(tc, test_write_past_eof_zeroes_tail);
	ADD(tc, test_disk_i_size_no_holes);
	ADD(tc, test_disk_i_size_ordered_5_6);
	ADD(tc, test_truncate);
	ADD(tc, test_unlink_waits_for_ordered);
	ADD(tc, test_mwrite);
	ADD(tc, test_cache_budget);
	ADD(tc, test_enospc);
	ADD(tc, test_seed_reproducible);
	ADD(tc, test_profiles_table);
	ADD(tc, test_bad_arguments);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return testlib_run(engine_suite());
}
