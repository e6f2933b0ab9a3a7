/* The comparison of an image with an expectation, shared by the namespace
 * walk (expect-check.c) and the byte comparison (expect-cmp.c). */
#ifndef COWFS_CHECK_EXPECT_CHECK_H
#define COWFS_CHECK_EXPECT_CHECK_H

#include "check/expect.h"

#define XCHECK_CHUNK (1u << 20)		/* bytes read at a time, a multiple of the block */

struct xcheck {
	cowfs_fs *fs;			/* NULL when comparing a buffer */
	const cowfs_expect *e;
	const struct cowfs_expect_ops *ops;
	bool *matched;			/* by entry index: the walk met it */
	char *path;			/* of the name being checked, "" for the root */
	size_t plen, pcap;
	uint8_t *buf;			/* XCHECK_CHUNK bytes */
	uint64_t *visited;		/* directory inode numbers, open addressing */
	size_t nr_visited, visited_cap;
	size_t findings;
	int quiet;			/* > 0: below a name the expectation does not describe */
	struct cowfs_expect_finding pend;	/* a data finding that may still grow */
	bool pending;
};

/* Fill f->message and report f (not when quiet).  0, or -ENOMEM. */
int xcheck_report(struct xcheck *x, struct cowfs_expect_finding *f);
/* Size and content of the present file ent, inode ino of size bytes. */
int xcheck_file(struct xcheck *x, const struct cowfs_expect_entry *ent, uint64_t ino,
		uint64_t size);

#endif
