/* A small pool of threads hashing 4 KiB blocks with crc32c, so that pass 4
 * can read the next stretch of the image while the last one is hashed. */
#ifndef COWFS_CHECK_HASHER_H
#define COWFS_CHECK_HASHER_H

#include <stddef.h>
#include <stdint.h>

struct hasher;

/* Start up to nthreads workers; with none (or if no thread can be made),
 * hasher_submit hashes in the caller.  NULL when out of memory. */
struct hasher *hasher_start(int nthreads);
/* Hash the n blocks at buf + offs[i] into out[i]; returns at once when workers run. */
void hasher_submit(struct hasher *h, const uint8_t *buf, const size_t *offs, size_t n,
		   uint32_t *out);
/* Wait for the last submission to finish. */
void hasher_wait(struct hasher *h);
void hasher_stop(struct hasher *h);

#endif
