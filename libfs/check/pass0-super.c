/* Pass 0: the superblock copies.  The newest valid copy is checked; the
 * other must be its twin, or one generation behind when the commit that
 * wrote them (primary first, then backup) was cut between the two writes. */
#include <string.h>

#include "check/fsck.h"
#include "check/problem.h"
#include "cowfs/error.h"
#include "disk/verify.h"

static const uint64_t super_offsets[COWFS_SUPER_COPIES] = {
	COWFS_SUPER_OFFSET, COWFS_SUPER_BACKUP
};

struct sb_copy {
	struct cowfs_super sb;
	int usable;
	int too_big;			/* valid but longer than the image */
};

static void read_copy(struct fsck_ctx *c, int i, struct sb_copy *cp)
{
	struct cowfs_problem_ctx pc = { .copy = i, .bytenr = super_offsets[i] };
	struct cowfs_block_err err;
	int ret;

	if (super_offsets[i] + COWFS_BLOCK_SIZE > c->dev.size) {
		pc.str = "past the end of the image";
		fsck_report(c, PR_0_SUPER_READ, &pc);
		return;
	}
	ret = dev_pread(&c->dev, &cp->sb, sizeof(cp->sb), super_offsets[i]);
	if (ret < 0) {
		pc.str = cowfs_strerror(ret);
		fsck_report(c, PR_0_SUPER_READ, &pc);
		return;
	}
	ret = cowfs_verify_super(&cp->sb, super_offsets[i], c->dev.size, &err);
	if (ret < 0 && err.status != COWFS_SUPER_TOO_BIG) {
		pc.str = err.msg;
		fsck_report(c, PR_0_SUPER_INVALID, &pc);
		return;
	}
	cp->usable = 1;
	cp->too_big = ret < 0;
}

/* Equal apart from the fields that differ by design between copies. */
static int copies_equal(const struct cowfs_super *a, const struct cowfs_super *b)
{
	struct cowfs_super x = *a, y = *b;

	memset(x.csum, 0, sizeof(x.csum));
	memset(y.csum, 0, sizeof(y.csum));
	cowfs_set_super_bytenr(&x, 0);
	cowfs_set_super_bytenr(&y, 0);
	return memcmp(&x, &y, sizeof(x)) == 0;
}

static void compare_copies(struct fsck_ctx *c, const struct sb_copy *cp, int best)
{
	int o = !best;
	uint64_t bg = cowfs_super_generation(&cp[best].sb);
	uint64_t og = cowfs_super_generation(&cp[o].sb);
	struct cowfs_problem_ctx pc = { .copy = o, .have = og, .expect = bg };

	if (!cp[o].usable)
		return;
	if (og == bg) {
		if (!copies_equal(&cp[0].sb, &cp[1].sb))
			fsck_report(c, PR_0_COPIES_DIFFER, &pc);
		return;
	}
	/* The backup is written after the primary: only it can be left one behind. */
	if (o == 1 && og + 1 == bg && !memcmp(cp[0].sb.fsid, cp[1].sb.fsid, COWFS_FSID_SIZE))
		fsck_report(c, PR_0_INTERRUPTED_COMMIT, &pc);
	else
		fsck_report(c, PR_0_STALE_COPY, &pc);
}

int fsck_pass0(struct fsck_ctx *c)
{
	struct sb_copy cp[COWFS_SUPER_COPIES];
	struct cowfs_problem_ctx pc = { 0 };
	int best = -1;

	memset(cp, 0, sizeof(cp));
	for (int i = 0; i < COWFS_SUPER_COPIES; i++) {
		read_copy(c, i, &cp[i]);
		if (cp[i].usable && (best < 0 || cowfs_super_generation(&cp[i].sb) >
					       cowfs_super_generation(&cp[best].sb)))
			best = i;
	}
	if (best < 0) {
		fsck_report(c, PR_0_NO_SUPER, &pc);
		return 1;
	}
	if (best == 1 && !cp[0].usable) {
		pc.bytenr = super_offsets[1];
		pc.have = cowfs_super_generation(&cp[1].sb);
		fsck_report(c, PR_0_USING_BACKUP, &pc);
	}
	compare_copies(c, cp, best);
	c->sb = cp[best].sb;
	c->gen = cowfs_super_generation(&c->sb);
	c->total_bytes = cowfs_super_total_bytes(&c->sb);
	memcpy(c->fsid, c->sb.fsid, COWFS_FSID_SIZE);
	c->sum->super_copy = best;
	c->sum->generation = c->gen;
	c->sum->total_bytes = c->total_bytes;
	c->sum->bytes_used = cowfs_super_bytes_used(&c->sb);
	if (cp[best].too_big) {
		pc = (struct cowfs_problem_ctx){ .have = c->dev.size, .expect = c->total_bytes };
		fsck_report(c, PR_0_TRUNCATED, &pc);
	}
	return 0;
}
