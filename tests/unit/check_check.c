/* The checker: block validation, the problem table, each pass against an image
 * damaged on purpose, the never-crash promise under structural fuzzing, and
 * the logical comparison of two images. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check/fsck.h"
#include "check/problem.h"
#include "cowfs/check.h"
#include "cowfs/disk.h"
#include "disk/dir.h"
#include "disk/verify.h"
#include "testlib.h"

static const uint8_t test_fsid[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

/* ---- hand-made blocks ---- */

static struct cowfs_header *hdr(uint8_t *b)
{
	return (struct cowfs_header *)b;
}

static void init_block(uint8_t *b, uint64_t bytenr, uint64_t owner, int level)
{
	memset(b, 0, COWFS_NODE_SIZE);
	memcpy(hdr(b)->fsid, test_fsid, 16);
	cowfs_set_header_bytenr(hdr(b), bytenr);
	cowfs_set_header_generation(hdr(b), 5);
	cowfs_set_header_owner(hdr(b), owner);
	hdr(b)->level = (uint8_t)level;
}

static struct cowfs_item *item(uint8_t *b, int slot)
{
	return (struct cowfs_item *)(b + sizeof(struct cowfs_header)) + slot;
}

/* Append an item, its data packed below the previous one's as btrfs lays them out. */
static void leaf_add(uint8_t *b, uint64_t objectid, uint8_t type, uint64_t offset,
		     const void *data, uint32_t size)
{
	uint32_t n = cowfs_header_nritems(hdr(b));
	uint32_t end = n ? cowfs_item_offset(item(b, (int)n - 1)) : COWFS_LEAF_DATA_SIZE;
	struct cowfs_key k = { objectid, type, offset };

	cowfs_key_to_disk(&item(b, (int)n)->key, &k);
	cowfs_set_item_offset(item(b, (int)n), end - size);
	cowfs_set_item_size(item(b, (int)n), size);
	memcpy(b + sizeof(struct cowfs_header) + end - size, data, size);
	cowfs_set_header_nritems(hdr(b), n + 1);
}

static void make_leaf(uint8_t *b)
{
	struct cowfs_inode_item ii;
	uint8_t ref[2 + 3];

	init_block(b, 4 << 20, COWFS_FS_TREE, 0);
	memset(&ii, 0, sizeof(ii));
	cowfs_set_inode_item_mode(&ii, 040755);
	leaf_add(b, 256, COWFS_INODE_ITEM, 0, &ii, sizeof(ii));
	cowfs_set_inode_item_mode(&ii, 0100644);
	leaf_add(b, 257, COWFS_INODE_ITEM, 0, &ii, sizeof(ii));
	put_le16((le16_t *)ref, 3);
	memcpy(ref + 2, "abc", 3);
	leaf_add(b, 257, COWFS_INODE_REF, 256, ref, sizeof(ref));
	cowfs_block_set_csum(b);
}

static void make_node(uint8_t *b, int n)
{
	struct cowfs_key_ptr *p = (struct cowfs_key_ptr *)(b + sizeof(struct cowfs_header));

	init_block(b, 4 << 20, COWFS_EXTENT_TREE, 1);
	for (int i = 0; i < n; i++) {
		struct cowfs_key k = { (uint64_t)(i + 1) << 20, COWFS_EXTENT_ITEM, 4096 };

		cowfs_key_to_disk(&p[i].key, &k);
		cowfs_set_key_ptr_blockptr(&p[i], (8ull << 20) + (uint64_t)i * 4096);
		cowfs_set_key_ptr_generation(&p[i], 4);
	}
	cowfs_set_header_nritems(hdr(b), (uint32_t)n);
	cowfs_block_set_csum(b);
}

static enum cowfs_block_status verify(uint8_t *b, struct cowfs_block_err *err)
{
	return cowfs_verify_block(b, 4 << 20, test_fsid, 0, -1, 10, err);
}

/* After an edit: a valid checksum, so that only the edit can fail. */
static enum cowfs_block_status reverify(uint8_t *b, struct cowfs_block_err *err)
{
	cowfs_block_set_csum(b);
	return verify(b, err);
}

START_TEST(test_verify_header)
{
	uint8_t b[COWFS_NODE_SIZE];
	struct cowfs_block_err err;

	make_node(b, 3);
	ck_assert_int_eq(verify(b, &err), COWFS_BLOCK_OK);
	make_leaf(b);
	ck_assert_int_eq(verify(b, &err), COWFS_BLOCK_OK);
	ck_assert_int_eq(cowfs_verify_block(b, 4 << 20, test_fsid, COWFS_FS_TREE, 0, 5, NULL),
			 COWFS_BLOCK_OK);
	b[1000] ^= 1;
	ck_assert_int_eq(verify(b, &err), COWFS_BLOCK_BAD_CSUM);
	ck_assert_msg(strstr(err.msg, "bad checksum, have 0x"), "%s", err.msg);
	ck_assert_uint_eq(err.expect, cowfs_block_csum(b));
	make_leaf(b);
	b[20] = 1;	/* inside the csum field, after the crc */
	ck_assert_int_eq(verify(b, &err), COWFS_BLOCK_BAD_CSUM);
	make_leaf(b);
	ck_assert_int_eq(cowfs_verify_block(b, 8 << 20, test_fsid, 0, -1, 10, &err),
			 COWFS_BLOCK_BAD_BYTENR);
	ck_assert_uint_eq(err.have, 4 << 20);
	make_leaf(b);
	hdr(b)->fsid[3] ^= 1;
	ck_assert_int_eq(reverify(b, &err), COWFS_BLOCK_BAD_FSID);
	make_leaf(b);
	ck_assert_int_eq(cowfs_verify_block(b, 4 << 20, test_fsid, 0, -1, 4, &err),
			 COWFS_BLOCK_BAD_GENERATION);
	cowfs_set_header_generation(hdr(b), 0);
	ck_assert_int_eq(reverify(b, &err), COWFS_BLOCK_BAD_GENERATION);
	make_leaf(b);
	ck_assert_int_eq(cowfs_verify_block(b, 4 << 20, test_fsid, 0, 1, 10, &err),
			 COWFS_BLOCK_BAD_LEVEL);
	hdr(b)->level = COWFS_MAX_LEVEL;
	ck_assert_int_eq(reverify(b, &err), COWFS_BLOCK_BAD_LEVEL);
	make_leaf(b);
	ck_assert_int_eq(cowfs_verify_block(b, 4 << 20, test_fsid, COWFS_CSUM_TREE, -1, 10, &err),
			 COWFS_BLOCK_BAD_OWNER);
	cowfs_set_header_owner(hdr(b), 99);
	ck_assert_int_eq(reverify(b, &err), COWFS_BLOCK_BAD_OWNER);
}
END_TEST

