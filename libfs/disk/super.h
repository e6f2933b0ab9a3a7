/* Reading, choosing and writing the superblock copies. */
#ifndef COWFS_DISK_SUPER_H
#define COWFS_DISK_SUPER_H

#include <stdint.h>

#include "disk/fs.h"

static const uint64_t cowfs_super_offsets[COWFS_SUPER_COPIES] = {
	COWFS_SUPER_OFFSET, COWFS_SUPER_BACKUP
};

/* Read every copy; keep the newest valid one in fs->super (only the backup with
 * backup_only).  Sets fs->super_copy and fs->super_problems (bit i: copy i invalid
 * or older than the one chosen).  -COWFS_EBADSUPER when none is valid. */
int read_supers(struct cowfs_fs *fs, int backup_only);
/* Write fs->super to every copy (primary first), each with its own bytenr and csum. */
int write_supers(struct cowfs_fs *fs);

#endif
