/* cowmkfs --rootdir: scan a directory tree, size it, copy it into a new filesystem. */
#ifndef COWFS_CMD_MKFS_ROOTDIR_H
#define COWFS_CMD_MKFS_ROOTDIR_H

#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#define MiB		((uint64_t)1024 * 1024)

struct rootdir_node {
	char *name;			/* one component; the root's is the path given */
	struct stat st;
	struct rootdir_node *kids;	/* of a directory, sorted by name (bytes) */
	size_t nkids;
};

struct rootdir_scan {
	struct rootdir_node root;
	uint64_t files, dirs;
	uint64_t data_bytes;		/* file data, in whole blocks, holes left out */
	uint64_t name_bytes;
	uint64_t extents;		/* data extents the copy will make, at most */
	int compress;
};

void rootdir_init(struct rootdir_scan *s, int compress);
void rootdir_free(struct rootdir_scan *s);
int rootdir_scan(struct rootdir_scan *s, const char *dir, const dev_t *skip_dev,
		 ino_t skip_ino);
uint64_t rootdir_needed(const struct rootdir_scan *s);
uint64_t rootdir_image_size(const struct rootdir_scan *s, uint64_t min);
int rootdir_copy(const struct rootdir_scan *s, const char *image, const int64_t *epoch);

#endif