START_TEST(test_verify_leaf_layout)
{
	uint8_t b[COWFS_NODE_SIZE];
	struct cowfs_block_err err;
	struct cowfs_key k = { 255, COWFS_INODE_ITEM, 0 };

	make_leaf(b);
	cowfs_set_header_nritems(hdr(b), 500);
	ck_assert_int_eq(reverify(b, &err), COWFS_BLOCK_BAD_NRITEMS);
	make_leaf(b);
	cowfs_key_to_disk(&item(b, 1)->key, &k);
	ck_assert_int_eq(reverify(b, &err), COWFS_BLOCK_BAD_KEY_ORDER);
	ck_assert_int_eq(err.slot, 1);
	ck_assert_uint_eq(err.key.objectid, 255);
	make_leaf(b);
	cowfs_set_item_offset(item(b, 2), cowfs_item_offset(item(b, 2)) - 4);
	ck_assert_int_eq(reverify(b, &err), COWFS_BLOCK_BAD_ITEM_OFFSET);
	ck_assert_int_eq(err.slot, 2);
	make_leaf(b);
	cowfs_set_item_size(item(b, 0), 5000);
	ck_assert_int_eq(reverify(b, &err), COWFS_BLOCK_BAD_ITEM_OFFSET);
	make_leaf(b);
	cowfs_set_item_offset(item(b, 2), 10);	/* data over the item headers */
	cowfs_set_item_size(item(b, 2), cowfs_item_offset(item(b, 1)) - 10);
	ck_assert_int_eq(reverify(b, &err), COWFS_BLOCK_BAD_ITEM_OFFSET);
}
END_TEST

START_TEST(test_verify_items)
{
	uint8_t b[COWFS_NODE_SIZE], fe[sizeof(struct cowfs_file_extent)] = { 0 };
	struct cowfs_key k = { 1, COWFS_EXTENT_DATA, 0 };
	struct cowfs_block_err err;
	uint8_t *data;

	make_leaf(b);
	cowfs_set_header_owner(hdr(b), COWFS_EXTENT_TREE);
	ck_assert_int_eq(reverify(b, &err), COWFS_BLOCK_BAD_ITEM);
	ck_assert_int_eq(err.slot, 0);
	/* the shape alone is fine: the checker reports items one by one */
	ck_assert_int_eq(cowfs_verify_block_shape(b, 4 << 20, test_fsid, 0, -1, 10, &err),
			 COWFS_BLOCK_OK);
	make_leaf(b);
	data = b + sizeof(struct cowfs_header) + cowfs_item_offset(item(b, 2));
	put_le16((le16_t *)data, 4);	/* name runs past the item */
	ck_assert_int_eq(reverify(b, &err), COWFS_BLOCK_BAD_ITEM);
	ck_assert_int_eq(err.slot, 2);
	ck_assert_msg(strstr(err.msg, "name past item end"), "%s", err.msg);
	put_le16((le16_t *)data, 0);
	ck_assert_int_eq(reverify(b, &err), COWFS_BLOCK_BAD_ITEM);
	ck_assert_int_eq(cowfs_verify_item(COWFS_FS_TREE, &k, fe, sizeof(fe), &err),
			 COWFS_BLOCK_BAD_ITEM);	/* type 0 */
	fe[17] = COWFS_FILE_EXTENT_REG;
	ck_assert_int_eq(cowfs_verify_item(COWFS_FS_TREE, &k, fe, sizeof(fe), &err),
			 COWFS_BLOCK_OK);
	ck_assert_int_eq(cowfs_verify_item(COWFS_FS_TREE, &k, fe, sizeof(fe) - 1, &err),
			 COWFS_BLOCK_BAD_ITEM);
	k = (struct cowfs_key){ COWFS_CSUM_OBJECTID, COWFS_EXTENT_CSUM, 4096 };
	ck_assert_int_eq(cowfs_verify_item(COWFS_CSUM_TREE, &k, fe, 6, &err),
			 COWFS_BLOCK_BAD_ITEM);
	ck_assert_int_eq(cowfs_verify_item(COWFS_CSUM_TREE, &k, fe, 8, &err),
			 COWFS_BLOCK_OK);
}
END_TEST

