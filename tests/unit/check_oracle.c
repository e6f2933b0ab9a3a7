/* Suite "oracle": the replay's model of file contents, names and durability. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cowfs/disk.h"
#include "cowfs/error.h"
#include "cowfs/expect.h"
#include "cowfs/trace.h"
#include "replay/oracle.h"
#include "testlib.h"

static const struct cowfs_data_spec stamp = { .kind = COWFS_DATA_STAMP };

#define P(s) s, strlen(s)

static struct oracle *o;

static void setup(void)
{
	ck_assert_int_eq(oracle_new(&o), 0);
}

static void teardown(void)
{
	oracle_free(o);
	o = NULL;
}

static void write_at(const char *path, uint64_t off, uint64_t len, uint64_t line)
{
	ck_assert_int_eq(oracle_store(o, P(path), off, len, line, &stamp, true), 0);
}

/* The expectation (now, or after a crash now) as cowexpect text, without its header. */
static const char *expect(bool crash)
{
	static char text[8192];
	cowfs_expect *e;
	char *buf = NULL;
	size_t size = 0;
	FILE *m = open_memstream(&buf, &size);

	ck_assert_int_eq(oracle_expect(o, crash, &e), 0);
	ck_assert_int_eq(cowfs_expect_write(m, e), 0);
	fclose(m);
	cowfs_expect_free(e);
	ck_assert_int_eq(strncmp(buf, "cowexpect 1\n", 12), 0);
	snprintf(text, sizeof(text), "%s", buf + 12);
	free(buf);
	return text;
}

/* ---- contents ---- */

START_TEST(test_overlapping_writes)
{
	ck_assert_int_eq(oracle_create(o, P("/f")), 0);
	write_at("/f", 0, 8192, 2);
	write_at("/f", 4096, 200, 3);
	write_at("/f", 4000, 100, 4);
	ck_assert_str_eq(expect(false),
			 "file /f size=8192\n"
			 "range 0 4000 2:stamp\n"
			 "range 4000 100 4:stamp\n"
			 "range 4100 196 3:stamp\n"
			 "range 4296 3896 2:stamp\n");
	write_at("/f", 0, 8192, 5);
	ck_assert_str_eq(expect(false), "file /f size=8192\nrange 0 8192 5:stamp\n");
}
END_TEST

START_TEST(test_truncate_and_extend)
{
	ck_assert_int_eq(oracle_create(o, P("/f")), 0);
	write_at("/f", 0, 8192, 2);
	ck_assert_int_eq(oracle_truncate(o, P("/f"), 5000), 0);
	ck_assert_int_eq(oracle_truncate(o, P("/f"), 10000), 0);
	ck_assert_str_eq(expect(false), "file /f size=10000\nrange 0 5000 2:stamp\n");
	/* A write past the end leaves zeros between. */
	write_at("/f", 20000, 10, 3);
	ck_assert_str_eq(expect(false),
			 "file /f size=20010\nrange 0 5000 2:stamp\nrange 20000 10 3:stamp\n");
	ck_assert_int_eq(oracle_truncate(o, P("/f"), 0), 0);
	ck_assert_str_eq(expect(false), "file /f size=0\n");
}
END_TEST

START_TEST(test_store_within_size)
{
	ck_assert_int_eq(oracle_create(o, P("/f")), 0);
	write_at("/f", 0, 4096, 2);
	ck_assert_int_eq(oracle_store(o, P("/f"), 4000, 97, 3, &stamp, false), -ERANGE);
	ck_assert_int_eq(oracle_store(o, P("/f"), 4000, 96, 3, &stamp, false), 0);
	ck_assert_int_eq(oracle_store(o, P("/f"), UINT64_MAX, 2, 3, &stamp, true), -EINVAL);
	ck_assert_str_eq(expect(false), "file /f size=4096\nrange 0 4000 2:stamp\nrange 4000 96 3:stamp\n");
}
END_TEST

