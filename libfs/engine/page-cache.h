/* The page cache: 4 KiB pages per (inode, index), a global LRU and a budget.
 *
 * struct page keeps the flags of the kernel's struct page that the btrfs data
 * path uses (§2.2 of the research notes); its data is allocated only while the
 * page is in the cache.  Each mapping indexes its pages by index, and its dirty
 * pages a second time, as the radix tree's DIRTY tag does, so that writeback
 * finds the next dirty page in O(log n).  Reclaim takes pages oldest first and
 * only those the kernel may free: clean, unlocked, not under writeback and
 * referenced by nobody but the cache (is_page_cache_freeable()), after the
 * filesystem's releasepage agreed.
 */
#ifndef COWFS_ENGINE_PAGE_CACHE_H
#define COWFS_ENGINE_PAGE_CACHE_H

#include <stdint.h>

#include "util/rbtree.h"

#define PAGE_SHIFT	12
#define PAGE_SIZE	4096u

enum pageflags {
	PG_locked,
	PG_dirty,
	PG_uptodate,
	PG_writeback,
	PG_private,	/* managed by extent_io (set_page_extent_mapped) */
	PG_private_2,	/* "Ordered": an ordered extent covers it, set up for IO */
	PG_checked,	/* a fixup is queued for it */
	PG_error,
	/* the model's own, for its invariants */
	PG_oob,		/* made dirty by set_page_dirty alone, the filesystem not told */
	PG_csummed,	/* checksums computed for an IO that has not read the page yet */
	PG_NR
};

struct page_cache;

struct address_space {
	struct rb_root pages;		/* every cached page, by index */
	struct rb_root dirty;		/* PG_dirty pages, by index */
	uint64_t nrpages;
	uint64_t nrdirty;
	void *host;			/* the engine's inode */
	int wb_err;			/* first error of mapping_set_error(), until reported */
	struct page_cache *cache;
};

struct page {
	struct rb_node rb;
	struct rb_node dirty_rb;
	struct page *lru_prev, *lru_next;
	struct address_space *mapping;	/* NULL once the page left the cache */
	uint64_t index;
	unsigned flags;
	int refs;
	uint8_t *data;			/* PAGE_SIZE bytes while cached, else NULL */
	const void *lock_owner;		/* the task holding PG_locked */
	void *wb_bio;			/* the bio writing it, while PG_writeback */
	void *fixup;			/* the fixup work holding it, while queued */
};

struct page_cache {
	struct page lru;		/* sentinel: lru.lru_next is the oldest page */
	uint64_t nr_pages;
	uint64_t nr_dirty;		/* cached pages with PG_dirty */
	uint64_t nr_writeback;		/* pages with PG_writeback */
	uint64_t budget;		/* in pages; reclaim starts above it */
	uint64_t peak;
};

static inline int page_test(const struct page *p, enum pageflags f)
{
	return (p->flags >> f) & 1u;
}

static inline void page_set(struct page *p, enum pageflags f)
{
	p->flags |= 1u << f;
}

static inline void page_clear(struct page *p, enum pageflags f)
{
	p->flags &= ~(1u << f);
}

/* TestClearPagePrivate2 and friends: clear, and say whether it was set. */
static inline int page_test_clear(struct page *p, enum pageflags f)
{
	int old = page_test(p, f);

	page_clear(p, f);
	return old;
}

static inline uint64_t page_offset(const struct page *p)
{
	return p->index << PAGE_SHIFT;
}

void page_cache_init(struct page_cache *cache, uint64_t budget);
void mapping_init(struct address_space *mapping, struct page_cache *cache, void *host);

/* The cached page at index with a reference taken, or NULL. */
struct page *find_get_page(struct address_space *mapping, uint64_t index);
/* The first cached page at or after index (no reference taken), or NULL. */
struct page *find_first_page(struct address_space *mapping, uint64_t index);
/* The first dirty page at or after index (no reference taken), or NULL. */
struct page *find_first_dirty_page(struct address_space *mapping, uint64_t index);

/* A new zeroed page at index (which must not be cached), referenced by the cache
 * and by the caller, newest in the LRU.  0 or -ENOMEM. */
int add_to_page_cache(struct address_space *mapping, uint64_t index, struct page **out);
/* Take the page out of its mapping and the LRU, free its data, drop the cache's
 * reference.  The page must not be under writeback. */
void delete_from_page_cache(struct page *page);

void get_page(struct page *page);
void put_page(struct page *page);

/* PG_dirty with the mapping's dirty index kept in step.  Return the old bit. */
int page_test_set_dirty(struct page *page);
int page_test_clear_dirty(struct page *page);
/* PG_writeback with the cache's count kept in step. */
void page_set_writeback(struct page *page);
void page_end_writeback(struct page *page);

/* The page lock without waiting: 1 and owner recorded, or 0 if it is held. */
int page_trylock(struct page *page, const void *owner);
void page_unlock(struct page *page);

/* Move to the young end of the LRU (mark_page_accessed). */
void mark_page_accessed(struct page *page);

/* Record the first writeback error of a mapping (mapping_set_error()). */
void mapping_set_error(struct address_space *mapping, int err);

/*
 * Evict up to max pages, oldest first, of mapping (or of every mapping if NULL):
 * those that are clean, unlocked, not under writeback, held only by the cache,
 * and for which release(arg, page) returns 1 (the filesystem's releasepage).
 * At most max_scan pages are looked at, each once.  rotate: pages that cannot
 * go move to the young end, so that repeated budget reclaim does not rescan
 * them.  Returns pages evicted.
 */
uint64_t page_cache_reclaim(struct page_cache *cache, struct address_space *mapping,
			    uint64_t max, uint64_t max_scan, int rotate,
			    int (*release)(void *arg, struct page *page), void *arg);

/* Drop every page of the mapping at once, whatever its state (crash, close). */
void mapping_drop_all(struct address_space *mapping);

#endif
