/* cowmkfs --rootdir: populate a new filesystem from a directory tree. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "cowfs/disk.h"
#include "cowfs/error.h"
#include "cowfs/layout.h"
#include "messages.h"
#include "options.h"
#include "mkfs-rootdir.h"

/* The scan comes first and reads every directory and opens every file, so
 * that everything that can fail on the source fails before the image is
 * touched; the copy then follows the scan, in name order, which makes the
 * inode numbers and the layout a function of the tree alone.
 */

#define CHUNK		COWFS_MAX_EXTENT	/* one read, one uncompressed extent */
#define COMMIT_EVERY	(256 * MiB)		/* of data: bounds the running transaction */

static uint64_t round_up(uint64_t v, uint64_t to)
{
	return (v + to - 1) / to * to;
}

static char *join(const char *dir, const char *name)
{
	size_t n = strlen(dir);
	char *s = malloc(n + strlen(name) + 2);

	if (s)
		sprintf(s, "%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/", name);
	else
		error("out of memory");
	return s;
}

void rootdir_init(struct rootdir_scan *s, int compress)
{
	memset(s, 0, sizeof(*s));
	s->compress = compress;
}

static void node_free(struct rootdir_node *n)
{
	for (size_t i = 0; i < n->nkids; i++)
		node_free(&n->kids[i]);
	free(n->kids);
	free(n->name);
}

void rootdir_free(struct rootdir_scan *s)
{
	node_free(&s->root);
	memset(&s->root, 0, sizeof(s->root));
}

/* scan */

static const char *type_name(mode_t mode)
{
	if (S_ISLNK(mode))
		return "symbolic link";
	if (S_ISBLK(mode))
		return "block device";
	if (S_ISCHR(mode))
		return "character device";
	if (S_ISFIFO(mode))
		return "fifo";
	if (S_ISSOCK(mode))
		return "socket";
	return "file of unknown type";
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in path, sorted by bytes (not by locale: the layout must not depend on it). */
static char **list_dir(const char *path, size_t *count)
{
	DIR *d = opendir(path);
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;

	if (!d) {
		error("cannot open directory %s: %s", path, strerror(errno));
		return NULL;
	}
	errno = 0;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (n == cap) {
			char **v = realloc(names, (cap = cap ? cap * 2 : 16) * sizeof(*v));
			if (!v)
				goto nomem;
			names = v;
		}
		if (!(names[n] = strdup(e->d_name)))
			goto nomem;
		n++;
		errno = 0;
	}
	if (errno) {
		error("cannot read directory %s: %s", path, strerror(errno));
		goto fail;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_names);
	*count = n;
	return names ? names : calloc(1, sizeof(*names));
nomem:
	error("out of memory reading directory %s", path);
fail:
	while (n)
		free(names[--n]);
	free(names);
	closedir(d);
	return NULL;
}

static void account_file(struct rootdir_scan *s, const struct stat *st)
{
	uint64_t size = round_up((uint64_t)st->st_size, COWFS_BLOCK);
	uint64_t alloc = (uint64_t)st->st_blocks * 512;

	/* holes are not copied; count what is allocated when it is clearly less */
	if (alloc < size / 2)
		size = round_up(alloc, COWFS_BLOCK);
	s->files++;
	s->data_bytes += size;
	s->extents += (size + (s->compress ? COWFS_MAX_COMPRESSED : CHUNK) - 1) /
		      (s->compress ? COWFS_MAX_COMPRESSED : CHUNK);
}

