/* Suite "util": crc32c, the red-black tree, cowfs_strerror(). */
#include <check.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cowfs/error.h"
#include "util/crc32c.h"
#include "util/rbtree.h"
#include "testlib.h"

/* xorshift64*: the tests are reproducible, and each takes its own seed. */
static uint64_t rnd_state;

static void rnd_seed(uint64_t seed)
{
	rnd_state = seed ? seed : 0x9e3779b97f4a7c15ull;
}

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state >> 12;
	rnd_state ^= rnd_state << 25;
	rnd_state ^= rnd_state >> 27;
	return rnd_state * 0x2545f4914f6cdd1dull;
}

static uint64_t rnd_below(uint64_t n)
{
	return rnd() % n;
}

/* ---- crc32c ---- */

/* One bit at a time, straight from the definition: the referee for both implementations. */
static uint32_t crc32c_bitwise(uint32_t crc, const unsigned char *p, size_t len)
{
	while (len--) {
		crc ^= *p++;
		for (int i = 0; i < 8; i++)
			crc = (crc & 1) ? (crc >> 1) ^ 0x82f63b78u : crc >> 1;
	}
	return crc;
}

typedef uint32_t (*crc_fn)(uint32_t, const void *, size_t);

static void check_vectors(crc_fn fn, const char *name)
{
	unsigned char buf[32];

	ck_assert_msg(~fn(~0u, "123456789", 9) == 0xe3069283u, "%s: check value", name);
	ck_assert_msg(~fn(~0u, "", 0) == 0, "%s: empty input", name);
	memset(buf, 0, sizeof(buf));
	ck_assert_msg(~fn(~0u, buf, 32) == 0x8a9136aau, "%s: 32 zeros", name);
	memset(buf, 0xff, sizeof(buf));
	ck_assert_msg(~fn(~0u, buf, 32) == 0x62a8ab43u, "%s: 32 x 0xff", name);
	for (int i = 0; i < 32; i++)
		buf[i] = (unsigned char)i;
	ck_assert_msg(~fn(~0u, buf, 32) == 0x46dd794eu, "%s: 32 ascending", name);
	for (int i = 0; i < 32; i++)
		buf[i] = (unsigned char)(31 - i);
	ck_assert_msg(~fn(~0u, buf, 32) == 0x113fdb5cu, "%s: 32 descending", name);
}

START_TEST(test_crc_vectors_sw)
{
	check_vectors(cowfs_crc32c_update_sw, "sw");
	check_vectors(cowfs_crc32c_update, "dispatch");
	ck_assert_uint_eq(cowfs_crc32c("123456789", 9), 0xe3069283u);
}
END_TEST

START_TEST(test_crc_vectors_hw)
{
	if (!cowfs_crc32c_hw_available()) {
		fprintf(stderr, "crc32c: no hardware crc32c on this cpu; the fallback is tested\n");
	}
	/* Without the instruction the hw entry point must still be correct (it falls back). */
	check_vectors(cowfs_crc32c_update_hw, "hw");
}
END_TEST

START_TEST(test_crc_random)
{
	enum { MAXLEN = 1024, SLACK = 64 };
	static unsigned char buf[MAXLEN + SLACK];

	rnd_seed(1);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)rnd();
	for (size_t len = 0; len <= MAXLEN; len++) {
		for (int rep = 0; rep < 3; rep++) {
			const unsigned char *p = buf + rnd_below(SLACK);
			uint32_t seed = rep ? (uint32_t)rnd() : ~0u;
			uint32_t want = crc32c_bitwise(seed, p, len);
			uint32_t sw = cowfs_crc32c_update_sw(seed, p, len);
			uint32_t hw = cowfs_crc32c_update_hw(seed, p, len);

			if (sw != want || hw != want)
				ck_abort_msg("len %zu offset %td: want %08x sw %08x hw %08x",
					     len, p - buf, want, sw, hw);
		}
	}
}
END_TEST

