/* Filesystem operations of the disk layer: names and inodes here; data in
 * fsops-data.c.  One suite, "fsops". */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cowfs/disk.h"
#include "disk/ctree.h"
#include "disk/dir.h"
#include "disk/file-item.h"
#include "util/crc32c.h"
#include "fsops.h"
#include "testlib.h"

char image[4096];
static const uint8_t fixed_uuid[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

void make_image(char *path, size_t size, uint64_t features)
{
	struct cowfs_mkfs_opts o = { .size = 256ull << 20, .features = features,
				     .uuid = fixed_uuid, .time = 1700000000 };

	ck_assert_int_eq(testlib_temp_image(path, size, "fsops", &o), 0);
}

void setup(void)
{
	make_image(image, sizeof(image), 0);
}

void setup_zstd(void)
{
	make_image(image, sizeof(image), COWFS_FEATURE_COMPRESS_ZSTD);
}

void teardown(void)
{
	unlink(image);
}

cowfs_fs *open_fs(unsigned flags)
{
	cowfs_fs *fs = NULL;

	ck_assert_int_eq(cowfs_open(image, flags, &fs), 0);
	return fs;
}

cowfs_fs *commit_reopen(cowfs_fs *fs, unsigned flags)
{
	ck_assert_int_eq(cowfs_commit(fs), 0);
	cowfs_close(fs);
	return open_fs(flags);
}

/* Deterministic bytes: xorshift64 from seed. */
uint8_t *random_bytes(size_t len, uint64_t seed)
{
	uint8_t *p = malloc(len ? len : 1);
	uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;

	ck_assert_ptr_nonnull(p);
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (uint8_t)(x >> 24);
	}
	return p;
}

uint64_t create(cowfs_fs *fs, uint64_t dir, const char *name, uint32_t mode)
{
	uint64_t ino = 0;

	ck_assert_int_eq(cowfs_create(fs, dir, name, strlen(name), mode, NULL, &ino), 0);
	return ino;
}

struct cowfs_inode inode_of(cowfs_fs *fs, uint64_t ino)
{
	struct cowfs_inode in;

	ck_assert_int_eq(cowfs_read_inode(fs, ino, &in), 0);
	return in;
}

/* The file's first len bytes equal want. */
void assert_content(cowfs_fs *fs, uint64_t ino, const uint8_t *want, size_t len)
{
	uint8_t *got = malloc(len + 1);

	ck_assert_ptr_nonnull(got);
	ck_assert_int_eq(cowfs_read_file(fs, ino, 0, got, len, NULL), 0);
	ck_assert_int_eq(memcmp(got, want, len), 0);
	free(got);
}

uint64_t path_ino(cowfs_fs *fs, const char *path)
{
	uint64_t ino = 0;

	ck_assert_int_eq(cowfs_lookup_path(fs, path, &ino), 0);
	return ino;
}

/* refs of the extent item of a disk extent, 0 when it has none */
uint64_t extent_refs(cowfs_fs *fs, const struct cowfs_extent_map *em)
{
	struct cowfs_key key = { em->disk_bytenr, COWFS_EXTENT_ITEM, em->disk_num_bytes };
	struct cowfs_extent_item ei;
	int ret = lookup_item(&fs->extent_root, &key, &ei, sizeof(ei));

	if (ret == -ENOENT)
		return 0;
	ck_assert_int_eq(ret, sizeof(ei));
	return cowfs_extent_item_refs(&ei);
}

/* ---- names ---- */

int collect(void *arg, const char *name, size_t len, uint64_t ino, int type)
{
	struct listing *l = arg;

	ck_assert_int_lt(l->n, 16);
	ck_assert_uint_lt(len, 64);
	memcpy(l->names[l->n], name, len);
	l->names[l->n][len] = '\0';
	l->inos[l->n] = ino;
	l->types[l->n] = type;
	l->n++;
	return 0;
}

static int find_name(const struct listing *l, const char *name)
{
	for (int i = 0; i < l->n; i++)
		if (strcmp(l->names[i], name) == 0)
			return i;
	return -1;
}

