/* cowmkfs: make a cowfs filesystem, empty or populated from a directory tree. */
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

#define MiB		((uint64_t)1024 * 1024)
#define DEFAULT_SIZE	(256 * MiB)
#define ROOTDIR_MIN	(64 * MiB)

/* Every failure, usage errors included, exits 1, as mke2fs does. */
enum { EXIT_OK = 0, EXIT_ERR = 1 };

/* ---- --rootdir ----
 *
 * The scan comes first and reads every directory and opens every file, so
 * that everything that can fail on the source fails before the image is
 * touched; the copy then follows the scan, in name order, which makes the
 * inode numbers and the layout a function of the tree alone.
 */

struct rootdir_node {
	char *name;			/* one component; the root's is the path given */
	struct stat st;
	struct rootdir_node *kids;	/* of a directory, sorted by name (bytes) */
	size_t nkids;
};

struct rootdir_scan {
	struct rootdir_node root;
	uint64_t files, dirs;
	uint64_t data_bytes;		/* file data, in whole blocks, holes left out */
	uint64_t name_bytes;
	uint64_t extents;		/* data extents the copy will make, at most */
	int compress;
};

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

static void rootdir_init(struct rootdir_scan *s, int compress)
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

static void rootdir_free(struct rootdir_scan *s)
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
static int rootdir_scan(struct rootdir_scan *s, const char *dir, const dev_t *skip_dev,
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
static uint64_t rootdir_needed(const struct rootdir_scan *s)
{
	uint64_t inodes = s->files + s->dirs;
	/* inode item, inode ref and dir entry per inode; file extent, extent item and
	 * csums per extent; all at 25 bytes of item header each */
	uint64_t items = inodes * 256 + 2 * s->name_bytes + s->extents * 195 +
			 s->data_bytes / COWFS_BLOCK * 4;

	/* leaves split half full, and a transaction keeps the blocks it COWs pinned */
	return MiB + s->data_bytes + 4 * items + 4 * MiB;
}

static uint64_t rootdir_image_size(const struct rootdir_scan *s, uint64_t min)
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
static int rootdir_copy(const struct rootdir_scan *s, const char *image, const int64_t *epoch)
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

static const char *const cowmkfs_usage[] = {
	"cowmkfs [options] IMAGE",
	"make a cowfs filesystem on IMAGE, a file (created sparse if missing) or a block device",
	"",
	OPTLINE("-f|--force", "overwrite an existing filesystem or partition table signature"),
	OPTLINE("-L|--label LABEL", "set the label (at most 255 bytes)"),
	OPTLINE("-U|--uuid UUID", "set the filesystem UUID instead of a random one"),
	OPTLINE("-s|--size SIZE", "make the filesystem SIZE bytes (K, M, G, T suffixes);"),
	OPTLINE("", "a file is created or resized to it (default 256M for a new file)"),
	OPTLINE("--rootdir DIR", "copy the files and directories of DIR into the filesystem"),
	OPTLINE("--compress zstd", "compress file data with zstd (also for --rootdir)"),
	OPTLINE("-q|--quiet", "print nothing but errors and warnings"),
	OPTLINE("-h|--help", "print this help"),
	OPTLINE("-V|--version", "print the version"),
	NULL
};

struct mkfs_args {
	const char *image;
	const char *label;
	const char *rootdir;
	uint8_t uuid[16];
	int have_uuid;
	int force;
	uint64_t size;			/* 0: not given */
	int compress;
	int have_epoch;
	int64_t epoch;			/* SOURCE_DATE_EPOCH */
};

static int parse_args(int argc, char **argv, struct mkfs_args *a)
{
	enum { OPT_ROOTDIR = GETOPT_VAL_FIRST, OPT_COMPRESS };
	static const struct option longopts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "label", required_argument, NULL, 'L' },
		{ "uuid", required_argument, NULL, 'U' },
		{ "size", required_argument, NULL, 's' },
		{ "rootdir", required_argument, NULL, OPT_ROOTDIR },
		{ "compress", required_argument, NULL, OPT_COMPRESS },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 }
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":fL:U:s:qhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			a->force = 1;
			break;
		case 'L':
			a->label = optarg;
			if (strlen(optarg) >= COWFS_LABEL_SIZE) {
				error("label '%s' is longer than %d bytes", optarg, COWFS_LABEL_SIZE - 1);
				return -1;
			}
			break;
		case 'U':
			if (uuid_parse(optarg, a->uuid) < 0) {
				error("invalid UUID '%s'", optarg);
				return -1;
			}
			a->have_uuid = 1;
			break;
		case 's':
			if (parse_size(optarg, &a->size) < 0 || a->size == 0) {
				error("invalid size '%s'", optarg);
				return -1;
			}
			break;
		case OPT_ROOTDIR:
			a->rootdir = optarg;
			break;
		case OPT_COMPRESS:
			if (strcmp(optarg, "zstd")) {
				error("unknown compression '%s': only zstd is supported", optarg);
				return -1;
			}
			a->compress = 1;
			break;
		case 'q':
			verbosity = PR_QUIET;
			break;
		case 'h':
			usage(cowmkfs_usage, 0);
			exit(EXIT_OK);
		case 'V':
			print_version();
			exit(EXIT_OK);
		default:
			usage_unknown_option(cowmkfs_usage, c, argv);
			return -1;
		}
	}
	if (argc - optind != 1) {
		error("%s", argc - optind ? "too many arguments" : "missing IMAGE");
		usage(cowmkfs_usage, 1);
		return -1;
	}
	a->image = argv[optind];
	return 0;
}