START_TEST(test_hex_kept)
{
	struct cowfs_data_spec hex;

	ck_assert_int_eq(cowfs_data_hex_new(&hex, "\x01\x02\x03\x04", 4, 10), 0);
	ck_assert_int_eq(oracle_create(o, P("/f")), 0);
	ck_assert_int_eq(oracle_store(o, P("/f"), 10, 4, 7, &hex, true), 0);
	cowfs_data_put(&hex);
	write_at("/f", 11, 2, 8);
	ck_assert_str_eq(expect(false),
			 "file /f size=14\nrange 10 1 7:hex:01\nrange 11 2 8:stamp\n"
			 "range 13 1 7:hex:04\n");
}
END_TEST

/* ---- names ---- */

START_TEST(test_names)
{
	enum cowfs_expect_type type;
	uint64_t size;

	ck_assert_int_eq(oracle_mkdir(o, P("/d")), 0);
	ck_assert_int_eq(oracle_mkdir(o, P("/d")), -EEXIST);
	ck_assert_int_eq(oracle_create(o, P("/d/f")), 0);
	ck_assert_int_eq(oracle_create(o, P("/d/f")), -EEXIST);
	ck_assert_int_eq(oracle_create(o, P("/x/f")), -ENOENT);
	ck_assert_int_eq(oracle_create(o, P("/d/f/g")), -ENOTDIR);
	ck_assert_int_eq(oracle_mkdir(o, P("/")), -EEXIST);
	ck_assert_int_eq(oracle_create(o, P("d")), -EINVAL);
	ck_assert_int_eq(oracle_create(o, P("/d/../e")), -EINVAL);
	ck_assert_int_eq(oracle_truncate(o, P("/d"), 5), -EISDIR);
	ck_assert_int_eq(oracle_store(o, P("/d"), 0, 5, 1, &stamp, true), -EISDIR);
	ck_assert_int_eq(oracle_truncate(o, P("/nope"), 5), -ENOENT);
	ck_assert_int_eq(oracle_unlink(o, P("/d")), -ENOTEMPTY);
	ck_assert_int_eq(oracle_unlink(o, P("/")), -EINVAL);
	ck_assert_int_eq(oracle_unlink(o, P("/d/nope")), -ENOENT);
	ck_assert_int_eq(oracle_stat(o, P("/d/f"), &type, &size), 0);
	ck_assert_int_eq(type, COWFS_EXPECT_FILE);
	ck_assert_int_eq(oracle_unlink(o, P("/d/f")), 0);
	ck_assert_int_eq(oracle_stat(o, P("/d/f"), &type, &size), -ENOENT);
	ck_assert_int_eq(oracle_truncate(o, P("/d/f"), 5), -ENOENT);
	ck_assert_str_eq(expect(false), "dir /d\n");
	ck_assert_int_eq(oracle_unlink(o, P("/d")), 0);
	ck_assert_str_eq(expect(false), "");
	ck_assert_int_eq(oracle_create(o, P("/d")), 0);
	ck_assert_str_eq(expect(false), "file /d size=0\n");
}
END_TEST

START_TEST(test_long_path)
{
	char path[5000];

	memset(path, 'a', sizeof(path));
	path[0] = '/';
	ck_assert_int_eq(oracle_create(o, path, 4096), -ENAMETOOLONG);
	ck_assert_int_eq(oracle_create(o, path, 257), -EINVAL);
}
END_TEST

/* ---- durability ---- */

