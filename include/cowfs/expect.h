/* Expected states of an image, the "cowexpect 1" file, and checking an image
 * against an expectation.
 *
 * An expectation lists paths.  Each has a type (directory or regular file), a
 * presence (must exist, may exist, must not exist) and, for a file, the sizes
 * it may have and, for each byte range, an ordered list of candidate contents:
 * zeros, what a trace line's data spec stores there, or (for bytes from before
 * the trace) anything.  Bytes of a file that
 * no range covers are expected to be zeros.  The state after a replay without
 * a crash is the special case of one size and one candidate per range, every
 * path must-exist.  doc/expect.md describes the file format.
 *
 * Returns: 0 or a count on success, a negative code on failure (error.h).
 */
#ifndef COWFS_EXPECT_H
#define COWFS_EXPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cowfs/disk.h"
#include "cowfs/trace.h"

typedef struct cowfs_expect cowfs_expect;
typedef struct cowfs_expect_entry cowfs_expect_entry;

enum cowfs_expect_type {
	COWFS_EXPECT_DIR,
	COWFS_EXPECT_FILE,
};

enum cowfs_expect_presence {
	COWFS_EXPECT_MUST,
	COWFS_EXPECT_MAY,
	COWFS_EXPECT_MUST_NOT,
};

enum cowfs_cand_kind {
	COWFS_CAND_DATA,		/* what line's data spec stores there */
	COWFS_CAND_ZEROS,		/* a hole, or bytes a truncate cut off */
	COWFS_CAND_ANY,			/* anything: bytes the image held before the trace,
					 * not written by any line */
};

/* One possible content of a byte range. */
struct cowfs_expect_cand {
	enum cowfs_cand_kind kind;
	uint64_t line;			/* DATA: the trace line that wrote the range ... */
	struct cowfs_data_spec data;	/* ... and with what */
};

/* Same kind, and for DATA the same line and generator (so the same bytes). */
bool cowfs_expect_cand_equal(const struct cowfs_expect_cand *a, const struct cowfs_expect_cand *b);

struct cowfs_expect_range {
	uint64_t start, end;		/* file bytes [start, end) */
	const struct cowfs_expect_cand *cands;	/* in order of preference: durable first */
	size_t nr_cands;
};

/* A run of allowed sizes [lo, hi]: a write that grows a file passes through every
 * size between its old and new one, and a commit may catch it in between. */
struct cowfs_size_span {
	uint64_t lo, hi;
};

struct cowfs_expect_info {
	const char *path;		/* NUL-terminated */
	size_t path_len;
	enum cowfs_expect_type type;
	enum cowfs_expect_presence presence;
	const uint64_t *sizes;		/* ascending, no repeats */
	size_t nr_sizes;
	const struct cowfs_size_span *spans;	/* also allowed: ascending, disjoint */
	size_t nr_spans;
	const struct cowfs_expect_range *ranges;	/* ascending, disjoint */
	size_t nr_ranges;
};

/* ---- building ---- */

int cowfs_expect_new(cowfs_expect **out);
void cowfs_expect_free(cowfs_expect *e);

/* List path (absolute, trace rules).  -EEXIST if it is listed, -EINVAL if it is
 * not a valid path.  *out (may be NULL) is the entry, owned by e. */
int cowfs_expect_add(cowfs_expect *e, const char *path, size_t len, enum cowfs_expect_type type,
		     enum cowfs_expect_presence presence, cowfs_expect_entry **out);
/* Allow one more size (a set: a repeat is ignored). */
int cowfs_expect_add_size(cowfs_expect_entry *ent, uint64_t size);
/* Allow every size in [lo, hi] (merged with the spans it touches; -EINVAL if lo > hi). */
int cowfs_expect_add_size_span(cowfs_expect_entry *ent, uint64_t lo, uint64_t hi);
/* Append the range [start, end) with n >= 1 candidates, after every range added so
 * far (-EINVAL otherwise, or when a hex candidate does not cover the range).  The
 * entry copies cands and takes a reference on their data. */
int cowfs_expect_add_range(cowfs_expect_entry *ent, uint64_t start, uint64_t end,
			   const struct cowfs_expect_cand *cands, size_t n);

/* ---- reading back ---- */

size_t cowfs_expect_count(const cowfs_expect *e);
/* In path order (bytewise, so a directory comes before what it holds). */
const cowfs_expect_entry *cowfs_expect_first(const cowfs_expect *e);
const cowfs_expect_entry *cowfs_expect_next(const cowfs_expect_entry *ent);
const cowfs_expect_entry *cowfs_expect_find(const cowfs_expect *e, const char *path, size_t len);
void cowfs_expect_get(const cowfs_expect_entry *ent, struct cowfs_expect_info *info);

/* ---- the file ---- */

