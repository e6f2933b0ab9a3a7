/* cowreplay: replay a trace onto a cowfs image through the engine, then check it. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cowfs/disk.h"
#include "cowfs/engine.h"
#include "cowfs/error.h"
#include "cowfs/replay.h"
#include "cowfs/trace.h"
#include "messages.h"
#include "options.h"

/* Exit codes: the verdict, then what kept it from being given. */
enum { EXIT_CLEAN = 0, EXIT_FINDINGS = 1, EXIT_USAGE = 2, EXIT_OPERATIONAL = 3 };

static const char *const cowreplay_usage[] = {
	"cowreplay [options] TRACE IMAGE [-o OUT]",
	"replay a trace (cowtrace 1) onto a cowfs image through the engine, then check it",
	"IMAGE is changed in place; with -o it is copied to OUT first and left alone",
	"",
	OPTLINE("-o|--output OUT", "replay onto a copy of IMAGE written to OUT"),
	OPTLINE("-p|--profile NAME", "the engine's behaviour (default current), see --list-profiles"),
	OPTLINE("--seed N", "order in which runnable work runs (default 0: queue order)"),
	OPTLINE("--cache-pages N", "page cache budget, in 4 KiB pages"),
	OPTLINE("--expect-out FILE", "write the expected final state (cowexpect 1) to FILE"),
	OPTLINE("--strict", "a hook that never fires is an error, not a warning"),
	OPTLINE("--no-data-check", "skip the data checksum pass of the image checks"),
	OPTLINE("--json", "one JSON object per finding (and event) per line, then a summary"),
	OPTLINE("--stats", "print the replay's counters at the end"),
	OPTLINE("-v|--verbose", "print the engine's events and the hooks as they run"),
	OPTLINE("--list-points", "list the schedule points hooks can name, and exit"),
	OPTLINE("--list-profiles", "list the profiles, and exit"),
	OPTLINE("-h|--help", "print this help"),
	OPTLINE("-V|--version", "print the version"),
	"",
	"exit status: 0 clean, 1 findings, 2 usage or trace error (the image is untouched),",
	"3 operational error",
	NULL
};

struct args {
	const char *trace, *image, *out, *expect_out;
	struct cowfs_replay_opts opts;
	int json, stats;
};

/* ---- JSON ---- */

/* Names on disk are bytes: what is not UTF-8 becomes U+FFFD. */
static void json_string(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	putchar('"');
	while (*s) {
		int n = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;

		for (int i = 1; i < n; i++)
			if ((s[i] & 0xc0) != 0x80)
				n = 0;
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s++);
		else if (*s < 0x20 || *s == 0x7f)
			printf("\\u%04x", *s++);
		else if (*s < 0x80)
			putchar(*s++);
		else if (n) {
			fwrite(s, 1, (size_t)n, stdout);
			s += n;
		} else {
			fputs("\\ufffd", stdout);
			s++;
		}
	}
	putchar('"');
}

static void json_field(const char *name, const char *v)
{
	printf(",\"%s\":", name);
	json_string(v ? v : "");
}

static void json_u64(const char *name, uint64_t v)
{
	printf(",\"%s\":%" PRIu64, name, v);
}

/* ---- findings and events ---- */

static const char *const kind_names[] = {
	[COWFS_REPLAY_EXPECT] = "expect", [COWFS_REPLAY_PROBLEM] = "problem",
	[COWFS_REPLAY_ENGINE] = "engine", [COWFS_REPLAY_HOOK] = "hook",
	[COWFS_REPLAY_ERROR] = "error",
};

static const char *const when_names[] = {
	[COWFS_REPLAY_AT_OP] = "op", [COWFS_REPLAY_AT_READ] = "read",
	[COWFS_REPLAY_AT_CRASH] = "crash", [COWFS_REPLAY_AT_END] = "end",
};

static void json_expect(const struct cowfs_expect_finding *e)
{
	json_field("path", e->path);
	if (e->end > e->start) {
		json_u64("start", e->start);
		json_u64("end", e->end);
	}
	if (e->kind == COWFS_EXPECT_CONTENT) {
		fputs(",\"expected\":[", stdout);
		for (size_t i = 0; i < e->nr_expected; i++) {
			const struct cowfs_expect_cand *c = &e->expected[i];

			if (c->kind == COWFS_CAND_DATA)
				printf("%s%" PRIu64, i ? "," : "", c->line);
			else
				printf("%s\"%s\"", i ? "," : "", c->kind == COWFS_CAND_ZEROS ? "zeros" : "any");
		}
		fputs("]", stdout);
		json_field("found", e->found == COWFS_STAMP_LINE ? "line" :
			   e->found == COWFS_STAMP_ZEROS ? "zeros" :
			   e->found == COWFS_STAMP_MIXED ? "mixed" : "other");
		if (e->found == COWFS_STAMP_LINE || e->found == COWFS_STAMP_MIXED)
			json_u64("found_line", e->found_line);
	}
	if (e->kind == COWFS_EXPECT_SIZE)
		json_u64("size", e->size);
}

