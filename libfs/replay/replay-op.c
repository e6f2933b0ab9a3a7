/* One trace operation on the engine and on the oracle.
 *
 * The oracle goes first: it refuses what cannot be replayed (a missing path,
 * an mmap store past the end) before the engine is asked.  Durability moves
 * only once the engine's fsync or sync returned, and not at all when a crash
 * hook cut the power inside it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cowfs/error.h"
#include "replay/replay-priv.h"

#define READ_CHUNK (1u << 20)

struct fill_arg {
	const struct cowfs_data_spec *spec;
	uint64_t line;
};

static int fill(void *arg, uint64_t off, void *buf, size_t len)
{
	const struct fill_arg *a = arg;

	return cowfs_data_fill(a->spec, a->line, off, buf, len);
}

static int must_be_file(struct oracle *o, const struct cowfs_trace_op *op)
{
	enum cowfs_expect_type type;
	uint64_t size;
	int r = oracle_stat(o, op->path, op->path_len, &type, &size);

	return r < 0 ? r : type == COWFS_EXPECT_FILE ? 0 : -EISDIR;
}

int replay_oracle_pre(struct oracle *o, const struct cowfs_trace_op *op)
{
	enum cowfs_expect_type type;
	uint64_t size;

	switch (op->kind) {
	case COWFS_OP_MKDIR:
		return oracle_mkdir(o, op->path, op->path_len);
	case COWFS_OP_CREATE:
		return oracle_create(o, op->path, op->path_len);
	case COWFS_OP_UNLINK:
		return oracle_unlink(o, op->path, op->path_len);
	case COWFS_OP_TRUNCATE:
		return oracle_truncate(o, op->path, op->path_len, op->size);
	case COWFS_OP_WRITE:
	case COWFS_OP_MWRITE:
	case COWFS_OP_MUNMAP:
	case COWFS_OP_PIN_WRITE:
		return oracle_store(o, op->path, op->path_len, op->off, op->len, op->line, &op->data,
				    op->kind == COWFS_OP_WRITE);
	case COWFS_OP_READ:
		return must_be_file(o, op);
	case COWFS_OP_RECLAIM:
	case COWFS_OP_WRITEBACK:
		return op->path ? must_be_file(o, op) : 0;
	case COWFS_OP_FSYNC:
		return oracle_stat(o, op->path, op->path_len, &type, &size);
	default:
		return 0;
	}
}

int replay_oracle_post(struct oracle *o, const struct cowfs_trace_op *op)
{
	if (op->kind == COWFS_OP_FSYNC)
		return oracle_fsync(o, op->path, op->path_len);
	if (op->kind == COWFS_OP_SYNC)
		return oracle_sync(o);
	return 0;
}

/* ---- read: what the engine returns against what the oracle says ---- */

struct read_ctx {
	struct replay *r;
	uint64_t line;
};

static void on_read_finding(void *arg, const struct cowfs_expect_finding *e)
{
	struct read_ctx *c = arg;
	struct cowfs_replay_finding f = {
		.kind = COWFS_REPLAY_EXPECT, .when = COWFS_REPLAY_AT_READ,
		.severity = COWFS_SEV_ERROR, .line = c->line, .message = e->message, .expect = e,
	};

	replay_report(c->r, &f);
}

__attribute__((format(printf, 5, 6)))
static void read_message(struct replay *r, const struct cowfs_trace_op *op, uint64_t off,
			 uint64_t n, const char *fmt, ...)
{
	va_list ap;
	struct cowfs_replay_finding f = {
		.kind = COWFS_REPLAY_EXPECT, .when = COWFS_REPLAY_AT_READ,
		.severity = COWFS_SEV_ERROR, .line = op->line,
	};
	char *msg = NULL;
	size_t size = 0;
	FILE *m = open_memstream(&msg, &size);

	if (!m) {
		r->fatal = -ENOMEM;
		return;
	}
	cowfs_text_path_format(m, op->path, op->path_len);
	fprintf(m, " [%llu, %llu): ", (unsigned long long)off, (unsigned long long)(off + n));
	va_start(ap, fmt);
	vfprintf(m, fmt, ap);
	va_end(ap);
	if (fclose(m) || !msg) {
		free(msg);
		r->fatal = -ENOMEM;
		return;
	}
	f.message = msg;
	replay_report(r, &f);
	free(msg);
}

/* One chunk of a read: 1 at the end of the file, 0 to go on, negative on error. */
static int read_chunk(struct replay *r, const struct cowfs_trace_op *op, uint64_t off,
		      uint64_t n, uint8_t *buf)
{
	struct read_ctx c = { r, op->line };
	uint64_t before = r->engine_findings, nread = 0, size, want;
	enum cowfs_expect_type type;
	int ret = cowfs_engine_read(r->eng, op->line, op->path, off, n, buf, &nread);

	if (ret < 0 && ret != -COWFS_ECSUM)
		return ret;
	if (ret == -COWFS_ECSUM && r->engine_findings == before)
		read_message(r, op, off, n, "checksum mismatch");
	if (oracle_stat(r->o, op->path, op->path_len, &type, &size) < 0)
		return 1;
	want = off >= size ? 0 : size - off < n ? size - off : n;
	if (nread != want)
		read_message(r, op, off, n, "read returned %llu bytes, expected %llu",
			     (unsigned long long)nread, (unsigned long long)want);
	if (ret == 0) {
		ret = oracle_check_read(r->o, op->path, op->path_len, off, buf,
					nread < want ? nread : want, on_read_finding, &c);
		if (ret == -ENOMEM)
			return ret;
	}
	return nread < n;
}

