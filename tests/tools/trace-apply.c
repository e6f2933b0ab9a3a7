/* trace-apply: apply a cowtrace 1 to a real directory with real syscalls, the
 * kernel's side of the differential test (tests/kernel-diff/run, doc/testing.md).
 *
 *   trace-apply TRACE DIR
 *
 * Each operation becomes what a program would do; the result is compared with
 * `cowdump extract` of the replayed image, so only content must match:
 *   write            pwrite; with fault=N the user buffer past byte N starts
 *                    PROT_NONE, so the copy really faults there (see write_faulting)
 *   mwrite, munmap,  mmap(MAP_SHARED), stores, munmap: userspace cannot pin pages
 *   pin_write        or skip page_mkwrite, and the content is the same
 *   read             pread; checking content is the diff's job
 *   reclaim          POSIX_FADV_DONTNEED: drops clean pages, never content
 *   writeback        sync_file_range(WRITE), with wait also WAIT_BEFORE/AFTER
 *   fsync, sync      fsync, syncfs
 *   run, commit      nothing: the kernel queues no work a trace could release
 *   hooks            right after their operation, which is why only operations
 *                    that cannot change content are accepted in a hook
 *   crash            refused: the kernel side cannot crash
 * The trace is validated, then checked for those limits, before DIR is touched.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cowfs/error.h"
#include "cowfs/trace.h"

#define CHUNK		(1u << 20)
#define MAX_OFFSET	((uint64_t)INT64_MAX)

struct apply {
	const char *dir;
	int dirfd;
	uint64_t line;		/* of the operation being applied, for messages */
	uint8_t *buf;		/* CHUNK bytes */
	uint64_t page;
};

