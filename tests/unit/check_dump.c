/* The dump API: superblock fields, tree walks, item decoding, and how they
 * hold up on damaged copies and blocks. */
#include <check.h>
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "cowfs/disk.h"
#include "cowfs/dump.h"
#include "cowfs/error.h"
#include "disk/dump-fmt.h"
#include "disk/format.h"
#include "testlib.h"

static char image[4096];
static const char *uuid_text = "0b6f4e7a-93c1-4d52-8e8c-2f1d9a7b3c11";

static void setup(void)
{
	struct cowfs_mkfs_opts o = { .size = 64ull << 20, .label = "lab", .time = 1700000000 };
	uint8_t uuid[16];

	ck_assert_int_eq(uuid_parse(uuid_text, uuid), 0);
	o.uuid = uuid;
	ck_assert_int_eq(testlib_temp_image(image, sizeof(image), "dump", &o), 0);
}

static void teardown(void)
{
	unlink(image);
}

static cowfs_fs *open_image(unsigned flags)
{
	cowfs_fs *fs = NULL;

	ck_assert_int_eq(cowfs_open(image, flags, &fs), 0);
	return fs;
}

static void poke(uint64_t off, const void *buf, size_t len)
{
	int fd = open(image, O_WRONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, buf, len, (off_t)off), (ssize_t)len);
	close(fd);
}

/* ---- records collected from a walk ---- */

struct rec {
	struct cowfs_dump_rec r;
	char key[64];
	char desc[512];
};

struct recs {
	struct rec v[4096];
	int n;
	int stop_at;			/* return 42 at this record, if > 0 */
};

static int collect(void *arg, const struct cowfs_dump_rec *r)
{
	struct recs *rs = arg;

	ck_assert_int_lt(rs->n, 4096);
	rs->v[rs->n].r = *r;
	snprintf(rs->v[rs->n].key, sizeof(rs->v[0].key), "%s", r->key);
	snprintf(rs->v[rs->n].desc, sizeof(rs->v[0].desc), "%s", r->desc);
	ck_assert_ptr_null(strchr(r->desc, '\n'));
	return ++rs->n == rs->stop_at ? 42 : 0;
}

static const struct rec *find_item(const struct recs *rs, uint64_t objectid, uint8_t type)
{
	for (int i = 0; i < rs->n; i++)
		if (rs->v[i].r.kind == COWFS_DUMP_ITEM && rs->v[i].r.objectid == objectid &&
		    rs->v[i].r.type == type)
			return &rs->v[i];
	return NULL;
}

/* ---- names ---- */

START_TEST(test_names)
{
	uint64_t id = 0;

	ck_assert_int_eq(cowfs_tree_by_name("fs", &id), 0);
	ck_assert_uint_eq(id, COWFS_FS_TREE);
	ck_assert_int_eq(cowfs_tree_by_name("extent", &id), 0);
	ck_assert_uint_eq(id, COWFS_EXTENT_TREE);
	ck_assert_int_eq(cowfs_tree_by_name("csum", &id), 0);
	ck_assert_uint_eq(id, COWFS_CSUM_TREE);
	ck_assert_int_eq(cowfs_tree_by_name("root", &id), -EINVAL);
	ck_assert_int_eq(cowfs_tree_by_name("", &id), -EINVAL);
	ck_assert_str_eq(cowfs_tree_name(COWFS_CSUM_TREE), "csum");
	ck_assert_ptr_null(cowfs_tree_name(99));
	ck_assert_str_eq(cowfs_key_type_name(COWFS_INODE_ITEM), "INODE_ITEM");
	ck_assert_str_eq(cowfs_key_type_name(COWFS_EXTENT_CSUM), "EXTENT_CSUM");
	ck_assert_str_eq(cowfs_key_type_name(200), "UNKNOWN");
	ck_assert_uint_eq(cowfs_super_offset(0), COWFS_SUPER_OFFSET);
	ck_assert_uint_eq(cowfs_super_offset(1), COWFS_SUPER_BACKUP);
	ck_assert_uint_eq(cowfs_super_offset(2), 0);
}
END_TEST

/* ---- superblock ---- */

struct fields {
	char name[32][32];
	char value[32][300];
	int n;
	int stop_at;
};

static int field(void *arg, const char *name, const char *value)
{
	struct fields *f = arg;

	ck_assert_int_lt(f->n, 32);
	snprintf(f->name[f->n], sizeof(f->name[0]), "%s", name);
	snprintf(f->value[f->n], sizeof(f->value[0]), "%s", value);
	return ++f->n == f->stop_at ? 7 : 0;
}

static const char *value_of(const struct fields *f, const char *name)
{
	for (int i = 0; i < f->n; i++)
		if (!strcmp(f->name[i], name))
			return f->value[i];
	ck_abort_msg("no field %s", name);
	return NULL;
}

