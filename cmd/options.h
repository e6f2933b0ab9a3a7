/* Option helpers shared by the commands.
 *
 * A command is three adjacent things in cmd/NAME.c: a usage array, a cmd_*()
 * function parsing its options with getopt_long, and its table entry.  The
 * usage array is:
 *   [0]  synopsis, e.g. "cowfsck check [options] IMAGE"
 *   [1]  one-line summary
 *   ...  optional description lines
 *   ""   a blank line
 *   ...  option lines, OPTLINE("-f|--force", "overwrite an existing filesystem"),
 *        or headings such as "Output:"
 *   NULL
 */
#ifndef COWFS_CMD_OPTIONS_H
#define COWFS_CMD_OPTIONS_H

#include <stdint.h>

#define COWFS_VERSION "0.1"

/* Exit codes of cowfsck, as fsck(8); they may be OR-ed together. */
#define FSCK_OK			0
#define FSCK_CORRECTED		1
#define FSCK_UNCORRECTED	4
#define FSCK_ERROR		8
#define FSCK_USAGE		16

/* getopt_long values of long-only options start here, above every char. */
#define GETOPT_VAL_FIRST	256

/* An option line of a usage array: usage() aligns the help text in a column. */
#define OPTLINE(opt, help)	opt "\t" help

/*
 * "4096", "0x1000", "64K", "1g": decimal or 0x hex, then an optional binary
 * suffix K, M, G or T (either case).  0, or -EINVAL for anything else
 * (empty, sign, spaces, junk), -ERANGE if it does not fit in 64 bits.
 */
int parse_size(const char *s, uint64_t *out);

/* Print usage_str to stdout, or to stderr if to_stderr; the caller exits. */
void usage(const char *const *usage_str, int to_stderr);

/*
 * For getopt_long's '?' or ':' (c): name the bad option and point at --help,
 * on stderr.  Set opterr = 0 and start the optstring with ':' so that
 * getopt itself prints nothing and a missing argument comes back as ':'.
 */
void usage_unknown_option(const char *const *usage_str, int c, char *const *argv);

/* "PROG (cowfs tools) 0.1" on stdout. */
void print_version(void);

#endif
