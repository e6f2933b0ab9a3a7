/* The writepage start hook and the fixup worker, in each historical shape.
 *
 * A page dirtied without the filesystem (munmap, an unpinned DMA page) reaches
 * writeback with no delalloc and no ordered extent.  What happens to it is the
 * profile's oob switch: see doc/engine.md and §4-5 of the research notes.
 */
#ifndef COWFS_ENGINE_FIXUP_H
#define COWFS_ENGINE_FIXUP_H

#include "engine/fs-info.h"

/*
 * btrfs_writepage_cow_fixup: 0 if the page was set up for IO (Private2, now
 * consumed) or the profile has no hook; -EAGAIN: redirty it, a fixup is or was
 * queued; -EBUSY: leave it clean (87826df0ec36); -EUCLEAN: reject it (7ca3e84980ef).
 */
int writepage_cow_fixup(struct cowfs_engine *eng, struct inode *inode, struct page *page);

#endif
