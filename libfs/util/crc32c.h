/* CRC-32C (Castagnoli), the checksum of every block and every 4 KiB of data. */
#ifndef COWFS_UTIL_CRC32C_H
#define COWFS_UTIL_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* The standard CRC-32C of buf: seed ~0, final inversion ("123456789" -> 0xe3069283). */
uint32_t cowfs_crc32c(const void *buf, size_t len);

/* Raw update without the inversions, for streaming: crc = ~0, update..., result = ~crc. */
uint32_t cowfs_crc32c_update(uint32_t crc, const void *buf, size_t len);

/* The two implementations, exposed so tests can hold them to the same vectors. */
uint32_t cowfs_crc32c_update_sw(uint32_t crc, const void *buf, size_t len);
uint32_t cowfs_crc32c_update_hw(uint32_t crc, const void *buf, size_t len);
int cowfs_crc32c_hw_available(void);

#endif