static int replay_read(struct replay *r, const struct cowfs_trace_op *op)
{
	uint8_t *buf = malloc(op->len < READ_CHUNK ? op->len : READ_CHUNK);
	int ret = 0;

	if (!buf)
		return -ENOMEM;
	r->stats->reads++;
	for (uint64_t done = 0; done < op->len && ret == 0 && !r->stats->stopped;) {
		uint64_t n = op->len - done < READ_CHUNK ? op->len - done : READ_CHUNK;

		ret = read_chunk(r, op, op->off + done, n, buf);
		done += n;
	}
	free(buf);
	return ret < 0 ? ret : 0;
}

/* ---- the engine ---- */

static int data_op(struct replay *r, const struct cowfs_trace_op *op)
{
	struct fill_arg a = { &op->data, op->line };
	cowfs_engine *eng = r->eng;

	switch (op->kind) {
	case COWFS_OP_WRITE:
		return cowfs_engine_write(eng, op->line, op->path, op->off, op->len, fill, &a,
					  op->has_fault ? op->fault : COWFS_NO_FAULT);
	case COWFS_OP_MWRITE:
		return cowfs_engine_mwrite(eng, op->line, op->path, op->off, op->len, fill, &a);
	case COWFS_OP_MUNMAP:
		return cowfs_engine_munmap(eng, op->line, op->path, op->off, op->len, fill, &a);
	case COWFS_OP_PIN_WRITE:
		return cowfs_engine_pin_write(eng, op->line, op->path, op->off, op->len, fill, &a);
	default:
		return replay_read(r, op);
	}
}

static int engine_op(struct replay *r, const struct cowfs_trace_op *op)
{
	cowfs_engine *eng = r->eng;
	int64_t n;

	switch (op->kind) {
	case COWFS_OP_MKDIR:
		return cowfs_engine_mkdir(eng, op->line, op->path);
	case COWFS_OP_CREATE:
		return cowfs_engine_create(eng, op->line, op->path);
	case COWFS_OP_UNLINK:
		return cowfs_engine_unlink(eng, op->line, op->path);
	case COWFS_OP_TRUNCATE:
		return cowfs_engine_truncate(eng, op->line, op->path, op->size);
	case COWFS_OP_WRITE:
	case COWFS_OP_MWRITE:
	case COWFS_OP_MUNMAP:
	case COWFS_OP_PIN_WRITE:
	case COWFS_OP_READ:
		/* LEN 0 does nothing (doc/trace.md), not even reach a schedule point. */
		return op->len ? data_op(r, op) : 0;
	case COWFS_OP_RECLAIM:
		n = cowfs_engine_reclaim(eng, op->line, op->path, op->has_max ? op->max : UINT64_MAX);
		return n < 0 ? (int)n : 0;
	case COWFS_OP_WRITEBACK:
		return cowfs_engine_writeback(eng, op->line, op->path, op->wait);
	case COWFS_OP_RUN:
		n = cowfs_engine_run(eng, op->line, op->has_count ? op->count : UINT64_MAX);
		return n < 0 ? (int)n : 0;
	case COWFS_OP_FSYNC:
		return cowfs_engine_fsync(eng, op->line, op->path);
	case COWFS_OP_SYNC:
		return cowfs_engine_sync(eng, op->line);
	case COWFS_OP_COMMIT:
		return cowfs_engine_commit(eng, op->line);
	default:
		return -EINVAL;
	}
}

int replay_run_op(struct replay *r, const struct cowfs_trace_op *op)
{
	int ret;

	if (op->kind == COWFS_OP_CRASH) {
		if (!r->depth)
			return replay_crash(r, op->line);
		/* Inside an operation: stop the disk now, crash once it returns. */
		cowfs_engine_power_cut(r->eng);
		r->power_cut = true;
		r->crash_line = op->line;
		return 0;
	}
	r->stats->ops++;
	ret = replay_oracle_pre(r->o, op);
	if (ret == -ENOMEM)
		return ret;
	if (ret < 0) {
		replay_error(r, op, ret);
		return 1;
	}
	ret = engine_op(r, op);
	if (r->fatal)
		return r->fatal;
	if (ret == -ENOMEM)
		return ret;
	if (r->power_cut || r->stats->stopped)
		return r->stats->stopped;	/* what fails after a power cut is the crash's doing */
	if (ret < 0) {
		replay_error(r, op, ret);
		return 1;
	}
	return replay_oracle_post(r->o, op);
}
