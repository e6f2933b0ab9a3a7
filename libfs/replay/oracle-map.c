/* The oracle's interval map: which line last wrote each byte range of a file.
 *
 * Extents are disjoint and sorted by start, so they are sorted by end too and
 * one descent finds the first extent ending after an offset: every operation
 * is O(log n) plus the extents it removes.
 */
#include <errno.h>
#include <stdlib.h>

#include "replay/oracle-priv.h"

void omap_init(struct omap *m)
{
	m->root = RB_ROOT;
	m->count = 0;
}

static void ext_free(struct omap *m, struct oext *e)
{
	rb_erase(&e->node, &m->root);
	cowfs_data_put(&e->v.data);
	free(e);
	m->count--;
}

void omap_free(struct omap *m)
{
	struct rb_node *n;

	while ((n = m->root.rb_node))
		ext_free(m, rb_entry(n, struct oext, node));
}

struct oext *omap_after(const struct omap *m, uint64_t off)
{
	struct rb_node *n = m->root.rb_node;
	struct oext *best = NULL;

	while (n) {
		struct oext *e = rb_entry(n, struct oext, node);

		if (e->end > off) {
			best = e;
			n = n->rb_left;
		} else {
			n = n->rb_right;
		}
	}
	return best;
}

struct oext *omap_next(const struct oext *e)
{
	return rb_entry_safe(rb_next(&e->node), struct oext, node);
}

static bool ext_less(const struct rb_node *a, const struct rb_node *b)
{
	return rb_entry(a, struct oext, node)->start < rb_entry(b, struct oext, node)->start;
}

static void ext_insert(struct omap *m, struct oext *e, uint64_t start, uint64_t end,
		       const struct cowfs_expect_cand *v)
{
	e->start = start;
	e->end = end;
	e->v = *v;
	cowfs_data_hold(&e->v.data);
	rb_add(&e->node, &m->root, ext_less);
	m->count++;
}

int omap_set(struct omap *m, uint64_t start, uint64_t end, const struct cowfs_expect_cand *v)
{
	struct oext *e = omap_after(m, start), *fresh = NULL, *right = NULL;

	if (start >= end)
		return 0;
	if (v->kind != COWFS_CAND_ZEROS && !(fresh = malloc(sizeof(*fresh))))
		return -ENOMEM;
	/* An extent reaching over both ends keeps its head and gets a new tail. */
	if (e && e->start < start && e->end > end && !(right = malloc(sizeof(*right)))) {
		free(fresh);
		return -ENOMEM;
	}
	if (right)
		ext_insert(m, right, end, e->end, &e->v);
	if (e && e->start < start) {
		e->end = start;
		e = omap_next(e);
	}
	while (e && e->start < end) {
		struct oext *next = omap_next(e);

		if (e->end > end) {
			e->start = end;		/* still sorted: nothing else is left in [start, end) */
			break;
		}
		ext_free(m, e);
		e = next;
	}
	if (fresh)
		ext_insert(m, fresh, start, end, v);
	return 0;
}

void omap_trunc(struct omap *m, uint64_t size)
{
	struct oext *e = omap_after(m, size);

	if (e && e->start < size) {
		e->end = size;
		e = omap_next(e);
	}
	while (e) {
		struct oext *next = omap_next(e);

		ext_free(m, e);
		e = next;
	}
}
