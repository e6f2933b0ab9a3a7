/* The oracle: names, file contents, and what is durable (see oracle.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "replay/oracle-priv.h"

/* ---- names ---- */

static int name_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	return c ? c : (alen > blen) - (alen < blen);
}

static bool name_less(const struct rb_node *a, const struct rb_node *b)
{
	const struct oname *x = rb_entry(a, struct oname, node);
	const struct oname *y = rb_entry(b, struct oname, node);

	return name_cmp(x->name, x->len, y->name, y->len) < 0;
}

static void oname_init(struct oname *n)
{
	n->children = RB_ROOT;
	olist_init(&n->dirty);
	olist_init(&n->dirty_children);
	olist_init(&n->dirty_dir);
}

struct oname *oname_child(struct oracle *o, struct oname *dir, const char *name, size_t len,
			  bool create)
{
	struct rb_node *n = dir->children.rb_node;
	struct oname *c;

	while (n) {
		int cmp;

		c = rb_entry(n, struct oname, node);
		cmp = name_cmp(name, len, c->name, c->len);
		if (!cmp)
			return c;
		n = cmp < 0 ? n->rb_left : n->rb_right;
	}
	if (!create || !(c = calloc(1, sizeof(*c))))
		return NULL;
	if (!(c->name = malloc(len ? len : 1))) {
		free(c);
		return NULL;
	}
	memcpy(c->name, name, len);
	c->len = len;
	c->parent = dir;
	oname_init(c);
	rb_add(&c->node, &dir->children, name_less);
	dir->nr_children++;
	o->nr_names++;
	return c;
}

/* Walk path to its name (to_parent: to its directory, with the last component
 * in *last), through live directories only. */
static int split_path(const char *path, size_t len, struct oname **at, struct oracle *o,
		      bool to_parent, const char **last, size_t *last_len)
{
	struct oname *n = &o->root;
	size_t i = 1;

	if (!len || path[0] != '/')
		return -EINVAL;
	/* PATH_MAX, as the kernel: it also bounds the depth of every walk of the tree. */
	if (len >= 4096)
		return -ENAMETOOLONG;
	while (i < len) {
		size_t j = i;

		while (j < len && path[j] != '/')
			j++;
		if (j == i || j - i > 255 || memchr(path + i, '\0', j - i) ||
		    (path[i] == '.' && (j - i == 1 || (j - i == 2 && path[i + 1] == '.'))))
			return -EINVAL;
		if (to_parent && j == len) {
			*last = path + i;
			*last_len = j - i;
			break;
		}
		if (n->cur != OT_DIR)
			return -ENOTDIR;
		n = oname_child(o, n, path + i, j - i, false);
		if (!n || n->cur == OT_NONE)
			return -ENOENT;
		i = j + 1;
	}
	if (to_parent && n->cur != OT_DIR)
		return n->cur == OT_NONE ? -ENOENT : -ENOTDIR;
	*at = n;
	return 0;
}

struct oname *oracle_lookup(struct oracle *o, const char *path, size_t len)
{
	struct oname *n = &o->root;

	for (size_t i = 1, j; i < len; i = j + 1) {
		for (j = i; j < len && path[j] != '/'; j++)
			;
		if (!(n = oname_child(o, n, path + i, j - i, false)))
			return NULL;
	}
	return n;
}

/* A live name: *n, or -ENOENT / -ENOTDIR / -EINVAL. */
static int resolve(struct oracle *o, const char *path, size_t len, struct oname **n)
{
	return split_path(path, len, n, o, false, NULL, NULL);
}

/* Changed since its directory's durable point. */
static bool name_changed(const struct oname *n)
{
	return !olist_empty(&n->dirty);
}

static void mark_dirty(struct oracle *o, struct oname *n)
{
	struct oname *dir = n->parent;

	if (!olist_empty(&n->dirty))
		return;
	olist_add(&n->dirty, &dir->dirty_children);
	if (olist_empty(&dir->dirty_dir))
		olist_add(&dir->dirty_dir, &o->dirty_dirs);
}

/* A name removed, settled, and empty is forgotten. */
static bool freeable(const struct oname *n)
{
	return n->parent && n->cur == OT_NONE && n->dur == OT_NONE && !n->nr_hist &&
	       !n->nr_children && !name_changed(n);
}

