/* The tree-block cache.
 *
 * Blocks are indexed by bytenr.  A block read from disk is validated once,
 * here, and trusted afterwards.  Dirty blocks (created or copied in the
 * running transaction) stay pinned in memory, on the dirty list, until the
 * commit writes them; clean unreferenced blocks sit on an LRU bounded by
 * EB_CACHE_MAX.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "disk/ctree.h"
#include "disk/verify.h"

#define EB_CACHE_MAX 8192	/* clean blocks kept: 32 MiB */

static struct extent_buffer *eb_lookup(struct cowfs_fs *fs, uint64_t bytenr)
{
	struct rb_node *n = fs->eb_tree.rb_node;

	while (n) {
		struct extent_buffer *eb = rb_entry(n, struct extent_buffer, rb);

		if (bytenr < eb->bytenr)
			n = n->rb_left;
		else if (bytenr > eb->bytenr)
			n = n->rb_right;
		else
			return eb;
	}
	return NULL;
}

static void eb_insert(struct cowfs_fs *fs, struct extent_buffer *eb)
{
	struct rb_node **link = &fs->eb_tree.rb_node, *parent = NULL;

	while (*link) {
		struct extent_buffer *cur = rb_entry(*link, struct extent_buffer, rb);

		parent = *link;
		link = eb->bytenr < cur->bytenr ? &(*link)->rb_left : &(*link)->rb_right;
	}
	rb_link_node(&eb->rb, parent, link);
	rb_insert_color(&eb->rb, &fs->eb_tree);
	fs->eb_count++;
}

/* The LRU and the dirty list share the prev/next links: a block is on at most one. */
static void list_del_eb(struct extent_buffer **head, struct extent_buffer **tail,
			struct extent_buffer *eb)
{
	if (eb->lru_prev)
		eb->lru_prev->lru_next = eb->lru_next;
	else
		*head = eb->lru_next;
	if (eb->lru_next)
		eb->lru_next->lru_prev = eb->lru_prev;
	else
		*tail = eb->lru_prev;
	eb->lru_prev = eb->lru_next = NULL;
}

static void list_add_eb(struct extent_buffer **head, struct extent_buffer **tail,
			struct extent_buffer *eb)
{
	eb->lru_prev = NULL;
	eb->lru_next = *head;
	if (*head)
		(*head)->lru_prev = eb;
	else
		*tail = eb;
	*head = eb;
}

static void eb_destroy(struct cowfs_fs *fs, struct extent_buffer *eb)
{
	if (!eb->stale) {
		rb_erase(&eb->rb, &fs->eb_tree);
		fs->eb_count--;
	}
	free(eb);
}

static void lru_trim(struct cowfs_fs *fs)
{
	while (fs->eb_clean > EB_CACHE_MAX && fs->lru_tail) {
		struct extent_buffer *eb = fs->lru_tail;

		list_del_eb(&fs->lru_head, &fs->lru_tail, eb);
		fs->eb_clean--;
		eb_destroy(fs, eb);
	}
}

static void eb_get(struct cowfs_fs *fs, struct extent_buffer *eb)
{
	if (eb->refs == 0 && !eb->dirty) {
		list_del_eb(&fs->lru_head, &fs->lru_tail, eb);
		fs->eb_clean--;
	}
	eb->refs++;
}

int read_tree_block(struct cowfs_fs *fs, uint64_t bytenr, uint64_t owner, int level,
		    uint64_t gen, struct extent_buffer **out)
{
	struct extent_buffer *eb = eb_lookup(fs, bytenr);
	int ret;

	if (eb) {
		/* Cached blocks were validated when read; the parent's view must still agree. */
		if ((gen && cowfs_header_generation(eb_header(eb)) != gen) ||
		    eb_level(eb) != level || cowfs_header_owner(eb_header(eb)) != owner)
			return -COWFS_EBADBLOCK;
		eb_get(fs, eb);
		*out = eb;
		return 0;
	}
	eb = calloc(1, sizeof(*eb));
	if (!eb)
		return -ENOMEM;
	ret = dev_pread(&fs->dev, eb->data, COWFS_NODE_SIZE, bytenr);
	if (ret < 0) {
		free(eb);
		return ret;
	}
	if (cowfs_verify_block(eb->data, bytenr, fs->fsid, owner, level, fs->last_trans, NULL) !=
	    COWFS_BLOCK_OK ||
	    (gen && cowfs_header_generation(eb_header(eb)) != gen)) {
		free(eb);
		return -COWFS_EBADBLOCK;
	}
	eb->bytenr = bytenr;
	eb->refs = 1;
	eb_insert(fs, eb);
	*out = eb;
	return 0;
}

