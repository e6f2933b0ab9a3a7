/* Checking an image against the oracle, and adopting what a crash left.
 *
 * After a crash the image is the truth the trace goes on from: the names it
 * holds, their sizes, and for each piece of a file the candidate it held.
 * Where it held none (a finding), a stamp it can be read as is kept, or zeros,
 * or else the first candidate, so that one loss is reported once; bytes of a
 * name nobody expected are anything (ANY) unless they read as stamps or zeros.  The
 * adopted state is built as a new tree while the check runs, then replaces
 * the old one; everything in it is durable.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "replay/oracle-priv.h"

struct adopt {
	struct oracle *o;
	struct oname root;		/* the new tree */
	const char *path;		/* the last file named, its data follows */
	size_t path_len;
	struct oinode *ino;
	int err;
	cowfs_expect_report_fn fn;
	void *arg;
};

/* The directory in the new tree that holds path, and its last component. */
static struct oname *adopt_parent(struct adopt *a, const char *path, size_t len,
				  const char **name, size_t *nlen)
{
	struct oname *n = &a->root;
	size_t i = 1;

	for (size_t j; i < len; i = j + 1) {
		for (j = i; j < len && path[j] != '/'; j++)
			;
		if (j == len) {
			*name = path + i;
			*nlen = j - i;
			return n;
		}
		n = oname_child(a->o, n, path + i, j - i, false);
		if (!n || n->cur != OT_DIR)
			return NULL;
	}
	return NULL;
}

static void adopt_name(struct adopt *a, const struct cowfs_expect_seen *s)
{
	struct oname *dir, *n;
	const char *name;
	size_t nlen;

	a->ino = NULL;
	if (!s->present || !(dir = adopt_parent(a, s->path, s->path_len, &name, &nlen)))
		return;
	if (!(n = oname_child(a->o, dir, name, nlen, true))) {
		a->err = -ENOMEM;
		return;
	}
	n->cur = n->dur = s->type == COWFS_EXPECT_DIR ? OT_DIR : OT_FILE;
	dir->nr_live++;
	if (n->cur != OT_FILE)
		return;
	if (!(n->cur_ino = oinode_new(a->o))) {
		a->err = -ENOMEM;
		return;
	}
	n->dur_ino = oinode_get(n->cur_ino);
	a->ino = n->cur_ino;
	a->path = s->path;
	a->path_len = s->path_len;
}

/* What to remember [start, end) holds. */
static struct cowfs_expect_cand adopt_value(const struct cowfs_expect_seen *s)
{
	if (s->cand)
		return *s->cand;
	if (s->found == COWFS_STAMP_LINE)
		return (struct cowfs_expect_cand){ .line = s->found_line,
						   .data = { .kind = COWFS_DATA_STAMP } };
	if (s->found == COWFS_STAMP_ZEROS)
		return (struct cowfs_expect_cand){ .kind = COWFS_CAND_ZEROS };
	if (s->listed && s->nr_expected)
		return s->expected[0];
	return (struct cowfs_expect_cand){ .kind = COWFS_CAND_ANY };
}

/* Append to a map built in file order, merging with the last extent when equal. */
static int append(struct omap *m, uint64_t start, uint64_t end, const struct cowfs_expect_cand *v)
{
	struct oext *last = rb_entry_safe(rb_last(&m->root), struct oext, node);

	if (v->kind == COWFS_CAND_ZEROS)
		return 0;
	if (last && last->end == start && cowfs_expect_cand_equal(&last->v, v)) {
		last->end = end;
		return 0;
	}
	return omap_set(m, start, end, v);
}

static void adopt_seen(void *arg, const struct cowfs_expect_seen *s)
{
	struct adopt *a = arg;
	struct cowfs_expect_cand v;

	if (a->err)
		return;
	if (s->kind == COWFS_SEEN_NAME) {
		adopt_name(a, s);
		return;
	}
	if (!a->ino || s->path_len != a->path_len || memcmp(s->path, a->path, s->path_len))
		return;
	if (s->kind == COWFS_SEEN_SIZE) {
		a->ino->size = a->ino->dur_size = s->size;
		return;
	}
	v = adopt_value(s);
	if (append(&a->ino->cur, s->start, s->end, &v) < 0 ||
	    append(&a->ino->dur, s->start, s->end, &v) < 0)
		a->err = -ENOMEM;
}

