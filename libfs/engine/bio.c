/* Write bios: see bio.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cowfs/error.h"
#include "engine/bio.h"
#include "engine/inode.h"
#include "engine/ordered-io.h"
#include "engine/writeback.h"
#include "util/crc32c.h"

static void bio_unlink_from_ordered(struct bio *bio)
{
	struct bio **link;

	if (!bio->oe)
		return;
	for (link = (struct bio **)&bio->oe->bios; *link; link = &(*link)->oe_next) {
		if (*link == bio) {
			*link = bio->oe_next;
			break;
		}
	}
}

/* end_page_writeback: the IO no longer needs the page. */
void end_page_writeback(struct page *page)
{
	page_end_writeback(page);
	page_clear(page, PG_csummed);
	page->wb_bio = NULL;
}

/* The last reference: a bio that never ended (a crash discarded its work)
 * lets go of its pages and its ordered extent too. */
static void bio_put(struct bio *bio)
{
	if (--bio->refs > 0)
		return;
	if (bio->stage != BIO_ENDED) {
		bio_unlink_from_ordered(bio);
		for (unsigned i = 0; i < bio->nr_pages; i++)
			end_page_writeback(bio->pages[i]);
	}
	for (unsigned i = 0; i < bio->nr_pages; i++)
		put_page(bio->pages[i]);
	if (bio->oe)
		put_ordered_extent(bio->oe);
	iput(bio->inode);
	free(bio->pages);
	free(bio);
}

void eng_queue_work(struct cowfs_engine *eng, struct workqueue *wq, struct work *w)
{
	if (!queue_work(&eng->ex, wq, w))
		return;
	eng_finding(eng, COWFS_FINDING_INVARIANT, "out of memory queueing the %s: ran it at once",
		    w->name);
	w->func(w);
	if (w->release)
		w->release(w);
}

static int bio_io_fn(struct work *w);
static int bio_submit_fn(struct work *w);

static void bio_io_release(struct work *w)
{
	bio_put((struct bio *)((char *)w - offsetof(struct bio, io_work)));
}

static void bio_submit_release(struct work *w)
{
	bio_put((struct bio *)((char *)w - offsetof(struct bio, submit_work)));
}

struct bio *bio_alloc(struct cowfs_engine *eng, struct inode *inode, struct ordered_extent *oe,
		      uint64_t disk_bytenr, uint64_t file_offset)
{
	struct bio *bio = calloc(1, sizeof(*bio));

	if (!bio)
		return NULL;
	bio->pages = calloc(BIO_MAX_PAGES, sizeof(*bio->pages));
	if (!bio->pages) {
		free(bio);
		return NULL;
	}
	bio->eng = eng;
	bio->inode = inode;
	ihold(inode);
	bio->oe = oe;
	if (oe) {
		get_ordered_extent(oe);
		bio->oe_next = oe->bios;
		oe->bios = bio;
	}
	bio->disk_bytenr = disk_bytenr;
	bio->file_offset = file_offset;
	bio->cap = BIO_MAX_PAGES;
	bio->builder = eng->current;
	bio->refs = 1;
	init_work(&bio->submit_work, "bio submission", bio_submit_fn, bio_submit_release, inode,
		  eng_line(eng));
	init_work(&bio->io_work, "bio completion", bio_io_fn, bio_io_release, inode,
		  eng_line(eng));
	return bio;
}

int bio_can_add(const struct bio *bio, const struct inode *inode,
		const struct ordered_extent *oe, uint64_t disk_bytenr, uint64_t file_offset)
{
	uint64_t len = (uint64_t)bio->nr_pages << PAGE_SHIFT;

	return bio->nr_pages < bio->cap && bio->inode == inode && bio->oe == oe &&
	       bio->disk_bytenr + len == disk_bytenr && bio->file_offset + len == file_offset;
}

int bio_add_page(struct bio *bio, struct page *page)
{
	if (bio->nr_pages >= bio->cap)
		return -ENOMEM;
	get_page(page);
	bio->pages[bio->nr_pages++] = page;
	page->wb_bio = bio;
	return 0;
}

void bio_abandon(struct bio *bio)
{
	bio_put(bio);
}

static uint64_t bio_last_index(const struct bio *bio)
{
	return (bio->file_offset >> PAGE_SHIFT) + bio->nr_pages - 1;
}

