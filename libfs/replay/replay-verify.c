/* Checking the image at rest, after a crash or at the end, and reporting.
 *
 * The image is read through fresh read-only opens, never through the
 * engine's handle, so the verdict is about what is on disk and not about
 * what the engine believes it wrote.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cowfs/error.h"
#include "replay/replay-priv.h"

void replay_report(struct replay *r, struct cowfs_replay_finding *f)
{
	if (f->severity == COWFS_SEV_ERROR)
		r->stats->errors++;
	else if (f->severity == COWFS_SEV_WARNING)
		r->stats->warnings++;
	if (r->ops && r->ops->finding)
		r->ops->finding(r->ops->arg, f);
}

char *replay_op_failure(const struct cowfs_trace_op *op, int err)
{
	char *msg = NULL;
	size_t size = 0;
	FILE *m = open_memstream(&msg, &size);

	if (!m)
		return NULL;
	fputs(cowfs_op_name(op->kind), m);
	if (op->path) {
		fputc(' ', m);
		cowfs_text_path_format(m, op->path, op->path_len);
	}
	if (err == -ERANGE)
		fprintf(m, " [%llu, %llu): past the end of the file", (unsigned long long)op->off,
			(unsigned long long)(op->off + op->len));
	else
		fprintf(m, ": %s", cowfs_strerror(err));
	if (fclose(m)) {
		free(msg);
		return NULL;
	}
	return msg;
}

void replay_error(struct replay *r, const struct cowfs_trace_op *op, int err)
{
	char *msg = replay_op_failure(op, err);
	struct cowfs_replay_finding f = {
		.kind = COWFS_REPLAY_ERROR, .when = COWFS_REPLAY_AT_OP,
		.severity = COWFS_SEV_ERROR, .line = op->line, .err = err,
		.message = msg ? msg : "operation failed",
	};

	r->stats->stopped = true;
	replay_report(r, &f);
	free(msg);
}

struct verify_ctx {
	struct replay *r;
	enum cowfs_replay_when when;
	uint64_t line;
};

static void on_expect(void *arg, const struct cowfs_expect_finding *e)
{
	struct verify_ctx *v = arg;
	struct cowfs_replay_finding f = {
		.kind = COWFS_REPLAY_EXPECT, .when = v->when, .severity = COWFS_SEV_ERROR,
		.line = v->line, .message = e->message, .expect = e,
	};

	replay_report(v->r, &f);
}

static void on_problem(void *arg, uint32_t code, enum cowfs_severity sev, const char *msg,
		       const struct cowfs_problem_ctx *ctx)
{
	struct verify_ctx *v = arg;
	struct cowfs_replay_finding f = {
		.kind = COWFS_REPLAY_PROBLEM, .when = v->when, .severity = sev, .line = v->line,
		.message = msg, .code = code, .ctx = ctx,
	};

	if (sev != COWFS_SEV_INFO)
		replay_report(v->r, &f);
}

/* The image cannot be read at all: the replay cannot go on from it. */
static int unusable(struct replay *r, enum cowfs_replay_when when, uint64_t line, int err)
{
	struct cowfs_replay_finding f = {
		.kind = COWFS_REPLAY_ERROR, .when = when, .severity = COWFS_SEV_ERROR,
		.line = line, .err = err,
	};
	char msg[256];

	snprintf(msg, sizeof(msg), "the image cannot be opened: %s", cowfs_strerror(err));
	f.message = msg;
	r->stats->stopped = true;
	replay_report(r, &f);
	return 1;
}

int replay_verify(struct replay *r, enum cowfs_replay_when when, uint64_t line)
{
	struct verify_ctx v = { r, when, line };
	struct cowfs_check_opts copts = {
		.flags = r->opts->no_data_check ? COWFS_CHECK_NO_DATA : 0,
	};
	struct cowfs_check_ops cops = { .arg = &v, .problem = on_problem };
	struct cowfs_check_summary sum;
	cowfs_fs *fs;
	int ret = cowfs_check(r->image, &copts, &cops, &sum);

	if (ret < 0)
		return ret;
	ret = cowfs_open(r->image, 0, &fs);
	if (ret == -ENOMEM)
		return ret;
	if (ret < 0)
		return unusable(r, when, line, ret);
	ret = oracle_verify(r->o, fs, when == COWFS_REPLAY_AT_CRASH, on_expect, &v);
	cowfs_close(fs);
	return ret < 0 ? ret : 0;
}

int replay_crash(struct replay *r, uint64_t line)
{
	int ret = cowfs_engine_crash(r->eng, line);

	r->stats->crashes++;
	r->power_cut = false;
	if (ret == -ENOMEM)
		return ret;
	if (ret < 0)
		return unusable(r, COWFS_REPLAY_AT_CRASH, line, ret);
	return replay_verify(r, COWFS_REPLAY_AT_CRASH, line);
}