static void on_finding(void *arg, const struct cowfs_replay_finding *f)
{
	const struct args *a = arg;

	if (a->json) {
		printf("{\"type\":\"finding\"");
		json_field("kind", kind_names[f->kind]);
		json_field("when", when_names[f->when]);
		json_u64("line", f->line);
		json_field("severity", cowfs_severity_name(f->severity));
		if (f->kind == COWFS_REPLAY_PROBLEM)
			printf(",\"code\":\"0x%06" PRIx32 "\"", f->code);
		if (f->expect)
			json_expect(f->expect);
		json_field("message", f->message);
		puts("}");
		return;
	}
	if (f->when == COWFS_REPLAY_AT_OP)
		printf("line %" PRIu64 ": ", f->line);
	else if (f->when != COWFS_REPLAY_AT_END)
		printf("%s at line %" PRIu64 ": ", when_names[f->when], f->line);
	if (f->severity == COWFS_SEV_WARNING)
		fputs("warning: ", stdout);
	if (f->kind == COWFS_REPLAY_PROBLEM)
		printf("[0x%06" PRIx32 "] ", f->code);
	puts(f->message);
}

static void on_event(void *arg, uint64_t line, const char *text)
{
	const struct args *a = arg;

	if (a->json) {
		printf("{\"type\":\"event\"");
		json_u64("line", line);
		json_field("text", text);
		puts("}");
	} else {
		printf("  %" PRIu64 ": %s\n", line, text);
	}
}

static void print_stats(const struct args *a, const struct cowfs_replay_stats *s)
{
	const struct cowfs_engine_stats *e = &s->engine;
	const struct { const char *name; uint64_t v; } rows[] = {
		{ "operations", s->ops }, { "hooks", s->hooks }, { "hooks_fired", s->hooks_fired },
		{ "crashes", s->crashes }, { "reads", s->reads },
		{ "pages_dirtied", e->pages_dirtied }, { "pages_dirtied_oob", e->pages_dirtied_oob },
		{ "pages_written", e->pages_written }, { "pages_read", e->pages_read },
		{ "ordered_extents", e->ordered_extents }, { "fixups_queued", e->fixups_queued },
		{ "fixups_run", e->fixups_run }, { "pages_reclaimed", e->pages_reclaimed },
		{ "write_retries", e->write_retries }, { "commits", e->commits },
		{ "work_run", e->work_run }, { "cache_peak", e->cache_peak },
		{ "oracle_names", s->oracle_names }, { "oracle_extents", s->oracle_extents },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (a->json)
			json_u64(rows[i].name, rows[i].v);
		else
			printf("%-18s %" PRIu64 "\n", rows[i].name, rows[i].v);
	}
}

static int verdict(const struct args *a, const struct cowfs_replay_stats *s)
{
	const char *image = a->out ? a->out : a->image;
	int status = s->errors ? EXIT_FINDINGS : EXIT_CLEAN;

	if (a->json) {
		printf("{\"type\":\"summary\"");
		json_field("image", image);
		json_u64("errors", s->errors);
		json_u64("warnings", s->warnings);
		json_u64("last_line", s->last_line);
		printf(",\"stopped\":%s", s->stopped ? "true" : "false");
		if (a->stats)
			print_stats(a, s);
		printf(",\"exit\":%d}\n", status);
		return status;
	}
	if (a->stats)
		print_stats(a, s);
	if (s->errors || s->warnings)
		printf("%s: %" PRIu64 " error%s, %" PRIu64 " warning%s", image, s->errors,
		       s->errors == 1 ? "" : "s", s->warnings, s->warnings == 1 ? "" : "s");
	else
		printf("%s: clean", image);
	printf(" (%" PRIu64 " operations, %" PRIu64 " crash%s)%s\n", s->ops, s->crashes,
	       s->crashes == 1 ? "" : "es", s->stopped ? ", stopped early" : "");
	return status;
}

/* ---- lists ---- */

static void list_points(void)
{
	for (int p = 0; p < COWFS_PT_NR; p++)
		printf("%-24s %s\n", cowfs_point_name((enum cowfs_point)p),
		       cowfs_point_help((enum cowfs_point)p));
}