START_TEST(test_names)
{
	cowfs_fs *fs = open_fs(COWFS_OPEN_RDWR);
	struct cowfs_inode attrs = { .uid = 7, .gid = 8, .mtime = 123, .mtime_ns = 456 };
	uint64_t a, b, c, f, ino;
	struct listing l = { .n = 0 };

	a = create(fs, COWFS_ROOT_INO, "a", S_IFDIR | 0755);
	b = create(fs, a, "bee", S_IFDIR | 0700);
	ck_assert_int_eq(cowfs_create(fs, b, "file.txt", 8, S_IFREG | 0644, &attrs, &f), 0);
	c = create(fs, b, "c", S_IFDIR | 0755);
	ck_assert_int_eq(cowfs_create(fs, b, "c", 1, S_IFREG | 0644, NULL, &ino), -EEXIST);
	ck_assert_int_eq(cowfs_create(fs, f, "x", 1, S_IFREG | 0644, NULL, &ino), -ENOTDIR);
	ck_assert_int_eq(cowfs_create(fs, b, "x", 1, S_IFLNK | 0777, NULL, &ino), -EINVAL);

	fs = commit_reopen(fs, 0);
	ck_assert_uint_eq(path_ino(fs, "/a/bee/file.txt"), f);
	ck_assert_uint_eq(path_ino(fs, "//a/./bee//c/"), c);
	ck_assert_uint_eq(path_ino(fs, "/a/bee/c/../.."), a);
	ck_assert_uint_eq(path_ino(fs, "/.."), COWFS_ROOT_INO);
	ck_assert_uint_eq(path_ino(fs, "/"), COWFS_ROOT_INO);
	ck_assert_int_eq(cowfs_lookup_path(fs, "/a/nope", &ino), -ENOENT);
	ck_assert_int_eq(cowfs_lookup_path(fs, "/a/bee/file.txt/x", &ino), -ENOTDIR);
	ck_assert_int_eq(cowfs_lookup_path(fs, "a", &ino), -EINVAL);
	ck_assert_int_eq(cowfs_lookup(fs, a, "bee", 3, &ino), 0);
	ck_assert_uint_eq(ino, b);

	/* attributes given, times as given; the rest the library's */
	struct cowfs_inode in = inode_of(fs, f);
	ck_assert_uint_eq(in.uid, 7);
	ck_assert_uint_eq(in.gid, 8);
	ck_assert_int_eq(in.mtime, 123);
	ck_assert_uint_eq(in.mtime_ns, 456);
	ck_assert_int_eq(in.atime, 0);
	ck_assert_uint_eq(in.mode, S_IFREG | 0644);
	ck_assert_uint_eq(in.nlink, 1);
	ck_assert_uint_eq(in.size, 0);
	/* a directory's size is the sum of its names' lengths */
	ck_assert_uint_eq(inode_of(fs, b).size, strlen("file.txt") + strlen("c"));
	ck_assert_uint_eq(inode_of(fs, COWFS_ROOT_INO).size, 1);
	ck_assert_uint_eq(inode_of(fs, b).nlink, 1);

	ck_assert_int_eq(cowfs_readdir(fs, b, collect, &l), 0);
	ck_assert_int_eq(l.n, 2);
	ck_assert_int_ge(find_name(&l, "file.txt"), 0);
	ck_assert_uint_eq(l.inos[find_name(&l, "file.txt")], f);
	ck_assert_int_eq(l.types[find_name(&l, "file.txt")], COWFS_FT_REG);
	ck_assert_int_eq(l.types[find_name(&l, "c")], COWFS_FT_DIR);
	ck_assert_int_eq(cowfs_readdir(fs, f, collect, &l), -ENOTDIR);
	cowfs_close(fs);
}
END_TEST

static int stop_at_first(void *arg, const char *name, size_t len, uint64_t ino, int type)
{
	(void)name; (void)len; (void)ino; (void)type;
	(*(int *)arg)++;
	return 42;
}