/* Streaming in pieces must equal one call: callers checksum a block across page boundaries. */
START_TEST(test_crc_streaming)
{
	static unsigned char buf[8192];

	rnd_seed(2);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)rnd();
	uint32_t whole = cowfs_crc32c(buf, sizeof(buf));

	for (int rep = 0; rep < 200; rep++) {
		size_t off = 0;
		uint32_t crc = ~0u;

		while (off < sizeof(buf)) {
			size_t n = rnd_below(600);

			if (n > sizeof(buf) - off)
				n = sizeof(buf) - off;
			crc = (rep & 1) ? cowfs_crc32c_update_sw(crc, buf + off, n)
					: cowfs_crc32c_update(crc, buf + off, n);
			off += n;
		}
		if (~crc != whole)
			ck_abort_msg("rep %d: streamed %08x, whole %08x", rep, ~crc, whole);
	}
	buf[100] ^= 1;
	ck_assert_uint_ne(cowfs_crc32c(buf, sizeof(buf)), whole);
}
END_TEST

static void *crc_thread(void *arg)
{
	unsigned char buf[4096];

	memset(buf, 0x5a, sizeof(buf));
	*(uint32_t *)arg = cowfs_crc32c_update_sw(~0u, buf, sizeof(buf));
	return NULL;
}

/* The tables are built at first use; racing first users must all see them whole. */
START_TEST(test_crc_first_use_threads)
{
	enum { NT = 8 };
	pthread_t t[NT];
	uint32_t out[NT];
	unsigned char buf[4096];

	for (int i = 0; i < NT; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, crc_thread, &out[i]), 0);
	for (int i = 0; i < NT; i++)
		pthread_join(t[i], NULL);
	memset(buf, 0x5a, sizeof(buf));
	uint32_t want = crc32c_bitwise(~0u, buf, sizeof(buf));
	for (int i = 0; i < NT; i++)
		ck_assert_uint_eq(out[i], want);
}
END_TEST

/* ---- rbtree ---- */

struct item {
	struct rb_node rb;
	uint64_t key;
	int in_tree;
};

#define node_key(n) (rb_entry((n), struct item, rb)->key)
#define IS_BLACK(n) ((n)->rb_parent_color & 1)

static void item_insert(struct rb_root *root, struct item *it)
{
	struct rb_node **link = &root->rb_node, *parent = NULL;

	while (*link) {
		parent = *link;
		link = it->key < node_key(parent) ? &parent->rb_left : &parent->rb_right;
	}
	rb_link_node(&it->rb, parent, link);
	rb_insert_color(&it->rb, root);
}

static struct item *item_search(struct rb_root *root, uint64_t key)
{
	struct rb_node *n = root->rb_node;

	while (n) {
		if (key < node_key(n))
			n = n->rb_left;
		else if (key > node_key(n))
			n = n->rb_right;
		else
			return rb_entry(n, struct item, rb);
	}
	return NULL;
}

/* Returns the black height of the subtree at n; aborts the test on any violation. */
static int rb_verify_node(const struct rb_node *n, const struct rb_node *parent,
			  size_t *count, int depth, int *max_depth)
{
	int lh, rh;

	if (!n)
		return 1;
	if (rb_parent(n) != parent)
		ck_abort_msg("key %llu: parent pointer wrong", (unsigned long long)node_key(n));
	if (n->rb_parent_color & 2)
		ck_abort_msg("key %llu: stray bit 1 in rb_parent_color",
			     (unsigned long long)node_key(n));
	if (!IS_BLACK(n) && parent && !IS_BLACK(parent))
		ck_abort_msg("key %llu: red node with red parent", (unsigned long long)node_key(n));
	if (n->rb_left && node_key(n->rb_left) >= node_key(n))
		ck_abort_msg("key %llu: left child out of order", (unsigned long long)node_key(n));
	if (n->rb_right && node_key(n->rb_right) <= node_key(n))
		ck_abort_msg("key %llu: right child out of order", (unsigned long long)node_key(n));
	if (depth > *max_depth)
		*max_depth = depth;
	++*count;
	lh = rb_verify_node(n->rb_left, n, count, depth + 1, max_depth);
	rh = rb_verify_node(n->rb_right, n, count, depth + 1, max_depth);
	if (lh != rh)
		ck_abort_msg("key %llu: black heights %d and %d", (unsigned long long)node_key(n),
			     lh, rh);
	return lh + (int)IS_BLACK(n);
}

