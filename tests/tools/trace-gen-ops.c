/* The operations trace-gen emits, one function each, and the state they keep.
 *
 * Hooks are placed where their point can be reached (a write.retry hook only
 * on a faulting write, writeback points only when something is dirty), and
 * carry only content-neutral operations, chosen by what the engine holds at
 * the point (see enum hook_room).  A hook that does not fire is a warning of
 * the replay, not a failure, so the tracking here may be approximate.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "trace-gen.h"

#define PAGE	4096ull

/* Directory names, in creation order: a space, UTF-8 and a quote make the
 * writer quote and escape paths. */
static const char *const dir_names[GEN_MAX_DIRS] = {
	"", "a", "b c", "\xc3\xa9t\xc3\xa9", "d.e", "x\"y",
};

/* What the engine holds where a hook runs, hence what the hook may do. */
enum hook_room {
	ROOM_LOCKED,	/* page or extent locks held (write.copied, writeback.*): reclaim only */
	ROOM_WORKER,	/* inside a work item, nothing locked (fixup.run): no waiting */
	ROOM_FREE,	/* the operation dropped its locks (write.retry): reclaim, run, writeback */
};

/* ---- randomness: splitmix64 over a counter, so a seed fixes everything ---- */

static uint64_t rnd(struct gen *g)
{
	g->rng += 0x9E3779B97F4A7C15ull;
	return cowfs_splitmix64(g->rng);
}

static uint64_t below(struct gen *g, uint64_t n)
{
	return n ? rnd(g) % n : 0;
}

static bool chance(struct gen *g, unsigned pct)
{
	return below(g, 100) < pct;
}

/* Log-uniform in [1, cap], sometimes whole pages: 1 byte and MiBs both common. */
static uint64_t pick_len(struct gen *g, uint64_t cap)
{
	unsigned bits = 0;
	uint64_t len;

	while (bits < 63 && (2ull << bits) <= cap)
		bits++;
	len = 1 + below(g, 1ull << below(g, bits + 1));
	if (chance(g, 15))
		len = (len + PAGE - 1) & ~(PAGE - 1);
	return len < cap ? len : cap;
}

/* Overwrites, appends, holes past EOF, page-aligned and page-straddling. */
static uint64_t pick_off(struct gen *g, uint64_t size, uint64_t len)
{
	uint64_t off;

	switch (below(g, 5)) {
	case 0:
		off = below(g, size + 1);
		break;
	case 1:
		off = below(g, size / PAGE + 2) * PAGE;
		break;
	case 2:
		off = below(g, size / PAGE + 2) * PAGE;
		off = off > 16 ? off - 1 - below(g, 16) : off;
		break;
	case 3:
		off = size + below(g, g->o.max_size);
		break;
	default:
		off = size;
		break;
	}
	return off + len > g->file_cap ? g->file_cap - len : off;
}

/* ---- emitting ---- */

static int log_op(struct gen *g, const struct cowfs_trace_op *op)
{
	struct cowfs_trace_op *copy;

	if (g->nr_log == g->alloc_log) {
		size_t n = g->alloc_log ? 2 * g->alloc_log : 256;
		struct cowfs_trace_op *p = realloc(g->log, n * sizeof(*p));

		if (!p)
			return -ENOMEM;
		g->log = p;
		g->alloc_log = n;
	}
	copy = &g->log[g->nr_log];
	*copy = *op;
	if (op->path && !(copy->path = strndup(op->path, op->path_len)))
		return -ENOMEM;
	cowfs_data_hold(&copy->data);
	g->nr_log++;
	return 0;
}

static void emit(struct gen *g, const struct cowfs_trace_op *op)
{
	int r;

	if (g->err)
		return;
	r = cowfs_trace_write_op(g->out, op);
	if (r == 0 && g->keep_log)
		r = log_op(g, op);
	if (r < 0)
		g->err = r;
}

