/* Suite "matrix": release names, --set switches, image copies, and the matrix
 * of profiles end to end on real images. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cowfs/disk.h"
#include "cowfs/error.h"
#include "cowfs/replay.h"
#include "testlib.h"

static char image[4096], trace[4096], copy[4096];

static void tmpname(char *buf, size_t size, const char *what)
{
	ck_assert_int_eq(testlib_temp_file(buf, size, what), 0);
}

static void setup(void)
{
	struct cowfs_mkfs_opts o = { .size = 64ull << 20, .time = 1700000000 };

	tmpname(image, sizeof(image), "img");
	tmpname(trace, sizeof(trace), "trace");
	tmpname(copy, sizeof(copy), "copy");
	ck_assert_int_eq(cowfs_mkfs(image, &o), 0);
}

static void teardown(void)
{
	unlink(image);
	unlink(trace);
	unlink(copy);
}

static void put_trace(const char *text)
{
	testlib_put_file(trace, text);
}

static const char *find_name(const char *name)
{
	const struct cowfs_profile *p = cowfs_replay_profile_find(name);

	return p ? p->name : "(none)";
}

/* ---- release names ---- */

START_TEST(test_profile_names_resolve_as_themselves)
{
	for (int i = 0; i < cowfs_profile_count(); i++) {
		const struct cowfs_profile *p = cowfs_profile_at(i);

		ck_assert_ptr_eq(cowfs_replay_profile_find(p->name), p);
	}
}
END_TEST

START_TEST(test_releases_resolve_to_their_range)
{
	ck_assert_str_eq(find_name("linux-2.6.29"), "linux-2.6.29");
	ck_assert_str_eq(find_name("linux-2.6.39"), "linux-2.6.29");
	ck_assert_str_eq(find_name("linux-3.2"), "linux-2.6.29");
	ck_assert_str_eq(find_name("linux-3.3"), "linux-4.19");
	ck_assert_str_eq(find_name("linux-4.4"), "linux-4.19");
	ck_assert_str_eq(find_name("linux-4.19.1"), "linux-4.19");
	ck_assert_str_eq(find_name("linux-4.20"), "linux-4.20");
	ck_assert_str_eq(find_name("linux-5.0"), "linux-4.20");
	ck_assert_str_eq(find_name("linux-5.4.273"), "linux-4.20");
	ck_assert_str_eq(find_name("linux-5.5"), "linux-4.20");
	ck_assert_str_eq(find_name("linux-5.6"), "linux-5.6");
	ck_assert_str_eq(find_name("linux-5.8"), "linux-5.6");
	ck_assert_str_eq(find_name("linux-5.9"), "current");
	ck_assert_str_eq(find_name("linux-6.15"), "current");
	ck_assert_str_eq(find_name("linux-2.6.32.71"), "linux-2.6.29");
}
END_TEST

START_TEST(test_non_releases_do_not_resolve)
{
	static const char *const bad[] = {
		"linux-2.6.28", "linux-2.6", "linux-2.7.1", "linux-3.20", "linux-4.21", "linux-5.20",
		"linux-1.0", "linux-9.1", "linux-4", "linux-4.", "linux-.4", "linux-4.19.",
		"linux-04.19", "linux-4.19.1.2", "linux-4.19x", "linux-4.1000", "Linux-4.19",
		"linux-", "4.19", "", "linux-2.6.32.71.1",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!cowfs_replay_profile_find(bad[i]), "%s resolved", bad[i]);
	ck_assert_ptr_null(cowfs_replay_profile_find(NULL));
}
END_TEST

