/* Paths in a trace: absolute, components 1..255 bytes, not "." or "..", no NUL.
 * Unusual bytes go in double quotes with \\, \" and \xHH escapes; escapes
 * mean nothing outside quotes, so an unquoted path may not hold '\' or '"'.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/lex.h"
#include "trace/priv.h"

#define NAME_MAX_BYTES 255

enum trace_path_fault trace_path_check(const char *path, size_t len, size_t *index)
{
	size_t start = 1;

	*index = 0;
	if (!len || path[0] != '/')
		return PATH_RELATIVE;
	for (size_t i = 1; i <= len; i++) {
		size_t clen = i - start;

		if (i < len && path[i] == '\0') {
			*index = i;
			return PATH_NUL;
		}
		if (i < len && path[i] != '/')
			continue;
		if (!clen && len == 1)
			break;			/* "/": the root */
		if (!clen) {
			*index = i == len ? i - 1 : i;
			return i == len ? PATH_TRAILING : PATH_EMPTY;
		}
		*index = start;
		if (clen > NAME_MAX_BYTES)
			return PATH_LONG;
		if (path[start] == '.' && (clen == 1 || (clen == 2 && path[start + 1] == '.')))
			return PATH_DOT;
		start = i + 1;
	}
	return PATH_OK;
}

/* Decode one source unit of a quoted path at s[i]: its byte and its width, or 0 if bad. */
static size_t unescape_one(const char *s, size_t n, size_t i, unsigned char *byte)
{
	int hi, lo;

	if (s[i] != '\\') {
		*byte = (unsigned char)s[i];
		return 1;
	}
	if (i + 1 < n && (s[i + 1] == '\\' || s[i + 1] == '"')) {
		*byte = (unsigned char)s[i + 1];
		return 2;
	}
	if (i + 3 < n && s[i + 1] == 'x' && (hi = trace_hexval(s[i + 2])) >= 0 &&
	    (lo = trace_hexval(s[i + 3])) >= 0) {
		*byte = (unsigned char)(hi << 4 | lo);
		return 4;
	}
	return 0;
}

/* Byte offset, in the field's text s[0, n), of the source of decoded byte idx. */
static size_t source_of(const char *s, size_t n, bool quoted, size_t idx)
{
	size_t i = 0;
	unsigned char b;

	for (size_t out = 0; out < idx && i < n; out++)
		i += quoted ? unescape_one(s, n, i, &b) : 1;
	return i;
}

static int bad_escape(const struct trace_line *l, size_t off, const char *s, size_t n)
{
	char show[TRACE_SHOW_MAX];
	size_t w = 2;

	if (n > 1 && s[1] == 'x')
		w = n < 4 ? n : 4;
	else if (n > 1)
		w = 1 + trace_utf8_len((const unsigned char *)s + 1, n - 1);
	return trace_line_err(l, off, "bad escape %s in path, expected \\\\, \\\" or \\xHH",
			      trace_show(show, s, w));
}

static int path_fault(const struct trace_line *l, const struct trace_field *f,
		      enum trace_path_fault fault, const char *path, size_t plen, size_t at)
{
	const char *s = f->quoted ? f->p + 1 : f->p;
	size_t off = f->off + f->quoted + source_of(s, f->quoted ? f->len - 2 : f->len, f->quoted, at);
	const char *slash = memchr(path + at, '/', plen - at);
	size_t clen = (slash ? (size_t)(slash - path) : plen) - at;
	char show[TRACE_SHOW_MAX];

	switch (fault) {
	case PATH_RELATIVE:
		return trace_line_err(l, f->off, "expected an absolute path (starting with '/'), found %s",
				      trace_show(show, f->p, f->len));
	case PATH_EMPTY:
		return trace_line_err(l, off, "empty path component ('//')");
	case PATH_TRAILING:
		return trace_line_err(l, off, "path may not end with '/'");
	case PATH_DOT:
		return trace_line_err(l, off, "path component '%.*s' is not allowed", (int)clen,
				      path + at);
	case PATH_LONG:
		return trace_line_err(l, off, "path component of %zu bytes, longer than %d", clen,
				      NAME_MAX_BYTES);
	case PATH_NUL:
		return trace_line_err(l, off, "path contains a NUL byte");
	case PATH_OK:
		break;
	}
	return 0;
}

static int check_unquoted(const struct trace_line *l, const struct trace_field *f)
{
	for (size_t i = 0; i < f->len; i++)
		if (f->p[i] == '\\' || f->p[i] == '"')
			return trace_line_err(l, f->off + i, "a path holding '%c' must be written in double quotes, escaped",
					      f->p[i]);
	return 0;
}

int trace_path(const struct trace_line *l, const struct trace_field *f, char **path,
	       size_t *path_len)
{
	const char *s = f->quoted ? f->p + 1 : f->p;
	size_t n = f->quoted ? f->len - 2 : f->len, base = f->off + f->quoted, olen = 0, at;
	enum trace_path_fault fault;
	char *out;
	int r;

	if (!f->quoted && (r = check_unquoted(l, f)) < 0)
		return r;
	out = malloc(n + 1);
	if (!out) {
		trace_line_err(l, f->off, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0, w; i < n; i += w) {
		unsigned char b;

		w = f->quoted ? unescape_one(s, n, i, &b) : 1;
		if (!w) {
			free(out);
			return bad_escape(l, base + i, s + i, n - i);
		}
		if (!f->quoted)
			b = (unsigned char)s[i];
		out[olen++] = (char)b;
	}
	out[olen] = '\0';
	fault = trace_path_check(out, olen, &at);
	if (fault != PATH_OK) {
		r = path_fault(l, f, fault, out, olen, at);
		free(out);
		return r;
	}
	*path = out;
	*path_len = olen;
	return 0;
}

static bool plain_byte(unsigned char c)
{
	return c > 0x20 && c < 0x7F && c != '"' && c != '\\' && c != '#';
}

int trace_path_write(FILE *f, const char *path, size_t len)
{
	const unsigned char *s = (const unsigned char *)path;
	size_t i;

	for (i = 0; i < len && plain_byte(s[i]); i++)
		;
	if (i == len)
		return fwrite(path, 1, len, f) == len ? 0 : -EIO;

	fputc('"', f);
	for (i = 0; i < len;) {
		size_t n = s[i] >= 0x80 ? trace_utf8_len(s + i, len - i) : 0;

		if (s[i] == '\\' || s[i] == '"')
			fprintf(f, "\\%c", s[i]);
		else if (s[i] >= 0x20 && s[i] < 0x7F)
			fputc(s[i], f);
		else if (n) {
			fwrite(s + i, 1, n, f);
			i += n;
			continue;
		} else
			fprintf(f, "\\x%02x", s[i]);
		i++;
	}
	fputc('"', f);
	return ferror(f) ? -EIO : 0;
}