START_TEST(test_name_validation)
{
	cowfs_fs *fs = open_fs(COWFS_OPEN_RDWR);
	char longname[COWFS_NAME_MAX + 2];
	uint64_t ino;
	int calls = 0;

	memset(longname, 'n', sizeof(longname));
	ck_assert_int_eq(cowfs_create(fs, COWFS_ROOT_INO, ".", 1, S_IFREG, NULL, &ino), -EINVAL);
	ck_assert_int_eq(cowfs_create(fs, COWFS_ROOT_INO, "..", 2, S_IFREG, NULL, &ino), -EINVAL);
	ck_assert_int_eq(cowfs_create(fs, COWFS_ROOT_INO, "a/b", 3, S_IFREG, NULL, &ino), -EINVAL);
	ck_assert_int_eq(cowfs_create(fs, COWFS_ROOT_INO, "a\0b", 3, S_IFREG, NULL, &ino), -EINVAL);
	ck_assert_int_eq(cowfs_create(fs, COWFS_ROOT_INO, "", 0, S_IFREG, NULL, &ino), -EINVAL);
	ck_assert_int_eq(cowfs_create(fs, COWFS_ROOT_INO, longname, COWFS_NAME_MAX + 1, S_IFREG,
				      NULL, &ino), -ENAMETOOLONG);
	ck_assert_int_eq(cowfs_create(fs, COWFS_ROOT_INO, longname, COWFS_NAME_MAX, S_IFREG,
				      NULL, &ino), 0);
	ck_assert_int_eq(cowfs_lookup(fs, COWFS_ROOT_INO, longname, COWFS_NAME_MAX, &ino), 0);
	ck_assert_int_eq(cowfs_lookup(fs, COWFS_ROOT_INO, "..", 2, &ino), -EINVAL);
	ck_assert_int_eq(cowfs_unlink(fs, COWFS_ROOT_INO, "zz", 2), -ENOENT);
	ck_assert_int_eq(cowfs_readdir(fs, COWFS_ROOT_INO, stop_at_first, &calls), 42);
	ck_assert_int_eq(calls, 1);
	cowfs_close(fs);
}
END_TEST

START_TEST(test_readonly)
{
	cowfs_fs *fs = open_fs(0);
	struct cowfs_inode in = inode_of(fs, COWFS_ROOT_INO);
	uint64_t ino;

	ck_assert_int_eq(cowfs_create(fs, COWFS_ROOT_INO, "f", 1, S_IFREG, NULL, &ino), -EROFS);
	ck_assert_int_eq(cowfs_write_inode(fs, &in), -EROFS);
	ck_assert_int_eq(cowfs_unlink(fs, COWFS_ROOT_INO, "f", 1), -EROFS);
	ck_assert_int_eq(cowfs_write_file(fs, COWFS_ROOT_INO, 0, "x", 1), -EROFS);
	ck_assert_int_eq(cowfs_truncate(fs, COWFS_ROOT_INO, 0), -EROFS);
	ck_assert_int_eq(cowfs_trans_dirty(fs), 0);
	cowfs_close(fs);
}
END_TEST

START_TEST(test_write_inode)
{
	cowfs_fs *fs = open_fs(COWFS_OPEN_RDWR);
	uint64_t f = create(fs, COWFS_ROOT_INO, "f", S_IFREG | 0644);
	struct cowfs_inode in = inode_of(fs, f);

	ck_assert_int_eq(cowfs_write_file(fs, f, 0, "hello", 5), 0);
	in.mode = S_IFREG | 0600;
	in.uid = 1000;
	in.ctime = -5;
	in.nlink = 99;		/* the library's: ignored */
	in.nbytes = 12345;	/* likewise */
	in.size = 5;
	ck_assert_int_eq(cowfs_write_inode(fs, &in), 0);
	fs = commit_reopen(fs, COWFS_OPEN_RDWR);
	in = inode_of(fs, f);
	ck_assert_uint_eq(in.mode, S_IFREG | 0600);
	ck_assert_uint_eq(in.uid, 1000);
	ck_assert_int_eq(in.ctime, -5);
	ck_assert_uint_eq(in.nlink, 1);
	ck_assert_uint_eq(in.nbytes, 4096);
	ck_assert_uint_eq(in.transid + 1, cowfs_transid(fs));
	in.mode = S_IFDIR | 0755;
	ck_assert_int_eq(cowfs_write_inode(fs, &in), -EINVAL);
	in.ino = 999999;
	in.mode = S_IFREG;
	ck_assert_int_eq(cowfs_write_inode(fs, &in), -ENOENT);
	cowfs_close(fs);
}
END_TEST

/* ---- removal ---- */

