/* The oracle: an independent model of what POSIX says the files hold.
 *
 * Per file, an interval map from byte ranges to the trace line and data spec
 * that last wrote them (holes and truncated-then-extended ranges are zeros),
 * and its size; the names of files and directories; and, for crashes, the
 * durable state at the last sync/fsync with the changes since.  It never holds
 * file bytes: memory grows with the number of distinct writes, not their size.
 *
 * Paths are absolute, as a trace gives them.  Operations check before they
 * change anything, so a failed one leaves the oracle as it was:
 * -ENOENT (no such name, or a missing parent), -ENOTDIR (a parent is a file),
 * -EEXIST, -EISDIR (a file operation on a directory), -ENOTEMPTY, -EINVAL (the
 * root, or a malformed path), -ENAMETOOLONG (PATH_MAX), -ERANGE (a store that must not extend the file
 * goes past its end), -ENOMEM.
 */
#ifndef COWFS_REPLAY_ORACLE_H
#define COWFS_REPLAY_ORACLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cowfs/disk.h"
#include "cowfs/expect.h"
#include "cowfs/trace.h"

struct oracle;

int oracle_new(struct oracle **out);
void oracle_free(struct oracle *o);

int oracle_mkdir(struct oracle *o, const char *path, size_t len);
int oracle_create(struct oracle *o, const char *path, size_t len);
/* A file, or an empty directory. */
int oracle_unlink(struct oracle *o, const char *path, size_t len);
int oracle_truncate(struct oracle *o, const char *path, size_t len, uint64_t size);
/*
 * Bytes [off, off + n) now hold what spec stores when written by line.  extends:
 * a write, which grows the size to off + n; otherwise (mwrite, munmap,
 * pin_write) the range must lie within the size.  The oracle keeps its own
 * reference on hex data.
 */
int oracle_store(struct oracle *o, const char *path, size_t len, uint64_t off, uint64_t n,
		 uint64_t line, const struct cowfs_data_spec *spec, bool extends);

/* Everything is durable. */
int oracle_sync(struct oracle *o);
/* The content and size of path are durable, and so are the names in its
 * directory (for a directory: in itself) and the names leading to it. */
int oracle_fsync(struct oracle *o, const char *path, size_t len);

/* What path is now: its type and (file) size. */
int oracle_stat(struct oracle *o, const char *path, size_t len, enum cowfs_expect_type *type,
		uint64_t *size);

/*
 * The expected state: now (crash false: one size, one candidate per range,
 * every name must exist), or what an image may hold after a crash now (names
 * changed since they were durable may exist, every byte its durable value or a
 * later one).
 */
int oracle_expect(struct oracle *o, bool crash, cowfs_expect **out);

/*
 * Check fs against oracle_expect(o, crash) and report each finding.  After a
 * crash the oracle then adopts what the image holds, where the expectation
 * allowed a choice (or, where a finding was made, what the bytes look like), so
 * later expectations build on it; everything is then durable.  Returns the
 * number of findings.
 */
int oracle_verify(struct oracle *o, cowfs_fs *fs, bool crash, cowfs_expect_report_fn fn,
		  void *arg);

/* Start from what fs holds (the image before the trace): its names and sizes,
 * and its bytes as the stamps or zeros they read as, or as anything (ANY).
 * Everything is durable. */
int oracle_load(struct oracle *o, cowfs_fs *fs);

/* Compare bytes a read returned for [off, off + n) of path with the file now. */
int oracle_check_read(struct oracle *o, const char *path, size_t len, uint64_t off,
		      const void *buf, size_t n, cowfs_expect_report_fn fn, void *arg);

struct oracle_stats {
	uint64_t names;			/* nodes, including removed names kept for a crash */
	uint64_t inodes;
	uint64_t extents;		/* intervals of the current and durable maps */
	uint64_t changes;		/* logged since the durable points */
};
void oracle_get_stats(const struct oracle *o, struct oracle_stats *st);

#endif