START_TEST(test_crash_after_sync)
{
	ck_assert_int_eq(oracle_create(o, P("/f")), 0);
	write_at("/f", 0, 8192, 2);
	ck_assert_int_eq(oracle_sync(o), 0);
	ck_assert_str_eq(expect(true), "file /f size=8192\nrange 0 8192 2:stamp\n");
	write_at("/f", 4096, 4096, 3);
	write_at("/f", 6000, 100, 4);
	ck_assert_str_eq(expect(true),
			 "file /f size=8192\n"
			 "range 0 4096 2:stamp\n"
			 "range 4096 1904 2:stamp 3:stamp\n"
			 "range 6000 100 2:stamp 3:stamp 4:stamp\n"
			 "range 6100 2092 2:stamp 3:stamp\n");
	ck_assert_int_eq(oracle_fsync(o, P("/f")), 0);
	ck_assert_str_eq(expect(true), expect(false));
}
END_TEST

START_TEST(test_crash_new_file)
{
	ck_assert_int_eq(oracle_create(o, P("/f")), 0);
	write_at("/f", 0, 8192, 5);
	ck_assert_str_eq(expect(true), "file /f may size=0-8192\nrange 0 8192 zeros 5:stamp\n");
	ck_assert_str_eq(expect(false), "file /f size=8192\nrange 0 8192 5:stamp\n");
}
END_TEST

START_TEST(test_crash_truncate)
{
	ck_assert_int_eq(oracle_create(o, P("/f")), 0);
	write_at("/f", 0, 8192, 2);
	ck_assert_int_eq(oracle_sync(o), 0);
	ck_assert_int_eq(oracle_truncate(o, P("/f"), 4096), 0);
	ck_assert_int_eq(oracle_truncate(o, P("/f"), 12288), 0);
	write_at("/f", 10000, 100, 3);
	ck_assert_str_eq(expect(true),
			 "file /f size=4096,8192,12288\n"
			 "range 0 4096 2:stamp\n"
			 "range 4096 4096 2:stamp zeros\n"
			 "range 10000 100 zeros 3:stamp\n");
}
END_TEST

START_TEST(test_crash_unlink)
{
	ck_assert_int_eq(oracle_mkdir(o, P("/d")), 0);
	ck_assert_int_eq(oracle_create(o, P("/d/f")), 0);
	write_at("/d/f", 0, 4096, 3);
	ck_assert_int_eq(oracle_sync(o), 0);
	ck_assert_int_eq(oracle_unlink(o, P("/d/f")), 0);
	ck_assert_str_eq(expect(false), "dir /d\n");
	ck_assert_str_eq(expect(true), "dir /d\nfile /d/f may size=4096\nrange 0 4096 3:stamp\n");
	/* The same name again: either file, or neither. */
	ck_assert_int_eq(oracle_create(o, P("/d/f")), 0);
	write_at("/d/f", 0, 100, 6);
	ck_assert_str_eq(expect(true),
			 "dir /d\nfile /d/f may size=4096,0-100\n"
			 "range 0 100 3:stamp zeros 6:stamp\nrange 100 3996 3:stamp zeros\n");
	ck_assert_int_eq(oracle_fsync(o, P("/d/f")), 0);
	ck_assert_str_eq(expect(true), "dir /d\nfile /d/f size=100\nrange 0 100 6:stamp\n");
}
END_TEST

START_TEST(test_crash_created_and_removed)
{
	struct oracle_stats st;

	ck_assert_int_eq(oracle_mkdir(o, P("/d")), 0);
	ck_assert_int_eq(oracle_create(o, P("/d/f")), 0);
	write_at("/d/f", 0, 10, 2);
	ck_assert_int_eq(oracle_unlink(o, P("/d/f")), 0);
	ck_assert_str_eq(expect(false), "dir /d\n");
	/* A commit in between may have made either durable. */
	ck_assert_str_eq(expect(true), "dir /d may\nfile /d/f may size=0-10\nrange 0 10 zeros 2:stamp\n");
	oracle_get_stats(o, &st);
	ck_assert_uint_eq(st.names, 2);
	ck_assert_int_eq(oracle_sync(o), 0);
	oracle_get_stats(o, &st);
	ck_assert_uint_eq(st.names, 1);
	ck_assert_uint_eq(st.inodes, 0);
	ck_assert_str_eq(expect(true), "dir /d\n");
}
END_TEST

