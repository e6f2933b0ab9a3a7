/* Reading a "cowexpect 1" file (doc/expect.md).
 *
 * Line-based like a trace, with the trace's lexer, paths and data specs, so
 * every error names the file, line and column.  The first error stops the read.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/expect.h"
#include "cowfs/error.h"

#define EXPECT_MAX_LINE (64u << 20)
#define SHOW_MAX 48

struct field {
	const char *p;
	size_t len, off;
};

struct xparse {
	cowfs_expect *e;
	struct cowfs_trace_error *err;
	const char *text;
	size_t len, pos, end;
	uint64_t lineno;
	bool header;
	cowfs_expect_entry *file;	/* the file that range lines add to, or NULL */
	struct entry_src { uint64_t line; unsigned col; } *src;	/* by entry index */
	size_t src_cap;
	char show[SHOW_MAX + 8];
};

__attribute__((format(printf, 3, 4)))
static int perr(struct xparse *x, size_t off, const char *fmt, ...)
{
	va_list ap;

	x->err->line = x->lineno;
	x->err->col = cowfs_text_col(x->text, x->len, off);
	va_start(ap, fmt);
	vsnprintf(x->err->msg, sizeof(x->err->msg), fmt, ap);
	va_end(ap);
	return -COWFS_ETRACE;
}

/* An error a text helper reported inside the field at byte off: make its column absolute. */
static int suberr(struct xparse *x, size_t off, const struct cowfs_trace_error *sub, int r)
{
	unsigned col = cowfs_text_col(x->text, x->len, off);

	x->err->line = x->lineno;
	x->err->col = sub->col ? col + sub->col - 1 : col;
	memcpy(x->err->msg, sub->msg, sizeof(x->err->msg));
	return r;
}

/* "'text'", cut short (at a character boundary) after SHOW_MAX bytes. */
static const char *show(struct xparse *x, const struct field *f)
{
	size_t n = f->len;

	if (n > SHOW_MAX) {
		n = SHOW_MAX;
		while (n && ((unsigned char)f->p[n] & 0xC0) == 0x80)
			n--;
	}
	snprintf(x->show, sizeof(x->show), "'%.*s%s'", (int)n, f->p, n < f->len ? "..." : "");
	return x->show;
}

static bool is(const struct field *f, const char *word)
{
	return f->len == strlen(word) && !memcmp(f->p, word, f->len);
}

/* 1 and *f, 0 at the end of the line, negative on error. */
static int next(struct xparse *x, struct field *f)
{
	struct cowfs_trace_error sub = { .line = 0 };
	size_t start, flen;
	int r = cowfs_text_next_field(x->text, x->len, &x->pos, &start, &flen, &sub);

	if (r < 0)
		return suberr(x, 0, &sub, r);
	if (r > 0) {
		*f = (struct field){ x->text + start, flen, start };
		x->end = start + flen;
	}
	return r;
}

/* The next field, which must be there: what names it in the message. */
static int need(struct xparse *x, struct field *f, const char *what, const char *after)
{
	int r = next(x, f);

	if (r == 0)
		return perr(x, x->end, "expected %s after %s, found end of line", what, after);
	return r;
}

static int number(struct xparse *x, const struct field *f, const char *what, uint64_t *v)
{
	struct cowfs_trace_error sub = { .line = 0 };
	int r = cowfs_text_number(f->p, f->len, what, v, &sub);

	return r < 0 ? suberr(x, f->off, &sub, r) : 0;
}

static int parse_header(struct xparse *x)
{
	struct field f;
	int r = next(x, &f);

	if (r <= 0)
		return r;
	if (!is(&f, "cowexpect"))
		return perr(x, f.off, "expected the header 'cowexpect 1', found %s", show(x, &f));
	if ((r = need(x, &f, "the version", "'cowexpect'")) < 0)
		return r;
	if (!is(&f, "1"))
		return perr(x, f.off, "unsupported expect version %s, expected 'cowexpect 1'",
			    show(x, &f));
	if ((r = next(x, &f)) > 0)
		return perr(x, f.off, "unexpected field %s after 'cowexpect 1'", show(x, &f));
	if (r == 0)
		x->header = true;
	return r;
}

