/* The problem table and its message expansion (e2fsprogs e2fsck/problem.c,
 * message.c).  One row per code, sorted; the unit test holds it to that. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/fsck.h"
#include "check/problem.h"
#include "cowfs/trace.h"

#define E COWFS_SEV_ERROR
#define W COWFS_SEV_WARNING
#define I COWFS_SEV_INFO

const struct fsck_problem_def fsck_problem_table[] = {
	{ PR_0_SUPER_READ, E, "superblock %c at %b: cannot read: %m" },
	{ PR_0_SUPER_INVALID, E, "superblock %c at %b: %m" },
	{ PR_0_NO_SUPER, E, "no valid superblock: not a cowfs image, or both copies are damaged" },
	{ PR_0_USING_BACKUP, I, "using the backup superblock at %b, generation %h" },
	{ PR_0_INTERRUPTED_COMMIT, I,
	  "superblock %c generation %h is one behind %e: a commit was interrupted" },
	{ PR_0_STALE_COPY, E, "superblock %c generation %h does not match %e of the other copy" },
	{ PR_0_COPIES_DIFFER, E, "superblock copies differ at the same generation %h" },
	{ PR_0_TRUNCATED, E, "image is %h bytes, the filesystem %e bytes: image truncated" },

	{ PR_1_PTR_RANGE, E,
	  "tree %t block %b: pointer outside the filesystem (parent %P slot %s)" },
	{ PR_1_BLOCK_READ, E, "tree %t block %b: cannot read: %m (parent %P)" },
	{ PR_1_BLOCK_CSUM, E, "tree %t block %b: bad checksum, have %H expect %E (parent %P)" },
	{ PR_1_BLOCK_BYTENR, E,
	  "tree %t block %b: header bytenr %h is not its address (parent %P)" },
	{ PR_1_BLOCK_FSID, E, "tree %t block %b: fsid is not the filesystem's (parent %P)" },
	{ PR_1_BLOCK_GENERATION, E,
	  "tree %t block %b: bad generation %h, superblock generation %e (parent %P)" },
	{ PR_1_BLOCK_LEVEL, E, "tree %t block %b: bad level %h expect %e (parent %P)" },
	{ PR_1_BLOCK_OWNER, E, "tree %t block %b: bad owner %h expect %e (parent %P)" },
	{ PR_1_BLOCK_NRITEMS, E, "tree %t block %b: bad item count %h (parent %P)" },
	{ PR_1_BLOCK_KEY_ORDER, E, "tree %t block %b slot %s: key %k out of order (parent %P)" },
	{ PR_1_BLOCK_ITEM_OFFSET, E,
	  "tree %t block %b slot %s: item %k data misplaced, offset %h expect %e (parent %P)" },
	{ PR_1_BLOCK_PTR, E, "tree %t block %b slot %s: bad child pointer %h (parent %P)" },
	{ PR_1_GEN_MISMATCH, E, "tree %t block %b: generation %h, parent %P expects %e" },
	{ PR_1_FIRST_KEY, E, "tree %t block %b: first key %k is not the key in parent %P" },
	{ PR_1_KEY_RANGE, E, "tree %t block %b slot %s: key %k outside the range of parent %P" },
	{ PR_1_DUP_BLOCK, E, "tree %t block %b: reachable twice (parent %P slot %s)" },
	{ PR_1_EMPTY_LEAF, W, "tree %t block %b: empty leaf below a node (parent %P)" },
	{ PR_1_BAD_ITEM, E, "tree %t block %b slot %s: %m" },

	{ PR_2_EXTENT_RANGE, E, "extent %b+%n: outside the usable space [1048576, %e)" },
	{ PR_2_EXTENT_ALIGN, E, "extent %b+%n: not block aligned" },
	{ PR_2_EXTENT_OVERLAP, E, "extent %b+%n: overlaps the extent at %h" },
	{ PR_2_EXTENT_FLAGS, E, "extent %b+%n: bad flags %H" },
	{ PR_2_EXTENT_GENERATION, E, "extent %b+%n: generation %h above the superblock's %e" },
	{ PR_2_EXTENT_UNREFERENCED, E, "extent %b+%n: extent item without references" },
	{ PR_2_TREE_NO_EXTENT, E, "tree %t block %b: no extent item" },
	{ PR_2_TREE_EXTENT_KIND, E, "tree %t block %b: extent item is not a tree block extent" },
	{ PR_2_TREE_EXTENT_LEN, E, "tree %t block %b: extent item length %n expect 4096" },
	{ PR_2_TREE_EXTENT_REFS, E, "tree %t block %b: extent item has %h references expect %e" },
	{ PR_2_TREE_EXTENT_OWNER, E, "tree %t block %b: extent item owner %h expect %e" },
	{ PR_2_TREE_EXTENT_LEVEL, E, "tree %t block %b: extent item level %h expect %e" },
	{ PR_2_DATA_NO_EXTENT, E, "data extent %b+%n of inode %i offset %o: no extent item" },
	{ PR_2_DATA_EXTENT_KIND, E, "data extent %b+%n: extent item is not a data extent" },
	{ PR_2_DATA_EXTENT_LEN, E,
	  "data extent %b of inode %i offset %o: length %h, extent item length %e" },
	{ PR_2_DATA_REFS, E, "data extent %b+%n: extent item has %h references, found %e" },
	{ PR_2_BYTES_USED, E, "superblock bytes_used %h, extent items add up to %e" },
	{ PR_2_CSUM_NO_EXTENT, E, "csum item %b: %h checksums for no data extent" },
	{ PR_2_CSUM_COUNT, E, "csum item %b: %h checksums, data extent %b+%n needs %e" },
	{ PR_2_DATA_NO_CSUM, E, "data extent %b+%n: no csum item" },
	{ PR_2_REFS_SKIPPED, I, "reference counts of data extents not checked: %m" },

	{ PR_3_NO_ROOT, E, "root directory inode %i missing" },
	{ PR_3_ROOT_NOT_DIR, E, "root directory inode %i is not a directory, mode %O" },
	{ PR_3_BAD_MODE, E, "inode %i: bad mode %O" },
	{ PR_3_BAD_INO, E, "inode %i: number outside [256, %e), the superblock's next_ino" },
	{ PR_3_INODE_GENERATION, E, "inode %i: transid %h above the superblock generation %e" },
	{ PR_3_ORPHAN_ITEMS, E, "inode %i: %m without an inode item" },
	{ PR_3_DIRENT_HASH, E, "directory %d entry '%m': key hash %H expect %E" },
	{ PR_3_DIRENT_NAME, E, "directory %d entry '%m': invalid name" },
	{ PR_3_DIRENT_DUP, E, "directory %d entry '%m': duplicate name" },
	{ PR_3_DIRENT_NOT_DIR, E, "inode %d has directory entries but is not a directory" },
	{ PR_3_DIRENT_NO_INODE, E, "directory %d entry '%m': inode %i does not exist" },
	{ PR_3_DIRENT_TYPE, E, "directory %d entry '%m': type %h but inode %i is of type %e" },
	{ PR_3_DIRENT_NO_REF, E, "directory %d entry '%m': inode %i has no matching inode ref" },
	{ PR_3_REF_NO_DIRENT, E,
	  "inode %i: inode ref '%m' in directory %d has no directory entry" },
	{ PR_3_UNREACHABLE, E, "inode %i: not reachable from the root directory" },
	{ PR_3_DIR_LINKS, E, "directory %i (%p): named by %h directory entries expect %e" },
	{ PR_3_NLINK, E, "inode %i (%p): nlink %h, found %e names" },
	{ PR_3_DIR_SIZE, E, "directory %i (%p): size %h, entry names add up to %e" },
	{ PR_3_DIR_EXTENT, E, "directory %i (%p): file extent at offset %o" },
	{ PR_3_EXTENT_BAD, E, "inode %i (%p) file extent at offset %o: %m" },
	{ PR_3_EXTENT_PAST_EOF, E, "inode %i (%p) file extent at offset %o: past the size %h" },
	{ PR_3_EXTENT_OVERLAP, E,
	  "inode %i (%p) file extent at offset %o: overlaps the previous one up to %h" },
	{ PR_3_NBYTES, E, "inode %i (%p): nbytes %h, file extents add up to %e" },
	{ PR_3_LINKS_SKIPPED, I, "names and links not checked: %m" },

	{ PR_4_DATA_CSUM, E, "data block %b (%p offset %o): bad checksum, have %H expect %E" },
	{ PR_4_DATA_CSUM_NO_FILE, E,
	  "data block %b (in no file): bad checksum, have %H expect %E" },
	{ PR_4_DATA_READ, E, "data blocks [%b, +%n): cannot read: %m" },
	{ PR_4_DATA_PAST_END, E, "data blocks [%b, +%n): past the end of the image" },

	/* %m is the rest of cowfs_expect_check()'s message, so both read the same. */
	{ PR_5_CONTENT, E, "%q%r: %m" },
	{ PR_5_SIZE, E, "%q: size %h, %m" },
	{ PR_5_MISSING, E, "%q: missing" },
	{ PR_5_UNEXPECTED, E, "%q: unexpected" },
	{ PR_5_TYPE, E, "%q: %m" },
	{ PR_5_CHECKSUM, E, "%q%r: checksum mismatch" },
	{ PR_5_UNREADABLE, E, "%q%r: unreadable: %m" },
	{ PR_5_MIXED, E, "%q%r: %m" },
};