START_TEST(test_fsync_names)
{
	ck_assert_int_eq(oracle_mkdir(o, P("/d")), 0);
	ck_assert_int_eq(oracle_mkdir(o, P("/e")), 0);
	ck_assert_int_eq(oracle_mkdir(o, P("/d/s")), 0);
	ck_assert_int_eq(oracle_create(o, P("/d/s/a")), 0);
	ck_assert_int_eq(oracle_create(o, P("/d/s/b")), 0);
	write_at("/d/s/a", 0, 10, 6);
	write_at("/d/s/b", 0, 10, 7);
	ck_assert_int_eq(oracle_fsync(o, P("/d/s/a")), 0);
	/* a's content; the names of s (a and b) and those leading to it.  Not b's content, not /e. */
	ck_assert_str_eq(expect(true),
			 "dir /d\ndir /d/s\n"
			 "file /d/s/a size=10\nrange 0 10 6:stamp\n"
			 "file /d/s/b size=0-10\nrange 0 10 zeros 7:stamp\n"
			 "dir /e may\n");
	ck_assert_int_eq(oracle_fsync(o, P("/e")), 0);
	ck_assert_str_eq(expect(true),
			 "dir /d\ndir /d/s\n"
			 "file /d/s/a size=10\nrange 0 10 6:stamp\n"
			 "file /d/s/b size=0-10\nrange 0 10 zeros 7:stamp\n"
			 "dir /e\n");
}
END_TEST

START_TEST(test_crash_under_new_dir)
{
	ck_assert_int_eq(oracle_mkdir(o, P("/d")), 0);
	ck_assert_int_eq(oracle_create(o, P("/d/f")), 0);
	ck_assert_int_eq(oracle_sync(o), 0);
	ck_assert_int_eq(oracle_unlink(o, P("/d/f")), 0);
	ck_assert_int_eq(oracle_unlink(o, P("/d")), 0);
	ck_assert_int_eq(oracle_mkdir(o, P("/d")), 0);
	/* /d may be absent (a commit after the rmdir), so nothing under it must exist. */
	ck_assert_str_eq(expect(true), "dir /d may\nfile /d/f may size=0\n");
}
END_TEST

START_TEST(test_many_writes_bounded)
{
	struct oracle_stats st;

	ck_assert_int_eq(oracle_create(o, P("/f")), 0);
	for (uint64_t i = 0; i < 1000; i++)
		write_at("/f", (i % 7) * 100, 4096, i + 2);
	write_at("/f", 0, 8192, 2000);
	oracle_get_stats(o, &st);
	ck_assert_uint_eq(st.extents, 1);
	ck_assert_uint_eq(st.changes, 1001);
	ck_assert_int_eq(oracle_sync(o), 0);
	oracle_get_stats(o, &st);
	ck_assert_uint_eq(st.extents, 2);
	ck_assert_uint_eq(st.changes, 0);
}
END_TEST

struct collected {
	char text[4096];
	int n;
};

static void collect(void *arg, const struct cowfs_expect_finding *f)
{
	struct collected *c = arg;
	size_t used = strlen(c->text);

	snprintf(c->text + used, sizeof(c->text) - used, "%s\n", f->message);
	c->n++;
}