START_TEST(test_verify_node)
{
	uint8_t b[COWFS_NODE_SIZE];
	struct cowfs_key_ptr *p = (struct cowfs_key_ptr *)(b + sizeof(struct cowfs_header));
	struct cowfs_block_err err;
	const uint64_t bad_ptrs[] = { 0, 4096, (8ull << 20) + 100, 4 << 20 };

	make_node(b, 0);
	ck_assert_int_eq(verify(b, &err), COWFS_BLOCK_BAD_NRITEMS);
	make_node(b, 3);
	cowfs_set_header_nritems(hdr(b), COWFS_NODE_PTRS + 1);
	ck_assert_int_eq(reverify(b, &err), COWFS_BLOCK_BAD_NRITEMS);
	for (size_t i = 0; i < sizeof(bad_ptrs) / sizeof(bad_ptrs[0]); i++) {
		make_node(b, 3);
		cowfs_set_key_ptr_blockptr(&p[1], bad_ptrs[i]);
			ck_assert_int_eq(reverify(b, &err), COWFS_BLOCK_BAD_BLOCKPTR);
		ck_assert_int_eq(err.slot, 1);
		ck_assert_uint_eq(err.have, bad_ptrs[i]);
	}
	make_node(b, 3);
	memcpy(&p[2].key, &p[1].key, sizeof(p[1].key));
	ck_assert_int_eq(reverify(b, &err), COWFS_BLOCK_BAD_KEY_ORDER);
}
END_TEST

static void make_super(struct cowfs_super *sb)
{
	memset(sb, 0, sizeof(*sb));
	memcpy(sb->fsid, test_fsid, 16);
	cowfs_set_super_bytenr(sb, COWFS_SUPER_OFFSET);
	cowfs_set_super_magic(sb, COWFS_MAGIC);
	cowfs_set_super_generation(sb, 7);
	cowfs_set_super_total_bytes(sb, 32 << 20);
	cowfs_set_super_bytes_used(sb, 3 * 4096);
	cowfs_set_super_block_size(sb, 4096);
	cowfs_set_super_node_size(sb, 4096);
	cowfs_set_super_version(sb, COWFS_FORMAT_VERSION);
	cowfs_set_super_next_ino(sb, 257);
	for (int i = 0; i < COWFS_NR_TREES; i++) {
		cowfs_set_root_ptr_bytenr(&sb->roots[i], (2 << 20) + (uint64_t)i * 4096);
		cowfs_set_root_ptr_generation(&sb->roots[i], 7);
	}
	cowfs_block_set_csum(sb);
}

START_TEST(test_verify_super)
{
	struct cowfs_super sb;
	struct cowfs_block_err err;

	make_super(&sb);
	ck_assert_int_eq(cowfs_verify_super(&sb, COWFS_SUPER_OFFSET, 32 << 20, &err), 0);
	ck_assert_int_eq(cowfs_verify_super(&sb, COWFS_SUPER_BACKUP, 32 << 20, &err),
			 -COWFS_EBADSUPER);
	ck_assert_int_eq(err.status, COWFS_SUPER_BAD_BYTENR);
	ck_assert_int_eq(cowfs_verify_super(&sb, COWFS_SUPER_OFFSET, 20 << 20, &err),
			 -COWFS_EBADSUPER);
	ck_assert_int_eq(err.status, COWFS_SUPER_TOO_BIG);
	sb.label[0] = 'x';
	ck_assert_int_eq(cowfs_verify_super(&sb, COWFS_SUPER_OFFSET, 32 << 20, &err),
			 -COWFS_EBADSUPER);
	ck_assert_int_eq(err.status, COWFS_SUPER_BAD_CSUM);
#define BROKEN(stmt, st) do {							\
		make_super(&sb);						\
		stmt;								\
		cowfs_block_set_csum(&sb);					\
		ck_assert_int_eq(cowfs_verify_super(&sb, COWFS_SUPER_OFFSET, 64 << 20, &err), \
				 -COWFS_EBADSUPER);				\
		ck_assert_int_eq(err.status, st);				\
	} while (0)
	BROKEN(cowfs_set_super_magic(&sb, 1), COWFS_SUPER_BAD_MAGIC);
	BROKEN(cowfs_set_super_version(&sb, 2), COWFS_SUPER_BAD_VERSION);
	BROKEN(cowfs_set_super_node_size(&sb, 16384), COWFS_SUPER_BAD_GEOMETRY);
	BROKEN(cowfs_set_super_csum_type(&sb, 1), COWFS_SUPER_BAD_GEOMETRY);
	BROKEN(cowfs_set_super_incompat(&sb, 1ull << 40), COWFS_SUPER_BAD_FEATURES);
	BROKEN(cowfs_set_super_total_bytes(&sb, 8 << 20), COWFS_SUPER_BAD_SIZE);
	BROKEN(cowfs_set_super_generation(&sb, 0), COWFS_SUPER_BAD_GENERATION);
	BROKEN(cowfs_set_root_ptr_bytenr(&sb.roots[1], 4096), COWFS_SUPER_BAD_ROOT);
	BROKEN(cowfs_set_root_ptr_bytenr(&sb.roots[2], 32 << 20), COWFS_SUPER_BAD_ROOT);
	BROKEN(sb.roots[0].level = COWFS_MAX_LEVEL, COWFS_SUPER_BAD_ROOT);
	BROKEN(cowfs_set_root_ptr_generation(&sb.roots[0], 8), COWFS_SUPER_BAD_ROOT);
	BROKEN(cowfs_set_super_bytes_used(&sb, 100), COWFS_SUPER_BAD_USAGE);
	BROKEN(cowfs_set_super_next_ino(&sb, 5), COWFS_SUPER_BAD_USAGE);
#undef BROKEN
}
END_TEST

