/* Suite "expect": data specs as text, the expectation model and its file,
 * and checking real images against expectations. */
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
#include "cowfs/trace.h"
#include "cowfs/layout.h"
#include "testlib.h"

/* ---- helpers ---- */

static char *spec_text(const struct cowfs_data_spec *spec, uint64_t off, uint64_t len)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *m = open_memstream(&buf, &size);

	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(cowfs_data_spec_format(m, spec, off, len), 0);
	fclose(m);
	return buf;
}

static char *expect_text(const cowfs_expect *e)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *m = open_memstream(&buf, &size);

	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(cowfs_expect_write(m, e), 0);
	fclose(m);
	return buf;
}

/* Parse text as an expect file named "t.exp"; the error as FILE:LINE:COL: MSG in errbuf. */
static int parse(const char *text, cowfs_expect **e, char *errbuf, size_t size)
{
	struct cowfs_trace_error err;
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int r;

	ck_assert_ptr_nonnull(f);
	r = cowfs_expect_read_file(f, "t.exp", e, &err);
	fclose(f);
	if (r < 0)
		cowfs_trace_format_error(&err, errbuf, size);
	return r;
}

/* ---- data specs as text ---- */

START_TEST(test_spec_round_trip)
{
	static const char *const texts[] = { "stamp", "rand:12345", "fill:171", "zero", "hex:00ff10a5" };

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct cowfs_data_spec spec;
		char err[256] = "", *out;

		ck_assert_int_eq(cowfs_data_spec_parse(texts[i], strlen(texts[i]), 100, 4, &spec,
						       err, sizeof(err)), 0);
		out = spec_text(&spec, 100, 4);
		ck_assert_str_eq(out, texts[i]);
		free(out);
		cowfs_data_put(&spec);
	}
}
END_TEST

START_TEST(test_spec_values)
{
	struct cowfs_data_spec spec;
	uint8_t buf[4];
	char err[256];

	ck_assert_int_eq(cowfs_data_spec_parse("rand:0x10", 9, 0, 8, &spec, err, sizeof(err)), 0);
	ck_assert_int_eq(spec.kind, COWFS_DATA_RAND);
	ck_assert_uint_eq(spec.seed, 16);
	ck_assert_int_eq(cowfs_data_spec_parse("fill:1K", 7, 0, 8, &spec, err, sizeof(err)),
			 -COWFS_ETRACE);
	ck_assert_str_eq(err, "fill byte 1024 out of range, expected 0..255");
	ck_assert_int_eq(cowfs_data_spec_parse("hex:0102a0B0", 12, 50, 4, &spec, err, sizeof(err)), 0);
	ck_assert_int_eq(cowfs_data_fill(&spec, 1, 50, buf, 4), 0);
	ck_assert_mem_eq(buf, "\x01\x02\xa0\xb0", 4);
	cowfs_data_put(&spec);
}
END_TEST

