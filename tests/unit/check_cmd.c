/* Suite "cmd": the helpers the commands share, cmd/options.c, cmd/messages.c
 * and cmd/json.c. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cowfs/error.h"
#include "cmd/json.h"
#include "cmd/messages.h"
#include "cmd/options.h"
#include "testlib.h"

/* ---- capturing what a helper prints ---- */

/*
 * The helpers write to the real stdout and stderr, so the test points file
 * descriptors 1 and 2 at temporary files and reads them back afterwards.
 * With merged set both streams share one file, which shows their order.
 */
struct capture {
	FILE *out, *err;
	int saved_out, saved_err;
};

static void capture_start(struct capture *c, int merged)
{
	fflush(stdout);
	fflush(stderr);
	c->out = testlib_tmpfile();
	ck_assert_ptr_nonnull(c->out);
	c->err = merged ? c->out : testlib_tmpfile();
	ck_assert_ptr_nonnull(c->err);
	c->saved_out = dup(STDOUT_FILENO);
	c->saved_err = dup(STDERR_FILENO);
	ck_assert_int_ge(c->saved_out, 0);
	ck_assert_int_ge(c->saved_err, 0);
	ck_assert_int_ge(dup2(fileno(c->out), STDOUT_FILENO), 0);
	ck_assert_int_ge(dup2(fileno(c->err), STDERR_FILENO), 0);
}

static char *slurp(FILE *f)
{
	long len;
	char *buf;

	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	ck_assert_int_ge(len, 0);
	rewind(f);
	buf = malloc((size_t)len + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)len, f), (size_t)len);
	buf[len] = '\0';
	return buf;
}

/* Restore fds 1 and 2; the caller frees *out and *err (err is NULL when merged). */
static void capture_end(struct capture *c, char **out, char **err)
{
	fflush(stdout);
	fflush(stderr);
	dup2(c->saved_out, STDOUT_FILENO);
	dup2(c->saved_err, STDERR_FILENO);
	close(c->saved_out);
	close(c->saved_err);
	*out = slurp(c->out);
	*err = NULL;
	if (c->err != c->out) {
		*err = slurp(c->err);
		fclose(c->err);
	}
	fclose(c->out);
}

/* ---- parse_size ---- */

struct size_case {
	const char *text;
	int ret;
	uint64_t value;
};

static const struct size_case size_cases[] = {
	{ "0", 0, 0 },
	{ "1", 0, 1 },
	{ "4096", 0, 4096 },
	{ "007", 0, 7 },			/* decimal, never octal */
	{ "010", 0, 10 },
	{ "18446744073709551615", 0, UINT64_MAX },
	{ "18446744073709551610", 0, UINT64_MAX - 5 },
	{ "18446744073709551616", -ERANGE, 0 },
	{ "18446744073709551619", -ERANGE, 0 },
	{ "18446744073709551620", -ERANGE, 0 },
	{ "99999999999999999999", -ERANGE, 0 },
	{ "0x0", 0, 0 },
	{ "0x1000", 0, 4096 },
	{ "0X1f", 0, 31 },
	{ "0xFFffFFff", 0, 0xffffffffu },
	{ "0x0010", 0, 16 },
	{ "0x1b", 0, 27 },			/* hex digit, not a suffix */
	{ "0xffffffffffffffff", 0, UINT64_MAX },
	{ "0x10000000000000000", -ERANGE, 0 },
	{ "0K", 0, 0 },
	{ "64K", 0, 64 << 10 },
	{ "64k", 0, 64 << 10 },
	{ "1M", 0, 1 << 20 },
	{ "3m", 0, 3 << 20 },
	{ "1G", 0, 1ull << 30 },
	{ "256g", 0, 256ull << 30 },
	{ "1T", 0, 1ull << 40 },
	{ "2t", 0, 2ull << 40 },
	{ "0x10K", 0, 16 << 10 },
	{ "0x1g", 0, 1ull << 30 },		/* g is past hex: a suffix */
	{ "16777215T", 0, 16777215ull << 40 },
	{ "16777216T", -ERANGE, 0 },
	{ "17179869183G", 0, 17179869183ull << 30 },
	{ "17179869184G", -ERANGE, 0 },
	{ "17592186044415K", 0, 17592186044415ull << 10 },
	{ "18014398509481984K", -ERANGE, 0 },
	{ "", -EINVAL, 0 },
	{ "K", -EINVAL, 0 },
	{ "0x", -EINVAL, 0 },
	{ "0xK", -EINVAL, 0 },
	{ "0xg", -EINVAL, 0 },
	{ "x10", -EINVAL, 0 },
	{ "12x", -EINVAL, 0 },
	{ "1b", -EINVAL, 0 },
	{ "1KB", -EINVAL, 0 },
	{ "1KK", -EINVAL, 0 },
	{ "1KiB", -EINVAL, 0 },
	{ "1P", -EINVAL, 0 },
	{ "1E", -EINVAL, 0 },
	{ "1.5G", -EINVAL, 0 },
	{ "1,000", -EINVAL, 0 },
	{ "+1", -EINVAL, 0 },
	{ "-1", -EINVAL, 0 },
	{ "-0", -EINVAL, 0 },
	{ "0x-1", -EINVAL, 0 },
	{ " 1", -EINVAL, 0 },
	{ "1 ", -EINVAL, 0 },
	{ "1 K", -EINVAL, 0 },
	{ "\t1", -EINVAL, 0 },
	{ "1\n", -EINVAL, 0 },
	{ "1K ", -EINVAL, 0 },
	{ "0 x10", -EINVAL, 0 },
};

