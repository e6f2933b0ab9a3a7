/* Schedule points: the places in the engine where a trace hook (@POINT) can run.
 *
 * Shared by the trace parser (which names them) and the engine (which reaches
 * them), so it lives below both.  The first block is the contract of
 * TRACE-FORMAT.md; engines may offer more after it, never renumber.
 */
#ifndef COWFS_POINTS_H
#define COWFS_POINTS_H

enum cowfs_point {
	COWFS_PT_WRITE_COPIED,		/* write.copied */
	COWFS_PT_WRITE_RETRY,		/* write.retry */
	COWFS_PT_WRITEBACK_CLEANED,	/* writeback.cleaned */
	COWFS_PT_WRITEBACK_FIXUP_QUEUED,/* writeback.fixup_queued */
	COWFS_PT_WRITEBACK_CSUMMED,	/* writeback.csummed */
	COWFS_PT_WRITEBACK_IO_DONE,	/* writeback.io_done */
	COWFS_PT_FIXUP_RUN,		/* fixup.run */
	COWFS_PT_COMMIT_START,		/* commit.start */
	COWFS_PT_NR
};

/* "write.copied" etc.; NULL for an out-of-range value. */
const char *cowfs_point_name(enum cowfs_point p);
/* One line describing where the point is, for --list-points. */
const char *cowfs_point_help(enum cowfs_point p);
/* The point named name (length len), or -1. */
int cowfs_point_lookup(const char *name, unsigned long len);

#endif
