/* Pass 5 of the checker: an image against an expected state, each finding of
 * cowfs_expect_check() a numbered problem carrying the same message. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check/problem.h"
#include "cowfs/check.h"
#include "cowfs/disk.h"
#include "cowfs/expect.h"
#include "cowfs/trace.h"
#include "disk/format.h"
#include "testlib.h"

static char image[4096];

static const struct cowfs_data_spec stamp = { .kind = COWFS_DATA_STAMP };

static uint64_t lookup(cowfs_fs *fs, const char *path)
{
	uint64_t ino = 0;

	ck_assert_int_eq(cowfs_lookup_path(fs, path, &ino), 0);
	return ino;
}

static void create(cowfs_fs *fs, const char *name, uint32_t mode)
{
	ck_assert_int_eq(cowfs_create(fs, COWFS_ROOT_INO, name, strlen(name), mode, NULL, NULL), 0);
}

/* [off, off + len) of path as line stored it with data=stamp. */
static void put_stamp(cowfs_fs *fs, const char *path, uint64_t off, size_t len, uint64_t line)
{
	uint8_t buf[8192];

	ck_assert_uint_le(len, sizeof(buf));
	ck_assert_int_eq(cowfs_data_fill(&stamp, line, off, buf, len), 0);
	ck_assert_int_eq(cowfs_write_file(fs, lookup(fs, path), off, buf, len), 0);
}

/* Spoil a few bytes of the data block holding offset 0 of path, behind its checksum. */
static void spoil_block(const char *path)
{
	struct cowfs_extent_map em;
	uint8_t junk[64];
	cowfs_fs *fs = NULL;
	int fd;

	ck_assert_int_eq(cowfs_open(image, 0, &fs), 0);
	ck_assert_int_eq(cowfs_get_extent(fs, lookup(fs, path), 0, &em), 0);
	cowfs_close(fs);
	ck_assert_uint_ne(em.disk_bytenr, 0);
	memset(junk, 0x5c, sizeof(junk));
	fd = open(image, O_WRONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, junk, sizeof(junk), (off_t)(em.disk_bytenr + em.offset + 100)),
			 (ssize_t)sizeof(junk));
	close(fd);
}

/* /d; /f: 8 KiB, lines 3 then 9; "/a b": 4 KiB, line 4; /g: 4 KiB, line 5 with
 * 100 bytes of line 6; /c: 4 KiB, line 2; /x: empty. */
static void setup(void)
{
	struct cowfs_mkfs_opts o = { .size = 32ull << 20, .time = 1700000000 };
	cowfs_fs *fs = NULL;

	ck_assert_int_eq(testlib_temp_image(image, sizeof(image), "pass5", &o), 0);
	ck_assert_int_eq(cowfs_open(image, COWFS_OPEN_RDWR, &fs), 0);
	create(fs, "d", S_IFDIR | 0755);
	create(fs, "f", S_IFREG | 0644);
	create(fs, "a b", S_IFREG | 0644);
	create(fs, "g", S_IFREG | 0644);
	create(fs, "c", S_IFREG | 0644);
	create(fs, "x", S_IFREG | 0644);
	put_stamp(fs, "/f", 0, 4096, 3);
	put_stamp(fs, "/f", 4096, 4096, 9);
	put_stamp(fs, "/a b", 0, 4096, 4);
	put_stamp(fs, "/g", 0, 4096, 5);
	put_stamp(fs, "/g", 1000, 100, 6);
	put_stamp(fs, "/c", 0, 4096, 2);
	ck_assert_int_eq(cowfs_commit(fs), 0);
	cowfs_close(fs);
}

static void teardown(void)
{
	unlink(image);
}