/* ---- the problem table ---- */

START_TEST(test_problem_table)
{
	uint32_t code = 0;
	size_t n = 0;

	for (size_t i = 0; i < fsck_problem_count; i++) {
		const struct fsck_problem_def *p = &fsck_problem_table[i];

		ck_assert_msg(i == 0 || fsck_problem_table[i - 1].code < p->code,
			      "problem 0x%06x: table not sorted or code repeated", p->code);
		ck_assert_msg(fsck_template_fields(p->tmpl) >= 0,
			      "problem 0x%06x: bad template '%s'", p->code, p->tmpl);
		ck_assert_msg(PR_PASS(p->code) <= 5 && (p->code & 0xffff) != 0,
			      "problem 0x%06x: bad code", p->code);
		ck_assert_int_le(p->severity, COWFS_SEV_ERROR);
		ck_assert_ptr_eq(fsck_problem_find(p->code), p);
		/* Pass 5 messages start with the path (%q), as cowfs_expect_check's do. */
		ck_assert_msg(((p->tmpl[0] >= 'a' && p->tmpl[0] <= 'z') ||
			       (PR_PASS(p->code) == 5 && !strncmp(p->tmpl, "%q", 2))) &&
			      p->tmpl[strlen(p->tmpl) - 1] != '.',
			      "problem 0x%06x: message style", p->code);
	}
	while ((code = cowfs_problem_next(code)) != 0)
		n++;
	ck_assert_uint_eq(n, fsck_problem_count);
	ck_assert_ptr_null(cowfs_problem_template(0x7f0001));
	ck_assert_int_eq(cowfs_problem_severity(PR_0_INTERRUPTED_COMMIT), COWFS_SEV_INFO);
}
END_TEST

START_TEST(test_problem_messages)
{
	struct cowfs_problem_ctx ctx = { .tree = 5, .bytenr = 1234567, .have = 0xabcd,
					 .expect = 0x12345678 };
	char buf[256], tiny[8];

	fsck_fill_message(buf, sizeof(buf), cowfs_problem_template(PR_1_BLOCK_CSUM), &ctx);
	ck_assert_str_eq(buf, "tree 5 block 1234567: bad checksum, have 0x0000abcd expect "
			 "0x12345678 (parent superblock)");
	ctx = (struct cowfs_problem_ctx){ .bytenr = 4096, .ino = 300, .file_off = 8192,
					  .have = 1, .expect = 2 };
	fsck_fill_message(buf, sizeof(buf), cowfs_problem_template(PR_4_DATA_CSUM), &ctx);
	ck_assert_str_eq(buf, "data block 4096 (inode 300 offset 8192): bad checksum, have "
			 "0x00000001 expect 0x00000002");
	ctx.path = "/a/f";
	fsck_fill_message(buf, sizeof(buf), "%p %k %O %c%% %m", &ctx);
	ck_assert_str_eq(buf, "/a/f (0 0 0) 01 primary% ");
	fsck_fill_message(tiny, sizeof(tiny), cowfs_problem_template(PR_4_DATA_CSUM), &ctx);
	ck_assert_uint_eq(strlen(tiny), sizeof(tiny) - 1);
	ck_assert_int_eq(fsck_template_fields("block %b %z"), -1);
	ck_assert_int_eq(fsck_template_fields("trailing %"), -1);
	ck_assert_int_eq(fsck_template_fields("%b %p"),
			 COWFS_PF_BYTENR | COWFS_PF_PATH | COWFS_PF_INO);
}
END_TEST

START_TEST(test_u64set)
{
	struct u64set s = { 0 };

	for (uint64_t i = 1; i <= 5000; i++)
		ck_assert_int_eq(u64set_add(&s, i * 4096), 1);
	for (uint64_t i = 1; i <= 5000; i++)
		ck_assert_int_eq(u64set_add(&s, i * 4096), 0);
	ck_assert_uint_eq(s.n, 5000);
	ck_assert_int_eq(u64set_add(&s, 0), -EINVAL);
	u64set_free(&s);
}
END_TEST

/* ---- whole images, made with the disk API and damaged on purpose ---- */

static char image[512];
static uint64_t ino_a, ino_f1, ino_top;

struct found {
	uint32_t code;
	uint64_t bytenr, file_off;
	int copy;
	char path[64];
};

struct result {
	int ret;
	struct cowfs_check_summary sum;
	struct found f[128];
	int n;
	uint64_t blocks[64];
	int nblocks;
};

static void rec_problem(void *arg, uint32_t code, enum cowfs_severity sev, const char *msg,
			const struct cowfs_problem_ctx *ctx)
{
	struct result *r = arg;
	struct found *f = &r->f[r->n];

	ck_assert(msg && (int)sev == cowfs_problem_severity(code));
	if (r->n == (int)(sizeof(r->f) / sizeof(r->f[0])))
		return;
	r->n++;
	*f = (struct found){ code, ctx->bytenr, ctx->file_off, ctx->copy, "" };
	snprintf(f->path, sizeof(f->path), "%s", ctx->path ? ctx->path : "");
}

static void rec_block(void *arg, uint64_t tree, uint64_t bytenr, int level, uint64_t parent)
{
	struct result *r = arg;

	(void)tree, (void)level, (void)parent;
	ck_assert_int_lt(r->nblocks, 64);
	r->blocks[r->nblocks++] = bytenr;
}

static void run(const char *path, unsigned flags, struct result *r)
{
	struct cowfs_check_ops ops = { .arg = r, .problem = rec_problem, .block = rec_block };
	struct cowfs_check_opts opts = { .flags = flags };

	memset(r, 0, sizeof(*r));
	r->ret = cowfs_check(path, &opts, &ops, &r->sum);
}

