/* DATA specs as text: stamp, rand:SEED, fill:B, zero, hex:HEX. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "trace/parse.h"
#include "trace/priv.h"

static const struct {
	const char *name;
	bool arg;
	const char *what;		/* the argument in messages */
} kinds[] = {
	[COWFS_DATA_STAMP] = { "stamp", false, NULL },
	[COWFS_DATA_RAND] = { "rand", true, "rand:SEED" },
	[COWFS_DATA_FILL] = { "fill", true, "fill:B" },
	[COWFS_DATA_ZERO] = { "zero", false, NULL },
	[COWFS_DATA_HEX] = { "hex", true, "hex:HEX" },
};

#define NR_KINDS (sizeof(kinds) / sizeof(kinds[0]))

/* hex:HEX: exactly 2 x LEN digits, checked before anything is allocated. */
static int parse_hex(struct trace_line *l, const char *p, size_t n, size_t off,
		     struct cowfs_trace_op *op)
{
	char show[TRACE_SHOW_MAX];
	uint8_t *out;

	for (size_t i = 0; i < n; i++)
		if (trace_hexval(p[i]) < 0)
			return trace_line_err(l, off + i, "bad hex digit %s in hex data",
					      trace_show(show, p + i,
							 trace_utf8_len((const unsigned char *)p + i, n - i)));
	if (n % 2 || n / 2 != op->len) {
		if (op->len <= UINT64_MAX / 2)
			return trace_line_err(l, off, "expected %llu hex digits (2 x LEN) for hex data, found %zu",
					      (unsigned long long)op->len * 2, n);
		return trace_line_err(l, off, "expected 2 x %llu hex digits (2 x LEN) for hex data, found %zu",
				      (unsigned long long)op->len, n);
	}
	out = trace_hex_alloc(&op->data, op->len, op->off);
	if (!out) {
		trace_line_err(l, off, "out of memory for %zu bytes of hex data", n / 2);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n / 2; i++)
		out[i] = (uint8_t)(trace_hexval(p[2 * i]) << 4 | trace_hexval(p[2 * i + 1]));
	return 0;
}

static int parse_arg(struct trace_line *l, enum cowfs_data_kind kind, const char *p, size_t n,
		     size_t off, struct cowfs_trace_op *op)
{
	uint64_t v;
	int r;

	switch (kind) {
	case COWFS_DATA_RAND:
		return trace_number(l, p, n, off, "rand:SEED", &op->data.seed);
	case COWFS_DATA_FILL:
		if ((r = trace_number(l, p, n, off, "fill:B", &v)) < 0)
			return r;
		if (v > 255)
			return trace_line_err(l, off, "fill byte %llu out of range, expected 0..255",
					      (unsigned long long)v);
		op->data.fill = (uint8_t)v;
		return 0;
	case COWFS_DATA_HEX:
		return parse_hex(l, p, n, off, op);
	default:
		return 0;
	}
}

int trace_parse_data(struct trace_line *l, const char *p, size_t n, size_t off,
		     struct cowfs_trace_op *op)
{
	char show[TRACE_SHOW_MAX];
	const char *colon = memchr(p, ':', n);
	size_t klen = colon ? (size_t)(colon - p) : n;
	unsigned k;

	for (k = 0; k < NR_KINDS; k++)
		if (strlen(kinds[k].name) == klen && !memcmp(kinds[k].name, p, klen))
			break;
	if (k == NR_KINDS)
		return trace_line_err(l, off, "unknown data kind %s, expected stamp, rand:SEED, fill:B, zero or hex:HEX",
				      trace_show(show, p, klen));
	if (!kinds[k].arg && colon)
		return trace_line_err(l, off + klen, "data kind '%s' takes no argument", kinds[k].name);
	if (kinds[k].arg && !colon)
		return trace_line_err(l, off + klen, "data kind '%s' needs an argument: %s",
				      kinds[k].name, kinds[k].what);
	op->data.kind = (enum cowfs_data_kind)k;
	if (!colon)
		return 0;
	return parse_arg(l, op->data.kind, colon + 1, n - klen - 1, off + klen + 1, op);
}

/* MiBs of hex are common: format a chunk at a time, not a byte per fprintf. */
static void write_hex(FILE *f, const uint8_t *p, uint64_t n)
{
	static const char digits[] = "0123456789abcdef";
	char buf[4096];
	size_t k = 0;

	fputc(':', f);
	for (uint64_t i = 0; i < n; i++) {
		buf[k++] = digits[p[i] >> 4];
		buf[k++] = digits[p[i] & 15];
		if (k == sizeof(buf)) {
			fwrite(buf, 1, k, f);
			k = 0;
		}
	}
	fwrite(buf, 1, k, f);
}

int trace_data_write(FILE *f, const struct cowfs_data_spec *spec)
{
	if ((unsigned)spec->kind >= NR_KINDS)
		return -EINVAL;
	fputs(kinds[spec->kind].name, f);
	if (spec->kind == COWFS_DATA_RAND)
		fprintf(f, ":%llu", (unsigned long long)spec->seed);
	else if (spec->kind == COWFS_DATA_FILL)
		fprintf(f, ":%u", spec->fill);
	else if (spec->kind == COWFS_DATA_HEX)
		write_hex(f, spec->hex, spec->hex_len);
	return ferror(f) ? -EIO : 0;
}
