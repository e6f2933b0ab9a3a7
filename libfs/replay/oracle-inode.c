/* The oracle's inodes: a file's contents now and at its durable point, and
 * the log of changes in between that a crash may or may not have kept. */
#include <errno.h>
#include <stdlib.h>

#include "replay/oracle-priv.h"

struct oinode *oinode_new(struct oracle *o)
{
	struct oinode *ino = calloc(1, sizeof(*ino));

	if (!ino)
		return NULL;
	ino->refs = 1;
	omap_init(&ino->cur);
	omap_init(&ino->dur);
	ino->log_tail = &ino->log;
	olist_init(&ino->dirty);
	olist_add(&ino->all, &o->all_inodes);
	o->nr_inodes++;
	return ino;
}

struct oinode *oinode_get(struct oinode *ino)
{
	if (ino)
		ino->refs++;
	return ino;
}

static void log_clear(struct oinode *ino)
{
	struct olog *l = ino->log;

	while (l) {
		struct olog *next = l->next;

		cowfs_data_put(&l->v.data);
		free(l);
		l = next;
	}
	ino->log = NULL;
	ino->log_tail = &ino->log;
	ino->nr_log = 0;
	olist_del(&ino->dirty);
}

void oinode_put(struct oracle *o, struct oinode *ino)
{
	if (!ino || --ino->refs)
		return;
	log_clear(ino);
	omap_free(&ino->cur);
	omap_free(&ino->dur);
	olist_del(&ino->all);
	free(ino);
	o->nr_inodes--;
}

int oinode_log(struct oracle *o, struct oinode *ino, enum olog_kind kind, uint64_t start,
		   uint64_t end, const struct cowfs_expect_cand *v, uint64_t size)
{
	struct olog *l = calloc(1, sizeof(*l));

	if (!l)
		return -ENOMEM;
	*l = (struct olog){ .kind = kind, .start = start, .end = end, .size = size };
	l->v = v ? *v : (struct cowfs_expect_cand){ .kind = COWFS_CAND_ZEROS };
	cowfs_data_hold(&l->v.data);
	*ino->log_tail = l;
	ino->log_tail = &l->next;
	ino->nr_log++;
	if (olist_empty(&ino->dirty))
		olist_add(&ino->dirty, &o->dirty_inodes);
	return 0;
}

int oinode_make_durable(struct oinode *ino)
{
	for (struct olog *l = ino->log; l; l = l->next) {
		int r = 0;

		if (l->kind == OLOG_STORE)
			r = omap_set(&ino->dur, l->start, l->end, &l->v);
		else if (l->kind == OLOG_TRUNC)
			omap_trunc(&ino->dur, l->size);
		if (r < 0)
			return r;
	}
	ino->dur_size = ino->size;
	log_clear(ino);
	return 0;
}