static const struct found *has(const struct result *r, uint32_t code)
{
	for (int i = 0; i < r->n; i++)
		if (r->f[i].code == code)
			return &r->f[i];
	return NULL;
}

#define ck_assert_has(r, code) \
	ck_assert_msg(has(r, code), "problem 0x%06x not reported", (unsigned)(code))

static void fill(uint8_t *buf, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(i * 7 + seed + i / 4096);
}

static uint64_t make_file(cowfs_fs *fs, uint64_t dir, const char *name, size_t len)
{
	static uint8_t buf[16384];
	uint64_t ino;

	ck_assert_int_eq(cowfs_create(fs, dir, name, strlen(name), S_IFREG | 0644, NULL, &ino), 0);
	fill(buf, len, (unsigned)ino);
	ck_assert_int_eq(cowfs_write_file(fs, ino, 0, buf, len), 0);
	return ino;
}

static void temp_path(char *buf, size_t size, const char *tag)
{
	ck_assert_int_eq(testlib_temp_file(buf, size, tag), 0);
}

static void copy_file(const char *from, const char *to)
{
	char cmd[1200];

	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", from, to);
	ck_assert_int_eq(system(cmd), 0);
}

/* / (a/ (b/ (f2), f1, link -> top), top): three data files, one with two names. */
static void image_setup(void)
{
	struct cowfs_mkfs_opts o = { .size = 32ull << 20 };
	uint64_t b;
	cowfs_fs *fs;

	ck_assert_int_eq(testlib_temp_image(image, sizeof(image), "img", &o), 0);
	ck_assert_int_eq(cowfs_open(image, COWFS_OPEN_RDWR, &fs), 0);
	ck_assert_int_eq(cowfs_create(fs, COWFS_ROOT_INO, "a", 1, S_IFDIR | 0755, NULL, &ino_a), 0);
	ck_assert_int_eq(cowfs_create(fs, ino_a, "b", 1, S_IFDIR | 0755, NULL, &b), 0);
	ino_f1 = make_file(fs, ino_a, "f1", 3 * 4096);
	make_file(fs, b, "f2", 10000);
	ino_top = make_file(fs, COWFS_ROOT_INO, "top", 5000);
	ck_assert_int_eq(dir_link_hash(fs, ino_a, "link", 4, cowfs_name_hash("link", 4), ino_top),
			 0);
	ck_assert_int_eq(cowfs_commit(fs), 0);
	cowfs_close(fs);
}

static void image_teardown(void)
{
	unlink(image);
}

static void raw(int write, uint64_t off, void *buf, size_t len)
{
	int fd = open(image, write ? O_WRONLY : O_RDONLY);
	ssize_t n;

	ck_assert_int_ge(fd, 0);
	n = write ? pwrite(fd, buf, len, (off_t)off) : pread(fd, buf, len, (off_t)off);
	ck_assert_int_eq(n, (ssize_t)len);
	close(fd);
}

static void flip_byte(uint64_t off)
{
	uint8_t v;

	raw(0, off, &v, 1);
	v ^= 0x5a;
	raw(1, off, &v, 1);
}

static void super_rw(int write, int copy, struct cowfs_super *sb)
{
	uint64_t off = copy ? COWFS_SUPER_BACKUP : COWFS_SUPER_OFFSET;

	if (write)
		cowfs_block_set_csum(sb);
	raw(write, off, sb, sizeof(*sb));
}

/* The leaf and slot holding key in the tree of root slot root; a simple descent. */
static void find_item(int root, const struct cowfs_key *key, uint64_t *leaf, int *slot)
{
	struct cowfs_super sb;
	uint8_t b[COWFS_NODE_SIZE];
	struct cowfs_key_ptr *ptrs = (struct cowfs_key_ptr *)(b + sizeof(struct cowfs_header));
	uint64_t bytenr;

	super_rw(0, 0, &sb);
	bytenr = cowfs_root_ptr_bytenr(&sb.roots[root]);
	for (int depth = 0; depth < COWFS_MAX_LEVEL; depth++) {
		uint32_t n;
		int i;

		raw(0, bytenr, b, sizeof(b));
		n = cowfs_header_nritems(hdr(b));
		if (hdr(b)->level == 0) {
			for (i = 0; i < (int)n; i++) {
				struct cowfs_key k;

				cowfs_disk_to_key(&k, &item(b, i)->key);
				if (!cowfs_key_cmp(&k, key)) {
					*leaf = bytenr;
					*slot = i;
					return;
				}
			}
			ck_abort_msg("key (%llu %u %llu) not found",
				     (unsigned long long)key->objectid, key->type,
				     (unsigned long long)key->offset);
		}
		for (i = (int)n - 1; i > 0; i--) {
			struct cowfs_key k;

			cowfs_disk_to_key(&k, &ptrs[i].key);
			if (cowfs_key_cmp(&k, key) <= 0)
				break;
		}
		bytenr = cowfs_key_ptr_blockptr(&ptrs[i]);
	}
	ck_abort_msg("tree too deep");
}

/* Add one to byte off of an item, keeping the block's checksum valid. */
static void bump_item(int root, struct cowfs_key key, size_t off)
{
	uint8_t b[COWFS_NODE_SIZE];
	uint64_t leaf;
	int slot;

	find_item(root, &key, &leaf, &slot);
	raw(0, leaf, b, sizeof(b));
	ck_assert_uint_lt(off, cowfs_item_size(item(b, slot)));
	b[sizeof(struct cowfs_header) + cowfs_item_offset(item(b, slot)) + off]++;
	cowfs_block_set_csum(b);
	raw(1, leaf, b, sizeof(b));
}