START_TEST(test_check_read)
{
	struct collected c = { .text = "" };
	uint8_t buf[200];

	ck_assert_int_eq(oracle_create(o, P("/f")), 0);
	write_at("/f", 0, 8192, 2);
	ck_assert_int_eq(cowfs_data_fill(&stamp, 2, 100, buf, sizeof(buf)), 0);
	ck_assert_int_eq(oracle_check_read(o, P("/f"), 100, buf, sizeof(buf), NULL, NULL), 0);
	memset(buf, 0, sizeof(buf));
	ck_assert_int_eq(oracle_check_read(o, P("/f"), 100, buf, sizeof(buf), collect, &c), 1);
	ck_assert_int_eq(cowfs_data_fill(&stamp, 2, 100, buf, 100), 0);
	ck_assert_int_eq(cowfs_data_fill(&stamp, 5, 200, buf + 100, 100), 0);
	ck_assert_int_eq(oracle_check_read(o, P("/f"), 100, buf, sizeof(buf), collect, &c), 1);
	ck_assert_str_eq(c.text, "/f [100, 300): expected line 2, found zeros\n"
			 "/f [100, 300): expected line 2, found line 5 mixed with other data\n");
	ck_assert_int_eq(oracle_check_read(o, P("/g"), 0, buf, 1, NULL, NULL), -ENOENT);
}
END_TEST

/* ---- against a byte-by-byte model ---- */

#define MODEL_MAX 512

/* Per byte: the line that wrote it (0: zeros), now and durably, and every value since. */
struct model {
	uint64_t now[MODEL_MAX], dur[MODEL_MAX];
	uint64_t size, dur_size;
	uint64_t seen[MODEL_MAX][64];
	int nr_seen[MODEL_MAX];
	uint64_t sizes[64];
	int nr_sizes;
};

static uint64_t rnd_state;

static uint64_t rnd(uint64_t n)
{
	rnd_state ^= rnd_state >> 12;
	rnd_state ^= rnd_state << 25;
	rnd_state ^= rnd_state >> 27;
	return (rnd_state * 0x2545f4914f6cdd1dull >> 11) % n;
}

static void model_see(struct model *m, uint64_t x, uint64_t v)
{
	for (int i = 0; i < m->nr_seen[x]; i++)
		if (m->seen[x][i] == v)
			return;
	m->seen[x][m->nr_seen[x]++] = v;
}

static void model_durable(struct model *m)
{
	memcpy(m->dur, m->now, sizeof(m->now));
	m->dur_size = m->size;
	m->nr_sizes = 1;
	m->sizes[0] = m->size;
	for (int x = 0; x < MODEL_MAX; x++) {
		m->nr_seen[x] = 1;
		m->seen[x][0] = m->now[x];
	}
}

static void model_size(struct model *m, uint64_t size)
{
	for (int i = 0; i < m->nr_sizes; i++)
		if (m->sizes[i] == size)
			return;
	m->sizes[m->nr_sizes++] = size;
}

/* One random operation on both /f and the model. */
static void model_step(struct model *m, uint64_t line)
{
	uint64_t off = rnd(MODEL_MAX / 2), len = 1 + rnd(MODEL_MAX / 2), k = rnd(10);

	if (k < 5) {
		write_at("/f", off, len, line);
		for (uint64_t x = m->size; x < off; x++)
			model_see(m, x, 0);
		for (uint64_t x = off; x < off + len; x++) {
			m->now[x] = line;
			model_see(m, x, line);
		}
		m->size = off + len > m->size ? off + len : m->size;
	} else if (k < 7) {
		int r = oracle_store(o, P("/f"), off, len, line, &stamp, false);

		ck_assert_int_eq(r, off + len <= m->size ? 0 : -ERANGE);
		for (uint64_t x = off; !r && x < off + len; x++) {
			m->now[x] = line;
			model_see(m, x, line);
		}
	} else if (k < 9) {
		ck_assert_int_eq(oracle_truncate(o, P("/f"), off), 0);
		for (uint64_t x = off < m->size ? off : m->size; x < MODEL_MAX && x < (off > m->size ? off : m->size); x++)
			model_see(m, x, 0);
		for (uint64_t x = off; x < MODEL_MAX; x++)
			m->now[x] = 0;
		m->size = off;
	} else {
		ck_assert_int_eq(k & 1 ? oracle_sync(o) : oracle_fsync(o, P("/f")), 0);
		model_durable(m);
		return;
	}
	model_size(m, m->size);
}

