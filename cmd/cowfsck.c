/* cowfsck: check a cowfs image offline, or compare two images. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cowfs/check.h"
#include "cowfs/disk.h"
#include "cowfs/error.h"
#include "cowfs/expect.h"
#include "cowfs/trace.h"
#include "json.h"
#include "messages.h"
#include "options.h"

/* compare's own exit codes, as cmp(1) and diff(1). */
enum { COMPARE_EQUAL = 0, COMPARE_DIFFERENT = 1 };

struct fsck_cmd {
	const char *name;
	int (*fn)(const struct fsck_cmd *cmd, int argc, char **argv);
	const char *const *usage;
};

/* ---- check ---- */

static const char *const cmd_check_usage[] = {
	"cowfsck check [options] IMAGE",
	"check a cowfs image: superblocks, tree blocks, extents and references,",
	"names and inodes, data checksums, and with --expect the files against an",
	"expected state (cowreplay --expect-out); read-only",
	"IMAGE may be a path, a .img.zst, UUID=... or LABEL=...",
	"",
	OPTLINE("-n|--readonly", "do not change the image (the default; repair is not supported)"),
	OPTLINE("--no-data", "skip pass 4, the data checksums"),
	OPTLINE("--json", "one JSON object per finding per line, then a summary object"),
	OPTLINE("-v|--verbose", "also list every tree block and file extent"),
	OPTLINE("--threads N", "hash data with N threads (default 2)"),
	OPTLINE("--expect FILE", "pass 5: check the files against FILE (cowexpect 1)"),
	OPTLINE("-h|--help", "print this help"),
	OPTLINE("-V|--version", "print the version"),
	"",
	"exit status (fsck(8)): 0 clean, 4 errors left uncorrected, 8 operational error,",
	"16 usage error",
	NULL
};

struct check_out {
	int json;
	int verbose;
};

static void on_pass(void *arg, int pass, const char *title)
{
	struct check_out *o = arg;

	if (!o->json)
		printf("Pass %d: %s\n", pass, title);
}

static void json_problem_fields(const struct cowfs_problem_ctx *x)
{
	unsigned f = x->fields;

	if (f & COWFS_PF_COPY)
		json_field(stdout, "copy", x->copy ? "backup" : "primary");
	if (f & COWFS_PF_TREE)
		json_u64(stdout, "tree", x->tree);
	if (f & COWFS_PF_BYTENR)
		json_u64(stdout, "bytenr", x->bytenr);
	if (f & COWFS_PF_PARENT)
		json_u64(stdout, "parent", x->parent);
	if (f & COWFS_PF_SLOT)
		printf(",\"slot\":%d", x->slot);
	if (f & COWFS_PF_KEY)
		printf(",\"key\":[%" PRIu64 ",%u,%" PRIu64 "]", x->key_objectid, x->key_type,
		       x->key_offset);
	if (f & COWFS_PF_INO)
		json_u64(stdout, "ino", x->ino);
	if (f & COWFS_PF_DIR)
		json_u64(stdout, "dir", x->dir);
	if ((f & COWFS_PF_PATH) && x->path)
		json_field(stdout, "path", x->path);
	if (f & COWFS_PF_FILE_OFF)
		json_u64(stdout, "file_offset", x->file_off);
	if (f & COWFS_PF_HAVE)
		json_u64(stdout, "have", x->have);
	if (f & COWFS_PF_EXPECT)
		json_u64(stdout, "expect", x->expect);
	if (f & COWFS_PF_NUM)
		json_u64(stdout, "length", x->num);
	if (f & COWFS_PF_STR)
		json_field(stdout, "detail", x->str);
}

static void on_problem(void *arg, uint32_t code, enum cowfs_severity sev, const char *msg,
		       const struct cowfs_problem_ctx *ctx)
{
	struct check_out *o = arg;

	if (!o->json) {
		if (sev == COWFS_SEV_ERROR)
			printf("[0x%06" PRIx32 "] %s\n", code, msg);
		else
			printf("[0x%06" PRIx32 "] %s: %s\n", code, cowfs_severity_name(sev), msg);
		return;
	}
	printf("{\"type\":\"problem\",\"code\":\"0x%06" PRIx32 "\",\"pass\":%u", code,
	       (unsigned)(code >> 16));
	json_field(stdout, "severity", cowfs_severity_name(sev));
	json_field(stdout, "message", msg);
	json_problem_fields(ctx);
	puts("}");
}

