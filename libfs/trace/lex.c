/* Fields, columns, numbers and error messages of one trace line. */
#include <stdio.h>
#include <string.h>

#include "trace/lex.h"
#include "trace/priv.h"

static int vtrace_err(struct cowfs_trace_error *err, uint64_t line, unsigned col,
		      const char *fmt, va_list ap)
{
	if (err) {
		err->line = line;
		err->col = col;
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	}
	return -COWFS_ETRACE;
}

int trace_err(struct cowfs_trace_error *err, uint64_t line, unsigned col, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vtrace_err(err, line, col, fmt, ap);
	va_end(ap);
	return r;
}

int trace_line_err(const struct trace_line *l, size_t off, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vtrace_err(l->err, l->lineno, trace_col(l, off), fmt, ap);
	va_end(ap);
	return r;
}

int cowfs_trace_format_error(const struct cowfs_trace_error *err, char *buf, size_t size)
{
	if (!err->line)
		return snprintf(buf, size, "%s: %s", err->file, err->msg);
	if (!err->col)
		return snprintf(buf, size, "%s:%llu: %s", err->file,
				(unsigned long long)err->line, err->msg);
	return snprintf(buf, size, "%s:%llu:%u: %s", err->file, (unsigned long long)err->line,
			err->col, err->msg);
}

void trace_line_init(struct trace_line *l, const char *text, size_t len, uint64_t lineno,
		     struct cowfs_trace_error *err)
{
	*l = (struct trace_line){ .text = text, .len = len, .lineno = lineno, .err = err };
}

unsigned trace_col(const struct trace_line *l, size_t off)
{
	unsigned col = 1;

	/* Count characters: every byte that is not a UTF-8 continuation starts one. */
	for (size_t i = 0; i < off && i < l->len; i++)
		if (((unsigned char)l->text[i] & 0xC0) != 0x80)
			col++;
	return col;
}

/* RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF. */
size_t trace_utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xBF;
	size_t need;

	if (c < 0x80)
		return 1;
	if (c < 0xC2)
		return 0;
	need = c < 0xE0 ? 2 : c < 0xF0 ? 3 : c < 0xF5 ? 4 : 0;
	if (!need || n < need)
		return 0;
	if (c == 0xE0)
		lo = 0xA0;
	else if (c == 0xED)
		hi = 0x9F;
	else if (c == 0xF0)
		lo = 0x90;
	else if (c == 0xF4)
		hi = 0x8F;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < need; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	return need;
}

int trace_line_check(struct trace_line *l)
{
	const unsigned char *s = (const unsigned char *)l->text;

	for (size_t i = 0; i < l->len;) {
		size_t n;

		if (s[i] == 0)
			return trace_line_err(l, i, "NUL byte in the trace; write unusual path bytes as \\xHH in a quoted path");
		n = trace_utf8_len(s + i, l->len - i);
		if (!n)
			return trace_line_err(l, i, "invalid UTF-8 (byte 0x%02x); write unusual path bytes as \\xHH in a quoted path",
					      s[i]);
		i += n;
	}
	return 0;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

int trace_next_field(struct trace_line *l, struct trace_field *f)
{
	const char *t = l->text;
	size_t i = l->pos, j;

	while (i < l->len && is_blank(t[i]))
		i++;
	if (i == l->len || t[i] == '#') {
		l->pos = l->len;
		return 0;
	}
	*f = (struct trace_field){ .p = t + i, .off = i, .quoted = t[i] == '"' };
	if (f->quoted) {
		for (j = i + 1; j < l->len && t[j] != '"'; j++)
			if (t[j] == '\\' && j + 1 < l->len)
				j++;
		if (j >= l->len)
			return trace_line_err(l, i, "unterminated quote: missing closing '\"'");
		j++;
		if (j < l->len && !is_blank(t[j])) {
			char show[TRACE_SHOW_MAX];
			size_t n = trace_utf8_len((const unsigned char *)t + j, l->len - j);

			return trace_line_err(l, j, "expected a space after the closing quote, found %s",
					      trace_show(show, t + j, n));
		}
	} else {
		for (j = i; j < l->len && !is_blank(t[j]); j++)
			;
	}
	f->len = j - i;
	l->pos = l->end = j;
	return 1;
}

const char *trace_show(char *buf, const char *p, size_t len)
{
	const size_t keep = TRACE_SHOW_MAX - 8;
	size_t n = len;

	if (!len)
		return "nothing";
	if (n > keep) {
		n = keep;
		/* Do not cut a UTF-8 character in two. */
		while (n && ((unsigned char)p[n] & 0xC0) == 0x80)
			n--;
	}
	snprintf(buf, TRACE_SHOW_MAX, "'%.*s%s'", (int)n, p, n < len ? "..." : "");
	return buf;
}

int trace_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int digit(char c, unsigned base)
{
	int d = trace_hexval(c);

	return d >= 0 && (unsigned)d < base ? d : -1;
}

static unsigned suffix_shift(char c)
{
	return c == 'K' ? 10 : c == 'M' ? 20 : c == 'G' ? 30 : 0;
}

int trace_number(const struct trace_line *l, const char *p, size_t len, size_t off,
		 const char *what, uint64_t *out)
{
	char show[TRACE_SHOW_MAX];
	unsigned base = 10, shift = 0;
	bool overflow = false;
	uint64_t v = 0;
	size_t i = 0, start;
	int d;

	if (len > 2 && p[0] == '0' && p[1] == 'x') {
		base = 16;
		i = 2;
	}
	for (start = i; i < len && (d = digit(p[i], base)) >= 0; i++) {
		if (v > (UINT64_MAX - (unsigned)d) / base)
			overflow = true;
		v = v * base + (unsigned)d;
	}
	if (i > start && i + 1 == len && suffix_shift(p[i]))
		shift = suffix_shift(p[i++]);
	if (i == start || i < len)
		return trace_line_err(l, off, "expected a number for %s, found %s", what,
				      trace_show(show, p, len));
	if (shift && v > UINT64_MAX >> shift)
		overflow = true;
	if (overflow)
		return trace_line_err(l, off, "number %s for %s overflows 64 bits",
				      trace_show(show, p, len), what);
	*out = v << shift;
	return 0;
}