/* Red-black invariants, then both traversals against the present entries of sorted[]. */
static void rb_verify(const struct rb_root *root, struct item **sorted, size_t n)
{
	size_t count = 0, expected = 0, i;
	int max_depth = 0;
	const struct rb_node *node;

	if (root->rb_node && !IS_BLACK(root->rb_node))
		ck_abort_msg("red root");
	rb_verify_node(root->rb_node, NULL, &count, 1, &max_depth);
	for (i = 0; i < n; i++)
		expected += sorted[i]->in_tree;
	if (count != expected)
		ck_abort_msg("tree holds %zu nodes, expected %zu", count, expected);
	/* height <= 2 log2(n + 1) */
	if (count && (uint64_t)1 << ((max_depth + 1) / 2) > count + 1)
		ck_abort_msg("depth %d too large for %zu nodes", max_depth, count);

	node = rb_first(root);
	for (i = 0; i < n; i++) {
		if (!sorted[i]->in_tree)
			continue;
		if (node != &sorted[i]->rb)
			ck_abort_msg("forward walk: expected key %llu at rank %zu",
				     (unsigned long long)sorted[i]->key, i);
		node = rb_next(node);
	}
	if (node)
		ck_abort_msg("forward walk: extra nodes");
	node = rb_last(root);
	for (i = n; i-- > 0;) {
		if (!sorted[i]->in_tree)
			continue;
		if (node != &sorted[i]->rb)
			ck_abort_msg("backward walk: expected key %llu", (unsigned long long)sorted[i]->key);
		node = rb_prev(node);
	}
	if (node)
		ck_abort_msg("backward walk: extra nodes");
}

static int cmp_item_ptr(const void *a, const void *b)
{
	uint64_t x = (*(struct item *const *)a)->key, y = (*(struct item *const *)b)->key;

	return x < y ? -1 : x > y;
}

static void toggle(struct rb_root *root, struct item *it)
{
	if (it->in_tree) {
		rb_erase(&it->rb, root);
		it->in_tree = 0;
	} else {
		item_insert(root, it);
		it->in_tree = 1;
	}
	if ((item_search(root, it->key) != NULL) != it->in_tree)
		ck_abort_msg("key %llu: search disagrees after %s", (unsigned long long)it->key,
			     it->in_tree ? "insert" : "erase");
}

static void shuffle(struct item **v, size_t n)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = rnd_below(i);
		struct item *t = v[i - 1];

		v[i - 1] = v[j];
		v[j] = t;
	}
}

START_TEST(test_rb_random)
{
	enum { N = 100000, CHECK_EVERY = 9973 };
	struct item *items = calloc(N, sizeof(*items));
	struct item **sorted = malloc(N * sizeof(*sorted));
	struct item **order = malloc(N * sizeof(*order));
	struct rb_root root = RB_ROOT;
	size_t i, j;

	ck_assert(items && sorted && order);
	rnd_seed(3);
	for (i = 0; i < N; i++) {
		items[i].key = rnd() >> 1;
		sorted[i] = order[i] = &items[i];
	}
	qsort(sorted, N, sizeof(*sorted), cmp_item_ptr);
	for (i = j = 1; i < N; i++)	/* random keys could collide; keep them unique */
		if (sorted[i]->key != sorted[j - 1]->key)
			sorted[j++] = sorted[i];
	size_t n = j;

	memcpy(order, sorted, n * sizeof(*order));
	shuffle(order, n);
	for (i = 0; i < n; i++) {
		toggle(&root, order[i]);
		if (i % CHECK_EVERY == 0)
			rb_verify(&root, sorted, n);
	}
	rb_verify(&root, sorted, n);
	for (i = 0; i < 2 * n; i++) {
		toggle(&root, sorted[rnd_below(n)]);
		if (i % CHECK_EVERY == 0)
			rb_verify(&root, sorted, n);
	}
	rb_verify(&root, sorted, n);
	shuffle(order, n);
	for (i = 0; i < n; i++) {
		if (order[i]->in_tree)
			toggle(&root, order[i]);
		if (i % CHECK_EVERY == 0)
			rb_verify(&root, sorted, n);
	}
	ck_assert(rb_empty_root(&root));
	ck_assert_ptr_null(rb_first(&root));
	ck_assert_ptr_null(rb_last(&root));
	free(items);
	free(sorted);
	free(order);
}
END_TEST

