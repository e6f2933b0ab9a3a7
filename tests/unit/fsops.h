/* Fixtures and helpers shared by the two halves of the fsops suite. */
#ifndef COWFS_TESTS_FSOPS_H
#define COWFS_TESTS_FSOPS_H

#include <check.h>
#include <stdint.h>

#include "cowfs/disk.h"

#define MiB (1024u * 1024)

/* The image of the running test, made by setup() (setup_zstd(): with compression). */
extern char image[4096];
void make_image(char *path, size_t size, uint64_t features);
void setup(void);
void setup_zstd(void);
void teardown(void);

cowfs_fs *open_fs(unsigned flags);
/* Commit, close, open again with flags. */
cowfs_fs *commit_reopen(cowfs_fs *fs, unsigned flags);
/* len deterministic pseudo-random bytes (malloc'd). */
uint8_t *random_bytes(size_t len, uint64_t seed);

uint64_t create(cowfs_fs *fs, uint64_t dir, const char *name, uint32_t mode);
struct cowfs_inode inode_of(cowfs_fs *fs, uint64_t ino);
uint64_t path_ino(cowfs_fs *fs, const char *path);
/* The file's first len bytes equal want. */
void assert_content(cowfs_fs *fs, uint64_t ino, const uint8_t *want, size_t len);
/* refs of the extent item of em's disk extent, 0 when it has none. */
uint64_t extent_refs(cowfs_fs *fs, const struct cowfs_extent_map *em);

/* A readdir listing, filled by collect(). */
struct listing {
	char names[16][64];
	uint64_t inos[16];
	int types[16];
	int n;
};
int collect(void *arg, const char *name, size_t len, uint64_t ino, int type);

void fsops_add_data_tests(Suite *s);

#endif
