/* Trace fields as text, for formats that embed them (the cowexpect file).
 *
 * Each function runs the trace's own lexer, path rules and data syntax over
 * a piece of text, so a path or a data spec reads the same in a trace and in
 * anything derived from one.  Errors carry a column relative to the text
 * (line 0): the embedding format adds its own line and column.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "trace/lex.h"
#include "trace/parse.h"
#include "trace/priv.h"

static void text_line(struct trace_line *l, const char *text, size_t len,
		      struct cowfs_trace_error *err)
{
	trace_line_init(l, text, len, 0, err);
}

int cowfs_text_check(const char *text, size_t len, struct cowfs_trace_error *err)
{
	struct trace_line l;

	text_line(&l, text, len, err);
	return trace_line_check(&l);
}

int cowfs_text_next_field(const char *text, size_t len, size_t *pos, size_t *start,
			  size_t *flen, struct cowfs_trace_error *err)
{
	struct trace_line l;
	struct trace_field f;
	int r;

	text_line(&l, text, len, err);
	l.pos = *pos;
	r = trace_next_field(&l, &f);
	*pos = l.pos;
	if (r > 0) {
		*start = f.off;
		*flen = f.len;
	}
	return r;
}

unsigned cowfs_text_col(const char *text, size_t len, size_t off)
{
	struct trace_line l;

	text_line(&l, text, len, NULL);
	return trace_col(&l, off);
}

int cowfs_text_number(const char *text, size_t len, const char *what, uint64_t *v,
		      struct cowfs_trace_error *err)
{
	struct trace_line l;

	text_line(&l, text, len, err);
	return trace_number(&l, text, len, 0, what, v);
}

int cowfs_text_path(const char *text, size_t len, char **path, size_t *path_len,
		    struct cowfs_trace_error *err)
{
	struct trace_line l;
	struct trace_field f;
	int r;

	text_line(&l, text, len, err);
	r = trace_next_field(&l, &f);
	if (r < 0)
		return r;
	if (r == 0 || f.off != 0 || f.len != len)
		return trace_line_err(&l, r ? f.off + f.len : 0,
				      "expected one path field (quote a path holding spaces)");
	return trace_path(&l, &f, path, path_len);
}

int cowfs_text_path_format(FILE *f, const char *path, size_t len)
{
	return trace_path_write(f, path, len);
}

int cowfs_data_spec_parse_err(const char *text, size_t len, uint64_t off, uint64_t range_len,
			      struct cowfs_data_spec *spec, struct cowfs_trace_error *err)
{
	struct cowfs_trace_op op = { .off = off, .len = range_len };
	struct trace_line l;
	int r;

	text_line(&l, text, len, err);
	if (range_len > UINT64_MAX - off)
		return trace_line_err(&l, 0, "range %llu + %llu overflows 64 bits",
				      (unsigned long long)off, (unsigned long long)range_len);
	r = trace_line_check(&l);
	if (r < 0)
		return r;
	r = trace_parse_data(&l, text, len, 0, &op);
	if (r < 0) {
		cowfs_data_put(&op.data);
		return r;
	}
	*spec = op.data;
	return 0;
}

int cowfs_data_spec_parse(const char *text, size_t len, uint64_t off, uint64_t range_len,
			  struct cowfs_data_spec *spec, char *errbuf, size_t errsz)
{
	struct cowfs_trace_error err = { .line = 0 };
	int r = cowfs_data_spec_parse_err(text, len, off, range_len, spec, &err);

	if (r < 0 && errbuf && errsz)
		snprintf(errbuf, errsz, "%s", err.msg);
	return r;
}

int cowfs_data_spec_format(FILE *f, const struct cowfs_data_spec *spec, uint64_t off,
			   uint64_t len)
{
	if (spec->kind != COWFS_DATA_HEX)
		return trace_data_write(f, spec);
	/* Only the bytes of [off, off + len): a later write may have cut the range. */
	if (off < spec->hex_off || off - spec->hex_off > spec->hex_len ||
	    len > spec->hex_len - (off - spec->hex_off))
		return -ERANGE;
	fputs("hex:", f);
	for (uint64_t i = 0; i < len; i++)
		fprintf(f, "%02x", spec->hex[off - spec->hex_off + i]);
	return ferror(f) ? -EIO : 0;
}
