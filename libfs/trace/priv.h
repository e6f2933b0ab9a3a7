/* Shared inside libfs/trace: error reporting and the op table. */
#ifndef COWFS_TRACE_PRIV_H
#define COWFS_TRACE_PRIV_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cowfs/error.h"
#include "cowfs/trace.h"

/* Fill err (line, col, message) and return -COWFS_ETRACE. */
int trace_err(struct cowfs_trace_error *err, uint64_t line, unsigned col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Positional fields, in the order an operation takes them. */
enum trace_pos {
	POS_NONE,
	POS_PATH,
	POS_OFF,
	POS_LEN,
	POS_SIZE,
	POS_COUNT,
};

/* Options: key=value fields and the bare word wait. */
enum trace_opt {
	OPT_DATA,
	OPT_FAULT,
	OPT_MAX,
	OPT_WAIT,
	OPT_NR
};

struct trace_op_desc {
	const char *name;
	const char *usage;		/* "PATH OFF LEN [data=SPEC] [fault=N]" */
	enum trace_pos pos[3];
	unsigned nr_pos, nr_required;
	unsigned opts;			/* 1u << enum trace_opt */
};

struct trace_opt_desc {
	const char *key;
	bool bare;			/* a word, not key=value */
	const char *value;		/* "SPEC", "N": for messages */
	const char *valid_on;		/* "write", ...: for messages */
};

extern const struct trace_op_desc trace_ops[COWFS_OP_NR];
extern const struct trace_opt_desc trace_opts[OPT_NR];

/* The operation named name[0, len), or -1. */
int trace_op_lookup(const char *name, size_t len);
/* The option keyed key[0, len), or -1. */
int trace_opt_lookup(const char *key, size_t len);
/* "OFF", "LEN", ...: a positional's name in messages. */
const char *trace_pos_name(enum trace_pos pos);

/* Why a path is invalid; index is the byte of the path at fault. */
enum trace_path_fault {
	PATH_OK,
	PATH_RELATIVE,
	PATH_EMPTY,		/* "//" */
	PATH_TRAILING,		/* ends with '/' */
	PATH_DOT,		/* "." or ".." */
	PATH_LONG,		/* component > 255 bytes */
	PATH_NUL,
};

enum trace_path_fault trace_path_check(const char *path, size_t len, size_t *index);
/* Writes path as a trace field (quoted and escaped if needed); -EIO on error. */
int trace_path_write(FILE *f, const char *path, size_t len);

/* A data spec as written after data= (stamp, rand:SEED, ...); -EINVAL for a bad kind. */
int trace_data_write(FILE *f, const struct cowfs_data_spec *spec);

/* A HEX spec over len uninitialised bytes at file offset off: where to write them, or NULL. */
uint8_t *trace_hex_alloc(struct cowfs_data_spec *spec, uint64_t len, uint64_t off);

/* The value of a hex digit (either case), or -1. */
int trace_hexval(char c);

/* Length of the valid UTF-8 sequence at s[0, n), or 0 if s does not start one. */
size_t trace_utf8_len(const unsigned char *s, size_t n);

#endif
