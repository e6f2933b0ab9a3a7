/* Pass 5: the files of the image against an expected state.
 *
 * The earlier passes read the image block by block; this one reads it as a
 * filesystem (cowfs_open, read-only) because an expectation speaks of paths
 * and file bytes.  Each finding of cowfs_expect_check() becomes a problem of
 * its kind, with the same message: the template's %m is what the message
 * says after the path and range, which the JSON output keeps as "detail".
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/fsck.h"
#include "check/problem.h"
#include "cowfs/disk.h"
#include "cowfs/error.h"
#include "cowfs/expect.h"
#include "cowfs/trace.h"

static uint32_t finding_code(const struct cowfs_expect_finding *f)
{
	switch (f->kind) {
	case COWFS_EXPECT_CONTENT:
		return f->found == COWFS_STAMP_MIXED ? PR_5_MIXED : PR_5_CONTENT;
	case COWFS_EXPECT_SIZE:
		return PR_5_SIZE;
	case COWFS_EXPECT_MISSING:
		return PR_5_MISSING;
	case COWFS_EXPECT_UNEXPECTED:
		return PR_5_UNEXPECTED;
	case COWFS_EXPECT_TYPE:
		return PR_5_TYPE;
	case COWFS_EXPECT_CSUM:
		return PR_5_CHECKSUM;
	case COWFS_EXPECT_UNREADABLE:
		break;
	}
	return PR_5_UNREADABLE;
}

/* The part of f->message that the template's %m stands for: what follows the
 * path, the range and the template's own words.  The whole message if it does
 * not start that way (it always does: the unit suite holds the two together). */
static const char *message_detail(const struct cowfs_expect_finding *f, uint32_t code,
				  const struct cowfs_problem_ctx *pc, int *oom)
{
	char *head = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&head, &len);
	const char *detail = f->message;

	if (!m) {
		*oom = 1;
		return detail;
	}
	cowfs_text_path_format(m, f->path, strlen(f->path));
	if (pc->num)
		fprintf(m, " [%" PRIu64 ", %" PRIu64 ")", pc->file_off, pc->file_off + pc->num);
	fputs(": ", m);
	if (code == PR_5_SIZE)
		fprintf(m, "size %" PRIu64 ", ", f->size);
	else if (code == PR_5_UNREADABLE)
		fputs("unreadable: ", m);
	if (fclose(m) || !head)
		*oom = 1;
	else if (!strncmp(f->message, head, len))
		detail = f->message + len;
	free(head);
	return detail;
}

static void on_finding(void *arg, const struct cowfs_expect_finding *f)
{
	struct fsck_ctx *c = arg;
	uint32_t code = finding_code(f);
	struct cowfs_problem_ctx pc = { .path = f->path, .have = f->size };

	if (f->end > f->start && (f->kind == COWFS_EXPECT_CONTENT ||
				  f->kind == COWFS_EXPECT_CSUM ||
				  f->kind == COWFS_EXPECT_UNREADABLE)) {
		pc.file_off = f->start;
		pc.num = f->end - f->start;
	}
	pc.str = message_detail(f, code, &pc, &c->oom);
	fsck_report(c, code, &pc);
}

/* The image cannot be walked at all: one finding for its root. */
static void unreadable_root(struct fsck_ctx *c, int err)
{
	struct cowfs_problem_ctx pc = { .path = "/", .str = cowfs_strerror(err) };

	fsck_report(c, PR_5_UNREADABLE, &pc);
}

int fsck_pass5(struct fsck_ctx *c, const char *path)
{
	cowfs_fs *fs = NULL;
	int ret = cowfs_open(path, 0, &fs);

	if (ret == -ENOMEM)
		return ret;
	if (ret < 0) {
		unreadable_root(c, ret);
		return 0;
	}
	ret = cowfs_expect_check(fs, c->opts.expect, on_finding, c);
	cowfs_close(fs);
	if (ret == -ENOMEM)
		return ret;
	if (ret < 0)
		unreadable_root(c, ret);
	return 0;
}