START_TEST(test_parse_size_table)
{
	const struct size_case *t = &size_cases[_i];
	/* A rejected string must leave the caller's default in place. */
	uint64_t v = 0xdeadbeefcafef00dull;
	int ret = parse_size(t->text, &v);

	ck_assert_msg(ret == t->ret, "parse_size(\"%s\") returned %d, expected %d",
		      t->text, ret, t->ret);
	if (t->ret == 0)
		ck_assert_msg(v == t->value, "parse_size(\"%s\") = %llu, expected %llu",
			      t->text, (unsigned long long)v, (unsigned long long)t->value);
	else
		ck_assert_msg(v == 0xdeadbeefcafef00dull, "parse_size(\"%s\") wrote %llu on error",
			      t->text, (unsigned long long)v);
}
END_TEST

START_TEST(test_parse_size_null)
{
	uint64_t v = 42;

	ck_assert_int_eq(parse_size(NULL, &v), -EINVAL);
	ck_assert_uint_eq(v, 42);
}
END_TEST

/* Whatever %llu and 0x%llx print, parse_size reads back. */
START_TEST(test_parse_size_roundtrip)
{
	static const char sfx[] = "KMGT";
	uint64_t x = 0x9e3779b97f4a7c15ull, v;
	char buf[64];

	for (int i = 0; i < 20000; i++) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		uint64_t n = (x * 0x2545f4914f6cdd1dull) >> (i % 64);
		int s = i % 4, shift = 10 * (s + 1);

		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)n);
		ck_assert_int_eq(parse_size(buf, &v), 0);
		ck_assert_uint_eq(v, n);
		snprintf(buf, sizeof(buf), i & 1 ? "0x%llx" : "0X%llX", (unsigned long long)n);
		ck_assert_int_eq(parse_size(buf, &v), 0);
		ck_assert_uint_eq(v, n);
		snprintf(buf, sizeof(buf), "%llu%c", (unsigned long long)(n >> shift), sfx[s]);
		ck_assert_int_eq(parse_size(buf, &v), 0);
		ck_assert_uint_eq(v, (n >> shift) << shift);
		if (n >> (64 - shift)) {
			snprintf(buf, sizeof(buf), "%llu%c", (unsigned long long)n, sfx[s]);
			ck_assert_msg(parse_size(buf, &v) == -ERANGE, "%s should overflow", buf);
		}
	}
}
END_TEST

/* ---- usage ---- */

static const char *const demo_usage[] = {
	"cowdemo frob [options] IMAGE",
	"frobnicate an image",
	"IMAGE may be a path",
	"",
	OPTLINE("-f|--force", "overwrite"),
	"Output:",
	OPTLINE("-q|--quiet", "print nothing"),
	OPTLINE("--exactly-twenty-four-ch", "fits its column"),
	OPTLINE("--twenty-five-characters1", "goes below"),
	"",
	"exit status: 0 done",
	NULL
};