static int remember(struct xparse *x, const cowfs_expect_entry *ent, size_t off)
{
	if (ent->index >= x->src_cap) {
		size_t cap = x->src_cap ? x->src_cap * 2 : 64;
		void *p = reallocarray(x->src, cap, sizeof(*x->src));

		if (!p)
			return -ENOMEM;
		x->src = p;
		x->src_cap = cap;
	}
	x->src[ent->index] = (struct entry_src){ x->lineno, cowfs_text_col(x->text, x->len, off) };
	return 0;
}

static bool has_exact_size(const cowfs_expect_entry *ent, uint64_t v)
{
	for (size_t i = 0; i < ent->nr_sizes; i++)
		if (ent->sizes[i] == v)
			return true;
	return false;
}

/* One item of size=: N, or LO-HI for every size in between. */
static int parse_size_item(struct xparse *x, const struct field *item, cowfs_expect_entry *ent)
{
	const char *dash = memchr(item->p, '-', item->len);
	struct field a = *item, b;
	uint64_t lo, hi;
	int r;

	if (!dash) {
		if ((r = number(x, &a, "size", &lo)) < 0)
			return r;
		if (has_exact_size(ent, lo))
			return perr(x, a.off, "size %llu listed twice", (unsigned long long)lo);
		return cowfs_expect_add_size(ent, lo) < 0 ? perr(x, a.off, "out of memory") : 0;
	}
	a.len = (size_t)(dash - item->p);
	b = (struct field){ dash + 1, item->len - a.len - 1, item->off + a.len + 1 };
	if ((r = number(x, &a, "size", &lo)) < 0 || (r = number(x, &b, "size", &hi)) < 0)
		return r;
	if (lo > hi)
		return perr(x, a.off, "size run %llu-%llu goes backwards", (unsigned long long)lo,
			    (unsigned long long)hi);
	return cowfs_expect_add_size_span(ent, lo, hi) < 0 ? perr(x, a.off, "out of memory") : 0;
}

static int parse_sizes(struct xparse *x, const struct field *f, cowfs_expect_entry *ent)
{
	size_t i = 5;			/* after "size=" */

	do {
		size_t j = i;
		struct field item;
		int r;

		while (j < f->len && f->p[j] != ',')
			j++;
		item = (struct field){ f->p + i, j - i, f->off + i };
		if ((r = parse_size_item(x, &item, ent)) < 0)
			return r;
		i = j + 1;
	} while (i <= f->len);
	return 0;
}

/* After the path: a presence word and, for a file, size=N[,N...]; any order, once each. */
static int parse_attrs(struct xparse *x, enum cowfs_expect_type type,
		       enum cowfs_expect_presence *presence, struct field *sizes)
{
	const char *valid = type == COWFS_EXPECT_FILE ?
		"must, may, must-not or size=N[,N...]" : "must, may or must-not";
	bool have_presence = false;
	struct field f;
	int r;

	*presence = COWFS_EXPECT_MUST;
	*sizes = (struct field){ NULL, 0, 0 };
	while ((r = next(x, &f)) > 0) {
		int p = is(&f, "must") ? COWFS_EXPECT_MUST : is(&f, "may") ? COWFS_EXPECT_MAY :
			is(&f, "must-not") ? COWFS_EXPECT_MUST_NOT : -1;

		if (p >= 0) {
			if (have_presence)
				return perr(x, f.off, "presence given twice");
			have_presence = true;
			*presence = (enum cowfs_expect_presence)p;
		} else if (type == COWFS_EXPECT_FILE && f.len >= 5 && !memcmp(f.p, "size=", 5)) {
			if (sizes->p)
				return perr(x, f.off, "size= given twice");
			*sizes = f;
		} else {
			return perr(x, f.off, "unknown field %s, expected %s", show(x, &f), valid);
		}
	}
	return r;
}

