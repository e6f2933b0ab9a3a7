/* The streaming reader: lines to operations, with the rules that span lines
 * (the header, hooks following an operation, a crash hook being the last).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trace/input.h"
#include "trace/lex.h"
#include "trace/parse.h"
#include "trace/priv.h"

struct cowfs_trace_reader {
	struct trace_input in;
	struct cowfs_trace_error err;
	int failed;			/* sticky: every call after an error returns it */
	bool header;			/* "cowtrace 1" seen */
	bool seen_op;			/* a non-hook operation seen: hooks may follow */
	bool pending;			/* in.line holds a checked line not parsed yet */
	bool has_peek;			/* next_group read one op too far */
	struct cowfs_trace_op peek;
};

static void set_file(struct cowfs_trace_error *err, const char *name)
{
	snprintf(err->file, sizeof(err->file), "%s", name ? name : "-");
}

static int reader_new(int fd, bool own_fd, FILE *file, const char *name,
		      cowfs_trace_reader **out, struct cowfs_trace_error *err)
{
	cowfs_trace_reader *rd = calloc(1, sizeof(*rd));
	int r;

	*out = NULL;
	if (!rd) {
		if (own_fd)
			close(fd);
		if (err) {
			set_file(err, name);
			trace_err(err, 0, 0, "out of memory");
		}
		return -ENOMEM;
	}
	set_file(&rd->err, name);
	r = trace_input_init(&rd->in, fd, own_fd, file, &rd->err);
	if (r < 0) {
		if (err)
			*err = rd->err;
		trace_input_fini(&rd->in);
		free(rd);
		return r;
	}
	*out = rd;
	return 0;
}

int cowfs_trace_open(const char *path, cowfs_trace_reader **rd, struct cowfs_trace_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		int e = errno;

		*rd = NULL;
		if (err) {
			set_file(err, path);
			trace_err(err, 0, 0, "cannot open: %s", strerror(e));
		}
		return -e;
	}
	return reader_new(fd, true, NULL, path, rd, err);
}

int cowfs_trace_open_fd(int fd, const char *name, cowfs_trace_reader **rd,
			struct cowfs_trace_error *err)
{
	return reader_new(fd, false, NULL, name, rd, err);
}

int cowfs_trace_open_file(FILE *f, const char *name, cowfs_trace_reader **rd,
			  struct cowfs_trace_error *err)
{
	return reader_new(-1, false, f, name, rd, err);
}

void cowfs_trace_close(cowfs_trace_reader *rd)
{
	if (!rd)
		return;
	cowfs_trace_op_release(&rd->peek);
	trace_input_fini(&rd->in);
	free(rd);
}

void cowfs_trace_set_max_line(cowfs_trace_reader *rd, size_t bytes)
{
	rd->in.max_line = bytes;
}

const struct cowfs_trace_error *cowfs_trace_error(const cowfs_trace_reader *rd)
{
	return &rd->err;
}

static int fail(cowfs_trace_reader *rd, int r)
{
	rd->failed = r;
	return r;
}

/* The next line, checked for NUL and UTF-8, into rd->in.line: 1, or 0 at the end. */
static int next_line(cowfs_trace_reader *rd)
{
	struct trace_line l;
	int r;

	if (rd->pending) {
		rd->pending = false;
		return 1;
	}
	r = trace_input_next_line(&rd->in, &rd->err);
	if (r <= 0)
		return r;
	trace_line_init(&l, rd->in.line, rd->in.line_len, rd->in.lineno, &rd->err);
	r = trace_line_check(&l);
	return r < 0 ? r : 1;
}

/* Byte offset of the first field of the current line, or the line length if none. */
static size_t first_field(const struct trace_input *in)
{
	size_t i = strspn(in->line, " \t");

	return i < in->line_len && in->line[i] != '#' ? i : in->line_len;
}

/* A crash hook must end its group: read ahead to the next significant line. */
static int crash_hook_is_last(cowfs_trace_reader *rd, const struct cowfs_trace_op *op)
{
	struct trace_line l;
	size_t at = first_field(&rd->in);
	unsigned col;
	int r;

	trace_line_init(&l, rd->in.line, rd->in.line_len, rd->in.lineno, &rd->err);
	col = trace_col(&l, at);
	while ((r = next_line(rd)) > 0) {
		at = first_field(&rd->in);
		if (at == rd->in.line_len)
			continue;
		rd->pending = true;
		if (rd->in.line[at] == '@')
			return trace_err(&rd->err, op->line, col,
					 "a crash hook must be the last hook of its operation (line %llu adds another)",
					 (unsigned long long)rd->in.lineno);
		return 0;
	}
	return r;
}

