/* One line of a trace into a struct cowfs_trace_op. */
#ifndef COWFS_TRACE_PARSE_H
#define COWFS_TRACE_PARSE_H

#include "cowfs/trace.h"
#include "trace/lex.h"

/* The header line: 1 if it is "cowtrace 1", 0 if the line is blank, negative on error. */
int trace_parse_header(struct trace_line *l);

/* An operation or hook line: 1 and *op filled, 0 if the line is blank, negative on error. */
int trace_parse_op(struct trace_line *l, struct cowfs_trace_op *op);

/* A DATA spec (the value of data=) at byte offset off of the line, for op (LEN known). */
int trace_parse_data(struct trace_line *l, const char *p, size_t n, size_t off,
		     struct cowfs_trace_op *op);

#endif