/* The ranges here must say what the engine's own profile texts say. */
START_TEST(test_release_ranges_match_profile_texts)
{
	char buf[128], first[64];
	int ranged = 0;

	for (int i = 0; i < cowfs_profile_count(); i++) {
		const struct cowfs_profile *p = cowfs_profile_at(i);
		const char *r = cowfs_replay_profile_releases(p, buf, sizeof(buf));

		if (!*r) {
			/* only a build option or pre-mainline btrfs has no release of its own */
			ck_assert_msg(strstr(p->kernel, "CONFIG_") || strncmp(p->kernel, "Linux", 5),
				      "%s (%s) has no releases", p->name, p->kernel);
			continue;
		}
		ranged++;
		ck_assert_int_eq(sscanf(r, "linux-%63s", first), 1);
		snprintf(buf, sizeof(buf), "Linux %s ", first);
		ck_assert_msg(!strncmp(p->kernel, buf, strlen(buf)), "%s: '%s' vs '%s'", p->name,
			      p->kernel, buf);
	}
	ck_assert_int_eq(ranged, 5);
	ck_assert_str_eq(cowfs_replay_profile_releases(cowfs_profile_find("linux-4.19"), buf,
						       sizeof(buf)), "linux-3.3 ... linux-4.19");
	ck_assert_str_eq(cowfs_replay_profile_releases(cowfs_profile_find("pre-fixup"), buf,
						       sizeof(buf)), "");
}
END_TEST

/* ---- switches ---- */

START_TEST(test_switch_values_follow_the_engine)
{
	struct cowfs_profile p = *cowfs_profile_find("current");
	int sw;

	ck_assert_int_eq(cowfs_replay_switch_count(), 3);
	ck_assert_ptr_null(cowfs_replay_switch_at(3));
	ck_assert_ptr_null(cowfs_replay_switch_at(-1));
	for (int m = 0; m < COWFS_OOB_NR; m++) {
		const char *v = cowfs_replay_switch_at(0)->values[m];
		char set[64];

		ck_assert_str_eq(v, cowfs_oob_mode_name((enum cowfs_oob_mode)m));
		snprintf(set, sizeof(set), "oob=%s", v);
		ck_assert_int_eq(cowfs_replay_switch_set(&p, set, &sw), 0);
		ck_assert_int_eq(sw, 0);
		ck_assert_int_eq(p.oob, m);
		ck_assert_str_eq(cowfs_replay_switch_value(&p, 0), v);
		ck_assert_str_eq(cowfs_replay_switch_commit(&p, 0),
				 cowfs_oob_mode_commit((enum cowfs_oob_mode)m));
	}
	ck_assert_ptr_null(cowfs_replay_switch_at(0)->values[COWFS_OOB_NR]);
}
END_TEST

START_TEST(test_switch_set_and_errors)
{
	const struct cowfs_profile *cur = cowfs_profile_find("current");
	struct cowfs_profile p = *cur;
	int sw;

	ck_assert_int_eq(cowfs_replay_switch_set(&p, "write-cleans-pages=yes", &sw), 0);
	ck_assert_int_eq(p.write_cleans_pages, 1);
	ck_assert_str_eq(cowfs_replay_switch_value(&p, 1), "yes");
	ck_assert_int_eq(cowfs_replay_switch_set(&p, "out-of-band=fixup-ebusy", &sw), 0);
	ck_assert_int_eq(p.oob, COWFS_OOB_FIXUP_EBUSY);
	ck_assert_int_eq(cowfs_replay_switch_set(&p, "disk-i-size=ordered", &sw), 0);
	ck_assert_int_eq(p.disk_i_size_no_holes, 0);
	ck_assert_int_eq(sw, 2);
	ck_assert_str_eq(p.name, "current");

	p = *cur;
	ck_assert_int_eq(cowfs_replay_switch_set(&p, "oobx=none", &sw), -ENOENT);
	ck_assert_int_eq(sw, -1);
	ck_assert_int_eq(cowfs_replay_switch_set(&p, "oob=Fixup", &sw), -EINVAL);
	ck_assert_int_eq(sw, 0);
	ck_assert_int_eq(cowfs_replay_switch_set(&p, "write-cleans-pages=", &sw), -EINVAL);
	ck_assert_int_eq(sw, 1);
	ck_assert_int_eq(cowfs_replay_switch_set(&p, "oob", &sw), -EINVAL);
	ck_assert_int_eq(cowfs_replay_switch_set(&p, "nothing", &sw), -ENOENT);
	ck_assert_int_eq(cowfs_replay_switch_set(&p, "=none", &sw), -ENOENT);
	ck_assert_int_eq(memcmp(&p, cur, sizeof(p)), 0);
	ck_assert_str_eq(cowfs_replay_switch_value(&p, 7), "unknown");
	ck_assert_str_eq(cowfs_replay_switch_value(NULL, 0), "unknown");
}
END_TEST

