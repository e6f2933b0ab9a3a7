/* The writeback engine: a userspace model of btrfs's data path over a cowfs image.
 *
 * Operations arrive as calls (the replay layer maps trace lines to them); each
 * carries the trace line it models, which every event and finding names.  The
 * engine keeps a page cache, an extent io tree and ordered extents per file, and
 * queues asynchronous work (fixups, checksumming bio submission, IO completion,
 * ordered-extent completion) that runs only when an operation runs it or waits
 * for it: see doc/engine.md.
 *
 * Re-entrancy: when the engine reaches a schedule point it calls ops.point; the
 * callee may call any operation here (a trace hook), except cowfs_engine_crash()
 * and cowfs_engine_close().  A hook that must stop everything calls
 * cowfs_engine_power_cut(), and the caller crashes once the outer call returns.
 *
 * Every function returns 0 (or a count) or a negative code (cowfs/error.h).
 * -EDEADLK means the operation would wait forever in the modelled kernel (a
 * finding says on what); the engine stays usable.
 */
#ifndef COWFS_ENGINE_H
#define COWFS_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "cowfs/disk.h"
#include "cowfs/points.h"

typedef struct cowfs_engine cowfs_engine;

/* ---- profiles: the engine's behaviour through btrfs history ---- */

/* What writepage does with a page dirtied behind the filesystem's back. */
enum cowfs_oob_mode {
	COWFS_OOB_NONE,			/* no start hook: written in place, or skipped over a hole */
	COWFS_OOB_FIXUP_NORESERVE,	/* fixup worker sets delalloc, reserves nothing */
	COWFS_OOB_FIXUP_EBUSY,		/* hook returns -EBUSY: the page stays clean */
	COWFS_OOB_FIXUP,		/* page kept dirty, worker reserves before locking */
	COWFS_OOB_REJECT,		/* page failed with -EUCLEAN, error on the mapping */
	COWFS_OOB_NR
};

struct cowfs_profile {
	const char *name;		/* "current", "linux-4.19", ... */
	const char *kernel;		/* which kernels behave so */
	enum cowfs_oob_mode oob;
	int write_cleans_pages;		/* buffered write cleans pages before copying */
	/* the on-disk size at ordered completion: 1 = i_size, as NO_HOLES filesystems
	 * since btrfs_inode_safe_disk_i_size_write; 0 = btrfs_ordered_update_i_size */
	int disk_i_size_no_holes;
};

int cowfs_profile_count(void);
const struct cowfs_profile *cowfs_profile_at(int i);	/* NULL when out of range */
const struct cowfs_profile *cowfs_profile_find(const char *name);	/* NULL if unknown */
const char *cowfs_oob_mode_name(enum cowfs_oob_mode mode);	/* "fixup-ebusy" */
/* The commit that introduced a behaviour, with its title, for --list-profiles. */
const char *cowfs_oob_mode_commit(enum cowfs_oob_mode mode);
const char *cowfs_write_cleans_commit(int cleans);
const char *cowfs_disk_i_size_commit(int no_holes);

/* ---- what the engine reports ---- */

enum cowfs_finding {
	COWFS_FINDING_INVARIANT = 1,	/* the model broke one of its own invariants */
	COWFS_FINDING_DEADLOCK,		/* a wait that can never end */
	COWFS_FINDING_CSUM,		/* a block read from disk does not match its checksum */
	COWFS_FINDING_IOERR,		/* data dropped with an error recorded on the file */
	COWFS_FINDING_STALL,		/* sync or fsync could not get every page written */
};
const char *cowfs_finding_name(enum cowfs_finding kind);

struct cowfs_engine_ops {
	/* one short line per state change, when opts.verbose is set */
	void (*event)(void *arg, uint64_t line, const char *text);
	void (*finding)(void *arg, uint64_t line, enum cowfs_finding kind, const char *text);
	/* a schedule point was reached while executing the operation of line; where
	 * says on what ("page 0 of /f") */
	void (*point)(void *arg, enum cowfs_point point, uint64_t line, const char *where);
	void *arg;
};

#define COWFS_ENGINE_DEFAULT_CACHE 65536	/* pages: 256 MiB */

struct cowfs_engine_opts {
	const struct cowfs_profile *profile;	/* NULL: "current" */
	uint64_t cache_pages;			/* 0: the default */
	uint64_t seed;				/* order of runnable work; 0: queue order */
	int verbose;
	struct cowfs_engine_ops ops;
};

struct cowfs_engine_stats {
	uint64_t pages_dirtied;		/* by the filesystem's own paths */
	uint64_t pages_dirtied_oob;	/* by set_page_dirty alone */
	uint64_t pages_written;		/* blocks whose IO completed */
	uint64_t pages_read;		/* blocks read from the image */
	uint64_t ordered_extents;
	uint64_t fixups_queued;
	uint64_t fixups_run;
	uint64_t pages_reclaimed;
	uint64_t write_retries;		/* short copies */
	uint64_t commits;
	uint64_t csum_errors;
	uint64_t work_run;
	uint64_t findings;
	uint64_t cache_peak;		/* pages */
};