static int fail(const struct apply *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(const struct apply *a, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "trace-apply: %llu: ", (unsigned long long)a->line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

static int fail_errno(const struct apply *a, const struct cowfs_trace_op *op, const char *what)
{
	int e = errno;

	return fail(a, "%s %s: %s: %s", cowfs_op_name(op->kind), op->path ? op->path : "", what,
		    strerror(e));
}

/* Trace paths are absolute; under DIR they are relative ("/" is DIR itself). */
static const char *rel(const struct cowfs_trace_op *op)
{
	return op->path[1] ? op->path + 1 : ".";
}

static int open_path(const struct apply *a, const struct cowfs_trace_op *op, int flags,
		     bool regular)
{
	struct stat st;
	int fd = openat(a->dirfd, rel(op), flags | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return fail_errno(a, op, "open");
	if (regular && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
		close(fd);
		return fail(a, "%s %s: not a regular file", cowfs_op_name(op->kind), op->path);
	}
	return fd;
}

static int fill(const struct apply *a, const struct cowfs_trace_op *op, uint64_t from,
		void *buf, size_t len)
{
	int r = cowfs_data_fill(&op->data, op->line, op->off + from, buf, len);

	if (r < 0)
		return fail(a, "cannot generate the data of this line: %s", cowfs_strerror(r));
	return 0;
}

/* ---- write ---- */

static int pwrite_all(const struct apply *a, int fd, const struct cowfs_trace_op *op,
		      const uint8_t *buf, size_t len, uint64_t off)
{
	while (len) {
		ssize_t k = pwrite(fd, buf, len, (off_t)off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k < 0 ? fail_errno(a, op, "pwrite") : fail(a, "pwrite wrote nothing");
		buf += k;
		off += (uint64_t)k;
		len -= (size_t)k;
	}
	return 0;
}

/* Bytes [from, to) of the operation, a chunk at a time. */
static int write_plain(struct apply *a, int fd, const struct cowfs_trace_op *op,
		       uint64_t from, uint64_t to)
{
	while (from < to) {
		size_t n = to - from < CHUNK ? (size_t)(to - from) : CHUNK;

		if (fill(a, op, from, a->buf, n) < 0 ||
		    pwrite_all(a, fd, op, a->buf, n, op->off + from) < 0)
			return -1;
		from += n;
	}
	return 0;
}

/*
 * Bytes [from, to) from a buffer whose byte `at` starts a PROT_NONE page.  The
 * kernel copies up to the fault and returns a short count (generic_perform_write),
 * or fails the whole chunk with EFAULT when its prefault does not cover it (btrfs
 * faults in the whole chunk first); either way, once the pwrite stops short, the
 * tail is made readable and the rest written, as a program retrying would.  The
 * final content is the same as an unfaulted write, which is what fault=N promises.
 */
static int fault_chunk(struct apply *a, int fd, const struct cowfs_trace_op *op,
		       uint64_t from, uint64_t at, uint64_t to)
{
	size_t head = at - from, tail = to - at;
	size_t hmap = (head + a->page - 1) & ~(a->page - 1);
	size_t tmap = (tail + a->page - 1) & ~(a->page - 1), done = 0;
	uint8_t *base = mmap(NULL, hmap + tmap, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *buf;
	bool fenced = true;
	int r;

	if (base == MAP_FAILED)
		return fail_errno(a, op, "mmap of the user buffer");
	buf = base + hmap - head;
	if ((r = fill(a, op, from, buf, head + tail)) == 0 &&
	    mprotect(base + hmap, tmap, PROT_NONE) < 0)
		r = fail_errno(a, op, "mprotect");
	while (r == 0 && done < head + tail) {
		ssize_t k = pwrite(fd, buf + done, head + tail - done, (off_t)(op->off + from + done));

		if (k > 0)
			done += (size_t)k;
		else if (k < 0 && errno == EFAULT && fenced) {
			fenced = false;
			if (mprotect(base + hmap, tmap, PROT_READ) < 0)
				r = fail_errno(a, op, "mprotect");
		} else if (!(k < 0 && errno == EINTR))
			r = k < 0 ? fail_errno(a, op, "pwrite") : fail(a, "pwrite wrote nothing");
	}
	munmap(base, hmap + tmap);
	return r;
}

static int write_faulting(struct apply *a, int fd, const struct cowfs_trace_op *op)
{
	uint64_t at = op->fault;
	uint64_t from = at > CHUNK ? at - CHUNK : 0;
	uint64_t to = op->len - at > CHUNK ? at + CHUNK : op->len;

	if (write_plain(a, fd, op, 0, from) < 0 || fault_chunk(a, fd, op, from, at, to) < 0)
		return -1;
	return write_plain(a, fd, op, to, op->len);
}

static int do_write(struct apply *a, const struct cowfs_trace_op *op)
{
	int fd = open_path(a, op, O_WRONLY, true), r;

	if (fd < 0)
		return -1;
	if (op->has_fault && op->fault < op->len)
		r = write_faulting(a, fd, op);
	else
		r = write_plain(a, fd, op, 0, op->len);
	close(fd);
	return r;
}

/* ---- mwrite, munmap, pin_write: stores through a shared mapping ---- */

static int do_store(struct apply *a, const struct cowfs_trace_op *op)
{
	int fd = open_path(a, op, O_RDWR, true), r;
	uint64_t moff = op->off & ~(a->page - 1), mlen = op->off + op->len - moff;
	struct stat st;
	uint8_t *map;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0) {
		r = fail_errno(a, op, "fstat");
	} else if (op->off + op->len > (uint64_t)st.st_size) {
		r = fail(a, "%s %s: [%llu, %llu) is past the end of the file (size %llu)",
			 cowfs_op_name(op->kind), op->path, (unsigned long long)op->off,
			 (unsigned long long)(op->off + op->len), (unsigned long long)st.st_size);
	} else if (!op->len) {
		r = 0;
	} else if ((map = mmap(NULL, mlen, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			       (off_t)moff)) == MAP_FAILED) {
		r = fail_errno(a, op, "mmap");
	} else {
		r = fill(a, op, 0, map + (op->off - moff), op->len);
		if (munmap(map, mlen) < 0 && r == 0)
			r = fail_errno(a, op, "munmap");
	}
	close(fd);
	return r;
}

/* ---- the other operations on one path ---- */

static int do_read(struct apply *a, const struct cowfs_trace_op *op)
{
	int fd = open_path(a, op, O_RDONLY, true), r = 0;
	uint64_t done = 0;

	if (fd < 0)
		return -1;
	while (r == 0 && done < op->len) {
		size_t n = op->len - done < CHUNK ? (size_t)(op->len - done) : CHUNK;
		ssize_t k = pread(fd, a->buf, n, (off_t)(op->off + done));

		if (k == 0)
			break;		/* end of file */
		if (k > 0)
			done += (uint64_t)k;
		else if (errno != EINTR)
			r = fail_errno(a, op, "pread");
	}
	close(fd);
	return r;
}

static int do_truncate(struct apply *a, const struct cowfs_trace_op *op)
{
	int fd, r = 0;

	if (op->size > MAX_OFFSET)
		return fail(a, "truncate %s: size %llu is past the largest file offset", op->path,
			    (unsigned long long)op->size);
	if ((fd = open_path(a, op, O_WRONLY, true)) < 0)
		return -1;
	if (ftruncate(fd, (off_t)op->size) < 0)
		r = fail_errno(a, op, "ftruncate");
	close(fd);
	return r;
}

static int do_unlink(struct apply *a, const struct cowfs_trace_op *op)
{
	struct stat st;

	if (fstatat(a->dirfd, rel(op), &st, AT_SYMLINK_NOFOLLOW) < 0)
		return fail_errno(a, op, "stat");
	if (unlinkat(a->dirfd, rel(op), S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) < 0)
		return fail_errno(a, op, S_ISDIR(st.st_mode) ? "rmdir" : "unlink");
	return 0;
}

static int do_create(struct apply *a, const struct cowfs_trace_op *op)
{
	int fd = openat(a->dirfd, rel(op), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	if (fd < 0)
		return fail_errno(a, op, "open");
	close(fd);
	return 0;
}

static int do_fsync(struct apply *a, const struct cowfs_trace_op *op)
{
	int fd = open_path(a, op, O_RDONLY, false), r = 0;

	if (fd < 0)
		return -1;
	if (fsync(fd) < 0)
		r = fail_errno(a, op, "fsync");
	close(fd);
	return r;
}

/* ---- reclaim and writeback: of one file, or of every file under DIR ---- */

/* What a cache operation does to one open file: 0 or an errno. */
typedef int (*cache_fn)(int fd, bool wait);

static int reclaim_fd(int fd, bool wait)
{
	(void)wait;
	return posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
}

static int writeback_fd(int fd, bool wait)
{
	unsigned flags = SYNC_FILE_RANGE_WRITE;

	if (wait)
		flags |= SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WAIT_AFTER;
	return sync_file_range(fd, 0, 0, flags) < 0 ? errno : 0;
}

/* nftw() passes no context: the walk in progress. */
static struct {
	cache_fn fn;
	bool wait;
	int err;
} walk;

static int walk_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	int fd;

	(void)st;
	(void)ftw;
	if (type != FTW_F)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	walk.err = fd < 0 ? errno : walk.fn(fd, walk.wait);
	if (fd >= 0)
		close(fd);
	return walk.err ? 1 : 0;
}

static int do_cache(struct apply *a, const struct cowfs_trace_op *op, cache_fn fn)
{
	int fd, e;

	if (!op->path) {
		walk.fn = fn;
		walk.wait = op->wait;
		walk.err = 0;
		if (nftw(a->dir, walk_one, 16, FTW_PHYS | FTW_MOUNT) != 0)
			return fail(a, "%s of every file: %s", cowfs_op_name(op->kind),
				    strerror(walk.err ? walk.err : errno));
		return 0;
	}
	if ((fd = open_path(a, op, O_RDONLY, true)) < 0)
		return -1;
	e = fn(fd, op->wait);
	close(fd);
	if (e) {
		errno = e;
		return fail_errno(a, op, cowfs_op_name(op->kind));
	}
	return 0;
}

/* ---- one operation ---- */

static int apply_op(struct apply *a, const struct cowfs_trace_op *op)
{
	a->line = op->line;
	if (op->off > MAX_OFFSET || op->len > MAX_OFFSET - op->off)
		return fail(a, "%s %s: range past the largest file offset",
			    cowfs_op_name(op->kind), op->path);
	switch (op->kind) {
	case COWFS_OP_MKDIR:
		return mkdirat(a->dirfd, rel(op), 0755) < 0 ? fail_errno(a, op, "mkdir") : 0;
	case COWFS_OP_CREATE:
		return do_create(a, op);
	case COWFS_OP_UNLINK:
		return do_unlink(a, op);
	case COWFS_OP_TRUNCATE:
		return do_truncate(a, op);
	case COWFS_OP_WRITE:
		return do_write(a, op);
	case COWFS_OP_MWRITE:
	case COWFS_OP_MUNMAP:
	case COWFS_OP_PIN_WRITE:
		return do_store(a, op);
	case COWFS_OP_READ:
		return do_read(a, op);
	case COWFS_OP_RECLAIM:
		return do_cache(a, op, reclaim_fd);
	case COWFS_OP_WRITEBACK:
		return do_cache(a, op, writeback_fd);
	case COWFS_OP_FSYNC:
		return do_fsync(a, op);
	case COWFS_OP_SYNC:
		return syncfs(a->dirfd) < 0 ? fail(a, "syncfs: %s", strerror(errno)) : 0;
	case COWFS_OP_RUN:
	case COWFS_OP_COMMIT:
		return 0;
	default:
		return fail(a, "%s cannot be applied to a directory", cowfs_op_name(op->kind));
	}
}

/* Hooks run after their operation here, so they must not change content. */
static bool neutral(enum cowfs_op_kind kind)
{
	switch (kind) {
	case COWFS_OP_READ:
	case COWFS_OP_RECLAIM:
	case COWFS_OP_WRITEBACK:
	case COWFS_OP_RUN:
	case COWFS_OP_FSYNC:
	case COWFS_OP_SYNC:
	case COWFS_OP_COMMIT:
		return true;
	default:
		return false;
	}
}

static int check_group(struct apply *a, const struct cowfs_trace_group *g)
{
	a->line = g->op.line;
	if (g->op.kind == COWFS_OP_CRASH)
		return fail(a, "crash cannot be applied: the kernel side cannot crash");
	for (size_t i = 0; i < g->nr_hooks; i++) {
		a->line = g->hooks[i].line;
		if (!neutral(g->hooks[i].kind))
			return fail(a, "a hook may not carry %s here: hooks run after their operation, so only reclaim, run, writeback, read, fsync, sync and commit keep the result fixed",
				    cowfs_op_name(g->hooks[i].kind));
	}
	return 0;
}

static int report_trace_error(const struct cowfs_trace_error *err)
{
	char msg[sizeof(err->file) + sizeof(err->msg) + 64];

	cowfs_trace_format_error(err, msg, sizeof(msg));
	fprintf(stderr, "trace-apply: %s\n", msg);
	return -1;
}

/* One pass over the trace: check every group, or apply it. */
static int pass(struct apply *a, const char *trace, bool apply)
{
	struct cowfs_trace_error err = { 0 };
	struct cowfs_trace_group g = { 0 };
	cowfs_trace_reader *rd;
	bool failed = false;
	int r = cowfs_trace_open(trace, &rd, &err);

	if (r < 0)
		return report_trace_error(&err);
	while ((r = cowfs_trace_next_group(rd, &g)) > 0) {
		int ret = apply ? apply_op(a, &g.op) : check_group(a, &g);

		for (size_t i = 0; apply && i < g.nr_hooks && ret == 0; i++)
			ret = apply_op(a, &g.hooks[i]);
		if (ret < 0) {
			failed = true;
			break;
		}
	}
	if (r < 0)
		report_trace_error(cowfs_trace_error(rd));
	cowfs_trace_group_release(&g);
	cowfs_trace_close(rd);
	return r < 0 || failed ? -1 : 0;
}

static int run(const char *trace, const char *dir)
{
	struct cowfs_trace_error err = { 0 };
	struct apply a = { .dir = dir, .dirfd = -1, .page = (uint64_t)sysconf(_SC_PAGESIZE) };
	int r;

	if (cowfs_trace_validate(trace, &err) < 0)
		return report_trace_error(&err);
	if (pass(&a, trace, false) < 0)
		return -1;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "trace-apply: cannot create %s: %s\n", dir, strerror(errno));
		return -1;
	}
	a.dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	a.buf = malloc(CHUNK);
	if (a.dirfd < 0 || !a.buf) {
		fprintf(stderr, "trace-apply: cannot open %s: %s\n", dir, strerror(errno));
		r = -1;
	} else {
		r = pass(&a, trace, true);
	}
	if (a.dirfd >= 0)
		close(a.dirfd);
	free(a.buf);
	return r;
}

int main(int argc, char **argv)
{
	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		puts("usage: trace-apply TRACE DIR\n\n"
		     "    apply a cowtrace 1 to DIR (created if missing) with real syscalls");
		return 0;
	}
	if (argc != 3) {
		fputs("usage: trace-apply TRACE DIR\n", stderr);
		return 2;
	}
	return run(argv[1], argv[2]) < 0 ? 1 : 0;
}
