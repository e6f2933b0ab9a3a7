/* Suite "trace": the cowtrace 1 parser, writer, data generators and stamps. */
#include <check.h>
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "cowfs/error.h"
#include "cowfs/trace.h"
#include "testlib.h"

#define MAX_OPS 64

/* ---- helpers ---- */

static uint64_t rnd_state;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state >> 12;
	rnd_state ^= rnd_state << 25;
	rnd_state ^= rnd_state >> 27;
	return rnd_state * 0x2545f4914f6cdd1dull;
}

struct parsed {
	struct cowfs_trace_op ops[MAX_OPS + 1];
	int n;
	int rc;				/* last cowfs_trace_next result */
	char msg[8192];			/* the formatted error, when rc < 0 */
};

/* Parse text[0, len) named "t.trace" op by op; the ops stay in p for checks. */
static void parse_buf(const void *text, size_t len, struct parsed *p, size_t max_line)
{
	FILE *f = fmemopen((void *)text, len, "r");
	cowfs_trace_reader *rd;
	struct cowfs_trace_error err;

	memset(p, 0, sizeof(*p));
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(cowfs_trace_open_file(f, "t.trace", &rd, &err), 0);
	if (max_line)
		cowfs_trace_set_max_line(rd, max_line);
	while (p->n <= MAX_OPS && (p->rc = cowfs_trace_next(rd, &p->ops[p->n])) > 0)
		p->n++;
	if (p->rc < 0)
		cowfs_trace_format_error(cowfs_trace_error(rd), p->msg, sizeof(p->msg));
	cowfs_trace_close(rd);
	fclose(f);
}

static void parse_str(const char *text, struct parsed *p)
{
	parse_buf(text, strlen(text), p, 0);
}

static void release(struct parsed *p)
{
	for (int i = 0; i < p->n; i++)
		cowfs_trace_op_release(&p->ops[i]);
}

static void expect_error(const char *text, const char *msg)
{
	struct parsed p;

	parse_str(text, &p);
	ck_assert_msg(p.rc == -COWFS_ETRACE, "no error for:\n%s", text);
	ck_assert_str_eq(p.msg, msg);
	release(&p);
}

/* ---- parsing ---- */

static const char every_op[] =
	"# every operation and option\n"
	"\n"
	"cowtrace 1\n"
	"mkdir /d\n"					/* 4 */
	"create /d/f\n"
	"truncate /d/f 64K\n"
	"write /d/f 0 8192\n"
	"write /d/f 4000 200 fault=0 data=rand:7\n"	/* 8 */
	"mwrite /d/f 0x10 3 data=hex:aaBBcc\n"
	"munmap /d/f 1M 2 data=fill:0xff\n"
	"pin_write /d/f 1G 16 data=zero\n"
	"read /d/f 0 4096\n"				/* 12 */
	"reclaim\n"
	"reclaim /d/f max=3\n"
	"writeback\n"
	"writeback /d/f wait\n"				/* 16 */
	"run\n"
	"run 5\n"
	"fsync /d/f\n"
	"sync\n"					/* 20 */
	"commit\n"
	"unlink /d/f\n"
	"crash\n";

START_TEST(test_every_operation)
{
	static const enum cowfs_op_kind kinds[] = {
		COWFS_OP_MKDIR, COWFS_OP_CREATE, COWFS_OP_TRUNCATE, COWFS_OP_WRITE, COWFS_OP_WRITE,
		COWFS_OP_MWRITE, COWFS_OP_MUNMAP, COWFS_OP_PIN_WRITE, COWFS_OP_READ,
		COWFS_OP_RECLAIM, COWFS_OP_RECLAIM, COWFS_OP_WRITEBACK, COWFS_OP_WRITEBACK,
		COWFS_OP_RUN, COWFS_OP_RUN, COWFS_OP_FSYNC, COWFS_OP_SYNC, COWFS_OP_COMMIT,
		COWFS_OP_UNLINK, COWFS_OP_CRASH,
	};
	struct parsed p;
	struct cowfs_trace_op *o = p.ops;

	parse_str(every_op, &p);
	ck_assert_int_eq(p.rc, 0);
	ck_assert_int_eq(p.n, 20);
	for (int i = 0; i < p.n; i++) {
		ck_assert_int_eq(o[i].kind, kinds[i]);
		ck_assert_int_eq(o[i].line, 4 + i);
		ck_assert(!o[i].is_hook);
	}
	ck_assert(o[0].path_len == 2 && !strcmp(o[0].path, "/d") && o[2].size == 65536);
	ck_assert(!o[3].has_data && o[3].data.kind == COWFS_DATA_STAMP && !o[3].has_fault);
	ck_assert(o[4].has_fault && o[4].fault == 0 && o[4].off == 4000 && o[4].len == 200);
	ck_assert(o[4].has_data && o[4].data.kind == COWFS_DATA_RAND && o[4].data.seed == 7);
	ck_assert(o[5].data.kind == COWFS_DATA_HEX && o[5].data.hex_len == 3 && o[5].data.hex_off == 16);
	ck_assert_mem_eq(o[5].data.hex, "\xaa\xbb\xcc", 3);
	ck_assert(o[6].data.kind == COWFS_DATA_FILL && o[6].data.fill == 255 && o[6].off == 1u << 20);
	ck_assert(o[7].data.kind == COWFS_DATA_ZERO && o[7].off == 1ull << 30 && o[7].len == 16);
	ck_assert(!o[8].has_data && o[8].len == 4096 && !o[9].path && !o[9].has_max);
	ck_assert(o[10].has_max && o[10].max == 3 && o[10].path && !o[11].path && !o[11].wait);
	ck_assert(o[12].wait && !strcmp(o[12].path, "/d/f") && !o[13].has_count);
	ck_assert(o[14].has_count && o[14].count == 5 && !o[16].path && !o[19].path);
	release(&p);
}
END_TEST

