/* cowdump: look inside an image, read-only (super, tree, ls, cat, extract). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cowfs/disk.h"
#include "cowfs/dump.h"
#include "cowfs/error.h"
#include "messages.h"
#include "options.h"

/* Exit codes, documented in cowdump(8). */
enum { EXIT_OK = 0, EXIT_ERR = 1, EXIT_USAGE = 2 };

#define CHUNK		(1024u * 1024)
#define MAX_DEPTH	2048	/* a name per level still fits PATH_MAX */

struct dump_cmd {
	const char *name;
	int (*fn)(const struct dump_cmd *cmd, int argc, char **argv);
	const char *const *usage;
};

/* ---- shared: opening, options, sorted directories ---- */

static cowfs_fs *open_image(const char *spec)
{
	cowfs_fs *fs;
	int ret = cowfs_open(spec, 0, &fs);

	if (ret < 0) {
		error_errno(ret, "cannot open %s", spec);
		return NULL;
	}
	return fs;
}

/* getopt_long over a subcommand; returns the option, -1 at the end, or exits. */
static int next_opt(const struct dump_cmd *cmd, int argc, char **argv, const char *optstr,
		    const struct option *longopts)
{
	int c = getopt_long(argc, argv, optstr, longopts, NULL);

	if (c == 'h') {
		usage(cmd->usage, 0);
		exit(EXIT_OK);
	}
	if (c == '?' || c == ':') {
		usage_unknown_option(cmd->usage, c, argv);
		exit(EXIT_USAGE);
	}
	return c;
}

/* Exactly n operands after the options (n + optional more when opt_more). */
static void want_operands(const struct dump_cmd *cmd, int argc, int n, int opt_more)
{
	int have = argc - optind;

	if (have < n || have > n + opt_more) {
		error("%s: expected %d%s operand%s, got %d", cmd->name, n,
		      opt_more ? " or more" : "", n == 1 && !opt_more ? "" : "s", have);
		usage(cmd->usage, 1);
		exit(EXIT_USAGE);
	}
}

struct dent {
	char *name;
	uint64_t ino;
};

struct dents {
	struct dent *v;
	size_t n, cap;
};

static int dent_add(void *arg, const char *name, size_t len, uint64_t ino, int type)
{
	struct dents *d = arg;

	(void)type;
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 32;
		struct dent *v = realloc(d->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		d->v = v;
		d->cap = cap;
	}
	d->v[d->n].name = strndup(name, len);
	if (!d->v[d->n].name)
		return -ENOMEM;
	d->v[d->n++].ino = ino;
	return 0;
}

static int dent_cmp(const void *a, const void *b)
{
	return strcmp(((const struct dent *)a)->name, ((const struct dent *)b)->name);
}

static void dents_free(struct dents *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i].name);
	free(d->v);
	*d = (struct dents){ 0 };
}

/* The entries of dir, sorted by name: the library gives them in hash order. */
static int read_dir_sorted(cowfs_fs *fs, uint64_t dir, const char *path, struct dents *d)
{
	int ret = cowfs_readdir(fs, dir, dent_add, d);

	if (ret < 0) {
		error_errno(ret, "cannot read directory %s", path);
		dents_free(d);
		return ret;
	}
	if (d->n)
		qsort(d->v, d->n, sizeof(*d->v), dent_cmp);
	return 0;
}

/* "/a" + "b" -> "/a/b" (malloc'd). */
static char *join(const char *dir, const char *name)
{
	size_t n = strlen(dir);
	char *s = malloc(n + strlen(name) + 2);

	if (s)
		sprintf(s, "%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/", name);
	return s;
}

/* Directories already entered, by inode: a corrupt image may loop. */
static int ino_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int enter_dir(void **seen, uint64_t ino, const char *path, int depth)
{
	uint64_t *key;
	void *node;

	if (depth > MAX_DEPTH) {
		error("%s: directories nested deeper than %d", path, MAX_DEPTH);
		return -ELOOP;
	}
	key = malloc(sizeof(*key));
	if (!key)
		return -ENOMEM;
	*key = ino;
	node = tsearch(key, seen, ino_cmp);
	if (!node) {
		free(key);
		return -ENOMEM;
	}
	if (*(uint64_t **)node != key) {
		free(key);
		error("%s: directory inode %" PRIu64 " seen twice, not entered again", path, ino);
		return -ELOOP;
	}
	return 0;
}