static int check_root(struct xparse *x, const struct field *pf, enum cowfs_expect_type type,
		      enum cowfs_expect_presence presence)
{
	if (type != COWFS_EXPECT_DIR)
		return perr(x, pf->off, "the root '/' is a directory");
	if (presence != COWFS_EXPECT_MUST)
		return perr(x, pf->off, "the root '/' always exists");
	return 0;
}

static int parse_entry(struct xparse *x, const struct field *kw, enum cowfs_expect_type type)
{
	struct cowfs_trace_error sub = { .line = 0 };
	enum cowfs_expect_presence presence;
	const cowfs_expect_entry *old;
	cowfs_expect_entry *ent;
	struct field pf, sizes;
	size_t plen;
	char *path;
	int r;

	x->file = NULL;
	if ((r = need(x, &pf, "a path", type == COWFS_EXPECT_DIR ? "'dir'" : "'file'")) < 0)
		return r;
	if ((r = cowfs_text_path(pf.p, pf.len, &path, &plen, &sub)) < 0)
		return suberr(x, pf.off, &sub, r);
	old = cowfs_expect_find(x->e, path, plen);
	if (old) {
		free(path);
		return perr(x, pf.off, "path %s is listed twice (first at line %llu)",
			    show(x, &pf), (unsigned long long)x->src[old->index].line);
	}
	r = parse_attrs(x, type, &presence, &sizes);
	if (r == 0 && plen == 1)
		r = check_root(x, &pf, type, presence);
	if (r == 0)
		r = cowfs_expect_add(x->e, path, plen, type, presence, &ent);
	free(path);
	if (r == -ENOMEM)
		return perr(x, kw->off, "out of memory");
	if (r < 0)
		return r;
	if ((r = remember(x, ent, pf.off)) < 0)
		return perr(x, kw->off, "out of memory");
	if (type == COWFS_EXPECT_DIR)
		return 0;
	if (presence == COWFS_EXPECT_MUST_NOT)
		return sizes.p ? perr(x, sizes.off, "size= is not allowed on a must-not file") : 0;
	if (!sizes.p)
		return perr(x, x->end, "a must or may file needs size=N[,N...]");
	x->file = ent;
	return parse_sizes(x, &sizes, ent);
}

/* zeros, any, or LINE:SPEC with the spec in trace syntax for [start, end). */
static int parse_cand(struct xparse *x, const struct field *f, uint64_t start, uint64_t end,
		      struct cowfs_expect_cand *c)
{
	struct cowfs_trace_error sub = { .line = 0 };
	const char *colon;
	struct field num;
	int r;

	*c = (struct cowfs_expect_cand){ .kind = COWFS_CAND_ZEROS };
	if (is(f, "zeros"))
		return 0;
	c->kind = COWFS_CAND_ANY;
	if (is(f, "any"))
		return 0;
	colon = memchr(f->p, ':', f->len);
	if (!colon)
		return perr(x, f->off, "expected a candidate, zeros, any or LINE:SPEC, found %s",
			    show(x, f));
	num = (struct field){ f->p, (size_t)(colon - f->p), f->off };
	if ((r = number(x, &num, "LINE", &c->line)) < 0)
		return r;
	if (!c->line)
		return perr(x, f->off, "line 0 in a candidate: trace lines start at 1");
	num = (struct field){ colon + 1, f->len - num.len - 1, f->off + num.len + 1 };
	r = cowfs_data_spec_parse_err(num.p, num.len, start, end - start, &c->data, &sub);
	if (r < 0)
		return suberr(x, num.off, &sub, r);
	c->kind = COWFS_CAND_DATA;
	return 0;
}