START_TEST(test_super_fields)
{
	cowfs_fs *fs = open_image(0);
	struct fields f = { .n = 0 };

	ck_assert_int_eq(cowfs_dump_super(fs, 0, field, &f), 0);
	ck_assert_str_eq(value_of(&f, "status"), "valid");
	ck_assert_str_eq(value_of(&f, "label"), "lab");
	ck_assert_str_eq(value_of(&f, "fsid"), uuid_text);
	ck_assert_str_eq(value_of(&f, "bytenr"), "65536 [match]");
	ck_assert_str_eq(value_of(&f, "magic"), "0x315366576f435f5f [match]");
	ck_assert_str_eq(value_of(&f, "total_bytes"), "67108864");
	ck_assert_str_eq(value_of(&f, "incompat"), "0x0");
	ck_assert_ptr_nonnull(strstr(value_of(&f, "csum"), "[match]"));
	ck_assert_ptr_nonnull(strstr(value_of(&f, "root.fs"), "level 0"));

	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(cowfs_dump_super(fs, 1, field, &f), 0);
	ck_assert_str_eq(value_of(&f, "bytenr"), "1044480 [match]");

	memset(&f, 0, sizeof(f));
	f.stop_at = 3;
	ck_assert_int_eq(cowfs_dump_super(fs, 0, field, &f), 7);
	ck_assert_int_eq(f.n, 3);
	ck_assert_int_eq(cowfs_dump_super(fs, 2, field, &f), -EINVAL);
	cowfs_close(fs);
}
END_TEST

/* A damaged backup is still shown, field by field, with the verdicts. */
START_TEST(test_super_damaged_copy)
{
	static const char junk[] = "junk junk junk";
	struct fields f = { .n = 0 };
	cowfs_fs *fs;

	poke(COWFS_SUPER_BACKUP + 200, junk, sizeof(junk));
	fs = open_image(0);
	ck_assert_int_eq(cowfs_dump_super(fs, 1, field, &f), 0);
	ck_assert_ptr_nonnull(strstr(value_of(&f, "status"), "invalid"));
	ck_assert_ptr_nonnull(strstr(value_of(&f, "csum"), "[MISMATCH]"));
	ck_assert_str_eq(value_of(&f, "magic"), "0x315366576f435f5f [match]");

	poke(COWFS_SUPER_BACKUP + offsetof(struct cowfs_super, magic), junk, sizeof(junk));
	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(cowfs_dump_super(fs, 1, field, &f), 0);
	ck_assert_ptr_nonnull(strstr(value_of(&f, "magic"), "[MISMATCH]"));
	cowfs_close(fs);
}
END_TEST

/* ---- trees ---- */

static void populate(int nfiles)
{
	cowfs_fs *fs = open_image(COWFS_OPEN_RDWR);
	static char data[5000];
	uint64_t ino, dir;
	char name[32];

	memset(data, 'x', sizeof(data));
	ck_assert_int_eq(cowfs_create(fs, COWFS_ROOT_INO, "f", 1, 0100644, NULL, &ino), 0);
	ck_assert_int_eq(cowfs_write_file(fs, ino, 0, data, sizeof(data)), 0);
	ck_assert_int_eq(cowfs_create(fs, COWFS_ROOT_INO, "d", 1, 040700, NULL, &dir), 0);
	ck_assert_int_eq(cowfs_create(fs, dir, "a\001b\\", 4, 0100600, NULL, &ino), 0);
	for (int i = 0; i < nfiles; i++) {
		snprintf(name, sizeof(name), "file-with-a-long-name-%04d", i);
		ck_assert_int_eq(cowfs_create(fs, dir, name, strlen(name), 0100644, NULL, &ino), 0);
	}
	ck_assert_int_eq(cowfs_commit(fs), 0);
	cowfs_close(fs);
}

static int dump(uint64_t tree, unsigned flags, struct recs *rs)
{
	cowfs_fs *fs = open_image(0);
	int ret = cowfs_dump_tree(fs, tree, flags, collect, rs);

	cowfs_close(fs);
	return ret;
}

