/* cowtrace 1: reading, writing and generating the data of a trace.
 *
 * The format is the contract of TRACE-FORMAT.md; doc/trace.md is the guide.
 * A reader streams a trace (plain or zstd) one operation at a time and never
 * holds more than the current line.  Every parse error is reported as a
 * struct cowfs_trace_error (file, line, column, message) for the caller to
 * print; the library prints nothing.
 *
 * Returns: 0 or a count on success, a negative code on failure (error.h);
 * a malformed trace is -COWFS_ETRACE, with the error struct filled.
 */
#ifndef COWFS_TRACE_H
#define COWFS_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cowfs/points.h"

/* ---- operations ---- */

enum cowfs_op_kind {
	COWFS_OP_MKDIR,
	COWFS_OP_CREATE,
	COWFS_OP_UNLINK,
	COWFS_OP_TRUNCATE,
	COWFS_OP_WRITE,
	COWFS_OP_MWRITE,
	COWFS_OP_MUNMAP,
	COWFS_OP_PIN_WRITE,
	COWFS_OP_READ,
	COWFS_OP_RECLAIM,
	COWFS_OP_WRITEBACK,
	COWFS_OP_RUN,
	COWFS_OP_FSYNC,
	COWFS_OP_SYNC,
	COWFS_OP_COMMIT,
	COWFS_OP_CRASH,
	COWFS_OP_NR
};

/* "write", "pin_write", ...; NULL for an out-of-range kind. */
const char *cowfs_op_name(enum cowfs_op_kind kind);
/* True for write, mwrite, munmap and pin_write: the operations that store data. */
bool cowfs_op_has_data(enum cowfs_op_kind kind);

/* ---- data generators: the bytes an operation stores, as a function of file offset x ---- */

enum cowfs_data_kind {
	COWFS_DATA_STAMP,	/* the line stamp (default) */
	COWFS_DATA_RAND,	/* rand:SEED, splitmix64 */
	COWFS_DATA_FILL,	/* fill:B */
	COWFS_DATA_ZERO,	/* zero */
	COWFS_DATA_HEX,		/* hex:HEX, literal bytes */
};

/*
 * Small and copyable.  For hex, the bytes are shared and reference counted:
 * whoever keeps a copy beyond the operation that parsed it (the oracle) takes
 * a reference with cowfs_data_hold() and drops it with cowfs_data_put().
 */
struct cowfs_data_spec {
	enum cowfs_data_kind kind;
	uint8_t fill;			/* FILL */
	uint64_t seed;			/* RAND */
	const uint8_t *hex;		/* HEX: the bytes for file range [hex_off, hex_off + hex_len) */
	uint64_t hex_off;
	uint64_t hex_len;
};

void cowfs_data_hold(const struct cowfs_data_spec *spec);
void cowfs_data_put(const struct cowfs_data_spec *spec);
/* A HEX spec over a private copy of bytes[0, len) placed at file offset off (one reference). */
int cowfs_data_hex_new(struct cowfs_data_spec *spec, const void *bytes, uint64_t len, uint64_t off);

/* The splitmix64 finaliser of the contract (no increment). */
uint64_t cowfs_splitmix64(uint64_t z);

/*
 * Fill buf with the bytes of file range [off, off + len) that spec stores when
 * written by trace line `line` (only STAMP uses it).  -ERANGE if a HEX spec does
 * not cover the range, -EINVAL for an unknown kind or a range that wraps.
 */
int cowfs_data_fill(const struct cowfs_data_spec *spec, uint64_t line, uint64_t off,
		    void *buf, size_t len);

/* Compare buf with what spec stores over [off, off + len): the index of the
 * first differing byte, len when all match, (size_t)-1 when cowfs_data_fill
 * would fail. */
size_t cowfs_data_compare(const struct cowfs_data_spec *spec, uint64_t line, uint64_t off,
			  const void *buf, size_t len);

/* ---- stamp decoding: which line wrote a block ---- */

/* The stamp word for line at the 8-byte-aligned word containing file offset x. */
uint64_t cowfs_stamp_word(uint64_t line, uint64_t x);
/*
 * word: a stored 64-bit word (already converted from little-endian) that sits
 * at the 8-aligned file offset x.  True if it is the stamp of some line at that
 * position; *line gets the line modulo 2^24 (the stamp keeps 24 bits).
 */