static void on_block(void *arg, uint64_t tree, uint64_t bytenr, int level, uint64_t parent)
{
	struct check_out *o = arg;

	if (o->json)
		printf("{\"type\":\"block\",\"tree\":%" PRIu64 ",\"bytenr\":%" PRIu64
		       ",\"level\":%d,\"parent\":%" PRIu64 "}\n", tree, bytenr, level, parent);
	else
		printf("  tree %" PRIu64 " block %" PRIu64 " level %d parent %" PRIu64 "\n",
		       tree, bytenr, level, parent);
}

static void on_extent(void *arg, const char *path, uint64_t file_off, uint64_t len,
		      uint64_t disk_bytenr, uint64_t disk_num_bytes, uint64_t offset,
		      int compression)
{
	struct check_out *o = arg;

	if (o->json) {
		printf("{\"type\":\"extent\"");
		json_field(stdout, "path", path);
		printf(",\"file_offset\":%" PRIu64 ",\"length\":%" PRIu64 ",\"disk_bytenr\":%"
		       PRIu64 ",\"disk_num_bytes\":%" PRIu64 ",\"extent_offset\":%" PRIu64
		       ",\"compression\":%d}\n", file_off, len, disk_bytenr, disk_num_bytes,
		       offset, compression);
		return;
	}
	printf("  extent %s offset %" PRIu64 " length %" PRIu64 " disk %" PRIu64 "+%" PRIu64
	       " extent-offset %" PRIu64 "%s\n", path, file_off, len, disk_bytenr,
	       disk_num_bytes, offset, compression ? " zstd" : "");
}

static void print_summary(const struct check_out *o, const char *image,
			  const struct cowfs_check_summary *s, int status)
{
	if (o->json) {
		printf("{\"type\":\"summary\"");
		json_field(stdout, "image", image);
		json_u64(stdout, "errors", s->errors);
		json_u64(stdout, "warnings", s->warnings);
		json_u64(stdout, "infos", s->infos);
		printf(",\"super_copy\":%d", s->super_copy);
		json_u64(stdout, "generation", s->generation);
		json_u64(stdout, "tree_blocks", s->tree_blocks);
		json_u64(stdout, "inodes", s->inodes);
		json_u64(stdout, "directories", s->directories);
		json_u64(stdout, "files", s->files);
		json_u64(stdout, "data_extents", s->data_extents);
		json_u64(stdout, "data_blocks_checked", s->data_blocks_checked);
		printf(",\"exit\":%d}\n", status);
		return;
	}
	if (s->errors)
		printf("%s: %" PRIu64 " error%s, ", image, s->errors, s->errors == 1 ? "" : "s");
	else
		printf("%s: clean, ", image);
	printf("%" PRIu64 " warning%s, %" PRIu64 " info; generation %" PRIu64 ", %" PRIu64
	       " inodes (%" PRIu64 " directories, %" PRIu64 " files), %" PRIu64
	       " tree blocks, %" PRIu64 " data extents, %" PRIu64 " data blocks checked\n",
	       s->warnings, s->warnings == 1 ? "" : "s", s->infos, s->generation, s->inodes,
	       s->directories, s->files, s->tree_blocks, s->data_extents,
	       s->data_blocks_checked);
}

static int run_check(const char *spec, const struct cowfs_check_opts *opts,
		     struct check_out *o)
{
	struct cowfs_check_ops ops = { .arg = o, .problem = on_problem, .pass = on_pass };
	struct cowfs_check_summary sum;
	char *path;
	int ret, status;

	if (o->verbose) {
		ops.block = on_block;
		ops.extent = on_extent;
	}
	ret = cowfs_resolve_spec(spec, &path);
	if (ret < 0) {
		error_errno(ret, "cannot resolve %s", spec);
		return FSCK_ERROR;
	}
	ret = cowfs_check(path, opts, &ops, &sum);
	free(path);
	fflush(stdout);
	if (ret < 0) {
		error_errno(ret, "cannot check %s", spec);
		return FSCK_ERROR;
	}
	status = sum.errors ? FSCK_UNCORRECTED : FSCK_OK;
	print_summary(o, spec, &sum, status);
	return status;
}

/* Read the expected state first: a malformed one is an operational error
 * before anything of the image is read. */
static int run_check_expect(const char *spec, const char *file, struct cowfs_check_opts *opts,
			    struct check_out *o)
{
	struct cowfs_trace_error err = { .line = 0 };
	cowfs_expect *e = NULL;
	char msg[sizeof(err.file) + sizeof(err.msg) + 64];
	int ret;