static void name_free(struct oracle *o, struct oname *n)
{
	struct oname *dir = n->parent;

	olist_del(&n->dirty_dir);
	rb_erase(&n->node, &dir->children);
	dir->nr_children--;
	o->nr_names--;
	free(n->name);
	free(n->hist);
	free(n);
}

/* Free n and then its directories while they are freeable. */
static void free_up(struct oracle *o, struct oname *n)
{
	while (n && freeable(n)) {
		struct oname *dir = n->parent;

		name_free(o, n);
		n = dir;
	}
}

/* The name's durable state becomes its state now. */
static void name_settle(struct oracle *o, struct oname *n)
{
	struct oname *dir = n->parent;

	for (size_t i = 0; i < n->nr_hist; i++)
		oinode_put(o, n->hist[i]);
	n->nr_hist = 0;
	if (n->dur_ino != n->cur_ino) {
		oinode_put(o, n->dur_ino);
		n->dur_ino = oinode_get(n->cur_ino);
	}
	n->dur = n->cur;
	olist_del(&n->dirty);
	if (dir && olist_empty(&dir->dirty_children))
		olist_del(&dir->dirty_dir);
	/* Not up the tree: dir_settle() is still walking n's directory. */
	if (freeable(n))
		name_free(o, n);
}

static void dir_settle(struct oracle *o, struct oname *dir)
{
	while (!olist_empty(&dir->dirty_children))
		name_settle(o, olist_entry(dir->dirty_children.next, struct oname, dirty));
}

/* ---- life cycle ---- */

int oracle_new(struct oracle **out)
{
	struct oracle *o = calloc(1, sizeof(*o));

	if (!o)
		return -ENOMEM;
	oname_init(&o->root);
	o->root.cur = o->root.dur = OT_DIR;
	olist_init(&o->dirty_inodes);
	olist_init(&o->dirty_dirs);
	olist_init(&o->all_inodes);
	*out = o;
	return 0;
}

void oname_free_tree(struct oracle *o, struct oname *n)
{
	struct rb_node *c;

	while ((c = n->children.rb_node)) {
		struct oname *child = rb_entry(c, struct oname, node);

		rb_erase(c, &n->children);
		oname_free_tree(o, child);
		free(child->name);
		free(child);
		o->nr_names--;
	}
	n->nr_children = n->nr_live = 0;
	olist_del(&n->dirty);
	olist_del(&n->dirty_dir);
	for (size_t i = 0; i < n->nr_hist; i++)
		oinode_put(o, n->hist[i]);
	oinode_put(o, n->cur_ino);
	oinode_put(o, n->dur_ino);
	free(n->hist);
	n->hist = NULL;
	n->nr_hist = n->hist_cap = 0;
	n->cur_ino = n->dur_ino = NULL;
}

void oracle_free(struct oracle *o)
{
	if (!o)
		return;
	oname_free_tree(o, &o->root);
	free(o);
}

/* ---- operations ---- */

static int make_name(struct oracle *o, const char *path, size_t len, enum otype type)
{
	struct oinode *ino = NULL;
	struct oname *dir, *n;
	const char *name;
	size_t nlen;
	int r;

	if (len == 1 && path[0] == '/')
		return -EEXIST;
	if ((r = split_path(path, len, &dir, o, true, &name, &nlen)) < 0)
		return r;
	n = oname_child(o, dir, name, nlen, false);
	if (n && n->cur != OT_NONE)
		return -EEXIST;
	if (type == OT_FILE && !(ino = oinode_new(o)))
		return -ENOMEM;
	if (!n && !(n = oname_child(o, dir, name, nlen, true))) {
		oinode_put(o, ino);
		return -ENOMEM;
	}
	n->cur = type;
	n->cur_ino = ino;
	dir->nr_live++;
	mark_dirty(o, n);
	return 0;
}

int oracle_mkdir(struct oracle *o, const char *path, size_t len)
{
	return make_name(o, path, len, OT_DIR);
}

int oracle_create(struct oracle *o, const char *path, size_t len)
{
	return make_name(o, path, len, OT_FILE);
}

