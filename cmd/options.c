#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "messages.h"
#include "options.h"

static int digit_value(char c, unsigned base)
{
	unsigned v;

	if (c >= '0' && c <= '9')
		v = (unsigned)(c - '0');
	else if (c >= 'a' && c <= 'f')
		v = (unsigned)(c - 'a' + 10);
	else if (c >= 'A' && c <= 'F')
		v = (unsigned)(c - 'A' + 10);
	else
		return -1;
	return v < base ? (int)v : -1;
}

static int suffix_shift(char c)
{
	switch (c) {
	case 'k': case 'K': return 10;
	case 'm': case 'M': return 20;
	case 'g': case 'G': return 30;
	case 't': case 'T': return 40;
	default: return -1;
	}
}

/* Written by hand: strtoull() accepts spaces, signs and octal, and wraps "-1". */
int parse_size(const char *s, uint64_t *out)
{
	unsigned base = 10;
	uint64_t v = 0;
	int d, shift = 0, ndigits = 0;

	if (!s)
		return -EINVAL;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	for (; (d = digit_value(*s, base)) >= 0; s++, ndigits++) {
		if (v > (UINT64_MAX - (unsigned)d) / base)
			return -ERANGE;
		v = v * base + (unsigned)d;
	}
	if (!ndigits)
		return -EINVAL;
	if (*s) {
		shift = suffix_shift(*s++);
		if (shift < 0 || *s)
			return -EINVAL;
		if (v > UINT64_MAX >> shift)
			return -ERANGE;
	}
	*out = v << shift;
	return 0;
}

static void print_line(FILE *f, const char *line)
{
	const char *tab = strchr(line, '\t');
	int width;

	if (!*line) {
		fputc('\n', f);
		return;
	}
	if (!tab) {
		fprintf(f, "    %s\n", line);
		return;
	}
	/* An option too long for its column gets its help on the next line. */
	width = (int)(tab - line);
	if (width <= 24)
		fprintf(f, "      %-24.*s  %s\n", width, line, tab + 1);
	else
		fprintf(f, "      %.*s\n      %-24s  %s\n", width, line, "", tab + 1);
}

void usage(const char *const *usage_str, int to_stderr)
{
	FILE *f = to_stderr ? stderr : stdout;

	if (!usage_str || !usage_str[0])
		return;
	fflush(stdout);
	fprintf(f, "usage: %s\n", usage_str[0]);
	if (!usage_str[1])
		return;
	fputc('\n', f);
	for (const char *const *p = usage_str + 1; *p; p++)
		print_line(f, *p);
}

/* "cowfsck check" from "cowfsck check [options] IMAGE": the leading lowercase words. */
static int command_words(const char *synopsis)
{
	int end = 0, i = 0;

	for (;;) {
		int start = i;

		while ((synopsis[i] >= 'a' && synopsis[i] <= 'z') ||
		       (synopsis[i] >= '0' && synopsis[i] <= '9') ||
		       (i > start && (synopsis[i] == '-' || synopsis[i] == '_')))
			i++;
		if (i == start || (synopsis[i] && synopsis[i] != ' '))
			return end;
		end = i;
		if (!synopsis[i])
			return end;
		i++;
	}
}

/*
 * Where getopt_long stopped: a long option is argv[optind - 1] itself; a short
 * one is optopt, and when it sat inside a bundle ("-xq") optind has not moved
 * past it, so argv[optind - 1] may be an earlier, valid "--option".
 */
static int bad_option_is_long(char *const *argv)
{
	const char *prev = optind > 0 ? argv[optind - 1] : NULL;
	const char *next = argv[optind];

	if (!prev || strncmp(prev, "--", 2) != 0)
		return 0;
	/* No state tells "--noarg=x" from "--opt=x -qZ"; the first is the likelier slip. */
	if (!optopt || strchr(prev, '='))
		return 1;
	return !(next && next[0] == '-' && next[1] != '-' && strchr(next + 1, optopt));
}

void usage_unknown_option(const char *const *usage_str, int c, char *const *argv)
{
	if (bad_option_is_long(argv)) {
		const char *arg = argv[optind - 1];
		int len = (int)strcspn(arg, "=");

		if (c == ':')
			error("option '%.*s' requires an argument", len, arg);
		else if (arg[len] && optopt)
			error("option '%.*s' does not take an argument", len, arg);
		else
			error("unrecognized option '%s'", arg);
	} else if (optopt > ' ' && optopt < 127) {
		if (c == ':')
			error("option '-%c' requires an argument", optopt);
		else
			error("unrecognized option '-%c'", optopt);
	} else {
		error("bad option");
	}
	if (usage_str && usage_str[0] && command_words(usage_str[0]))
		fprintf(stderr, "try '%.*s --help' for more information\n",
			command_words(usage_str[0]), usage_str[0]);
	else
		fprintf(stderr, "try '%s --help' for more information\n", prog_name());
}

void print_version(void)
{
	printf("%s (cowfs tools) %s\n", prog_name(), COWFS_VERSION);
}