static struct cowfs_trace_op mkop(enum cowfs_op_kind kind, const char *path)
{
	struct cowfs_trace_op op = { .kind = kind };

	if (path) {
		op.path = (char *)path;
		op.path_len = strlen(path);
	}
	return op;
}

/* A live file (with data, when asked), or NULL. */
static struct gen_file *pick_file(struct gen *g, bool with_data)
{
	unsigned cand[GEN_MAX_FILES], n = 0;

	for (unsigned i = 0; i < g->o.files; i++)
		if (g->files[i].live && (!with_data || g->files[i].size))
			cand[n++] = i;
	return n ? &g->files[cand[below(g, n)]] : NULL;
}

static void pick_data(struct gen *g, struct cowfs_trace_op *op)
{
	uint64_t p = below(g, 100);

	op->has_data = true;
	if (op->len <= 64 && p < 12) {
		uint8_t bytes[64];

		for (uint64_t i = 0; i < op->len; i++)
			bytes[i] = (uint8_t)rnd(g);
		if (cowfs_data_hex_new(&op->data, bytes, op->len, op->off) < 0)
			g->err = -ENOMEM;
	} else if (p < 50) {
		op->has_data = chance(g, 20);	/* data=stamp, or the default */
		op->data.kind = COWFS_DATA_STAMP;
	} else if (p < 68) {
		op->data.kind = COWFS_DATA_RAND;
		op->data.seed = rnd(g);
	} else if (p < 84) {
		op->data.kind = COWFS_DATA_FILL;
		op->data.fill = (uint8_t)below(g, 256);
	} else {
		op->data.kind = COWFS_DATA_ZERO;
	}
}

/* ---- hooks ---- */

static void emit_hook(struct gen *g, enum cowfs_point pt, uint64_t count, enum hook_room room)
{
	struct gen_file *f = chance(g, 50) ? pick_file(g, false) : NULL;
	const char *path = f ? f->path : NULL;
	unsigned choice = room == ROOM_LOCKED ? 0 : (unsigned)below(g, room == ROOM_FREE ? 3 : 2);
	struct cowfs_trace_op op;

	if (choice == 0) {
		op = mkop(COWFS_OP_RECLAIM, path);
		op.has_max = chance(g, 40);
		op.max = op.has_max ? below(g, 16) : 0;
	} else if (choice == 1) {
		op = mkop(COWFS_OP_WRITEBACK, path);
		op.wait = room == ROOM_FREE && chance(g, 50);
		g->hook_started_io |= !op.wait;
	} else {
		op = mkop(COWFS_OP_RUN, NULL);
		op.has_count = chance(g, 50);
		op.count = op.has_count ? 1 + below(g, 4) : 0;
	}
	op.is_hook = true;
	op.point = pt;
	op.hook_count = count;
	emit(g, &op);
}

/* twice: the point may be reached more than once (pages of one write or writeback). */
static void maybe_hook(struct gen *g, enum cowfs_point pt, unsigned pct, enum hook_room room,
		       bool twice)
{
	if (chance(g, pct))
		emit_hook(g, pt, twice && chance(g, 20) ? 2 : 1, room);
}

/* Writeback points, for an operation that writes back (and maybe waits). */
static void writeback_hooks(struct gen *g, bool dirty, bool oob, bool waits)
{
	if (dirty)
		maybe_hook(g, COWFS_PT_WRITEBACK_CLEANED, 20, ROOM_LOCKED, true);
	if (oob)
		maybe_hook(g, COWFS_PT_WRITEBACK_FIXUP_QUEUED, 30, ROOM_LOCKED, false);
	if (dirty && waits) {
		maybe_hook(g, COWFS_PT_WRITEBACK_CSUMMED, 15, ROOM_LOCKED, false);
		maybe_hook(g, COWFS_PT_WRITEBACK_IO_DONE, 15, ROOM_LOCKED, false);
	}
	if (waits && g->fixup_queued)
		maybe_hook(g, COWFS_PT_FIXUP_RUN, 20, ROOM_WORKER, false);
}