/* ---- copies ---- */

START_TEST(test_copy_keeps_bytes_and_holes)
{
	size_t na, nb;
	char *a, *b;
	struct stat st, si;

	ck_assert_int_eq(cowfs_replay_copy_image(image, copy), 0);
	a = testlib_slurp(image, &na);
	b = testlib_slurp(copy, &nb);
	ck_assert_uint_eq(na, nb);
	ck_assert_int_eq(memcmp(a, b, na), 0);
	free(a);
	free(b);
	/* 64 MiB of which a few blocks are used: a copy that filled the holes
	 * would take them all (unless the image's own filesystem has no holes) */
	ck_assert_int_eq(stat(image, &si), 0);
	ck_assert_int_eq(stat(copy, &st), 0);
	ck_assert_int_le((long long)st.st_blocks, (long long)si.st_blocks + 2048);
	ck_assert_int_eq(cowfs_replay_copy_image(image, image), -EEXIST);
	ck_assert_int_lt(cowfs_replay_copy_image("/nonexistent/cowfs.img", copy), 0);
}
END_TEST

/* ---- the matrix ---- */

struct rows {
	char names[16][64];
	uint64_t errors[16];
	int ret[16];
	int n, findings, begun;
	char text[8192];
};

static void m_begin(void *arg, const struct cowfs_profile *p)
{
	struct rows *r = arg;

	ck_assert_int_eq(r->begun, 0);
	r->begun = 1;
	snprintf(r->names[r->n], sizeof(r->names[0]), "%s", p->name);
}

static void m_finding(void *arg, const struct cowfs_replay_finding *f)
{
	struct rows *r = arg;
	size_t len = strlen(r->text);

	ck_assert_int_eq(r->begun, 1);
	r->findings++;
	snprintf(r->text + len, sizeof(r->text) - len, "%s: %s\n", r->names[r->n], f->message);
}

static void m_end(void *arg, const struct cowfs_profile *p, int ret,
		  const struct cowfs_replay_stats *s)
{
	struct rows *r = arg;

	ck_assert_str_eq(p->name, r->names[r->n]);
	r->begun = 0;
	r->ret[r->n] = ret;
	r->errors[r->n] = ret == 0 ? s->errors : 0;
	r->n++;
}

static int errors_of(const struct rows *r, const char *name)
{
	for (int i = 0; i < r->n; i++)
		if (!strcmp(r->names[i], name))
			return (int)r->errors[i];
	return -1;
}

static const char seed_b[] =
	"cowtrace 1\n"
	"create /f\n"
	"write /f 0 8192\n"
	"write /f 4000 200 fault=0\n"
	"@write.retry reclaim\n"
	"sync\n";

START_TEST(test_matrix_seed_b_by_kernel_history)
{
	struct cowfs_replay_matrix_opts mo = { .tmpdir = testlib_dir() };
	struct cowfs_replay_matrix_ops ops = { .begin = m_begin, .finding = m_finding,
					       .end = m_end };
	struct cowfs_trace_error err;
	struct rows *r = calloc(1, sizeof(*r));
	size_t n0, n1;
	char *before, *after;

	ops.arg = r;
	put_trace(seed_b);
	before = testlib_slurp(image, &n0);
	ck_assert_int_eq(cowfs_replay_matrix(trace, image, &mo, &ops, &err), 3);
	ck_assert_int_eq(r->n, cowfs_profile_count());
	for (int i = 0; i < r->n; i++) {
		ck_assert_str_eq(r->names[i], cowfs_profile_at(i)->name);
		ck_assert_int_eq(r->ret[i], 0);
	}
	/* the pages cleaned before the copy are lost until 7703bdd8d23e (4.20) */
	ck_assert_int_eq(errors_of(r, "pre-fixup"), 2);
	ck_assert_int_eq(errors_of(r, "linux-2.6.29"), 2);
	ck_assert_int_eq(errors_of(r, "linux-4.19"), 2);
	ck_assert_int_eq(errors_of(r, "linux-4.20"), 0);
	ck_assert_int_eq(errors_of(r, "linux-5.6"), 0);
	ck_assert_int_eq(errors_of(r, "current"), 0);
	ck_assert_int_eq(errors_of(r, "linux-6.15-experimental"), 0);
	ck_assert_ptr_nonnull(strstr(r->text, "linux-4.19: /f [0, 4000): expected line 3, found zeros"));
	/* the image itself is only read */
	after = testlib_slurp(image, &n1);
	ck_assert_uint_eq(n0, n1);
	ck_assert_int_eq(memcmp(before, after, n0), 0);
	free(before);
	free(after);
	free(r);
}
END_TEST