/* Where written bytes come from: fill buf with the len bytes at file_off. */
typedef int (*cowfs_fill_fn)(void *arg, uint64_t file_off, void *buf, size_t len);

/* ---- life cycle ---- */

/* Open image read-write (spec as cowfs_open) and start an engine on it. */
int cowfs_engine_open(const char *image, const struct cowfs_engine_opts *opts,
		      cowfs_engine **out);
/* Drop the cache and queued work and close the image without committing. */
void cowfs_engine_close(cowfs_engine *eng);
/* The image as the engine has it now (it changes at each crash). */
cowfs_fs *cowfs_engine_fs(cowfs_engine *eng);
const struct cowfs_profile *cowfs_engine_profile(const cowfs_engine *eng);
void cowfs_engine_get_stats(const cowfs_engine *eng, struct cowfs_engine_stats *stats);

/* ---- namespace ---- */

int cowfs_engine_mkdir(cowfs_engine *eng, uint64_t line, const char *path);
int cowfs_engine_create(cowfs_engine *eng, uint64_t line, const char *path);
/* Remove a name; a file's pages go, its ordered extents are waited for first. */
int cowfs_engine_unlink(cowfs_engine *eng, uint64_t line, const char *path);
int cowfs_engine_truncate(cowfs_engine *eng, uint64_t line, const char *path, uint64_t size);
/* The size the file has in memory (i_size). */
int cowfs_engine_size(cowfs_engine *eng, const char *path, uint64_t *size);

/* ---- data ---- */

#define COWFS_NO_FAULT UINT64_MAX

/* btrfs_buffered_write of [off, off + len); fault: the first copy attempt stops
 * after that many bytes (COWFS_NO_FAULT: never). */
int cowfs_engine_write(cowfs_engine *eng, uint64_t line, const char *path, uint64_t off,
		       uint64_t len, cowfs_fill_fn fill, void *arg, uint64_t fault);
/* Stores through a shared mapping, each page through page_mkwrite.  The file
 * must cover the range (-ERANGE otherwise, as SIGBUS). */
int cowfs_engine_mwrite(cowfs_engine *eng, uint64_t line, const char *path, uint64_t off,
			uint64_t len, cowfs_fill_fn fill, void *arg);
/* Stores whose pages munmap dirties by set_page_dirty alone; each store waits
 * for writeback of its page first. */
int cowfs_engine_munmap(cowfs_engine *eng, uint64_t line, const char *path, uint64_t off,
			uint64_t len, cowfs_fill_fn fill, void *arg);
/* Stores by a pinned-page writer: no page_mkwrite, no wait for writeback. */
int cowfs_engine_pin_write(cowfs_engine *eng, uint64_t line, const char *path, uint64_t off,
			   uint64_t len, cowfs_fill_fn fill, void *arg);
/* Read through the cache into buf; *nread gets the bytes before EOF.  Blocks
 * failing their checksum read as 0x01 bytes (as the kernel fills them) and make
 * the call return -COWFS_ECSUM after filling everything. */
int cowfs_engine_read(cowfs_engine *eng, uint64_t line, const char *path, uint64_t off,
		      uint64_t len, void *buf, uint64_t *nread);

/* ---- memory, writeback, work, durability ---- */

/* Evict up to max evictable pages of path (NULL: of every file), oldest first. */
int64_t cowfs_engine_reclaim(cowfs_engine *eng, uint64_t line, const char *path, uint64_t max);
/* filemap_fdatawrite of path (NULL: every file); wait: also wait for the IO and
 * the ordered extents.  Pages that fail are findings and errors on the file's
 * mapping (fsync returns them); this fails only with -EDEADLK or -ENOMEM. */
int cowfs_engine_writeback(cowfs_engine *eng, uint64_t line, const char *path, int wait);
/* Run up to max queued work items; returns how many ran. */
int64_t cowfs_engine_run(cowfs_engine *eng, uint64_t line, uint64_t max);
/* Queued work items. */
uint64_t cowfs_engine_pending(const cowfs_engine *eng);
/* btrfs_sync_file, then a commit.  Returns what writeback left on the file's
 * mapping (-EIO, -ENOSPC, -EUCLEAN: each also a finding when it happened), once;
 * a writeback or ordered wait that fails returns before the commit, as the
 * kernel does. */
int cowfs_engine_fsync(cowfs_engine *eng, uint64_t line, const char *path);
int cowfs_engine_sync(cowfs_engine *eng, uint64_t line);
/* Commit the running transaction without flushing delalloc. */
int cowfs_engine_commit(cowfs_engine *eng, uint64_t line);
/* From now on nothing reaches the disk (for a crash hooked inside an operation). */
void cowfs_engine_power_cut(cowfs_engine *eng);
/* Power cut: drop the cache and all work, close the image without committing and
 * reopen it at its last commit.  Not from inside an operation (-EBUSY). */
int cowfs_engine_crash(cowfs_engine *eng, uint64_t line);

#endif
