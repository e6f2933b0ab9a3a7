#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cowfs/error.h"
#include "messages.h"

int verbosity = PR_DEFAULT;
static const char *prog = "cowfs";

void set_prog_name(const char *argv0)
{
	const char *slash;

	if (!argv0 || !*argv0)
		return;
	slash = strrchr(argv0, '/');
	if (slash && slash[1])
		prog = slash + 1;
	else if (!slash)
		prog = argv0;
}

const char *prog_name(void)
{
	return prog;
}

/*
 * One locked stream write per message, so lines from several threads never
 * interleave; stdout is flushed first so a transcript of both streams keeps
 * the order in which things happened.  errno is kept for "%m".
 */
static void vreport(const char *kind, int with_err, int err, const char *fmt, va_list ap)
{
	int saved = errno;

	fflush(stdout);
	flockfile(stderr);
	fprintf(stderr, "%s: %s: ", prog, kind);
	errno = saved;
	vfprintf(stderr, fmt, ap);
	if (with_err)
		fprintf(stderr, ": %s", cowfs_strerror(err));
	fputc('\n', stderr);
	funlockfile(stderr);
	errno = saved;
}

void error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("error", 0, 0, fmt, ap);
	va_end(ap);
}

void error_errno(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("error", 1, err, fmt, ap);
	va_end(ap);
}

void warning(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("warning", 0, 0, fmt, ap);
	va_end(ap);
}

void pr_verbose(int level, const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	if (level > verbosity)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	errno = saved;
}
