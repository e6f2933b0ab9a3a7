/* The replay driver: the trace, group by group, with its hooks (replay.h).
 *
 * A hook runs from the engine's point callback, inside the operation it is
 * attached to, when that operation reaches the hook's point for the K-th
 * time.  Points reached while a hook runs count for nobody: a hook does not
 * fire hooks.  A crash hook cuts the power where it fires; the crash itself,
 * and the check, come once the operation has returned.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cowfs/error.h"
#include "replay/replay-priv.h"

/* ---- the engine's callbacks ---- */

static void on_event(void *arg, uint64_t line, const char *text)
{
	struct replay *r = arg;

	if (r->ops && r->ops->event)
		r->ops->event(r->ops->arg, line, text);
}

static void on_finding(void *arg, uint64_t line, enum cowfs_finding kind, const char *text)
{
	struct replay *r = arg;
	struct cowfs_replay_finding f = {
		.kind = COWFS_REPLAY_ENGINE, .when = COWFS_REPLAY_AT_OP,
		.severity = COWFS_SEV_ERROR, .line = line, .engine = kind,
	};
	char msg[1024];

	snprintf(msg, sizeof(msg), "%s: %s", cowfs_finding_name(kind), text);
	f.message = msg;
	r->engine_findings++;
	replay_report(r, &f);
}

static void hook_event(struct replay *r, const struct cowfs_trace_op *h, const char *where)
{
	char text[512];

	if (!r->opts->verbose)
		return;
	snprintf(text, sizeof(text), "hook @%s#%llu fires (%s): %s", cowfs_point_name(h->point),
		 (unsigned long long)h->hook_count, where ? where : "", cowfs_op_name(h->kind));
	on_event(r, h->line, text);
}

static void on_point(void *arg, enum cowfs_point point, uint64_t line, const char *where)
{
	struct replay *r = arg;
	const struct cowfs_trace_group *g = r->group;

	(void)line;
	if (!g || r->depth || r->power_cut || r->stats->stopped || r->fatal)
		return;
	for (size_t i = 0; i < g->nr_hooks && !r->power_cut && !r->stats->stopped; i++) {
		const struct cowfs_trace_op *h = &g->hooks[i];
		int ret;

		if (h->point != point || r->hs[i].fired || ++r->hs[i].reached < h->hook_count)
			continue;
		r->hs[i].fired = true;
		r->stats->hooks_fired++;
		hook_event(r, h, where);
		r->depth++;
		ret = replay_run_op(r, h);
		r->depth--;
		if (ret < 0) {
			r->fatal = ret;
			return;
		}
	}
}

/* ---- a group: an operation and its hooks ---- */

static void unfired_hooks(struct replay *r, const struct cowfs_trace_group *g)
{
	for (size_t i = 0; i < g->nr_hooks; i++) {
		const struct cowfs_trace_op *h = &g->hooks[i];
		struct cowfs_replay_finding f = {
			.kind = COWFS_REPLAY_HOOK, .when = COWFS_REPLAY_AT_OP, .line = h->line,
			.severity = r->opts->strict ? COWFS_SEV_ERROR : COWFS_SEV_WARNING,
		};
		char msg[256];

		if (r->hs[i].fired)
			continue;
		snprintf(msg, sizeof(msg), "hook @%s#%llu never fired (the point was reached %llu time%s)",
			 cowfs_point_name(h->point), (unsigned long long)h->hook_count,
			 (unsigned long long)r->hs[i].reached, r->hs[i].reached == 1 ? "" : "s");
		f.message = msg;
		replay_report(r, &f);
	}
}

