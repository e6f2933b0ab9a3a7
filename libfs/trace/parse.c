/* Parsing operation lines: positionals, then options, then the checks that
 * tie them together (OFF + LEN fits, fault < LEN).
 *
 * Decisions the contract leaves open (doc/trace.md repeats them):
 * - zero is accepted wherever a count or length is (LEN 0, run 0, max=0): the
 *   operation then does nothing, which a generated trace may well ask for;
 *   only the hook count #K must be at least 1.
 * - the root "/" is a valid path to the parser; what an operation does with it
 *   is the replay's business.
 * - options must follow every positional; a bare "data", "fault" or "max" is
 *   an option missing its value, not a positional.
 */
#include <errno.h>
#include <string.h>

#include "trace/parse.h"
#include "trace/priv.h"

#define OPT_KEY_CHARS "abcdefghijklmnopqrstuvwxyz0123456789_"

struct fields_state {
	const struct trace_op_desc *desc;
	unsigned npos;
	bool in_opts;
	size_t opt_at[OPT_NR];		/* 1 + byte offset of each option seen, 0 if not */
	size_t len_off;			/* where LEN was, for the OFF + LEN message */
};

int trace_parse_header(struct trace_line *l)
{
	char show[TRACE_SHOW_MAX];
	struct trace_field f;
	int r = trace_next_field(l, &f);

	if (r <= 0)
		return r;
	if (f.quoted || f.len != 8 || memcmp(f.p, "cowtrace", 8))
		return trace_line_err(l, f.off, "expected the header 'cowtrace 1', found %s",
				      trace_show(show, f.p, f.len));
	r = trace_next_field(l, &f);
	if (r < 0)
		return r;
	if (r == 0)
		return trace_line_err(l, l->end, "expected 'cowtrace 1', found end of line");
	if (f.quoted || f.len != 1 || f.p[0] != '1')
		return trace_line_err(l, f.off, "unsupported trace version %s, expected 'cowtrace 1'",
				      trace_show(show, f.p, f.len));
	r = trace_next_field(l, &f);
	if (r > 0)
		return trace_line_err(l, f.off, "unexpected field %s after 'cowtrace 1'",
				      trace_show(show, f.p, f.len));
	return r < 0 ? r : 1;
}

static int parse_hook(struct trace_line *l, const struct trace_field *f,
		      struct cowfs_trace_op *op)
{
	char show[TRACE_SHOW_MAX];
	const char *name = f->p + 1, *hash = memchr(name, '#', f->len - 1);
	size_t nlen = hash ? (size_t)(hash - name) : f->len - 1;
	int pt, r;

	if (!nlen)
		return trace_line_err(l, f->off + 1, "expected a schedule point after '@', found %s",
				      trace_show(show, name, f->len - 1));
	pt = cowfs_point_lookup(name, nlen);
	if (pt < 0)
		return trace_line_err(l, f->off + 1, "unknown schedule point %s",
				      trace_show(show, name, nlen));
	op->is_hook = true;
	op->point = (enum cowfs_point)pt;
	op->hook_count = 1;
	if (!hash)
		return 0;
	r = trace_number(l, hash + 1, f->len - 2 - nlen, f->off + 2 + nlen, "#K", &op->hook_count);
	if (r < 0)
		return r;
	if (!op->hook_count)
		return trace_line_err(l, f->off + 2 + nlen, "hook count #0 must be at least 1");
	return 0;
}

/* Which option a field is: its index, -1 for an unknown key=value, -2 for a positional. */
static int classify(const struct trace_field *f, size_t *klen)
{
	const char *eq;
	size_t n;
	int opt;

	if (f->quoted)
		return -2;
	eq = memchr(f->p, '=', f->len);
	n = eq ? (size_t)(eq - f->p) : f->len;
	*klen = n;
	if ((opt = trace_opt_lookup(f->p, n)) >= 0)
		return opt;
	if (!eq || !n)
		return -2;
	for (size_t i = 0; i < n; i++)
		if (!strchr(OPT_KEY_CHARS, f->p[i]))
			return -2;
	return -1;
}

static int parse_positional(struct trace_line *l, struct fields_state *st,
			    const struct trace_field *f, struct cowfs_trace_op *op)
{
	enum trace_pos pos = st->desc->pos[st->npos++];
	const char *what = trace_pos_name(pos);

	switch (pos) {
	case POS_PATH:
		return trace_path(l, f, &op->path, &op->path_len);
	case POS_OFF:
		return trace_number(l, f->p, f->len, f->off, what, &op->off);
	case POS_SIZE:
		return trace_number(l, f->p, f->len, f->off, what, &op->size);
	case POS_COUNT:
		op->has_count = true;
		return trace_number(l, f->p, f->len, f->off, what, &op->count);
	case POS_LEN:
		st->len_off = f->off;
		if (trace_number(l, f->p, f->len, f->off, what, &op->len) < 0)
			return -COWFS_ETRACE;
		if (op->len > UINT64_MAX - op->off)
			return trace_line_err(l, f->off, "OFF + LEN overflows 64 bits (OFF %llu, LEN %llu)",
					      (unsigned long long)op->off,
					      (unsigned long long)op->len);
		return 0;
	case POS_NONE:
		break;
	}
	return -EINVAL;
}