/* Reproducible builds: SOURCE_DATE_EPOCH, when set, is every timestamp. */
static int parse_epoch(struct mkfs_args *a)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	char *end;

	if (!s)
		return 0;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (!*s || *end || errno || v < 0) {
		error("SOURCE_DATE_EPOCH '%s' is not a number of seconds", s);
		return -1;
	}
	a->have_epoch = 1;
	a->epoch = v;
	return 0;
}

/* ---- the target ---- */

struct target {
	int exists;
	int is_blk;
	uint64_t cur_size;		/* of the file or the device */
	dev_t dev;
	ino_t ino;
};

static int stat_target(const char *path, struct target *t)
{
	struct stat st;

	memset(t, 0, sizeof(*t));
	if (stat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		error("cannot stat %s: %s", path, strerror(errno));
		return -1;
	}
	t->exists = 1;
	t->dev = st.st_dev;
	t->ino = st.st_ino;
	if (S_ISREG(st.st_mode)) {
		t->cur_size = (uint64_t)st.st_size;
		return 0;
	}
	if (!S_ISBLK(st.st_mode)) {
		error("%s is neither a regular file nor a block device", path);
		return -1;
	}
	t->is_blk = 1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	off_t end = fd < 0 ? -1 : lseek(fd, 0, SEEK_END);
	if (end < 0) {
		error("cannot measure %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	t->cur_size = (uint64_t)end;
	return 0;
}

/* libblkid knows other filesystems; our own magic is found by opening. */
static int check_signatures(const char *path)
{
	char type[64];
	cowfs_fs *fs;
	int ret = cowfs_probe_signature(path, type, sizeof(type));

	if (ret < 0) {
		error_errno(ret, "cannot probe %s for signatures", path);
		return -1;
	}
	if (ret == 0 && cowfs_open(path, 0, &fs) == 0) {
		cowfs_close(fs);
		snprintf(type, sizeof(type), "cowfs");
		ret = 1;
	}
	if (ret) {
		error("%s already holds a %s signature; use -f to overwrite", path, type);
		return -1;
	}
	return 0;
}

/* The size to give cowfs_mkfs: 0 keeps what is there. */
static int choose_size(const struct mkfs_args *a, const struct target *t,
		       const struct rootdir_scan *scan, uint64_t *size, uint64_t *fs_size)
{
	*size = 0;
	if (a->size) {
		*size = a->size;
		if (t->is_blk && a->size > t->cur_size) {
			error("size %" PRIu64 " is larger than %s (%" PRIu64 " bytes)", a->size,
			      a->image, t->cur_size);
			return -1;
		}
	} else if (!t->exists || (!t->is_blk && t->cur_size == 0)) {
		*size = scan ? rootdir_image_size(scan, ROOTDIR_MIN) : DEFAULT_SIZE;
	}
	*fs_size = *size ? *size : t->cur_size;
	if (*fs_size < COWFS_MIN_SIZE) {
		error("%s: %" PRIu64 " bytes is too small, a filesystem needs at least %" PRIu64,
		      a->image, *fs_size, (uint64_t)COWFS_MIN_SIZE);
		return -1;
	}
	if (scan && rootdir_needed(scan) > *fs_size) {
		error("%s needs about %" PRIu64 " MiB but %s would hold %" PRIu64 " MiB",
		      a->rootdir, (rootdir_needed(scan) + MiB - 1) / MiB, a->image,
		      *fs_size / MiB);
		return -1;
	}
	return 0;
}

/* ---- summary ---- */

static void pretty_size(uint64_t v, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double d = (double)v;
	int u = 0;

	while (d >= 1024 && u < 5) {
		d /= 1024;
		u++;
	}
	snprintf(buf, len, u ? "%.2f%s" : "%.0f%s", d, units[u]);
}

static int print_summary(const struct mkfs_args *a, const struct rootdir_scan *scan)
{
	struct cowfs_info info;
	char uuid[37], size[32];
	cowfs_fs *fs;
	int ret = cowfs_open(a->image, 0, &fs);

	if (ret < 0) {
		error_errno(ret, "cannot open %s after making it", a->image);
		return -1;
	}
	cowfs_get_info(fs, &info);
	cowfs_close(fs);
	uuid_unparse(info.fsid, uuid);
	pretty_size(info.total_bytes, size, sizeof(size));
	pr_verbose(PR_DEFAULT, "Label:              %s\n", *info.label ? info.label : "(none)");
	pr_verbose(PR_DEFAULT, "UUID:               %s\n", uuid);
	pr_verbose(PR_DEFAULT, "Node size:          %u\n", COWFS_BLOCK);
	pr_verbose(PR_DEFAULT, "Sector size:        %u\n", COWFS_BLOCK);
	pr_verbose(PR_DEFAULT, "Filesystem size:    %s\n", size);
	pr_verbose(PR_DEFAULT, "Features:           %s\n", a->compress ? "compress-zstd" : "none");
	if (scan) {
		pretty_size(scan->data_bytes, size, sizeof(size));
		pr_verbose(PR_DEFAULT, "Rootdir:            %" PRIu64 " files, %" PRIu64
			   " directories, %s of data\n", scan->files, scan->dirs, size);
		pretty_size(info.bytes_used, size, sizeof(size));
		pr_verbose(PR_DEFAULT, "Used:               %s\n", size);
	}
	return 0;
}

/* ---- main ---- */

static int make(const struct mkfs_args *a, struct rootdir_scan *scan)
{
	struct target t;
	uint64_t size, fs_size;
	int ret;

	if (stat_target(a->image, &t) < 0)
		return -1;
	if (t.exists && !a->force && check_signatures(a->image) < 0)
		return -1;
	if (scan && rootdir_scan(scan, a->rootdir, t.exists ? &t.dev : NULL, t.ino) < 0)
		return -1;
	if (choose_size(a, &t, scan, &size, &fs_size) < 0)
		return -1;

	struct cowfs_mkfs_opts o = {
		.label = a->label,
		.uuid = a->have_uuid ? a->uuid : NULL,
		.size = size,
		.features = a->compress ? COWFS_FEATURE_COMPRESS_ZSTD : 0,
		.time = a->have_epoch ? a->epoch : scan ? (int64_t)scan->root.st.st_mtime
					     : (int64_t)time(NULL),
	};
	ret = cowfs_mkfs(a->image, &o);
	if (ret < 0) {
		error_errno(ret, "cannot make a filesystem on %s", a->image);
		return -1;
	}
	if (scan && rootdir_copy(scan, a->image, a->have_epoch ? &a->epoch : NULL) < 0)
		return -1;
	return print_summary(a, scan);
}

int main(int argc, char **argv)
{
	struct mkfs_args a = { 0 };
	struct rootdir_scan scan;
	int ret;

	set_prog_name(argv[0]);
	if (parse_args(argc, argv, &a) < 0 || parse_epoch(&a) < 0)
		return EXIT_ERR;
	rootdir_init(&scan, a.compress);
	ret = make(&a, a.rootdir ? &scan : NULL);
	rootdir_free(&scan);
	return ret < 0 ? EXIT_ERR : EXIT_OK;
}