START_TEST(test_matrix_sets_apply_to_every_profile)
{
	static const char *const sets[] = { "write-cleans-pages=no" };
	struct cowfs_replay_matrix_opts mo = { .sets = sets, .nr_sets = 1, .tmpdir = testlib_dir() };
	struct cowfs_replay_matrix_ops ops = { .begin = m_begin, .finding = m_finding,
					       .end = m_end };
	struct cowfs_trace_error err;
	struct rows *r = calloc(1, sizeof(*r));

	ops.arg = r;
	put_trace(seed_b);
	ck_assert_int_eq(cowfs_replay_matrix(trace, image, &mo, &ops, &err), 0);
	ck_assert_int_eq(r->n, cowfs_profile_count());
	ck_assert_int_eq(r->findings, 0);

	memset(r, 0, sizeof(*r));
	mo.sets = (const char *const []){ "write-cleans-pages=yes" };
	ck_assert_int_eq(cowfs_replay_matrix(trace, image, &mo, &ops, &err), cowfs_profile_count());

	memset(r, 0, sizeof(*r));
	mo.sets = (const char *const []){ "oob=sideways" };
	ck_assert_int_eq(cowfs_replay_matrix(trace, image, &mo, &ops, &err), -EINVAL);
	ck_assert_int_eq(r->n, 0);
	free(r);
}
END_TEST

START_TEST(test_matrix_bad_trace_runs_nothing)
{
	struct cowfs_replay_matrix_opts mo = { .tmpdir = testlib_dir() };
	struct cowfs_replay_matrix_ops ops = { .begin = m_begin, .finding = m_finding,
					       .end = m_end };
	struct cowfs_trace_error err;
	struct rows *r = calloc(1, sizeof(*r));

	ops.arg = r;
	put_trace("cowtrace 1\nwrite /f 0 4096 bogus=1\n");
	ck_assert_int_eq(cowfs_replay_matrix(trace, image, NULL, &ops, &err), -COWFS_ETRACE);
	ck_assert_int_eq(r->n, 0);
	ck_assert_uint_eq(err.line, 2);

	/* parses, but /g does not exist: nothing can be replayed under any profile */
	put_trace("cowtrace 1\nwrite /g 0 4096\n");
	ck_assert_int_eq(cowfs_replay_matrix(trace, image, &mo, &ops, &err), -COWFS_EREPLAY);
	ck_assert_int_eq(r->n, 1);
	ck_assert_int_eq(r->ret[0], -COWFS_EREPLAY);
	free(r);
}
END_TEST

static Suite *matrix_suite(void)
{
	Suite *s = suite_create("matrix");
	TCase *names = tcase_create("names"), *sw = tcase_create("switches");
	TCase *run = tcase_create("matrix");

	tcase_add_test(names, test_profile_names_resolve_as_themselves);
	tcase_add_test(names, test_releases_resolve_to_their_range);
	tcase_add_test(names, test_non_releases_do_not_resolve);
	tcase_add_test(names, test_release_ranges_match_profile_texts);
	tcase_add_test(sw, test_switch_values_follow_the_engine);
	tcase_add_test(sw, test_switch_set_and_errors);
	tcase_add_checked_fixture(run, setup, teardown);
	tcase_set_timeout(run, 60);
	tcase_add_test(run, test_copy_keeps_bytes_and_holes);
	tcase_add_test(run, test_matrix_seed_b_by_kernel_history);
	tcase_add_test(run, test_matrix_sets_apply_to_every_profile);
	tcase_add_test(run, test_matrix_bad_trace_runs_nothing);
	suite_add_tcase(s, names);
	suite_add_tcase(s, sw);
	suite_add_tcase(s, run);
	return s;
}

int main(void)
{
	return testlib_run(matrix_suite());
}