	if (!file)
		return run_check(spec, opts, o);
	ret = cowfs_expect_read(file, &e, &err);
	if (ret == -COWFS_ETRACE) {
		cowfs_trace_format_error(&err, msg, sizeof(msg));
		error("%s", msg);
		return FSCK_ERROR;
	}
	if (ret < 0) {
		error_errno(ret, "cannot read %s", file);
		return FSCK_ERROR;
	}
	opts->expect = e;
	ret = run_check(spec, opts, o);
	cowfs_expect_free(e);
	return ret;
}

enum { OPT_NO_DATA = GETOPT_VAL_FIRST, OPT_JSON, OPT_EXPECT, OPT_REPAIR, OPT_THREADS };

static const struct option check_longopts[] = {
	{ "readonly", no_argument, NULL, 'n' },
	{ "no-data", no_argument, NULL, OPT_NO_DATA },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "verbose", no_argument, NULL, 'v' },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "expect", required_argument, NULL, OPT_EXPECT },
	{ "repair", no_argument, NULL, OPT_REPAIR },
	{ "yes", no_argument, NULL, 'y' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

static int cmd_check(const struct fsck_cmd *cmd, int argc, char **argv)
{
	struct cowfs_check_opts opts = { 0 };
	struct check_out out = { 0 };
	const char *expect = NULL;
	uint64_t threads;
	int c;

	while ((c = getopt_long(argc, argv, ":nvyhV", check_longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			break;
		case 'v':
			out.verbose = 1;
			break;
		case OPT_NO_DATA:
			opts.flags |= COWFS_CHECK_NO_DATA;
			break;
		case OPT_JSON:
			out.json = 1;
			break;
		case OPT_THREADS:
			if (parse_size(optarg, &threads) < 0 || threads < 1 || threads > 64) {
				error("bad thread count '%s', expect 1 to 64", optarg);
				return FSCK_USAGE;
			}
			opts.threads = (int)threads;
			break;
		case OPT_EXPECT:
			expect = optarg;
			break;
		case OPT_REPAIR:
		case 'y':
			error("repair is not supported: cowfsck only checks");
			return FSCK_USAGE;
		case 'h':
			usage(cmd->usage, 0);
			return FSCK_OK;
		case 'V':
			print_version();
			return FSCK_OK;
		default:
			usage_unknown_option(cmd->usage, c, argv);
			return FSCK_USAGE;
		}
	}
	if (argc - optind != 1) {
		error("check: expected one IMAGE, got %d operands", argc - optind);
		usage(cmd->usage, 1);
		return FSCK_USAGE;
	}
	return run_check_expect(argv[optind], expect, &opts, &out);
}

/* ---- compare ---- */

static const char *const cmd_compare_usage[] = {
	"cowfsck compare [options] A B",
	"compare two cowfs images logically: names, types, sizes, contents",
	"",
	OPTLINE("--layout", "also compare the file extent maps"),
	OPTLINE("--json", "one JSON object per difference per line, then a summary object"),
	OPTLINE("-h|--help", "print this help"),
	OPTLINE("-V|--version", "print the version"),
	"",
	"exit status: 0 equal, 1 different, 8 operational error, 16 usage error",
	NULL
};

static const char *const diff_kinds[] = {
	[COWFS_DIFF_ONLY_A] = "only-a",
	[COWFS_DIFF_ONLY_B] = "only-b",
	[COWFS_DIFF_TYPE] = "type",
	[COWFS_DIFF_SIZE] = "size",
	[COWFS_DIFF_CONTENT] = "content",
	[COWFS_DIFF_LAYOUT] = "layout",
	[COWFS_DIFF_UNREADABLE] = "unreadable",
};

static void on_difference(void *arg, const struct cowfs_difference *d)
{
	int json = *(int *)arg;
	const char *kind = (unsigned)d->kind < sizeof(diff_kinds) / sizeof(diff_kinds[0]) ?
			   diff_kinds[d->kind] : "unknown";

	if (!json) {
		puts(d->message);
		return;
	}
	printf("{\"type\":\"difference\"");
	json_field(stdout, "kind", kind);
	json_field(stdout, "path", d->path);
	switch (d->kind) {
	case COWFS_DIFF_CONTENT:
	case COWFS_DIFF_LAYOUT:
	case COWFS_DIFF_UNREADABLE:
		json_u64(stdout, "start", d->start);
		json_u64(stdout, "end", d->end);
		break;
	case COWFS_DIFF_TYPE:
	case COWFS_DIFF_SIZE:
		json_u64(stdout, "a", d->a);
		json_u64(stdout, "b", d->b);
		break;
	default:
		break;
	}
	json_field(stdout, "message", d->message);
	puts("}");
}

static int cmd_compare(const struct fsck_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "layout", no_argument, NULL, 'l' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	unsigned flags = 0;
	int json = 0, c, n;

	while ((c = getopt_long(argc, argv, ":hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			flags |= COWFS_COMPARE_LAYOUT;
			break;
		case OPT_JSON:
			json = 1;
			break;
		case 'h':
			usage(cmd->usage, 0);
			return FSCK_OK;
		case 'V':
			print_version();
			return FSCK_OK;
		default:
			usage_unknown_option(cmd->usage, c, argv);
			return FSCK_USAGE;
		}
	}
	if (argc - optind != 2) {
		error("compare: expected two images, got %d operands", argc - optind);
		usage(cmd->usage, 1);
		return FSCK_USAGE;
	}
	n = cowfs_compare(argv[optind], argv[optind + 1], flags, on_difference, &json);
	fflush(stdout);
	if (n < 0) {
		error_errno(n, "cannot compare %s and %s", argv[optind], argv[optind + 1]);
		return FSCK_ERROR;
	}
	if (json)
		printf("{\"type\":\"summary\",\"differences\":%d,\"exit\":%d}\n", n,
		       n ? COMPARE_DIFFERENT : COMPARE_EQUAL);
	else if (n)
		printf("%d difference%s\n", n, n == 1 ? "" : "s");
	return n ? COMPARE_DIFFERENT : COMPARE_EQUAL;
}

/* ---- problems ---- */

static const char *const cmd_problems_usage[] = {
	"cowfsck problems [--json]",
	"list every problem cowfsck check can report: code, severity, message template",
	"",
	OPTLINE("--json", "one JSON object per problem per line"),
	OPTLINE("-h|--help", "print this help"),
	NULL
};

static int cmd_problems(const struct fsck_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int json = 0, c;

	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (c == OPT_JSON) {
			json = 1;
		} else if (c == 'h') {
			usage(cmd->usage, 0);
			return FSCK_OK;
		} else {
			usage_unknown_option(cmd->usage, c, argv);
			return FSCK_USAGE;
		}
	}
	if (argc != optind) {
		error("problems: expected no operands, got %d", argc - optind);
		return FSCK_USAGE;
	}
	for (uint32_t code = cowfs_problem_next(0); code; code = cowfs_problem_next(code)) {
		const char *sev = cowfs_severity_name(cowfs_problem_severity(code));

		if (!json) {
			printf("0x%06" PRIx32 "  %-7s  %s\n", code, sev,
			       cowfs_problem_template(code));
			continue;
		}
		printf("{\"code\":\"0x%06" PRIx32 "\",\"pass\":%u", code, (unsigned)(code >> 16));
		json_field(stdout, "severity", sev);
		json_field(stdout, "template", cowfs_problem_template(code));
		puts("}");
	}
	return FSCK_OK;
}

/* ---- main ---- */

/* Keep subcommands alphabetically sorted. */
static const struct fsck_cmd commands[] = {
	{ "check", cmd_check, cmd_check_usage },
	{ "compare", cmd_compare, cmd_compare_usage },
	{ "problems", cmd_problems, cmd_problems_usage },
};

static const char *const cowfsck_usage[] = {
	"cowfsck SUBCOMMAND [options] ...",
	"check cowfs images offline, or compare two of them",
	"",
	"cowfsck check [-n] [--no-data] [--json] [-v] [--expect FILE] IMAGE",
	"cowfsck compare [--json] [--layout] A B",
	"cowfsck problems [--json]",
	"",
	OPTLINE("-h|--help", "print this help (or a subcommand's, after it)"),
	OPTLINE("-V|--version", "print the version"),
	"",
	"exit status (fsck(8)): 0 clean, 4 errors left uncorrected, 8 operational error,",
	"16 usage error; compare: 0 equal, 1 different",
	NULL
};

int main(int argc, char **argv)
{
	set_prog_name(argv[0]);
	opterr = 0;
	if (argc < 2) {
		usage(cowfsck_usage, 1);
		return FSCK_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(cowfsck_usage, 0);
		return FSCK_OK;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		print_version();
		return FSCK_OK;
	}
	if (!strcmp(argv[1], "--repair") || !strcmp(argv[1], "-y")) {
		error("repair is not supported: cowfsck only checks");
		return FSCK_USAGE;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(&commands[i], argc - 1, argv + 1);
	error("unknown subcommand '%s'", argv[1]);
	fprintf(stderr, "try 'cowfsck --help' for more information\n");
	return FSCK_USAGE;
}