struct extent_buffer *eb_create(struct cowfs_fs *fs, uint64_t bytenr, uint64_t owner, int level)
{
	struct extent_buffer *eb = eb_lookup(fs, bytenr);
	struct cowfs_header *h;

	/* A freed block's old copy may linger in the cache; its address is being reused. */
	if (eb)
		eb_forget(fs, eb);
	eb = calloc(1, sizeof(*eb));
	if (!eb)
		return NULL;
	eb->bytenr = bytenr;
	eb->refs = 1;
	h = eb_header(eb);
	memcpy(h->fsid, fs->fsid, COWFS_FSID_SIZE);
	cowfs_set_header_bytenr(h, bytenr);
	cowfs_set_header_generation(h, fs->transid);
	cowfs_set_header_owner(h, owner);
	h->level = (uint8_t)level;
	eb_insert(fs, eb);
	mark_eb_dirty(fs, eb);
	return eb;
}

void mark_eb_dirty(struct cowfs_fs *fs, struct extent_buffer *eb)
{
	if (eb->dirty)
		return;
	eb->dirty = 1;
	list_add_eb(&fs->dirty_head, &fs->dirty_tail, eb);
	fs->trans_dirty = 1;
}

void eb_forget(struct cowfs_fs *fs, struct extent_buffer *eb)
{
	if (eb->stale)
		return;
	if (eb->dirty) {
		list_del_eb(&fs->dirty_head, &fs->dirty_tail, eb);
		eb->dirty = 0;
	} else if (eb->refs == 0) {
		list_del_eb(&fs->lru_head, &fs->lru_tail, eb);
		fs->eb_clean--;
	}
	rb_erase(&eb->rb, &fs->eb_tree);
	fs->eb_count--;
	eb->stale = 1;
	if (eb->refs == 0)
		free(eb);
}

void free_eb(struct cowfs_fs *fs, struct extent_buffer *eb)
{
	if (!eb || --eb->refs > 0)
		return;
	if (eb->stale) {
		free(eb);
		return;
	}
	if (eb->dirty)
		return;
	list_add_eb(&fs->lru_head, &fs->lru_tail, eb);
	fs->eb_clean++;
	lru_trim(fs);
}

static int cmp_eb(const void *a, const void *b)
{
	const struct extent_buffer *x = *(struct extent_buffer * const *)a;
	const struct extent_buffer *y = *(struct extent_buffer * const *)b;

	return x->bytenr < y->bytenr ? -1 : x->bytenr > y->bytenr;
}

int write_dirty_ebs(struct cowfs_fs *fs)
{
	struct extent_buffer **v, *eb;
	size_t n = 0, i;
	int ret = 0;

	for (eb = fs->dirty_head; eb; eb = eb->lru_next)
		n++;
	if (!n)
		return 0;
	v = malloc(n * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0, eb = fs->dirty_head; eb; eb = eb->lru_next)
		v[i++] = eb;
	qsort(v, n, sizeof(*v), cmp_eb);	/* ascending addresses: sequential I/O */
	for (i = 0; i < n && ret == 0; i++) {
		cowfs_block_set_csum(v[i]->data);
		ret = dev_pwrite(&fs->dev, v[i]->data, COWFS_NODE_SIZE, v[i]->bytenr);
	}
	if (ret == 0) {
		for (i = 0; i < n; i++) {
			eb = v[i];
			list_del_eb(&fs->dirty_head, &fs->dirty_tail, eb);
			eb->dirty = 0;
			if (eb->refs == 0) {
				list_add_eb(&fs->lru_head, &fs->lru_tail, eb);
				fs->eb_clean++;
			}
		}
		lru_trim(fs);
	}
	free(v);
	return ret;
}

void eb_cache_destroy(struct cowfs_fs *fs)
{
	struct rb_node *n;

	while ((n = rb_first(&fs->eb_tree))) {
		struct extent_buffer *eb = rb_entry(n, struct extent_buffer, rb);

		rb_erase(n, &fs->eb_tree);
		free(eb);
	}
	fs->eb_count = 0;
	fs->eb_clean = 0;
	fs->lru_head = fs->lru_tail = NULL;
	fs->dirty_head = fs->dirty_tail = NULL;
}
