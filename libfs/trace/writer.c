/* Writing operations back as canonical cowtrace 1 lines: what recorders and
 * converters emit, and what parses back to the same op.
 */
#include <errno.h>
#include <stdio.h>

#include "trace/priv.h"

int cowfs_trace_write_header(FILE *f)
{
	return fputs("cowtrace 1\n", f) < 0 ? -EIO : 0;
}

static bool path_ok(const struct cowfs_trace_op *op)
{
	size_t at;

	return op->path && trace_path_check(op->path, op->path_len, &at) == PATH_OK;
}

static bool data_ok(const struct cowfs_trace_op *op)
{
	const struct cowfs_data_spec *d = &op->data;

	if (!op->has_data)
		return d->kind == COWFS_DATA_STAMP;
	if ((unsigned)d->kind > COWFS_DATA_HEX)
		return false;
	return d->kind != COWFS_DATA_HEX ||
	       ((d->hex || !d->hex_len) && d->hex_len == op->len && d->hex_off == op->off);
}

static bool has_pos(const struct trace_op_desc *d, enum trace_pos pos)
{
	for (unsigned i = 0; i < d->nr_pos; i++)
		if (d->pos[i] == pos)
			return true;
	return false;
}

/* Fields the line cannot carry must be zero, or the op would not come back equal. */
static bool unused_zero(const struct cowfs_trace_op *op, const struct trace_op_desc *d)
{
	return (has_pos(d, POS_OFF) || (!op->off && !op->len)) &&
	       (has_pos(d, POS_SIZE) || !op->size) && (op->has_count || !op->count) &&
	       (op->has_fault || !op->fault) && (op->has_max || !op->max);
}

/* Would the parser give this op back?  The writer refuses what it would not. */
static bool writable(const struct cowfs_trace_op *op)
{
	const struct trace_op_desc *d;
	bool takes_path;

	if ((unsigned)op->kind >= COWFS_OP_NR)
		return false;
	d = &trace_ops[op->kind];
	takes_path = d->nr_pos && d->pos[0] == POS_PATH;
	if (op->is_hook && ((unsigned)op->point >= COWFS_PT_NR || !op->hook_count))
		return false;
	if (op->path ? !takes_path || !path_ok(op) : takes_path && d->nr_required)
		return false;
	if (op->has_count && op->kind != COWFS_OP_RUN)
		return false;
	if ((op->has_data && !(d->opts & 1u << OPT_DATA)) || !data_ok(op))
		return false;
	if (op->has_fault && (!(d->opts & 1u << OPT_FAULT) || op->fault >= op->len))
		return false;
	if ((op->has_max && !(d->opts & 1u << OPT_MAX)) || (op->wait && !(d->opts & 1u << OPT_WAIT)))
		return false;
	return op->len <= UINT64_MAX - op->off && unused_zero(op, d);
}

static void write_positionals(FILE *f, const struct cowfs_trace_op *op,
			      const struct trace_op_desc *d)
{
	for (unsigned i = 0; i < d->nr_pos; i++) {
		switch (d->pos[i]) {
		case POS_PATH:
			if (op->path) {
				fputc(' ', f);
				trace_path_write(f, op->path, op->path_len);
			}
			break;
		case POS_OFF:
			fprintf(f, " %llu", (unsigned long long)op->off);
			break;
		case POS_LEN:
			fprintf(f, " %llu", (unsigned long long)op->len);
			break;
		case POS_SIZE:
			fprintf(f, " %llu", (unsigned long long)op->size);
			break;
		case POS_COUNT:
			if (op->has_count)
				fprintf(f, " %llu", (unsigned long long)op->count);
			break;
		case POS_NONE:
			break;
		}
	}
}

int cowfs_trace_write_op(FILE *f, const struct cowfs_trace_op *op)
{
	const struct trace_op_desc *d;

	if (!writable(op))
		return -EINVAL;
	d = &trace_ops[op->kind];
	if (op->is_hook) {
		fprintf(f, "@%s", cowfs_point_name(op->point));
		if (op->hook_count != 1)
			fprintf(f, "#%llu", (unsigned long long)op->hook_count);
		fputc(' ', f);
	}
	fputs(d->name, f);
	write_positionals(f, op, d);
	if (op->has_data) {
		fputs(" data=", f);
		trace_data_write(f, &op->data);
	}
	if (op->has_fault)
		fprintf(f, " fault=%llu", (unsigned long long)op->fault);
	if (op->has_max)
		fprintf(f, " max=%llu", (unsigned long long)op->max);
	if (op->wait)
		fputs(" wait", f);
	fputc('\n', f);
	return ferror(f) ? -EIO : 0;
}