static cowfs_expect_entry *add(cowfs_expect *e, const char *path, enum cowfs_expect_type type,
			       uint64_t size, uint64_t line)
{
	struct cowfs_expect_cand c = { .kind = COWFS_CAND_DATA, .line = line, .data = stamp };
	cowfs_expect_entry *ent = NULL;

	ck_assert_int_eq(cowfs_expect_add(e, path, strlen(path), type, COWFS_EXPECT_MUST, &ent), 0);
	if (type == COWFS_EXPECT_FILE)
		ck_assert_int_eq(cowfs_expect_add_size(ent, size), 0);
	if (line)
		ck_assert_int_eq(cowfs_expect_add_range(ent, 0, size < 8192 ? size : 8192, &c, 1), 0);
	return ent;
}

/* What the image holds, but for one finding of every kind pass 5 can see here. */
static cowfs_expect *wrong_expect(void)
{
	cowfs_expect *e;

	ck_assert_int_eq(cowfs_expect_new(&e), 0);
	add(e, "/a b", COWFS_EXPECT_FILE, 4096, 8);
	add(e, "/c", COWFS_EXPECT_FILE, 4096, 2);
	add(e, "/d", COWFS_EXPECT_FILE, 0, 0);
	add(e, "/f", COWFS_EXPECT_FILE, 12288, 7);
	add(e, "/g", COWFS_EXPECT_FILE, 4096, 5);
	add(e, "/missing", COWFS_EXPECT_DIR, 0, 0);
	return e;
}

static cowfs_expect *right_expect(void)
{
	cowfs_expect *e;
	cowfs_expect_entry *ent;
	struct cowfs_expect_cand any = { .kind = COWFS_CAND_ANY };

	ck_assert_int_eq(cowfs_expect_new(&e), 0);
	add(e, "/a b", COWFS_EXPECT_FILE, 4096, 4);
	add(e, "/c", COWFS_EXPECT_FILE, 4096, 2);
	add(e, "/d", COWFS_EXPECT_DIR, 0, 0);
	ent = add(e, "/f", COWFS_EXPECT_FILE, 8192, 0);
	ck_assert_int_eq(cowfs_expect_add_range(ent, 0, 8192, &any, 1), 0);
	ent = add(e, "/g", COWFS_EXPECT_FILE, 4096, 0);
	ck_assert_int_eq(cowfs_expect_add_range(ent, 0, 4096, &any, 1), 0);
	add(e, "/x", COWFS_EXPECT_FILE, 0, 0);
	return e;
}

struct problems {
	int n, passes[6];
	uint32_t code[32];
	char msg[32][256];
	char detail[32][128];
	uint64_t errors;
};

static void on_problem(void *arg, uint32_t code, enum cowfs_severity sev, const char *msg,
		       const struct cowfs_problem_ctx *ctx)
{
	struct problems *p = arg;

	ck_assert_int_eq(sev, cowfs_problem_severity(code));
	if (code >> 16 != 5)
		return;
	ck_assert_int_lt(p->n, 32);
	ck_assert_uint_eq(ctx->fields & COWFS_PF_PATH, COWFS_PF_PATH);
	p->code[p->n] = code;
	snprintf(p->msg[p->n], sizeof(p->msg[0]), "%s", msg);
	snprintf(p->detail[p->n], sizeof(p->detail[0]), "%s",
		 ctx->fields & COWFS_PF_STR ? ctx->str : "");
	p->n++;
}

static void on_pass(void *arg, int pass, const char *title)
{
	struct problems *p = arg;

	ck_assert_ptr_nonnull(title);
	ck_assert(pass >= 0 && pass <= 5);
	p->passes[pass]++;
}

static int run_check(cowfs_expect *e, unsigned flags, struct problems *p)
{
	struct cowfs_check_ops ops = { .arg = p, .problem = on_problem, .pass = on_pass };
	struct cowfs_check_opts opts = { .flags = flags, .expect = e };
	struct cowfs_check_summary sum;
	int ret;

	memset(p, 0, sizeof(*p));
	ret = cowfs_check(image, &opts, &ops, &sum);
	p->errors = sum.errors;
	return ret;
}

struct messages {
	int n;
	char msg[32][256];
};