/* btrfs_csum_one_bio, then btrfs_map_bio: the device takes it from here. */
static void csum_one_bio(struct cowfs_engine *eng, struct bio *bio)
{
	for (unsigned i = 0; i < bio->nr_pages; i++) {
		struct page *page = bio->pages[i];

		ordered_set_csum(bio->oe, page_offset(page), cowfs_crc32c(page->data, PAGE_SIZE));
		page_set(page, PG_csummed);
	}
	bio->stage = BIO_IN_FLIGHT;
	bio->refs++;
	eng_queue_work(eng, &eng->endio, &bio->io_work);
	eng_event(eng, "pages %" PRIu64 "-%" PRIu64 " of %s: checksums computed (btrfs_csum_one_bio)",
		  bio->file_offset >> PAGE_SHIFT, bio_last_index(bio), bio->inode->path);
	eng_point(eng, COWFS_PT_WRITEBACK_CSUMMED, "pages %" PRIu64 "-%" PRIu64 " of %s",
		  bio->file_offset >> PAGE_SHIFT, bio_last_index(bio), bio->inode->path);
}

static int bio_submit_fn(struct work *w)
{
	struct bio *bio = (struct bio *)((char *)w - offsetof(struct bio, submit_work));

	csum_one_bio(bio->eng, bio);
	return 0;
}

void submit_one_bio(struct cowfs_engine *eng, struct bio *bio)
{
	bio->builder = NULL;
	if (!bio->oe) {
		/* before 247e743cbe6e nothing checksums an in-place rewrite */
		bio->stage = BIO_IN_FLIGHT;
		eng_queue_work(eng, &eng->endio, &bio->io_work);
		return;
	}
	if (bio->inode->sync_writers) {
		bio->refs--;	/* the io stage takes the reference back in csum_one_bio */
		csum_one_bio(eng, bio);
		return;
	}
	bio->stage = BIO_SUBMIT_QUEUED;
	bio->refs++;
	eng_queue_work(eng, &eng->workers, &bio->submit_work);
	bio_put(bio);	/* the builder's reference now belongs to the submission */
}

/* The device: read the pages as they are now and write them. */
static int bio_write(struct cowfs_engine *eng, struct bio *bio)
{
	size_t len = (size_t)bio->nr_pages << PAGE_SHIFT;
	uint8_t *buf = malloc(len);
	int ret;

	if (!buf)
		return -ENOMEM;
	for (unsigned i = 0; i < bio->nr_pages; i++) {
		memcpy(buf + ((size_t)i << PAGE_SHIFT), bio->pages[i]->data, PAGE_SIZE);
		page_clear(bio->pages[i], PG_csummed);
	}
	ret = cowfs_write_data(eng->fs, bio->disk_bytenr, buf, len);
	free(buf);
	return ret;
}

/* end_bio_extent_writepage */
static int bio_io_fn(struct work *w)
{
	struct bio *bio = (struct bio *)((char *)w - offsetof(struct bio, io_work));
	struct cowfs_engine *eng = bio->eng;
	int err = bio_write(eng, bio);

	bio->stage = BIO_ENDED;
	bio_unlink_from_ordered(bio);
	if (err)
		eng_finding(eng, COWFS_FINDING_IOERR,
			    "write of pages %" PRIu64 "-%" PRIu64 " of %s failed: %s",
			    bio->file_offset >> PAGE_SHIFT, bio_last_index(bio), bio->inode->path,
			    cowfs_strerror(err));
	else
		eng->stats.pages_written += bio->nr_pages;
	for (unsigned i = 0; i < bio->nr_pages; i++) {
		struct page *page = bio->pages[i];
		uint64_t start = bio->file_offset + ((uint64_t)i << PAGE_SHIFT);

		end_extent_writepage(eng, bio->inode, page, err, start, start + PAGE_SIZE - 1);
		end_page_writeback(page);
	}
	eng_event(eng, "pages %" PRIu64 "-%" PRIu64 " of %s: IO done at disk %" PRIu64 "%s",
		  bio->file_offset >> PAGE_SHIFT, bio_last_index(bio), bio->inode->path,
		  bio->disk_bytenr, bio->oe ? "" : " (in place)");
	eng_point(eng, COWFS_PT_WRITEBACK_IO_DONE, "pages %" PRIu64 "-%" PRIu64 " of %s",
		  bio->file_offset >> PAGE_SHIFT, bio_last_index(bio), bio->inode->path);
	return 0;
}

struct work *bio_pending_work(struct bio *bio)
{
	if (bio->io_work.state == WORK_QUEUED)
		return &bio->io_work;
	if (bio->submit_work.state == WORK_QUEUED)
		return &bio->submit_work;
	return NULL;
}

const struct task *bio_holder(const struct bio *bio)
{
	if (bio->stage == BIO_BUILDING)
		return bio->builder;
	if (bio->io_work.state == WORK_RUNNING)
		return bio->io_work.task;
	if (bio->submit_work.state == WORK_RUNNING)
		return bio->submit_work.task;
	return NULL;
}