START_TEST(test_tree_items)
{
	struct recs *rs = calloc(1, sizeof(*rs));
	const struct rec *r;

	populate(0);
	ck_assert_int_eq(dump(COWFS_FS_TREE, 0, rs), 0);
	ck_assert_int_eq(rs->v[0].r.kind, COWFS_DUMP_BLOCK);
	ck_assert_int_eq(rs->v[0].r.slot, -1);
	ck_assert_ptr_nonnull(strstr(rs->v[0].desc, "leaf "));
	ck_assert_ptr_nonnull(strstr(rs->v[0].desc, "owner FS_TREE"));

	r = find_item(rs, COWFS_ROOT_INO, COWFS_INODE_ITEM);
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->key, "(256 INODE_ITEM 0)");
	ck_assert_ptr_nonnull(strstr(r->desc, "mode 040755"));
	ck_assert_ptr_nonnull(strstr(r->desc, "mtime 1700000000.000000000"));
	ck_assert_uint_eq(r->r.item_size, sizeof(struct cowfs_inode_item));

	r = find_item(rs, 257, COWFS_EXTENT_DATA);
	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_nonnull(strstr(r->desc, "compression none(0)"));
	ck_assert_ptr_nonnull(strstr(r->desc, "disk_num_bytes 8192"));

	/* the odd name is escaped, in the dir item and in the inode ref */
	r = find_item(rs, 258, COWFS_DIR_ITEM);
	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_nonnull(strstr(r->desc, "type FILE name_len 4 name a\\001b\\134"));
	r = find_item(rs, 259, COWFS_INODE_REF);
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->desc, "name_len 4 name a\\001b\\134");

	/* items come in key order */
	for (int i = 2; i < rs->n; i++) {
		const struct cowfs_dump_rec *a = &rs->v[i - 1].r, *b = &rs->v[i].r;
		struct cowfs_key ka = { a->objectid, a->type, a->offset };
		struct cowfs_key kb = { b->objectid, b->type, b->offset };

		if (a->kind == COWFS_DUMP_ITEM && b->kind == COWFS_DUMP_ITEM)
			ck_assert_int_lt(cowfs_key_cmp(&ka, &kb), 0);
	}
	free(rs);
}
END_TEST

START_TEST(test_tree_csums)
{
	struct recs *rs = calloc(1, sizeof(*rs));

	populate(0);
	ck_assert_int_eq(dump(COWFS_CSUM_TREE, 0, rs), 0);
	ck_assert_int_eq(rs->n, 2);
	ck_assert_str_eq(rs->v[1].key + strlen(rs->v[1].key) - 1, ")");
	ck_assert_ptr_nonnull(strstr(rs->v[1].key, "(EXTENT_CSUM EXTENT_CSUM "));
	ck_assert_ptr_nonnull(strstr(rs->v[1].desc, "length 8192"));
	ck_assert_ptr_null(strstr(rs->v[1].desc, "csums"));

	rs->n = 0;
	ck_assert_int_eq(dump(COWFS_CSUM_TREE, COWFS_DUMP_CSUMS, rs), 0);
	const char *c = strstr(rs->v[1].desc, " csums 0x");
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq((int)strlen(c), (int)strlen(" csums 0x12345678 0x12345678"));

	rs->n = 0;
	ck_assert_int_eq(dump(COWFS_EXTENT_TREE, 0, rs), 0);
	int data = 0, tree = 0;
	for (int i = 0; i < rs->n; i++) {
		data += strstr(rs->v[i].desc, "flags DATA") != NULL;
		tree += strstr(rs->v[i].desc, "flags TREE_BLOCK owner ") != NULL;
	}
	ck_assert_int_eq(data, 1);
	ck_assert_int_ge(tree, 3);
	free(rs);
}
END_TEST

/* A node comes before its children, each child once, and a stop is honoured. */
START_TEST(test_tree_levels)
{
	struct recs *rs = calloc(1, sizeof(*rs));
	int ptrs = 0, blocks = 0;

	populate(300);
	ck_assert_int_eq(dump(COWFS_FS_TREE, 0, rs), 0);
	ck_assert_int_ge(rs->v[0].r.level, 1);
	ck_assert_ptr_nonnull(strstr(rs->v[0].desc, "node "));
	for (int i = 0; i < rs->n; i++) {
		const struct cowfs_dump_rec *p = &rs->v[i].r;
		int seen = 0;

		if (p->kind == COWFS_DUMP_BLOCK)
			blocks++;
		if (p->kind != COWFS_DUMP_PTR)
			continue;
		ptrs++;
		uint64_t child = strtoull(strstr(rs->v[i].desc, "block ") + 6, NULL, 10);
		for (int j = i + 1; j < rs->n; j++)
			seen += rs->v[j].r.kind == COWFS_DUMP_BLOCK && rs->v[j].r.bytenr == child;
		ck_assert_int_eq(seen, 1);
	}
	ck_assert_int_eq(blocks, ptrs + 1);

	int all = rs->n;
	memset(rs, 0, sizeof(*rs));
	rs->stop_at = all / 2;
	ck_assert_int_eq(dump(COWFS_FS_TREE, 0, rs), 42);
	ck_assert_int_eq(rs->n, all / 2);
	free(rs);
}
END_TEST