static int check_hook(cowfs_trace_reader *rd, const struct cowfs_trace_op *op)
{
	struct trace_line l;

	if (!op->is_hook) {
		rd->seen_op = true;
		return 0;
	}
	if (!rd->seen_op) {
		trace_line_init(&l, rd->in.line, rd->in.line_len, rd->in.lineno, &rd->err);
		return trace_line_err(&l, first_field(&rd->in),
				      "a hook must follow the operation it attaches to");
	}
	return op->kind == COWFS_OP_CRASH ? crash_hook_is_last(rd, op) : 0;
}

static int parse_next(cowfs_trace_reader *rd, struct cowfs_trace_op *op)
{
	struct trace_line l;
	int r;

	while ((r = next_line(rd)) > 0) {
		trace_line_init(&l, rd->in.line, rd->in.line_len, rd->in.lineno, &rd->err);
		if (!rd->header) {
			r = trace_parse_header(&l);
			if (r < 0)
				return r;
			rd->header = r > 0;
			continue;
		}
		r = trace_parse_op(&l, op);
		if (r < 0)
			return r;
		if (r == 0)
			continue;
		r = check_hook(rd, op);
		if (r < 0) {
			cowfs_trace_op_release(op);
			return r;
		}
		return 1;
	}
	if (r == 0 && !rd->header)
		return trace_err(&rd->err, rd->in.lineno + 1, 1,
				 "expected the header 'cowtrace 1', found end of file");
	return r;
}

int cowfs_trace_next(cowfs_trace_reader *rd, struct cowfs_trace_op *op)
{
	int r;

	memset(op, 0, sizeof(*op));
	if (rd->failed)
		return rd->failed;
	if (rd->has_peek) {
		*op = rd->peek;
		memset(&rd->peek, 0, sizeof(rd->peek));
		rd->has_peek = false;
		return 1;
	}
	r = parse_next(rd, op);
	return r < 0 ? fail(rd, r) : r;
}

void cowfs_trace_group_release(struct cowfs_trace_group *g)
{
	cowfs_trace_op_release(&g->op);
	for (size_t i = 0; i < g->nr_hooks; i++)
		cowfs_trace_op_release(&g->hooks[i]);
	free(g->hooks);
	memset(g, 0, sizeof(*g));
}

static int add_hook(cowfs_trace_reader *rd, struct cowfs_trace_group *g,
		    struct cowfs_trace_op *hook)
{
	if (g->nr_hooks == g->alloc) {
		size_t alloc = g->alloc ? 2 * g->alloc : 4;
		struct cowfs_trace_op *h = realloc(g->hooks, alloc * sizeof(*h));

		if (!h) {
			cowfs_trace_op_release(hook);
			trace_err(&rd->err, hook->line, 0, "out of memory");
			return fail(rd, -ENOMEM);
		}
		g->hooks = h;
		g->alloc = alloc;
	}
	g->hooks[g->nr_hooks++] = *hook;
	return 0;
}

int cowfs_trace_next_group(cowfs_trace_reader *rd, struct cowfs_trace_group *g)
{
	struct cowfs_trace_op op;
	int r;

	/* Keep the hooks array for the next group; free what it held. */
	cowfs_trace_op_release(&g->op);
	for (size_t i = 0; i < g->nr_hooks; i++)
		cowfs_trace_op_release(&g->hooks[i]);
	g->nr_hooks = 0;

	r = cowfs_trace_next(rd, &g->op);
	if (r <= 0)
		return r;
	if (g->op.is_hook) {
		trace_err(&rd->err, g->op.line, 0, "a hook must follow the operation it attaches to");
		cowfs_trace_op_release(&g->op);
		return fail(rd, -COWFS_ETRACE);
	}
	while ((r = cowfs_trace_next(rd, &op)) > 0) {
		if (!op.is_hook) {
			rd->peek = op;
			rd->has_peek = true;
			break;
		}
		if ((r = add_hook(rd, g, &op)) < 0)
			return r;
	}
	return r < 0 ? r : 1;
}

int cowfs_trace_validate(const char *path, struct cowfs_trace_error *err)
{
	struct cowfs_trace_op op;
	cowfs_trace_reader *rd;
	int r = cowfs_trace_open(path, &rd, err);

	if (r < 0)
		return r;
	while ((r = cowfs_trace_next(rd, &op)) > 0)
		cowfs_trace_op_release(&op);
	if (r < 0 && err)
		*err = rd->err;
	cowfs_trace_close(rd);
	return r;
}