static const char demo_text[] =
	"usage: cowdemo frob [options] IMAGE\n"
	"\n"
	"    frobnicate an image\n"
	"    IMAGE may be a path\n"
	"\n"
	"      -f|--force                overwrite\n"
	"    Output:\n"
	"      -q|--quiet                print nothing\n"
	"      --exactly-twenty-four-ch  fits its column\n"
	"      --twenty-five-characters1\n"
	"                                goes below\n"
	"\n"
	"    exit status: 0 done\n";

START_TEST(test_usage_stdout)
{
	struct capture c;
	char *out, *err;

	capture_start(&c, 0);
	usage(demo_usage, 0);
	capture_end(&c, &out, &err);
	ck_assert_str_eq(out, demo_text);
	ck_assert_str_eq(err, "");
	free(out);
	free(err);
}
END_TEST

START_TEST(test_usage_stderr)
{
	struct capture c;
	char *out, *err;

	capture_start(&c, 0);
	usage(demo_usage, 1);
	capture_end(&c, &out, &err);
	ck_assert_str_eq(out, "");
	ck_assert_str_eq(err, demo_text);
	free(out);
	free(err);
}
END_TEST

/* usage() on stderr after buffered stdout output must not overtake it. */
START_TEST(test_usage_keeps_order)
{
	struct capture c;
	char *all, *none;

	capture_start(&c, 1);
	setvbuf(stdout, NULL, _IOFBF, BUFSIZ);
	fputs("before\n", stdout);
	usage(demo_usage, 1);
	capture_end(&c, &all, &none);
	ck_assert_ptr_null(none);
	ck_assert_msg(strncmp(all, "before\nusage: ", 14) == 0, "got \"%s\"", all);
	free(all);
}
END_TEST

START_TEST(test_usage_degenerate)
{
	static const char *const only_synopsis[] = { "cowdemo IMAGE", NULL };
	static const char *const empty[] = { NULL };
	struct capture c;
	char *out, *err;

	capture_start(&c, 0);
	usage(only_synopsis, 0);
	usage(empty, 0);
	usage(NULL, 0);
	usage(NULL, 1);
	capture_end(&c, &out, &err);
	ck_assert_str_eq(out, "usage: cowdemo IMAGE\n");
	ck_assert_str_eq(err, "");
	free(out);
	free(err);
}
END_TEST

/* ---- usage_unknown_option ---- */

enum { OPT_NO_DATA = GETOPT_VAL_FIRST, OPT_NO_DOTS, OPT_THREADS };

static const struct option demo_longopts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "label", required_argument, NULL, 'L' },
	{ "no-data", no_argument, NULL, OPT_NO_DATA },
	{ "no-dots", no_argument, NULL, OPT_NO_DOTS },
	{ "quiet", no_argument, NULL, 'q' },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ NULL, 0, NULL, 0 }
};

struct bad_option_case {
	const char *args[5];		/* after argv[0] */
	const char *message;		/* the error line, after "cowdemo: error: " */
};

static const struct bad_option_case bad_options[] = {
	{ { "-x" }, "unrecognized option '-x'" },
	{ { "-qx" }, "unrecognized option '-x'" },
	{ { "-L" }, "option '-L' requires an argument" },
	{ { "-qL" }, "option '-L' requires an argument" },
	{ { "--bogus" }, "unrecognized option '--bogus'" },
	{ { "--bogus=1" }, "unrecognized option '--bogus=1'" },
	{ { "IMAGE", "--bogus" }, "unrecognized option '--bogus'" },
	{ { "--no" }, "unrecognized option '--no'" },	/* ambiguous */
	{ { "--threads" }, "option '--threads' requires an argument" },
	{ { "--label" }, "option '--label' requires an argument" },
	{ { "--no-data=yes" }, "option '--no-data' does not take an argument" },
	{ { "--help=x" }, "option '--help' does not take an argument" },
	{ { "--hel=x" }, "option '--hel' does not take an argument" },
	/* A bad short option bundled after a valid long one is still the short one. */
	{ { "--no-data", "-xq" }, "unrecognized option '-x'" },
	{ { "--no-data", "-qxq" }, "unrecognized option '-x'" },
	{ { "--no-data", "-qx" }, "unrecognized option '-x'" },
	{ { "--no-data", "-L" }, "option '-L' requires an argument" },
	{ { "--threads", "2", "-x" }, "unrecognized option '-x'" },
	{ { "--label=a", "--threads" }, "option '--threads' requires an argument" },
	{ { "-\x01" }, "bad option" },
	{ { "-\xe9" }, "bad option" },
	{ { "- " }, "bad option" },
};