/* Disk address of the block holding file offset off of ino. */
static void file_block(uint64_t ino, uint64_t off, uint64_t *disk, uint64_t *extent)
{
	struct cowfs_extent_map em;
	cowfs_fs *fs;

	ck_assert_int_eq(cowfs_open(image, 0, &fs), 0);
	ck_assert_int_eq(cowfs_get_extent(fs, ino, off, &em), 0);
	ck_assert_uint_ne(em.disk_bytenr, 0);
	ck_assert_int_eq(em.compression, COWFS_COMPRESS_NONE);
	*disk = em.disk_bytenr + em.offset + (off - em.file_off);
	if (extent)
		*extent = em.disk_bytenr;
	cowfs_close(fs);
}

START_TEST(test_image_clean)
{
	struct result r;

	run(image, 0, &r);
	ck_assert_int_eq(r.ret, 0);
	ck_assert_msg(r.n == 0, "clean image: problem 0x%06x", r.f[0].code);
	ck_assert_uint_eq(r.sum.inodes, 6);
	ck_assert_uint_eq(r.sum.directories, 3);
	ck_assert_uint_eq(r.sum.files, 3);
	ck_assert_uint_eq(r.sum.data_blocks_checked, 3 + 3 + 2);
	ck_assert_int_eq(r.sum.super_copy, 0);
	ck_assert_int_ge(r.nblocks, 3);
	ck_assert_uint_eq(r.sum.tree_blocks, (uint64_t)r.nblocks);
}
END_TEST

START_TEST(test_image_data_csum)
{
	const struct found *f;
	struct result r;
	uint64_t disk;

	file_block(ino_f1, 4096, &disk, NULL);
	flip_byte(disk + 17);
	file_block(ino_top, 4096, &disk, NULL);
	flip_byte(disk + 100);
	run(image, 0, &r);
	ck_assert_int_eq(r.sum.errors, 2);
	ck_assert_has(&r, PR_4_DATA_CSUM);
	f = has(&r, PR_4_DATA_CSUM);
	ck_assert_str_eq(f->path, "/a/f1");
	ck_assert_uint_eq(f->file_off, 4096);
	ck_assert_str_eq(r.f[1].path, "/top");
	ck_assert_uint_eq(r.f[1].bytenr, disk);
	run(image, COWFS_CHECK_NO_DATA, &r);
	ck_assert_int_eq(r.sum.errors, 0);
}
END_TEST

START_TEST(test_image_tree_csum)
{
	struct result clean, r;

	run(image, 0, &clean);
	for (int i = 0; i < clean.nblocks; i++) {
		const struct found *f;

		flip_byte(clean.blocks[i] + 200);
		run(image, 0, &r);
		ck_assert_int_eq(r.ret, 0);
		f = has(&r, PR_1_BLOCK_CSUM);
		ck_assert_msg(f && f->bytenr == clean.blocks[i], "block %llu not named",
			      (unsigned long long)clean.blocks[i]);
		flip_byte(clean.blocks[i] + 200);
	}
}
END_TEST

/* Damage inside blocks whose checksum still matches: what only structure checks see. */
START_TEST(test_image_fuzz_structure)
{
	struct result clean, r;
	uint8_t save[COWFS_NODE_SIZE], b[COWFS_NODE_SIZE];
	unsigned seed = 12345;

	run(image, 0, &clean);
	for (int i = 0; i < clean.nblocks; i++) {
		raw(0, clean.blocks[i], save, sizeof(save));
		for (int iter = 0; iter < 60; iter++) {
			int flips = 1 + rand_r(&seed) % 4;

			memcpy(b, save, sizeof(b));
			for (int k = 0; k < flips; k++) {
				/* mostly the header and item table, where structure lives */
				int span = iter % 2 ? 400 : COWFS_NODE_SIZE - COWFS_CSUM_SIZE;

				b[COWFS_CSUM_SIZE + rand_r(&seed) % span] ^=
					(uint8_t)(1 + rand_r(&seed) % 255);
			}
			cowfs_block_set_csum(b);
			raw(1, clean.blocks[i], b, sizeof(b));
			run(image, 0, &r);
			ck_assert_int_eq(r.ret, 0);
		}
		raw(1, clean.blocks[i], save, sizeof(save));
	}
}
END_TEST

START_TEST(test_image_primary_super)
{
	static uint8_t zero[COWFS_BLOCK_SIZE];
	struct result r;

	raw(1, COWFS_SUPER_OFFSET, zero, sizeof(zero));
	run(image, 0, &r);
	ck_assert_int_eq(r.ret, 0);
	ck_assert_has(&r, PR_0_SUPER_INVALID);
	ck_assert_int_eq(has(&r, PR_0_SUPER_INVALID)->copy, 0);
	ck_assert_has(&r, PR_0_USING_BACKUP);
	ck_assert_uint_eq(r.sum.errors, 1);
	ck_assert_int_eq(r.sum.super_copy, 1);
	ck_assert_uint_eq(r.sum.inodes, 6);
	raw(1, COWFS_SUPER_BACKUP, zero, sizeof(zero));
	run(image, 0, &r);
	ck_assert_int_eq(r.ret, 0);
	ck_assert_has(&r, PR_0_NO_SUPER);
	ck_assert_int_eq(r.sum.super_copy, -1);
}
END_TEST