START_TEST(test_spec_hex_subrange)
{
	static const uint8_t bytes[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct cowfs_data_spec spec;
	char *out;

	ck_assert_int_eq(cowfs_data_hex_new(&spec, bytes, 8, 1000), 0);
	out = spec_text(&spec, 1002, 3);
	ck_assert_str_eq(out, "hex:030405");
	free(out);
	ck_assert_int_eq(cowfs_data_spec_format(stdout, &spec, 999, 2), -ERANGE);
	ck_assert_int_eq(cowfs_data_spec_format(stdout, &spec, 1006, 3), -ERANGE);
	cowfs_data_put(&spec);
}
END_TEST

START_TEST(test_spec_errors)
{
	static const struct { const char *text; uint64_t len; const char *msg; unsigned col; } cases[] = {
		{ "bogus", 4, "unknown data kind 'bogus', expected stamp, rand:SEED, fill:B, zero or hex:HEX", 1 },
		{ "stamp:1", 4, "data kind 'stamp' takes no argument", 6 },
		{ "rand", 4, "data kind 'rand' needs an argument: rand:SEED", 5 },
		{ "hex:0g", 1, "bad hex digit 'g' in hex data", 6 },
		{ "hex:00", 2, "expected 4 hex digits (2 x LEN) for hex data, found 2", 5 },
		{ "rand:x", 4, "expected a number for rand:SEED, found 'x'", 6 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cowfs_trace_error err = { .line = 0 };
		struct cowfs_data_spec spec;

		ck_assert_int_eq(cowfs_data_spec_parse_err(cases[i].text, strlen(cases[i].text), 0,
							   cases[i].len, &spec, &err), -COWFS_ETRACE);
		ck_assert_str_eq(err.msg, cases[i].msg);
		ck_assert_uint_eq(err.col, cases[i].col);
	}
}
END_TEST

START_TEST(test_text_path)
{
	static const char weird[] = "/a b/\"q\"\\/\x01";
	char *path, *out = NULL;
	size_t len, size = 0;
	struct cowfs_trace_error err;
	FILE *m = open_memstream(&out, &size);

	ck_assert_int_eq(cowfs_text_path_format(m, weird, sizeof(weird) - 1), 0);
	fclose(m);
	ck_assert_str_eq(out, "\"/a b/\\\"q\\\"\\\\/\\x01\"");
	ck_assert_int_eq(cowfs_text_path(out, strlen(out), &path, &len, &err), 0);
	ck_assert_uint_eq(len, sizeof(weird) - 1);
	ck_assert_mem_eq(path, weird, len);
	free(path);
	ck_assert_int_eq(cowfs_text_path("/a /b", 5, &path, &len, &err), -COWFS_ETRACE);
	ck_assert_int_eq(cowfs_text_path("a", 1, &path, &len, &err), -COWFS_ETRACE);
	free(out);
}
END_TEST

/* ---- the model ---- */

START_TEST(test_build)
{
	struct cowfs_expect_cand c[2] = { { .line = 5 }, { .kind = COWFS_CAND_ZEROS } };
	struct cowfs_expect_info info;
	cowfs_expect_entry *f;
	cowfs_expect *e;

	ck_assert_int_eq(cowfs_expect_new(&e), 0);
	ck_assert_int_eq(cowfs_expect_add(e, "/f", 2, COWFS_EXPECT_FILE, COWFS_EXPECT_MAY, &f), 0);
	ck_assert_int_eq(cowfs_expect_add(e, "/f", 2, COWFS_EXPECT_DIR, COWFS_EXPECT_MUST, NULL),
			 -EEXIST);
	ck_assert_int_eq(cowfs_expect_add(e, "f", 1, COWFS_EXPECT_DIR, COWFS_EXPECT_MUST, NULL),
			 -EINVAL);
	ck_assert_int_eq(cowfs_expect_add(e, "/a/../b", 7, COWFS_EXPECT_DIR, COWFS_EXPECT_MUST,
					  NULL), -EINVAL);
	ck_assert_int_eq(cowfs_expect_add(e, "/a//b", 5, COWFS_EXPECT_DIR, COWFS_EXPECT_MUST,
					  NULL), -EINVAL);
	ck_assert_int_eq(cowfs_expect_add_size(f, 8192), 0);
	ck_assert_int_eq(cowfs_expect_add_size(f, 100), 0);
	ck_assert_int_eq(cowfs_expect_add_size(f, 8192), 0);
	ck_assert_int_eq(cowfs_expect_add_range(f, 0, 4096, c, 2), 0);
	ck_assert_int_eq(cowfs_expect_add_range(f, 4000, 5000, c, 1), -EINVAL);
	ck_assert_int_eq(cowfs_expect_add_range(f, 5000, 5000, c, 1), -EINVAL);
	ck_assert_int_eq(cowfs_expect_add_range(f, 5000, 6000, c, 0), -EINVAL);
	ck_assert_int_eq(cowfs_expect_add_range(f, 4096, 6000, c, 1), 0);
	cowfs_expect_get(cowfs_expect_find(e, "/f", 2), &info);
	ck_assert_uint_eq(info.nr_sizes, 2);
	ck_assert_uint_eq(info.sizes[0], 100);
	ck_assert_uint_eq(info.sizes[1], 8192);
	ck_assert_uint_eq(info.nr_ranges, 2);
	ck_assert_uint_eq(info.ranges[0].nr_cands, 2);
	ck_assert_int_eq(info.ranges[0].cands[1].kind, COWFS_CAND_ZEROS);
	ck_assert_uint_eq(info.ranges[1].end, 6000);
	ck_assert_ptr_null(cowfs_expect_find(e, "/g", 2));
	cowfs_expect_free(e);
}
END_TEST

/* ---- the file ---- */

static const char round_trip_text[] =
	"cowexpect 1\n"
	"dir /d\n"
	"dir /d/new may\n"
	"file \"/d/with space\" size=0,4096,8192\n"
	"range 0 4096 7:stamp zeros\n"
	"range 4096 100 9:hex:" "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	"202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
	"404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f60616263 12:rand:3\n"
	"file /d/z may size=4096\n"
	"file /f size=12288\n"
	"range 0 4096 3:fill:170\n"
	"range 4096 4096 any\n"
	"range 8192 4096 4:zero zeros\n"
	"file /gone must-not\n";

START_TEST(test_file_round_trip)
{
	cowfs_expect *e, *e2;
	char err[512] = "", *out, *out2;
	struct cowfs_expect_info info;

	ck_assert_int_eq(parse(round_trip_text, &e, err, sizeof(err)), 0);
	ck_assert_uint_eq(cowfs_expect_count(e), 6);
	out = expect_text(e);
	ck_assert_str_eq(out, round_trip_text);
	ck_assert_int_eq(parse(out, &e2, err, sizeof(err)), 0);
	out2 = expect_text(e2);
	ck_assert_str_eq(out2, out);
	cowfs_expect_get(cowfs_expect_find(e2, "/d/with space", 13), &info);
	ck_assert_int_eq(info.presence, COWFS_EXPECT_MUST);
	ck_assert_uint_eq(info.ranges[1].cands[0].line, 9);
	ck_assert_int_eq(info.ranges[1].cands[0].data.kind, COWFS_DATA_HEX);
	ck_assert_uint_eq(info.ranges[1].cands[0].data.hex_off, 4096);
	ck_assert_uint_eq(info.ranges[1].cands[0].data.hex[99], 0x63);
	free(out);
	free(out2);
	cowfs_expect_free(e);
	cowfs_expect_free(e2);
}
END_TEST

START_TEST(test_size_spans)
{
	cowfs_expect *e;
	char err[512] = "", *out;
	struct cowfs_expect_info info;

	ck_assert_int_eq(parse("cowexpect 1\nfile /f size=0,120,100-200,150-300,5000\n"
			       "range 0 10 zeros\n", &e, err, sizeof(err)), 0);
	out = expect_text(e);
	ck_assert_str_eq(out, "cowexpect 1\nfile /f size=0,5000,100-300\nrange 0 10 zeros\n");
	cowfs_expect_get(cowfs_expect_find(e, "/f", 2), &info);
	ck_assert_uint_eq(info.nr_spans, 1);
	ck_assert_uint_eq(info.spans[0].hi, 300);
	free(out);
	cowfs_expect_free(e);
	ck_assert_int_eq(parse("cowexpect 1\nfile /f size=9-3\n", &e, err, sizeof(err)),
			 -COWFS_ETRACE);
	ck_assert_str_eq(err, "t.exp:2:14: size run 9-3 goes backwards");
}
END_TEST

START_TEST(test_file_lenient)
{
	static const char text[] =
		"# comments and blank lines anywhere\n\n"
		"cowexpect 1   # the header\r\n"
		"file /f  size=0x1000 may   # options in any order\n"
		"  range 0 1K\t1:stamp\n"
		"dir /\n";
	cowfs_expect *e;
	char err[512] = "";
	struct cowfs_expect_info info;

	ck_assert_int_eq(parse(text, &e, err, sizeof(err)), 0);
	cowfs_expect_get(cowfs_expect_find(e, "/f", 2), &info);
	ck_assert_int_eq(info.presence, COWFS_EXPECT_MAY);
	ck_assert_uint_eq(info.sizes[0], 4096);
	ck_assert_uint_eq(info.ranges[0].end, 1024);
	cowfs_expect_free(e);
}
END_TEST

static const struct { const char *text; const char *err; } parse_errors[] = {
	{ "", "t.exp:1:1: expected the header 'cowexpect 1', found end of file" },
	{ "# nothing\n", "t.exp:2:1: expected the header 'cowexpect 1', found end of file" },
	{ "cowtrace 1\n", "t.exp:1:1: expected the header 'cowexpect 1', found 'cowtrace'" },
	{ "cowexpect 2\n", "t.exp:1:11: unsupported expect version '2', expected 'cowexpect 1'" },
	{ "cowexpect\n", "t.exp:1:10: expected the version after 'cowexpect', found end of line" },
	{ "cowexpect 1 x\n", "t.exp:1:13: unexpected field 'x' after 'cowexpect 1'" },
	{ "cowexpect 1\nfoo /f\n", "t.exp:2:1: unknown entry 'foo', expected dir, file or range" },
	{ "cowexpect 1\ndir\n", "t.exp:2:4: expected a path after 'dir', found end of line" },
	{ "cowexpect 1\nfile\n", "t.exp:2:5: expected a path after 'file', found end of line" },
	{ "cowexpect 1\ndir d\n", "t.exp:2:5: expected an absolute path (starting with '/'), found 'd'" },
	{ "cowexpect 1\ndir \"/a\\q\"\n", "t.exp:2:8: bad escape '\\q' in path, expected \\\\, \\\" or \\xHH" },
	{ "cowexpect 1\ndir \"/a\n", "t.exp:2:5: unterminated quote: missing closing '\"'" },
	{ "cowexpect 1\ndir /a/\n", "t.exp:2:7: path may not end with '/'" },
	{ "cowexpect 1\ndir /a\ndir /a\n", "t.exp:3:5: path '/a' is listed twice (first at line 2)" },
	{ "cowexpect 1\ndir /a sometimes\n",
	  "t.exp:2:8: unknown field 'sometimes', expected must, may or must-not" },
	{ "cowexpect 1\nfile /a size=1 big\n",
	  "t.exp:2:16: unknown field 'big', expected must, may, must-not or size=N[,N...]" },
	{ "cowexpect 1\ndir /a size=1\n",
	  "t.exp:2:8: unknown field 'size=1', expected must, may or must-not" },
	{ "cowexpect 1\ndir /a may must\n", "t.exp:2:12: presence given twice" },
	{ "cowexpect 1\nfile /a size=1 size=2\n", "t.exp:2:16: size= given twice" },
	{ "cowexpect 1\nfile /a size=1,x\n", "t.exp:2:16: expected a number for size, found 'x'" },
	{ "cowexpect 1\nfile /a size=\n", "t.exp:2:14: expected a number for size, found nothing" },
	{ "cowexpect 1\nfile /a size=4,4\n", "t.exp:2:16: size 4 listed twice" },
	{ "cowexpect 1\nfile /a size=99999999999999999999\n",
	  "t.exp:2:14: number '99999999999999999999' for size overflows 64 bits" },
	{ "cowexpect 1\nfile /a must-not size=4\n", "t.exp:2:18: size= is not allowed on a must-not file" },
	{ "cowexpect 1\nfile /a may\n", "t.exp:2:12: a must or may file needs size=N[,N...]" },
	{ "cowexpect 1\nrange 0 1 zeros\n",
	  "t.exp:2:1: range outside a file: it must follow a must or may file line" },
	{ "cowexpect 1\ndir /d\nrange 0 1 zeros\n",
	  "t.exp:3:1: range outside a file: it must follow a must or may file line" },
	{ "cowexpect 1\nfile /a size=8\nrange\n", "t.exp:3:6: expected OFF after 'range', found end of line" },
	{ "cowexpect 1\nfile /a size=8\nrange 0\n", "t.exp:3:8: expected LEN after OFF, found end of line" },
	{ "cowexpect 1\nfile /a size=8\nrange z 1\n", "t.exp:3:7: expected a number for OFF, found 'z'" },
	{ "cowexpect 1\nfile /a size=8\nrange 0 0 zeros\n", "t.exp:3:9: range LEN must be at least 1" },
	{ "cowexpect 1\nfile /a size=8\nrange 1 0xffffffffffffffff zeros\n",
	  "t.exp:3:9: range OFF + LEN overflows 64 bits" },
	{ "cowexpect 1\nfile /a size=8\nrange 0 4 zeros\nrange 2 4 zeros\n",
	  "t.exp:4:7: range [2, 6) starts before the end of the previous range (4)" },
	{ "cowexpect 1\nfile /a size=8\nrange 4 8 zeros\n",
	  "t.exp:3:9: range [4, 12) ends past the largest size 8" },
	{ "cowexpect 1\nfile /a size=8\nrange 0 8\n",
	  "t.exp:3:10: expected at least one candidate (zeros, any or LINE:SPEC) after LEN" },
	{ "cowexpect 1\nfile /a size=8\nrange 0 8 stamp\n",
	  "t.exp:3:11: expected a candidate, zeros, any or LINE:SPEC, found 'stamp'" },
	{ "cowexpect 1\nfile /a size=8\nrange 0 8 x:stamp\n",
	  "t.exp:3:11: expected a number for LINE, found 'x'" },
	{ "cowexpect 1\nfile /a size=8\nrange 0 8 0:stamp\n",
	  "t.exp:3:11: line 0 in a candidate: trace lines start at 1" },
	{ "cowexpect 1\nfile /a size=8\nrange 0 8 3:stomp\n",
	  "t.exp:3:13: unknown data kind 'stomp', expected stamp, rand:SEED, fill:B, zero or hex:HEX" },
	{ "cowexpect 1\nfile /a size=8\nrange 0 2 3:hex:01zz\n",
	  "t.exp:3:19: bad hex digit 'z' in hex data" },
	{ "cowexpect 1\nfile /a size=8\nrange 0 2 3:hex:01\n",
	  "t.exp:3:17: expected 4 hex digits (2 x LEN) for hex data, found 2" },
	{ "cowexpect 1\ndir /a\xff\n",
	  "t.exp:2:7: invalid UTF-8 (byte 0xff); write unusual path bytes as \\xHH in a quoted path" },
	{ "cowexpect 1\nfile / size=0\n", "t.exp:2:6: the root '/' is a directory" },
	{ "cowexpect 1\ndir / may\n", "t.exp:2:5: the root '/' always exists" },
	{ "cowexpect 1\ndir /a/b\n", "t.exp:2:5: the parent directory of /a/b is not listed" },
	{ "cowexpect 1\nfile /a size=0\ndir /a/b\n", "t.exp:3:5: the parent of /a/b is a file" },
	{ "cowexpect 1\ndir /a must-not\ndir /a/b may\n",
	  "t.exp:3:5: the parent of /a/b must not exist" },
};

START_TEST(test_parse_error)
{
	cowfs_expect *e = NULL;
	char err[1024] = "";

	ck_assert_msg(parse(parse_errors[_i].text, &e, err, sizeof(err)) == -COWFS_ETRACE,
		      "case %d parsed", _i);
	ck_assert_str_eq(err, parse_errors[_i].err);
}
END_TEST

/* Mutated files never crash the reader; what it accepts writes back and reads the same. */
START_TEST(test_parse_mutations)
{
	static const char alphabet[] = " \t\n\"\\:,=#/0123456789xabfzmrsye-\x80\xff";
	uint64_t state = 0x2545f4914f6cdd1dull * (uint64_t)(_i + 1);
	char text[sizeof(round_trip_text) + 64], err[1024];

	for (int round = 0; round < 200; round++) {
		size_t len = sizeof(round_trip_text) - 1;
		cowfs_expect *e, *e2;

		memcpy(text, round_trip_text, len + 1);
		for (int k = 0; k < 1 + round % 4; k++) {
			size_t at;

			state ^= state << 13;
			state ^= state >> 7;
			state ^= state << 17;
			at = state % len;
			if (state >> 60 == 0 && len > 1)
				len = at + 1;			/* cut */
			else
				text[at] = alphabet[(state >> 32) % (sizeof(alphabet) - 1)];
			text[len] = '\0';
		}
		if (parse(text, &e, err, sizeof(err)) == 0) {
			char *out = expect_text(e), *out2;

			ck_assert_int_eq(parse(out, &e2, err, sizeof(err)), 0);
			out2 = expect_text(e2);
			ck_assert_str_eq(out, out2);
			free(out);
			free(out2);
			cowfs_expect_free(e);
			cowfs_expect_free(e2);
		} else {
			ck_assert_int_eq(strncmp(err, "t.exp:", 6), 0);
		}
	}
}
END_TEST

START_TEST(test_parse_long_line)
{
	size_t n = (64u << 20) + 16;
	char *text = malloc(n + 1), err[512] = "";
	cowfs_expect *e;

	ck_assert_ptr_nonnull(text);
	memset(text, 'x', n);
	memcpy(text, "cowexpect 1\n", 12);
	text[n] = '\0';
	ck_assert_int_eq(parse(text, &e, err, sizeof(err)), -COWFS_ETRACE);
	ck_assert_str_eq(err, "t.exp:2:1: line longer than 67108864 bytes");
	free(text);
}
END_TEST

START_TEST(test_read_missing_file)
{
	struct cowfs_trace_error err;
	cowfs_expect *e;
	char buf[512];

	ck_assert_int_eq(cowfs_expect_read("/nonexistent/x.exp", &e, &err), -ENOENT);
	cowfs_trace_format_error(&err, buf, sizeof(buf));
	ck_assert_str_eq(buf, "/nonexistent/x.exp: cannot open: No such file or directory");
}
END_TEST

/* ---- checking images ---- */

static char image[4096];

static void make_image(uint64_t features)
{
	struct cowfs_mkfs_opts o = { .size = 64ull << 20, .features = features, .time = 1700000000 };

	ck_assert_int_eq(testlib_temp_image(image, sizeof(image), "expect", &o), 0);
}

static uint64_t lookup(cowfs_fs *fs, const char *path)
{
	uint64_t ino = 0;

	ck_assert_int_eq(cowfs_lookup_path(fs, path, &ino), 0);
	return ino;
}

/* Write [off, off + len) of path with what spec stores when written by line. */
static void put_data(cowfs_fs *fs, const char *path, uint64_t off, size_t len,
		     const struct cowfs_data_spec *spec, uint64_t line)
{
	uint8_t *buf = malloc(len);

	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(cowfs_data_fill(spec, line, off, buf, len), 0);
	ck_assert_int_eq(cowfs_write_file(fs, lookup(fs, path), off, buf, len), 0);
	free(buf);
}

static const struct cowfs_data_spec stamp = { .kind = COWFS_DATA_STAMP };
static const struct cowfs_data_spec rand5 = { .kind = COWFS_DATA_RAND, .seed = 5 };

static cowfs_fs *open_rw(void)
{
	cowfs_fs *fs = NULL;

	ck_assert_int_eq(cowfs_open(image, COWFS_OPEN_RDWR, &fs), 0);
	return fs;
}

static void close_rw(cowfs_fs *fs)
{
	ck_assert_int_eq(cowfs_commit(fs), 0);
	cowfs_close(fs);
}

static void create(cowfs_fs *fs, const char *dir, const char *name, uint32_t mode)
{
	ck_assert_int_eq(cowfs_create(fs, lookup(fs, dir), name, strlen(name), mode, NULL, NULL), 0);
}

/* /f: 16 KiB written by line 7 (stamp); /d/g: 4 KiB by line 9 (rand:5). */
static void image_setup(uint64_t features)
{
	cowfs_fs *fs;

	make_image(features);
	fs = open_rw();
	create(fs, "/", "d", S_IFDIR | 0755);
	create(fs, "/", "f", S_IFREG | 0644);
	create(fs, "/d", "g", S_IFREG | 0644);
	put_data(fs, "/f", 0, 16384, &stamp, 7);
	put_data(fs, "/d/g", 0, 4096, &rand5, 9);
	close_rw(fs);
}

static void setup(void)
{
	image_setup(0);
}

static void setup_zstd(void)
{
	image_setup(COWFS_FEATURE_COMPRESS_ZSTD);
}

static void teardown(void)
{
	unlink(image);
}

static cowfs_expect_entry *add(cowfs_expect *e, const char *path, enum cowfs_expect_type type,
			       enum cowfs_expect_presence presence)
{
	cowfs_expect_entry *ent = NULL;

	ck_assert_int_eq(cowfs_expect_add(e, path, strlen(path), type, presence, &ent), 0);
	return ent;
}

static void add_range(cowfs_expect_entry *ent, uint64_t start, uint64_t end, uint64_t line,
		      const struct cowfs_data_spec *spec)
{
	struct cowfs_expect_cand c = { .kind = spec ? COWFS_CAND_DATA : COWFS_CAND_ZEROS, .line = line };

	if (spec)
		c.data = *spec;
	ck_assert_int_eq(cowfs_expect_add_range(ent, start, end, &c, 1), 0);
}

/* The state image_setup() made: clean against it. */
static cowfs_expect *base_expect(void)
{
	cowfs_expect_entry *ent;
	cowfs_expect *e;

	ck_assert_int_eq(cowfs_expect_new(&e), 0);
	add(e, "/d", COWFS_EXPECT_DIR, COWFS_EXPECT_MUST);
	ent = add(e, "/f", COWFS_EXPECT_FILE, COWFS_EXPECT_MUST);
	ck_assert_int_eq(cowfs_expect_add_size(ent, 16384), 0);
	add_range(ent, 0, 16384, 7, &stamp);
	ent = add(e, "/d/g", COWFS_EXPECT_FILE, COWFS_EXPECT_MUST);
	ck_assert_int_eq(cowfs_expect_add_size(ent, 4096), 0);
	add_range(ent, 0, 4096, 9, &rand5);
	return e;
}

struct collected {
	char text[8192];
	int n;
};

static void collect(void *arg, const struct cowfs_expect_finding *f)
{
	struct collected *c = arg;
	size_t used = strlen(c->text);

	snprintf(c->text + used, sizeof(c->text) - used, "%s\n", f->message);
	c->n++;
}

/* Check the image against e (freed), and return the messages, one a line. */
static const char *check(cowfs_expect *e)
{
	static struct collected c;
	cowfs_fs *fs = NULL;
	int r;

	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(cowfs_open(image, 0, &fs), 0);
	r = cowfs_expect_check(fs, e, collect, &c);
	cowfs_close(fs);
	cowfs_expect_free(e);
	ck_assert_int_eq(r, c.n);
	return c.text;
}

START_TEST(test_check_clean)
{
	ck_assert_str_eq(check(base_expect()), "");
}
END_TEST

START_TEST(test_check_found_line)
{
	cowfs_fs *fs = open_rw();

	put_data(fs, "/f", 4096, 4096, &stamp, 3);
	close_rw(fs);
	ck_assert_str_eq(check(base_expect()), "/f [4096, 8192): expected line 7, found line 3\n");
}
END_TEST

START_TEST(test_check_found_zeros_merged)
{
	static const struct cowfs_data_spec zero = { .kind = COWFS_DATA_ZERO };
	cowfs_fs *fs = open_rw();

	put_data(fs, "/f", 4096, 8192, &zero, 1);
	close_rw(fs);
	ck_assert_str_eq(check(base_expect()), "/f [4096, 12288): expected line 7, found zeros\n");
}
END_TEST

START_TEST(test_check_found_other)
{
	static const struct cowfs_data_spec fill = { .kind = COWFS_DATA_FILL, .fill = 0xab };
	cowfs_fs *fs = open_rw();

	put_data(fs, "/f", 0, 4096, &fill, 1);
	put_data(fs, "/f", 8192, 4096, &stamp, 3);
	put_data(fs, "/f", 12288, 4096, &stamp, 4);
	close_rw(fs);
	ck_assert_str_eq(check(base_expect()),
			 "/f [0, 4096): expected line 7, found other data\n"
			 "/f [8192, 12288): expected line 7, found line 3\n"
			 "/f [12288, 16384): expected line 7, found line 4\n");
}
END_TEST

START_TEST(test_check_found_mixed)
{
	cowfs_fs *fs = open_rw();

	put_data(fs, "/f", 5000, 100, &stamp, 3);
	close_rw(fs);
	ck_assert_str_eq(check(base_expect()),
			 "/f [4096, 8192): expected line 7, found line 3 mixed with other data\n");
}
END_TEST

START_TEST(test_check_candidates)
{
	struct cowfs_expect_cand c[3] = {
		{ .line = 7, .data = stamp }, { .line = 8, .data = stamp }, { .kind = COWFS_CAND_ZEROS },
	};
	cowfs_expect_entry *ent;
	cowfs_expect *e;
	cowfs_fs *fs = open_rw();

	put_data(fs, "/f", 4096, 8192, &stamp, 3);
	put_data(fs, "/f", 12288, 4096, &stamp, 8);
	close_rw(fs);
	ck_assert_int_eq(cowfs_expect_new(&e), 0);
	add(e, "/d", COWFS_EXPECT_DIR, COWFS_EXPECT_MAY);
	ent = add(e, "/d/g", COWFS_EXPECT_FILE, COWFS_EXPECT_MAY);
	ck_assert_int_eq(cowfs_expect_add_size(ent, 4096), 0);
	ent = add(e, "/f", COWFS_EXPECT_FILE, COWFS_EXPECT_MUST);
	ck_assert_int_eq(cowfs_expect_add_size(ent, 16384), 0);
	ck_assert_int_eq(cowfs_expect_add_range(ent, 0, 4096, c, 2), 0);
	ck_assert_int_eq(cowfs_expect_add_range(ent, 4096, 8192, c, 1), 0);
	ck_assert_int_eq(cowfs_expect_add_range(ent, 8192, 12288, c, 3), 0);
	ck_assert_int_eq(cowfs_expect_add_range(ent, 12288, 16384, c, 2), 0);
	ck_assert_int_eq(cowfs_expect_add_range(ent, 16384, 20000, c, 0), -EINVAL);
	ck_assert_str_eq(check(e),
			 "/d/g [0, 4096): expected zeros, found other data\n"
			 "/f [4096, 8192): expected line 7, found line 3\n"
			 "/f [8192, 12288): expected line 7, line 8 or zeros, found line 3\n");
}
END_TEST

START_TEST(test_check_any)
{
	struct cowfs_expect_cand any = { .kind = COWFS_CAND_ANY };
	cowfs_expect_entry *ent;
	cowfs_expect *e;

	ck_assert_int_eq(cowfs_expect_new(&e), 0);
	add(e, "/d", COWFS_EXPECT_DIR, COWFS_EXPECT_MUST);
	ent = add(e, "/d/g", COWFS_EXPECT_FILE, COWFS_EXPECT_MUST);
	ck_assert_int_eq(cowfs_expect_add_size(ent, 4096), 0);
	ck_assert_int_eq(cowfs_expect_add_range(ent, 0, 4096, &any, 1), 0);
	ent = add(e, "/f", COWFS_EXPECT_FILE, COWFS_EXPECT_MUST);
	ck_assert_int_eq(cowfs_expect_add_size(ent, 16384), 0);
	ck_assert_int_eq(cowfs_expect_add_range(ent, 0, 100, &any, 1), 0);
	ck_assert_str_eq(check(e), "/f [100, 16384): expected zeros, found line 7\n");
}
END_TEST

START_TEST(test_check_size)
{
	cowfs_expect *e = base_expect();
	cowfs_fs *fs = open_rw();

	ck_assert_int_eq(cowfs_truncate(fs, lookup(fs, "/f"), 8192), 0);
	close_rw(fs);
	ck_assert_str_eq(check(base_expect()), "/f: size 8192, expected 16384\n");
	ck_assert_int_eq(cowfs_expect_add_size((cowfs_expect_entry *)cowfs_expect_find(e, "/f", 2),
					       4096), 0);
	ck_assert_str_eq(check(e), "/f: size 8192, expected one of 4096, 16384\n");
	fs = open_rw();
	put_data(fs, "/f", 8192, 12288, &stamp, 7);
	close_rw(fs);
	ck_assert_str_eq(check(base_expect()), "/f: size 20480, expected 16384\n");
}
END_TEST

/* A write cut short leaves part of itself in a block beside older bytes: fine
 * per byte when both are candidates, a finding when the older bytes are not. */
START_TEST(test_check_byte_cover)
{
	struct cowfs_expect_cand both[2] = {
		{ .line = 7, .data = stamp }, { .line = 3, .data = stamp },
	};
	cowfs_expect *e = NULL;
	cowfs_expect_entry *ent;
	cowfs_fs *fs = open_rw();

	put_data(fs, "/f", 4096, 100, &stamp, 3);
	close_rw(fs);
	ck_assert_str_eq(check(base_expect()),
			 "/f [4096, 8192): expected line 7, found line 3 mixed with other data\n");
	ck_assert_int_eq(cowfs_expect_new(&e), 0);
	add(e, "/d", COWFS_EXPECT_DIR, COWFS_EXPECT_MUST);
	add_range(ent = add(e, "/d/g", COWFS_EXPECT_FILE, COWFS_EXPECT_MUST), 0, 4096, 9, &rand5);
	ck_assert_int_eq(cowfs_expect_add_size(ent, 4096), 0);
	ent = add(e, "/f", COWFS_EXPECT_FILE, COWFS_EXPECT_MUST);
	ck_assert_int_eq(cowfs_expect_add_size_span(ent, 8192, 20000), 0);
	ck_assert_int_eq(cowfs_expect_add_range(ent, 0, 16384, both, 2), 0);
	ck_assert_str_eq(check(e), "");
}
END_TEST

START_TEST(test_check_names)
{
	cowfs_expect *e = base_expect();
	cowfs_fs *fs = open_rw();

	create(fs, "/", "y", S_IFREG | 0644);
	create(fs, "/", "a b", S_IFDIR | 0755);
	create(fs, "/a b", "inside", S_IFREG | 0644);
	create(fs, "/d", "empty", S_IFDIR | 0755);
	close_rw(fs);
	add(e, "/d/empty", COWFS_EXPECT_DIR, COWFS_EXPECT_MUST);
	add(e, "/d/x", COWFS_EXPECT_FILE, COWFS_EXPECT_MUST);
	add(e, "/d/maybe", COWFS_EXPECT_FILE, COWFS_EXPECT_MAY);
	add(e, "/gone", COWFS_EXPECT_DIR, COWFS_EXPECT_MUST_NOT);
	ck_assert_str_eq(check(e), "\"/a b\": unexpected\n/y: unexpected\n/d/x: missing\n");
}
END_TEST

START_TEST(test_check_must_not)
{
	cowfs_expect *e;

	ck_assert_int_eq(cowfs_expect_new(&e), 0);
	add(e, "/d", COWFS_EXPECT_DIR, COWFS_EXPECT_MUST);
	add(e, "/d/g", COWFS_EXPECT_FILE, COWFS_EXPECT_MUST_NOT);
	add(e, "/f", COWFS_EXPECT_FILE, COWFS_EXPECT_MUST_NOT);
	ck_assert_str_eq(check(e), "/d/g: unexpected\n/f: unexpected\n");
}
END_TEST

START_TEST(test_check_type)
{
	cowfs_expect *e;
	cowfs_expect_entry *ent;

	ck_assert_int_eq(cowfs_expect_new(&e), 0);
	ent = add(e, "/d", COWFS_EXPECT_FILE, COWFS_EXPECT_MUST);
	ck_assert_int_eq(cowfs_expect_add_size(ent, 0), 0);
	add(e, "/f", COWFS_EXPECT_DIR, COWFS_EXPECT_MAY);
	ck_assert_str_eq(check(e), "/d: directory, expected a file\n/f: file, expected a directory\n");
}
END_TEST

START_TEST(test_check_csum)
{
	struct cowfs_extent_map em;
	uint8_t junk[512];
	cowfs_fs *fs = NULL;
	off_t at;
	int fd;

	ck_assert_int_eq(cowfs_open(image, 0, &fs), 0);
	ck_assert_int_eq(cowfs_get_extent(fs, lookup(fs, "/f"), 8192, &em), 0);
	cowfs_close(fs);
	ck_assert_int_eq(em.compression, 0);
	ck_assert_uint_ne(em.disk_bytenr, 0);
	at = (off_t)(em.disk_bytenr + em.offset + (8192 - em.file_off));
	memset(junk, 0x5c, sizeof(junk));
	fd = open(image, O_WRONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, junk, sizeof(junk), at + 100), (ssize_t)sizeof(junk));
	close(fd);
	ck_assert_str_eq(check(base_expect()), "/f [8192, 12288): checksum mismatch\n");
}
END_TEST

struct seen_log {
	char text[4096];
};

static void seen_cb(void *arg, const struct cowfs_expect_seen *s)
{
	struct seen_log *l = arg;
	size_t used = strlen(l->text);

	if (s->kind == COWFS_SEEN_NAME)
		snprintf(l->text + used, sizeof(l->text) - used, "name %s %d%s\n", s->path, s->present,
			 s->listed ? "" : " unlisted");
	else if (s->kind == COWFS_SEEN_SIZE)
		snprintf(l->text + used, sizeof(l->text) - used, "size %s %llu\n", s->path,
			 (unsigned long long)s->size);
	else
		snprintf(l->text + used, sizeof(l->text) - used, "data %s %llu %llu %lld %d %llu\n",
			 s->path, (unsigned long long)s->start, (unsigned long long)s->end,
			 s->cand ? (long long)s->cand->line : -1LL, (int)s->found,
			 (unsigned long long)s->found_line);
}

START_TEST(test_check_seen)
{
	struct cowfs_expect_cand c[2] = { { .line = 7, .data = stamp }, { .line = 3, .data = stamp } };
	struct cowfs_expect_ops ops = { .report = NULL };
	struct seen_log log = { .text = "" };
	cowfs_expect_entry *ent;
	cowfs_expect *e;
	cowfs_fs *fs = open_rw();

	put_data(fs, "/f", 4096, 4096, &stamp, 3);
	put_data(fs, "/f", 8192, 4096, &stamp, 4);
	ck_assert_int_eq(cowfs_truncate(fs, lookup(fs, "/f"), 12288), 0);
	close_rw(fs);
	ck_assert_int_eq(cowfs_expect_new(&e), 0);
	add(e, "/d", COWFS_EXPECT_DIR, COWFS_EXPECT_MAY);
	add(e, "/d/h", COWFS_EXPECT_FILE, COWFS_EXPECT_MAY);
	ent = add(e, "/f", COWFS_EXPECT_FILE, COWFS_EXPECT_MUST);
	ck_assert_int_eq(cowfs_expect_add_size(ent, 12288), 0);
	ck_assert_int_eq(cowfs_expect_add_size(ent, 16384), 0);
	ck_assert_int_eq(cowfs_expect_add_range(ent, 0, 6000, c, 2), 0);
	ck_assert_int_eq(cowfs_expect_add_range(ent, 6000, 16384, c, 2), 0);
	ops.arg = &log;
	ops.seen = seen_cb;
	ck_assert_int_eq(cowfs_open(image, 0, &fs), 0);
	ck_assert_int_eq(cowfs_expect_check_ops(fs, e, &ops), 2);
	cowfs_close(fs);
	cowfs_expect_free(e);
	ck_assert_str_eq(log.text,
			 "name /d 1\n"
			 "name /d/g 1 unlisted\n"
			 "size /d/g 4096\n"
			 "data /d/g 0 4096 -1 3 0\n"
			 "name /f 1\n"
			 "size /f 12288\n"
			 "data /f 0 4096 7 0 0\n"
			 "data /f 4096 6000 3 0 0\n"
			 "data /f 6000 8192 3 0 0\n"
			 "data /f 8192 12288 -1 0 4\n"
			 "name /d/h 0\n");
}
END_TEST

/* A damaged image yields findings or an error, never a crash. */
START_TEST(test_check_corrupt_image)
{
	uint64_t state = 0x9e3779b97f4a7c15ull * (uint64_t)(_i + 1);
	struct stat st;
	int fd = open(image, O_RDWR);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	for (int k = 0; k < 64; k++) {
		uint8_t junk[16];
		off_t at;

		state ^= state << 13;
		state ^= state >> 7;
		state ^= state << 17;
		/* Mostly the first MiBs, where the trees live. */
		at = (off_t)(state % (k % 2 ? (uint64_t)st.st_size : 4u << 20));
		memcpy(junk, &state, 8);
		memcpy(junk + 8, &at, 8);
		ck_assert_int_eq(pwrite(fd, junk, sizeof(junk), at), (ssize_t)sizeof(junk));
	}
	close(fd);
	{
		struct collected c = { .text = "" };
		cowfs_expect *e = base_expect();
		cowfs_fs *fs = NULL;

		if (cowfs_open(image, 0, &fs) == 0) {
			int r = cowfs_expect_check(fs, e, collect, &c);

			ck_assert(r < 0 || r == c.n);
			cowfs_close(fs);
		}
		cowfs_expect_free(e);
	}
}
END_TEST

START_TEST(test_check_buf)
{
	cowfs_expect *e = base_expect();
	struct collected c = { .text = "" };
	uint8_t buf[200];

	ck_assert_int_eq(cowfs_data_fill(&stamp, 7, 4000, buf, 96), 0);
	ck_assert_int_eq(cowfs_data_fill(&stamp, 3, 4096, buf + 96, 104), 0);
	ck_assert_int_eq(cowfs_expect_check_buf(e, "/f", 2, 4000, buf, 200, collect, &c), 1);
	ck_assert_str_eq(c.text, "/f [4096, 4200): expected line 7, found line 3\n");
	ck_assert_int_eq(cowfs_data_fill(&stamp, 7, 4000, buf, 200), 0);
	ck_assert_int_eq(cowfs_expect_check_buf(e, "/f", 2, 4000, buf, 200, collect, &c), 0);
	ck_assert_int_eq(cowfs_expect_check_buf(e, "/d", 2, 0, buf, 10, collect, &c), -ENOENT);
	ck_assert_int_eq(cowfs_expect_check_buf(e, "/nope", 5, 0, buf, 10, collect, &c), -ENOENT);
	cowfs_expect_free(e);
}
END_TEST

START_TEST(test_check_zstd)
{
	struct cowfs_extent_map em;
	cowfs_fs *fs = NULL;

	ck_assert_int_eq(cowfs_open(image, 0, &fs), 0);
	ck_assert_int_eq(cowfs_get_extent(fs, lookup(fs, "/f"), 0, &em), 0);
	ck_assert_int_ne(em.compression, 0);
	cowfs_close(fs);
	ck_assert_str_eq(check(base_expect()), "");
	fs = open_rw();
	put_data(fs, "/f", 4096, 4096, &stamp, 3);
	close_rw(fs);
	ck_assert_str_eq(check(base_expect()), "/f [4096, 8192): expected line 7, found line 3\n");
}
END_TEST

static TCase *image_tcase(void)
{
	TCase *tc = tcase_create("image");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_check_clean);
	tcase_add_test(tc, test_check_found_line);
	tcase_add_test(tc, test_check_found_zeros_merged);
	tcase_add_test(tc, test_check_found_other);
	tcase_add_test(tc, test_check_found_mixed);
	tcase_add_test(tc, test_check_candidates);
	tcase_add_test(tc, test_check_any);
	tcase_add_test(tc, test_check_size);
	tcase_add_test(tc, test_check_byte_cover);
	tcase_add_test(tc, test_check_names);
	tcase_add_test(tc, test_check_must_not);
	tcase_add_test(tc, test_check_type);
	tcase_add_test(tc, test_check_csum);
	tcase_add_test(tc, test_check_seen);
	tcase_add_test(tc, test_check_buf);
	tcase_add_loop_test(tc, test_check_corrupt_image, 0, 30);
	return tc;
}