/* Run getopt_long as a command does until it fails, then report it. */
static void run_bad_option(const char *const *usage_str, const char *const *args,
			   char **out, char **err)
{
	char *argv[8] = { "cowdemo" };
	struct capture c;
	int argc = 1, ch;

	for (; args[argc - 1]; argc++)
		argv[argc] = (char *)args[argc - 1];
	optind = 0;		/* glibc: reinitialise fully */
	opterr = 0;
	set_prog_name("/usr/sbin/cowdemo");
	capture_start(&c, 0);
	while ((ch = getopt_long(argc, argv, ":qhL:", demo_longopts, NULL)) != -1)
		if (ch == '?' || ch == ':')
			break;
	if (ch == '?' || ch == ':')
		usage_unknown_option(usage_str, ch, argv);
	capture_end(&c, out, err);
	ck_assert_msg(ch == '?' || ch == ':', "getopt_long accepted every option");
}

START_TEST(test_unknown_option_messages)
{
	const struct bad_option_case *t = &bad_options[_i];
	char *out, *err, want[256];

	run_bad_option(demo_usage, t->args, &out, &err);
	snprintf(want, sizeof(want),
		 "cowdemo: error: %s\ntry 'cowdemo frob --help' for more information\n",
		 t->message);
	ck_assert_str_eq(err, want);
	ck_assert_str_eq(out, "");
	free(out);
	free(err);
}
END_TEST

struct try_case {
	const char *synopsis;
	const char *command;		/* what "try '... --help'" names */
};

static const struct try_case try_cases[] = {
	{ "cowfsck check [options] IMAGE", "cowfsck check" },
	{ "cowdump super IMAGE", "cowdump super" },
	{ "cowmkfs [options] IMAGE", "cowmkfs" },
	{ "cow-dump2 ls PATH", "cow-dump2 ls" },
	{ "cowfsck", "cowfsck" },
	{ "cowfsck ", "cowfsck" },
	{ "cowfsck check[x]", "cowfsck" },
	{ "Usage of it", "cowdemo" },		/* no command words: the program name */
	{ "-x", "cowdemo" },
	{ "", "cowdemo" },
};

START_TEST(test_unknown_option_try_line)
{
	const char *usage_str[] = { try_cases[_i].synopsis, "summary", NULL };
	static const char *const args[] = { "-x", NULL };
	char *out, *err, want[256];

	run_bad_option(usage_str, args, &out, &err);
	snprintf(want, sizeof(want),
		 "cowdemo: error: unrecognized option '-x'\n"
		 "try '%s --help' for more information\n", try_cases[_i].command);
	ck_assert_str_eq(err, want);
	free(out);
	free(err);
}
END_TEST

START_TEST(test_unknown_option_no_usage)
{
	static const char *const args[] = { "--bogus", NULL };
	char *out, *err;

	run_bad_option(NULL, args, &out, &err);
	ck_assert_str_eq(err, "cowdemo: error: unrecognized option '--bogus'\n"
			 "try 'cowdemo --help' for more information\n");
	free(out);
	free(err);
}
END_TEST

/* ---- messages ---- */

/* First in the suite, so that it also holds when CK_FORK=no shares one process. */
START_TEST(test_prog_name_default)
{
	ck_assert_str_eq(prog_name(), "cowfs");
}
END_TEST

START_TEST(test_prog_name)
{
	set_prog_name("/usr/local/bin/cowfsck");
	ck_assert_str_eq(prog_name(), "cowfsck");
	set_prog_name("./cowmkfs");
	ck_assert_str_eq(prog_name(), "cowmkfs");
	set_prog_name("cowdump");
	ck_assert_str_eq(prog_name(), "cowdump");
	/* Nothing usable: keep the previous name. */
	set_prog_name("some/dir/");
	ck_assert_str_eq(prog_name(), "cowdump");
	set_prog_name("/");
	ck_assert_str_eq(prog_name(), "cowdump");
	set_prog_name("");
	ck_assert_str_eq(prog_name(), "cowdump");
	set_prog_name(NULL);
	ck_assert_str_eq(prog_name(), "cowdump");
}
END_TEST

