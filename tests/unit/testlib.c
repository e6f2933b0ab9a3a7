/* Scratch files of the unit suites (testlib.h). */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"

static char dir[4096];
static pid_t owner;		/* forked test children inherit dir: only its maker removes it */

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void cleanup(void)
{
	if (!dir[0] || getpid() != owner)
		return;
	nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	dir[0] = '\0';
}

const char *testlib_dir(void)
{
	static int registered;
	const char *tmp = getenv("TMPDIR");
	int n;

	if (dir[0])
		return dir;
	n = snprintf(dir, sizeof(dir), "%s/cowfs-%s-XXXXXX", tmp && *tmp ? tmp : P_tmpdir,
		     program_invocation_short_name);
	if (n < 0 || (size_t)n >= sizeof(dir)) {
		dir[0] = '\0';
		errno = ENAMETOOLONG;
		return NULL;
	}
	if (!mkdtemp(dir)) {
		dir[0] = '\0';
		return NULL;
	}
	owner = getpid();
	if (!registered && atexit(cleanup) == 0)
		registered = 1;
	return dir;
}

int testlib_temp_file(char *buf, size_t size, const char *tag)
{
	const char *d = testlib_dir();
	int n, fd;

	if (size)
		buf[0] = '\0';
	if (!d)
		return errno ? -errno : -EIO;
	n = snprintf(buf, size, "%s/%s-XXXXXX", d, tag);
	if (n < 0 || (size_t)n >= size) {
		if (size)
			buf[0] = '\0';
		return -ENAMETOOLONG;
	}
	fd = mkstemp(buf);
	if (fd < 0) {
		n = -errno;
		buf[0] = '\0';
		return n;
	}
	close(fd);
	return 0;
}

FILE *testlib_tmpfile(void)
{
	char path[sizeof(dir) + 64];
	FILE *f;

	if (testlib_temp_file(path, sizeof(path), "stream") < 0)
		return NULL;
	f = fopen(path, "w+");
	unlink(path);
	return f;
}

int testlib_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	const char *d = testlib_dir();
	int failed;

	/* Check keeps its own message files in $TEMP, else in P_tmpdir */
	if (d)
		setenv("TEMP", d, 0);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	cleanup();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

void testlib_put_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

char *testlib_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	ck_assert_int_ge(n, 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}
