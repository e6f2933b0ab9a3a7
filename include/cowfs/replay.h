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

/* ---- profiles: by kernel release, switch by switch (doc/profiles.md) ---- */

/*
 * A named profile, or the profile of a kernel release that one covers: linux-3.3
 * and linux-4.19.1 are linux-4.19 ("Linux 3.3 - 4.19"), linux-6.15 is current
 * (a release names its default configuration).  NULL when nothing matches.
 */
const struct cowfs_profile *cowfs_replay_profile_find(const char *name);
/* The releases that resolve to p ("linux-3.3 ... linux-4.19"), or "" for none. */
const char *cowfs_replay_profile_releases(const struct cowfs_profile *p, char *buf, size_t size);

/* A behaviour switch that --set can change. */
struct cowfs_replay_switch {
	const char *name;		/* "oob" */
	const char *alias;		/* "out-of-band", or NULL */
	const char *title;		/* "out-of-band dirty page at writepage" */
	const char *const *values;	/* NULL-terminated: "none", "fixup-noreserve", ... */
};

int cowfs_replay_switch_count(void);
const struct cowfs_replay_switch *cowfs_replay_switch_at(int i);	/* NULL out of range */
/* The value of switch i in p ("fixup-ebusy"), and the commit that made it so. */
const char *cowfs_replay_switch_value(const struct cowfs_profile *p, int i);
const char *cowfs_replay_switch_commit(const struct cowfs_profile *p, int i);
/*
 * Apply "SWITCH=VALUE" to p.  0; -ENOENT for an unknown switch (*sw = -1);
 * -EINVAL for a value the switch does not have, or no '=' (*sw = the switch,
 * or -1).  p is unchanged on error.
 */
int cowfs_replay_switch_set(struct cowfs_profile *p, const char *assignment, int *sw);

/* ---- the matrix: every named profile, each on its own copy of the image ---- */

/* Copy image (a path, UUID=... or LABEL=...) to the file out, holes kept.
 * -EEXIST when out is image itself. */
int cowfs_replay_copy_image(const char *image, const char *out);

struct cowfs_replay_matrix_ops {
	void *arg;
	/* the replay under p starts; its findings come through finding */
	void (*begin)(void *arg, const struct cowfs_profile *p);
	void (*finding)(void *arg, const struct cowfs_replay_finding *f);
	/* it ended (ret 0: stats holds the verdict) */
	void (*end)(void *arg, const struct cowfs_profile *p, int ret,
		    const struct cowfs_replay_stats *stats);
};

struct cowfs_replay_matrix_opts {
	struct cowfs_replay_opts replay;	/* profile, verbose and expect_out unused */
	const char *const *sets;		/* "SWITCH=VALUE", applied to every profile */
	size_t nr_sets;
	const char *tmpdir;			/* for the copies; NULL: P_tmpdir */
};

/*
 * Replay trace under every named profile, in the order of cowfs_profile_at(),
 * each onto a fresh scratch copy of image in tmpdir (removed afterwards; image
 * is only read), with the sets applied to each.  Returns the number of profiles
 * with errors; -EINVAL for a bad set and -COWFS_ETRACE for a malformed trace,
 * before anything ran; -COWFS_EREPLAY as cowfs_replay, from the first profile
 * (its end callback gets it; *err says where); another negative code when a
 * copy or a replay failed operationally, which ends the matrix there.
 */
int cowfs_replay_matrix(const char *trace, const char *image,
			const struct cowfs_replay_matrix_opts *opts,
			const struct cowfs_replay_matrix_ops *ops, struct cowfs_trace_error *err);

#endif