START_TEST(test_error_warning_format)
{
	struct capture c;
	char *out, *err;

	set_prog_name("/sbin/cowfsck");
	capture_start(&c, 0);
	error("bad thread count '%s', expect %d to %d", "x", 1, 64);
	warning("image %s has %llu blocks", "a.img", 12ull);
	error("%s", "");
	error_errno(-ENOENT, "cannot open '%s'", "missing.img");
	error_errno(ENOSPC, "write at %d", 4096);
	error_errno(-COWFS_ECSUM, "block %u", 7u);
	error_errno(COWFS_EBADSUPER, "open");
	capture_end(&c, &out, &err);
	ck_assert_str_eq(out, "");
	ck_assert_str_eq(err,
		"cowfsck: error: bad thread count 'x', expect 1 to 64\n"
		"cowfsck: warning: image a.img has 12 blocks\n"
		"cowfsck: error: \n"
		"cowfsck: error: cannot open 'missing.img': No such file or directory\n"
		"cowfsck: error: write at 4096: No space left on device\n"
		"cowfsck: error: block 7: data checksum mismatch\n"
		"cowfsck: error: open: no valid superblock\n");
	free(out);
	free(err);
}
END_TEST

/* errno survives the call, and "%m" sees the caller's errno, not one set by printing. */
START_TEST(test_error_keeps_errno)
{
	struct capture c;
	char *out, *err;
	int e1, e2, e3;

	set_prog_name("cowmkfs");
	capture_start(&c, 0);
	errno = EIO;
	error("read: %m");
	e1 = errno;
	errno = EACCES;
	warning("open: %m");
	e2 = errno;
	errno = EROFS;
	error_errno(-ENOENT, "stat: %m");
	e3 = errno;
	capture_end(&c, &out, &err);
	ck_assert_int_eq(e1, EIO);
	ck_assert_int_eq(e2, EACCES);
	ck_assert_int_eq(e3, EROFS);
	ck_assert_str_eq(err,
		"cowmkfs: error: read: Input/output error\n"
		"cowmkfs: warning: open: Permission denied\n"
		"cowmkfs: error: stat: Read-only file system: No such file or directory\n");
	free(out);
	free(err);
}
END_TEST

/* A failed write (stderr on a full disk) must not leak its errno to the caller either. */
START_TEST(test_errno_after_failed_write)
{
	int full = open("/dev/full", O_WRONLY);
	int saved_out, saved_err, e1, e2, e3;

	if (full < 0)
		return;		/* no /dev/full here: nothing to show */
	fflush(stdout);
	fflush(stderr);
	saved_out = dup(STDOUT_FILENO);
	saved_err = dup(STDERR_FILENO);
	ck_assert_int_ge(dup2(full, STDOUT_FILENO), 0);
	ck_assert_int_ge(dup2(full, STDERR_FILENO), 0);
	setvbuf(stdout, NULL, _IONBF, 0);
	errno = EIO;
	error("lost %d", 1);
	e1 = errno;
	errno = EAGAIN;
	warning("lost %d", 2);
	e2 = errno;
	errno = EINTR;
	pr_verbose(PR_ALWAYS, "lost %d\n", 3);
	e3 = errno;
	dup2(saved_out, STDOUT_FILENO);
	dup2(saved_err, STDERR_FILENO);
	close(saved_out);
	close(saved_err);
	close(full);
	clearerr(stdout);
	clearerr(stderr);
	ck_assert_int_eq(e1, EIO);
	ck_assert_int_eq(e2, EAGAIN);
	ck_assert_int_eq(e3, EINTR);
}
END_TEST

START_TEST(test_error_long_message)
{
	static char big[20000], want[20100];
	struct capture c;
	char *out, *err;

	memset(big, 'a', sizeof(big) - 1);
	set_prog_name("cowdump");
	capture_start(&c, 0);
	error("%s", big);
	capture_end(&c, &out, &err);
	snprintf(want, sizeof(want), "cowdump: error: %s\n", big);
	ck_assert_str_eq(err, want);
	free(out);
	free(err);
}
END_TEST

/* Buffered normal output printed before a message must appear before it. */
START_TEST(test_error_flushes_stdout)
{
	struct capture c;
	char *all, *none;

	set_prog_name("cowfsck");
	capture_start(&c, 1);
	setvbuf(stdout, NULL, _IOFBF, BUFSIZ);
	printf("one\n");
	error("two");
	pr_verbose(PR_DEFAULT, "three\n");
	warning("four");
	capture_end(&c, &all, &none);
	ck_assert_str_eq(all, "one\ncowfsck: error: two\nthree\ncowfsck: warning: four\n");
	free(all);
}
END_TEST

