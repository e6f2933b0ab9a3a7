/* cowreplay: replay a trace onto a cowfs image through the engine, then check it. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cowfs/disk.h"
#include "cowfs/engine.h"
#include "cowfs/error.h"
#include "cowfs/replay.h"
#include "cowfs/trace.h"
#include "cowreplay-print.h"
#include "json.h"
#include "messages.h"
#include "options.h"

/* Exit codes: the verdict, then what kept it from being given. */
enum { EXIT_CLEAN = 0, EXIT_FINDINGS = 1, EXIT_USAGE = 2, EXIT_OPERATIONAL = 3 };

static const char *const cowreplay_usage[] = {
	"cowreplay [options] TRACE IMAGE [-o OUT]",
	"replay a trace (cowtrace 1) onto a cowfs image through the engine, then check it",
	"IMAGE is changed in place; with -o it is copied to OUT first and left alone",
	"",
	"cowreplay --matrix [options] TRACE IMAGE",
	"replay it under every profile, each on its own copy of IMAGE: one line per profile",
	"",
	OPTLINE("-o|--output OUT", "replay onto a copy of IMAGE written to OUT"),
	OPTLINE("-p|--profile NAME", "the engine's behaviour (default current): a profile or a "
		"release (linux-3.3), see --list-profiles"),
	OPTLINE("--set SWITCH=VALUE", "override one switch of the profile (every profile with "
		"--matrix); repeatable"),
	OPTLINE("-m|--matrix", "replay under every profile (not with -p, -o, --expect-out, "
		"--stats, -v)"),
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
	"exit status: 0 clean, 1 findings (under any profile with --matrix), 2 usage or trace",
	"error (the image is untouched),",
	"3 operational error",
	NULL
};

#define MAX_SETS 16

struct args {
	const char *trace, *image, *out, *expect_out;
	const char *sets[MAX_SETS];	/* --set SWITCH=VALUE, checked */
	size_t nr_sets;
	struct cowfs_profile profile;	/* --profile with the sets applied */
	struct cowfs_replay_opts opts;
	int stats, matrix;
	struct replay_print pr;		/* pr.json: --json */
};

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
		if (a->pr.json)
			json_u64(stdout, rows[i].name, rows[i].v);
		else
			printf("%-18s %" PRIu64 "\n", rows[i].name, rows[i].v);
	}
}

static int verdict(const struct args *a, const struct cowfs_replay_stats *s)
{
	const char *image = a->out ? a->out : a->image;
	int status = s->errors ? EXIT_FINDINGS : EXIT_CLEAN;

	if (a->pr.json) {
		printf("{\"type\":\"summary\"");
		json_field(stdout, "image", image);
		json_u64(stdout, "errors", s->errors);
		json_u64(stdout, "warnings", s->warnings);
		json_u64(stdout, "last_line", s->last_line);
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
	char releases[128];

	for (int i = 0; i < cowfs_profile_count(); i++) {
		const struct cowfs_profile *p = cowfs_profile_at(i);

		printf("%-24s %s\n", p->name, p->kernel);
		if (*cowfs_replay_profile_releases(p, releases, sizeof(releases)))
			printf("    aliases: %s\n", releases);
		for (int k = 0; k < cowfs_replay_switch_count(); k++)
			printf("    %s=%s: %s\n", cowfs_replay_switch_at(k)->name,
			       cowfs_replay_switch_value(p, k), cowfs_replay_switch_commit(p, k));
	}
	puts("switches (--set SWITCH=VALUE):");
	for (int k = 0; k < cowfs_replay_switch_count(); k++) {
		const struct cowfs_replay_switch *sw = cowfs_replay_switch_at(k);

		printf("    %s", sw->name);
		if (sw->alias)
			printf(" (or %s)", sw->alias);
		printf(": %s; ", sw->title);
		for (int v = 0; sw->values[v]; v++)
			printf("%s%s", v ? ", " : "", sw->values[v]);
		putchar('\n');
	}
}

/* ---- options ---- */

enum {
	OPT_SEED = GETOPT_VAL_FIRST, OPT_CACHE_PAGES, OPT_EXPECT_OUT, OPT_STRICT, OPT_NO_DATA,
	OPT_JSON, OPT_STATS, OPT_LIST_POINTS, OPT_LIST_PROFILES, OPT_SET,
};

static const struct option longopts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "profile", required_argument, NULL, 'p' },
	{ "set", required_argument, NULL, OPT_SET },
	{ "matrix", no_argument, NULL, 'm' },
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

/* "none, fixup-noreserve, ..." or "oob (or out-of-band), write-cleans-pages, ...". */
static const char *valid_list(int sw, char *buf, size_t size)
{
	FILE *m = fmemopen(buf, size, "w");

	if (!m)
		return "";
	for (int i = 0; sw < 0 && i < cowfs_replay_switch_count(); i++) {
		const struct cowfs_replay_switch *s = cowfs_replay_switch_at(i);

		fprintf(m, "%s%s", i ? ", " : "", s->name);
		if (s->alias)
			fprintf(m, " (or %s)", s->alias);
	}
	for (int v = 0; sw >= 0 && cowfs_replay_switch_at(sw)->values[v]; v++)
		fprintf(m, "%s%s", v ? ", " : "", cowfs_replay_switch_at(sw)->values[v]);
	fclose(m);
	return buf;
}