static void commit_change(unsigned seed)
{
	uint8_t buf[4096];
	cowfs_fs *fs;

	ck_assert_int_eq(cowfs_open(image, COWFS_OPEN_RDWR, &fs), 0);
	fill(buf, sizeof(buf), seed);
	ck_assert_int_eq(cowfs_write_file(fs, ino_f1, 0, buf, sizeof(buf)), 0);
	ck_assert_int_eq(cowfs_commit(fs), 0);
	cowfs_close(fs);
}

START_TEST(test_image_super_generations)
{
	struct cowfs_super old;
	struct result r;

	super_rw(0, 1, &old);
	commit_change(1);
	super_rw(1, 1, &old);	/* as if the commit stopped after the primary */
	run(image, 0, &r);
	ck_assert_int_eq(r.ret, 0);
	ck_assert_has(&r, PR_0_INTERRUPTED_COMMIT);
	ck_assert_uint_eq(r.sum.errors, 0);
	ck_assert_uint_eq(r.sum.infos, 1);
	commit_change(2);
	super_rw(1, 1, &old);	/* two behind: no crash leaves that */
	run(image, 0, &r);
	ck_assert_has(&r, PR_0_STALE_COPY);
	ck_assert_uint_eq(r.sum.errors, 1);
}
END_TEST

/* A commit cut after each of its block writes leaves a consistent image: the previous
 * commit, or the new one with the backup superblock one behind. */
START_TEST(test_image_crash_points)
{
	char save[512];
	struct result r;
	int64_t limit;
	int interrupted = 0;

	temp_path(save, sizeof(save), "save");
	copy_file(image, save);
	for (limit = 0; limit < 64; limit++) {
		uint8_t buf[3 * 4096];
		cowfs_fs *fs;
		int ret;

		copy_file(save, image);
		ck_assert_int_eq(cowfs_open(image, COWFS_OPEN_RDWR, &fs), 0);
		fill(buf, sizeof(buf), (unsigned)limit);
		ck_assert_int_eq(cowfs_write_file(fs, ino_f1, 4096, buf, sizeof(buf)), 0);
		ck_assert_int_eq(cowfs_unlink(fs, ino_a, "link", 4), 0);
		cowfs_set_write_limit(fs, limit);
		ret = cowfs_commit(fs);
		cowfs_close(fs);
		run(image, 0, &r);
		ck_assert_msg(r.sum.errors == 0 && r.sum.warnings == 0,
			      "cut after %lld writes: problem 0x%06x", (long long)limit, r.f[0].code);
		ck_assert_int_le(r.n, 1);
		interrupted += has(&r, PR_0_INTERRUPTED_COMMIT) != NULL;
		if (ret == 0)
			break;
	}
	ck_assert_int_lt(limit, 64);
	ck_assert_int_eq(interrupted, 1);	/* only the cut between the two superblocks */
	unlink(save);
}
END_TEST

START_TEST(test_image_truncated)
{
	uint64_t sizes[] = { 3 << 20, 0, 1 << 20, 70000 };	/* shrinking */
	struct cowfs_super sb;
	struct result r;
	uint64_t disk;

	/* Cut right after the csum tree: its items name data the image no longer holds. */
	super_rw(0, 0, &sb);
	sizes[1] = cowfs_root_ptr_bytenr(&sb.roots[COWFS_ROOT_CSUM]) + COWFS_NODE_SIZE;
	file_block(ino_top, 0, &disk, NULL);
	ck_assert_uint_ge(disk, sizes[1]);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		ck_assert_int_eq(truncate(image, (off_t)sizes[i]), 0);
		run(image, 0, &r);
		ck_assert_int_eq(r.ret, 0);
		ck_assert_has(&r, PR_0_TRUNCATED);
		if (i == 1)
			ck_assert_has(&r, PR_4_DATA_PAST_END);
	}
}
END_TEST

START_TEST(test_image_garbage)
{
	const size_t sizes[] = { 0, 5000, 70000, 1 << 20, 3 << 20 };
	unsigned seed = 7;
	struct result r;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint8_t *buf = malloc(sizes[i] + 1);
		int fd = open(image, O_WRONLY | O_TRUNC);

		for (size_t j = 0; j < sizes[i]; j++)
			buf[j] = (uint8_t)rand_r(&seed);
		ck_assert_int_eq(write(fd, buf, sizes[i]), (ssize_t)sizes[i]);
		close(fd);
		free(buf);
		run(image, 0, &r);
		ck_assert_int_eq(r.ret, 0);
		ck_assert_has(&r, PR_0_NO_SUPER);
	}
	snprintf(image + strlen(image), 16, ".none");
	run(image, 0, &r);
	ck_assert_int_eq(r.ret, -ENOENT);
	image[strlen(image) - 5] = '\0';
}
END_TEST

