/* From the oracle to an expectation: the state now, or what a crash may leave.
 *
 * After a crash, a byte may hold its durable value or any value written
 * since (TRACE-FORMAT.md, "What a replay promises").  Each inode a name held
 * since its durable point contributes segments in time order: its durable map
 * (zeros where it has none), then each logged change.  A sweep over the
 * segment boundaries gives every elementary range the values of the segments
 * covering it, oldest first, and equal neighbours merge into one range.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "replay/oracle-priv.h"

static const struct cowfs_expect_cand zeros_val = { .kind = COWFS_CAND_ZEROS };

struct seg {
	uint64_t start, end;
	uint64_t seq;			/* time order */
	const struct cowfs_expect_cand *v;
};

struct sweep {
	struct seg *segs;
	size_t nr, cap;
	uint64_t seq, max;
	struct cowfs_expect_cand *cands, *prev;	/* the range being built */
	size_t nr_cands, nr_prev, cands_cap;
	uint64_t prev_start, prev_end;
};

static int seg_add(struct sweep *sw, uint64_t start, uint64_t end, const struct cowfs_expect_cand *v)
{
	if (end > sw->max)
		end = sw->max;
	if (start >= end)
		return 0;
	if (sw->nr == sw->cap) {
		size_t cap = sw->cap ? sw->cap * 2 : 32;
		void *p = reallocarray(sw->segs, cap, sizeof(*sw->segs));

		if (!p)
			return -ENOMEM;
		sw->segs = p;
		sw->cap = cap;
	}
	sw->segs[sw->nr++] = (struct seg){ start, end, sw->seq, v };
	return 0;
}

/* The sizes ino had since its durable point. */
static int inode_sizes(cowfs_expect_entry *ent, const struct oinode *ino, uint64_t *max)
{
	int r = cowfs_expect_add_size(ent, ino->dur_size);

	uint64_t prev = ino->dur_size;

	*max = ino->dur_size > *max ? ino->dur_size : *max;
	for (const struct olog *l = ino->log; l && r >= 0; l = l->next) {
		r = cowfs_expect_add_size(ent, l->size);
		/* A growing store passes through every size from where it starts: the
		 * kernel sets i_size chunk by chunk (btrfs_buffered_write), and a commit
		 * between two chunks makes the size so far durable. */
		if (r >= 0 && l->kind == OLOG_STORE && l->size > prev)
			r = cowfs_expect_add_size_span(ent, l->start > prev ? l->start : prev, l->size);
		prev = l->size;
		*max = l->size > *max ? l->size : *max;
	}
	return r;
}

static int inode_segs(struct sweep *sw, const struct oinode *ino)
{
	uint64_t pos = 0;
	int r = 0;

	sw->seq++;
	for (struct oext *e = omap_after(&ino->dur, 0); e && r >= 0; e = omap_next(e)) {
		if ((r = seg_add(sw, pos, e->start, &zeros_val)) < 0)
			return r;
		r = seg_add(sw, e->start, e->end, &e->v);
		pos = e->end;
	}
	if (r >= 0)
		r = seg_add(sw, pos, sw->max, &zeros_val);
	for (const struct olog *l = ino->log; l && r >= 0; l = l->next) {
		sw->seq++;
		r = seg_add(sw, l->start, l->end, l->kind == OLOG_STORE ? &l->v : &zeros_val);
	}
	return r;
}

