/* The operations of cowtrace 1 and their fields: one table, read by the
 * parser, the writer and the messages.
 */
#include <stdlib.h>
#include <string.h>

#include "trace/priv.h"

#define DATA_OPS ((1u << OPT_DATA))

const struct trace_op_desc trace_ops[COWFS_OP_NR] = {
	[COWFS_OP_MKDIR] = { "mkdir", "PATH", { POS_PATH }, 1, 1, 0 },
	[COWFS_OP_CREATE] = { "create", "PATH", { POS_PATH }, 1, 1, 0 },
	[COWFS_OP_UNLINK] = { "unlink", "PATH", { POS_PATH }, 1, 1, 0 },
	[COWFS_OP_TRUNCATE] = { "truncate", "PATH SIZE", { POS_PATH, POS_SIZE }, 2, 2, 0 },
	[COWFS_OP_WRITE] = { "write", "PATH OFF LEN [data=SPEC] [fault=N]",
			     { POS_PATH, POS_OFF, POS_LEN }, 3, 3,
			     1u << OPT_DATA | 1u << OPT_FAULT },
	[COWFS_OP_MWRITE] = { "mwrite", "PATH OFF LEN [data=SPEC]",
			      { POS_PATH, POS_OFF, POS_LEN }, 3, 3, DATA_OPS },
	[COWFS_OP_MUNMAP] = { "munmap", "PATH OFF LEN [data=SPEC]",
			      { POS_PATH, POS_OFF, POS_LEN }, 3, 3, DATA_OPS },
	[COWFS_OP_PIN_WRITE] = { "pin_write", "PATH OFF LEN [data=SPEC]",
				 { POS_PATH, POS_OFF, POS_LEN }, 3, 3, DATA_OPS },
	[COWFS_OP_READ] = { "read", "PATH OFF LEN", { POS_PATH, POS_OFF, POS_LEN }, 3, 3, 0 },
	[COWFS_OP_RECLAIM] = { "reclaim", "[PATH] [max=N]", { POS_PATH }, 1, 0, 1u << OPT_MAX },
	[COWFS_OP_WRITEBACK] = { "writeback", "[PATH] [wait]", { POS_PATH }, 1, 0,
				 1u << OPT_WAIT },
	[COWFS_OP_RUN] = { "run", "[N]", { POS_COUNT }, 1, 0, 0 },
	[COWFS_OP_FSYNC] = { "fsync", "PATH", { POS_PATH }, 1, 1, 0 },
	[COWFS_OP_SYNC] = { "sync", "", { POS_NONE }, 0, 0, 0 },
	[COWFS_OP_COMMIT] = { "commit", "", { POS_NONE }, 0, 0, 0 },
	[COWFS_OP_CRASH] = { "crash", "", { POS_NONE }, 0, 0, 0 },
};

const struct trace_opt_desc trace_opts[OPT_NR] = {
	[OPT_DATA] = { "data", false, "SPEC", "write, mwrite, munmap and pin_write" },
	[OPT_FAULT] = { "fault", false, "N", "write" },
	[OPT_MAX] = { "max", false, "N", "reclaim" },
	[OPT_WAIT] = { "wait", true, NULL, "writeback" },
};

static bool same(const char *a, const char *b, size_t blen)
{
	return strlen(a) == blen && !memcmp(a, b, blen);
}

int trace_op_lookup(const char *name, size_t len)
{
	for (int i = 0; i < COWFS_OP_NR; i++)
		if (same(trace_ops[i].name, name, len))
			return i;
	return -1;
}

int trace_opt_lookup(const char *key, size_t len)
{
	for (int i = 0; i < OPT_NR; i++)
		if (same(trace_opts[i].key, key, len))
			return i;
	return -1;
}

const char *trace_pos_name(enum trace_pos pos)
{
	static const char *const names[] = {
		[POS_NONE] = "", [POS_PATH] = "PATH", [POS_OFF] = "OFF",
		[POS_LEN] = "LEN", [POS_SIZE] = "SIZE", [POS_COUNT] = "N",
	};

	return names[pos];
}

const char *cowfs_op_name(enum cowfs_op_kind kind)
{
	return (unsigned)kind < COWFS_OP_NR ? trace_ops[kind].name : NULL;
}

bool cowfs_op_has_data(enum cowfs_op_kind kind)
{
	return (unsigned)kind < COWFS_OP_NR && (trace_ops[kind].opts & 1u << OPT_DATA);
}

void cowfs_trace_op_release(struct cowfs_trace_op *op)
{
	free(op->path);
	cowfs_data_put(&op->data);
	memset(op, 0, sizeof(*op));
}

static bool data_equal(const struct cowfs_data_spec *a, const struct cowfs_data_spec *b)
{
	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case COWFS_DATA_RAND:
		return a->seed == b->seed;
	case COWFS_DATA_FILL:
		return a->fill == b->fill;
	case COWFS_DATA_HEX:
		return a->hex_off == b->hex_off && a->hex_len == b->hex_len &&
		       (!a->hex_len || !memcmp(a->hex, b->hex, a->hex_len));
	default:
		return true;
	}
}

bool cowfs_trace_op_equal(const struct cowfs_trace_op *a, const struct cowfs_trace_op *b)
{
	if (a->kind != b->kind || a->is_hook != b->is_hook)
		return false;
	if (a->is_hook && (a->point != b->point || a->hook_count != b->hook_count))
		return false;
	if (!a->path != !b->path || a->path_len != b->path_len ||
	    (a->path && memcmp(a->path, b->path, a->path_len)))
		return false;
	return a->off == b->off && a->len == b->len && a->size == b->size &&
	       a->has_count == b->has_count && a->count == b->count &&
	       a->has_data == b->has_data && data_equal(&a->data, &b->data) &&
	       a->has_fault == b->has_fault && a->fault == b->fault &&
	       a->has_max == b->has_max && a->max == b->max && a->wait == b->wait;
}