static void seen_free(void **seen)
{
	tdestroy(*seen, free);
	*seen = NULL;
}


/* ---- super ---- */

static const char *const cmd_super_usage[] = {
	"cowdump super IMAGE",
	"print every field of both superblock copies, the one in use first",
	NULL
};

static int print_field(void *arg, const char *name, const char *value)
{
	(void)arg;
	printf("\t%-12s %s\n", name, value);
	return 0;
}

static int cmd_super(const struct dump_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = { { "help", no_argument, NULL, 'h' }, { 0 } };
	struct cowfs_info info;
	cowfs_fs *fs;
	int status = EXIT_OK;

	while (next_opt(cmd, argc, argv, ":h", longopts) != -1)
		;
	want_operands(cmd, argc, 1, 0);
	fs = open_image(argv[optind]);
	if (!fs)
		return EXIT_ERR;
	cowfs_get_info(fs, &info);
	for (int i = 0; i < 2; i++) {
		int copy = i == 0 ? info.super_copy : !info.super_copy;
		int ret;

		printf("%ssuperblock copy %d at %" PRIu64 "%s%s\n", i ? "\n" : "", copy,
		       cowfs_super_offset(copy), i ? "" : " (in use)",
		       info.super_problems & (1 << copy) ? " (invalid or stale)" : "");
		ret = cowfs_dump_super(fs, copy, print_field, NULL);
		if (ret < 0) {
			error_errno(ret, "cannot read superblock copy %d of %s", copy, argv[optind]);
			status = EXIT_ERR;
		}
	}
	cowfs_close(fs);
	return status;
}

/* ---- tree ---- */

static const char *const cmd_tree_usage[] = {
	"cowdump tree [--tree fs|extent|csum] [--csums] IMAGE",
	"print every block and item of a tree (of all three by default)",
	"",
	OPTLINE("-t|--tree NAME", "only this tree: fs, extent or csum"),
	OPTLINE("--csums", "print each checksum of EXTENT_CSUM items, not only the range"),
	NULL
};

static int print_rec(void *arg, const struct cowfs_dump_rec *r)
{
	(void)arg;
	switch (r->kind) {
	case COWFS_DUMP_BLOCK:
		printf("%s\n", r->desc);
		break;
	case COWFS_DUMP_PTR:
		printf("\tkey %s %s\n", r->key, r->desc);
		break;
	case COWFS_DUMP_ITEM:
		printf("\titem %d key %s itemoff %" PRIu32 " itemsize %" PRIu32 "\n\t\t%s\n",
		       r->slot, r->key, r->item_off, r->item_size, r->desc);
		break;
	case COWFS_DUMP_BAD:
		printf("\tkey %s %s\n", r->key, r->desc);
		break;
	}
	return 0;
}

static int dump_one_tree(cowfs_fs *fs, uint64_t id, unsigned flags, const char *spec)
{
	int ret;

	printf("%s tree (%" PRIu64 ")\n", cowfs_tree_name(id), id);
	ret = cowfs_dump_tree(fs, id, flags, print_rec, NULL);
	if (ret < 0) {
		error_errno(ret, "%s tree of %s not fully read", cowfs_tree_name(id), spec);
		return EXIT_ERR;
	}
	return EXIT_OK;
}

static int cmd_tree(const struct dump_cmd *cmd, int argc, char **argv)
{
	enum { OPT_CSUMS = GETOPT_VAL_FIRST };
	static const struct option longopts[] = {
		{ "tree", required_argument, NULL, 't' },
		{ "csums", no_argument, NULL, OPT_CSUMS },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	static const char *const all[] = { "fs", "extent", "csum" };
	uint64_t only = 0, id;
	unsigned flags = 0;
	int c, status = EXIT_OK;
	cowfs_fs *fs;

	while ((c = next_opt(cmd, argc, argv, ":ht:", longopts)) != -1) {
		if (c == OPT_CSUMS) {
			flags |= COWFS_DUMP_CSUMS;
		} else if (c == 't' && cowfs_tree_by_name(optarg, &only) < 0) {
			error("unknown tree '%s': use fs, extent or csum", optarg);
			return EXIT_USAGE;
		}
	}
	want_operands(cmd, argc, 1, 0);
	fs = open_image(argv[optind]);
	if (!fs)
		return EXIT_ERR;
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (cowfs_tree_by_name(all[i], &id) < 0 || (only && id != only))
			continue;
		if (!only && i)
			printf("\n");
		if (dump_one_tree(fs, id, flags, argv[optind]) != EXIT_OK)
			status = EXIT_ERR;
	}
	cowfs_close(fs);
	return status;
}