/* A writeback hook of the operation just emitted may have left IO in flight. */
static void end_group(struct gen *g)
{
	g->io_queued |= g->hook_started_io;
	g->hook_started_io = false;
}

/* No IO in flight: a pinned writer does not wait for writeback (stable pages are
 * bypassed), and a store racing with IO would be a checksum error, not a lost write. */
static void drain(struct gen *g)
{
	struct cowfs_trace_op op = mkop(COWFS_OP_RUN, NULL);

	emit(g, &op);
	g->io_queued = false;
	g->fixup_queued = false;
}

/* ---- the operations ---- */

static void gen_mkdir(struct gen *g)
{
	char path[GEN_PATH_MAX];
	struct cowfs_trace_op op;

	if (g->nr_dirs == GEN_MAX_DIRS)
		return;
	snprintf(path, sizeof(path), "%s/%s", g->dirs[below(g, g->nr_dirs)], dir_names[g->nr_dirs]);
	op = mkop(COWFS_OP_MKDIR, path);
	emit(g, &op);
	memcpy(g->dirs[g->nr_dirs++], path, sizeof(path));
}

static void gen_create(struct gen *g)
{
	unsigned cand[GEN_MAX_FILES], n = 0, i;
	char path[GEN_PATH_MAX];
	const char *dir;
	struct gen_file *f;
	struct cowfs_trace_op op;

	for (i = 0; i < g->o.files; i++)
		if (!g->files[i].live)
			cand[n++] = i;
	if (!n)
		return;
	i = cand[below(g, n)];
	f = &g->files[i];
	dir = g->dirs[below(g, g->nr_dirs)];
	snprintf(path, sizeof(path), "%s/f%u", dir, i);
	memcpy(f->path, path, sizeof(path));
	op = mkop(COWFS_OP_CREATE, f->path);
	emit(g, &op);
	f->live = true;
	f->size = 0;
	f->dirty = f->oob = false;
}

static void gen_write(struct gen *g)
{
	struct gen_file *f = pick_file(g, false);
	struct cowfs_trace_op op;

	if (!f) {
		gen_create(g);
		return;
	}
	op = mkop(COWFS_OP_WRITE, f->path);
	op.len = pick_len(g, g->o.max_size);
	op.off = pick_off(g, f->size, op.len);
	pick_data(g, &op);
	if (chance(g, 25)) {
		op.has_fault = true;
		op.fault = chance(g, 20) ? 0 : below(g, op.len);
	}
	emit(g, &op);
	cowfs_data_put(&op.data);
	if (op.off + op.len > f->size)
		f->size = op.off + op.len;
	f->dirty = true;
	maybe_hook(g, COWFS_PT_WRITE_COPIED, 25, ROOM_LOCKED, true);
	if (op.has_fault)
		maybe_hook(g, COWFS_PT_WRITE_RETRY, 60, ROOM_FREE, false);
}

/* mwrite, munmap, pin_write: the file must already cover the range. */
static void gen_store(struct gen *g, enum cowfs_op_kind kind)
{
	struct gen_file *f = pick_file(g, true);
	struct cowfs_trace_op op;

	if (!f) {
		gen_write(g);
		return;
	}
	if (kind == COWFS_OP_PIN_WRITE && g->io_queued)
		drain(g);
	op = mkop(kind, f->path);
	if (chance(g, 30))
		op.off = below(g, (f->size + PAGE - 1) / PAGE) * PAGE;
	else
		op.off = below(g, f->size);
	op.len = pick_len(g, g->o.max_size);
	if (op.len > f->size - op.off)
		op.len = f->size - op.off;
	pick_data(g, &op);
	emit(g, &op);
	cowfs_data_put(&op.data);
	f->dirty = true;
	f->oob |= kind != COWFS_OP_MWRITE;
}

