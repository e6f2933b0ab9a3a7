/* The page cache: see page-cache.h. */
#include <errno.h>
#include <stdlib.h>

#include "engine/page-cache.h"

static struct page *page_of(const struct rb_node *n)
{
	return rb_entry_safe(n, struct page, rb);
}

static struct page *dirty_page_of(const struct rb_node *n)
{
	return rb_entry_safe(n, struct page, dirty_rb);
}

void page_cache_init(struct page_cache *cache, uint64_t budget)
{
	cache->lru.lru_next = cache->lru.lru_prev = &cache->lru;
	cache->nr_pages = 0;
	cache->budget = budget;
	cache->peak = 0;
}

void mapping_init(struct address_space *mapping, struct page_cache *cache, void *host)
{
	mapping->pages = RB_ROOT;
	mapping->dirty = RB_ROOT;
	mapping->nrpages = 0;
	mapping->nrdirty = 0;
	mapping->host = host;
	mapping->wb_err = 0;
	mapping->cache = cache;
}

static void lru_del(struct page *p)
{
	p->lru_prev->lru_next = p->lru_next;
	p->lru_next->lru_prev = p->lru_prev;
	p->lru_next = p->lru_prev = NULL;
}

static void lru_add_tail(struct page_cache *cache, struct page *p)
{
	p->lru_prev = cache->lru.lru_prev;
	p->lru_next = &cache->lru;
	cache->lru.lru_prev->lru_next = p;
	cache->lru.lru_prev = p;
}

struct page *find_get_page(struct address_space *mapping, uint64_t index)
{
	struct rb_node *n = mapping->pages.rb_node;

	while (n) {
		struct page *p = page_of(n);

		if (index < p->index) {
			n = n->rb_left;
		} else if (index > p->index) {
			n = n->rb_right;
		} else {
			get_page(p);
			return p;
		}
	}
	return NULL;
}

/* The first node of root (pages or dirty index) with index >= the given one. */
static struct rb_node *first_at_or_after(const struct rb_root *root, uint64_t index,
					 struct page *(*of)(const struct rb_node *))
{
	struct rb_node *n = root->rb_node, *found = NULL;

	while (n) {
		if (of(n)->index >= index) {
			found = n;
			n = n->rb_left;
		} else {
			n = n->rb_right;
		}
	}
	return found;
}

struct page *find_first_page(struct address_space *mapping, uint64_t index)
{
	return page_of(first_at_or_after(&mapping->pages, index, page_of));
}

struct page *find_first_dirty_page(struct address_space *mapping, uint64_t index)
{
	return dirty_page_of(first_at_or_after(&mapping->dirty, index, dirty_page_of));
}

static void index_insert(struct rb_root *root, struct rb_node *node, uint64_t index,
			 struct page *(*of)(const struct rb_node *))
{
	struct rb_node **link = &root->rb_node, *parent = NULL;

	while (*link) {
		parent = *link;
		link = index < of(parent)->index ? &parent->rb_left : &parent->rb_right;
	}
	rb_link_node(node, parent, link);
	rb_insert_color(node, root);
}

int add_to_page_cache(struct address_space *mapping, uint64_t index, struct page **out)
{
	struct page_cache *cache = mapping->cache;
	struct page *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->data = calloc(1, PAGE_SIZE);
	if (!p->data) {
		free(p);
		return -ENOMEM;
	}
	p->index = index;
	p->mapping = mapping;
	p->refs = 2;
	index_insert(&mapping->pages, &p->rb, index, page_of);
	mapping->nrpages++;
	lru_add_tail(cache, p);
	if (++cache->nr_pages > cache->peak)
		cache->peak = cache->nr_pages;
	*out = p;
	return 0;
}

void delete_from_page_cache(struct page *p)
{
	struct address_space *mapping = p->mapping;

	if (!mapping)
		return;
	page_test_clear_dirty(p);
	rb_erase(&p->rb, &mapping->pages);
	mapping->nrpages--;
	lru_del(p);
	mapping->cache->nr_pages--;
	free(p->data);
	p->data = NULL;
	p->mapping = NULL;
	put_page(p);
}

void get_page(struct page *p)
{
	p->refs++;
}

void put_page(struct page *p)
{
	if (--p->refs > 0)
		return;
	free(p->data);
	free(p);
}

int page_test_set_dirty(struct page *p)
{
	if (page_test(p, PG_dirty))
		return 1;
	page_set(p, PG_dirty);
	if (p->mapping) {
		index_insert(&p->mapping->dirty, &p->dirty_rb, p->index, dirty_page_of);
		p->mapping->nrdirty++;
		p->mapping->cache->nr_dirty++;
	}
	return 0;
}

int page_test_clear_dirty(struct page *p)
{
	if (!page_test(p, PG_dirty))
		return 0;
	page_clear(p, PG_dirty);
	if (p->mapping) {
		rb_erase(&p->dirty_rb, &p->mapping->dirty);
		p->mapping->nrdirty--;
		p->mapping->cache->nr_dirty--;
	}
	return 1;
}

void page_set_writeback(struct page *p)
{
	if (page_test(p, PG_writeback) || !p->mapping)
		return;
	page_set(p, PG_writeback);
	p->mapping->cache->nr_writeback++;
}

void page_end_writeback(struct page *p)
{
	if (!page_test(p, PG_writeback))
		return;
	page_clear(p, PG_writeback);
	if (p->mapping)
		p->mapping->cache->nr_writeback--;
}

int page_trylock(struct page *p, const void *owner)
{
	if (page_test(p, PG_locked))
		return 0;
	page_set(p, PG_locked);
	p->lock_owner = owner;
	return 1;
}

void page_unlock(struct page *p)
{
	page_clear(p, PG_locked);
	p->lock_owner = NULL;
}

void mark_page_accessed(struct page *p)
{
	if (!p->mapping)
		return;
	lru_del(p);
	lru_add_tail(p->mapping->cache, p);
}

void mapping_set_error(struct address_space *mapping, int err)
{
	if (mapping && err && !mapping->wb_err)
		mapping->wb_err = err;
}

static int freeable(const struct page *p)
{
	return !page_test(p, PG_locked) && !page_test(p, PG_dirty) &&
	       !page_test(p, PG_writeback) && p->refs == 1;
}

uint64_t page_cache_reclaim(struct page_cache *cache, struct address_space *mapping,
			    uint64_t max, uint64_t max_scan, int rotate,
			    int (*release)(void *arg, struct page *page), void *arg)
{
	uint64_t scan = cache->nr_pages < max_scan ? cache->nr_pages : max_scan, evicted = 0;
	struct page *p = cache->lru.lru_next;

	while (scan-- && p != &cache->lru && evicted < max) {
		struct page *next = p->lru_next;

		if (!mapping || p->mapping == mapping) {
			if (freeable(p) && (!release || release(arg, p))) {
				delete_from_page_cache(p);
				evicted++;
			} else if (rotate && next != &cache->lru) {
				mark_page_accessed(p);
			}
		}
		p = next;
	}
	return evicted;
}

void mapping_drop_all(struct address_space *mapping)
{
	struct rb_node *n;

	while ((n = rb_first(&mapping->pages))) {
		struct page *p = page_of(n);

		page_end_writeback(p);
		delete_from_page_cache(p);
	}
}