/* Check one --set now, so that its error names the option as given. */
static int check_set(struct args *a, const char *assignment)
{
	struct cowfs_profile scratch = *cowfs_profile_at(0);
	const char *eq = strchr(assignment, '=');
	char valid[512];
	int sw, ret = cowfs_replay_switch_set(&scratch, assignment, &sw);

	if (!eq) {
		error("--set wants SWITCH=VALUE, got '%s'; valid switches: %s", assignment,
		      valid_list(-1, valid, sizeof(valid)));
		return EXIT_USAGE;
	}
	if (ret == -ENOENT) {
		error("unknown switch '%.*s' in --set %s; valid switches: %s",
		      (int)(eq - assignment), assignment, assignment,
		      valid_list(-1, valid, sizeof(valid)));
		return EXIT_USAGE;
	}
	if (ret < 0) {
		error("bad value '%s' for switch %s in --set; valid values: %s", eq + 1,
		      cowfs_replay_switch_at(sw)->name, valid_list(sw, valid, sizeof(valid)));
		return EXIT_USAGE;
	}
	if (a->nr_sets == MAX_SETS) {
		error("too many --set options (at most %d)", MAX_SETS);
		return EXIT_USAGE;
	}
	a->sets[a->nr_sets++] = assignment;
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
		if (!(a->opts.profile = cowfs_replay_profile_find(optarg))) {
			error("unknown profile '%s', see --list-profiles", optarg);
			return EXIT_USAGE;
		}
		return -1;
	case OPT_SET:
		return check_set(a, optarg);
	case 'm':
		a->matrix = 1;
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
		a->pr.json = true;
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

/* What --matrix cannot be combined with: the option's name, or NULL. */
static const char *matrix_conflict(const struct args *a)
{
	return a->opts.profile ? "--profile" : a->out ? "--output" :
	       a->expect_out ? "--expect-out" : a->opts.verbose ? "--verbose" :
	       a->stats ? "--stats" : NULL;
}

static int parse_args(int argc, char **argv, struct args *a)
{
	int c, ret;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:p:mvhV", longopts, NULL)) != -1)
		if ((ret = option(a, c, argv)) >= 0)
			return ret;
	if (a->matrix && matrix_conflict(a)) {
		error("--matrix and %s cannot be used together", matrix_conflict(a));
		return EXIT_USAGE;
	}
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

/* A bad trace must leave no OUT behind, and IMAGE is never touched. */
static int validate(const struct args *a)
{
	struct cowfs_trace_error err;
	int ret;

	err.msg[0] = '\0';
	ret = cowfs_trace_validate(a->trace, &err);
	if (trace_failed(ret, &err))
		return EXIT_USAGE;
	if (ret < 0) {
		error_errno(ret, "cannot read %s", a->trace);
		return ret == -ENOMEM || ret == -EIO ? EXIT_OPERATIONAL : EXIT_USAGE;
	}
	return 0;
}

static int copy_image(const char *image, const char *to)
{
	int ret = cowfs_replay_copy_image(image, to);

	if (ret == -EEXIST) {
		error("%s and %s are the same file: -o must name a copy", image, to);
		return EXIT_USAGE;
	}
	if (ret < 0) {
		error_errno(ret, "cannot copy %s to %s", image, to);
		return EXIT_OPERATIONAL;
	}
	return 0;
}

/* --profile (or current) with the --set switches applied. */
static void apply_sets(struct args *a)
{
	int sw;

	a->profile = *(a->opts.profile ? a->opts.profile : cowfs_profile_find("current"));
	for (size_t i = 0; i < a->nr_sets; i++)
		cowfs_replay_switch_set(&a->profile, a->sets[i], &sw);
	a->opts.profile = &a->profile;
}

static int run(struct args *a)
{
	struct cowfs_replay_ops ops = { .arg = &a->pr, .finding = print_finding };
	struct cowfs_trace_error err;
	struct cowfs_replay_stats stats;
	FILE *expect = NULL;
	int ret = validate(a);

	if (ret)
		return ret;
	if (a->opts.verbose)
		ops.event = print_event;
	apply_sets(a);
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

static int run_matrix(struct args *a)
{
	struct cowfs_replay_matrix_opts mo = {
		.replay = a->opts, .sets = a->sets, .nr_sets = a->nr_sets,
		.tmpdir = getenv("TMPDIR"),
	};
	struct cowfs_replay_matrix_ops ops;
	struct cowfs_trace_error err;
	int ret = validate(a);

	if (ret)
		return ret;
	print_matrix_ops(&a->pr, &ops);
	ret = cowfs_replay_matrix(a->trace, a->image, &mo, &ops, &err);
	fflush(stdout);
	if (ret >= 0 && a->pr.err)
		ret = a->pr.err;
	if (trace_failed(ret, &err))
		return EXIT_USAGE;
	if (ret < 0) {
		error_errno(ret, "matrix replay of %s onto copies of %s failed", a->trace, a->image);
		return EXIT_OPERATIONAL;
	}
	if (a->pr.json)
		printf("{\"type\":\"summary\",\"profiles\":%d,\"with_findings\":%d,\"exit\":%d}\n",
		       cowfs_profile_count(), ret, ret ? EXIT_FINDINGS : EXIT_CLEAN);
	return ret ? EXIT_FINDINGS : EXIT_CLEAN;
}

int main(int argc, char **argv)
{
	struct args a = { .trace = NULL };
	int ret;

	set_prog_name(argv[0]);
	if ((ret = parse_args(argc, argv, &a)) >= 0)
		return ret;
	return a.matrix ? run_matrix(&a) : run(&a);
}
