/* Space reservation: btrfs_check_data_free_space and the delalloc reservations.
 *
 * Data reservations hold bytes_may_use against cowfs_free_bytes(); metadata
 * reservations hold an estimate of the tree blocks the extent and csum items
 * will need (one byte per 32 of data: linear, so that any split of a range
 * releases exactly what was reserved).  A global reserve is kept back for the
 * commit's own copy-on-write.  When a reservation fails the running
 * transaction is committed once to free pinned extents, as flush_space's
 * COMMIT_TRANS step does, and then it is -ENOSPC.
 */
#ifndef COWFS_ENGINE_SPACE_INFO_H
#define COWFS_ENGINE_SPACE_INFO_H

#include <stdint.h>

#include "engine/fs-info.h"

void space_info_init(struct cowfs_engine *eng);
uint64_t space_available(const struct cowfs_engine *eng);
static inline uint64_t meta_for(uint64_t bytes)
{
	return bytes >> 5;
}

int btrfs_check_data_free_space(struct cowfs_engine *eng, uint64_t start, uint64_t len);
void btrfs_free_reserved_data_space(struct cowfs_engine *eng, uint64_t start, uint64_t len);
int btrfs_delalloc_reserve_metadata(struct cowfs_engine *eng, uint64_t num_bytes);
void btrfs_delalloc_release_metadata(struct cowfs_engine *eng, uint64_t num_bytes);
int btrfs_delalloc_reserve_space(struct cowfs_engine *eng, uint64_t start, uint64_t len);
void btrfs_delalloc_release_space(struct cowfs_engine *eng, uint64_t start, uint64_t len);
/* btrfs_add_reserved_bytes: an allocation made by cow_file_range consumes the
 * data reservation of its bytes. */
void btrfs_convert_data_reservation(struct cowfs_engine *eng, uint64_t bytes);

#endif