int oracle_unlink(struct oracle *o, const char *path, size_t len)
{
	struct oname *n;
	int r = resolve(o, path, len, &n);

	if (r < 0)
		return r;
	if (n == &o->root)
		return -EINVAL;
	if (n->cur == OT_DIR && n->nr_live)
		return -ENOTEMPTY;
	/* The inode stays a candidate for a crash until the name is durable again. */
	if (n->cur_ino && n->cur_ino != n->dur_ino) {
		if (n->nr_hist == n->hist_cap) {
			size_t cap = n->hist_cap ? n->hist_cap * 2 : 2;
			void *p = reallocarray(n->hist, cap, sizeof(*n->hist));

			if (!p)
				return -ENOMEM;
			n->hist = p;
			n->hist_cap = cap;
		}
		n->hist[n->nr_hist++] = n->cur_ino;
	} else {
		oinode_put(o, n->cur_ino);
	}
	n->cur_ino = NULL;
	n->cur = OT_NONE;
	n->parent->nr_live--;
	mark_dirty(o, n);
	return 0;
}

static int resolve_file(struct oracle *o, const char *path, size_t len, struct oinode **ino)
{
	struct oname *n;
	int r = resolve(o, path, len, &n);

	if (r < 0)
		return r;
	if (n->cur != OT_FILE)
		return -EISDIR;
	*ino = n->cur_ino;
	return 0;
}

int oracle_truncate(struct oracle *o, const char *path, size_t len, uint64_t size)
{
	struct oinode *ino;
	uint64_t old;
	int r = resolve_file(o, path, len, &ino);

	if (r < 0)
		return r;
	old = ino->size;
	if (size == old)
		return 0;
	r = oinode_log(o, ino, OLOG_TRUNC, size < old ? size : old, size < old ? old : size, NULL,
		    size);
	if (r < 0)
		return r;
	omap_trunc(&ino->cur, size);
	ino->size = size;
	return 0;
}

int oracle_store(struct oracle *o, const char *path, size_t len, uint64_t off, uint64_t n,
		 uint64_t line, const struct cowfs_data_spec *spec, bool extends)
{
	struct cowfs_expect_cand v = { .line = line, .data = *spec };
	struct oinode *ino;
	uint64_t size;
	int r = resolve_file(o, path, len, &ino);

	if (r < 0)
		return r;
	if (n > UINT64_MAX - off)
		return -EINVAL;
	if (!extends && off + n > ino->size)
		return -ERANGE;
	if (!n)
		return 0;
	/* The zeros a write past the end leaves need no entry of their own: past the
	 * durable size they are the durable value, below it a truncate logged them. */
	size = off + n > ino->size ? off + n : ino->size;
	if ((r = oinode_log(o, ino, OLOG_STORE, off, off + n, &v, size)) < 0 ||
	    (r = omap_set(&ino->cur, off, off + n, &v)) < 0)
		return r;
	ino->size = size;
	return 0;
}

int oracle_sync(struct oracle *o)
{
	int r;

	while (!olist_empty(&o->dirty_inodes))
		if ((r = oinode_make_durable(olist_entry(o->dirty_inodes.next, struct oinode, dirty))) < 0)
			return r;
	while (!olist_empty(&o->dirty_dirs)) {
		struct oname *dir = olist_entry(o->dirty_dirs.next, struct oname, dirty_dir);

		dir_settle(o, dir);
		free_up(o, dir);
	}
	return 0;
}

int oracle_fsync(struct oracle *o, const char *path, size_t len)
{
	struct oname *n, *dir;
	int r = resolve(o, path, len, &n);

	if (r < 0)
		return r;
	if (n->cur == OT_FILE && (r = oinode_make_durable(n->cur_ino)) < 0)
		return r;
	dir = n->cur == OT_DIR ? n : n->parent;
	dir_settle(o, dir);
	/* A durable name must be reachable: the names leading to it are durable too. */
	for (; dir && dir->parent; dir = dir->parent)
		name_settle(o, dir);
	return 0;
}

int oracle_stat(struct oracle *o, const char *path, size_t len, enum cowfs_expect_type *type,
		uint64_t *size)
{
	struct oname *n;
	int r = resolve(o, path, len, &n);

	if (r < 0)
		return r;
	*type = n->cur == OT_DIR ? COWFS_EXPECT_DIR : COWFS_EXPECT_FILE;
	*size = n->cur == OT_FILE ? n->cur_ino->size : 0;
	return 0;
}

void oracle_get_stats(const struct oracle *o, struct oracle_stats *st)
{
	*st = (struct oracle_stats){ .names = o->nr_names, .inodes = o->nr_inodes };
	for (const struct olist *l = o->all_inodes.next; l != &o->all_inodes; l = l->next) {
		const struct oinode *ino = olist_entry(l, struct oinode, all);

		st->extents += ino->cur.count + ino->dur.count;
		st->changes += ino->nr_log;
	}
}