static void list_profiles(void)
{
	for (int i = 0; i < cowfs_profile_count(); i++) {
		const struct cowfs_profile *p = cowfs_profile_at(i);

		printf("%-12s %s\n", p->name, p->kernel);
		printf("    out-of-band dirty page: %s (%s)\n", cowfs_oob_mode_name(p->oob),
		       cowfs_oob_mode_commit(p->oob));
		printf("    buffered write cleans pages: %s (%s)\n",
		       p->write_cleans_pages ? "yes" : "no",
		       cowfs_write_cleans_commit(p->write_cleans_pages));
	}
}

/* ---- -o: a copy of the image, holes kept ---- */

static int copy_range(int in, int out, off_t from, off_t to, char *buf, size_t size)
{
	while (from < to) {
		size_t n = (size_t)(to - from) < size ? (size_t)(to - from) : size;
		ssize_t got = pread(in, buf, n, from);

		if (got <= 0)
			return got < 0 ? -errno : -EIO;
		for (ssize_t done = 0; done < got;) {
			ssize_t w = pwrite(out, buf + done, (size_t)(got - done), from + done);

			if (w < 0)
				return -errno;
			done += w;
		}
		from += got;
	}
	return 0;
}

static int copy_fds(int in, int out, off_t end)
{
	size_t size = 1u << 20;
	char *buf = malloc(size);
	off_t pos = 0;
	int ret = buf ? 0 : -ENOMEM;

	while (ret == 0 && pos < end) {
		off_t data = lseek(in, pos, SEEK_DATA), hole;

		if (data < 0 && errno == ENXIO)
			break;			/* only a hole is left */
		if (data < 0)
			data = pos;		/* no SEEK_DATA here: copy everything */
		hole = lseek(in, data, SEEK_HOLE);
		if (hole < 0 || hole > end)
			hole = end;
		ret = copy_range(in, out, data, hole, buf, size);
		pos = hole;
	}
	free(buf);
	if (ret == 0 && ftruncate(out, end) < 0 && errno != EINVAL)
		ret = -errno;
	return ret;
}

/* 0, EXIT_USAGE for a bad OUT, or EXIT_OPERATIONAL. */
static int copy_image(const char *image, const char *out)
{
	struct stat si, so;
	char *src;
	int in, fd, ret = cowfs_resolve_spec(image, &src);

	if (ret < 0) {
		error_errno(ret, "cannot resolve %s", image);
		return EXIT_OPERATIONAL;
	}
	in = open(src, O_RDONLY | O_CLOEXEC);
	free(src);
	if (in < 0 || fstat(in, &si) < 0) {
		error_errno(errno, "cannot open %s", image);
		return EXIT_OPERATIONAL;
	}
	if (stat(out, &so) == 0 && so.st_dev == si.st_dev && so.st_ino == si.st_ino) {
		error("%s and %s are the same file: -o must name a copy", image, out);
		close(in);
		return EXIT_USAGE;
	}
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		error_errno(errno, "cannot create %s", out);
		close(in);
		return EXIT_OPERATIONAL;
	}
	ret = copy_fds(in, fd, S_ISREG(si.st_mode) ? si.st_size : lseek(in, 0, SEEK_END));
	if (ret == 0 && fsync(fd) < 0)
		ret = -errno;
	close(in);
	if (close(fd) < 0 && ret == 0)
		ret = -errno;
	if (ret < 0) {
		error_errno(ret, "cannot copy %s to %s", image, out);
		return EXIT_OPERATIONAL;
	}
	return 0;
}

/* ---- options ---- */

enum {
	OPT_SEED = GETOPT_VAL_FIRST, OPT_CACHE_PAGES, OPT_EXPECT_OUT, OPT_STRICT, OPT_NO_DATA,
	OPT_JSON, OPT_STATS, OPT_LIST_POINTS, OPT_LIST_PROFILES,
};

static const struct option longopts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "profile", required_argument, NULL, 'p' },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "cache-pages", required_argument, NULL, OPT_CACHE_PAGES },
	{ "expect-out", required_argument, NULL, OPT_EXPECT_OUT },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "no-data-check", no_argument, NULL, OPT_NO_DATA },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "verbose", no_argument, NULL, 'v' },
	{ "list-points", no_argument, NULL, OPT_LIST_POINTS },
	{ "list-profiles", no_argument, NULL, OPT_LIST_PROFILES },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

static int number(const char *opt, const char *s, uint64_t *v)
{
	if (parse_size(s, v) == 0)
		return 0;
	error("bad number '%s' for %s", s, opt);
	return -1;
}

