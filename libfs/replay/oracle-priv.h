/* The oracle's insides: values, interval maps, inodes, names. */
#ifndef COWFS_REPLAY_ORACLE_PRIV_H
#define COWFS_REPLAY_ORACLE_PRIV_H

#include "replay/oracle.h"
#include "util/rbtree.h"

/* A doubly linked list, as the kernel's list_head. */
struct olist {
	struct olist *prev, *next;
};

static inline void olist_init(struct olist *l)
{
	l->prev = l->next = l;
}

static inline bool olist_empty(const struct olist *l)
{
	return l->next == l;
}

static inline void olist_add(struct olist *item, struct olist *head)
{
	item->next = head;
	item->prev = head->prev;
	head->prev->next = item;
	head->prev = item;
}

static inline void olist_del(struct olist *item)
{
	item->prev->next = item->next;
	item->next->prev = item->prev;
	olist_init(item);
}

#define olist_entry(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

/* What a byte range holds is a struct cowfs_expect_cand (zeros, a line's data,
 * or anything from before the trace); whoever keeps one owns a reference on
 * its data. */

/* ---- interval maps: disjoint extents by start; holes read as zeros ---- */

struct oext {
	struct rb_node node;
	uint64_t start, end;
	struct cowfs_expect_cand v;	/* never zeros */
};

struct omap {
	struct rb_root root;
	uint64_t count;
};

void omap_init(struct omap *m);
void omap_free(struct omap *m);
/* [start, end) holds v (zeros: a hole).  -ENOMEM leaves m unchanged. */
int omap_set(struct omap *m, uint64_t start, uint64_t end, const struct cowfs_expect_cand *v);
/* Drop everything at and past size. */
void omap_trunc(struct omap *m, uint64_t size);
/* The first extent ending after off, or NULL. */
struct oext *omap_after(const struct omap *m, uint64_t off);
struct oext *omap_next(const struct oext *e);

/* ---- inodes ---- */

enum olog_kind {
	OLOG_STORE,			/* [start, end) written with v */
	OLOG_TRUNC,			/* size set: [start, end) zeros (between the two sizes) */
};

/* A change since the durable point, kept for the crash candidates. */
struct olog {
	struct olog *next;
	enum olog_kind kind;
	uint64_t start, end;
	struct cowfs_expect_cand v;
	uint64_t size;			/* the size after it */
};

struct oinode {
	unsigned refs;			/* a name's cur, dur and hist each hold one */
	struct omap cur, dur;
	uint64_t size, dur_size;
	struct olog *log, **log_tail;
	uint64_t nr_log;
	struct olist dirty;		/* in oracle.dirty_inodes while it has a log */
	struct olist all;		/* in oracle.all_inodes */
};

enum otype { OT_NONE, OT_DIR, OT_FILE };

/*
 * A name, now and at its directory's durable point.  A name removed since
 * stays (cur NONE) until that point moves, since a crash may bring it back;
 * hist holds the inodes it named in between.
 */
struct oname {
	struct rb_node node;		/* in parent->children, by name */
	struct oname *parent;
	struct rb_root children;
	uint64_t nr_children, nr_live;	/* nodes below; those with cur != NONE */
	char *name;
	size_t len;
	enum otype cur, dur;
	struct oinode *cur_ino, *dur_ino;
	struct oinode **hist;
	size_t nr_hist, hist_cap;
	struct olist dirty;		/* in parent->dirty_children while changed */
	struct olist dirty_children;
	struct olist dirty_dir;		/* in oracle.dirty_dirs while dirty_children is not empty */
};

struct oracle {
	struct oname root;
	struct olist dirty_inodes;
	struct olist dirty_dirs;
	struct olist all_inodes;
	uint64_t nr_names, nr_inodes;
};

struct oinode *oinode_new(struct oracle *o);
struct oinode *oinode_get(struct oinode *ino);
void oinode_put(struct oracle *o, struct oinode *ino);
/* Log a change since the durable point (v NULL: zeros); size is the file's after it. */
int oinode_log(struct oracle *o, struct oinode *ino, enum olog_kind kind, uint64_t start,
	       uint64_t end, const struct cowfs_expect_cand *v, uint64_t size);
/* The durable state becomes the state now: the log, replayed onto the durable map. */
int oinode_make_durable(struct oinode *ino);
/* The name of path (removed ones too), or NULL. */
struct oname *oracle_lookup(struct oracle *o, const char *path, size_t len);
/* Free every name below n, and what n holds; n itself stays. */
void oname_free_tree(struct oracle *o, struct oname *n);
/* Child name of dir, created (cur and dur NONE) when create is set; NULL if absent or no memory. */
struct oname *oname_child(struct oracle *o, struct oname *dir, const char *name, size_t len,
			  bool create);

#endif