/* Write e as "cowexpect 1" text.  -EIO on a write error. */
int cowfs_expect_write(FILE *f, const cowfs_expect *e);
/* Read an expect file (name is what errors call it).  A malformed file is
 * -COWFS_ETRACE with *err filled (file, line, column, message), printed by
 * cowfs_trace_format_error() as FILE:LINE:COL: MSG. */
int cowfs_expect_read(const char *path, cowfs_expect **out, struct cowfs_trace_error *err);
int cowfs_expect_read_file(FILE *f, const char *name, cowfs_expect **out,
			   struct cowfs_trace_error *err);

/* ---- checking ---- */

enum cowfs_expect_finding_kind {
	COWFS_EXPECT_CONTENT,		/* [start, end) holds none of the candidates */
	COWFS_EXPECT_SIZE,		/* the size is not one of sizes */
	COWFS_EXPECT_MISSING,		/* a must-exist path is absent */
	COWFS_EXPECT_UNEXPECTED,	/* a path not listed, or must-not, is present */
	COWFS_EXPECT_TYPE,		/* present with the other type */
	COWFS_EXPECT_CSUM,		/* [start, end) failed its data checksum */
	COWFS_EXPECT_UNREADABLE,	/* [start, end), or the path, could not be read: err */
};

struct cowfs_expect_finding {
	enum cowfs_expect_finding_kind kind;
	const char *path;
	uint64_t start, end;		/* CONTENT, CSUM, UNREADABLE of data */
	const struct cowfs_expect_cand *expected;	/* CONTENT */
	size_t nr_expected;
	enum cowfs_stamp_class found;	/* CONTENT: what the bytes are ... */
	uint64_t found_line;		/* ... LINE, MIXED: the (first) line found */
	uint64_t size;			/* SIZE: the size found */
	const uint64_t *sizes;		/* SIZE: the sizes allowed */
	size_t nr_sizes;
	const struct cowfs_size_span *spans;	/* SIZE: and the runs of sizes allowed */
	size_t nr_spans;
	enum cowfs_expect_type type;	/* TYPE, UNEXPECTED: what the image holds */
	int err;			/* UNREADABLE: the negative code */
	const char *message;		/* "/f [4096, 8192): expected line 7, found line 3" */
};

typedef void (*cowfs_expect_report_fn)(void *arg, const struct cowfs_expect_finding *f);

/*
 * Compare the image with e, reading it through the disk API only: every path
 * of the image (so unlisted ones are found), every listed path, every size, and
 * every byte of each listed file below its largest allowed size, block by block.
 * Adjacent blocks with the same finding are reported as one range.  Paths in
 * messages are written as a trace writes them.  Returns the number of findings,
 * or a negative code when the check could not run (no memory, no root).
 */
int cowfs_expect_check(cowfs_fs *fs, const cowfs_expect *e, cowfs_expect_report_fn fn, void *arg);

/*
 * What the image holds, for a replay to adopt after a crash: every name the
 * walk meets and every listed name it does not, each file's size, and its bytes
 * as pieces within one block, in file order.  Names e does not list, or lists
 * as must-not, or with the other type, are reported once and then walked for
 * this callback only (listed false): no more findings come from below them.
 */
enum cowfs_expect_seen_kind {
	COWFS_SEEN_NAME,		/* present or not (must-not names: only when present) */
	COWFS_SEEN_SIZE,		/* a present file: its size */
	COWFS_SEEN_DATA,		/* a piece of it */
};

struct cowfs_expect_seen {
	enum cowfs_expect_seen_kind kind;
	const char *path;		/* valid during the call */
	size_t path_len;
	bool listed;			/* false: described by nothing in e */
	bool present;			/* NAME */
	enum cowfs_expect_type type;	/* NAME, when present */
	uint64_t size;			/* SIZE */
	uint64_t start, end;		/* DATA */
	const struct cowfs_expect_cand *cand;	/* DATA: the candidate held, NULL if none */
	enum cowfs_stamp_class found;	/* DATA, when cand is NULL */
	uint64_t found_line;
	const struct cowfs_expect_cand *expected;	/* DATA: the candidates (none for a */
	size_t nr_expected;				/* block that could not be read) */
};

struct cowfs_expect_ops {
	void *arg;
	cowfs_expect_report_fn report;
	/* Nullable.  NAME comes before the SIZE and DATA of its path, a directory
	 * before what it holds. */
	void (*seen)(void *arg, const struct cowfs_expect_seen *s);
};

int cowfs_expect_check_ops(cowfs_fs *fs, const cowfs_expect *e, const struct cowfs_expect_ops *ops);

/* Compare bytes read from file path at [off, off + len) (a trace's read) with
 * its entry: CONTENT findings as above.  -ENOENT if path is not a listed file. */
int cowfs_expect_check_buf(const cowfs_expect *e, const char *path, size_t path_len,
			   uint64_t off, const void *buf, size_t len,
			   cowfs_expect_report_fn fn, void *arg);

#endif