static int parse_cands(struct xparse *x, uint64_t start, uint64_t end, size_t at)
{
	struct cowfs_expect_cand *cands = NULL;
	size_t n = 0, cap = 0;
	struct field f;
	int r;

	while ((r = next(x, &f)) > 0) {
		if (n == cap) {
			void *p = reallocarray(cands, cap = cap ? cap * 2 : 4, sizeof(*cands));

			if (!p) {
				r = perr(x, f.off, "out of memory");
				break;
			}
			cands = p;
		}
		if ((r = parse_cand(x, &f, start, end, &cands[n])) < 0)
			break;
		n++;
	}
	if (r == 0 && !n)
		r = perr(x, at, "expected at least one candidate (zeros, any or LINE:SPEC) after LEN");
	if (r == 0 && cowfs_expect_add_range(x->file, start, end, cands, n) < 0)
		r = perr(x, at, "out of memory");
	for (size_t i = 0; i < n; i++)
		cowfs_data_put(&cands[i].data);
	free(cands);
	return r;
}

static int parse_range(struct xparse *x, const struct field *kw)
{
	const struct cowfs_expect_entry *ent = x->file;
	uint64_t off, len, max;
	struct field fo, fl;
	int r;

	if (!ent)
		return perr(x, kw->off, "range outside a file: it must follow a must or may file line");
	if ((r = need(x, &fo, "OFF", "'range'")) < 0 || (r = number(x, &fo, "OFF", &off)) < 0)
		return r;
	if ((r = need(x, &fl, "LEN", "OFF")) < 0 || (r = number(x, &fl, "LEN", &len)) < 0)
		return r;
	if (!len)
		return perr(x, fl.off, "range LEN must be at least 1");
	if (len > UINT64_MAX - off)
		return perr(x, fl.off, "range OFF + LEN overflows 64 bits");
	if (ent->nr_ranges && off < ent->ranges[ent->nr_ranges - 1].end)
		return perr(x, fo.off, "range [%llu, %llu) starts before the end of the previous range (%llu)",
			    (unsigned long long)off, (unsigned long long)(off + len),
			    (unsigned long long)ent->ranges[ent->nr_ranges - 1].end);
	max = expect_max_size(ent);
	if (off + len > max)
		return perr(x, fl.off, "range [%llu, %llu) ends past the largest size %llu",
			    (unsigned long long)off, (unsigned long long)(off + len),
			    (unsigned long long)max);
	return parse_cands(x, off, off + len, x->end);
}

static int parse_line(struct xparse *x)
{
	struct cowfs_trace_error sub = { .line = 0 };
	struct field kw;
	int r;

	x->pos = x->end = 0;
	if ((r = cowfs_text_check(x->text, x->len, &sub)) < 0)
		return suberr(x, 0, &sub, r);
	if (!x->header)
		return parse_header(x);
	if ((r = next(x, &kw)) <= 0)
		return r;
	if (is(&kw, "dir"))
		return parse_entry(x, &kw, COWFS_EXPECT_DIR);
	if (is(&kw, "file"))
		return parse_entry(x, &kw, COWFS_EXPECT_FILE);
	if (is(&kw, "range"))
		return parse_range(x, &kw);
	return perr(x, kw.off, "unknown entry %s, expected dir, file or range", show(x, &kw));
}

/* msg, with the path written as a trace writes it in place of %P. */
static int path_err(struct xparse *x, const cowfs_expect_entry *ent, const char *before,
		    const char *after)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *m = open_memstream(&buf, &size);

	x->err->line = x->src[ent->index].line;
	x->err->col = x->src[ent->index].col;
	if (!m)
		return -ENOMEM;
	fputs(before, m);
	cowfs_text_path_format(m, ent->path, ent->path_len);
	fputs(after, m);
	if (fclose(m) || !buf) {
		free(buf);
		return -ENOMEM;
	}
	snprintf(x->err->msg, sizeof(x->err->msg), "%s", buf);
	free(buf);
	return -COWFS_ETRACE;
}