/* An unreadable leaf is reported in its place and the walk goes on. */
START_TEST(test_tree_bad_block)
{
	struct recs *rs = calloc(1, sizeof(*rs));
	static const char junk[64] = "this is not a tree block";
	uint64_t victim = 0;
	int bad = 0, after = 0;

	populate(300);
	ck_assert_int_eq(dump(COWFS_FS_TREE, 0, rs), 0);
	for (int i = 0; i < rs->n && !victim; i++)
		if (rs->v[i].r.kind == COWFS_DUMP_PTR && rs->v[i].r.slot == 1)
			victim = strtoull(strstr(rs->v[i].desc, "block ") + 6, NULL, 10);
	ck_assert_uint_ne(victim, 0);
	poke(victim + 100, junk, sizeof(junk));

	memset(rs, 0, sizeof(*rs));
	ck_assert_int_lt(dump(COWFS_FS_TREE, 0, rs), 0);
	for (int i = 0; i < rs->n; i++) {
		if (rs->v[i].r.kind == COWFS_DUMP_BAD) {
			bad++;
			ck_assert_uint_eq(rs->v[i].r.bytenr, victim);
			ck_assert_int_lt(rs->v[i].r.err, 0);
			ck_assert_ptr_nonnull(strstr(rs->v[i].desc, "unreadable"));
		} else if (bad && rs->v[i].r.kind == COWFS_DUMP_BLOCK) {
			after++;
		}
	}
	ck_assert_int_eq(bad, 1);
	ck_assert_int_ge(after, 1);
	free(rs);
}
END_TEST

/* ---- item bodies that do not fit their struct ---- */

static const char *format(uint8_t type, const void *data, uint32_t size)
{
	static struct sbuf sb;
	struct cowfs_key k = { 256, type, 4096 };

	sbuf_reset(&sb);
	dump_format_item(&sb, &k, data, size, COWFS_DUMP_CSUMS);
	ck_assert_int_eq(sb.failed, 0);
	return sb.s ? sb.s : "";
}

START_TEST(test_item_bad_sizes)
{
	uint8_t buf[512];
	struct cowfs_dir_entry de;

	memset(buf, 0, sizeof(buf));
	ck_assert_str_eq(format(COWFS_INODE_ITEM, buf, 10), "bad item size 10, expected 116");
	ck_assert_str_eq(format(COWFS_EXTENT_DATA, buf, 55), "bad item size 55, expected 56");
	ck_assert_str_eq(format(COWFS_EXTENT_ITEM, buf, 0), "bad item size 0, expected 40");
	ck_assert_str_eq(format(COWFS_EXTENT_CSUM, buf, 6), "bad item size 6, not a multiple of 4");
	ck_assert_str_eq(format(99, buf, 3), "unknown item type 99 size 3");

	/* a name running past the item */
	memset(&de, 0, sizeof(de));
	put_le64(&de.ino, 300);
	put_le16(&de.name_len, 200);
	de.type = COWFS_FT_REG;
	memcpy(buf, &de, sizeof(de));
	memcpy(buf + sizeof(de), "abc", 3);
	ck_assert_str_eq(format(COWFS_DIR_ITEM, buf, sizeof(de) + 3),
			 "bad record at byte 0 of 22");

	/* one good record, then a truncated one */
	put_le16(&de.name_len, 3);
	memcpy(buf, &de, sizeof(de));
	ck_assert_str_eq(format(COWFS_DIR_ITEM, buf, sizeof(de) + 3 + 5),
			 "location 300 transid 0 type FILE name_len 3 name abc; "
			 "bad record at byte 22 of 27");
}
END_TEST

START_TEST(test_sbuf)
{
	struct sbuf sb = { 0 };
	char big[1000];

	memset(big, 'y', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	sbuf_printf(&sb, "%s", "start ");
	sbuf_printf(&sb, "%s", big);
	ck_assert_uint_eq(sb.len, 6 + 999);
	ck_assert_uint_eq(strlen(sb.s), sb.len);
	sbuf_reset(&sb);
	sbuf_escape(&sb, (const uint8_t *)"a b\n\\\x7f\xff", 7);
	ck_assert_str_eq(sb.s, "a b\\012\\134\\177\\377");
	sbuf_free(&sb);
	ck_assert_ptr_null(sb.s);
}
END_TEST

static Suite *dump_suite(void)
{
	Suite *s = suite_create("dump");
	TCase *tc = tcase_create("dump");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_super_fields);
	tcase_add_test(tc, test_super_damaged_copy);
	tcase_add_test(tc, test_tree_items);
	tcase_add_test(tc, test_tree_csums);
	tcase_add_test(tc, test_tree_levels);
	tcase_add_test(tc, test_tree_bad_block);
	tcase_add_test(tc, test_item_bad_sizes);
	tcase_add_test(tc, test_sbuf);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return testlib_run(dump_suite());
}