/* ---- ls ---- */

static const char *const cmd_ls_usage[] = {
	"cowdump ls [-l] [-R] IMAGE [PATH]",
	"list a directory of the image (/ by default), sorted by name",
	"",
	OPTLINE("-l|--long", "print inode number, mode and size before each name"),
	OPTLINE("-R|--recursive", "list subdirectories too, each under a PATH: heading"),
	NULL
};

struct ls_ctx {
	cowfs_fs *fs;
	int longfmt, recursive;
	void *seen;
	int status;
};

/* Control bytes would break the one-name-per-line output: \ooo them. */
static void print_name(const char *name)
{
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if (*p < 0x20 || *p == 0x7f || *p == '\\')
			printf("\\%03o", *p);
		else
			putchar(*p);
	}
}

static void mode_string(uint32_t mode, char out[11])
{
	static const char rwx[] = "rwxrwxrwx";

	out[0] = S_ISDIR(mode) ? 'd' : S_ISREG(mode) ? '-' : '?';
	for (int i = 0; i < 9; i++)
		out[i + 1] = mode & (1u << (8 - i)) ? rwx[i] : '-';
	if (mode & S_ISUID)
		out[3] = out[3] == 'x' ? 's' : 'S';
	if (mode & S_ISGID)
		out[6] = out[6] == 'x' ? 's' : 'S';
	if (mode & S_ISVTX)
		out[9] = out[9] == 'x' ? 't' : 'T';
	out[10] = '\0';
}

static void ls_entry(struct ls_ctx *c, const char *name, const struct cowfs_inode *in)
{
	if (c->longfmt) {
		char mode[11];

		mode_string(in->mode, mode);
		printf("%8" PRIu64 " %s %12" PRIu64 " ", in->ino, mode, in->size);
	}
	print_name(name);
	putchar('\n');
}

static int ls_dir(struct ls_ctx *c, uint64_t dir, const char *path, int depth)
{
	struct dents d = { 0 };
	struct cowfs_inode *in;
	int ret = read_dir_sorted(c->fs, dir, path, &d);

	if (ret < 0)
		return ret;
	in = calloc(d.n ? d.n : 1, sizeof(*in));
	if (!in) {
		dents_free(&d);
		return -ENOMEM;
	}
	if (c->recursive) {
		print_name(path);
		printf(":\n");
	}
	for (size_t i = 0; i < d.n; i++) {
		ret = cowfs_read_inode(c->fs, d.v[i].ino, &in[i]);
		if (ret < 0) {
			error_errno(ret, "cannot read inode %" PRIu64 " of %s", d.v[i].ino, d.v[i].name);
			c->status = EXIT_ERR;
			continue;
		}
		ls_entry(c, d.v[i].name, &in[i]);
	}
	for (size_t i = 0; c->recursive && i < d.n; i++) {
		char *sub;

		if (in[i].ino != d.v[i].ino || !S_ISDIR(in[i].mode))
			continue;
		sub = join(path, d.v[i].name);
		if (!sub) {
			ret = -ENOMEM;
			break;
		}
		putchar('\n');
		if (enter_dir(&c->seen, in[i].ino, sub, depth + 1) < 0)
			c->status = EXIT_ERR;
		else if ((ret = ls_dir(c, in[i].ino, sub, depth + 1)) < 0)
			c->status = EXIT_ERR;
		free(sub);
		if (ret == -ENOMEM)
			break;
	}
	free(in);
	dents_free(&d);
	return ret == -ENOMEM ? ret : 0;
}