static void collect(void *arg, const struct cowfs_expect_finding *f)
{
	struct messages *m = arg;

	ck_assert_int_lt(m->n, 32);
	snprintf(m->msg[m->n++], sizeof(m->msg[0]), "%s", f->message);
}

START_TEST(test_pass5_findings)
{
	static const struct { uint32_t code; const char *msg, *detail; } want[] = {
		{ PR_5_CONTENT, "\"/a b\" [0, 4096): expected line 8, found line 4",
		  "expected line 8, found line 4" },
		{ PR_5_CHECKSUM, "/c [0, 4096): checksum mismatch", "" },
		{ PR_5_TYPE, "/d: directory, expected a file", "directory, expected a file" },
		{ PR_5_SIZE, "/f: size 8192, expected 12288", "expected 12288" },
		{ PR_5_CONTENT, "/f [0, 4096): expected line 7, found line 3",
		  "expected line 7, found line 3" },
		{ PR_5_CONTENT, "/f [4096, 8192): expected line 7, found line 9",
		  "expected line 7, found line 9" },
		{ PR_5_MIXED, "/g [0, 4096): expected line 5, found line 6 mixed with other data",
		  "expected line 5, found line 6 mixed with other data" },
		{ PR_5_UNEXPECTED, "/x: unexpected", "" },
		{ PR_5_MISSING, "/missing: missing", "" },
	};
	const size_t nr = sizeof(want) / sizeof(want[0]);
	cowfs_expect *e = wrong_expect();
	struct messages direct = { 0 };
	struct problems p;
	cowfs_fs *fs = NULL;

	spoil_block("/c");
	ck_assert_int_eq(run_check(e, 0, &p), 0);
	ck_assert_int_eq(p.passes[5], 1);
	ck_assert_int_eq(p.n, (int)nr);
	for (size_t i = 0; i < nr; i++) {
		ck_assert_msg(p.code[i] == want[i].code, "finding %zu: code 0x%06x, want 0x%06x",
			      i, p.code[i], want[i].code);
		ck_assert_str_eq(p.msg[i], want[i].msg);
		ck_assert_str_eq(p.detail[i], want[i].detail);
	}
	/* Pass 4 sees /c too: every finding is counted. */
	ck_assert_uint_eq(p.errors, nr + 1);

	/* The same messages as cowfs_expect_check() gives, in the same order. */
	ck_assert_int_eq(cowfs_open(image, 0, &fs), 0);
	ck_assert_int_eq(cowfs_expect_check(fs, e, collect, &direct), (int)nr);
	cowfs_close(fs);
	ck_assert_int_eq(direct.n, (int)nr);
	for (size_t i = 0; i < nr; i++)
		ck_assert_str_eq(p.msg[i], direct.msg[i]);
	cowfs_expect_free(e);
}
END_TEST

START_TEST(test_pass5_clean)
{
	cowfs_expect *e = right_expect();
	struct problems p;

	ck_assert_int_eq(run_check(e, COWFS_CHECK_NO_DATA, &p), 0);
	ck_assert_int_eq(p.n, 0);
	ck_assert_uint_eq(p.errors, 0);
	ck_assert_int_eq(p.passes[4], 0);
	ck_assert_int_eq(p.passes[5], 1);
	/* No expectation, no pass 5. */
	ck_assert_int_eq(run_check(NULL, COWFS_CHECK_NO_DATA, &p), 0);
	ck_assert_int_eq(p.passes[3], 1);
	ck_assert_int_eq(p.passes[5], 0);
	cowfs_expect_free(e);
}
END_TEST

