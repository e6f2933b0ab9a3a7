/* The one messaging module of the commands (libfs never prints).
 *
 * error() and warning() go to stderr as "PROG: error: MESSAGE\n": lowercase,
 * no trailing period, no "\n" in fmt, values printed.  pr_verbose() is the
 * command's normal output, to stdout, gated by one global verbosity; it
 * prints fmt as given (add the "\n" yourself).
 */
#ifndef COWFS_CMD_MESSAGES_H
#define COWFS_CMD_MESSAGES_H

/* Verbosity levels: --quiet sets PR_QUIET, each -v adds one. */
enum {
	PR_ALWAYS = -1,		/* printed even under --quiet */
	PR_QUIET = 0,
	PR_DEFAULT = 1,		/* the starting verbosity */
	PR_INFO = 2,
	PR_VERBOSE = 3,
	PR_DEBUG = 4,
};

extern int verbosity;

/* Take the program name from argv[0] (its basename). */
void set_prog_name(const char *argv0);
const char *prog_name(void);

__attribute__((format(printf, 1, 2)))
void error(const char *fmt, ...);

/* error(), then ": " and cowfs_strerror(err); err may be negative or positive. */
__attribute__((format(printf, 2, 3)))
void error_errno(int err, const char *fmt, ...);

__attribute__((format(printf, 1, 2)))
void warning(const char *fmt, ...);

__attribute__((format(printf, 2, 3)))
void pr_verbose(int level, const char *fmt, ...);

#endif
