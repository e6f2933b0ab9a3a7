/* Helpers shared by the unit suites: scratch files under $TMPDIR that are gone
 * when the suite ends, even after a test failed and its teardown never ran. */
#ifndef COWFS_TESTS_TESTLIB_H
#define COWFS_TESTS_TESTLIB_H

#include <check.h>
#include <stddef.h>
#include <stdio.h>

#include "cowfs/disk.h"

/*
 * Run s with srunner_run_all(CK_ENV) and return main's exit status.  The
 * scratch directory is made first, in this process: in fork mode a failing
 * test exits its child without teardown, and only the parent, which outlives
 * every child, can then remove what the child left behind.  Check's own
 * scratch files go there too, unless $TEMP says otherwise.
 */
int testlib_run(Suite *s);

/* This process's scratch directory, $TMPDIR/cowfs-PROGRAM-XXXXXX (P_tmpdir when
 * TMPDIR is unset or empty), made on first use and removed with its contents at
 * exit.  NULL if it cannot be made. */
const char *testlib_dir(void);

/* A new empty file TAG-XXXXXX in testlib_dir(), its path in buf.  0 or -errno
 * (-ENAMETOOLONG when buf is too small). */
int testlib_temp_file(char *buf, size_t size, const char *tag);

/* Write text to path, replacing it (a failure fails the test). */
void testlib_put_file(const char *path, const char *text);
/* The whole file at path, malloc'd with a NUL after its *len bytes. */
char *testlib_slurp(const char *path, size_t *len);

/* An anonymous read-write stream in testlib_dir(): tmpfile(3) ignores $TMPDIR. */
FILE *testlib_tmpfile(void);

/* A temporary file made into an image by cowfs_mkfs(o).  Inline, so that the
 * suites below the disk layer can link testlib.o without the disk layer. */
static inline int testlib_temp_image(char *buf, size_t size, const char *tag,
				     const struct cowfs_mkfs_opts *o)
{
	int ret = testlib_temp_file(buf, size, tag);

	return ret < 0 ? ret : cowfs_mkfs(buf, o);
}

#endif