START_TEST(test_pr_verbose_levels)
{
	struct capture c;
	char *out, *err;
	int saved = verbosity, e;

	capture_start(&c, 0);
	verbosity = PR_DEFAULT;
	pr_verbose(PR_DEFAULT, "default %d\n", 1);
	pr_verbose(PR_INFO, "info hidden\n");
	pr_verbose(PR_ALWAYS, "always\n");
	verbosity = PR_QUIET;
	pr_verbose(PR_DEFAULT, "default hidden\n");
	pr_verbose(PR_ALWAYS, "always quiet\n");
	verbosity = PR_DEBUG;
	errno = EBUSY;
	pr_verbose(PR_DEBUG, "debug %s\n", "shown");
	e = errno;
	capture_end(&c, &out, &err);
	verbosity = saved;
	ck_assert_int_eq(e, EBUSY);
	ck_assert_str_eq(out, "default 1\nalways\nalways quiet\ndebug shown\n");
	ck_assert_str_eq(err, "");
	free(out);
	free(err);
}
END_TEST

START_TEST(test_print_version)
{
	struct capture c;
	char *out, *err;

	set_prog_name("/usr/bin/cowreplay");
	capture_start(&c, 0);
	print_version();
	capture_end(&c, &out, &err);
	ck_assert_str_eq(out, "cowreplay (cowfs tools) " COWFS_VERSION "\n");
	ck_assert_str_eq(err, "");
	free(out);
	free(err);
}
END_TEST

/* ---- messages from several threads ---- */

#define MSG_THREADS	4
#define MSG_PER_THREAD	300

static void *shout(void *arg)
{
	int id = (int)(intptr_t)arg;
	char pad[200];

	memset(pad, 'a' + id, sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	for (int i = 0; i < MSG_PER_THREAD; i++) {
		if (i % 2)
			warning("thread %d message %d %s", id, i, pad);
		else
			error("thread %d message %d %s", id, i, pad);
	}
	return NULL;
}

/* Each line must be whole: one thread's text, never cut by another's. */
static int check_lines(const char *text, int *count)
{
	const char *p = text;

	*count = 0;
	while (*p) {
		const char *nl = strchr(p, '\n');
		int id, n, len;
		char kind[8];

		if (!nl || sscanf(p, "cowfsck: %7[a-z]: thread %d message %d %n", kind, &id, &n, &len) != 3)
			return -1;
		if (id < 0 || id >= MSG_THREADS || strcmp(kind, n % 2 ? "warning" : "error"))
			return -1;
		if (nl - (p + len) != 199 || strspn(p + len, (char[]){ (char)('a' + id), 0 }) != 199)
			return -1;
		(*count)++;
		p = nl + 1;
	}
	return 0;
}

START_TEST(test_messages_threads)
{
	pthread_t th[MSG_THREADS];
	struct capture c;
	char *out, *err;
	int lines;

	set_prog_name("cowfsck");
	capture_start(&c, 0);
	for (int i = 0; i < MSG_THREADS; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, shout, (void *)(intptr_t)i), 0);
	for (int i = 0; i < MSG_THREADS; i++)
		pthread_join(th[i], NULL);
	capture_end(&c, &out, &err);
	ck_assert_msg(check_lines(err, &lines) == 0, "a message was torn apart");
	ck_assert_int_eq(lines, MSG_THREADS * MSG_PER_THREAD);
	free(out);
	free(err);
}
END_TEST

/* ---- JSON ---- */

/* What json_string() writes for s. */
static char *json_of(const char *s)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	ck_assert_ptr_nonnull(f);
	json_string(f, s);
	ck_assert_int_eq(fclose(f), 0);
	return buf;
}