/* Look path up and read its inode; errors are reported. */
static int lookup_inode(cowfs_fs *fs, const char *path, struct cowfs_inode *in)
{
	uint64_t ino;
	int ret = cowfs_lookup_path(fs, path, &ino);

	if (ret == 0)
		ret = cowfs_read_inode(fs, ino, in);
	if (ret < 0)
		error_errno(ret, "cannot find %s", path);
	return ret;
}

static int cmd_ls(const struct dump_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "long", no_argument, NULL, 'l' },
		{ "recursive", no_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct ls_ctx c = { 0 };
	struct cowfs_inode in;
	const char *path;
	int opt;

	while ((opt = next_opt(cmd, argc, argv, ":hlR", longopts)) != -1) {
		if (opt == 'l')
			c.longfmt = 1;
		else if (opt == 'R')
			c.recursive = 1;
	}
	want_operands(cmd, argc, 1, 1);
	path = optind + 1 < argc ? argv[optind + 1] : "/";
	c.fs = open_image(argv[optind]);
	if (!c.fs)
		return EXIT_ERR;
	if (lookup_inode(c.fs, path, &in) < 0) {
		c.status = EXIT_ERR;
	} else if (!S_ISDIR(in.mode)) {
		ls_entry(&c, path, &in);
	} else if (enter_dir(&c.seen, in.ino, path, 0) < 0 ||
		   ls_dir(&c, in.ino, path, 0) < 0) {
		c.status = EXIT_ERR;
	}
	seen_free(&c.seen);
	cowfs_close(c.fs);
	return c.status;
}

/* ---- cat ---- */

static const char *const cmd_cat_usage[] = {
	"cowdump cat IMAGE PATH",
	"write a file's bytes to stdout, each block verified against its checksum",
	NULL
};

/* File bytes [off, off + len) into buf, verified; errors name path and offset. */
static int read_verified(cowfs_fs *fs, const struct cowfs_inode *in, const char *path,
			 uint64_t off, void *buf, size_t len)
{
	uint64_t bad = off;
	int ret = cowfs_read_file(fs, in->ino, off, buf, len, &bad);

	if (ret == -COWFS_ECSUM)
		error("%s: checksum mismatch at offset %" PRIu64, path, bad);
	else if (ret < 0)
		error_errno(ret, "%s: cannot read at offset %" PRIu64, path, off);
	return ret < 0 ? ret : 0;
}

static int cmd_cat(const struct dump_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = { { "help", no_argument, NULL, 'h' }, { 0 } };
	const char *path;
	struct cowfs_inode in;
	int status = EXIT_ERR;
	cowfs_fs *fs;
	char *buf;

	while (next_opt(cmd, argc, argv, ":h", longopts) != -1)
		;
	want_operands(cmd, argc, 2, 0);
	path = argv[optind + 1];
	fs = open_image(argv[optind]);
	if (!fs)
		return EXIT_ERR;
	buf = malloc(CHUNK);
	if (!buf) {
		error_errno(-ENOMEM, "cannot read %s", path);
	} else if (lookup_inode(fs, path, &in) == 0) {
		if (!S_ISREG(in.mode)) {
			error("%s: not a regular file", path);
		} else {
			uint64_t off = 0;

			while (off < in.size) {
				size_t n = in.size - off < CHUNK ? (size_t)(in.size - off) : CHUNK;

				if (read_verified(fs, &in, path, off, buf, n) < 0)
					break;
				if (fwrite(buf, 1, n, stdout) != n) {
					error("cannot write %s to stdout: %s", path, strerror(errno));
					break;
				}
				off += n;
			}
			if (off >= in.size && fflush(stdout) == 0)
				status = EXIT_OK;
			else if (off >= in.size)
				error("cannot write %s to stdout: %s", path, strerror(errno));
		}
	}
	free(buf);
	cowfs_close(fs);
	return status;
}

/* ---- extract ---- */

static const char *const cmd_extract_usage[] = {
	"cowdump extract IMAGE DIR",
	"write the whole tree of the image under DIR (created if missing): files,",
	"directories, modes and times, each data block verified against its checksum;",
	"the owners too when run as root",
	NULL
};

struct extract_ctx {
	cowfs_fs *fs;
	void *seen;
	char *buf;
	int status;
};

/* The name becomes a path component here: refuse what would leave DIR. */
static int name_is_safe(const char *name)
{
	return *name && strcmp(name, ".") && strcmp(name, "..") && !strchr(name, '/');
}