static TCase *zstd_tcase(void)
{
	TCase *tc = tcase_create("zstd");

	tcase_add_checked_fixture(tc, setup_zstd, teardown);
	tcase_add_test(tc, test_check_zstd);
	return tc;
}

static Suite *expect_suite(void)
{
	Suite *s = suite_create("expect");
	TCase *tc = tcase_create("spec");

	tcase_add_test(tc, test_spec_round_trip);
	tcase_add_test(tc, test_size_spans);
	tcase_add_test(tc, test_spec_values);
	tcase_add_test(tc, test_spec_hex_subrange);
	tcase_add_test(tc, test_spec_errors);
	tcase_add_test(tc, test_text_path);
	suite_add_tcase(s, tc);

	tc = tcase_create("file");
	tcase_add_test(tc, test_build);
	tcase_add_test(tc, test_file_round_trip);
	tcase_add_test(tc, test_file_lenient);
	tcase_add_loop_test(tc, test_parse_error, 0, (int)(sizeof(parse_errors) / sizeof(parse_errors[0])));
	tcase_add_loop_test(tc, test_parse_mutations, 0, 20);
	tcase_add_test(tc, test_parse_long_line);
	tcase_add_test(tc, test_read_missing_file);
	suite_add_tcase(s, tc);

	suite_add_tcase(s, image_tcase());
	suite_add_tcase(s, zstd_tcase());
	return s;
}

int main(void)
{
	return testlib_run(expect_suite());
}
