/* Copying an image for a replay that must leave it alone (-o, --matrix).
 *
 * Holes stay holes: a 256 MiB image that holds a few MiB costs a few MiB to
 * copy, which matters when the matrix makes one copy per profile.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cowfs/disk.h"
#include "replay/replay-priv.h"

#define COPY_BUF (1u << 20)

static int copy_range(int in, int out, off_t from, off_t to, char *buf)
{
	while (from < to) {
		size_t n = (size_t)(to - from) < COPY_BUF ? (size_t)(to - from) : COPY_BUF;
		ssize_t got = pread(in, buf, n, from);

		if (got <= 0)
			return got < 0 ? -errno : -EIO;
		for (ssize_t done = 0; done < got;) {
			ssize_t w = pwrite(out, buf + done, (size_t)(got - done), from + done);

			if (w < 0)
				return -errno;
			done += w;
		}
		from += got;
	}
	return 0;
}

static int copy_fds(int in, int out, off_t end)
{
	char *buf = malloc(COPY_BUF);
	off_t pos = 0;
	int ret = buf ? 0 : -ENOMEM;

	while (ret == 0 && pos < end) {
		off_t data = lseek(in, pos, SEEK_DATA), hole;

		if (data < 0 && errno == ENXIO)
			break;			/* only a hole is left */
		if (data < 0)
			data = pos;		/* no SEEK_DATA here: copy everything */
		hole = lseek(in, data, SEEK_HOLE);
		if (hole < 0 || hole > end)
			hole = end;
		ret = copy_range(in, out, data, hole, buf);
		pos = hole;
	}
	free(buf);
	if (ret == 0 && ftruncate(out, end) < 0 && errno != EINVAL)
		ret = -errno;		/* EINVAL: out is a device, sized already */
	return ret;
}

static int copy_open(int in, const struct stat *si, const char *out, bool durable)
{
	struct stat so;
	off_t end = S_ISREG(si->st_mode) ? si->st_size : lseek(in, 0, SEEK_END);
	int fd, ret;

	if (end < 0)
		return -errno;
	if (stat(out, &so) == 0 && so.st_dev == si->st_dev && so.st_ino == si->st_ino)
		return -EEXIST;
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	ret = copy_fds(in, fd, end);
	if (ret == 0 && durable && fsync(fd) < 0)
		ret = -errno;
	if (close(fd) < 0 && ret == 0)
		ret = -errno;
	return ret;
}

int replay_copy_image(const char *image, const char *out, bool durable)
{
	struct stat si;
	char *src;
	int in, ret = cowfs_resolve_spec(image, &src);

	if (ret < 0)
		return ret;
	in = open(src, O_RDONLY | O_CLOEXEC);
	free(src);
	if (in < 0)
		return -errno;
	ret = fstat(in, &si) < 0 ? -errno : copy_open(in, &si, out, durable);
	close(in);
	return ret;
}

int cowfs_replay_copy_image(const char *image, const char *out)
{
	return replay_copy_image(image, out, true);
}