static void set_attrs(int fd, const char *out, const struct cowfs_inode *in)
{
	struct timespec ts[2] = {
		{ .tv_sec = in->atime, .tv_nsec = in->atime_ns },
		{ .tv_sec = in->mtime, .tv_nsec = in->mtime_ns },
	};

	if (geteuid() == 0 && fchown(fd, in->uid, in->gid) < 0)
		warning("cannot set owner of %s: %s", out, strerror(errno));
	if (fchmod(fd, in->mode & 07777) < 0)
		warning("cannot set mode of %s: %s", out, strerror(errno));
	if (futimens(fd, ts) < 0)
		warning("cannot set times of %s: %s", out, strerror(errno));
}

/* Copy the mapped ranges of the file; holes stay holes, ftruncate sets the size. */
static int extract_data(struct extract_ctx *x, const struct cowfs_inode *in,
			const char *path, int fd, const char *out)
{
	uint64_t off = 0;

	while (off < in->size) {
		struct cowfs_extent_map em;
		uint64_t end;
		int ret = cowfs_get_extent(x->fs, in->ino, off, &em);

		if (ret < 0) {
			error_errno(ret, "%s: cannot map offset %" PRIu64, path, off);
			return ret;
		}
		end = em.file_off + em.len < em.file_off ? UINT64_MAX : em.file_off + em.len;
		if (em.file_off > off || end <= off) {
			error("%s: bad extent map at offset %" PRIu64, path, off);
			return -COWFS_ECORRUPT;
		}
		if (end > in->size)
			end = in->size;
		for (; em.disk_bytenr && off < end; ) {
			size_t n = end - off < CHUNK ? (size_t)(end - off) : CHUNK;

			if ((ret = read_verified(x->fs, in, path, off, x->buf, n)) < 0)
				return ret;
			if (pwrite(fd, x->buf, n, (off_t)off) != (ssize_t)n) {
				error("cannot write %s: %s", out, errno ? strerror(errno) : "short write");
				return -EIO;
			}
			off += n;
		}
		off = end;
	}
	if (ftruncate(fd, (off_t)in->size) < 0) {
		error("cannot set the size of %s: %s", out, strerror(errno));
		return -errno;
	}
	return 0;
}

static int extract_file(struct extract_ctx *x, const struct cowfs_inode *in,
			const char *path, const char *out)
{
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	int ret;

	if (fd < 0) {
		error("cannot create %s: %s", out, strerror(errno));
		return -errno;
	}
	ret = extract_data(x, in, path, fd, out);
	if (ret == 0)
		set_attrs(fd, out, in);
	if (close(fd) < 0 && ret == 0) {
		error("cannot write %s: %s", out, strerror(errno));
		ret = -EIO;
	}
	return ret;
}

static int extract_dir(struct extract_ctx *x, const struct cowfs_inode *dir,
		       const char *path, const char *out, int depth);

