/* Comparing file bytes with an expectation, block by block, and the messages.
 *
 * A block is compared piece by piece, a piece being its intersection with one
 * range (or with a gap between ranges, where zeros are expected).  A piece is
 * fine when one candidate holds all of it, or else when every byte is held by
 * some candidate (the durability rule is per byte: see byte_cover).  Findings
 * of adjacent pieces that say the same thing merge.
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/expect-check.h"
#include "cowfs/error.h"

#define BLOCK COWFS_BLOCK

/* ---- messages ---- */

static void put_cand(FILE *m, const struct cowfs_expect_cand *c)
{
	if (c->kind == COWFS_CAND_DATA)
		fprintf(m, "line %llu", (unsigned long long)c->line);
	else
		fputs(c->kind == COWFS_CAND_ZEROS ? "zeros" : "any data", m);
}

static void put_found(FILE *m, enum cowfs_stamp_class found, uint64_t line)
{
	switch (found) {
	case COWFS_STAMP_LINE:
		fprintf(m, "line %llu", (unsigned long long)line);
		break;
	case COWFS_STAMP_ZEROS:
		fputs("zeros", m);
		break;
	case COWFS_STAMP_MIXED:
		fprintf(m, "line %llu mixed with other data", (unsigned long long)line);
		break;
	default:
		fputs("other data", m);
		break;
	}
}

static void put_sizes(FILE *m, const struct cowfs_expect_finding *f)
{
	size_t n = f->nr_sizes + f->nr_spans;

	if (n == 1 && f->nr_sizes) {
		fprintf(m, "%llu", (unsigned long long)f->sizes[0]);
		return;
	}
	fputs(n ? "one of " : "no size", m);
	for (size_t i = 0; i < f->nr_sizes; i++)
		fprintf(m, "%s%llu", i ? ", " : "", (unsigned long long)f->sizes[i]);
	for (size_t i = 0; i < f->nr_spans; i++)
		fprintf(m, "%s%llu-%llu", i || f->nr_sizes ? ", " : "",
			(unsigned long long)f->spans[i].lo, (unsigned long long)f->spans[i].hi);
}

static void put_message(FILE *m, const struct cowfs_expect_finding *f)
{
	cowfs_text_path_format(m, f->path, strlen(f->path));
	if (f->kind == COWFS_EXPECT_CONTENT || f->kind == COWFS_EXPECT_CSUM ||
	    (f->kind == COWFS_EXPECT_UNREADABLE && f->end > f->start))
		fprintf(m, " [%llu, %llu)", (unsigned long long)f->start, (unsigned long long)f->end);
	fputs(": ", m);
	switch (f->kind) {
	case COWFS_EXPECT_CONTENT:
		fputs("expected ", m);
		for (size_t i = 0; i < f->nr_expected; i++) {
			fputs(!i ? "" : i + 1 == f->nr_expected ? " or " : ", ", m);
			put_cand(m, &f->expected[i]);
		}
		fputs(", found ", m);
		put_found(m, f->found, f->found_line);
		break;
	case COWFS_EXPECT_SIZE:
		fprintf(m, "size %llu, expected ", (unsigned long long)f->size);
		put_sizes(m, f);
		break;
	case COWFS_EXPECT_MISSING:
		fputs("missing", m);
		break;
	case COWFS_EXPECT_UNEXPECTED:
		fputs("unexpected", m);
		break;
	case COWFS_EXPECT_TYPE:
		fputs(f->type == COWFS_EXPECT_DIR ? "directory, expected a file" :
		      "file, expected a directory", m);
		break;
	case COWFS_EXPECT_CSUM:
		fputs("checksum mismatch", m);
		break;
	case COWFS_EXPECT_UNREADABLE:
		fprintf(m, "unreadable: %s", cowfs_strerror(f->err));
		break;
	}
}