/* Check an entry; 1 to keep it, 0 to leave it out, -1 on error. */
static int scan_entry(struct rootdir_scan *s, struct rootdir_node *kid, const char *path,
		      const dev_t *skip_dev, ino_t skip_ino)
{
	if (lstat(path, &kid->st) < 0) {
		error("cannot stat %s: %s", path, strerror(errno));
		return -1;
	}
	if (skip_dev && kid->st.st_dev == *skip_dev && kid->st.st_ino == skip_ino) {
		warning("%s is the image being made, skipped", path);
		return 0;
	}
	if (!S_ISREG(kid->st.st_mode) && !S_ISDIR(kid->st.st_mode)) {
		warning("%s is a %s, skipped", path, type_name(kid->st.st_mode));
		return 0;
	}
	if (strlen(kid->name) > COWFS_NAME_MAX) {
		error("%s: name longer than %d bytes", path, COWFS_NAME_MAX);
		return -1;
	}
	s->name_bytes += strlen(kid->name);
	if (S_ISDIR(kid->st.st_mode))
		return 1;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		error("cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	close(fd);
	account_file(s, &kid->st);
	return 1;
}

static int scan_dir(struct rootdir_scan *s, struct rootdir_node *dir, const char *path,
		    const dev_t *skip_dev, ino_t skip_ino)
{
	size_t n = 0;
	char **names = list_dir(path, &n);
	int ret = 0;

	if (!names)
		return -1;
	s->dirs++;
	dir->kids = calloc(n ? n : 1, sizeof(*dir->kids));
	if (!dir->kids) {
		error("out of memory reading directory %s", path);
		ret = -1;
	}
	for (size_t i = 0; ret == 0 && i < n; i++) {
		struct rootdir_node *kid = &dir->kids[dir->nkids];
		char *sub = join(path, names[i]);

		kid->name = names[i];
		names[i] = NULL;
		ret = sub ? scan_entry(s, kid, sub, skip_dev, skip_ino) : -1;
		if (ret > 0 && S_ISDIR(kid->st.st_mode))
			ret = scan_dir(s, kid, sub, skip_dev, skip_ino) < 0 ? -1 : 1;
		free(sub);
		if (ret > 0) {
			dir->nkids++;
			ret = 0;
		} else {
			node_free(kid);
			memset(kid, 0, sizeof(*kid));
		}
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return ret < 0 ? -1 : 0;
}

/* Regular files and directories are kept; anything else is warned about and left
 * out, as is the image itself when it lies inside the tree (skip_dev given). */
int rootdir_scan(struct rootdir_scan *s, const char *dir, const dev_t *skip_dev,
		 ino_t skip_ino)
{
	if (stat(dir, &s->root.st) < 0) {
		error("cannot stat %s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(s->root.st.st_mode)) {
		error("%s is not a directory", dir);
		return -1;
	}
	s->root.name = strdup(dir);
	if (!s->root.name) {
		error("out of memory");
		return -1;
	}
	return scan_dir(s, &s->root, dir, skip_dev, skip_ino);
}

/* sizing */

/* Bytes of filesystem the tree needs, metadata and its copy-on-write churn included. */
uint64_t rootdir_needed(const struct rootdir_scan *s)
{
	uint64_t inodes = s->files + s->dirs;
	/* inode item, inode ref and dir entry per inode; file extent, extent item and
	 * csums per extent; all at 25 bytes of item header each */
	uint64_t items = inodes * 256 + 2 * s->name_bytes + s->extents * 195 +
			 s->data_bytes / COWFS_BLOCK * 4;

	/* leaves split half full, and a transaction keeps the blocks it COWs pinned */
	return MiB + s->data_bytes + 4 * items + 4 * MiB;
}

uint64_t rootdir_image_size(const struct rootdir_scan *s, uint64_t min)
{
	uint64_t need = rootdir_needed(s);
	uint64_t size = round_up(need + need / 8 + 16 * MiB, MiB);

	return size < min ? min : size;
}

/* copy */

struct copy_ctx {
	cowfs_fs *fs;
	const int64_t *epoch;
	uint8_t *buf;
	uint64_t since_commit;
};

/* atime and ctime follow mtime: the source's atime moves as we read it. */
static void attrs_of(const struct copy_ctx *c, const struct stat *st, struct cowfs_inode *in)
{
	memset(in, 0, sizeof(*in));
	in->mode = st->st_mode & (S_IFMT | 07777);
	in->uid = st->st_uid;
	in->gid = st->st_gid;
	in->mtime = c->epoch ? *c->epoch : (int64_t)st->st_mtim.tv_sec;
	in->mtime_ns = c->epoch ? 0 : (uint32_t)st->st_mtim.tv_nsec;
	in->atime = in->ctime = in->mtime;
	in->atime_ns = in->ctime_ns = in->mtime_ns;
}

static int fs_error(int ret, const char *what, const char *path)
{
	if (ret == -ENOSPC)
		error("the image is full while %s %s", what, path);
	else
		error_errno(ret, "error while %s %s", what, path);
	return -1;
}

static int commit_if_due(struct copy_ctx *c, const char *path)
{
	int ret;

	if (c->since_commit < COMMIT_EVERY)
		return 0;
	c->since_commit = 0;
	ret = cowfs_commit(c->fs);
	return ret < 0 ? fs_error(ret, "committing after", path) : 0;
}

/* Copy [start, end) of the source; a short read means the file shrank meanwhile. */
static int copy_range(struct copy_ctx *c, int fd, const char *path, uint64_t ino,
		      uint64_t start, uint64_t end)
{
	for (uint64_t pos = start; pos < end; ) {
		/* chunks on CHUNK boundaries of the file make one extent each */
		size_t n = CHUNK - pos % CHUNK < end - pos ? CHUNK - pos % CHUNK : end - pos;
		ssize_t got = pread(fd, c->buf, n, (off_t)pos);
		int ret;

		if (got < 0) {
			error("cannot read %s: %s", path, strerror(errno));
			return -1;
		}
		if (got == 0) {
			warning("%s shrank while being copied", path);
			return 0;
		}
		ret = cowfs_write_file(c->fs, ino, pos, c->buf, (size_t)got);
		if (ret < 0)
			return fs_error(ret, "copying", path);
		pos += (uint64_t)got;
		c->since_commit += (uint64_t)got;
		if (commit_if_due(c, path) < 0)
			return -1;
	}
	return 0;
}

/* The next data range at or after off, block-aligned; [size, size) when none. */
static void next_data(int fd, uint64_t off, uint64_t size, uint64_t *start, uint64_t *end)
{
	off_t d = lseek(fd, (off_t)off, SEEK_DATA);
	off_t h = d < 0 ? -1 : lseek(fd, d, SEEK_HOLE);

	if (d < 0 && errno == ENXIO) {
		*start = *end = size;
		return;
	}
	/* no SEEK_DATA here: everything is data */
	*start = d < 0 ? off : (uint64_t)d / COWFS_BLOCK * COWFS_BLOCK;
	*end = h < 0 ? size : round_up((uint64_t)h, COWFS_BLOCK);
	if (*start < off)
		*start = off;
	if (*end > size)
		*end = size;
}

static int copy_file(struct copy_ctx *c, const struct rootdir_node *f, const char *path,
		     uint64_t ino)
{
	uint64_t size = (uint64_t)f->st.st_size, off = 0;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	int ret = 0;

	if (fd < 0) {
		error("cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	while (ret == 0 && off < size) {
		uint64_t start, end;

		next_data(fd, off, size, &start, &end);
		if (start >= end)
			break;
		ret = copy_range(c, fd, path, ino, start, end);
		off = end;
	}
	close(fd);
	/* a hole at the end: no extent grew i_size that far */
	if (ret == 0 && (ret = cowfs_truncate(c->fs, ino, size)) < 0)
		return fs_error(ret, "copying", path);
	return ret;
}

/* Adding entries may touch a directory's times: set them once it is complete. */
static int set_times(struct copy_ctx *c, uint64_t ino, const struct cowfs_inode *attrs,
		     const char *path)
{
	struct cowfs_inode in;
	int ret = cowfs_read_inode(c->fs, ino, &in);

	if (ret == 0) {
		in.mode = attrs->mode;
		in.uid = attrs->uid;
		in.gid = attrs->gid;
		in.atime = attrs->atime;
		in.mtime = attrs->mtime;
		in.ctime = attrs->ctime;
		in.atime_ns = attrs->atime_ns;
		in.mtime_ns = attrs->mtime_ns;
		in.ctime_ns = attrs->ctime_ns;
		ret = cowfs_write_inode(c->fs, &in);
	}
	return ret < 0 ? fs_error(ret, "setting the attributes of", path) : 0;
}

static int copy_dir(struct copy_ctx *c, const struct rootdir_node *dir, uint64_t dino,
		    const char *path)
{
	for (size_t i = 0; i < dir->nkids; i++) {
		const struct rootdir_node *kid = &dir->kids[i];
		struct cowfs_inode attrs;
		char *sub = join(path, kid->name);
		uint64_t ino;
		int ret;

		if (!sub)
			return -1;
		attrs_of(c, &kid->st, &attrs);
		ret = cowfs_create(c->fs, dino, kid->name, strlen(kid->name), attrs.mode,
				   &attrs, &ino);
		if (ret < 0)
			ret = fs_error(ret, "creating", sub);
		else if (S_ISDIR(kid->st.st_mode))
			ret = copy_dir(c, kid, ino, sub);
		else
			ret = copy_file(c, kid, sub, ino);
		free(sub);
		if (ret < 0)
			return -1;
	}
	struct cowfs_inode attrs;
	attrs_of(c, &dir->st, &attrs);
	return set_times(c, dino, &attrs, path);
}

/* Every timestamp is *epoch when given, else the source's mtime.  On failure the
 * image is left incomplete. */
int rootdir_copy(const struct rootdir_scan *s, const char *image, const int64_t *epoch)
{
	struct copy_ctx c = { .epoch = epoch };
	uint64_t root;
	int ret = cowfs_open(image, COWFS_OPEN_RDWR, &c.fs);

	if (ret < 0) {
		error_errno(ret, "cannot open %s", image);
		return -1;
	}
	c.buf = malloc(CHUNK);
	if (!c.buf) {
		error("out of memory");
		ret = -1;
	} else if ((ret = cowfs_lookup_path(c.fs, "/", &root)) < 0) {
		ret = fs_error(ret, "looking up", "/");
	} else {
		ret = copy_dir(&c, &s->root, root, s->root.name);
	}
	if (ret == 0 && (ret = cowfs_commit(c.fs)) < 0)
		ret = fs_error(ret, "committing", image);
	free(c.buf);
	cowfs_close(c.fs);
	return ret < 0 ? -1 : 0;
}