static const struct cowfs_expect_range *range_at(const struct cowfs_expect_info *info, uint64_t x)
{
	for (size_t i = 0; i < info->nr_ranges; i++)
		if (info->ranges[i].start <= x && x < info->ranges[i].end)
			return &info->ranges[i];
	return NULL;
}

static bool size_allowed(const struct cowfs_expect_info *in, uint64_t size)
{
	for (size_t i = 0; i < in->nr_sizes; i++)
		if (in->sizes[i] == size)
			return true;
	for (size_t i = 0; i < in->nr_spans; i++)
		if (in->spans[i].lo <= size && size <= in->spans[i].hi)
			return true;
	return false;
}

static void model_compare(const struct model *m)
{
	struct cowfs_expect_info now, crash;
	cowfs_expect *en, *ec;
	uint64_t max = 0;

	ck_assert_int_eq(oracle_expect(o, false, &en), 0);
	ck_assert_int_eq(oracle_expect(o, true, &ec), 0);
	cowfs_expect_get(cowfs_expect_find(en, P("/f")), &now);
	cowfs_expect_get(cowfs_expect_find(ec, P("/f")), &crash);
	ck_assert_uint_eq(now.nr_sizes, 1);
	ck_assert_uint_eq(now.sizes[0], m->size);
	/* Every size the model had is allowed (exactly, or inside a run a growing
	 * write passed through), and nothing above the largest. */
	for (int i = 0; i < m->nr_sizes; i++) {
		ck_assert(size_allowed(&crash, m->sizes[i]));
		max = m->sizes[i] > max ? m->sizes[i] : max;
	}
	ck_assert(!size_allowed(&crash, max + 1));
	for (size_t j = 0; j < crash.nr_sizes; j++)
		ck_assert_uint_le(crash.sizes[j], max);
	for (uint64_t x = 0; x < MODEL_MAX; x++) {
		const struct cowfs_expect_range *r = range_at(&now, x);

		ck_assert_uint_eq(r ? r->cands[0].line : 0, x < m->size ? m->now[x] : 0);
		if (x >= max)
			continue;
		r = range_at(&crash, x);
		ck_assert_int_eq(r ? (int)r->nr_cands : 1, m->nr_seen[x]);
		/* Durable first, then the same set. */
		ck_assert_uint_eq(r && r->cands[0].kind == COWFS_CAND_DATA ? r->cands[0].line : 0,
				  x < m->dur_size ? m->dur[x] : 0);
		for (size_t i = 0; r && i < r->nr_cands; i++) {
			bool found = false;

			for (int j = 0; j < m->nr_seen[x]; j++)
				found |= m->seen[x][j] == (r->cands[i].kind == COWFS_CAND_ZEROS ? 0 : r->cands[i].line);
			ck_assert_msg(found, "byte %llu", (unsigned long long)x);
		}
	}
	cowfs_expect_free(en);
	cowfs_expect_free(ec);
}

START_TEST(test_random_against_model)
{
	static struct model m;

	memset(&m, 0, sizeof(m));
	rnd_state = 0x9e3779b97f4a7c15ull * (uint64_t)(_i + 1);
	ck_assert_int_eq(oracle_create(o, P("/f")), 0);
	ck_assert_int_eq(oracle_sync(o), 0);
	model_durable(&m);
	for (uint64_t line = 2; line < 60; line++) {
		model_step(&m, line);
		model_compare(&m);
	}
}
END_TEST

/* ---- against an image ---- */

static char image[4096];

static void image_setup(void)
{
	struct cowfs_mkfs_opts opts = { .size = 64ull << 20, .time = 1700000000 };

	setup();
	ck_assert_int_eq(testlib_temp_image(image, sizeof(image), "oracle", &opts), 0);
}

static void image_teardown(void)
{
	unlink(image);
	teardown();
}

