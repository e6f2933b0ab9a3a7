/* The replay driver's state, shared by its parts: the trace loop and hooks
 * (driver.c), the operations (replay-op.c), the verification (replay-verify.c). */
#ifndef COWFS_REPLAY_PRIV_H
#define COWFS_REPLAY_PRIV_H

#include "cowfs/replay.h"
#include "replay/oracle.h"

struct hook_state {
	uint64_t reached;		/* times its point was reached */
	bool fired;
};

struct replay {
	const struct cowfs_replay_opts *opts;
	const struct cowfs_replay_ops *ops;
	struct cowfs_replay_stats *stats;
	char *image;			/* the resolved path */
	cowfs_engine *eng;
	struct cowfs_profile profile;	/* what a mutation build hands the engine */
	struct oracle *o;
	const struct cowfs_trace_group *group;	/* the operation running, with its hooks */
	struct hook_state *hs;
	size_t hs_cap;
	int depth;			/* > 0 while a hook runs */
	bool power_cut;			/* a crash hook fired: the crash follows the operation */
	uint64_t crash_line;
	uint64_t engine_findings;
	int fatal;			/* an operational error met inside a callback */
};

/* Count f and pass it on. */
void replay_report(struct replay *r, struct cowfs_replay_finding *f);
/* "create /f: File exists", malloc'd (NULL without memory). */
char *replay_op_failure(const struct cowfs_trace_op *op, int err);
/* An ERROR finding: the operation of line failed with err. */
void replay_error(struct replay *r, const struct cowfs_trace_op *op, int err);

/* What op does to the oracle before the engine runs it (a replay error when it
 * cannot be replayed), and after it returned.  0 or a negative code. */
int replay_oracle_pre(struct oracle *o, const struct cowfs_trace_op *op);
int replay_oracle_post(struct oracle *o, const struct cowfs_trace_op *op);

/* Run op on the engine and the oracle: 0, 1 when an ERROR stopped the replay,
 * negative on an operational error. */
int replay_run_op(struct replay *r, const struct cowfs_trace_op *op);

/* Power cut at line: the engine reopens the image at its last commit; check it. */
int replay_crash(struct replay *r, uint64_t line);
/* Check the image at rest: structure, then the oracle (crash: and adopt). */
int replay_verify(struct replay *r, enum cowfs_replay_when when, uint64_t line);

/* cowfs_replay_copy_image; durable: fsync the copy (a scratch copy needs not). */
int replay_copy_image(const char *image, const char *out, bool durable);

/* The profile handed to the engine: p (NULL: current), or in a mutation build
 * (tests/mutation/run) a copy in *copy with one switch value wired to current's. */
const struct cowfs_profile *replay_engine_profile(const struct cowfs_profile *p,
						  struct cowfs_profile *copy);

#endif