START_TEST(test_image_items)
{
	struct cowfs_key k = { 0, COWFS_INODE_ITEM, 0 };
	struct cowfs_super sb;
	struct result r;
	uint64_t disk, extent;

	k.objectid = ino_f1;
	bump_item(COWFS_ROOT_FS, k, offsetof(struct cowfs_inode_item, nlink));
	k.objectid = ino_a;
	bump_item(COWFS_ROOT_FS, k, offsetof(struct cowfs_inode_item, size));
	k = (struct cowfs_key){ ino_a, COWFS_DIR_ITEM, cowfs_name_hash("f1", 2) };
	bump_item(COWFS_ROOT_FS, k, sizeof(struct cowfs_dir_entry));	/* "f1" -> "g1" */
	file_block(ino_top, 0, &disk, &extent);
	k = (struct cowfs_key){ extent, COWFS_EXTENT_ITEM, 8192 };
	bump_item(COWFS_ROOT_EXTENT, k, offsetof(struct cowfs_extent_item, refs));
	for (int copy = 0; copy < 2; copy++) {
		super_rw(0, copy, &sb);
		cowfs_set_super_bytes_used(&sb, cowfs_super_bytes_used(&sb) + 4096);
		super_rw(1, copy, &sb);
	}
	run(image, 0, &r);
	ck_assert_int_eq(r.ret, 0);
	ck_assert_has(&r, PR_3_NLINK);
	ck_assert_has(&r, PR_3_DIR_SIZE);
	ck_assert_has(&r, PR_3_DIRENT_HASH);
	ck_assert_has(&r, PR_3_DIRENT_NO_REF);
	ck_assert_has(&r, PR_3_REF_NO_DIRENT);
	ck_assert_has(&r, PR_2_DATA_REFS);
	ck_assert_has(&r, PR_2_BYTES_USED);
	ck_assert_msg(!has(&r, PR_1_BAD_ITEM) && !has(&r, PR_1_BLOCK_CSUM), "blocks stay valid");
}
END_TEST

/* ---- compare ---- */

struct diffs {
	int n;
	char msg[16][256];
	enum cowfs_diff_kind kind[16];
};

static void rec_diff(void *arg, const struct cowfs_difference *d)
{
	struct diffs *x = arg;

	if (x->n < 16) {
		snprintf(x->msg[x->n], sizeof(x->msg[0]), "%s", d->message);
		x->kind[x->n] = d->kind;
	}
	x->n++;
}

static int has_diff(const struct diffs *x, const char *msg)
{
	for (int i = 0; i < x->n && i < 16; i++)
		if (!strcmp(x->msg[i], msg))
			return 1;
	return 0;
}

START_TEST(test_compare)
{
	char copy[512];
	uint8_t buf[4096];
	struct diffs d = { 0 };
	struct result r;
	cowfs_fs *fs;
	uint64_t ino;

	temp_path(copy, sizeof(copy), "copy");
	copy_file(image, copy);
	ck_assert_int_eq(cowfs_compare(image, copy, COWFS_COMPARE_LAYOUT, rec_diff, &d), 0);
	ck_assert_int_eq(cowfs_open(copy, COWFS_OPEN_RDWR, &fs), 0);
	memset(buf, 0x55, sizeof(buf));
	ck_assert_int_eq(cowfs_write_file(fs, ino_f1, 4096, buf, sizeof(buf)), 0);
	ck_assert_int_eq(cowfs_truncate(fs, ino_top, 100), 0);
	ck_assert_int_eq(cowfs_create(fs, ino_a, "new", 3, S_IFDIR | 0755, NULL, &ino), 0);
	ck_assert_int_eq(cowfs_unlink(fs, ino_a, "b", 1), -ENOTEMPTY);
	ck_assert_int_eq(cowfs_unlink(fs, ino_a, "link", 4), 0);
	ck_assert_int_eq(cowfs_commit(fs), 0);
	cowfs_close(fs);
	/* shared, split and straddling extents are all consistent states */
	run(copy, 0, &r);
	ck_assert_msg(r.n == 0, "changed image: problem 0x%06x", r.f[0].code);
	ck_assert_int_eq(cowfs_compare(image, copy, 0, rec_diff, &d), 4);
	ck_assert_msg(has_diff(&d, "/a/f1 [4096, 8192): contents differ"), "%s", d.msg[0]);
	ck_assert(has_diff(&d, "/a/new: only in B"));
	ck_assert(has_diff(&d, "/top: size 5000 != 100"));
	ck_assert(has_diff(&d, "/a/link: only in A"));
	memset(&d, 0, sizeof(d));
	ck_assert_int_ge(cowfs_compare(image, copy, COWFS_COMPARE_LAYOUT, rec_diff, &d), 5);
	ck_assert_int_eq(d.kind[0], COWFS_DIFF_CONTENT);
	ck_assert_int_eq(cowfs_compare(image, "/nonexistent-image", 0, rec_diff, &d), -ENOENT);
	unlink(copy);
}
END_TEST

static void add_image_tests(Suite *s)
{
	TCase *tc = tcase_create("image");

	tcase_add_checked_fixture(tc, image_setup, image_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_image_clean);
	tcase_add_test(tc, test_image_data_csum);
	tcase_add_test(tc, test_image_tree_csum);
	tcase_add_test(tc, test_image_fuzz_structure);
	tcase_add_test(tc, test_image_primary_super);
	tcase_add_test(tc, test_image_super_generations);
	tcase_add_test(tc, test_image_crash_points);
	tcase_add_test(tc, test_image_truncated);
	tcase_add_test(tc, test_image_garbage);
	tcase_add_test(tc, test_image_items);
	tcase_add_test(tc, test_compare);
	suite_add_tcase(s, tc);
}

static Suite *check_suite(void)
{
	Suite *s = suite_create("check");
	TCase *tc = tcase_create("verify");

	tcase_add_test(tc, test_verify_header);
	tcase_add_test(tc, test_verify_leaf_layout);
	tcase_add_test(tc, test_verify_items);
	tcase_add_test(tc, test_verify_node);
	tcase_add_test(tc, test_verify_super);
	suite_add_tcase(s, tc);
	tc = tcase_create("problems");
	tcase_add_test(tc, test_problem_table);
	tcase_add_test(tc, test_problem_messages);
	tcase_add_test(tc, test_u64set);
	suite_add_tcase(s, tc);
	add_image_tests(s);
	return s;
}

int main(void)
{
	return testlib_run(check_suite());
}