/* Monotone insertion and erasure from either end are the rotation-heavy worst cases. */
START_TEST(test_rb_sequential)
{
	enum { N = 4096 };
	static struct item items[N];
	struct item *sorted[N];
	struct rb_root root = RB_ROOT;
	int descending = _i;

	for (int i = 0; i < N; i++) {
		items[i].key = (uint64_t)i;
		items[i].in_tree = 0;
		sorted[i] = &items[i];
	}
	for (int i = 0; i < N; i++) {
		toggle(&root, &items[descending ? N - 1 - i : i]);
		if (i % 257 == 0)
			rb_verify(&root, sorted, N);
	}
	rb_verify(&root, sorted, N);
	ck_assert_ptr_eq(rb_first(&root), &items[0].rb);
	ck_assert_ptr_eq(rb_last(&root), &items[N - 1].rb);
	ck_assert_ptr_null(rb_prev(rb_first(&root)));
	ck_assert_ptr_null(rb_next(rb_last(&root)));
	for (int i = 0; i < N; i++) {
		toggle(&root, &items[descending ? i : N - 1 - i]);
		if (i % 257 == 0)
			rb_verify(&root, sorted, N);
	}
	ck_assert(rb_empty_root(&root));
}
END_TEST

/* Erasing the root, a node with two children, and the last node. */
START_TEST(test_rb_small)
{
	static struct item items[8];
	struct item *sorted[8];
	struct rb_root root = RB_ROOT;

	for (int i = 0; i < 8; i++) {
		items[i].key = (uint64_t)(i * 10);
		sorted[i] = &items[i];
		toggle(&root, &items[i]);
	}
	rb_verify(&root, sorted, 8);
	while (root.rb_node) {
		struct item *top = rb_entry(root.rb_node, struct item, rb);

		toggle(&root, top);
		rb_verify(&root, sorted, 8);
	}
	ck_assert_ptr_null(rb_next(NULL));
	ck_assert_ptr_null(rb_prev(NULL));
}
END_TEST

static bool item_less(const struct rb_node *a, const struct rb_node *b)
{
	return node_key(a) < node_key(b);
}

static int item_cmp_key(const void *key, const struct rb_node *n)
{
	uint64_t k = *(const uint64_t *)key;

	return k < node_key(n) ? -1 : k > node_key(n);
}

static int item_cmp(const struct rb_node *a, const struct rb_node *b)
{
	return item_cmp_key(&node_key(a), b);
}

START_TEST(test_rb_helpers)
{
	enum { N = 1000 };
	static struct item items[N], dup;
	struct item *sorted[N];
	struct rb_root root = RB_ROOT;

	RB_CLEAR_NODE(&dup.rb);
	ck_assert(RB_EMPTY_NODE(&dup.rb));
	for (int i = 0; i < N; i++) {
		items[i].key = (uint64_t)((i * 7919) % N);
		items[i].in_tree = 1;
		rb_add(&items[i].rb, &root, item_less);
		ck_assert(!RB_EMPTY_NODE(&items[i].rb));
	}
	for (int i = 0; i < N; i++)
		sorted[items[i].key] = &items[i];
	rb_verify(&root, sorted, N);
	for (uint64_t k = 0; k < N; k++)
		ck_assert_ptr_eq(rb_find(&k, &root, item_cmp_key), &sorted[k]->rb);
	uint64_t missing = N;
	ck_assert_ptr_null(rb_find(&missing, &root, item_cmp_key));

	dup.key = 500;
	ck_assert_ptr_eq(rb_find_add(&dup.rb, &root, item_cmp), &sorted[500]->rb);
	dup.key = N + 5;
	ck_assert_ptr_null(rb_find_add(&dup.rb, &root, item_cmp));
	ck_assert_ptr_eq(rb_last(&root), &dup.rb);
	rb_erase(&dup.rb, &root);
	rb_verify(&root, sorted, N);
}
END_TEST

/* ---- cowfs_strerror ---- */

