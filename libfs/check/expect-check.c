/* Comparing an image with an expectation: the namespace walk.
 *
 * The walk goes over the image, not the expectation, so that a name nobody
 * expected is found; what the walk did not meet is then missing.  Directory
 * entries are taken in name order, so findings come in a stable order
 * whatever the on-disk hash order.  A corrupt image yields findings, never a
 * crash: names are checked, directory cycles and depth are bounded.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check/expect-check.h"
#include "cowfs/error.h"

#define MAX_DEPTH 4096

struct dirent_rec {
	char *name;
	size_t len;
	uint64_t ino;
};

struct dirent_list {
	struct dirent_rec *a;
	size_t n, cap;
	bool bad_name;
};

static int collect(void *arg, const char *name, size_t len, uint64_t ino, int type)
{
	struct dirent_list *l = arg;
	struct dirent_rec *r;

	(void)type;
	if (!len || len > 255 || memchr(name, '/', len) || memchr(name, '\0', len) ||
	    (name[0] == '.' && (len == 1 || (len == 2 && name[1] == '.')))) {
		l->bad_name = true;
		return 0;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		void *p = reallocarray(l->a, cap, sizeof(*l->a));

		if (!p)
			return -ENOMEM;
		l->a = p;
		l->cap = cap;
	}
	r = &l->a[l->n];
	if (!(r->name = malloc(len)))
		return -ENOMEM;
	memcpy(r->name, name, len);
	r->len = len;
	r->ino = ino;
	l->n++;
	return 0;
}

static int rec_cmp(const void *a, const void *b)
{
	const struct dirent_rec *x = a, *y = b;
	int c = memcmp(x->name, y->name, x->len < y->len ? x->len : y->len);

	return c ? c : (x->len > y->len) - (x->len < y->len);
}

static void list_free(struct dirent_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->a[i].name);
	free(l->a);
}

/* ---- the current path ---- */

static int path_push(struct xcheck *x, const char *name, size_t len)
{
	size_t need = x->plen + 1 + len + 1;

	if (need > x->pcap) {
		size_t cap = x->pcap * 2 > need ? x->pcap * 2 : need;
		char *p = realloc(x->path, cap);

		if (!p)
			return -ENOMEM;
		x->path = p;
		x->pcap = cap;
	}
	x->path[x->plen++] = '/';
	memcpy(x->path + x->plen, name, len);
	x->plen += len;
	x->path[x->plen] = '\0';
	return 0;
}

/* ---- visited directories: a cycle or a shared directory is corruption ---- */

static size_t slot_of(const uint64_t *t, size_t cap, uint64_t ino)
{
	size_t mask = cap - 1, i = (size_t)(ino * 0x9E3779B97F4A7C15ull >> 17) & mask;

	while (t[i] && t[i] != ino)
		i = (i + 1) & mask;
	return i;
}