START_TEST(test_numbers)
{
	static const struct {
		const char *text;
		uint64_t value;
	} ok[] = {
		{ "0", 0 }, { "010", 10 }, { "0x10", 16 }, { "0xABcd", 0xabcd },
		{ "4K", 4096 }, { "3M", 3u << 20 }, { "2G", 2ull << 30 }, { "0x10K", 16384 },
		{ "18446744073709551615", UINT64_MAX }, { "0xFFFFFFFFFFFFFFFF", UINT64_MAX },
		{ "17179869183G", 17179869183ull << 30 },
	};
	char text[256];
	struct parsed p;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(text, sizeof(text), "cowtrace 1\ntruncate /f %s\n", ok[i].text);
		parse_str(text, &p);
		ck_assert_msg(p.rc == 0, "%s: %s", ok[i].text, p.msg);
		ck_assert_uint_eq(p.ops[0].size, ok[i].value);
		release(&p);
	}
	expect_error("cowtrace 1\ntruncate /f 18014398509481984K\n",
		     "t.trace:2:13: number '18014398509481984K' for SIZE overflows 64 bits");
	/* OFF + LEN may reach 2^64 - 1 but not 2^64. */
	parse_str("cowtrace 1\nread /f 18446744073709551614 1\n", &p);
	ck_assert_int_eq(p.rc, 0);
	release(&p);
	expect_error("cowtrace 1\nread /f 18446744073709551614 2\n",
		     "t.trace:2:30: OFF + LEN overflows 64 bits (OFF 18446744073709551614, LEN 2)");
}
END_TEST

START_TEST(test_paths)
{
	char text[600], name[300];
	struct parsed p;

	parse_str("cowtrace 1\n"
		  "create \"/a b/c\\\"d\\\\e\\x41\\xfF\"\n"
		  "create /\xc3\xa9t\xc3\xa9\n"
		  "fsync /\n"
		  "create /a#b=c\n"
		  "create \"/x\\x2fy\"\n"
		  "create \"/\ttab\"\n", &p);
	ck_assert_msg(p.rc == 0, "%s", p.msg);
	ck_assert_int_eq(p.n, 6);
	ck_assert_uint_eq(p.ops[0].path_len, 12);
	ck_assert_mem_eq(p.ops[0].path, "/a b/c\"d\\eA\xff", 12);
	ck_assert_str_eq(p.ops[1].path, "/\xc3\xa9t\xc3\xa9");
	ck_assert_str_eq(p.ops[2].path, "/");
	ck_assert_str_eq(p.ops[3].path, "/a#b=c");
	ck_assert_str_eq(p.ops[4].path, "/x/y");
	ck_assert_str_eq(p.ops[5].path, "/\ttab");
	release(&p);

	/* 255 bytes is the longest component; 256 is one too many. */
	memset(name, 'n', 255);
	name[255] = '\0';
	snprintf(text, sizeof(text), "cowtrace 1\ncreate /d/%s\n", name);
	parse_str(text, &p);
	ck_assert_int_eq(p.rc, 0);
	ck_assert_uint_eq(p.ops[0].path_len, 258);
	release(&p);
	snprintf(text, sizeof(text), "cowtrace 1\ncreate /d/%sn/e\n", name);
	expect_error(text, "t.trace:2:11: path component of 256 bytes, longer than 255");
	/* Escapes decode to one byte each; columns count the source text. */
	strcpy(text, "cowtrace 1\ncreate \"/");
	for (int i = 0; i < 86; i++)
		strcat(text, "\\x41");
	strcat(text, "/.\"\n");
	expect_error(text, "t.trace:2:355: path component '.' is not allowed");
	expect_error("cowtrace 1\ncreate \"/\\\xc3\xa9\"\n",
		     "t.trace:2:10: bad escape '\\\xc3\xa9' in path, expected \\\\, \\\" or \\xHH");
}
END_TEST

START_TEST(test_lexical)
{
	struct parsed p;

	/* Comments, blanks, tabs, leading space, '#' only at the start of a field. */
	parse_str("  # lead\n\t\ncowtrace\t1 # hdr\n"
		  "   write\t/f  0 \t 10   # trailing\n"
		  "#sync\n"
		  "@write.copied#3\treclaim#not-a-comment-start-but-a-path? \n", &p);
	ck_assert_int_eq(p.rc, -COWFS_ETRACE);
	ck_assert_str_eq(p.msg, "t.trace:6:17: unknown operation 'reclaim#not-a-comment-start-but-a-path?'");
	release(&p);

	parse_str("cowtrace 1\nwrite /f 0 10 #data=zero\n@write.copied#3 reclaim\n", &p);
	ck_assert(p.rc == 0 && p.n == 2 && !p.ops[0].has_data);
	ck_assert(p.ops[1].is_hook && p.ops[1].hook_count == 3 && p.ops[1].point == COWFS_PT_WRITE_COPIED);
	release(&p);

	/* A header and nothing else is a valid, empty trace. */
	parse_str("cowtrace 1", &p);
	ck_assert(p.rc == 0 && p.n == 0);
}
END_TEST

START_TEST(test_crlf)
{
	struct parsed lf, crlf;

	parse_str(every_op, &lf);
	{
		char buf[sizeof(every_op) * 2];
		size_t k = 0;

		for (const char *s = every_op; *s; s++) {
			if (*s == '\n')
				buf[k++] = '\r';
			buf[k++] = *s;
		}
		buf[k] = '\0';
		parse_str(buf, &crlf);
	}
	ck_assert_int_eq(crlf.rc, 0);
	ck_assert_int_eq(crlf.n, lf.n);
	for (int i = 0; i < lf.n; i++) {
		ck_assert(cowfs_trace_op_equal(&lf.ops[i], &crlf.ops[i]));
		ck_assert_uint_eq(lf.ops[i].line, crlf.ops[i].line);
	}
	release(&lf);
	release(&crlf);
	/* A last line without "\n", with or without a "\r". */
	parse_str("cowtrace 1\r\nsync\r", &lf);
	ck_assert_int_eq(lf.rc, 0);
	ck_assert_int_eq(lf.n, 1);
	/* Only one trailing "\r" goes: a second one is part of the field. */
	expect_error("cowtrace 1\nsync\r\r\n", "t.trace:2:1: unknown operation 'sync\r'");
}
END_TEST