static void gen_mwrite(struct gen *g) { gen_store(g, COWFS_OP_MWRITE); }
static void gen_munmap(struct gen *g) { gen_store(g, COWFS_OP_MUNMAP); }
static void gen_pin_write(struct gen *g) { gen_store(g, COWFS_OP_PIN_WRITE); }

static void gen_truncate(struct gen *g)
{
	struct gen_file *f = pick_file(g, false);
	struct cowfs_trace_op op;

	if (!f) {
		gen_create(g);
		return;
	}
	op = mkop(COWFS_OP_TRUNCATE, f->path);
	if (f->size && chance(g, 55)) {
		op.size = below(g, f->size);
		if (chance(g, 30))
			op.size &= ~(PAGE - 1);
	} else {
		op.size = f->size + 1 + below(g, g->o.max_size);
		if (op.size > g->file_cap)
			op.size = g->file_cap;
	}
	emit(g, &op);
	f->size = op.size;
	f->dirty = true;	/* a shrink zeroes the tail of the last block */
}

static void gen_read(struct gen *g)
{
	struct gen_file *f = pick_file(g, false);
	struct cowfs_trace_op op;

	if (!f) {
		gen_create(g);
		return;
	}
	op = mkop(COWFS_OP_READ, f->path);
	op.off = below(g, f->size + 1);
	op.len = pick_len(g, g->o.max_size);
	if (op.off < f->size && op.len > f->size - op.off && chance(g, 85))
		op.len = f->size - op.off;	/* mostly inside, sometimes across EOF */
	emit(g, &op);
}

static void gen_reclaim(struct gen *g)
{
	struct gen_file *f = chance(g, 50) ? pick_file(g, false) : NULL;
	struct cowfs_trace_op op = mkop(COWFS_OP_RECLAIM, f ? f->path : NULL);

	op.has_max = chance(g, 40);
	op.max = op.has_max ? below(g, 64) : 0;
	emit(g, &op);
}

/* Clear the dirty state of f (NULL: every file); say what there was. */
static void written_back(struct gen *g, struct gen_file *f, bool *dirty, bool *oob)
{
	*dirty = *oob = false;
	for (unsigned i = 0; i < g->o.files; i++) {
		struct gen_file *x = &g->files[i];

		if (!x->live || (f && x != f))
			continue;
		*dirty |= x->dirty;
		*oob |= x->oob;
		x->dirty = x->oob = false;
	}
	g->fixup_queued |= *oob;
}

static void gen_writeback(struct gen *g)
{
	struct gen_file *f = chance(g, 60) ? pick_file(g, false) : NULL;
	struct cowfs_trace_op op = mkop(COWFS_OP_WRITEBACK, f ? f->path : NULL);
	bool dirty, oob;

	op.wait = chance(g, 50);
	emit(g, &op);
	written_back(g, f, &dirty, &oob);
	writeback_hooks(g, dirty, oob, op.wait);
	g->io_queued |= dirty && !op.wait;
	end_group(g);
}

static void gen_run(struct gen *g)
{
	struct cowfs_trace_op op = mkop(COWFS_OP_RUN, NULL);

	op.has_count = chance(g, 50);
	op.count = op.has_count ? below(g, 8) : 0;
	emit(g, &op);
	if (g->io_queued) {
		maybe_hook(g, COWFS_PT_WRITEBACK_CSUMMED, 20, ROOM_LOCKED, false);
		maybe_hook(g, COWFS_PT_WRITEBACK_IO_DONE, 20, ROOM_LOCKED, false);
	}
	if (g->fixup_queued)
		maybe_hook(g, COWFS_PT_FIXUP_RUN, 40, ROOM_WORKER, false);
	if (!op.has_count)
		g->io_queued = g->fixup_queued = false;
	end_group(g);
}