/* A superblock that no longer opens: pass 0 stops the check, nothing crashes. */
START_TEST(test_pass5_no_super)
{
	cowfs_expect *e = right_expect();
	uint8_t zero[4096] = { 0 };
	struct problems p;
	int fd = open(image, O_WRONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, zero, sizeof(zero), COWFS_SUPER_OFFSET), (ssize_t)sizeof(zero));
	ck_assert_int_eq(pwrite(fd, zero, sizeof(zero), COWFS_SUPER_BACKUP), (ssize_t)sizeof(zero));
	close(fd);
	ck_assert_int_eq(run_check(e, 0, &p), 0);
	ck_assert_int_eq(p.passes[5], 0);
	ck_assert_uint_ge(p.errors, 1);
	cowfs_expect_free(e);
}
END_TEST

/* Every byte of the fs tree's blocks spoiled in turn: pass 5 reports what it
 * cannot read as problems, never crashes, and the check always ends. */
START_TEST(test_pass5_damaged_tree)
{
	cowfs_expect *e = right_expect();
	struct problems p;
	uint8_t b[4096];
	int fd = open(image, O_RDWR);
	int seen_unreadable = 0;

	ck_assert_int_ge(fd, 0);
	for (off_t at = 1 << 20; at < (8 << 20); at += 4096) {
		ck_assert_int_eq(pread(fd, b, sizeof(b), at), (ssize_t)sizeof(b));
		if (cowfs_header_bytenr((struct cowfs_header *)b) != (uint64_t)at)
			continue;	/* not a tree block */
		b[200] ^= 0x55;
		ck_assert_int_eq(pwrite(fd, b, sizeof(b), at), (ssize_t)sizeof(b));
		ck_assert_int_eq(run_check(e, COWFS_CHECK_NO_DATA, &p), 0);
		for (int i = 0; i < p.n; i++)
			seen_unreadable += p.code[i] == PR_5_UNREADABLE;
		b[200] ^= 0x55;
		ck_assert_int_eq(pwrite(fd, b, sizeof(b), at), (ssize_t)sizeof(b));
	}
	close(fd);
	ck_assert_int_gt(seen_unreadable, 0);
	cowfs_expect_free(e);
}
END_TEST

START_TEST(test_pass5_templates)
{
	struct cowfs_problem_ctx ctx = { .path = "/a b", .file_off = 4096, .num = 8192,
					 .str = "Input/output error" };
	char buf[256];

	fsck_fill_message(buf, sizeof(buf), cowfs_problem_template(PR_5_UNREADABLE), &ctx);
	ck_assert_str_eq(buf, "\"/a b\" [4096, 12288): unreadable: Input/output error");
	ctx = (struct cowfs_problem_ctx){ .path = "/d/\x01", .str = "Input/output error" };
	fsck_fill_message(buf, sizeof(buf), cowfs_problem_template(PR_5_UNREADABLE), &ctx);
	ck_assert_str_eq(buf, "\"/d/\\x01\": unreadable: Input/output error");
	ctx = (struct cowfs_problem_ctx){ .path = "/f", .have = 1, .str = "expected one of 0, 2" };
	fsck_fill_message(buf, sizeof(buf), cowfs_problem_template(PR_5_SIZE), &ctx);
	ck_assert_str_eq(buf, "/f: size 1, expected one of 0, 2");
	ck_assert_int_eq(fsck_template_fields(cowfs_problem_template(PR_5_CHECKSUM)),
			 COWFS_PF_PATH | COWFS_PF_FILE_OFF | COWFS_PF_NUM);
	for (uint32_t code = PR_5_CONTENT; code <= PR_5_MIXED; code++)
		ck_assert_int_eq(cowfs_problem_severity(code), COWFS_SEV_ERROR);
	ck_assert_ptr_null(cowfs_problem_template(PR_5_MIXED + 1));
}
END_TEST

static Suite *pass5_suite(void)
{
	Suite *s = suite_create("fsck_expect");
	TCase *tc = tcase_create("pass5");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_pass5_findings);
	tcase_add_test(tc, test_pass5_clean);
	tcase_add_test(tc, test_pass5_no_super);
	tcase_add_test(tc, test_pass5_damaged_tree);
	tcase_add_test(tc, test_pass5_templates);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return testlib_run(pass5_suite());
}