START_TEST(test_unlink)
{
	cowfs_fs *fs = open_fs(COWFS_OPEN_RDWR);
	uint64_t d = create(fs, COWFS_ROOT_INO, "d", S_IFDIR | 0755);
	uint64_t sub = create(fs, d, "sub", S_IFDIR | 0755);
	uint64_t f = create(fs, sub, "f", S_IFREG | 0644);
	uint64_t g = create(fs, d, "g", S_IFREG | 0644);
	uint8_t *data = random_bytes(2 * MiB, 4);
	struct cowfs_extent_map em;
	struct cowfs_inode in;
	struct listing l = { .n = 0 };

	ck_assert_int_eq(cowfs_write_file(fs, f, 0, data, 2 * MiB), 0);
	fs = commit_reopen(fs, COWFS_OPEN_RDWR);
	ck_assert_int_eq(cowfs_get_extent(fs, f, 0, &em), 0);
	ck_assert_int_eq(cowfs_unlink(fs, COWFS_ROOT_INO, "d", 1), -ENOTEMPTY);
	ck_assert_int_eq(cowfs_unlink(fs, d, "sub", 3), -ENOTEMPTY);
	ck_assert_int_eq(cowfs_unlink(fs, sub, "f", 1), 0);
	ck_assert_int_eq(cowfs_read_inode(fs, f, &in), -ENOENT);
	ck_assert_int_eq(cowfs_lookup(fs, sub, "f", 1, &f), -ENOENT);
	ck_assert_uint_eq(inode_of(fs, sub).size, 0);
	ck_assert_int_eq(cowfs_unlink(fs, sub, "f", 1), -ENOENT);
	ck_assert_int_eq(cowfs_unlink(fs, d, "sub", 3), 0);
	fs = commit_reopen(fs, COWFS_OPEN_RDWR);
	ck_assert_uint_eq(extent_refs(fs, &em), 0);
	ck_assert_int_eq(cowfs_read_inode(fs, sub, &in), -ENOENT);
	ck_assert_int_eq(cowfs_readdir(fs, d, collect, &l), 0);
	ck_assert_int_eq(l.n, 1);
	ck_assert_str_eq(l.names[0], "g");
	ck_assert_uint_eq(l.inos[0], g);
	ck_assert_uint_eq(inode_of(fs, d).size, 1);
	free(data);
	cowfs_close(fs);
}
END_TEST

/* Three names forced onto one hash share one DIR_ITEM; every path still works. */
START_TEST(test_hash_collision)
{
	cowfs_fs *fs = open_fs(COWFS_OPEN_RDWR);
	const uint64_t h = 0x1234;
	const char *names[] = { "alpha", "beta", "gamma" };
	struct cowfs_key key = { COWFS_ROOT_INO, COWFS_DIR_ITEM, h };
	uint8_t item[COWFS_LEAF_DATA_SIZE];
	uint64_t ino[3], got;
	struct listing l = { .n = 0 };
	int type;

	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(dir_create_hash(fs, COWFS_ROOT_INO, names[i], strlen(names[i]), h,
						 S_IFREG | 0644, NULL, &ino[i]), 0);
	ck_assert_int_eq(dir_create_hash(fs, COWFS_ROOT_INO, "beta", 4, h, S_IFREG, NULL, &got),
			 -EEXIST);
	fs = commit_reopen(fs, COWFS_OPEN_RDWR);
	ck_assert_int_eq(lookup_item(&fs->fs_root, &key, item, sizeof(item)),
			 3 * (int)sizeof(struct cowfs_dir_entry) + 5 + 4 + 5);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(dir_lookup_hash(fs, COWFS_ROOT_INO, names[i], strlen(names[i]),
						 h, &got, &type), 0);
		ck_assert_uint_eq(got, ino[i]);
		ck_assert_int_eq(type, COWFS_FT_REG);
	}
	ck_assert_int_eq(dir_lookup_hash(fs, COWFS_ROOT_INO, "delta", 5, h, &got, NULL), -ENOENT);
	ck_assert_int_eq(cowfs_readdir(fs, COWFS_ROOT_INO, collect, &l), 0);
	ck_assert_int_eq(l.n, 3);
	ck_assert_int_eq(dir_unlink_hash(fs, COWFS_ROOT_INO, "beta", 4, h), 0);
	ck_assert_int_eq(dir_lookup_hash(fs, COWFS_ROOT_INO, "gamma", 5, h, &got, NULL), 0);
	ck_assert_uint_eq(got, ino[2]);
	ck_assert_int_eq(dir_lookup_hash(fs, COWFS_ROOT_INO, "beta", 4, h, &got, NULL), -ENOENT);
	ck_assert_int_eq(dir_unlink_hash(fs, COWFS_ROOT_INO, "alpha", 5, h), 0);
	ck_assert_int_eq(dir_unlink_hash(fs, COWFS_ROOT_INO, "gamma", 5, h), 0);
	ck_assert_int_eq(lookup_item(&fs->fs_root, &key, item, sizeof(item)), -ENOENT);
	ck_assert_uint_eq(inode_of(fs, COWFS_ROOT_INO).size, 0);
	cowfs_close(fs);
}
END_TEST

