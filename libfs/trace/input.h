/* The byte stream under a trace: a file descriptor or FILE*, plain or zstd,
 * cut into lines.  Only one line is held at a time, so memory is bounded by
 * the longest line (capped), never by the file.
 */
#ifndef COWFS_TRACE_INPUT_H
#define COWFS_TRACE_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cowfs/trace.h"

struct ZSTD_DCtx_s;

struct trace_input {
	int fd;				/* -1 when reading a FILE* */
	bool own_fd;
	FILE *file;

	uint8_t *ibuf;			/* raw bytes read, [ipos, ilen) not consumed yet */
	size_t icap, ilen, ipos;
	bool ieof;

	struct ZSTD_DCtx_s *dctx;	/* NULL for plain text */
	uint8_t *obuf;			/* decompressed bytes, [opos, olen) not consumed yet */
	size_t ocap, olen, opos;
	size_t zret;			/* last ZSTD_decompressStream result: 0 at a frame end */
	bool zflush;			/* the output buffer filled up: more may be pending */

	char *line;			/* the current line, NUL-terminated, without "\n" or "\r\n" */
	size_t line_len, line_cap, max_line;
	uint64_t lineno;		/* of the current line */
};

/* Set up in (fd or file, the other -1/NULL), sniffing the zstd magic. */
int trace_input_init(struct trace_input *in, int fd, bool own_fd, FILE *file,
		     struct cowfs_trace_error *err);
void trace_input_fini(struct trace_input *in);

/* The next line into in->line: 1, 0 at the end, negative on error (err filled). */
int trace_input_next_line(struct trace_input *in, struct cowfs_trace_error *err);

#endif
