/* trace-gen: a random but valid cowtrace 1, for the differential test against
 * the kernel (tests/kernel-diff/run, doc/testing.md).
 *
 *   trace-gen --seed N [--ops M] [--max-size BYTES] [--files K] [--check]
 *
 * Every operation but crash appears (the kernel side cannot crash).  Sizes are
 * tracked as POSIX defines them (write extends, truncate sets) so that mwrite,
 * munmap and pin_write stay inside the file.  Hooks carry only reclaim, run and
 * writeback, which never change content: the final files are then the same
 * whatever the interleaving, and a kernel that runs each hook after its parent
 * operation must end with the same bytes as the model.
 *
 * The output is a function of the options alone.  --check parses the trace back
 * before printing it and fails unless every operation comes back equal.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cowfs/trace.h"
#include "trace-gen.h"

static const char *const usage_text =
	"usage: trace-gen --seed N [--ops M] [--max-size BYTES] [--files K] [--check]\n"
	"\n"
	"    print a random cowtrace 1 that exercises every operation but crash\n"
	"\n"
	"      -s|--seed N           the seed; the same options give the same trace\n"
	"      -n|--ops M            operations after the setup (default 200)\n"
	"      -m|--max-size BYTES   the largest write (K, M, G suffixes; default 256K)\n"
	"      -f|--files K          regular files, 1 to 64 (default 4)\n"
	"      -c|--check            parse the trace back and check it before printing it\n"
	"      -h|--help             print this help\n";

/* ---- check mode: parse the text back and compare op by op ---- */

static void print_trace_error(const struct cowfs_trace_error *err)
{
	char msg[sizeof(err->file) + sizeof(err->msg) + 64];

	cowfs_trace_format_error(err, msg, sizeof(msg));
	fprintf(stderr, "trace-gen: %s\n", msg);
}

static int check_trace(const struct gen *g, char *text, size_t len)
{
	struct cowfs_trace_error err = { 0 };
	struct cowfs_trace_op op;
	cowfs_trace_reader *rd;
	size_t i = 0;
	FILE *f = fmemopen(text, len, "r");
	int r;

	if (!f)
		return -errno;
	r = cowfs_trace_open_file(f, "generated trace", &rd, &err);
	if (r < 0) {
		print_trace_error(&err);
		fclose(f);
		return r;
	}
	while ((r = cowfs_trace_next(rd, &op)) > 0) {
		bool same = i < g->nr_log && cowfs_trace_op_equal(&op, &g->log[i]);
		uint64_t line = op.line;

		cowfs_trace_op_release(&op);
		if (!same) {
			fprintf(stderr, "trace-gen: line %llu does not parse back to what was written\n",
				(unsigned long long)line);
			r = -EINVAL;
			break;
		}
		i++;
	}
	if (r < 0 && r != -EINVAL)
		print_trace_error(cowfs_trace_error(rd));
	if (r == 0 && i != g->nr_log) {
		fprintf(stderr, "trace-gen: %zu operations parsed back, %zu written\n", i, g->nr_log);
		r = -EINVAL;
	}
	cowfs_trace_close(rd);
	fclose(f);
	return r;
}

/* ---- options ---- */

static int number(const char *opt, const char *text, uint64_t min, uint64_t max, uint64_t *v)
{
	struct cowfs_trace_error err = { 0 };

	if (cowfs_text_number(text, strlen(text), opt, v, &err) < 0 || *v < min || *v > max) {
		fprintf(stderr, "trace-gen: --%s: expected a number from %llu to %llu, found '%s'\n",
			opt, (unsigned long long)min, (unsigned long long)max, text);
		return -1;
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct gen_opts *o, bool *check)
{
	static const struct option longopts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "ops", required_argument, NULL, 'n' },
		{ "max-size", required_argument, NULL, 'm' },
		{ "files", required_argument, NULL, 'f' },
		{ "check", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool have_seed = false;
	int c, r = 0;

	while (r == 0 && (c = getopt_long(argc, argv, "s:n:m:f:ch", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			r = number("seed", optarg, 0, UINT64_MAX, &o->seed);
			have_seed = true;
			break;
		case 'n':
			r = number("ops", optarg, 0, 1000000, &o->ops);
			break;
		case 'm':
			r = number("max-size", optarg, 1, 1ull << 30, &o->max_size);
			break;
		case 'f':
			r = number("files", optarg, 1, GEN_MAX_FILES, &o->files);
			break;
		case 'c':
			*check = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(0);
		default:
			fputs(usage_text, stderr);
			return -1;
		}
	}
	if (r == 0 && (optind != argc || !have_seed)) {
		fprintf(stderr, "trace-gen: %s\n", optind != argc ? "unexpected operand" :
			"--seed is required");
		fputs(usage_text, stderr);
		r = -1;
	}
	return r;
}

int main(int argc, char **argv)
{
	struct gen_opts o = { .ops = 200, .max_size = 256 * 1024, .files = 4 };
	struct gen g;
	bool check = false;
	char *text = NULL;
	size_t len = 0;
	int r;

	if (parse_args(argc, argv, &o, &check) < 0)
		return 2;
	FILE *out = open_memstream(&text, &len);
	if (!out) {
		fprintf(stderr, "trace-gen: %s\n", strerror(errno));
		return 1;
	}
	r = gen_init(&g, &o, out, check);
	if (r == 0)
		r = gen_trace(&g);
	if (fclose(out) != 0 && r == 0)
		r = -EIO;
	if (r < 0)
		fprintf(stderr, "trace-gen: cannot generate the trace: %s\n",
			r == -EINVAL ? "the writer refused an operation" : strerror(-r));
	else if (check)
		r = check_trace(&g, text, len);
	if (r == 0 && (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0)) {
		fprintf(stderr, "trace-gen: cannot write the trace: %s\n", strerror(errno));
		r = -EIO;
	}
	gen_fini(&g);
	free(text);
	return r < 0 ? 1 : 0;
}