int xcheck_report(struct xcheck *x, struct cowfs_expect_finding *f)
{
	char *msg = NULL;
	size_t size = 0;
	FILE *m;

	if (x->quiet)
		return 0;
	if (!(m = open_memstream(&msg, &size)))
		return -ENOMEM;
	put_message(m, f);
	if (fclose(m) || !msg) {
		free(msg);
		return -ENOMEM;
	}
	f->message = msg;
	x->findings++;
	if (x->ops->report)
		x->ops->report(x->ops->arg, f);
	f->message = NULL;
	free(msg);
	return 0;
}

/* ---- merging adjacent findings ---- */

static bool same_cands(const struct cowfs_expect_finding *a, const struct cowfs_expect_finding *b)
{
	if (a->nr_expected != b->nr_expected)
		return false;
	for (size_t i = 0; i < a->nr_expected; i++)
		if (a->expected[i].kind != b->expected[i].kind ||
		    a->expected[i].line != b->expected[i].line)
			return false;
	return true;
}

static int flush(struct xcheck *x)
{
	if (!x->pending)
		return 0;
	x->pending = false;
	return xcheck_report(x, &x->pend);
}

static int data_finding(struct xcheck *x, const struct cowfs_expect_finding *f)
{
	struct cowfs_expect_finding *p = &x->pend;

	if (x->pending && p->kind == f->kind && p->end == f->start && p->err == f->err &&
	    p->found == f->found && p->found_line == f->found_line && same_cands(p, f)) {
		p->end = f->end;
		return 0;
	}
	if (flush(x) < 0)
		return -ENOMEM;
	x->pend = *f;
	x->pending = true;
	return 0;
}

/* ---- pieces ---- */

static bool all_zero(const uint8_t *p, size_t n)
{
	return !n || (!p[0] && !memcmp(p, p + 1, n - 1));
}

static bool holds(const struct cowfs_expect_cand *c, uint64_t off, const uint8_t *p, size_t n)
{
	if (c->kind != COWFS_CAND_DATA)
		return c->kind == COWFS_CAND_ANY || all_zero(p, n);
	return cowfs_data_compare(&c->data, c->line, off, p, n) == n;
}

/* What [off, off + n) holds, judged on the whole stamp words inside it. */
static enum cowfs_stamp_class classify(uint64_t off, const uint8_t *p, size_t n, uint64_t *line)
{
	uint64_t a = (off + 7) & ~7ull, b = (off + n) & ~7ull;

	*line = 0;
	if (a < b)
		return (enum cowfs_stamp_class)cowfs_stamp_classify(p + (a - off), b - a, a, line);
	return all_zero(p, n) ? COWFS_STAMP_ZEROS : COWFS_STAMP_NONE;
}

static bool cand_line(const struct cowfs_expect_cand *cands, size_t nr, uint64_t line)
{
	for (size_t i = 0; i < nr; i++)
		if (cands[i].kind == COWFS_CAND_DATA && (cands[i].line & 0xFFFFFF) == line)
			return true;
	return false;
}

/* In mixed data, the line worth naming is one no candidate has: the first such stamp. */
static uint64_t stranger_line(uint64_t off, const uint8_t *p, size_t n,
			      const struct cowfs_expect_cand *cands, size_t nr, uint64_t first)
{
	for (uint64_t x = (off + 7) & ~7ull; x + 8 <= off + n; x += 8) {
		uint64_t le, line;

		memcpy(&le, p + (x - off), 8);
		if (cowfs_stamp_decode(le64toh(le), x, &line) && !cand_line(cands, nr, line))
			return line;
	}
	return first;
}

static void seen_data(struct xcheck *x, const struct cowfs_expect_seen *s)
{
	if (x->ops->seen)
		x->ops->seen(x->ops->arg, s);
}

/* How many bytes from the start of [off, off + n) candidate c holds. */
static size_t run_of(const struct cowfs_expect_cand *c, uint64_t off, const uint8_t *p, size_t n)
{
	size_t i = 0;

	if (c->kind == COWFS_CAND_ANY)
		return n;
	if (c->kind == COWFS_CAND_ZEROS) {
		while (i < n && !p[i])
			i++;
		return i;
	}
	i = cowfs_data_compare(&c->data, c->line, off, p, n);
	return i == (size_t)-1 ? 0 : i;
}