START_TEST(test_strerror_cowfs_codes)
{
	for (int c = COWFS_EBASE + 1; c < COWFS_ELAST; c++) {
		const char *s = cowfs_strerror(-c);

		ck_assert_ptr_nonnull(s);
		ck_assert_msg(strncmp(s, "unknown", 7) != 0, "code %d has no name", c);
		ck_assert_msg(islower((unsigned char)s[0]), "code %d: '%s' not lowercase", c, s);
		ck_assert_msg(s[strlen(s) - 1] != '.' && !strchr(s, '\n'), "code %d: '%s'", c, s);
		ck_assert_str_eq(cowfs_strerror(c), s);
		for (int d = COWFS_EBASE + 1; d < c; d++)
			ck_assert_msg(strcmp(cowfs_strerror(-d), s) != 0,
				      "codes %d and %d share '%s'", d, c, s);
		for (int e = 1; e < 134; e++)
			ck_assert_msg(strcmp(cowfs_strerror(-e), s) != 0,
				      "code %d reads like errno %d", c, e);
	}
	ck_assert_str_eq(cowfs_strerror(-COWFS_EBADSUPER), "no valid superblock");
}
END_TEST

START_TEST(test_strerror_errno)
{
	static const int codes[] = { EIO, ENOSPC, ENOENT, EINVAL, ENOMEM, EEXIST, EUCLEAN, EBUSY };
	char want[256];

	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		/* strerror() is safe here: this test is the only thread. */
		snprintf(want, sizeof(want), "%s", strerror(codes[i]));
		ck_assert_str_eq(cowfs_strerror(-codes[i]), want);
		ck_assert_str_eq(cowfs_strerror(codes[i]), want);
	}
}
END_TEST

START_TEST(test_strerror_unknown)
{
	static const int codes[] = { COWFS_EBASE, -COWFS_EBASE, COWFS_ELAST, -COWFS_ELAST,
				     -100000, 99999, INT_MIN, INT_MAX, -4095 };
	char want[64];

	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		snprintf(want, sizeof(want), "unknown error %d", codes[i]);
		ck_assert_str_eq(cowfs_strerror(codes[i]), want);
	}
}
END_TEST

static void *strerror_thread(void *arg)
{
	int base = (int)(intptr_t)arg;
	char want[64];

	for (int i = 0; i < 20000; i++) {
		const char *s = cowfs_strerror(-(base + i));

		snprintf(want, sizeof(want), "unknown error %d", -(base + i));
		if (strcmp(s, want) != 0)
			return (void *)1;
	}
	return NULL;
}

/* Unknown codes are formatted per thread: two threads never see each other's text. */
START_TEST(test_strerror_threads)
{
	enum { NT = 4 };
	pthread_t t[NT];
	void *ret;

	for (int i = 0; i < NT; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, strerror_thread,
						(void *)(intptr_t)(100000 * (i + 1))), 0);
	for (int i = 0; i < NT; i++) {
		ck_assert_int_eq(pthread_join(t[i], &ret), 0);
		ck_assert_ptr_null(ret);
	}
}
END_TEST

static Suite *util_suite(void)
{
	Suite *s = suite_create("util");
	TCase *tc;

	tc = tcase_create("crc32c");
	tcase_add_test(tc, test_crc_vectors_sw);
	tcase_add_test(tc, test_crc_vectors_hw);
	tcase_add_test(tc, test_crc_random);
	tcase_add_test(tc, test_crc_streaming);
	tcase_add_test(tc, test_crc_first_use_threads);
	suite_add_tcase(s, tc);

	tc = tcase_create("rbtree");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_rb_random);
	tcase_add_loop_test(tc, test_rb_sequential, 0, 2);
	tcase_add_test(tc, test_rb_small);
	tcase_add_test(tc, test_rb_helpers);
	suite_add_tcase(s, tc);

	tc = tcase_create("strerror");
	tcase_add_test(tc, test_strerror_cowfs_codes);
	tcase_add_test(tc, test_strerror_errno);
	tcase_add_test(tc, test_strerror_unknown);
	tcase_add_test(tc, test_strerror_threads);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return testlib_run(util_suite());
}