static uint64_t image_file(cowfs_fs *fs, const char *name)
{
	uint64_t root, ino;

	ck_assert_int_eq(cowfs_lookup_path(fs, "/", &root), 0);
	if (cowfs_lookup_path(fs, name, &ino) == 0)
		return ino;
	ck_assert_int_eq(cowfs_create(fs, root, name + 1, strlen(name) - 1, S_IFREG | 0644, NULL,
				      &ino), 0);
	return ino;
}

/* Put [off, off + len) of line's stamp into the image's file name (created if needed). */
static void image_write(const char *name, uint64_t off, size_t len, uint64_t line)
{
	uint8_t *buf = malloc(len);
	cowfs_fs *fs = NULL;

	ck_assert_int_eq(cowfs_open(image, COWFS_OPEN_RDWR, &fs), 0);
	ck_assert_int_eq(cowfs_data_fill(&stamp, line, off, buf, len), 0);
	ck_assert_int_eq(cowfs_write_file(fs, image_file(fs, name), off, buf, len), 0);
	ck_assert_int_eq(cowfs_commit(fs), 0);
	cowfs_close(fs);
	free(buf);
}

static const char *verify(bool crash, int findings)
{
	static struct collected c;
	cowfs_fs *fs = NULL;

	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(cowfs_open(image, 0, &fs), 0);
	ck_assert_int_eq(oracle_verify(o, fs, crash, collect, &c), findings);
	cowfs_close(fs);
	ck_assert_int_eq(c.n, findings);
	return c.text;
}

/* The trace so far: /f durable with line 2, then line 3 over its first block and /g new. */
static void crash_scenario(void)
{
	ck_assert_int_eq(oracle_create(o, P("/f")), 0);
	write_at("/f", 0, 8192, 2);
	ck_assert_int_eq(oracle_sync(o), 0);
	write_at("/f", 0, 4096, 3);
	ck_assert_int_eq(oracle_create(o, P("/g")), 0);
	write_at("/g", 0, 100, 4);
	image_write("/f", 0, 8192, 2);
}

START_TEST(test_verify_final)
{
	ck_assert_int_eq(oracle_create(o, P("/f")), 0);
	write_at("/f", 0, 8192, 2);
	image_write("/f", 0, 8192, 2);
	ck_assert_str_eq(verify(false, 0), "");
	write_at("/f", 4096, 4096, 5);
	ck_assert_str_eq(verify(false, 1), "/f [4096, 8192): expected line 5, found line 2\n");
	/* Without a crash the oracle keeps its own state. */
	ck_assert_str_eq(expect(false), "file /f size=8192\nrange 0 4096 2:stamp\nrange 4096 4096 5:stamp\n");
}
END_TEST

START_TEST(test_adopt_durable)
{
	crash_scenario();
	ck_assert_str_eq(verify(true, 0), "");
	ck_assert_str_eq(expect(false), "file /f size=8192\nrange 0 8192 2:stamp\n");
	ck_assert_str_eq(expect(true), expect(false));
}
END_TEST

START_TEST(test_adopt_later)
{
	crash_scenario();
	image_write("/f", 0, 4096, 3);
	image_write("/g", 0, 100, 4);
	ck_assert_str_eq(verify(true, 0), "");
	ck_assert_str_eq(expect(false),
			 "file /f size=8192\nrange 0 4096 3:stamp\nrange 4096 4096 2:stamp\n"
			 "file /g size=100\nrange 0 100 4:stamp\n");
	ck_assert_str_eq(expect(true), expect(false));
}
END_TEST