const size_t fsck_problem_count = sizeof(fsck_problem_table) / sizeof(fsck_problem_table[0]);

#undef E
#undef W
#undef I

const struct fsck_problem_def *fsck_problem_find(uint32_t code)
{
	size_t lo = 0, hi = fsck_problem_count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (fsck_problem_table[mid].code == code)
			return &fsck_problem_table[mid];
		if (fsck_problem_table[mid].code < code)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const char *cowfs_severity_name(enum cowfs_severity sev)
{
	switch (sev) {
	case COWFS_SEV_INFO:
		return "info";
	case COWFS_SEV_WARNING:
		return "warning";
	case COWFS_SEV_ERROR:
		return "error";
	}
	return "unknown";
}

const char *cowfs_problem_template(uint32_t code)
{
	const struct fsck_problem_def *p = fsck_problem_find(code);

	return p ? p->tmpl : NULL;
}

int cowfs_problem_severity(uint32_t code)
{
	const struct fsck_problem_def *p = fsck_problem_find(code);

	return p ? (int)p->severity : -1;
}

uint32_t cowfs_problem_next(uint32_t code)
{
	for (size_t i = 0; i < fsck_problem_count; i++)
		if (fsck_problem_table[i].code > code)
			return fsck_problem_table[i].code;
	return 0;
}

/* ---- templates ---- */

static const struct {
	char c;
	unsigned field;
} placeholders[] = {
	{ 'b', COWFS_PF_BYTENR }, { 'P', COWFS_PF_PARENT }, { 't', COWFS_PF_TREE },
	{ 's', COWFS_PF_SLOT }, { 'k', COWFS_PF_KEY }, { 'i', COWFS_PF_INO },
	{ 'd', COWFS_PF_DIR }, { 'p', COWFS_PF_PATH | COWFS_PF_INO },
	{ 'o', COWFS_PF_FILE_OFF }, { 'h', COWFS_PF_HAVE }, { 'e', COWFS_PF_EXPECT },
	{ 'H', COWFS_PF_HAVE }, { 'E', COWFS_PF_EXPECT }, { 'O', COWFS_PF_HAVE },
	{ 'n', COWFS_PF_NUM }, { 'm', COWFS_PF_STR }, { 'c', COWFS_PF_COPY }, { '%', 0 },
	{ 'q', COWFS_PF_PATH }, { 'r', COWFS_PF_FILE_OFF | COWFS_PF_NUM },
};

static int placeholder_field(char c)
{
	for (size_t i = 0; i < sizeof(placeholders) / sizeof(placeholders[0]); i++)
		if (placeholders[i].c == c)
			return (int)placeholders[i].field;
	return -1;
}

int fsck_template_fields(const char *tmpl)
{
	int fields = 0;

	for (const char *p = tmpl; *p; p++) {
		int f;

		if (*p != '%')
			continue;
		f = placeholder_field(*++p);
		if (f < 0)
			return -1;
		fields |= f;
	}
	return fields;
}

/* Checksums are 32 bits; wider values print in full. */
static int put_hex(char *buf, size_t size, uint64_t v)
{
	if (v <= UINT32_MAX)
		return snprintf(buf, size, "0x%08" PRIx64, v);
	return snprintf(buf, size, "0x%" PRIx64, v);
}

/* Paths of pass 5 as its messages (and traces) write them: quoted when they need it. */
static int put_trace_path(char *buf, size_t size, const char *path)
{
	char *text = NULL;
	size_t len = 0;
	FILE *m;
	int ok, n;

	if (!path)
		path = "";
	m = open_memstream(&text, &len);
	if (!m)
		return snprintf(buf, size, "%s", path);	/* no memory: the raw bytes */
	ok = cowfs_text_path_format(m, path, strlen(path)) == 0;
	ok = fclose(m) == 0 && ok && text;
	n = snprintf(buf, size, "%s", ok ? text : path);
	free(text);
	return n;
}

static int expand(char *buf, size_t size, char c, const struct cowfs_problem_ctx *x)
{
	switch (c) {
	case 'b': return snprintf(buf, size, "%" PRIu64, x->bytenr);
	case 'P':
		if (!x->parent)
			return snprintf(buf, size, "superblock");
		return snprintf(buf, size, "%" PRIu64, x->parent);
	case 't': return snprintf(buf, size, "%" PRIu64, x->tree);
	case 's': return snprintf(buf, size, "%d", x->slot);
	case 'k':
		return snprintf(buf, size, "(%" PRIu64 " %u %" PRIu64 ")", x->key_objectid,
				x->key_type, x->key_offset);
	case 'i': return snprintf(buf, size, "%" PRIu64, x->ino);
	case 'd': return snprintf(buf, size, "%" PRIu64, x->dir);
	case 'p':
		if (x->path)
			return snprintf(buf, size, "%s", x->path);
		return snprintf(buf, size, "inode %" PRIu64, x->ino);
	case 'o': return snprintf(buf, size, "%" PRIu64, x->file_off);
	case 'h': return snprintf(buf, size, "%" PRIu64, x->have);
	case 'e': return snprintf(buf, size, "%" PRIu64, x->expect);
	case 'H': return put_hex(buf, size, x->have);
	case 'E': return put_hex(buf, size, x->expect);
	case 'O': return snprintf(buf, size, "0%" PRIo64, x->have);
	case 'n': return snprintf(buf, size, "%" PRIu64, x->num);
	case 'm': return snprintf(buf, size, "%s", x->str ? x->str : "");
	case 'c': return snprintf(buf, size, "%s", x->copy ? "backup" : "primary");
	case 'q': return put_trace_path(buf, size, x->path);
	case 'r':
		if (!x->num)
			return 0;
		return snprintf(buf, size, " [%" PRIu64 ", %" PRIu64 ")", x->file_off,
				x->file_off + x->num);
	case '%': return snprintf(buf, size, "%%");
	}
	return snprintf(buf, size, "%%%c", c);
}

void fsck_fill_message(char *buf, size_t size, const char *tmpl,
		       const struct cowfs_problem_ctx *ctx)
{
	size_t pos = 0;

	if (!size)
		return;
	for (const char *p = tmpl; *p && pos + 1 < size; p++) {
		int n;

		if (*p != '%' || !p[1]) {
			buf[pos++] = *p;
			continue;
		}
		n = expand(buf + pos, size - pos, *++p, ctx);
		if (n < 0)
			break;
		pos += (size_t)n < size - pos ? (size_t)n : size - pos - 1;
	}
	buf[pos] = '\0';
}

void fsck_report(struct fsck_ctx *c, uint32_t code, struct cowfs_problem_ctx *ctx)
{
	const struct fsck_problem_def *p = fsck_problem_find(code);
	char msg[4096 + 512];	/* a path may be PATH_MAX long */
	int fields;

	if (!p)
		return;
	fields = fsck_template_fields(p->tmpl);
	ctx->fields = fields < 0 ? 0 : (unsigned)fields;
	fsck_fill_message(msg, sizeof(msg), p->tmpl, ctx);
	switch (p->severity) {
	case COWFS_SEV_ERROR:
		c->sum->errors++;
		break;
	case COWFS_SEV_WARNING:
		c->sum->warnings++;
		break;
	case COWFS_SEV_INFO:
		c->sum->infos++;
		break;
	}
	if (c->ops && c->ops->problem)
		c->ops->problem(c->ops->arg, code, p->severity, msg, ctx);
}
