/* Cutting one trace line into fields, and reading numbers from them.
 *
 * Fields are separated by spaces or tabs.  A field that starts with '"' runs
 * to the matching unescaped '"'.  A '#' at the start of a field begins a
 * comment; elsewhere it is an ordinary byte (as in "@write.retry#2").
 * Columns in messages count characters (UTF-8 code points), from 1.
 */
#ifndef COWFS_TRACE_LEX_H
#define COWFS_TRACE_LEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cowfs/trace.h"

struct trace_line {
	const char *text;		/* the line, checked by trace_line_check() */
	size_t len;
	uint64_t lineno;
	struct cowfs_trace_error *err;
	size_t pos;			/* where the next field search starts */
	size_t end;			/* just past the last field seen: "end of line" points here */
};

struct trace_field {
	const char *p;			/* in the line; a quoted field includes its quotes */
	size_t len;
	size_t off;			/* byte offset in the line */
	bool quoted;
};

void trace_line_init(struct trace_line *l, const char *text, size_t len, uint64_t lineno,
		     struct cowfs_trace_error *err);

/* Reject NUL bytes and invalid UTF-8 anywhere in the line (comments included). */
int trace_line_check(struct trace_line *l);

/* Column (1-based, in characters) of byte offset off of the line. */
unsigned trace_col(const struct trace_line *l, size_t off);

/* The next field: 1, 0 at the end of the line (or a comment), negative on error. */
int trace_next_field(struct trace_line *l, struct trace_field *f);

/* Error at byte offset off of the line; returns -COWFS_ETRACE. */
int trace_line_err(const struct trace_line *l, size_t off, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * "'text'" for a message, cut short with "..." after a few dozen characters;
 * "nothing" for an empty text.  buf must hold TRACE_SHOW_MAX bytes.
 */
#define TRACE_SHOW_MAX 80
const char *trace_show(char *buf, const char *p, size_t len);

/*
 * A number: decimal, or hex after "0x", then an optional K, M or G (x1024^n).
 * p[0, len) sits at byte offset off of the line; what names it in messages.
 */
int trace_number(const struct trace_line *l, const char *p, size_t len, size_t off,
		 const char *what, uint64_t *out);

/* A path field, unescaped and checked: a NUL-terminated malloc'd copy. */
int trace_path(const struct trace_line *l, const struct trace_field *f, char **path,
	       size_t *path_len);

#endif