/* 1 if dir was visited before, 0 now that it is; ino 0 (the empty slot) is never valid. */
static int visit(struct xcheck *x, uint64_t ino)
{
	size_t i;

	if (!ino)
		return 1;
	if (2 * (x->nr_visited + 1) > x->visited_cap) {
		size_t cap = x->visited_cap ? x->visited_cap * 2 : 64;
		uint64_t *nv = calloc(cap, sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		for (size_t j = 0; j < x->visited_cap; j++)
			if (x->visited[j])
				nv[slot_of(nv, cap, x->visited[j])] = x->visited[j];
		free(x->visited);
		x->visited = nv;
		x->visited_cap = cap;
	}
	i = slot_of(x->visited, x->visited_cap, ino);
	if (x->visited[i])
		return 1;
	x->visited[i] = ino;
	x->nr_visited++;
	return 0;
}

/* ---- one name of the image ---- */

static void seen_name(struct xcheck *x, const char *path, size_t len, bool present,
		      enum cowfs_expect_type type, bool listed)
{
	struct cowfs_expect_seen s = {
		.kind = COWFS_SEEN_NAME, .path = path, .path_len = len,
		.present = present, .type = type, .listed = listed,
	};

	if (x->ops->seen)
		x->ops->seen(x->ops->arg, &s);
}

static int walk_dir(struct xcheck *x, uint64_t dir, int depth);

/* What the expectation does not describe, for the seen callback only: no findings. */
static int walk_quietly(struct xcheck *x, uint64_t ino, const struct cowfs_inode *inode,
			int depth)
{
	uint64_t size = inode->size;
	struct cowfs_expect_entry any = {
		.path = x->path, .path_len = x->plen, .type = COWFS_EXPECT_FILE,
		.presence = COWFS_EXPECT_MAY, .sizes = &size, .nr_sizes = 1,
	};
	int r;

	if (!x->ops->seen)
		return 0;
	x->quiet++;
	if (S_ISDIR(inode->mode))
		r = walk_dir(x, ino, depth + 1);
	else
		r = xcheck_file(x, &any, ino, size);
	x->quiet--;
	return r;
}

static int check_name(struct xcheck *x, uint64_t ino, int depth)
{
	const struct cowfs_expect_entry *ent =
		x->quiet ? NULL : cowfs_expect_find(x->e, x->path, x->plen);
	struct cowfs_inode inode;
	enum cowfs_expect_type type;
	struct cowfs_expect_finding f = { .path = x->path };
	int r = cowfs_read_inode(x->fs, ino, &inode);

	if (ent)
		x->matched[ent->index] = true;
	if (r < 0) {
		f.kind = COWFS_EXPECT_UNREADABLE;
		f.err = r;
		return r == -ENOMEM ? r : xcheck_report(x, &f);
	}
	type = S_ISDIR(inode.mode) ? COWFS_EXPECT_DIR : COWFS_EXPECT_FILE;
	f.type = type;
	if (!ent || ent->presence == COWFS_EXPECT_MUST_NOT) {
		f.kind = COWFS_EXPECT_UNEXPECTED;
		if ((r = xcheck_report(x, &f)) < 0)
			return r;
		seen_name(x, x->path, x->plen, true, type, false);
		return walk_quietly(x, ino, &inode, depth);
	}
	seen_name(x, ent->path, ent->path_len, true, type, true);
	if (ent->type != type) {
		f.kind = COWFS_EXPECT_TYPE;
		if ((r = xcheck_report(x, &f)) < 0)
			return r;
		return walk_quietly(x, ino, &inode, depth);
	}
	if (type == COWFS_EXPECT_DIR)
		return walk_dir(x, ino, depth + 1);
	return xcheck_file(x, ent, ino, inode.size);
}

static int walk_entries(struct xcheck *x, struct dirent_list *l, int depth)
{
	size_t base = x->plen;
	int r = 0;

	if (l->n)
		qsort(l->a, l->n, sizeof(*l->a), rec_cmp);
	for (size_t i = 0; i < l->n && r >= 0; i++) {
		if ((r = path_push(x, l->a[i].name, l->a[i].len)) < 0)
			break;
		r = check_name(x, l->a[i].ino, depth);
		x->plen = base;
		x->path[base] = '\0';
	}
	return r;
}

static int walk_dir(struct xcheck *x, uint64_t dir, int depth)
{
	struct dirent_list l = { .a = NULL };
	struct cowfs_expect_finding f = {
		.kind = COWFS_EXPECT_UNREADABLE, .path = x->plen ? x->path : "/",
	};
	int r = depth > MAX_DEPTH ? -COWFS_ECORRUPT : visit(x, dir);

	if (r > 0)
		r = -COWFS_ECORRUPT;
	if (r == 0)
		r = cowfs_readdir(x->fs, dir, collect, &l);
	if (r == 0 && l.bad_name)
		r = -COWFS_ECORRUPT;
	if (r < 0 && r != -ENOMEM) {
		f.err = r;
		r = xcheck_report(x, &f);
	}
	if (r >= 0)
		r = walk_entries(x, &l, depth);
	list_free(&l);
	return r;
}

/* What the walk did not meet: missing, or (may) absent. */
static int check_unmet(struct xcheck *x)
{
	for (const cowfs_expect_entry *ent = cowfs_expect_first(x->e); ent;
	     ent = cowfs_expect_next(ent)) {
		struct cowfs_expect_finding f = { .kind = COWFS_EXPECT_MISSING, .path = ent->path };
		int r;

		if (x->matched[ent->index])
			continue;
		if (ent->presence != COWFS_EXPECT_MUST_NOT)
			seen_name(x, ent->path, ent->path_len, false, ent->type, true);
		if (ent->presence == COWFS_EXPECT_MUST && (r = xcheck_report(x, &f)) < 0)
			return r;
	}
	return 0;
}

int cowfs_expect_check_ops(cowfs_fs *fs, const cowfs_expect *e, const struct cowfs_expect_ops *ops)
{
	struct xcheck x = { .fs = fs, .e = e, .ops = ops };
	const cowfs_expect_entry *root = cowfs_expect_find(e, "/", 1);
	uint64_t ino;
	int r = cowfs_lookup_path(fs, "/", &ino);

	if (r < 0)
		return r;
	x.matched = calloc(e->count + 1, sizeof(*x.matched));
	x.buf = malloc(XCHECK_CHUNK);
	if (!x.matched || !x.buf) {
		r = -ENOMEM;
		goto out;
	}
	if (root)
		x.matched[root->index] = true;
	r = walk_dir(&x, ino, 0);
	if (r >= 0)
		r = check_unmet(&x);
out:
	free(x.matched);
	free(x.buf);
	free(x.path);
	free(x.visited);
	return r < 0 ? r : (int)x.findings;
}

int cowfs_expect_check(cowfs_fs *fs, const cowfs_expect *e, cowfs_expect_report_fn fn, void *arg)
{
	struct cowfs_expect_ops ops = { .arg = arg, .report = fn };

	return cowfs_expect_check_ops(fs, e, &ops);
}