/* The durability rule is per byte: a write cut short and retried (a short copy, a
 * commit between two chunks) can leave one block holding part of it and the older
 * bytes around.  Cover the piece with runs, each held by one candidate (the longest
 * at each point); report them as seen and return true, or false if some byte is
 * held by none, reporting nothing. */
static bool byte_cover(struct xcheck *x, struct cowfs_expect_seen *s, uint64_t off,
		       const uint8_t *p, size_t n, const struct cowfs_expect_cand *cands, size_t nr)
{
	for (size_t i = 0; i < n;) {
		size_t best = 0;

		for (size_t c = 0; c < nr; c++) {
			size_t len = run_of(&cands[c], off + i, p + i, n - i);

			if (len > best)
				best = len;
		}
		if (!best)
			return false;
		i += best;
	}
	for (size_t i = 0; i < n;) {
		size_t best = 0, pick = 0;

		for (size_t c = 0; c < nr; c++) {
			size_t len = run_of(&cands[c], off + i, p + i, n - i);

			if (len > best) {
				best = len;
				pick = c;
			}
		}
		s->start = off + i;
		s->end = off + i + best;
		s->cand = &cands[pick];
		seen_data(x, s);
		i += best;
	}
	return true;
}

static int piece(struct xcheck *x, const struct cowfs_expect_entry *ent, uint64_t off,
		 const uint8_t *p, size_t n, const struct cowfs_expect_cand *cands, size_t nr)
{
	struct cowfs_expect_seen s = {
		.kind = COWFS_SEEN_DATA, .path = ent->path, .path_len = ent->path_len,
		.start = off, .end = off + n, .expected = cands, .nr_expected = nr,
		.listed = !x->quiet,
	};
	struct cowfs_expect_finding f = {
		.kind = COWFS_EXPECT_CONTENT, .path = ent->path, .start = off, .end = off + n,
		.expected = cands, .nr_expected = nr,
	};

	for (size_t i = 0; i < nr; i++)
		if (holds(&cands[i], off, p, n)) {
			s.cand = &cands[i];
			seen_data(x, &s);
			return 0;
		}
	if (nr > 1 && byte_cover(x, &s, off, p, n, cands, nr))
		return 0;
	s.found = f.found = classify(off, p, n, &f.found_line);
	if (f.found == COWFS_STAMP_MIXED)
		f.found_line = stranger_line(off, p, n, cands, nr, f.found_line);
	s.found_line = f.found_line;
	seen_data(x, &s);
	return data_finding(x, &f);
}

/* Bytes [off, off + n) of ent, within one block. */
static int block(struct xcheck *x, const struct cowfs_expect_entry *ent, uint64_t off,
		 const uint8_t *p, size_t n)
{
	size_t ri = expect_range_at(ent, off);
	uint64_t end = off + n;
	int r;

	while (off < end) {
		const struct cowfs_expect_range *rg = ri < ent->nr_ranges ? &ent->ranges[ri] : NULL;
		uint64_t stop = end;

		if (rg && rg->start <= off) {
			stop = rg->end < end ? rg->end : end;
			r = piece(x, ent, off, p, stop - off, rg->cands, rg->nr_cands);
			if (rg->end <= stop)
				ri++;
		} else {
			if (rg && rg->start < end)
				stop = rg->start;
			r = piece(x, ent, off, p, stop - off, &expect_zeros, 1);
		}
		if (r < 0)
			return r;
		p += stop - off;
		off = stop;
	}
	return 0;
}

