/* Suite "replay": the driver, end to end, on real images through the engine. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cowfs/disk.h"
#include "cowfs/error.h"
#include "cowfs/expect.h"
#include "cowfs/replay.h"
#include "cowfs/trace.h"
#include "testlib.h"

static char image[4096], trace[4096];

static void tmpname(char *buf, size_t size, const char *what)
{
	ck_assert_int_eq(testlib_temp_file(buf, size, what), 0);
}

static void setup(void)
{
	struct cowfs_mkfs_opts o = { .size = 64ull << 20, .time = 1700000000 };

	tmpname(image, sizeof(image), "img");
	tmpname(trace, sizeof(trace), "trace");
	ck_assert_int_eq(cowfs_mkfs(image, &o), 0);
}

static void teardown(void)
{
	unlink(image);
	unlink(trace);
}

static void put_trace(const char *text)
{
	testlib_put_file(trace, text);
}

struct log {
	char text[8192];
	int expect_content;
};

static const char *const whens[] = { "op", "read", "crash", "end" };

static void on_finding(void *arg, const struct cowfs_replay_finding *f)
{
	struct log *l = arg;
	size_t used = strlen(l->text);

	snprintf(l->text + used, sizeof(l->text) - used, "%s %llu %s%s\n", whens[f->when],
		 (unsigned long long)f->line, f->severity == COWFS_SEV_WARNING ? "warning: " : "",
		 f->message);
	if (f->expect && f->expect->kind == COWFS_EXPECT_CONTENT)
		l->expect_content++;
}

static struct log out;
static struct cowfs_replay_stats stats;
static struct cowfs_trace_error err;

static int replay(const char *text, const struct cowfs_replay_opts *opts)
{
	struct cowfs_replay_ops ops = { .arg = &out, .finding = on_finding };

	memset(&out, 0, sizeof(out));
	memset(&err, 0, sizeof(err));
	put_trace(text);
	return cowfs_replay(trace, image, opts, &ops, &stats, &err);
}

START_TEST(test_clean)
{
	char *text = NULL;
	size_t size = 0;
	FILE *m = open_memstream(&text, &size);
	struct cowfs_replay_opts opts = { .expect_out = m };

	ck_assert_int_eq(replay("cowtrace 1\nmkdir /d\ncreate /d/f\nwrite /d/f 0 8192\n"
				"write /d/f 100 50 data=fill:7\ntruncate /d/f 6000\n", &opts), 0);
	fclose(m);
	ck_assert_str_eq(out.text, "");
	ck_assert_uint_eq(stats.errors, 0);
	ck_assert_uint_eq(stats.ops, 5);
	ck_assert_uint_eq(stats.last_line, 6);
	ck_assert_str_eq(text, "cowexpect 1\ndir /d\nfile /d/f size=6000\nrange 0 100 4:stamp\n"
			 "range 100 50 5:fill:7\nrange 150 5850 4:stamp\n");
	free(text);
}
END_TEST

/* The expected state written out checks the image clean, offline. */
START_TEST(test_expect_out_checks_image)
{
	FILE *f = tmpfile();
	struct cowfs_replay_opts opts = { .expect_out = f };
	cowfs_expect *e;
	cowfs_fs *fs;

	ck_assert_int_eq(replay("cowtrace 1\ncreate /f\nwrite /f 0 20000 data=rand:9\n"
				"mwrite /f 4096 100\n", &opts), 0);
	rewind(f);
	ck_assert_int_eq(cowfs_expect_read_file(f, "out", &e, NULL), 0);
	fclose(f);
	ck_assert_int_eq(cowfs_open(image, 0, &fs), 0);
	ck_assert_int_eq(cowfs_expect_check(fs, e, NULL, NULL), 0);
	cowfs_close(fs);
	cowfs_expect_free(e);
}
END_TEST

/* The lost update of the buffered-write path before Linux 4.20 (7703bdd8d23e). */
START_TEST(test_lost_update)
{
	static const char text[] = "cowtrace 1\ncreate /f\nwrite /f 0 8192\n"
				   "write /f 4000 200 fault=0\n@write.retry reclaim\nsync\n";
	struct cowfs_replay_opts opts = { .profile = cowfs_profile_find("linux-4.19") };

	ck_assert_ptr_nonnull(opts.profile);
	ck_assert_int_eq(replay(text, &opts), 0);
	ck_assert_uint_eq(stats.hooks_fired, 1);
	ck_assert_uint_ge(stats.errors, 1);
	ck_assert_int_eq(out.expect_content, (int)stats.errors);
	ck_assert_ptr_nonnull(strstr(out.text, "end 0 /f ["));
	ck_assert_ptr_nonnull(strstr(out.text, "expected line 3, found zeros"));
	/* The same trace on today's engine is clean. */
	teardown();
	setup();
	ck_assert_int_eq(replay(text, NULL), 0);
	ck_assert_str_eq(out.text, "");
}
END_TEST