static int option_value(struct trace_line *l, int opt, const char *v, size_t n, size_t off,
			struct cowfs_trace_op *op)
{
	int r;

	switch (opt) {
	case OPT_DATA:
		op->has_data = true;
		return trace_parse_data(l, v, n, off, op);
	case OPT_FAULT:
		op->has_fault = true;
		if ((r = trace_number(l, v, n, off, "fault=N", &op->fault)) < 0)
			return r;
		if (op->fault >= op->len)
			return trace_line_err(l, off, "fault=%llu must be less than LEN (%llu)",
					      (unsigned long long)op->fault,
					      (unsigned long long)op->len);
		return 0;
	case OPT_MAX:
		op->has_max = true;
		return trace_number(l, v, n, off, "max=N", &op->max);
	case OPT_WAIT:
		op->wait = true;
		return 0;
	}
	return -EINVAL;
}

static int parse_option(struct trace_line *l, struct fields_state *st, int opt,
			const struct trace_field *f, size_t klen, struct cowfs_trace_op *op)
{
	const struct trace_opt_desc *od;
	char show[TRACE_SHOW_MAX];
	bool has_eq = klen < f->len;

	if (opt < 0)
		return trace_line_err(l, f->off, "unknown option %s", trace_show(show, f->p, klen));
	od = &trace_opts[opt];
	if (!(st->desc->opts & 1u << opt))
		return trace_line_err(l, f->off, "option '%s' is only valid on %s", od->key,
				      od->valid_on);
	if (st->opt_at[opt])
		return trace_line_err(l, f->off, "option '%s' given twice (first at column %u)",
				      od->key, trace_col(l, st->opt_at[opt] - 1));
	st->opt_at[opt] = f->off + 1;
	if (od->bare && has_eq)
		return trace_line_err(l, f->off + klen, "option '%s' takes no value", od->key);
	if (!od->bare && !has_eq)
		return trace_line_err(l, f->off + klen, "option '%s' needs a value: %s=%s",
				      od->key, od->key, od->value);
	return option_value(l, opt, f->p + klen + 1, f->len - klen - 1, f->off + klen + 1, op);
}

static int parse_fields(struct trace_line *l, struct fields_state *st, struct cowfs_trace_op *op)
{
	const struct trace_op_desc *d = st->desc;
	char show[TRACE_SHOW_MAX];
	struct trace_field f;
	size_t klen = 0;
	int r, opt;

	while ((r = trace_next_field(l, &f)) > 0) {
		opt = classify(&f, &klen);
		if (opt == -2 && st->in_opts)
			return trace_line_err(l, f.off, "unexpected field %s after the options; options come last",
					      trace_show(show, f.p, f.len));
		if (opt == -2 && st->npos == d->nr_pos)
			return trace_line_err(l, f.off, "unexpected field %s (usage: %s%s%s)",
					      trace_show(show, f.p, f.len), d->name,
					      *d->usage ? " " : "", d->usage);
		if (opt != -2 && st->npos < d->nr_required)
			return trace_line_err(l, f.off, "expected %s, found option %s",
					      trace_pos_name(d->pos[st->npos]),
					      trace_show(show, f.p, f.len));
		if (opt == -2)
			r = parse_positional(l, st, &f, op);
		else
			r = parse_option(l, st, opt, &f, klen, op);
		if (r < 0)
			return r;
		st->in_opts |= opt != -2;
	}
	if (r < 0)
		return r;
	if (st->npos < d->nr_required)
		return trace_line_err(l, l->end, "expected %s, found end of line (usage: %s %s)",
				      trace_pos_name(d->pos[st->npos]), d->name, d->usage);
	return 0;
}

/* The operation of a line, after an optional hook prefix. */
static int parse_kind(struct trace_line *l, struct cowfs_trace_op *op, struct trace_field *f)
{
	char show[TRACE_SHOW_MAX];
	int r, kind;

	if (!f->quoted && f->p[0] == '@') {
		if ((r = parse_hook(l, f, op)) < 0)
			return r;
		r = trace_next_field(l, f);
		if (r < 0)
			return r;
		if (r == 0)
			return trace_line_err(l, l->end, "expected an operation after the hook point, found end of line");
		if (!f->quoted && f->p[0] == '@')
			return trace_line_err(l, f->off, "a hook cannot carry another hook, found %s",
					      trace_show(show, f->p, f->len));
	}
	kind = f->quoted ? -1 : trace_op_lookup(f->p, f->len);
	if (kind < 0)
		return trace_line_err(l, f->off, "unknown operation %s",
				      trace_show(show, f->p, f->len));
	op->kind = (enum cowfs_op_kind)kind;
	return 0;
}

int trace_parse_op(struct trace_line *l, struct cowfs_trace_op *op)
{
	struct fields_state st = { 0 };
	struct trace_field f;
	int r;

	memset(op, 0, sizeof(*op));
	r = trace_next_field(l, &f);
	if (r <= 0)
		return r;
	op->line = l->lineno;
	r = parse_kind(l, op, &f);
	if (r == 0) {
		st.desc = &trace_ops[op->kind];
		r = parse_fields(l, &st, op);
	}
	if (r < 0) {
		cowfs_trace_op_release(op);
		return r;
	}
	return 1;
}