/* An existing directory is reused; a symbolic link in its place is not followed. */
static int make_dir(const char *out)
{
	struct stat st;

	if (mkdir(out, 0700) == 0)
		return 0;
	if (errno == EEXIST && lstat(out, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	error("cannot create directory %s: %s", out,
	      errno == EEXIST ? "a file of another type is in the way" : strerror(errno));
	return -EEXIST;
}

static int extract_entry(struct extract_ctx *x, const struct dent *e, const char *path,
			 const char *out, int depth)
{
	struct cowfs_inode in;
	int ret;

	if (!name_is_safe(e->name)) {
		error("%s: unsafe name '%s' skipped", path, e->name);
		return -EINVAL;
	}
	char *sub = join(path, e->name), *subout = join(out, e->name);
	if (!sub || !subout) {
		ret = -ENOMEM;
		error_errno(ret, "cannot extract %s", path);
	} else if ((ret = cowfs_read_inode(x->fs, e->ino, &in)) < 0) {
		error_errno(ret, "cannot read inode %" PRIu64 " of %s", e->ino, sub);
	} else if (S_ISREG(in.mode)) {
		ret = extract_file(x, &in, sub, subout);
	} else if (!S_ISDIR(in.mode)) {
		error("%s: inode %" PRIu64 " has mode 0%o, skipped", sub, in.ino, in.mode);
		ret = -COWFS_ECORRUPT;
	} else if ((ret = make_dir(subout)) < 0) {
		;
	} else if ((ret = enter_dir(&x->seen, in.ino, sub, depth + 1)) == 0) {
		ret = extract_dir(x, &in, sub, subout, depth + 1);
	}
	free(sub);
	free(subout);
	return ret;
}

/* Entries first, then the directory's own mode and times, which creating them changes. */
static int extract_dir(struct extract_ctx *x, const struct cowfs_inode *dir,
		       const char *path, const char *out, int depth)
{
	struct dents d = { 0 };
	int fd, ret = read_dir_sorted(x->fs, dir->ino, path, &d);

	if (ret < 0) {
		x->status = EXIT_ERR;
		return ret;
	}
	for (size_t i = 0; i < d.n; i++) {
		ret = extract_entry(x, &d.v[i], path, out, depth);
		if (ret < 0)
			x->status = EXIT_ERR;
		if (ret == -ENOMEM)
			break;
	}
	dents_free(&d);
	fd = open(out, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		error("cannot open %s: %s", out, strerror(errno));
		x->status = EXIT_ERR;
	} else {
		set_attrs(fd, out, dir);
		close(fd);
	}
	return ret == -ENOMEM ? ret : 0;
}

static int cmd_extract(const struct dump_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = { { "help", no_argument, NULL, 'h' }, { 0 } };
	struct extract_ctx x = { .status = EXIT_OK };
	struct cowfs_inode root;
	const char *out;

	while (next_opt(cmd, argc, argv, ":h", longopts) != -1)
		;
	want_operands(cmd, argc, 2, 0);
	out = argv[optind + 1];
	x.fs = open_image(argv[optind]);
	if (!x.fs)
		return EXIT_ERR;
	x.buf = malloc(CHUNK);
	if (!x.buf) {
		error_errno(-ENOMEM, "cannot extract %s", argv[optind]);
		x.status = EXIT_ERR;
	} else if (lookup_inode(x.fs, "/", &root) < 0) {
		x.status = EXIT_ERR;
	} else if (mkdir(out, 0700) < 0 && errno != EEXIST) {
		error("cannot create %s: %s", out, strerror(errno));
		x.status = EXIT_ERR;
	} else if (enter_dir(&x.seen, root.ino, "/", 0) < 0) {
		x.status = EXIT_ERR;
	} else {
		extract_dir(&x, &root, "/", out, 0);
	}
	seen_free(&x.seen);
	free(x.buf);
	cowfs_close(x.fs);
	return x.status;
}

/* ---- main ---- */

/* Keep subcommands alphabetically sorted. */
static const struct dump_cmd commands[] = {
	{ "cat", cmd_cat, cmd_cat_usage },
	{ "extract", cmd_extract, cmd_extract_usage },
	{ "ls", cmd_ls, cmd_ls_usage },
	{ "super", cmd_super, cmd_super_usage },
	{ "tree", cmd_tree, cmd_tree_usage },
};

static const char *const cowdump_usage[] = {
	"cowdump SUBCOMMAND [options] IMAGE ...",
	"look inside a cowfs image, read-only; IMAGE may be a path, a .img.zst,",
	"UUID=... or LABEL=...",
	"",
	"cowdump super IMAGE",
	"cowdump tree [--tree fs|extent|csum] [--csums] IMAGE",
	"cowdump ls [-l] [-R] IMAGE [PATH]",
	"cowdump cat IMAGE PATH",
	"cowdump extract IMAGE DIR",
	"",
	OPTLINE("-h|--help", "print this help (or a subcommand's, after it)"),
	OPTLINE("-V|--version", "print the version"),
	"",
	"exit status: 0 success, 1 error, 2 usage error",
	NULL
};

int main(int argc, char **argv)
{
	set_prog_name(argv[0]);
	opterr = 0;
	if (argc < 2) {
		usage(cowdump_usage, 1);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(cowdump_usage, 0);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		print_version();
		return EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(&commands[i], argc - 1, argv + 1);
	}
	error("unknown subcommand '%s'", argv[1]);
	fprintf(stderr, "try 'cowdump --help' for more information\n");
	return EXIT_USAGE;
}