START_TEST(test_trace_error_untouched)
{
	size_t n1, n2;
	char *before = testlib_slurp(image, &n1), *after;

	ck_assert_int_eq(replay("cowtrace 1\ncreate /f\nwrite /f 0 x\n", NULL), -COWFS_ETRACE);
	ck_assert_uint_eq(err.line, 3);
	ck_assert_int_eq(replay("cowtrace 1\ncreate /f\nmwrite /f 0 10\n", NULL), -COWFS_EREPLAY);
	ck_assert_uint_eq(err.line, 3);
	ck_assert_str_eq(err.msg, "cannot replay mwrite /f [0, 10): past the end of the file");
	ck_assert_int_eq(replay("cowtrace 1\nmkdir /d\ncreate /d/f\nunlink /d\n", NULL),
			 -COWFS_EREPLAY);
	ck_assert_str_eq(err.msg, "cannot replay unlink /d: Directory not empty");
	ck_assert_int_eq(replay("cowtrace 1\ncreate /f\nwrite /f 0 10\n@write.copied unlink /g\n",
				NULL), -COWFS_EREPLAY);
	ck_assert_uint_eq(err.line, 4);
	after = testlib_slurp(image, &n2);
	ck_assert_uint_eq(n1, n2);
	ck_assert(!memcmp(before, after, n1));
	free(before);
	free(after);
}
END_TEST

START_TEST(test_crash)
{
	static const char text[] =
		"cowtrace 1\n"
		"create /f\n"
		"write /f 0 8192\n"
		"fsync /f\n"
		"write /f 0 4096\n"		/* line 5: may or may not survive */
		"create /g\n"
		"crash\n"
		"write /f 8192 100\n"		/* line 8: after the crash, on what survived */
		"read /f 0 9000\n";
	char *text_out = NULL;
	size_t size = 0;
	FILE *m = open_memstream(&text_out, &size);
	struct cowfs_replay_opts opts = { .expect_out = m };

	ck_assert_int_eq(replay(text, &opts), 0);
	fclose(m);
	ck_assert_str_eq(out.text, "");
	ck_assert_uint_eq(stats.crashes, 1);
	ck_assert_uint_eq(stats.reads, 1);
	/* fsync commits everything in this engine: line 5 and /g did not reach the disk. */
	ck_assert_str_eq(text_out, "cowexpect 1\nfile /f size=8292\nrange 0 8192 3:stamp\n"
			 "range 8192 100 8:stamp\n");
	free(text_out);
}
END_TEST

START_TEST(test_crash_hook)
{
	ck_assert_int_eq(replay("cowtrace 1\ncreate /f\nwrite /f 0 8192\nsync\n"
				"write /f 0 4096\nsync\n@commit.start crash\n", NULL), 0);
	ck_assert_uint_eq(stats.crashes, 1);
	ck_assert_uint_eq(stats.hooks_fired, 1);
	ck_assert_str_eq(out.text, "");
}
END_TEST

START_TEST(test_hooks_unfired)
{
	static const char text[] = "cowtrace 1\ncreate /f\nwrite /f 0 10\n@fixup.run reclaim\n"
				   "@write.copied#2 run\n";
	struct cowfs_replay_opts strict = { .strict = true };

	ck_assert_int_eq(replay(text, NULL), 0);
	ck_assert_str_eq(out.text,
			 "op 4 warning: hook @fixup.run#1 never fired (the point was reached 0 times)\n"
			 "op 5 warning: hook @write.copied#2 never fired (the point was reached 1 time)\n");
	ck_assert_uint_eq(stats.errors, 0);
	ck_assert_uint_eq(stats.warnings, 2);
	teardown();
	setup();
	ck_assert_int_eq(replay(text, &strict), 0);
	ck_assert_uint_eq(stats.errors, 2);
	ck_assert_uint_eq(stats.warnings, 0);
}
END_TEST

START_TEST(test_error_after_crash)
{
	ck_assert_int_eq(replay("cowtrace 1\ncreate /f\nsync\ncreate /g\ncommit\ncrash\n"
				"create /g\nwrite /g 0 10\n", NULL), 0);
	ck_assert_str_eq(out.text, "op 7 create /g: File exists\n");
	ck_assert(stats.stopped);
	ck_assert_uint_eq(stats.last_line, 7);
}
END_TEST

START_TEST(test_existing_content)
{
	uint8_t buf[5000];
	struct cowfs_data_spec stamp = { .kind = COWFS_DATA_STAMP };
	uint64_t root, ino;
	cowfs_fs *fs;

	ck_assert_int_eq(cowfs_open(image, COWFS_OPEN_RDWR, &fs), 0);
	ck_assert_int_eq(cowfs_lookup_path(fs, "/", &root), 0);
	ck_assert_int_eq(cowfs_create(fs, root, "old", 3, S_IFREG | 0644, NULL, &ino), 0);
	ck_assert_int_eq(cowfs_data_fill(&stamp, 500, 0, buf, sizeof(buf)), 0);
	memset(buf + 4096, 0xee, 904);
	ck_assert_int_eq(cowfs_write_file(fs, ino, 0, buf, sizeof(buf)), 0);
	ck_assert_int_eq(cowfs_commit(fs), 0);
	cowfs_close(fs);
	ck_assert_int_eq(replay("cowtrace 1\nwrite /old 5000 100\nread /old 0 5100\n", NULL), 0);
	ck_assert_str_eq(out.text, "");
	ck_assert_int_eq(replay("cowtrace 1\ncreate /old\n", NULL), -COWFS_EREPLAY);
}
END_TEST

static Suite *replay_suite(void)
{
	Suite *s = suite_create("replay");
	TCase *tc = tcase_create("driver");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_clean);
	tcase_add_test(tc, test_expect_out_checks_image);
	tcase_add_test(tc, test_lost_update);
	tcase_add_test(tc, test_trace_error_untouched);
	tcase_add_test(tc, test_crash);
	tcase_add_test(tc, test_crash_hook);
	tcase_add_test(tc, test_hooks_unfired);
	tcase_add_test(tc, test_error_after_crash);
	tcase_add_test(tc, test_existing_content);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return testlib_run(replay_suite());
}