/* Names sharing a hash must fit one item; one too many is refused with nothing changed. */
START_TEST(test_collision_item_full)
{
	cowfs_fs *fs = open_fs(COWFS_OPEN_RDWR);
	char name[COWFS_NAME_MAX];
	uint64_t ino, next;
	int i, ret = 0;

	memset(name, 'x', sizeof(name));
	for (i = 0; i < 100; i++) {
		name[0] = (char)('A' + i);
		next = fs->next_ino;
		ret = dir_create_hash(fs, COWFS_ROOT_INO, name, sizeof(name), 7, S_IFREG | 0644,
				      NULL, &ino);
		if (ret < 0)
			break;
	}
	ck_assert_int_eq(ret, -COWFS_ETOOBIG);
	ck_assert_int_eq(i, (int)((COWFS_LEAF_DATA_SIZE - sizeof(struct cowfs_item)) /
				  (sizeof(struct cowfs_dir_entry) + COWFS_NAME_MAX)));
	ck_assert_uint_eq(fs->next_ino, next);
	ck_assert_int_eq(dir_lookup_hash(fs, COWFS_ROOT_INO, name, sizeof(name), 7, &ino, NULL),
			 -ENOENT);
	ck_assert_uint_eq(inode_of(fs, COWFS_ROOT_INO).size, (uint64_t)i * COWFS_NAME_MAX);
	fs = commit_reopen(fs, 0);
	name[0] = 'A';
	ck_assert_int_eq(dir_lookup_hash(fs, COWFS_ROOT_INO, name, sizeof(name), 7, &ino, NULL), 0);
	cowfs_close(fs);
}
END_TEST

/* Hard links (the internal btrfs_link): names in one INODE_REF, nlink kept right. */
START_TEST(test_links)
{
	cowfs_fs *fs = open_fs(COWFS_OPEN_RDWR);
	uint64_t d = create(fs, COWFS_ROOT_INO, "d", S_IFDIR | 0755);
	uint64_t f = create(fs, d, "one", S_IFREG | 0644), got;
	struct cowfs_key ref = { f, COWFS_INODE_REF, d };
	uint8_t item[COWFS_LEAF_DATA_SIZE];
	struct cowfs_inode in;

	ck_assert_int_eq(cowfs_write_file(fs, f, 0, "data", 4), 0);
	ck_assert_int_eq(dir_link_hash(fs, d, "two", 3, cowfs_name_hash("two", 3), f), 0);
	ck_assert_int_eq(dir_link_hash(fs, COWFS_ROOT_INO, "three", 5,
				       cowfs_name_hash("three", 5), f), 0);
	ck_assert_int_eq(dir_link_hash(fs, COWFS_ROOT_INO, "dd", 2, cowfs_name_hash("dd", 2), d),
			 -EPERM);
	fs = commit_reopen(fs, COWFS_OPEN_RDWR);
	ck_assert_uint_eq(inode_of(fs, f).nlink, 3);
	ck_assert_int_eq(lookup_item(&fs->fs_root, &ref, item, sizeof(item)),
			 2 * (int)sizeof(struct cowfs_inode_ref) + 3 + 3);
	ck_assert_uint_eq(path_ino(fs, "/three"), f);
	ck_assert_int_eq(cowfs_unlink(fs, d, "one", 3), 0);
	ck_assert_uint_eq(inode_of(fs, f).nlink, 2);
	ck_assert_int_eq(lookup_item(&fs->fs_root, &ref, item, sizeof(item)),
			 (int)sizeof(struct cowfs_inode_ref) + 3);
	assert_content(fs, f, (const uint8_t *)"data", 4);
	ck_assert_int_eq(cowfs_unlink(fs, COWFS_ROOT_INO, "three", 5), 0);
	ck_assert_int_eq(cowfs_unlink(fs, d, "two", 3), 0);
	ck_assert_int_eq(cowfs_read_inode(fs, f, &in), -ENOENT);
	ck_assert_int_eq(cowfs_lookup(fs, d, "two", 3, &got), -ENOENT);
	cowfs_close(fs);
}
END_TEST