bool cowfs_stamp_decode(uint64_t word, uint64_t x, uint64_t *line);

enum cowfs_stamp_class {
	COWFS_STAMP_LINE,	/* every word is the stamp of the same line */
	COWFS_STAMP_ZEROS,	/* every byte is zero */
	COWFS_STAMP_MIXED,	/* some words are stamps, but not all of one line */
	COWFS_STAMP_NONE,	/* no word is a stamp (other data) */
};

/*
 * Classify buf, the stored bytes of file range [x, x + len); x and len must be
 * multiples of 8 (-EINVAL otherwise).  *line: for LINE, the line; for MIXED,
 * the line of the first stamped word; else 0.  Returns the class.
 */
int cowfs_stamp_classify(const void *buf, size_t len, uint64_t x, uint64_t *line);
/* The same over one 4 KiB block. */
int cowfs_stamp_block(const void *block, uint64_t x, uint64_t *line);

/* ---- a parsed operation ---- */

/* What the "has_*" flags say was written on the line; absent optional fields are 0. */
struct cowfs_trace_op {
	enum cowfs_op_kind kind;
	uint64_t line;			/* 1-based, in the decompressed text */

	/* @POINT[#K]: run inside the preceding non-hook operation */
	bool is_hook;
	enum cowfs_point point;
	uint64_t hook_count;		/* K, >= 1 (1 when absent) */

	char *path;			/* NULL when absent; unescaped bytes, NUL-terminated */
	size_t path_len;		/* bytes, without the terminator (a path never holds NUL) */

	uint64_t off, len;		/* write mwrite munmap pin_write read */
	uint64_t size;			/* truncate */
	bool has_count;			/* run N */
	uint64_t count;

	bool has_data;			/* data= given; data is STAMP when not */
	struct cowfs_data_spec data;	/* hex bytes owned by the op (a reference) */
	bool has_fault;			/* write fault=N */
	uint64_t fault;
	bool has_max;			/* reclaim max=N */
	uint64_t max;
	bool wait;			/* writeback wait */
};

/* Free what op owns (path, its reference on hex data) and zero it. */
void cowfs_trace_op_release(struct cowfs_trace_op *op);
/* True if a and b describe the same operation (the line number aside). */
bool cowfs_trace_op_equal(const struct cowfs_trace_op *a, const struct cowfs_trace_op *b);

/* ---- errors ---- */

struct cowfs_trace_error {
	char file[4096];		/* the name given when opening */
	uint64_t line;			/* 1-based; 0 for an error not tied to a line (open, read) */
	unsigned col;			/* 1-based, in characters (a tab counts 1); 0 if none */
	char msg[512];			/* lowercase, no trailing period */
};

/* "FILE:LINE:COL: MSG" ("FILE:LINE: MSG" without a column, "FILE: MSG" without a
 * line).  Returns snprintf's count. */
int cowfs_trace_format_error(const struct cowfs_trace_error *err, char *buf, size_t size);

/* ---- reading ---- */

typedef struct cowfs_trace_reader cowfs_trace_reader;

#define COWFS_TRACE_MAX_LINE (64u << 20)	/* default cap on one line, in bytes */

/*
 * Open a trace.  name is what errors call the file.  open() owns its descriptor;
 * open_fd() and open_file() read from the caller's, and leave it open.  On
 * failure *err is filled (when err is not NULL).
 */
int cowfs_trace_open(const char *path, cowfs_trace_reader **rd, struct cowfs_trace_error *err);
int cowfs_trace_open_fd(int fd, const char *name, cowfs_trace_reader **rd,
			struct cowfs_trace_error *err);
int cowfs_trace_open_file(FILE *f, const char *name, cowfs_trace_reader **rd,
			  struct cowfs_trace_error *err);
void cowfs_trace_close(cowfs_trace_reader *rd);

/* Change the line cap (tests; tools that want a smaller bound). */
void cowfs_trace_set_max_line(cowfs_trace_reader *rd, size_t bytes);

