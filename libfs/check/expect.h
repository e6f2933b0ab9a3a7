/* The expectation model, shared by its builder, its file reader and writer,
 * and the comparison with an image. */
#ifndef COWFS_CHECK_EXPECT_H
#define COWFS_CHECK_EXPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cowfs/expect.h"
#include "util/rbtree.h"

struct cowfs_expect_entry {
	struct rb_node node;		/* in cowfs_expect.paths, by path bytes */
	size_t index;			/* 0.. in insertion order: the check's seen[] slot */
	char *path;
	size_t path_len;
	enum cowfs_expect_type type;
	enum cowfs_expect_presence presence;
	uint64_t *sizes;
	size_t nr_sizes, sizes_cap;
	struct cowfs_size_span *spans;
	size_t nr_spans, spans_cap;
	struct cowfs_expect_range *ranges;	/* each owns its cands array */
	size_t nr_ranges, ranges_cap;
};

struct cowfs_expect {
	struct rb_root paths;
	size_t count;
};

/* The largest allowed size, 0 if none. */
uint64_t expect_max_size(const struct cowfs_expect_entry *ent);
bool expect_has_size(const struct cowfs_expect_entry *ent, uint64_t size);
/* Whether size lies in one of the runs of allowed sizes. */
bool expect_in_span(const struct cowfs_expect_entry *ent, uint64_t size);
/* The index of the first range ending after off (nr_ranges if none). */
size_t expect_range_at(const struct cowfs_expect_entry *ent, uint64_t off);

/* The implicit candidate of bytes no range covers. */
extern const struct cowfs_expect_cand expect_zeros;

#endif
