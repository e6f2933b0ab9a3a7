/* The data generators of TRACE-FORMAT.md "Data": the byte at file offset x
 * is a function of x (and, for stamp, of the writing line), so any range can
 * be produced or checked without storing it.
 */
#include <endian.h>
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cowfs/trace.h"
#include "trace/priv.h"

#define RAND_GOLDEN	0x9E3779B97F4A7C15ull

/* Hex bytes are shared between an op and whoever keeps its spec (the oracle). */
struct hexbuf {
	atomic_uint refs;
	uint8_t bytes[];
};

static struct hexbuf *hexbuf_of(const struct cowfs_data_spec *spec)
{
	if (spec->kind != COWFS_DATA_HEX || !spec->hex)
		return NULL;
	return (struct hexbuf *)(spec->hex - offsetof(struct hexbuf, bytes));
}

void cowfs_data_hold(const struct cowfs_data_spec *spec)
{
	struct hexbuf *hb = hexbuf_of(spec);

	if (hb)
		atomic_fetch_add(&hb->refs, 1);
}

void cowfs_data_put(const struct cowfs_data_spec *spec)
{
	struct hexbuf *hb = hexbuf_of(spec);

	if (hb && atomic_fetch_sub(&hb->refs, 1) == 1)
		free(hb);
}

uint8_t *trace_hex_alloc(struct cowfs_data_spec *spec, uint64_t len, uint64_t off)
{
	struct hexbuf *hb;

	if (len > SIZE_MAX - sizeof(*hb))
		return NULL;
	hb = malloc(sizeof(*hb) + len);
	if (!hb)
		return NULL;
	atomic_init(&hb->refs, 1);
	*spec = (struct cowfs_data_spec){
		.kind = COWFS_DATA_HEX, .hex = hb->bytes, .hex_off = off, .hex_len = len,
	};
	return hb->bytes;
}

int cowfs_data_hex_new(struct cowfs_data_spec *spec, const void *bytes, uint64_t len,
		       uint64_t off)
{
	uint8_t *p = trace_hex_alloc(spec, len, off);

	if (!p)
		return -ENOMEM;
	if (len)
		memcpy(p, bytes, len);
	return 0;
}

uint64_t cowfs_splitmix64(uint64_t z)
{
	z ^= z >> 30;
	z *= 0xBF58476D1CE4E5B9ull;
	z ^= z >> 27;
	z *= 0x94D049BB133111EBull;
	z ^= z >> 31;
	return z;
}

/* The 64-bit word (as a value; stored little-endian) covering file bytes [8w, 8w + 8). */
static uint64_t word_at(const struct cowfs_data_spec *spec, uint64_t line, uint64_t w)
{
	if (spec->kind == COWFS_DATA_STAMP)
		return cowfs_stamp_word(line, w << 3);
	return cowfs_splitmix64(spec->seed * RAND_GOLDEN + w);
}

static void fill_words(const struct cowfs_data_spec *spec, uint64_t line, uint64_t x,
		       uint8_t *p, size_t len)
{
	/* Unaligned head and tail byte by byte, whole words in between. */
	for (; len && (x & 7); x++, len--)
		*p++ = (uint8_t)(word_at(spec, line, x >> 3) >> (8 * (x & 7)));
	for (; len >= 8; x += 8, len -= 8, p += 8) {
		uint64_t le = htole64(word_at(spec, line, x >> 3));

		memcpy(p, &le, 8);
	}
	for (; len; x++, len--)
		*p++ = (uint8_t)(word_at(spec, line, x >> 3) >> (8 * (x & 7)));
}

int cowfs_data_fill(const struct cowfs_data_spec *spec, uint64_t line, uint64_t off,
		    void *buf, size_t len)
{
	if (len > UINT64_MAX - off)
		return -EINVAL;
	switch (spec->kind) {
	case COWFS_DATA_STAMP:
	case COWFS_DATA_RAND:
		fill_words(spec, line, off, buf, len);
		return 0;
	case COWFS_DATA_FILL:
		memset(buf, spec->fill, len);
		return 0;
	case COWFS_DATA_ZERO:
		memset(buf, 0, len);
		return 0;
	case COWFS_DATA_HEX:
		if (off < spec->hex_off || off - spec->hex_off > spec->hex_len ||
		    len > spec->hex_len - (off - spec->hex_off))
			return -ERANGE;
		if (len)
			memcpy(buf, spec->hex + (off - spec->hex_off), len);
		return 0;
	}
	return -EINVAL;
}

size_t cowfs_data_compare(const struct cowfs_data_spec *spec, uint64_t line, uint64_t off,
			  const void *buf, size_t len)
{
	const uint8_t *b = buf;
	uint8_t want[4096];

	if (len > UINT64_MAX - off || cowfs_data_fill(spec, line, off, want, 0) < 0)
		return (size_t)-1;
	for (size_t done = 0; done < len;) {
		size_t n = len - done < sizeof(want) ? len - done : sizeof(want);

		if (cowfs_data_fill(spec, line, off + done, want, n) < 0)
			return (size_t)-1;
		if (memcmp(want, b + done, n))
			for (size_t i = 0; i < n; i++)
				if (want[i] != b[done + i])
					return done + i;
		done += n;
	}
	return len;
}