/* 0 to go on, 1 when the replay stopped, negative on an operational error. */
static int run_group(struct replay *r, const struct cowfs_trace_group *g, bool *crashed)
{
	int ret;

	if (g->nr_hooks > r->hs_cap) {
		void *p = reallocarray(r->hs, g->nr_hooks, sizeof(*r->hs));

		if (!p)
			return -ENOMEM;
		r->hs = p;
		r->hs_cap = g->nr_hooks;
	}
	if (g->nr_hooks)
		memset(r->hs, 0, g->nr_hooks * sizeof(*r->hs));
	r->group = g;
	r->stats->hooks += g->nr_hooks;
	r->stats->last_line = g->op.line;
	ret = replay_run_op(r, &g->op);
	r->group = NULL;
	*crashed = g->op.kind == COWFS_OP_CRASH || r->power_cut;
	if (ret >= 0 && !r->stats->stopped)
		unfired_hooks(r, g);
	if (ret >= 0 && r->power_cut)
		ret = replay_crash(r, r->crash_line);
	if (ret >= 0 && r->stats->stopped)
		ret = 1;
	return ret;
}

/* ---- before anything is written: can the trace be replayed at all? ---- */

static int dry_fail(const char *trace, const struct cowfs_trace_op *op, int err,
		    struct cowfs_trace_error *e)
{
	char *msg = replay_op_failure(op, err);

	if (!msg)
		return -ENOMEM;
	if (e) {
		*e = (struct cowfs_trace_error){ .line = op->line };
		snprintf(e->file, sizeof(e->file), "%s", trace);
		snprintf(e->msg, sizeof(e->msg), "cannot replay %s", msg);
	}
	free(msg);
	return -COWFS_EREPLAY;
}

/* One operation on the oracle alone: 0, 1 at a crash, negative (a replay error). */
static int dry_op(struct oracle *o, const struct cowfs_trace_op *op)
{
	int ret;

	if (op->kind == COWFS_OP_CRASH)
		return 1;
	ret = replay_oracle_pre(o, op);
	return ret < 0 ? ret : replay_oracle_post(o, op);
}

static int dry_groups(cowfs_trace_reader *rd, struct oracle *o, const char *trace,
		      struct cowfs_trace_error *err)
{
	struct cowfs_trace_group g = { .hooks = NULL };
	int ret;

	while ((ret = cowfs_trace_next_group(rd, &g)) > 0) {
		const struct cowfs_trace_op *bad = &g.op;

		ret = g.op.kind == COWFS_OP_CRASH ? 1 : replay_oracle_pre(o, &g.op);
		for (size_t i = 0; ret == 0 && i < g.nr_hooks; i++)
			if ((ret = dry_op(o, bad = &g.hooks[i])) < 0)
				break;
		if (ret == 0 && (ret = replay_oracle_post(o, &g.op)) < 0)
			bad = &g.op;
		if (ret < 0 && ret != -ENOMEM)
			ret = dry_fail(trace, bad, ret, err);
		if (ret)
			break;
	}
	cowfs_trace_group_release(&g);
	return ret < 0 ? ret : 0;
}

/* Run the trace on an oracle loaded from the image, up to its first crash. */
static int dry_run(struct replay *r, const char *trace, struct cowfs_trace_error *err)
{
	cowfs_trace_reader *rd;
	struct oracle *o;
	cowfs_fs *fs;
	int ret = cowfs_open(r->image, 0, &fs);

	if (ret < 0)
		return ret;
	if ((ret = oracle_new(&o)) == 0)
		ret = oracle_load(o, fs);
	cowfs_close(fs);
	if (ret == 0 && (ret = cowfs_trace_open(trace, &rd, err)) == 0) {
		ret = dry_groups(rd, o, trace, err);
		cowfs_trace_close(rd);
	}
	oracle_free(o);
	return ret;
}

/* ---- the replay ---- */

static int replay_groups(struct replay *r, const char *trace, struct cowfs_trace_error *err,
			 bool *crashed)
{
	struct cowfs_trace_group g = { .hooks = NULL };
	cowfs_trace_reader *rd;
	int ret = cowfs_trace_open(trace, &rd, err);

	if (ret < 0)
		return ret;
	while ((ret = cowfs_trace_next_group(rd, &g)) > 0)
		if ((ret = run_group(r, &g, crashed)) != 0)
			break;
	cowfs_trace_group_release(&g);
	cowfs_trace_close(rd);
	return ret < 0 ? ret : 0;
}