static const struct {
	const char *in, *out;
} json_cases[] = {
	{ "", "\"\"" },
	{ "/d/f 1~", "\"/d/f 1~\"" },
	{ "a\"b\\c", "\"a\\\"b\\\\c\"" },
	{ "\x01\t\n\x1f\x7f", "\"\\u0001\\u0009\\u000a\\u001f\\u007f\"" },
	/* UTF-8 passes through as it is */
	{ "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"" },
	{ "\xc2\x80\xf4\x8f\xbf\xbf", "\"\xc2\x80\xf4\x8f\xbf\xbf\"" },
	/* other bytes, one U+FFFD each */
	{ "x\xffy", "\"x\\ufffdy\"" },
	{ "\x80\xbf", "\"\\ufffd\\ufffd\"" },
	{ "\xc0\xaf", "\"\\ufffd\\ufffd\"" },
	{ "\xc3(", "\"\\ufffd(\"" },
	{ "\xe2\x82", "\"\\ufffd\\ufffd\"" },
	{ "\xf0\x9f\x98", "\"\\ufffd\\ufffd\\ufffd\"" },
	{ "\xe2\x82\xac\xe2", "\"\xe2\x82\xac\\ufffd\"" },
};

START_TEST(test_json_string_table)
{
	char *got = json_of(json_cases[_i].in);

	ck_assert_str_eq(got, json_cases[_i].out);
	free(got);
}
END_TEST

/* A sequence cut short by the NUL: nothing past the terminator is read (the
 * buffer ends there, so a sanitizer build sees any overread). */
START_TEST(test_json_string_stops_at_nul)
{
	static const char cut[][4] = { "\xf0", "\xf0\x9f", "\xf0\x9f\x98", "\xe2", "\xe2\x82", "\xc3" };

	for (size_t i = 0; i < sizeof(cut) / sizeof(cut[0]); i++) {
		size_t len = strlen(cut[i]);
		char *s = malloc(len + 1), *got;

		ck_assert_ptr_nonnull(s);
		memcpy(s, cut[i], len + 1);
		got = json_of(s);
		ck_assert_uint_eq(strlen(got), 2 + 6 * len);
		ck_assert_ptr_nonnull(strstr(got, "\\ufffd"));
		free(got);
		free(s);
	}
}
END_TEST

START_TEST(test_json_members)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	ck_assert_ptr_nonnull(f);
	fputs("{\"type\":\"t\"", f);
	json_field(f, "path", "/a\"b");
	json_field(f, "none", NULL);
	json_u64(f, "zero", 0);
	json_u64(f, "max", UINT64_MAX);
	fputc('}', f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_str_eq(buf, "{\"type\":\"t\",\"path\":\"/a\\\"b\",\"none\":\"\",\"zero\":0,"
			 "\"max\":18446744073709551615}");
	free(buf);
}
END_TEST

static Suite *cmd_suite(void)
{
	Suite *s = suite_create("cmd");
	TCase *tc;

	tc = tcase_create("messages");
	tcase_add_test(tc, test_prog_name_default);
	tcase_add_test(tc, test_prog_name);
	tcase_add_test(tc, test_error_warning_format);
	tcase_add_test(tc, test_error_keeps_errno);
	tcase_add_test(tc, test_errno_after_failed_write);
	tcase_add_test(tc, test_error_long_message);
	tcase_add_test(tc, test_error_flushes_stdout);
	tcase_add_test(tc, test_pr_verbose_levels);
	tcase_add_test(tc, test_print_version);
	tcase_add_test(tc, test_messages_threads);
	suite_add_tcase(s, tc);

	tc = tcase_create("parse_size");
	tcase_add_loop_test(tc, test_parse_size_table, 0,
			    (int)(sizeof(size_cases) / sizeof(size_cases[0])));
	tcase_add_test(tc, test_parse_size_null);
	tcase_add_test(tc, test_parse_size_roundtrip);
	suite_add_tcase(s, tc);

	tc = tcase_create("usage");
	tcase_add_test(tc, test_usage_stdout);
	tcase_add_test(tc, test_usage_stderr);
	tcase_add_test(tc, test_usage_keeps_order);
	tcase_add_test(tc, test_usage_degenerate);
	tcase_add_loop_test(tc, test_unknown_option_messages, 0,
			    (int)(sizeof(bad_options) / sizeof(bad_options[0])));
	tcase_add_loop_test(tc, test_unknown_option_try_line, 0,
			    (int)(sizeof(try_cases) / sizeof(try_cases[0])));
	tcase_add_test(tc, test_unknown_option_no_usage);
	suite_add_tcase(s, tc);

	tc = tcase_create("json");
	tcase_add_loop_test(tc, test_json_string_table, 0,
			    (int)(sizeof(json_cases) / sizeof(json_cases[0])));
	tcase_add_test(tc, test_json_string_stops_at_nul);
	tcase_add_test(tc, test_json_members);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return testlib_run(cmd_suite());
}