START_TEST(test_adopt_finding)
{
	crash_scenario();
	image_write("/f", 4096, 4096, 9);
	ck_assert_str_eq(verify(true, 1), "/f [4096, 8192): expected line 2, found line 9\n");
	/* The loss is reported once: the oracle goes on from what the image holds. */
	ck_assert_str_eq(expect(false), "file /f size=8192\nrange 0 4096 2:stamp\nrange 4096 4096 9:stamp\n");
	ck_assert_str_eq(verify(false, 0), "");
	/* And the trace goes on from there. */
	write_at("/f", 0, 100, 10);
	ck_assert_str_eq(expect(true),
			 "file /f size=8192\nrange 0 100 2:stamp 10:stamp\nrange 100 3996 2:stamp\n"
			 "range 4096 4096 9:stamp\n");
}
END_TEST

START_TEST(test_load_image)
{
	static const uint8_t other[100] = { 1, 2, 3 };
	cowfs_fs *fs = NULL;

	image_write("/f", 0, 8192, 7);
	ck_assert_int_eq(cowfs_open(image, COWFS_OPEN_RDWR, &fs), 0);
	ck_assert_int_eq(cowfs_write_file(fs, image_file(fs, "/g"), 8192, other, sizeof(other)), 0);
	ck_assert_int_eq(cowfs_commit(fs), 0);
	cowfs_close(fs);
	ck_assert_int_eq(cowfs_open(image, 0, &fs), 0);
	ck_assert_int_eq(oracle_load(o, fs), 0);
	cowfs_close(fs);
	/* Stamps as their lines, holes as zeros, the rest as anything. */
	ck_assert_str_eq(expect(false), "file /f size=8192\nrange 0 8192 7:stamp\n"
			 "file /g size=8292\nrange 8192 100 any\n");
	ck_assert_str_eq(expect(true), expect(false));
	ck_assert_str_eq(verify(false, 0), "");
	write_at("/g", 8200, 10, 3);
	ck_assert_str_eq(expect(false), "file /f size=8192\nrange 0 8192 7:stamp\n"
			 "file /g size=8292\nrange 8192 8 any\nrange 8200 10 3:stamp\n"
			 "range 8210 82 any\n");
	ck_assert_str_eq(verify(false, 1), "/g [8200, 8210): expected line 3, found zeros\n");
}
END_TEST

START_TEST(test_adopt_unexpected)
{
	crash_scenario();
	image_write("/junk", 0, 4096, 11);
	ck_assert_str_eq(verify(true, 1), "/junk: unexpected\n");
	ck_assert_str_eq(expect(false), "file /f size=8192\nrange 0 8192 2:stamp\n"
			 "file /junk size=4096\nrange 0 4096 11:stamp\n");
	ck_assert_str_eq(verify(false, 0), "");
}
END_TEST

static Suite *oracle_suite(void)
{
	Suite *s = suite_create("oracle");
	TCase *tc = tcase_create("content");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_overlapping_writes);
	tcase_add_test(tc, test_truncate_and_extend);
	tcase_add_test(tc, test_store_within_size);
	tcase_add_test(tc, test_hex_kept);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_long_path);
	tcase_add_test(tc, test_many_writes_bounded);
	tcase_add_test(tc, test_check_read);
	suite_add_tcase(s, tc);

	tc = tcase_create("durability");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_crash_after_sync);
	tcase_add_test(tc, test_crash_new_file);
	tcase_add_test(tc, test_crash_truncate);
	tcase_add_test(tc, test_crash_unlink);
	tcase_add_test(tc, test_crash_created_and_removed);
	tcase_add_test(tc, test_fsync_names);
	tcase_add_test(tc, test_crash_under_new_dir);
	tcase_add_loop_test(tc, test_random_against_model, 0, 40);
	suite_add_tcase(s, tc);

	tc = tcase_create("image");
	tcase_add_checked_fixture(tc, image_setup, image_teardown);
	tcase_add_test(tc, test_verify_final);
	tcase_add_test(tc, test_adopt_durable);
	tcase_add_test(tc, test_adopt_later);
	tcase_add_test(tc, test_adopt_finding);
	tcase_add_test(tc, test_load_image);
	tcase_add_test(tc, test_adopt_unexpected);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return testlib_run(oracle_suite());
}
