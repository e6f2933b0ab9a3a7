/* Reading a trace as lines, decompressing zstd on the fly. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "trace/input.h"
#include "trace/priv.h"

#define ZSTD_MAGIC		0xFD2FB528u
#define ZSTD_SKIPPABLE_MASK	0xFFFFFFF0u
#define ZSTD_SKIPPABLE		0x184D2A50u

static int io_err(struct cowfs_trace_error *err, uint64_t line, int e)
{
	trace_err(err, line, 0, "read error: %s", strerror(e));
	return -e;
}

static int oom(struct cowfs_trace_error *err)
{
	trace_err(err, 0, 0, "out of memory");
	return -ENOMEM;
}

/* Append raw bytes to ibuf: the count read, 0 at end of file. */
static ssize_t raw_read(struct trace_input *in)
{
	size_t room = in->icap - in->ilen;

	if (in->file) {
		size_t n = fread(in->ibuf + in->ilen, 1, room, in->file);

		if (n == 0 && ferror(in->file))
			return -(errno ? errno : EIO);
		in->ilen += n;
		return (ssize_t)n;
	}
	for (;;) {
		ssize_t n = read(in->fd, in->ibuf + in->ilen, room);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		in->ilen += (size_t)n;
		return n;
	}
}

/* Refill ibuf once it is consumed: 1 if there is more, 0 at end of file. */
static int raw_refill(struct trace_input *in, struct cowfs_trace_error *err)
{
	ssize_t n;

	if (in->ipos < in->ilen)
		return 1;
	if (in->ieof)
		return 0;
	in->ipos = in->ilen = 0;
	n = raw_read(in);
	if (n < 0)
		return io_err(err, in->lineno, (int)-n);
	if (n == 0)
		in->ieof = true;
	return n > 0;
}

static bool is_zstd(const uint8_t *p)
{
	uint32_t m = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
		     (uint32_t)p[3] << 24;

	return m == ZSTD_MAGIC || (m & ZSTD_SKIPPABLE_MASK) == ZSTD_SKIPPABLE;
}

int trace_input_init(struct trace_input *in, int fd, bool own_fd, FILE *file,
		     struct cowfs_trace_error *err)
{
	memset(in, 0, sizeof(*in));
	in->fd = fd;
	in->own_fd = own_fd;
	in->file = file;
	in->max_line = COWFS_TRACE_MAX_LINE;
	in->icap = ZSTD_DStreamInSize();
	in->ibuf = malloc(in->icap);
	if (!in->ibuf)
		return oom(err);

	/* Sniff the magic: read until 4 bytes or the end. */
	while (in->ilen < 4 && !in->ieof) {
		ssize_t n = raw_read(in);

		if (n < 0)
			return io_err(err, 0, (int)-n);
		if (n == 0)
			in->ieof = true;
	}
	if (in->ilen < 4 || !is_zstd(in->ibuf))
		return 0;

	in->dctx = ZSTD_createDCtx();
	in->ocap = ZSTD_DStreamOutSize();
	in->obuf = malloc(in->ocap);
	if (!in->dctx || !in->obuf)
		return oom(err);
	in->zret = 1;
	return 0;
}

void trace_input_fini(struct trace_input *in)
{
	if (in->own_fd && in->fd >= 0)
		close(in->fd);
	ZSTD_freeDCtx(in->dctx);
	free(in->ibuf);
	free(in->obuf);
	free(in->line);
	memset(in, 0, sizeof(*in));
	in->fd = -1;
}

/* Decompress more into obuf: 1 if some came out, 0 at the clean end. */
static int zstd_more(struct trace_input *in, struct cowfs_trace_error *err)
{
	for (;;) {
		ZSTD_inBuffer ib;
		ZSTD_outBuffer ob = { in->obuf, in->ocap, 0 };
		size_t r;

		if (!in->zflush) {
			int more = raw_refill(in, err);

			if (more < 0)
				return more;
			if (!more && in->zret != 0)
				return trace_err(err, in->lineno + 1, 1,
						 "truncated zstd stream: the last frame is incomplete");
			if (!more)
				return 0;
		}
		ib = (ZSTD_inBuffer){ in->ibuf, in->ilen, in->ipos };
		r = ZSTD_decompressStream(in->dctx, &ob, &ib);
		if (ZSTD_isError(r))
			return trace_err(err, in->lineno + 1, 1, "corrupt zstd stream: %s",
					 ZSTD_getErrorName(r));
		in->ipos = ib.pos;
		in->zret = r;
		/* A full output buffer may hide more output still inside the context. */
		in->zflush = ob.pos == ob.size;
		if (ob.pos) {
			in->opos = 0;
			in->olen = ob.pos;
			return 1;
		}
	}
}

/* Make [*p, *p + *n) the next unconsumed decoded bytes: 1, or 0 at the end. */
static int next_chunk(struct trace_input *in, const uint8_t **p, size_t *n,
		      struct cowfs_trace_error *err)
{
	int r;

	if (in->dctx) {
		if (in->opos == in->olen && (r = zstd_more(in, err)) <= 0)
			return r;
		*p = in->obuf + in->opos;
		*n = in->olen - in->opos;
		return 1;
	}
	if ((r = raw_refill(in, err)) <= 0)
		return r;
	*p = in->ibuf + in->ipos;
	*n = in->ilen - in->ipos;
	return 1;
}

static void consume(struct trace_input *in, size_t n)
{
	if (in->dctx)
		in->opos += n;
	else
		in->ipos += n;
}

static int line_append(struct trace_input *in, const uint8_t *p, size_t n,
		       struct cowfs_trace_error *err)
{
	size_t need = in->line_len + n + 1;

	if (in->line_len + n > in->max_line)
		return trace_err(err, in->lineno + 1, 1, "line longer than the limit of %zu bytes",
				 in->max_line);
	if (need > in->line_cap) {
		size_t cap = in->line_cap ? in->line_cap : 4096;
		char *l;

		while (cap < need)
			cap *= 2;
		l = realloc(in->line, cap);
		if (!l) {
			trace_err(err, in->lineno + 1, 0, "out of memory for a line of %zu bytes", need);
			return -ENOMEM;
		}
		in->line = l;
		in->line_cap = cap;
	}
	memcpy(in->line + in->line_len, p, n);
	in->line_len += n;
	in->line[in->line_len] = '\0';
	return 0;
}

int trace_input_next_line(struct trace_input *in, struct cowfs_trace_error *err)
{
	bool any = false;
	int r;

	in->line_len = 0;
	for (;;) {
		const uint8_t *p, *nl;
		size_t n, take;

		r = next_chunk(in, &p, &n, err);
		if (r < 0)
			return r;
		if (r == 0) {
			if (!any)
				return 0;
			break;
		}
		any = true;
		nl = memchr(p, '\n', n);
		take = nl ? (size_t)(nl - p) : n;
		r = line_append(in, p, take, err);
		if (r < 0)
			return r;
		consume(in, nl ? take + 1 : take);
		if (nl)
			break;
	}
	/* Every line went through line_append, so in->line is allocated. */
	if (in->line_len && in->line[in->line_len - 1] == '\r')
		in->line[--in->line_len] = '\0';
	in->lineno++;
	return 1;
}