/* A block that could not be read: a checksum mismatch or another error. */
static int bad_block(struct xcheck *x, const struct cowfs_expect_entry *ent, uint64_t off,
		     size_t n, int err)
{
	struct cowfs_expect_seen s = {
		.kind = COWFS_SEEN_DATA, .path = ent->path, .path_len = ent->path_len,
		.start = off, .end = off + n, .found = COWFS_STAMP_NONE, .listed = !x->quiet,
	};
	struct cowfs_expect_finding f = {
		.kind = err == -COWFS_ECSUM ? COWFS_EXPECT_CSUM : COWFS_EXPECT_UNREADABLE,
		.path = ent->path, .start = off, .end = off + n, .err = err == -COWFS_ECSUM ? 0 : err,
	};

	seen_data(x, &s);
	return data_finding(x, &f);
}

/* [off, off + n) of the file, n <= XCHECK_CHUNK; block by block when the whole read fails. */
static int chunk(struct xcheck *x, const struct cowfs_expect_entry *ent, uint64_t ino,
		 uint64_t off, size_t n)
{
	size_t whole = (n + BLOCK - 1) / BLOCK * BLOCK;
	int r = cowfs_read_file(x->fs, ino, off, x->buf, whole, NULL);

	for (size_t i = 0; i < n; i += BLOCK) {
		size_t bn = n - i < BLOCK ? n - i : BLOCK;
		int rb = r;

		if (r < 0 && r != -ENOMEM)
			rb = cowfs_read_file(x->fs, ino, off + i, x->buf + i, BLOCK, NULL);
		if (rb == -ENOMEM)
			return rb;
		rb = rb < 0 ? bad_block(x, ent, off + i, bn, rb) : block(x, ent, off + i, x->buf + i, bn);
		if (rb < 0)
			return rb;
	}
	return 0;
}

int xcheck_file(struct xcheck *x, const struct cowfs_expect_entry *ent, uint64_t ino,
		uint64_t size)
{
	struct cowfs_expect_seen s = {
		.kind = COWFS_SEEN_SIZE, .path = ent->path, .path_len = ent->path_len, .size = size,
		.listed = !x->quiet,
	};
	struct cowfs_expect_finding f = {
		.kind = COWFS_EXPECT_SIZE, .path = ent->path, .size = size,
		.sizes = ent->sizes, .nr_sizes = ent->nr_sizes,
		.spans = ent->spans, .nr_spans = ent->nr_spans,
	};
	uint64_t max = expect_max_size(ent), limit = size < max ? size : max;
	int r = 0;

	if (x->ops->seen)
		x->ops->seen(x->ops->arg, &s);
	if (!expect_has_size(ent, size) && (r = xcheck_report(x, &f)) < 0)
		return r;
	/* Bytes past every allowed size are not described: the size finding covers them. */
	for (uint64_t off = 0; off < limit && r >= 0; off += XCHECK_CHUNK)
		r = chunk(x, ent, ino, off, limit - off < XCHECK_CHUNK ? limit - off : XCHECK_CHUNK);
	if (r >= 0)
		r = flush(x);
	x->pending = false;
	return r;
}

int cowfs_expect_check_buf(const cowfs_expect *e, const char *path, size_t path_len,
			   uint64_t off, const void *buf, size_t len,
			   cowfs_expect_report_fn fn, void *arg)
{
	const struct cowfs_expect_entry *ent = cowfs_expect_find(e, path, path_len);
	struct cowfs_expect_ops ops = { .arg = arg, .report = fn };
	struct xcheck x = { .e = e, .ops = &ops };
	const uint8_t *p = buf;
	int r = 0;

	if (!ent || ent->type != COWFS_EXPECT_FILE)
		return -ENOENT;
	if (len > UINT64_MAX - off)
		return -EINVAL;
	for (size_t done = 0; done < len && r >= 0;) {
		uint64_t at = off + done, next = (at / BLOCK + 1) * BLOCK;
		size_t n = next - at < len - done ? (size_t)(next - at) : len - done;

		r = block(&x, ent, at, p + done, n);
		done += n;
	}
	if (r >= 0)
		r = flush(&x);
	return r < 0 ? r : (int)x.findings;
}