/* Every listed path but the root sits in a listed directory that may hold it. */
static int check_parents(struct xparse *x)
{
	for (const cowfs_expect_entry *ent = cowfs_expect_first(x->e); ent;
	     ent = cowfs_expect_next(ent)) {
		size_t plen = (size_t)(strrchr(ent->path, '/') - ent->path);
		const cowfs_expect_entry *parent;

		if (ent->path_len == 1)
			continue;
		parent = cowfs_expect_find(x->e, ent->path, plen ? plen : 1);
		if (!parent && plen)
			return path_err(x, ent, "the parent directory of ", " is not listed");
		if (!parent)
			continue;
		if (parent->type != COWFS_EXPECT_DIR)
			return path_err(x, ent, "the parent of ", " is a file");
		if (parent->presence == COWFS_EXPECT_MUST_NOT &&
		    ent->presence != COWFS_EXPECT_MUST_NOT)
			return path_err(x, ent, "the parent of ", " must not exist");
	}
	return 0;
}

/* One line into buf, without its "\n" (and a trailing "\r"): 1, 0 at the end, negative on error. */
static int read_line(FILE *f, char **buf, size_t *cap, size_t *len, struct xparse *x)
{
	size_t n = 0;
	int c;

	while ((c = getc_unlocked(f)) != EOF && c != '\n') {
		if (n + 1 >= *cap) {
			size_t ncap = *cap ? *cap * 2 : 256;
			char *p;

			if (n + 1 >= EXPECT_MAX_LINE) {
				x->lineno++;
				return perr(x, 0, "line longer than %u bytes", EXPECT_MAX_LINE);
			}
			if (!(p = realloc(*buf, ncap)))
				return -ENOMEM;
			*buf = p;
			*cap = ncap;
		}
		(*buf)[n++] = (char)c;
	}
	if (ferror(f)) {
		x->err->line = 0;
		x->err->col = 0;
		snprintf(x->err->msg, sizeof(x->err->msg), "read error");
		return -EIO;
	}
	if (c == EOF && n == 0)
		return 0;
	if (n && (*buf)[n - 1] == '\r')
		n--;
	*len = n;
	x->lineno++;
	return 1;
}

static int read_all(FILE *f, struct xparse *x)
{
	char *buf = NULL;
	size_t cap = 0, len = 0;
	int r;

	while ((r = read_line(f, &buf, &cap, &len, x)) > 0) {
		x->text = buf ? buf : "";
		x->len = len;
		if ((r = parse_line(x)) < 0)
			break;
	}
	free(buf);
	x->text = NULL;
	x->len = 0;
	if (r == 0 && !x->header) {
		x->lineno++;
		return perr(x, 0, "expected the header 'cowexpect 1', found end of file");
	}
	return r < 0 ? r : check_parents(x);
}

int cowfs_expect_read_file(FILE *f, const char *name, cowfs_expect **out,
			   struct cowfs_trace_error *err)
{
	struct cowfs_trace_error dummy;
	struct xparse x = { .err = err ? err : &dummy };
	int r;

	*x.err = (struct cowfs_trace_error){ .line = 0 };
	snprintf(x.err->file, sizeof(x.err->file), "%s", name);
	if ((r = cowfs_expect_new(&x.e)) < 0)
		return r;
	r = read_all(f, &x);
	free(x.src);
	if (r == -ENOMEM && !x.err->msg[0])
		snprintf(x.err->msg, sizeof(x.err->msg), "out of memory");
	if (r < 0) {
		cowfs_expect_free(x.e);
		return r;
	}
	*out = x.e;
	return 0;
}

int cowfs_expect_read(const char *path, cowfs_expect **out, struct cowfs_trace_error *err)
{
	FILE *f = fopen(path, "r");
	int r;

	if (!f) {
		r = -errno;
		if (err) {
			*err = (struct cowfs_trace_error){ .line = 0 };
			snprintf(err->file, sizeof(err->file), "%s", path);
			snprintf(err->msg, sizeof(err->msg), "cannot open: %s", cowfs_strerror(r));
		}
		return r;
	}
	r = cowfs_expect_read_file(f, path, out, err);
	fclose(f);
	return r;
}
