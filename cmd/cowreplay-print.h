/* cowreplay's output: findings and events as text or JSON, and the rows of the
 * matrix (one line or JSON object per profile). */
#ifndef COWFS_CMD_COWREPLAY_PRINT_H
#define COWFS_CMD_COWREPLAY_PRINT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cowfs/replay.h"

/* The matrix row being put together: its findings, as text or JSON members. */
struct replay_row {
	char *buf;
	size_t size;
	FILE *m;
	const char *label;		/* the kind of the last finding shown */
	uint64_t shown, more;
	bool nomem;
};

struct replay_print {
	bool json;
	int err;			/* -ENOMEM when a row could not be put together */
	struct replay_row row;
};

/* cowfs_replay_ops callbacks; arg: a struct replay_print. */
void print_finding(void *arg, const struct cowfs_replay_finding *f);
void print_event(void *arg, uint64_t line, const char *text);

/* The matrix callbacks, printing a row as each profile's replay ends. */
void print_matrix_ops(struct replay_print *p, struct cowfs_replay_matrix_ops *ops);

#endif
