/* Superblock copies: the newest valid one wins. */
#include <string.h>

#include "disk/super.h"
#include "disk/verify.h"

int read_supers(struct cowfs_fs *fs, int backup_only)
{
	struct cowfs_super sb;
	uint64_t best_gen = 0;
	uint64_t gens[COWFS_SUPER_COPIES] = { 0 };
	int best = -1;

	fs->super_problems = 0;
	for (int i = 0; i < COWFS_SUPER_COPIES; i++) {
		if (backup_only && i == 0)
			continue;
		if (dev_pread(&fs->dev, &sb, sizeof(sb), cowfs_super_offsets[i]) < 0 ||
		    cowfs_verify_super(&sb, cowfs_super_offsets[i], fs->dev.size, NULL) < 0) {
			fs->super_problems |= 1 << i;
			continue;
		}
		gens[i] = cowfs_super_generation(&sb);
		if (best < 0 || gens[i] > best_gen) {
			best = i;
			best_gen = gens[i];
			fs->super = sb;
		}
	}
	if (best < 0)
		return -COWFS_EBADSUPER;
	for (int i = 0; i < COWFS_SUPER_COPIES; i++)
		if (gens[i] && gens[i] < best_gen)
			fs->super_problems |= 1 << i;
	fs->super_copy = best;
	memcpy(fs->fsid, fs->super.fsid, COWFS_FSID_SIZE);
	return 0;
}

int write_supers(struct cowfs_fs *fs)
{
	for (int i = 0; i < COWFS_SUPER_COPIES; i++) {
		struct cowfs_super sb = fs->super;
		int ret;

		cowfs_set_super_bytenr(&sb, cowfs_super_offsets[i]);
		cowfs_block_set_csum(&sb);
		ret = dev_pwrite(&fs->dev, &sb, sizeof(sb), cowfs_super_offsets[i]);
		if (ret < 0)
			return ret;
	}
	return 0;
}
