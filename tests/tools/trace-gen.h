/* The state of trace-gen: what the generated trace has done so far, as much as
 * the next operation needs to stay valid (sizes, live names) and to place its
 * hooks where they can fire.
 */
#ifndef TRACE_GEN_H
#define TRACE_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cowfs/trace.h"

#define GEN_MAX_FILES	64
#define GEN_MAX_DIRS	6
#define GEN_PATH_MAX	128

struct gen_opts {
	uint64_t seed;
	uint64_t ops;		/* operations after the setup */
	uint64_t max_size;	/* the largest write */
	uint64_t files;		/* file slots */
};

struct gen_file {
	char path[GEN_PATH_MAX];
	uint64_t size;		/* POSIX size: write extends, truncate sets */
	bool live;
	bool dirty;		/* written since its last writeback */
	bool oob;		/* dirtied by munmap or pin_write since then */
};

struct gen {
	struct gen_opts o;
	uint64_t rng;
	uint64_t file_cap;	/* no operation reaches past this offset */
	FILE *out;

	char dirs[GEN_MAX_DIRS][GEN_PATH_MAX];
	unsigned nr_dirs;
	struct gen_file files[GEN_MAX_FILES];

	bool io_queued;		/* a writeback without wait may have left IO in flight */
	bool fixup_queued;	/* a writeback may have queued a fixup */
	bool hook_started_io;	/* a hook of the current operation started writeback */

	bool keep_log;		/* --check: every op written, for comparing */
	struct cowfs_trace_op *log;
	size_t nr_log, alloc_log;
	int err;		/* the first error of a write, sticky */
};

int gen_init(struct gen *g, const struct gen_opts *o, FILE *out, bool keep_log);
/* The whole trace: header, setup, o.ops operations with their hooks. */
int gen_trace(struct gen *g);
void gen_fini(struct gen *g);

#endif