static void gen_fsync(struct gen *g)
{
	struct gen_file *f = pick_file(g, false);
	struct cowfs_trace_op op;
	bool dirty, oob;

	if (!f) {
		gen_create(g);
		return;
	}
	op = mkop(COWFS_OP_FSYNC, f->path);
	emit(g, &op);
	written_back(g, f, &dirty, &oob);
	writeback_hooks(g, dirty, oob, true);
	maybe_hook(g, COWFS_PT_COMMIT_START, 20, ROOM_LOCKED, false);
	end_group(g);
}

static void gen_sync(struct gen *g)
{
	struct cowfs_trace_op op = mkop(COWFS_OP_SYNC, NULL);
	bool dirty, oob;

	emit(g, &op);
	written_back(g, NULL, &dirty, &oob);
	writeback_hooks(g, dirty, oob, true);
	maybe_hook(g, COWFS_PT_COMMIT_START, 20, ROOM_LOCKED, false);
	g->io_queued = false;
	end_group(g);
}

static void gen_commit(struct gen *g)
{
	struct cowfs_trace_op op = mkop(COWFS_OP_COMMIT, NULL);

	emit(g, &op);
	maybe_hook(g, COWFS_PT_COMMIT_START, 30, ROOM_LOCKED, false);
}

static void gen_unlink(struct gen *g)
{
	struct gen_file *f = pick_file(g, false);
	struct cowfs_trace_op op;
	unsigned live = 0;

	for (unsigned i = 0; i < g->o.files; i++)
		live += g->files[i].live;
	if (live < 2)
		return;		/* keep something to write to */
	op = mkop(COWFS_OP_UNLINK, f->path);
	emit(g, &op);
	f->live = false;
}

/* ---- the trace ---- */

static const struct {
	unsigned weight;
	void (*fn)(struct gen *g);
} ops[] = {
	{ 28, gen_write }, { 6, gen_mwrite }, { 6, gen_munmap }, { 5, gen_pin_write },
	{ 6, gen_truncate }, { 6, gen_read }, { 6, gen_reclaim }, { 8, gen_writeback },
	{ 5, gen_run }, { 4, gen_fsync }, { 2, gen_sync }, { 3, gen_commit },
	{ 2, gen_unlink }, { 3, gen_create }, { 1, gen_mkdir },
};

static void gen_one(struct gen *g)
{
	unsigned total = 0, pick;

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		total += ops[i].weight;
	pick = (unsigned)below(g, total);
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (pick < ops[i].weight) {
			ops[i].fn(g);
			return;
		}
		pick -= ops[i].weight;
	}
}

int gen_init(struct gen *g, const struct gen_opts *o, FILE *out, bool keep_log)
{
	memset(g, 0, sizeof(*g));
	if (!o->files || o->files > GEN_MAX_FILES || !o->max_size || o->max_size > (1ull << 40))
		return -EINVAL;
	g->o = *o;
	g->rng = o->seed ^ 0x636f7766732d6b64ull;
	g->file_cap = 2 * o->max_size + 16 * PAGE;
	g->out = out;
	g->keep_log = keep_log;
	g->nr_dirs = 1;		/* the root, as "" so that children print as "/name" */
	return 0;
}

int gen_trace(struct gen *g)
{
	unsigned dirs = 1 + (unsigned)below(g, 3);

	if (cowfs_trace_write_header(g->out) < 0)
		return -EIO;
	for (unsigned i = 0; i < dirs; i++)
		gen_mkdir(g);
	for (unsigned i = 0; i < (g->o.files + 1) / 2 + 1 && i < g->o.files; i++)
		gen_create(g);
	for (uint64_t i = 0; i < g->o.ops && !g->err; i++)
		gen_one(g);
	return g->err;
}

void gen_fini(struct gen *g)
{
	for (size_t i = 0; i < g->nr_log; i++)
		cowfs_trace_op_release(&g->log[i]);
	free(g->log);
	g->log = NULL;
	g->nr_log = g->alloc_log = 0;
}
