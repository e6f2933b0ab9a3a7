/* CRC-32C (Castagnoli, reflected polynomial 0x82f63b78).
 *
 * Two implementations that must agree bit for bit: a portable slicing-by-8
 * table walk, and the SSE4.2 crc32 instruction, which computes exactly this
 * polynomial.  The choice is made once, at first use, from the running CPU.
 */
#include <endian.h>
#include <pthread.h>
#include <string.h>

#include "util/crc32c.h"

#define CRC32C_POLY 0x82f63b78u

/* crc_table[k][b]: the CRC of byte b followed by k zero bytes. */
static uint32_t crc_table[8][256];
static int crc_hw;
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc32c_init(void)
{
	for (unsigned b = 0; b < 256; b++) {
		uint32_t c = b;

		for (int i = 0; i < 8; i++)
			c = (c >> 1) ^ (CRC32C_POLY & -(c & 1));
		crc_table[0][b] = c;
	}
	for (unsigned b = 0; b < 256; b++)
		for (int k = 1; k < 8; k++)
			crc_table[k][b] = (crc_table[k - 1][b] >> 8) ^
					  crc_table[0][crc_table[k - 1][b] & 0xff];
#if defined(__x86_64__)
	__builtin_cpu_init();
	crc_hw = __builtin_cpu_supports("sse4.2");
#endif
}

uint32_t cowfs_crc32c_update_sw(uint32_t crc, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	pthread_once(&crc_once, crc32c_init);
	for (; len && ((uintptr_t)p & 7); len--)
		crc = (crc >> 8) ^ crc_table[0][(crc ^ *p++) & 0xff];
	for (; len >= 8; len -= 8, p += 8) {
		uint64_t w;

		memcpy(&w, p, 8);
		w = le64toh(w) ^ crc;	/* the table walk assumes little-endian byte order */
		crc = crc_table[7][w & 0xff] ^
		      crc_table[6][(w >> 8) & 0xff] ^
		      crc_table[5][(w >> 16) & 0xff] ^
		      crc_table[4][(w >> 24) & 0xff] ^
		      crc_table[3][(w >> 32) & 0xff] ^
		      crc_table[2][(w >> 40) & 0xff] ^
		      crc_table[1][(w >> 48) & 0xff] ^
		      crc_table[0][w >> 56];
	}
	while (len--)
		crc = (crc >> 8) ^ crc_table[0][(crc ^ *p++) & 0xff];
	return crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2")))
static uint32_t crc32c_sse42(uint32_t crc, const unsigned char *p, size_t len)
{
	uint64_t c = crc;

	for (; len && ((uintptr_t)p & 7); len--)
		c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
	for (; len >= 8; len -= 8, p += 8) {
		uint64_t w;

		memcpy(&w, p, 8);
		c = __builtin_ia32_crc32di(c, w);
	}
	if (len >= 4) {
		uint32_t w;

		memcpy(&w, p, 4);
		c = __builtin_ia32_crc32si((uint32_t)c, w);
		p += 4;
		len -= 4;
	}
	while (len--)
		c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
	return (uint32_t)c;
}
#endif

int cowfs_crc32c_hw_available(void)
{
	pthread_once(&crc_once, crc32c_init);
	return crc_hw;
}

/* Without SSE4.2 (or off x86-64) this is the table walk, so callers need not ask. */
uint32_t cowfs_crc32c_update_hw(uint32_t crc, const void *buf, size_t len)
{
#if defined(__x86_64__)
	if (cowfs_crc32c_hw_available())
		return crc32c_sse42(crc, buf, len);
#endif
	return cowfs_crc32c_update_sw(crc, buf, len);
}

uint32_t cowfs_crc32c_update(uint32_t crc, const void *buf, size_t len)
{
	return cowfs_crc32c_update_hw(crc, buf, len);
}

uint32_t cowfs_crc32c(const void *buf, size_t len)
{
	return ~cowfs_crc32c_update(~0u, buf, len);
}