/* Count bytes_used-free round trip: deleting everything gives the space back. */
START_TEST(test_free_space_returns)
{
	cowfs_fs *fs = open_fs(COWFS_OPEN_RDWR);
	uint64_t free0 = cowfs_free_bytes(fs), d, f;
	uint8_t *data = random_bytes(3 * MiB, 11);
	char name[16];

	d = create(fs, COWFS_ROOT_INO, "d", S_IFDIR | 0755);
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "file%d", i);
		f = create(fs, d, name, S_IFREG | 0644);
		ck_assert_int_eq(cowfs_write_file(fs, f, (uint64_t)i * 1000, data,
						  (size_t)(i + 1) * 70000 % (3 * MiB)), 0);
	}
	fs = commit_reopen(fs, COWFS_OPEN_RDWR);
	ck_assert_uint_lt(cowfs_free_bytes(fs), free0 - 20 * MiB);
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "file%d", i);
		ck_assert_int_eq(cowfs_unlink(fs, d, name, strlen(name)), 0);
	}
	ck_assert_int_eq(cowfs_unlink(fs, COWFS_ROOT_INO, "d", 1), 0);
	ck_assert_int_eq(cowfs_commit(fs), 0);
	/* a second commit (it needs a change) releases what the first pinned */
	f = create(fs, COWFS_ROOT_INO, "tmp", S_IFREG | 0644);
	ck_assert_int_eq(cowfs_commit(fs), 0);
	ck_assert_int_eq(cowfs_unlink(fs, COWFS_ROOT_INO, "tmp", 3), 0);
	ck_assert_int_eq(cowfs_commit(fs), 0);
	ck_assert_uint_eq(cowfs_free_bytes(fs), free0);
	free(data);
	cowfs_close(fs);
}
END_TEST

/* ---- item parsing ---- */

START_TEST(test_name_records_validated)
{
	uint8_t buf[64];
	struct cowfs_dir_entry *de = (struct cowfs_dir_entry *)buf;
	struct name_record rec;
	uint32_t pos = 0;

	memset(buf, 0, sizeof(buf));
	cowfs_set_dir_entry_ino(de, 300);
	cowfs_set_dir_entry_name_len(de, 3);
	de->type = COWFS_FT_REG;
	memcpy(de + 1, "abc", 3);
	ck_assert_int_eq(dir_item_next(buf, sizeof(*de) + 3, &pos, &rec), 0);
	ck_assert_uint_eq(rec.ino, 300);
	ck_assert_uint_eq(rec.len, 3);
	ck_assert_int_eq(dir_item_next(buf, sizeof(*de) + 3, &pos, &rec), 1);
	pos = 0;	/* name past the item */
	ck_assert_int_eq(dir_item_next(buf, sizeof(*de) + 2, &pos, &rec), -COWFS_ECORRUPT);
	pos = 0;	/* truncated header */
	ck_assert_int_eq(dir_item_next(buf, 5, &pos, &rec), -COWFS_ECORRUPT);
	de->type = 9;
	pos = 0;
	ck_assert_int_eq(dir_item_next(buf, sizeof(*de) + 3, &pos, &rec), -COWFS_ECORRUPT);
	cowfs_set_inode_ref_name_len((struct cowfs_inode_ref *)buf, 0);
	pos = 0;
	ck_assert_int_eq(inode_ref_next(buf, 10, &pos, &rec), -COWFS_ECORRUPT);
	ck_assert_uint_ne(cowfs_name_hash("a", 1), cowfs_name_hash("b", 1));
}
END_TEST

static Suite *fsops_suite(void)
{
	Suite *s = suite_create("fsops");
	TCase *tc = tcase_create("names");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_name_validation);
	tcase_add_test(tc, test_readonly);
	tcase_add_test(tc, test_write_inode);
	tcase_add_test(tc, test_unlink);
	tcase_add_test(tc, test_hash_collision);
	tcase_add_test(tc, test_collision_item_full);
	tcase_add_test(tc, test_links);
	tcase_add_test(tc, test_free_space_returns);
	tcase_add_test(tc, test_name_records_validated);
	suite_add_tcase(s, tc);
	fsops_add_data_tests(s);
	return s;
}

int main(void)
{
	return testlib_run(fsops_suite());
}