/* -1 to go on; otherwise the exit status. */
static int option(struct args *a, int c, char **argv)
{
	switch (c) {
	case 'o':
		a->out = optarg;
		return -1;
	case 'p':
		if (!(a->opts.profile = cowfs_profile_find(optarg))) {
			error("unknown profile '%s', see --list-profiles", optarg);
			return EXIT_USAGE;
		}
		return -1;
	case OPT_SEED:
		return number("--seed", optarg, &a->opts.seed) ? EXIT_USAGE : -1;
	case OPT_CACHE_PAGES:
		if (number("--cache-pages", optarg, &a->opts.cache_pages))
			return EXIT_USAGE;
		if (!a->opts.cache_pages) {
			error("--cache-pages must be at least 1");
			return EXIT_USAGE;
		}
		return -1;
	case OPT_EXPECT_OUT:
		a->expect_out = optarg;
		return -1;
	case OPT_STRICT:
		a->opts.strict = true;
		return -1;
	case OPT_NO_DATA:
		a->opts.no_data_check = true;
		return -1;
	case OPT_JSON:
		a->json = 1;
		return -1;
	case OPT_STATS:
		a->stats = 1;
		return -1;
	case 'v':
		a->opts.verbose = true;
		return -1;
	case OPT_LIST_POINTS:
		list_points();
		return EXIT_CLEAN;
	case OPT_LIST_PROFILES:
		list_profiles();
		return EXIT_CLEAN;
	case 'h':
		usage(cowreplay_usage, 0);
		return EXIT_CLEAN;
	case 'V':
		print_version();
		return EXIT_CLEAN;
	default:
		usage_unknown_option(cowreplay_usage, c, argv);
		return EXIT_USAGE;
	}
}

static int parse_args(int argc, char **argv, struct args *a)
{
	int c, ret;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:p:vhV", longopts, NULL)) != -1)
		if ((ret = option(a, c, argv)) >= 0)
			return ret;
	if (argc - optind != 2) {
		error("expected TRACE and IMAGE, got %d operand%s", argc - optind,
		      argc - optind == 1 ? "" : "s");
		usage(cowreplay_usage, 1);
		return EXIT_USAGE;
	}
	a->trace = argv[optind];
	a->image = argv[optind + 1];
	return -1;
}

/* ---- the replay ---- */

static int trace_failed(int ret, const struct cowfs_trace_error *err)
{
	char msg[8192];

	if (ret != -COWFS_ETRACE && ret != -COWFS_EREPLAY)
		return 0;
	cowfs_trace_format_error(err, msg, sizeof(msg));
	error("%s", msg);
	return 1;
}

static int run(struct args *a)
{
	struct cowfs_replay_ops ops = { .arg = a, .finding = on_finding };
	struct cowfs_trace_error err;
	struct cowfs_replay_stats stats;
	FILE *expect = NULL;
	int ret;

	if (a->opts.verbose)
		ops.event = on_event;
	/* A bad trace must leave no OUT behind, and IMAGE is never touched. */
	err.msg[0] = '\0';
	ret = cowfs_trace_validate(a->trace, &err);
	if (trace_failed(ret, &err))
		return EXIT_USAGE;
	if (ret < 0) {
		error_errno(ret, "cannot read %s", a->trace);
		return ret == -ENOMEM || ret == -EIO ? EXIT_OPERATIONAL : EXIT_USAGE;
	}
	if (a->out && (ret = copy_image(a->image, a->out)) != 0)
		return ret;
	if (a->expect_out && !(expect = fopen(a->expect_out, "w"))) {
		error_errno(errno, "cannot create %s", a->expect_out);
		return EXIT_OPERATIONAL;
	}
	a->opts.expect_out = expect;
	ret = cowfs_replay(a->trace, a->out ? a->out : a->image, &a->opts, &ops, &stats, &err);
	fflush(stdout);
	if (expect && fclose(expect) && ret == 0)
		ret = -EIO;
	/* No half-written expectation: a stopped replay has no final state. */
	if (expect && (ret < 0 || stats.stopped))
		unlink(a->expect_out);
	if (trace_failed(ret, &err))
		return EXIT_USAGE;
	if (ret < 0) {
		error_errno(ret, "replay of %s onto %s failed", a->trace, a->out ? a->out : a->image);
		return EXIT_OPERATIONAL;
	}
	return verdict(a, &stats);
}

int main(int argc, char **argv)
{
	struct args a = { .trace = NULL };
	int ret;

	set_prog_name(argv[0]);
	if ((ret = parse_args(argc, argv, &a)) >= 0)
		return ret;
	return run(&a);
}