static void adopt_report(void *arg, const struct cowfs_expect_finding *f)
{
	struct adopt *a = arg;

	if (a->fn)
		a->fn(a->arg, f);
}

/* The new tree replaces the old. */
static void adopt_install(struct oracle *o, struct adopt *a)
{
	oname_free_tree(o, &o->root);
	o->root.children = a->root.children;
	o->root.nr_children = a->root.nr_children;
	o->root.nr_live = a->root.nr_live;
	for (struct rb_node *c = rb_first(&o->root.children); c; c = rb_next(c))
		rb_entry(c, struct oname, node)->parent = &o->root;
}

static void adopt_init(struct adopt *a, struct oracle *o)
{
	a->o = o;
	a->root.children = RB_ROOT;
	a->root.cur = a->root.dur = OT_DIR;
	olist_init(&a->root.dirty);
	olist_init(&a->root.dirty_children);
	olist_init(&a->root.dirty_dir);
}

/* Check fs against e, and make what it holds the oracle's state. */
static int check_and_adopt(struct oracle *o, cowfs_fs *fs, const cowfs_expect *e,
			   cowfs_expect_report_fn fn, void *arg)
{
	struct adopt a = { .fn = fn, .arg = arg };
	struct cowfs_expect_ops ops = { .arg = &a, .report = adopt_report, .seen = adopt_seen };
	int r;

	adopt_init(&a, o);
	r = cowfs_expect_check_ops(fs, e, &ops);
	if (r >= 0 && a.err)
		r = a.err;
	if (r >= 0)
		adopt_install(o, &a);
	else
		oname_free_tree(o, &a.root);
	return r;
}

int oracle_verify(struct oracle *o, cowfs_fs *fs, bool crash, cowfs_expect_report_fn fn,
		  void *arg)
{
	cowfs_expect *e;
	int r = oracle_expect(o, crash, &e);

	if (r < 0)
		return r;
	if (crash)
		r = check_and_adopt(o, fs, e, fn, arg);
	else
		r = cowfs_expect_check(fs, e, fn, arg);
	cowfs_expect_free(e);
	return r;
}

int oracle_load(struct oracle *o, cowfs_fs *fs)
{
	cowfs_expect *e;
	int r = cowfs_expect_new(&e);

	/* Against an empty expectation every name is unexpected: walked, adopted, not reported. */
	if (r == 0)
		r = check_and_adopt(o, fs, e, NULL, NULL);
	cowfs_expect_free(e);
	return r < 0 ? r : 0;
}

int oracle_check_read(struct oracle *o, const char *path, size_t len, uint64_t off,
		      const void *buf, size_t n, cowfs_expect_report_fn fn, void *arg)
{
	struct oname *node = oracle_lookup(o, path, len);
	cowfs_expect_entry *ent;
	cowfs_expect *e;
	int r;

	if (!node || node->cur != OT_FILE)
		return node && node->cur == OT_DIR ? -EISDIR : -ENOENT;
	if (n > UINT64_MAX - off)
		return -EINVAL;
	if ((r = cowfs_expect_new(&e)) < 0)
		return r;
	r = cowfs_expect_add(e, path, len, COWFS_EXPECT_FILE, COWFS_EXPECT_MUST, &ent);
	if (r >= 0)
		r = cowfs_expect_add_size(ent, node->cur_ino->size);
	/* Only the extents the read covers: a read costs O(log n) plus what it touches. */
	for (struct oext *x = omap_after(&node->cur_ino->cur, off); r >= 0 && x &&
	     x->start < off + n; x = omap_next(x)) {
		r = cowfs_expect_add_range(ent, x->start > off ? x->start : off,
					   x->end < off + n ? x->end : off + n, &x->v, 1);
	}
	if (r >= 0)
		r = cowfs_expect_check_buf(e, path, len, off, buf, n, fn, arg);
	cowfs_expect_free(e);
	return r;
}
