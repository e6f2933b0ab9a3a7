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
#include "mkfs-rootdir.h"

#define DEFAULT_SIZE	(256 * MiB)
#define ROOTDIR_MIN	(64 * MiB)

/* Every failure, usage errors included, exits 1, as mke2fs does. */
enum { EXIT_OK = 0, EXIT_ERR = 1 };

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
