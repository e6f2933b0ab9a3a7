/* Space reservation: see space-info.h. */
#include <errno.h>
#include <inttypes.h>

#include "engine/space-info.h"
#include "engine/transaction.h"

#define ROUND_DOWN(x) ((x) & ~(uint64_t)(SECTORSIZE - 1))
#define ROUND_UP(x) ROUND_DOWN((x) + SECTORSIZE - 1)

void space_info_init(struct cowfs_engine *eng)
{
	struct cowfs_info info;
	uint64_t rsv;

	cowfs_get_info(eng->fs, &info);
	rsv = info.total_bytes / 64;
	if (rsv < 256 * 1024)
		rsv = 256 * 1024;
	if (rsv > 16 * 1024 * 1024)
		rsv = 16 * 1024 * 1024;
	eng->global_rsv = rsv;
	eng->data_may_use = 0;
	eng->meta_may_use = 0;
}

uint64_t space_available(const struct cowfs_engine *eng)
{
	uint64_t free = cowfs_free_bytes(eng->fs);
	uint64_t held = eng->data_may_use + eng->meta_may_use + eng->global_rsv;

	return free > held ? free - held : 0;
}

static void sub_sat(uint64_t *v, uint64_t n)
{
	*v -= n < *v ? n : *v;
}

/* Room for bytes more, committing once to free pinned space if needed. */
static int may_use(struct cowfs_engine *eng, uint64_t bytes)
{
	if (bytes <= space_available(eng))
		return 0;
	if (!eng->halted && cowfs_trans_dirty(eng->fs)) {
		eng_event(eng, "reservation of %" PRIu64 " bytes: committing to free pinned space",
			  bytes);
		transaction_commit(eng);
		if (bytes <= space_available(eng))
			return 0;
	}
	eng_event(eng, "reservation of %" PRIu64 " bytes: ENOSPC (%" PRIu64 " available)",
		  bytes, space_available(eng));
	return -ENOSPC;
}

int btrfs_check_data_free_space(struct cowfs_engine *eng, uint64_t start, uint64_t len)
{
	uint64_t bytes = ROUND_UP(start + len) - ROUND_DOWN(start);
	int ret = may_use(eng, bytes);

	if (!ret)
		eng->data_may_use += bytes;
	return ret;
}

void btrfs_free_reserved_data_space(struct cowfs_engine *eng, uint64_t start, uint64_t len)
{
	sub_sat(&eng->data_may_use, ROUND_UP(start + len) - ROUND_DOWN(start));
}

int btrfs_delalloc_reserve_metadata(struct cowfs_engine *eng, uint64_t num_bytes)
{
	uint64_t bytes = meta_for(ROUND_UP(num_bytes));
	int ret = may_use(eng, bytes);

	if (!ret)
		eng->meta_may_use += bytes;
	return ret;
}

void btrfs_delalloc_release_metadata(struct cowfs_engine *eng, uint64_t num_bytes)
{
	sub_sat(&eng->meta_may_use, meta_for(ROUND_UP(num_bytes)));
}

int btrfs_delalloc_reserve_space(struct cowfs_engine *eng, uint64_t start, uint64_t len)
{
	int ret = btrfs_check_data_free_space(eng, start, len);

	if (ret)
		return ret;
	ret = btrfs_delalloc_reserve_metadata(eng, ROUND_UP(start + len) - ROUND_DOWN(start));
	if (ret)
		btrfs_free_reserved_data_space(eng, start, len);
	return ret;
}

void btrfs_delalloc_release_space(struct cowfs_engine *eng, uint64_t start, uint64_t len)
{
	btrfs_free_reserved_data_space(eng, start, len);
	btrfs_delalloc_release_metadata(eng, ROUND_UP(start + len) - ROUND_DOWN(start));
}

void btrfs_convert_data_reservation(struct cowfs_engine *eng, uint64_t bytes)
{
	sub_sat(&eng->data_may_use, bytes);
}
