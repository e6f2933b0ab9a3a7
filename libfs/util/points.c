#include <string.h>

#include "cowfs/points.h"

static const struct {
	const char *name;
	const char *help;
} points[COWFS_PT_NR] = {
	[COWFS_PT_WRITE_COPIED] = { "write.copied",
		"buffered write: user data copied into the locked pages, before they are dirtied" },
	[COWFS_PT_WRITE_RETRY] = { "write.retry",
		"buffered write: a short copy dropped the page and extent locks; before relocking" },
	[COWFS_PT_WRITEBACK_CLEANED] = { "writeback.cleaned",
		"writeback cleared a page's dirty bit (clear_page_dirty_for_io), before the start hook" },
	[COWFS_PT_WRITEBACK_FIXUP_QUEUED] = { "writeback.fixup_queued",
		"the start hook queued a fixup for an out-of-band dirty page" },
	[COWFS_PT_WRITEBACK_CSUMMED] = { "writeback.csummed",
		"a write bio's checksums were computed; its IO is in flight" },
	[COWFS_PT_WRITEBACK_IO_DONE] = { "writeback.io_done",
		"the IO finished; the ordered extent has not finished yet" },
	[COWFS_PT_FIXUP_RUN] = { "fixup.run",
		"a fixup worker took a page, before it locks it" },
	[COWFS_PT_COMMIT_START] = { "commit.start",
		"a transaction commit begins" },
};

const char *cowfs_point_name(enum cowfs_point p)
{
	return (unsigned)p < COWFS_PT_NR ? points[p].name : NULL;
}

const char *cowfs_point_help(enum cowfs_point p)
{
	return (unsigned)p < COWFS_PT_NR ? points[p].help : NULL;
}

int cowfs_point_lookup(const char *name, unsigned long len)
{
	for (int i = 0; i < COWFS_PT_NR; i++)
		if (strlen(points[i].name) == len && !memcmp(points[i].name, name, len))
			return i;
	return -1;
}
