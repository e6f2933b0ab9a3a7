/* Replaying a trace onto an image through the engine, and the verdict.
 *
 * The trace is read twice before the image is opened for writing: once to
 * validate its syntax, once against the oracle (started from what the image
 * holds) to find operations that cannot be replayed up to its first crash.
 * Either failure leaves the image untouched.  Then every operation runs on
 * the engine and on the oracle; hooks run inside their operation when the
 * engine reaches their schedule point; at each crash and at the end (after an
 * implicit sync, unless the trace ended with a crash) the image is checked:
 * structure and checksums (cowfs_check), then every file against the oracle.
 * doc/cowreplay.8 describes the command.
 */
#ifndef COWFS_REPLAY_H
#define COWFS_REPLAY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cowfs/check.h"
#include "cowfs/engine.h"
#include "cowfs/expect.h"
#include "cowfs/trace.h"

enum cowfs_replay_kind {
	COWFS_REPLAY_EXPECT,		/* the image is not what the operations promise */
	COWFS_REPLAY_PROBLEM,		/* a structural problem of the image (cowfs_check) */
	COWFS_REPLAY_ENGINE,		/* the engine's own finding (deadlock, io error, ...) */
	COWFS_REPLAY_HOOK,		/* a hook that never fired */
	COWFS_REPLAY_ERROR,		/* an operation failed: the replay stopped there */
};

enum cowfs_replay_when {
	COWFS_REPLAY_AT_OP,		/* while replaying line */
	COWFS_REPLAY_AT_READ,		/* what the read of line returned */
	COWFS_REPLAY_AT_CRASH,		/* the image after the crash of line */
	COWFS_REPLAY_AT_END,		/* the image at the end (line 0) */
};

struct cowfs_replay_finding {
	enum cowfs_replay_kind kind;
	enum cowfs_replay_when when;
	enum cowfs_severity severity;	/* only HOOK can be a warning (without strict) */
	uint64_t line;
	const char *message;		/* without the when and line: "/f: missing" */
	const struct cowfs_expect_finding *expect;	/* EXPECT, when from the expectation */
	uint32_t code;			/* PROBLEM: the problem's number */
	const struct cowfs_problem_ctx *ctx;		/* PROBLEM */
	enum cowfs_finding engine;	/* ENGINE */
	int err;			/* ERROR: the negative code */
};

struct cowfs_replay_ops {
	void *arg;
	void (*finding)(void *arg, const struct cowfs_replay_finding *f);
	/* Nullable; with opts.verbose: the engine's events and the hooks run. */
	void (*event)(void *arg, uint64_t line, const char *text);
};

struct cowfs_replay_opts {
	const struct cowfs_profile *profile;	/* NULL: "current" */
	uint64_t cache_pages;			/* 0: the engine's default */
	uint64_t seed;				/* 0: queue order */
	bool verbose;
	bool strict;				/* an unfired hook is an error */
	bool no_data_check;			/* skip cowfs_check's data checksum pass */
	FILE *expect_out;			/* the final expected state, as cowexpect 1 */
};

struct cowfs_replay_stats {
	uint64_t ops;			/* operations run, hooks included */
	uint64_t hooks, hooks_fired;
	uint64_t crashes, reads;
	uint64_t errors, warnings;	/* findings */
	uint64_t last_line;
	bool stopped;			/* an ERROR finding ended the replay early */
	struct cowfs_engine_stats engine;
	uint64_t oracle_names, oracle_extents;	/* at the end */
};

/*
 * Replay trace onto image (a path, UUID=... or LABEL=...), changing it.
 * Returns 0 when the replay ran: stats says what it found.  -COWFS_ETRACE for a
 * malformed trace, -COWFS_EREPLAY for an operation that cannot be replayed
 * before the first crash (the image does not have the path, ...): *err says
 * where, and the image is untouched.  Another negative code when something
 * failed that is not the image's or the trace's fault (no memory, I/O).
 */
int cowfs_replay(const char *trace, const char *image, const struct cowfs_replay_opts *opts,
		 const struct cowfs_replay_ops *ops, struct cowfs_replay_stats *stats,
		 struct cowfs_trace_error *err);

#endif
