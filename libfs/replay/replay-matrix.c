/* The matrix: one trace under every named profile (replay.h).
 *
 * Each profile replays onto a fresh scratch copy of the image, so the rows
 * are independent of each other and of their order, and the image itself is
 * only ever read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cowfs/error.h"
#include "replay/replay-priv.h"

/* Every profile with the sets applied, in cowfs_profile_at() order. */
static int matrix_profiles(const struct cowfs_replay_matrix_opts *opts,
			   struct cowfs_profile **out)
{
	int n = cowfs_profile_count();
	struct cowfs_profile *p = calloc((size_t)(n > 0 ? n : 1), sizeof(*p));

	if (!p)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		p[i] = *cowfs_profile_at(i);
		for (size_t k = 0; k < opts->nr_sets; k++) {
			int sw, ret = cowfs_replay_switch_set(&p[i], opts->sets[k], &sw);

			if (ret < 0) {
				free(p);
				return -EINVAL;
			}
		}
	}
	*out = p;
	return n;
}

static int scratch_file(const struct cowfs_replay_matrix_opts *opts, char **path)
{
	const char *dir = opts->tmpdir && *opts->tmpdir ? opts->tmpdir : P_tmpdir;
	int fd;

	if (asprintf(path, "%s/cowreplay-matrix.XXXXXX", dir) < 0) {
		*path = NULL;
		return -ENOMEM;
	}
	fd = mkstemp(*path);
	if (fd < 0) {
		int ret = -errno;

		free(*path);
		*path = NULL;
		return ret;
	}
	close(fd);
	return 0;
}

/* One row: 1 when it found errors, 0 when clean, negative when it did not run. */
static int matrix_row(const char *trace, const char *image, const char *scratch,
		      const struct cowfs_replay_matrix_opts *opts, const struct cowfs_profile *p,
		      const struct cowfs_replay_matrix_ops *ops, struct cowfs_trace_error *err)
{
	struct cowfs_replay_opts ro = opts->replay;
	struct cowfs_replay_ops rops = { .arg = ops ? ops->arg : NULL,
					 .finding = ops ? ops->finding : NULL };
	struct cowfs_replay_stats stats;
	int ret = replay_copy_image(image, scratch, false);

	if (ret < 0)
		return ret;
	ro.profile = p;
	ro.verbose = false;
	ro.expect_out = NULL;
	if (ops && ops->begin)
		ops->begin(ops->arg, p);
	ret = cowfs_replay(trace, scratch, &ro, &rops, &stats, err);
	if (ops && ops->end)
		ops->end(ops->arg, p, ret, &stats);
	return ret < 0 ? ret : stats.errors > 0;
}

int cowfs_replay_matrix(const char *trace, const char *image,
			const struct cowfs_replay_matrix_opts *opts,
			const struct cowfs_replay_matrix_ops *ops, struct cowfs_trace_error *err)
{
	static const struct cowfs_replay_matrix_opts defaults;
	struct cowfs_profile *profiles;
	char *scratch;
	int n, ret, found = 0;

	if (!opts)
		opts = &defaults;
	if ((ret = cowfs_trace_validate(trace, err)) < 0)
		return ret;
	if ((n = matrix_profiles(opts, &profiles)) < 0)
		return n;
	ret = scratch_file(opts, &scratch);
	for (int i = 0; ret >= 0 && i < n; i++) {
		ret = matrix_row(trace, image, scratch, opts, &profiles[i], ops, err);
		found += ret > 0;
	}
	if (scratch) {
		unlink(scratch);
		free(scratch);
	}
	free(profiles);
	return ret < 0 ? ret : found;
}