static int start(struct replay *r)
{
	struct cowfs_engine_opts eo = {
		.profile = replay_engine_profile(r->opts->profile, &r->profile),
		.cache_pages = r->opts->cache_pages,
		.seed = r->opts->seed, .verbose = r->opts->verbose,
		.ops = { .event = on_event, .finding = on_finding, .point = on_point, .arg = r },
	};
	cowfs_fs *fs;
	int ret = oracle_new(&r->o);

	if (ret == 0 && (ret = cowfs_open(r->image, 0, &fs)) == 0) {
		ret = oracle_load(r->o, fs);
		cowfs_close(fs);
	}
	return ret < 0 ? ret : cowfs_engine_open(r->image, &eo, &r->eng);
}

/* The implicit sync, then the check; the engine is closed either way. */
static int finish(struct replay *r, bool crashed)
{
	int ret = 0;

	if (!r->stats->stopped && !crashed) {
		ret = cowfs_engine_sync(r->eng, 0);
		if (ret == 0) {
			ret = oracle_sync(r->o);
		} else if (ret != -ENOMEM) {
			struct cowfs_replay_finding f = {
				.kind = COWFS_REPLAY_ERROR, .when = COWFS_REPLAY_AT_END,
				.severity = COWFS_SEV_ERROR, .err = ret,
			};
			char msg[256];

			/* The image still holds its last commit: check it all the same. */
			snprintf(msg, sizeof(msg), "the final sync failed: %s", cowfs_strerror(ret));
			f.message = msg;
			replay_report(r, &f);
			ret = 0;
		}
	}
	cowfs_engine_get_stats(r->eng, &r->stats->engine);
	cowfs_engine_close(r->eng);
	r->eng = NULL;
	if (ret == 0 && !r->stats->stopped && !crashed)
		ret = replay_verify(r, COWFS_REPLAY_AT_END, 0);
	return ret;
}

static int write_expect(struct replay *r)
{
	struct oracle_stats st;
	cowfs_expect *e;
	int ret;

	oracle_get_stats(r->o, &st);
	r->stats->oracle_names = st.names;
	r->stats->oracle_extents = st.extents;
	if (!r->opts->expect_out || r->stats->stopped)
		return 0;
	if ((ret = oracle_expect(r->o, false, &e)) < 0)
		return ret;
	ret = cowfs_expect_write(r->opts->expect_out, e);
	cowfs_expect_free(e);
	return ret;
}

int cowfs_replay(const char *trace, const char *image, const struct cowfs_replay_opts *opts,
		 const struct cowfs_replay_ops *ops, struct cowfs_replay_stats *stats,
		 struct cowfs_trace_error *err)
{
	static const struct cowfs_replay_opts defaults;
	struct replay r = { .opts = opts ? opts : &defaults, .ops = ops, .stats = stats };
	bool crashed = false;
	int ret;

	memset(stats, 0, sizeof(*stats));
	if ((ret = cowfs_trace_validate(trace, err)) < 0)
		return ret;
	if ((ret = cowfs_resolve_spec(image, &r.image)) < 0)
		return ret;
	ret = dry_run(&r, trace, err);
	if (ret == 0)
		ret = start(&r);
	if (ret == 0) {
		ret = replay_groups(&r, trace, err, &crashed);
		if (r.fatal)
			ret = r.fatal;
		if (ret == 0)
			ret = finish(&r, crashed);
		if (ret == 0)
			ret = write_expect(&r);
	}
	cowfs_engine_close(r.eng);
	oracle_free(r.o);
	free(r.hs);
	free(r.image);
	return ret;
}