/*
 * The next operation or hook, in file order: 1 and *op filled (release it with
 * cowfs_trace_op_release), 0 at the end, negative on error.  After an error the
 * reader stays failed; cowfs_trace_error() says why.
 */
int cowfs_trace_next(cowfs_trace_reader *rd, struct cowfs_trace_op *op);

/* One operation with the hooks that attach to it, in file order. */
struct cowfs_trace_group {
	struct cowfs_trace_op op;
	struct cowfs_trace_op *hooks;
	size_t nr_hooks;
	size_t alloc;
};

/* Like cowfs_trace_next, a group at a time; g starts zeroed and is reused from
 * call to call.  Do not mix the two calls on one reader. */
int cowfs_trace_next_group(cowfs_trace_reader *rd, struct cowfs_trace_group *g);
void cowfs_trace_group_release(struct cowfs_trace_group *g);

const struct cowfs_trace_error *cowfs_trace_error(const cowfs_trace_reader *rd);

/* Read the whole trace at path (streaming) and report its first error: 0 if none. */
int cowfs_trace_validate(const char *path, struct cowfs_trace_error *err);

/* ---- writing ---- */

/* "cowtrace 1\n". */
int cowfs_trace_write_header(FILE *f);
/*
 * One line, canonical: hook prefix, operation, quoted path when it needs it,
 * decimal numbers, options in the order data fault max wait.  Parsing the line
 * gives back an equal op.  -EINVAL if op could not be parsed back (bad path,
 * hex length not LEN, ...), -EIO on a write error.
 */
int cowfs_trace_write_op(FILE *f, const struct cowfs_trace_op *op);

/* ==== text forms of trace fields (libfs/trace/spec-text.c) ====
 *
 * For formats that embed trace fields, such as the cowexpect file: the same
 * lexer, path rules and data syntax as a trace line.  Errors fill err (when
 * not NULL) with line 0 and a column relative to text.
 */

/* Reject NUL bytes and invalid UTF-8, as a trace line does. */
int cowfs_text_check(const char *text, size_t len, struct cowfs_trace_error *err);
/* The next field of text from *pos (quoted fields keep their quotes; '#' at
 * the start of a field ends the line): 1 with [*start, *start + *flen), 0 at
 * the end, negative on error.  *pos moves past the field. */
int cowfs_text_next_field(const char *text, size_t len, size_t *pos, size_t *start,
			  size_t *flen, struct cowfs_trace_error *err);
/* The 1-based character column of byte off of text. */
unsigned cowfs_text_col(const char *text, size_t len, size_t off);
/* A number as a trace writes one (decimal, 0x hex, K/M/G); what names it in errors. */
int cowfs_text_number(const char *text, size_t len, const char *what, uint64_t *v,
		      struct cowfs_trace_error *err);
/* One path field, quoted or not: a malloc'd NUL-terminated copy of its bytes. */
int cowfs_text_path(const char *text, size_t len, char **path, size_t *path_len,
		    struct cowfs_trace_error *err);
/* A path as a trace writes it (quoted and escaped when it needs to be). */
int cowfs_text_path_format(FILE *f, const char *path, size_t len);

/*
 * A data spec in trace syntax (stamp, rand:SEED, fill:B, zero, hex:HEX) for the
 * file range [off, off + range_len): hex must hold exactly 2 x range_len digits.
 * On success *spec holds one reference (cowfs_data_put).  -COWFS_ETRACE on a
 * syntax error, with the message in errbuf (or err, with its column).
 */
int cowfs_data_spec_parse(const char *text, size_t len, uint64_t off, uint64_t range_len,
			  struct cowfs_data_spec *spec, char *errbuf, size_t errsz);
int cowfs_data_spec_parse_err(const char *text, size_t len, uint64_t off, uint64_t range_len,
			      struct cowfs_data_spec *spec, struct cowfs_trace_error *err);
/* Write spec as cowfs_data_spec_parse reads it for [off, off + len): a hex spec
 * writes only those bytes (-ERANGE if it does not cover them).  -EIO on a write error. */
int cowfs_data_spec_format(FILE *f, const struct cowfs_data_spec *spec, uint64_t off,
			   uint64_t len);

#endif