/* Every kind of mistake, with its exact message. */
START_TEST(test_errors)
{
	static const char *const cases[][2] = {
		{ "", "t.trace:1:1: expected the header 'cowtrace 1', found end of file" },
		{ "cowtrace\n", "t.trace:1:9: expected 'cowtrace 1', found end of line" },
		{ "\xef\xbb\xbf" "cowtrace 1\n",
		  "t.trace:1:1: expected the header 'cowtrace 1', found '\xef\xbb\xbf" "cowtrace'" },
		{ "cowtrace 1\nsync 1\n", "t.trace:2:6: unexpected field '1' (usage: sync)" },
		{ "cowtrace 1\nwrite /f 0 10 foo=1\n", "t.trace:2:15: unknown option 'foo'" },
		{ "cowtrace 1\nreclaim max=1 max=2\n",
		  "t.trace:2:15: option 'max' given twice (first at column 9)" },
		{ "cowtrace 1\nreclaim max=\n", "t.trace:2:13: expected a number for max=N, found nothing" },
		{ "cowtrace 1\nwrite /f 0 10 fault=\n",
		  "t.trace:2:21: expected a number for fault=N, found nothing" },
		{ "cowtrace 1\nwrite /f 0 0 fault=0\n", "t.trace:2:20: fault=0 must be less than LEN (0)" },
		{ "cowtrace 1\nwrite /f 0 2 data=hex:\n",
		  "t.trace:2:23: expected 4 hex digits (2 x LEN) for hex data, found 0" },
		{ "cowtrace 1\nwrite /f 0 0xFFFFFFFFFFFFFFFF data=hex:00\n",
		  "t.trace:2:40: expected 2 x 18446744073709551615 hex digits (2 x LEN) for hex data, found 2" },
		{ "cowtrace 1\nwrite /f 0 1 data=fill:\n",
		  "t.trace:2:24: expected a number for fill:B, found nothing" },
		{ "cowtrace 1\nwrite /f 0 1 data=\n",
		  "t.trace:2:19: unknown data kind nothing, expected stamp, rand:SEED, fill:B, zero or hex:HEX" },
		{ "cowtrace 1\nwrite /f 0 1 data=zero:\n", "t.trace:2:23: data kind 'zero' takes no argument" },
		{ "cowtrace 1\nwrite /f 0 1 data=hex\n",
		  "t.trace:2:22: data kind 'hex' needs an argument: hex:HEX" },
		{ "cowtrace 1\nwrite /f 0 1 wait\n", "t.trace:2:14: option 'wait' is only valid on writeback" },
		{ "cowtrace 1\nreclaim /f wait\n", "t.trace:2:12: option 'wait' is only valid on writeback" },
		{ "cowtrace 1\nwrite /f 0 1 max=1\n", "t.trace:2:14: option 'max' is only valid on reclaim" },
		{ "cowtrace 1\npin_write /f 0 2 fault=1\n",
		  "t.trace:2:18: option 'fault' is only valid on write" },
		{ "cowtrace 1\nreclaim max\n", "t.trace:2:12: option 'max' needs a value: max=N" },
		{ "cowtrace 1\nwriteback wait /f\n",
		  "t.trace:2:16: unexpected field '/f' after the options; options come last" },
		{ "cowtrace 1\nmkdir\n", "t.trace:2:6: expected PATH, found end of line (usage: mkdir PATH)" },
		{ "cowtrace 1\nsync\n@\n", "t.trace:3:2: expected a schedule point after '@', found nothing" },
		{ "cowtrace 1\nsync\n@#2 run\n", "t.trace:3:2: expected a schedule point after '@', found '#2'" },
		{ "cowtrace 1\nsync\n@commit.start# run\n",
		  "t.trace:3:15: expected a number for #K, found nothing" },
		{ "cowtrace 1\nsync\n@commit.start crash\n@commit.start crash\n",
		  "t.trace:3:1: a crash hook must be the last hook of its operation (line 4 adds another)" },
		{ "cowtrace 1\nsync\n@commit.start \"sync\"\n", "t.trace:3:15: unknown operation '\"sync\"'" },
		{ "cowtrace 1\ncreate /" "\xed\xa0\x80" "\n",
		  "t.trace:2:9: invalid UTF-8 (byte 0xed); write unusual path bytes as \\xHH in a quoted path" },
		{ "cowtrace 1\n# \xf4\x90\x80\x80\n",
		  "t.trace:2:3: invalid UTF-8 (byte 0xf4); write unusual path bytes as \\xHH in a quoted path" },
		{ "cowtrace 1\ncreate /\xc3\n",
		  "t.trace:2:9: invalid UTF-8 (byte 0xc3); write unusual path bytes as \\xHH in a quoted path" },
		{ "cowtrace 1\ncreate \"/a\"\"b\"\n",
		  "t.trace:2:12: expected a space after the closing quote, found '\"'" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_error(cases[i][0], cases[i][1]);
	/* Long fields are cut short in messages. */
	expect_error("cowtrace 1\nread /f 0 1 "
		     "data=hex:0123456789012345678901234567890123456789012345678901234567890123456789\n",
		     "t.trace:2:13: option 'data' is only valid on write, mwrite, munmap and pin_write");
	expect_error("cowtrace 1\nread /f 0 1 "
		     "fox=0123456789012345678901234567890123456789012345678901234567890123456789\n",
		     "t.trace:2:13: unknown option 'fox'");
	expect_error("cowtrace 1\ntruncate /f "
		     "01234567890123456789012345678901234567890123456789012345678901234567890123456789x\n",
		     "t.trace:2:13: expected a number for SIZE, found "
		     "'012345678901234567890123456789012345678901234567890123456789012345678901...'");
}
END_TEST

/* A failed reader stays failed, with the same error. */
START_TEST(test_error_sticky)
{
	const char text[] = "cowtrace 1\nsync\nbogus\nsync\n";
	FILE *f = fmemopen((void *)text, sizeof(text) - 1, "r");
	struct cowfs_trace_op op;
	cowfs_trace_reader *rd;

	ck_assert_int_eq(cowfs_trace_open_file(f, "t.trace", &rd, NULL), 0);
	ck_assert_int_eq(cowfs_trace_next(rd, &op), 1);
	ck_assert_int_eq(cowfs_trace_next(rd, &op), -COWFS_ETRACE);
	ck_assert_int_eq(cowfs_trace_next(rd, &op), -COWFS_ETRACE);
	ck_assert_uint_eq(cowfs_trace_error(rd)->line, 3);
	ck_assert_uint_eq(cowfs_trace_error(rd)->col, 1);
	cowfs_trace_close(rd);
	fclose(f);
}
END_TEST

/* tests/trace-errors: each NNN-name.trace fails with exactly NNN-name.expect. */
START_TEST(test_error_corpus)
{
	const char *dir = "tests/trace-errors";
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	ck_assert_msg(d != NULL, "%s: run from the top of the tree", dir);
	while ((e = readdir(d))) {
		char path[512], want[1024], got[8192];
		size_t len = strlen(e->d_name);
		struct cowfs_trace_error err;
		FILE *f;

		if (len < 7 || strcmp(e->d_name + len - 6, ".trace"))
			continue;
		snprintf(path, sizeof(path), "%s/%.*s.expect", dir, (int)len - 6, e->d_name);
		f = fopen(path, "r");
		ck_assert_msg(f != NULL, "%s missing", path);
		ck_assert_ptr_nonnull(fgets(want, sizeof(want), f));
		fclose(f);
		want[strcspn(want, "\n")] = '\0';

		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		ck_assert_int_eq(cowfs_trace_validate(path, &err), -COWFS_ETRACE);
		snprintf(err.file, sizeof(err.file), "%s", e->d_name);
		cowfs_trace_format_error(&err, got, sizeof(got));
		ck_assert_str_eq(got, want);
		n++;
	}
	closedir(d);
	ck_assert_int_ge(n, 30);
}
END_TEST

START_TEST(test_open_errors)
{
	struct cowfs_trace_error err;
	cowfs_trace_reader *rd;
	char msg[8192];

	ck_assert_int_eq(cowfs_trace_open("no/such.trace", &rd, &err), -ENOENT);
	ck_assert_ptr_null(rd);
	cowfs_trace_format_error(&err, msg, sizeof(msg));
	ck_assert_str_eq(msg, "no/such.trace: cannot open: No such file or directory");
	ck_assert_int_eq(cowfs_trace_validate("no/such.trace", &err), -ENOENT);
	ck_assert_int_eq(cowfs_trace_validate(".", &err), -EISDIR);
	cowfs_trace_format_error(&err, msg, sizeof(msg));
	ck_assert_str_eq(msg, ".: read error: Is a directory");
}
END_TEST

/* ---- hooks and groups ---- */

static const char hooked[] =
	"cowtrace 1\n"
	"create /f\n"
	"write /f 0 8192\n"
	"write /f 4000 200 fault=0\n"
	"@write.retry reclaim\n"
	"@writeback.csummed#2 writeback /f\n"
	"\n# between\n"
	"@commit.start crash\n"
	"sync\n"
	"@fixup.run run 1\n";

START_TEST(test_groups)
{
	FILE *f = fmemopen((void *)hooked, sizeof(hooked) - 1, "r");
	struct cowfs_trace_group g = { 0 };
	cowfs_trace_reader *rd;

	ck_assert_int_eq(cowfs_trace_open_file(f, "h.trace", &rd, NULL), 0);
	ck_assert_int_eq(cowfs_trace_next_group(rd, &g), 1);
	ck_assert(g.op.kind == COWFS_OP_CREATE && g.nr_hooks == 0);
	ck_assert_int_eq(cowfs_trace_next_group(rd, &g), 1);
	ck_assert(g.op.kind == COWFS_OP_WRITE && g.op.line == 3 && g.nr_hooks == 0);
	ck_assert_int_eq(cowfs_trace_next_group(rd, &g), 1);
	ck_assert(g.op.line == 4 && g.op.has_fault && g.nr_hooks == 3);
	ck_assert(g.hooks[0].is_hook && g.hooks[0].kind == COWFS_OP_RECLAIM &&
		  g.hooks[0].point == COWFS_PT_WRITE_RETRY && g.hooks[0].hook_count == 1);
	ck_assert(g.hooks[1].point == COWFS_PT_WRITEBACK_CSUMMED && g.hooks[1].hook_count == 2);
	ck_assert_str_eq(g.hooks[1].path, "/f");
	ck_assert(g.hooks[2].kind == COWFS_OP_CRASH && g.hooks[2].line == 9);
	ck_assert_int_eq(cowfs_trace_next_group(rd, &g), 1);
	ck_assert(g.op.kind == COWFS_OP_SYNC && g.nr_hooks == 1);
	ck_assert(g.hooks[0].kind == COWFS_OP_RUN && g.hooks[0].count == 1);
	ck_assert_int_eq(cowfs_trace_next_group(rd, &g), 0);
	ck_assert_int_eq(cowfs_trace_next_group(rd, &g), 0);
	cowfs_trace_group_release(&g);
	cowfs_trace_close(rd);
	fclose(f);
}
END_TEST

/* The crash rule holds for next() too, and a crash hook may end the file. */
START_TEST(test_crash_hook_rule)
{
	struct parsed p;

	parse_str("cowtrace 1\nsync\n@commit.start crash", &p);
	ck_assert_int_eq(p.rc, 0);
	ck_assert_int_eq(p.n, 2);
	release(&p);
	parse_str("cowtrace 1\nsync\n@commit.start crash\n# c\n\nsync\n@commit.start reclaim\n", &p);
	ck_assert_int_eq(p.rc, 0);
	ck_assert_int_eq(p.n, 4);
	ck_assert_uint_eq(p.ops[2].line, 6);
	release(&p);
	/* The crash error comes first even though the next hook is itself bad. */
	expect_error("cowtrace 1\nsync\n  @commit.start crash\n@no.such reclaim\n",
		     "t.trace:3:3: a crash hook must be the last hook of its operation (line 4 adds another)");
	expect_error("cowtrace 1\nsync\n@commit.start#0x0 sync\n", "t.trace:3:15: hook count #0 must be at least 1");
}
END_TEST

START_TEST(test_every_point)
{
	char text[128];
	struct parsed p;

	for (int i = 0; i < COWFS_PT_NR; i++) {
		snprintf(text, sizeof(text), "cowtrace 1\nsync\n@%s#7 run\n", cowfs_point_name(i));
		parse_str(text, &p);
		ck_assert_int_eq(p.rc, 0);
		ck_assert_int_eq(p.ops[1].point, i);
		ck_assert_uint_eq(p.ops[1].hook_count, 7);
		release(&p);
	}
}
END_TEST

/* ---- zstd ---- */

/* Append the zstd frame of src[0, n) to *buf (malloc'd, *len bytes, 8 spare). */
static void zappend(char **buf, size_t *len, const void *src, size_t n)
{
	size_t cap = ZSTD_compressBound(n), r;

	*buf = realloc(*buf, *len + cap + 8);
	ck_assert_ptr_nonnull(*buf);
	r = ZSTD_compress(*buf + *len, cap, src, n, 3);
	ck_assert(!ZSTD_isError(r));
	*len += r;
}

START_TEST(test_zstd)
{
	size_t zlen = 0, two = 0;
	char *z = NULL;
	struct parsed plain, zp;

	zappend(&z, &zlen, every_op, sizeof(every_op) - 1);
	parse_str(every_op, &plain);
	parse_buf(z, zlen, &zp, 0);
	ck_assert_int_eq(zp.rc, 0);
	ck_assert_int_eq(zp.n, plain.n);
	for (int i = 0; i < plain.n; i++)
		ck_assert(cowfs_trace_op_equal(&plain.ops[i], &zp.ops[i]));
	release(&zp);
	/* Cut short, or with garbage after the frame. */
	parse_buf(z, zlen - 3, &zp, 0);
	ck_assert_str_eq(zp.msg, "t.trace:1:1: truncated zstd stream: the last frame is incomplete");
	release(&zp);
	memcpy(z + zlen, "junkjunk", 8);
	parse_buf(z, zlen + 8, &zp, 0);
	ck_assert_str_eq(zp.msg, "t.trace:24:1: corrupt zstd stream: Unknown frame descriptor");
	ck_assert_int_eq(zp.n, plain.n);
	release(&zp);
	release(&plain);
	free(z);
	/* Two frames back to back read as one text. */
	z = NULL;
	zappend(&z, &two, "cowtrace 1\nsync\nco", 18);
	zappend(&z, &two, "mmit\nbad\n", 9);
	parse_buf(z, two, &zp, 0);
	ck_assert_int_eq(zp.n, 2);
	ck_assert_int_eq(zp.ops[1].kind, COWFS_OP_COMMIT);
	ck_assert_str_eq(zp.msg, "t.trace:4:1: unknown operation 'bad'");
	release(&zp);
	free(z);
}
END_TEST

/* ---- long lines ---- */

/* A write of LEN bytes of hex data: a line of 2 x LEN + ~30 bytes. */
static char *hex_trace(size_t len, size_t *text_len)
{
	static const char head[] = "cowtrace 1\ncreate /f\nwrite /f 5 %zu data=hex:";
	char *t = malloc(2 * len + 100);
	size_t k = (size_t)sprintf(t, head, len);

	for (size_t i = 0; i < len; i++)
		k += (size_t)sprintf(t + k, "%02x", (unsigned)(i * 7 + 3) & 0xff);
	k += (size_t)sprintf(t + k, "\nsync\n");
	*text_len = k;
	return t;
}

START_TEST(test_long_lines)
{
	const size_t len = 3u << 20;
	size_t tlen, zlen = 0;
	char *t = hex_trace(len, &tlen), *z = NULL;
	uint8_t *buf = malloc(len);
	struct parsed p;

	parse_buf(t, tlen, &p, 0);
	ck_assert_msg(p.rc == 0 && p.n == 3, "%s", p.msg);
	ck_assert_uint_eq(p.ops[1].data.hex_len, len);
	ck_assert_int_eq(cowfs_data_fill(&p.ops[1].data, 3, 5, buf, len), 0);
	for (size_t i = 0; i < len; i++)
		ck_assert_uint_eq(buf[i], (i * 7 + 3) & 0xff);
	release(&p);

	/* The same through zstd: the line spans many output buffers. */
	zappend(&z, &zlen, t, tlen);
	parse_buf(z, zlen, &p, 0);
	ck_assert(p.rc == 0 && p.n == 3);
	ck_assert_int_eq(cowfs_data_compare(&p.ops[1].data, 3, 5, buf, len), len);
	release(&p);

	/* Over the cap: a clear error, not an allocation of the whole line. */
	parse_buf(t, tlen, &p, 1u << 20);
	ck_assert_str_eq(p.msg, "t.trace:3:1: line longer than the limit of 1048576 bytes");
	ck_assert_int_eq(p.n, 1);
	release(&p);
	free(z);
	free(t);
	free(buf);
}
END_TEST

/* ---- writer ---- */

static void write_parse(const struct cowfs_trace_op *ops, int n, struct parsed *p,
			char **text)
{
	size_t len;
	FILE *f = open_memstream(text, &len);

	ck_assert_int_eq(cowfs_trace_write_header(f), 0);
	for (int i = 0; i < n; i++)
		ck_assert_int_eq(cowfs_trace_write_op(f, &ops[i]), 0);
	fclose(f);
	parse_buf(*text, len, p, 0);
	ck_assert_msg(p->rc == 0, "%s\n%s", p->msg, *text);
	ck_assert_int_eq(p->n, n);
}

START_TEST(test_writer_canonical)
{
	struct parsed p, q;
	char *text;

	parse_str("cowtrace 1\n"
		  "mwrite   \"/a\\x20b\\x01\xc3\xa9\\xff\"  0x10 3 data=hex:AABBCC\n"
		  "write /f 1K 0x400 fault=0x10 data=fill:0x41\n"
		  "@write.copied#1 reclaim /f max=4K\n"
		  "@fixup.run#2 writeback wait\n"
		  "run 0\n", &p);
	ck_assert_int_eq(p.rc, 0);
	write_parse(p.ops, p.n, &q, &text);
	ck_assert_str_eq(text, "cowtrace 1\n"
			       "mwrite \"/a b\\x01\xc3\xa9\\xff\" 16 3 data=hex:aabbcc\n"
			       "write /f 1024 1024 data=fill:65 fault=16\n"
			       "@write.copied reclaim /f max=4096\n"
			       "@fixup.run#2 writeback wait\n"
			       "run 0\n");
	for (int i = 0; i < p.n; i++)
		ck_assert(cowfs_trace_op_equal(&p.ops[i], &q.ops[i]));
	free(text);
	release(&p);
	release(&q);
}
END_TEST

static void random_path(struct cowfs_trace_op *op)
{
	static const char bytes[] = "az09 \"\\#=@\t\x01\x7f\xc3\xa9\xff.";
	size_t n = 1 + rnd() % 3, k = 0;
	char *s = malloc(n * 12 + 1);

	for (size_t c = 0; c < n; c++) {
		size_t clen = 1 + rnd() % 10;

		s[k++] = '/';
		for (size_t i = 0; i < clen; i++)
			s[k++] = bytes[rnd() % (sizeof(bytes) - 1)];
		if (clen <= 2 && s[k - 1] == '.')
			s[k - 1] = 'x';		/* keep clear of "." and ".." */
	}
	s[k] = '\0';
	op->path = s;
	op->path_len = k;
}

/* A random valid op of kind k. */
static void random_op(struct cowfs_trace_op *op, enum cowfs_op_kind k)
{
	static const uint64_t nums[] = { 0, 1, 4096, 65535, UINT64_MAX / 2, UINT64_MAX };

	memset(op, 0, sizeof(*op));
	op->kind = k;
	if (rnd() % 3 == 0) {
		op->is_hook = true;
		op->point = rnd() % COWFS_PT_NR;
		op->hook_count = 1 + rnd() % 3;
	}
	if (k <= COWFS_OP_READ || k == COWFS_OP_FSYNC || (k <= COWFS_OP_WRITEBACK && rnd() % 2))
		random_path(op);
	if (k >= COWFS_OP_WRITE && k <= COWFS_OP_READ) {
		op->off = nums[rnd() % 6];
		op->len = rnd() % (UINT64_MAX - op->off < 64 ? UINT64_MAX - op->off + 1 : 64);
	}
	if (k == COWFS_OP_TRUNCATE)
		op->size = nums[rnd() % 6];
	if (cowfs_op_has_data(k) && rnd() % 4) {
		uint8_t bytes[64];

		for (size_t i = 0; i < sizeof(bytes); i++)
			bytes[i] = (uint8_t)rnd();
		op->has_data = true;	/* only the field of the kind counts */
		op->data = (struct cowfs_data_spec){ rnd() % 5, (uint8_t)rnd(), rnd() };
		if (op->data.kind == COWFS_DATA_HEX)
			ck_assert_int_eq(cowfs_data_hex_new(&op->data, bytes, op->len, op->off), 0);
	}
	if (k == COWFS_OP_WRITE && op->len && rnd() % 2) {
		op->has_fault = true;
		op->fault = rnd() % op->len;
	}
	op->has_max = k == COWFS_OP_RECLAIM && rnd() % 2;
	op->max = op->has_max ? nums[rnd() % 6] : 0;
	op->wait = k == COWFS_OP_WRITEBACK && rnd() % 2;
	op->has_count = k == COWFS_OP_RUN && rnd() % 2;
	op->count = op->has_count ? nums[rnd() % 6] : 0;
}

START_TEST(test_writer_round_trip)
{
	struct cowfs_trace_op ops[MAX_OPS];
	struct parsed p;
	char *text;

	for (rnd_state = 0x1234567; rnd_state < 0x1234567 + 20; rnd_state++) {
		uint64_t seed = rnd_state;

		for (int i = 0; i < MAX_OPS; i++)
			random_op(&ops[i], i == 0 ? COWFS_OP_SYNC : rnd() % COWFS_OP_NR);
		for (int i = 1; i < MAX_OPS; i++)	/* a crash hook must end its group */
			if (ops[i - 1].is_hook && ops[i - 1].kind == COWFS_OP_CRASH)
				ops[i].is_hook = false;
		ops[0].is_hook = false;
		write_parse(ops, MAX_OPS, &p, &text);
		for (int i = 0; i < MAX_OPS; i++) {
			ck_assert_msg(cowfs_trace_op_equal(&ops[i], &p.ops[i]), "op %d:\n%s", i, text);
			cowfs_trace_op_release(&ops[i]);
		}
		release(&p);
		free(text);
		rnd_state = seed;
	}
}
END_TEST

START_TEST(test_writer_rejects)
{
	struct cowfs_trace_op op = { .kind = COWFS_OP_WRITE, .path = "/a//b", .path_len = 5 };
	FILE *f = fopen("/dev/null", "w");

	ck_assert_int_eq(cowfs_trace_write_op(f, &op), -EINVAL);
	op.path = "/a";
	op.path_len = 2;
	ck_assert_int_eq(cowfs_trace_write_op(f, &op), 0);
	op.has_fault = true;			/* fault=0 needs LEN >= 1 */
	ck_assert_int_eq(cowfs_trace_write_op(f, &op), -EINVAL);
	op.has_fault = false;
	op.size = 1;				/* a write line has no SIZE */
	ck_assert_int_eq(cowfs_trace_write_op(f, &op), -EINVAL);
	op.size = 0;
	op.kind = COWFS_OP_SYNC;		/* sync takes no path */
	ck_assert_int_eq(cowfs_trace_write_op(f, &op), -EINVAL);
	op.path = NULL;
	op.is_hook = true;			/* #0 */
	ck_assert_int_eq(cowfs_trace_write_op(f, &op), -EINVAL);
	op.hook_count = 1;
	ck_assert_int_eq(cowfs_trace_write_op(f, &op), 0);
	op.kind = COWFS_OP_NR;
	ck_assert_int_eq(cowfs_trace_write_op(f, &op), -EINVAL);
	fclose(f);
}
END_TEST

/* ---- data generators ---- */

/* The byte at x, straight from the formulas of TRACE-FORMAT.md: the referee. */
static uint8_t ref_byte(const struct cowfs_data_spec *s, uint64_t line, uint64_t x)
{
	uint64_t w;

	switch (s->kind) {
	case COWFS_DATA_STAMP:
		w = ((line & 0xFFFFFF) << 40 | ((x >> 3) & 0xFFFFFFFFFF)) ^ 0x5A5A5A5A5A5A5A5Aull;
		break;
	case COWFS_DATA_RAND:
		w = s->seed * 0x9E3779B97F4A7C15ull + (x >> 3);
		w ^= w >> 30;
		w *= 0xBF58476D1CE4E5B9ull;
		w ^= w >> 27;
		w *= 0x94D049BB133111EBull;
		w ^= w >> 31;
		break;
	case COWFS_DATA_FILL:
		return s->fill;
	default:
		return 0;
	}
	return (uint8_t)(w >> (8 * (x & 7)));
}

START_TEST(test_generator_values)
{
	struct cowfs_data_spec stamp = { .kind = COWFS_DATA_STAMP };
	struct cowfs_data_spec rand0 = { .kind = COWFS_DATA_RAND, .seed = 0 };
	uint8_t b[16];

	/*
	 * Line 3, x = 0..15: W(0) = (3 << 40 | 0) ^ 0x5A5A5A5A5A5A5A5A = 0x5A5A595A5A5A5A5A,
	 * W(1) = (3 << 40 | 1) ^ ... = 0x5A5A595A5A5A5A5B; little-endian bytes below.
	 */
	static const uint8_t want_stamp[16] = {
		0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x59, 0x5a, 0x5a,
		0x5b, 0x5a, 0x5a, 0x5a, 0x5a, 0x59, 0x5a, 0x5a,
	};
	/*
	 * rand:0, x = 0..7: splitmix64(0 * golden + 0) = 0 (every step keeps 0).
	 * x = 8..15: z = 1; z ^= z >> 30 -> 1; z *= 0xBF58476D1CE4E5B9 -> 0xBF58476D1CE4E5B9;
	 * z ^= z >> 27 (0x17EB08EDA3) -> 0xBF58477AF7EC081A; z *= 0x94D049BB133111EB
	 * -> 0x5692161DBD2F29DE; z ^= z >> 31 (0xAD242C3B) -> 0x5692161D100B05E5.
	 */
	static const uint8_t want_rand[16] = {
		0, 0, 0, 0, 0, 0, 0, 0,
		0xe5, 0x05, 0x0b, 0x10, 0x1d, 0x16, 0x92, 0x56,
	};

	ck_assert_int_eq(cowfs_data_fill(&stamp, 3, 0, b, 16), 0);
	ck_assert_mem_eq(b, want_stamp, 16);
	ck_assert_int_eq(cowfs_data_fill(&rand0, 99, 0, b, 16), 0);
	ck_assert_mem_eq(b, want_rand, 16);
	ck_assert_uint_eq(cowfs_splitmix64(1), 0x5692161D100B05E5ull);
	/* rand:7 at x = 16: splitmix64(7 * golden + 2) = 0xB9F24F7BAE4A6586. */
	rand0.seed = 7;
	ck_assert_int_eq(cowfs_data_fill(&rand0, 0, 16, b, 1), 0);
	ck_assert_uint_eq(b[0], 0x86);
	ck_assert_int_eq(cowfs_data_fill(&rand0, 0, 23, b, 1), 0);
	ck_assert_uint_eq(b[0], 0xb9);
	/* The line keeps 24 bits: 0x1000003 stamps like 3. */
	ck_assert_int_eq(cowfs_data_fill(&stamp, 0x1000003, 0, b, 16), 0);
	ck_assert_mem_eq(b, want_stamp, 16);
}
END_TEST

/* Every alignment and length against the byte-at-a-time referee. */
START_TEST(test_generator_ranges)
{
	struct cowfs_data_spec specs[] = {
		{ .kind = COWFS_DATA_STAMP }, { .kind = COWFS_DATA_RAND, .seed = 0xdeadbeef },
		{ .kind = COWFS_DATA_FILL, .fill = 0xa5 }, { .kind = COWFS_DATA_ZERO },
	};
	uint8_t buf[200];
	const uint64_t bases[] = { 0, 4093, 1ull << 40, UINT64_MAX - 300 };

	for (size_t s = 0; s < 4; s++)
		for (size_t b = 0; b < 4; b++)
			for (uint64_t off = bases[b]; off < bases[b] + 17; off++)
				for (size_t len = 0; len < 70; len += 3) {
					memset(buf, 0x33, sizeof(buf));
					ck_assert_int_eq(cowfs_data_fill(&specs[s], 12345, off, buf, len), 0);
					for (size_t i = 0; i < len; i++)
						ck_assert_uint_eq(buf[i], ref_byte(&specs[s], 12345, off + i));
					ck_assert_uint_eq(buf[len], 0x33);
					ck_assert_uint_eq(cowfs_data_compare(&specs[s], 12345, off, buf, len), len);
				}
	/* off + len must fit in 64 bits, as in the parser. */
	ck_assert_int_eq(cowfs_data_fill(&specs[0], 1, UINT64_MAX - 3, buf, 4), -EINVAL);
	ck_assert_int_eq(cowfs_data_fill(&specs[0], 1, UINT64_MAX - 3, buf, 3), 0);
	/* compare points at the first difference */
	ck_assert_int_eq(cowfs_data_fill(&specs[1], 1, 4090, buf, 200), 0);
	buf[150] ^= 1;
	ck_assert_uint_eq(cowfs_data_compare(&specs[1], 1, 4090, buf, 200), 150);
	ck_assert_uint_eq(cowfs_data_compare(&specs[1], 1, 4090, buf, 150), 150);
}
END_TEST

START_TEST(test_generator_hex)
{
	struct cowfs_data_spec hex, copy;
	uint8_t b[8];

	ck_assert_int_eq(cowfs_data_hex_new(&hex, "\x01\x02\x03\x04\x05", 5, 100), 0);
	ck_assert_int_eq(cowfs_data_fill(&hex, 0, 101, b, 3), 0);
	ck_assert_mem_eq(b, "\x02\x03\x04", 3);
	ck_assert_int_eq(cowfs_data_fill(&hex, 0, 105, b, 0), 0);
	ck_assert_int_eq(cowfs_data_fill(&hex, 0, 99, b, 2), -ERANGE);
	ck_assert_int_eq(cowfs_data_fill(&hex, 0, 103, b, 3), -ERANGE);
	ck_assert_int_eq(cowfs_data_fill(&hex, 0, 106, b, 0), -ERANGE);
	ck_assert_uint_eq(cowfs_data_compare(&hex, 0, 99, b, 1), (size_t)-1);
	/* A copy held past the original's release still reads the bytes. */
	copy = hex;
	cowfs_data_hold(&copy);
	cowfs_data_put(&hex);
	ck_assert_int_eq(cowfs_data_fill(&copy, 0, 100, b, 5), 0);
	ck_assert_mem_eq(b, "\x01\x02\x03\x04\x05", 5);
	cowfs_data_put(&copy);
}
END_TEST

/* ---- stamps ---- */

START_TEST(test_stamp_decode)
{
	uint64_t line;

	rnd_state = 77;
	for (int i = 0; i < 10000; i++) {
		uint64_t l = 1 + rnd() % 0xFFFFFF, x = rnd() & ~7ull;
		uint64_t w = cowfs_stamp_word(l, x);

		ck_assert(cowfs_stamp_decode(w, x, &line));
		ck_assert_uint_eq(line, l);
		ck_assert(!cowfs_stamp_decode(w, x + 8, &line));
		ck_assert(!cowfs_stamp_decode(w ^ 1, x, &line));
		/* Only 40 bits of the position: 2^43 bytes further decodes the same. */
		ck_assert(cowfs_stamp_decode(w, x + (1ull << 43), &line));
	}
	ck_assert(!cowfs_stamp_decode(0, 0, &line));
}
END_TEST

START_TEST(test_stamp_blocks)
{
	struct cowfs_data_spec stamp = { .kind = COWFS_DATA_STAMP };
	struct cowfs_data_spec rnd8 = { .kind = COWFS_DATA_RAND, .seed = 8 };
	static uint8_t blk[4096];
	const uint64_t x = 7 * 4096;
	uint64_t line;

	memset(blk, 0, sizeof(blk));
	ck_assert_int_eq(cowfs_stamp_block(blk, x, &line), COWFS_STAMP_ZEROS);
	cowfs_data_fill(&stamp, 42, x, blk, 4096);
	ck_assert_int_eq(cowfs_stamp_block(blk, x, &line), COWFS_STAMP_LINE);
	ck_assert_uint_eq(line, 42);
	/* The right line at the wrong place is not a stamp. */
	ck_assert_int_eq(cowfs_stamp_block(blk, x + 4096, &line), COWFS_STAMP_NONE);
	cowfs_data_fill(&stamp, 43, x + 1000, blk + 1000, 100);
	ck_assert_int_eq(cowfs_stamp_block(blk, x, &line), COWFS_STAMP_MIXED);
	ck_assert_uint_eq(line, 42);
	memset(blk + 2000, 0, 2096);
	ck_assert_int_eq(cowfs_stamp_block(blk, x, &line), COWFS_STAMP_MIXED);
	cowfs_data_fill(&rnd8, 0, x, blk, 4096);
	ck_assert_int_eq(cowfs_stamp_block(blk, x, &line), COWFS_STAMP_NONE);
	ck_assert_uint_eq(line, 0);
	cowfs_data_fill(&stamp, 5, 16, blk, 64);
	ck_assert_int_eq(cowfs_stamp_classify(blk, 64, 16, &line), COWFS_STAMP_LINE);
	ck_assert_int_eq(cowfs_stamp_classify(blk, 64, 12, &line), -EINVAL);
	ck_assert_int_eq(cowfs_stamp_classify(blk, 60, 16, &line), -EINVAL);
}
END_TEST

START_TEST(test_op_names)
{
	static const char *const names[] = {
		"mkdir", "create", "unlink", "truncate", "write", "mwrite", "munmap", "pin_write",
		"read", "reclaim", "writeback", "run", "fsync", "sync", "commit", "crash",
	};

	for (int i = 0; i < COWFS_OP_NR; i++) {
		ck_assert_str_eq(cowfs_op_name(i), names[i]);
		ck_assert(cowfs_op_has_data(i) == (i >= COWFS_OP_WRITE && i <= COWFS_OP_PIN_WRITE));
	}
	ck_assert_ptr_null(cowfs_op_name(COWFS_OP_NR));
	ck_assert_ptr_null(cowfs_op_name(-1));
}
END_TEST

static void add_tcase(Suite *s, const char *name, const TTest *const *tests)
{
	TCase *tc = tcase_create(name);

	tcase_set_timeout(tc, 60);
	for (; *tests; tests++)
		tcase_add_test(tc, *tests);
	suite_add_tcase(s, tc);
}

static Suite *trace_suite(void)
{
	Suite *s = suite_create("trace");
	const TTest *parse[] = {
		test_every_operation, test_numbers, test_paths, test_lexical, test_crlf,
		test_errors, test_error_sticky, test_error_corpus, test_open_errors,
		test_op_names, NULL,
	};
	const TTest *hooks[] = { test_groups, test_crash_hook_rule, test_every_point, NULL };
	const TTest *input[] = { test_zstd, test_long_lines, NULL };
	const TTest *writer[] = {
		test_writer_canonical, test_writer_round_trip, test_writer_rejects, NULL,
	};
	const TTest *data[] = {
		test_generator_values, test_generator_ranges, test_generator_hex,
		test_stamp_decode, test_stamp_blocks, NULL,
	};

	add_tcase(s, "parse", parse);
	add_tcase(s, "hooks", hooks);
	add_tcase(s, "input", input);
	add_tcase(s, "writer", writer);
	add_tcase(s, "data", data);
	return s;
}

int main(void)
{
	return testlib_run(trace_suite());
}