static int seg_by_start(const void *a, const void *b)
{
	const struct seg *x = a, *y = b;

	return (x->start > y->start) - (x->start < y->start);
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static bool cands_equal(const struct cowfs_expect_cand *a, size_t na,
			const struct cowfs_expect_cand *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (!cowfs_expect_cand_equal(&a[i], &b[i]))
			return false;
	return true;
}

/* Emit the range being built, unless zeros alone (the default of an uncovered range). */
static int emit(struct sweep *sw, cowfs_expect_entry *ent)
{
	if (!sw->nr_prev || (sw->nr_prev == 1 && sw->prev[0].kind == COWFS_CAND_ZEROS))
		return 0;
	return cowfs_expect_add_range(ent, sw->prev_start, sw->prev_end, sw->prev, sw->nr_prev);
}

/* The candidates of [start, end): active[0, na) sorted by seq. */
static int step(struct sweep *sw, cowfs_expect_entry *ent, const struct seg **active, size_t na,
		uint64_t start, uint64_t end)
{
	struct cowfs_expect_cand *swap;
	int r;

	sw->nr_cands = 0;
	for (size_t i = 0; i < na; i++) {
		struct cowfs_expect_cand c = *active[i]->v;
		bool dup = false;

		for (size_t j = 0; j < sw->nr_cands && !dup; j++)
			dup = cands_equal(&sw->cands[j], 1, &c, 1);
		if (!dup)
			sw->cands[sw->nr_cands++] = c;
	}
	if (sw->nr_prev && sw->prev_end == start &&
	    cands_equal(sw->prev, sw->nr_prev, sw->cands, sw->nr_cands)) {
		sw->prev_end = end;
		return 0;
	}
	if ((r = emit(sw, ent)) < 0)
		return r;
	swap = sw->prev;
	sw->prev = sw->cands;
	sw->cands = swap;
	sw->nr_prev = sw->nr_cands;
	sw->prev_start = start;
	sw->prev_end = end;
	return 0;
}

static int run_sweep(struct sweep *sw, cowfs_expect_entry *ent)
{
	const struct seg **active = calloc(sw->nr + 1, sizeof(*active));
	uint64_t *b = calloc(2 * sw->nr + 1, sizeof(*b));
	size_t nb = 0, na = 0, next = 0;
	int r = 0;

	sw->cands = calloc(sw->nr + 1, sizeof(*sw->cands));
	sw->prev = calloc(sw->nr + 1, sizeof(*sw->prev));
	if (!active || !b || !sw->cands || !sw->prev)
		r = -ENOMEM;
	if (sw->nr)
		qsort(sw->segs, sw->nr, sizeof(*sw->segs), seg_by_start);
	for (size_t i = 0; i < sw->nr && r == 0; i++) {
		b[nb++] = sw->segs[i].start;
		b[nb++] = sw->segs[i].end;
	}
	if (r == 0)
		qsort(b, nb, sizeof(*b), u64_cmp);
	for (size_t k = 0; k + 1 < nb && r == 0; k++) {
		size_t keep = 0;

		if (b[k] == b[k + 1])
			continue;
		for (size_t i = 0; i < na; i++)
			if (active[i]->end > b[k])
				active[keep++] = active[i];
		na = keep;
		for (; next < sw->nr && sw->segs[next].start <= b[k]; next++) {
			size_t at = na++;

			while (at && active[at - 1]->seq > sw->segs[next].seq) {
				active[at] = active[at - 1];
				at--;
			}
			active[at] = &sw->segs[next];
		}
		if (na)
			r = step(sw, ent, active, na, b[k], b[k + 1]);
	}
	if (r == 0)
		r = emit(sw, ent);
	free(active);
	free(b);
	return r;
}

/* Sizes and candidates of a file whose name held inos[0, n) since its durable point. */
static int crash_file(cowfs_expect_entry *ent, struct oinode *const *inos, size_t n)
{
	struct sweep sw = { .segs = NULL };
	int r = 0;

	for (size_t i = 0; i < n && r >= 0; i++)
		r = inode_sizes(ent, inos[i], &sw.max);
	for (size_t i = 0; i < n && r >= 0; i++)
		r = inode_segs(&sw, inos[i]);
	if (r >= 0)
		r = run_sweep(&sw, ent);
	free(sw.segs);
	free(sw.cands);
	free(sw.prev);
	return r;
}

static int now_file(cowfs_expect_entry *ent, const struct oinode *ino)
{
	int r = cowfs_expect_add_size(ent, ino->size);

	for (struct oext *e = omap_after(&ino->cur, 0); e && r >= 0; e = omap_next(e)) {
		r = cowfs_expect_add_range(ent, e->start, e->end, &e->v, 1);
	}
	return r;
}

/* ---- the names ---- */

struct walk {
	bool crash;
	cowfs_expect *e;
	char *path;
	size_t plen, cap;
};

static int path_push(struct walk *w, const struct oname *n)
{
	size_t need = w->plen + 1 + n->len + 1;

	if (need > w->cap) {
		size_t cap = need > 2 * w->cap ? need : 2 * w->cap;
		char *p = realloc(w->path, cap);

		if (!p)
			return -ENOMEM;
		w->path = p;
		w->cap = cap;
	}
	w->path[w->plen++] = '/';
	memcpy(w->path + w->plen, n->name, n->len);
	w->plen += n->len;
	return 0;
}

/* Every inode the name held since its durable point, oldest first. */
static int name_inodes(const struct oname *n, struct oinode ***out, size_t *nr)
{
	struct oinode **a = calloc(n->nr_hist + 2, sizeof(*a));
	size_t k = 0;

	if (!a)
		return -ENOMEM;
	if (n->dur_ino)
		a[k++] = n->dur_ino;
	for (size_t i = 0; i < n->nr_hist; i++)
		a[k++] = n->hist[i];
	if (n->cur_ino && n->cur_ino != n->dur_ino)
		a[k++] = n->cur_ino;
	*out = a;
	*nr = k;
	return 0;
}

static int walk_dir(struct walk *w, const struct oname *dir, bool must);

static int walk_file(struct walk *w, const struct oname *n, cowfs_expect_entry *ent)
{
	struct oinode **inos;
	size_t nr;
	int r;

	if (!w->crash)
		return now_file(ent, n->cur_ino);
	if ((r = name_inodes(n, &inos, &nr)) < 0)
		return r;
	r = crash_file(ent, inos, nr);
	free(inos);
	return r;
}

static int walk_name(struct walk *w, const struct oname *n, bool parent_must)
{
	enum cowfs_expect_presence presence = COWFS_EXPECT_MUST;
	bool changed = !olist_empty(&n->dirty);
	enum otype type = n->cur;
	cowfs_expect_entry *ent;
	int r;

	if (type == OT_NONE && (!w->crash || !changed))
		return 0;
	if (w->crash && (changed || !parent_must))
		presence = COWFS_EXPECT_MAY;
	/* A removed name may come back as what it was (a name that changed type
	 * is expected as its current type: the format has one type per path). */
	if (type == OT_NONE)
		type = n->dur != OT_NONE ? n->dur : n->nr_hist ? OT_FILE : OT_DIR;
	r = cowfs_expect_add(w->e, w->path, w->plen,
			     type == OT_DIR ? COWFS_EXPECT_DIR : COWFS_EXPECT_FILE, presence, &ent);
	if (r < 0)
		return r;
	if (type == OT_FILE)
		return walk_file(w, n, ent);
	return walk_dir(w, n, presence == COWFS_EXPECT_MUST);
}

static int walk_dir(struct walk *w, const struct oname *dir, bool must)
{
	size_t base = w->plen;
	int r = 0;

	for (struct rb_node *c = rb_first(&dir->children); c && r >= 0; c = rb_next(c)) {
		if ((r = path_push(w, rb_entry(c, struct oname, node))) < 0)
			break;
		r = walk_name(w, rb_entry(c, struct oname, node), must);
		w->plen = base;
	}
	return r;
}

int oracle_expect(struct oracle *o, bool crash, cowfs_expect **out)
{
	struct walk w = { .crash = crash };
	int r = cowfs_expect_new(&w.e);

	if (r < 0)
		return r;
	r = walk_dir(&w, &o->root, true);
	free(w.path);
	if (r < 0) {
		cowfs_expect_free(w.e);
		return r;
	}
	*out = w.e;
	return 0;
}
