/* Tree-block and superblock validation, after btrfs's tree-checker.c: check
 * every member once, at read time, so that no later code has to.
 *
 * Checks run cheapest-to-trust first: the checksum, then the header, then the
 * layout.  Each failure fills a cowfs_block_err whose message follows the
 * tree-checker form "<what>, have X expect Y".
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cowfs/error.h"
#include "disk/verify.h"
#include "util/crc32c.h"

static const char *const status_names[COWFS_BLOCK_NR_STATUS] = {
	[COWFS_BLOCK_OK]		= "ok",
	[COWFS_BLOCK_BAD_CSUM]		= "bad-csum",
	[COWFS_BLOCK_BAD_BYTENR]	= "bad-bytenr",
	[COWFS_BLOCK_BAD_FSID]		= "bad-fsid",
	[COWFS_BLOCK_BAD_GENERATION]	= "bad-generation",
	[COWFS_BLOCK_BAD_LEVEL]		= "bad-level",
	[COWFS_BLOCK_BAD_OWNER]		= "bad-owner",
	[COWFS_BLOCK_BAD_NRITEMS]	= "bad-nritems",
	[COWFS_BLOCK_BAD_KEY_ORDER]	= "key-order",
	[COWFS_BLOCK_BAD_ITEM_OFFSET]	= "bad-item-offset",
	[COWFS_BLOCK_BAD_BLOCKPTR]	= "bad-blockptr",
	[COWFS_BLOCK_BAD_ITEM]		= "bad-item",
	[COWFS_SUPER_BAD_MAGIC]		= "super-bad-magic",
	[COWFS_SUPER_BAD_CSUM]		= "super-bad-csum",
	[COWFS_SUPER_BAD_BYTENR]	= "super-bad-bytenr",
	[COWFS_SUPER_BAD_VERSION]	= "super-bad-version",
	[COWFS_SUPER_BAD_GEOMETRY]	= "super-bad-geometry",
	[COWFS_SUPER_BAD_FEATURES]	= "super-bad-features",
	[COWFS_SUPER_BAD_SIZE]		= "super-bad-size",
	[COWFS_SUPER_BAD_ROOT]		= "super-bad-root",
	[COWFS_SUPER_BAD_GENERATION]	= "super-bad-generation",
	[COWFS_SUPER_BAD_USAGE]		= "super-bad-usage",
	[COWFS_SUPER_TOO_BIG]		= "super-too-big",
};

const char *cowfs_block_status_name(enum cowfs_block_status st)
{
	if ((unsigned)st >= COWFS_BLOCK_NR_STATUS || !status_names[st])
		return "unknown";
	return status_names[st];
}

__attribute__((format(printf, 6, 7)))
static enum cowfs_block_status fail(struct cowfs_block_err *err, enum cowfs_block_status st,
				    int slot, uint64_t have, uint64_t expect, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return st;
	err->status = st;
	err->slot = slot;
	err->have = have;
	err->expect = expect;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return st;
}

static void err_key(struct cowfs_block_err *err, const struct cowfs_key *key)
{
	if (err)
		err->key = *key;
}

uint32_t cowfs_block_csum(const void *block)
{
	return cowfs_crc32c((const uint8_t *)block + COWFS_CSUM_SIZE,
			   COWFS_BLOCK_SIZE - COWFS_CSUM_SIZE);
}

void cowfs_block_set_csum(void *block)
{
	uint8_t *csum = block;
	le32_t v;

	put_le32(&v, cowfs_block_csum(block));
	memset(csum, 0, COWFS_CSUM_SIZE);
	memcpy(csum, &v, sizeof(v));
}

/* The first 32 bytes of a block or superblock: crc32c, then zeros. */
static enum cowfs_block_status check_csum(const void *block, enum cowfs_block_status st,
					  struct cowfs_block_err *err)
{
	const uint8_t *csum = block;
	uint32_t have = get_le32((const le32_t *)csum), expect = cowfs_block_csum(block);

	if (have != expect)
		return fail(err, st, -1, have, expect, "bad checksum, have 0x%08" PRIx32
			    " expect 0x%08" PRIx32, have, expect);
	for (int i = 4; i < COWFS_CSUM_SIZE; i++)
		if (csum[i])
			return fail(err, st, -1, csum[i], 0,
				    "nonzero byte %d in checksum field, have 0x%02x", i, csum[i]);
	return COWFS_BLOCK_OK;
}

static int known_tree(uint64_t owner)
{
	return owner == COWFS_FS_TREE || owner == COWFS_EXTENT_TREE || owner == COWFS_CSUM_TREE;
}

static enum cowfs_block_status check_header(const struct cowfs_header *h, uint64_t bytenr,
					    const uint8_t fsid[16], uint64_t owner, int level,
					    uint64_t max_gen, struct cowfs_block_err *err)
{
	uint64_t v;

	v = cowfs_header_bytenr(h);
	if (v != bytenr)
		return fail(err, COWFS_BLOCK_BAD_BYTENR, -1, v, bytenr,
			    "bad bytenr, have %" PRIu64 " expect %" PRIu64, v, bytenr);
	if (memcmp(h->fsid, fsid, COWFS_FSID_SIZE))
		return fail(err, COWFS_BLOCK_BAD_FSID, -1, 0, 0, "fsid mismatch");
	v = cowfs_header_generation(h);
	if (v == 0 || v > max_gen)
		return fail(err, COWFS_BLOCK_BAD_GENERATION, -1, v, max_gen,
			    "bad generation, have %" PRIu64 " expect (0, %" PRIu64 "]", v, max_gen);
	if (h->level >= COWFS_MAX_LEVEL || (level >= 0 && h->level != level))
		return fail(err, COWFS_BLOCK_BAD_LEVEL, -1, h->level,
			    level >= 0 ? (uint64_t)level : COWFS_MAX_LEVEL - 1,
			    "bad level, have %d expect %d", h->level,
			    level >= 0 ? level : COWFS_MAX_LEVEL - 1);
	v = cowfs_header_owner(h);
	if ((owner && v != owner) || !known_tree(v))
		return fail(err, COWFS_BLOCK_BAD_OWNER, -1, v, owner,
			    "bad owner, have %" PRIu64 " expect %" PRIu64, v, owner);
	return COWFS_BLOCK_OK;
}

static enum cowfs_block_status check_key_order(const struct cowfs_key *prev,
					       const struct cowfs_key *key, int slot,
					       struct cowfs_block_err *err)
{
	if (slot == 0 || cowfs_key_cmp(prev, key) < 0)
		return COWFS_BLOCK_OK;
	err_key(err, key);
	return fail(err, COWFS_BLOCK_BAD_KEY_ORDER, slot, 0, 0,
		    "key order, slot %d key (%" PRIu64 " %u %" PRIu64 ") not above (%" PRIu64
		    " %u %" PRIu64 ")", slot, key->objectid, key->type, key->offset,
		    prev->objectid, prev->type, prev->offset);
}

static enum cowfs_block_status check_leaf(const uint8_t *block, uint32_t nritems,
					  struct cowfs_block_err *err)
{
	const struct cowfs_item *items = (const void *)(block + sizeof(struct cowfs_header));
	uint64_t items_end = (uint64_t)nritems * sizeof(struct cowfs_item);
	uint64_t data_end = COWFS_LEAF_DATA_SIZE;
	struct cowfs_key prev = { 0 }, key;

	if (items_end > COWFS_LEAF_DATA_SIZE)
		return fail(err, COWFS_BLOCK_BAD_NRITEMS, -1, nritems,
			    COWFS_LEAF_DATA_SIZE / sizeof(struct cowfs_item),
			    "bad nritems, have %" PRIu32 " expect at most %zu", nritems,
			    COWFS_LEAF_DATA_SIZE / sizeof(struct cowfs_item));
	for (uint32_t i = 0; i < nritems; i++) {
		uint64_t off = cowfs_item_offset(&items[i]);
		uint64_t size = cowfs_item_size(&items[i]);

		cowfs_disk_to_key(&key, &items[i].key);
		if (check_key_order(&prev, &key, (int)i, err))
			return COWFS_BLOCK_BAD_KEY_ORDER;
		/* btrfs packs item data downward from the block end, in item order. */
		if (off + size != data_end || off < items_end) {
			err_key(err, &key);
			return fail(err, COWFS_BLOCK_BAD_ITEM_OFFSET, (int)i, off, data_end - size,
				    "bad item offset, slot %" PRIu32 " data [%" PRIu64 ", %" PRIu64
				    ") expect end %" PRIu64 " above %" PRIu64, i, off, off + size,
				    data_end, items_end);
		}
		data_end = off;
		prev = key;
	}
	return COWFS_BLOCK_OK;
}

static enum cowfs_block_status check_node(const uint8_t *block, uint64_t bytenr,
					  uint32_t nritems, struct cowfs_block_err *err)
{
	const struct cowfs_key_ptr *ptrs = (const void *)(block + sizeof(struct cowfs_header));
	struct cowfs_key prev = { 0 }, key;

	if (nritems == 0 || nritems > COWFS_NODE_PTRS)
		return fail(err, COWFS_BLOCK_BAD_NRITEMS, -1, nritems, COWFS_NODE_PTRS,
			    "bad nritems, have %" PRIu32 " expect [1, %zu]", nritems,
			    COWFS_NODE_PTRS);
	for (uint32_t i = 0; i < nritems; i++) {
		uint64_t ptr = cowfs_key_ptr_blockptr(&ptrs[i]);

		cowfs_disk_to_key(&key, &ptrs[i].key);
		if (check_key_order(&prev, &key, (int)i, err))
			return COWFS_BLOCK_BAD_KEY_ORDER;
		if (ptr % COWFS_BLOCK_SIZE || ptr < COWFS_RESERVED_BYTES || ptr == bytenr) {
			err_key(err, &key);
			return fail(err, COWFS_BLOCK_BAD_BLOCKPTR, (int)i, ptr, 0,
				    "bad block pointer, slot %" PRIu32 " have %" PRIu64, i, ptr);
		}
		prev = key;
	}
	return COWFS_BLOCK_OK;
}

enum cowfs_block_status cowfs_verify_block_shape(const void *block, uint64_t bytenr,
						 const uint8_t fsid[16], uint64_t owner, int level,
						 uint64_t max_gen, struct cowfs_block_err *err)
{
	const struct cowfs_header *h = block;
	enum cowfs_block_status st;

	if (err)
		memset(err, 0, sizeof(*err));
	if (err)
		err->slot = -1;
	st = check_csum(block, COWFS_BLOCK_BAD_CSUM, err);
	if (st == COWFS_BLOCK_OK)
		st = check_header(h, bytenr, fsid, owner, level, max_gen, err);
	if (st != COWFS_BLOCK_OK)
		return st;
	if (h->level == 0)
		return check_leaf(block, cowfs_header_nritems(h), err);
	return check_node(block, bytenr, cowfs_header_nritems(h), err);
}

enum cowfs_block_status cowfs_verify_block(const void *block, uint64_t bytenr,
					   const uint8_t fsid[16], uint64_t owner, int level,
					   uint64_t max_gen, struct cowfs_block_err *err)
{
	const uint8_t *b = block;
	const struct cowfs_header *h = block;
	const struct cowfs_item *items = (const void *)(b + sizeof(*h));
	enum cowfs_block_status st;

	st = cowfs_verify_block_shape(block, bytenr, fsid, owner, level, max_gen, err);
	if (st != COWFS_BLOCK_OK || h->level != 0)
		return st;
	for (uint32_t i = 0; i < cowfs_header_nritems(h); i++) {
		struct cowfs_key key;

		cowfs_disk_to_key(&key, &items[i].key);
		st = cowfs_verify_item(cowfs_header_owner(h), &key,
				       b + sizeof(*h) + cowfs_item_offset(&items[i]),
				       cowfs_item_size(&items[i]), err);
		if (st != COWFS_BLOCK_OK) {
			if (err)
				err->slot = (int)i;
			return st;
		}
	}
	return COWFS_BLOCK_OK;
}

/* ---- items ---- */

static enum cowfs_block_status bad_item(struct cowfs_block_err *err, const struct cowfs_key *key,
					uint64_t have, uint64_t expect, const char *what)
{
	err_key(err, key);
	return fail(err, COWFS_BLOCK_BAD_ITEM, -1, have, expect,
		    "bad item (%" PRIu64 " %u %" PRIu64 "): %s, have %" PRIu64 " expect %" PRIu64,
		    key->objectid, key->type, key->offset, what, have, expect);
}

/* DIR_ITEM and INODE_REF data: a run of (header, name) records filling the item. */
static enum cowfs_block_status check_names(const struct cowfs_key *key, const uint8_t *p,
					   uint32_t size, struct cowfs_block_err *err)
{
	int dir = key->type == COWFS_DIR_ITEM;
	uint32_t hdr = dir ? sizeof(struct cowfs_dir_entry) : sizeof(struct cowfs_inode_ref);
	uint32_t pos = 0, len;

	if (size == 0)
		return bad_item(err, key, 0, hdr + 1, "empty name item");
	while (pos < size) {
		if (size - pos < hdr)
			return bad_item(err, key, size - pos, hdr, "truncated name header");
		if (dir) {
			const struct cowfs_dir_entry *de = (const void *)(p + pos);

			len = cowfs_dir_entry_name_len(de);
			if (de->type != COWFS_FT_REG && de->type != COWFS_FT_DIR)
				return bad_item(err, key, de->type, COWFS_FT_REG, "bad entry type");
		} else {
			len = cowfs_inode_ref_name_len((const void *)(p + pos));
		}
		if (len == 0 || len > COWFS_NAME_MAX)
			return bad_item(err, key, len, COWFS_NAME_MAX, "bad name length");
		if (size - pos - hdr < len)
			return bad_item(err, key, size - pos - hdr, len, "name past item end");
		pos += hdr + len;
	}
	return COWFS_BLOCK_OK;
}

static enum cowfs_block_status check_fs_item(const struct cowfs_key *key, const void *data,
					     uint32_t size, struct cowfs_block_err *err)
{
	const struct cowfs_file_extent *fe = data;

	switch (key->type) {
	case COWFS_INODE_ITEM:
		if (size != sizeof(struct cowfs_inode_item))
			return bad_item(err, key, size, sizeof(struct cowfs_inode_item),
					"bad inode item size");
		if (key->offset != 0)
			return bad_item(err, key, key->offset, 0, "bad inode item key offset");
		return COWFS_BLOCK_OK;
	case COWFS_INODE_REF:
	case COWFS_DIR_ITEM:
		return check_names(key, data, size, err);
	case COWFS_EXTENT_DATA:
		if (size != sizeof(*fe))
			return bad_item(err, key, size, sizeof(*fe), "bad file extent size");
		if (fe->type != COWFS_FILE_EXTENT_REG)
			return bad_item(err, key, fe->type, COWFS_FILE_EXTENT_REG,
					"bad file extent type");
		if (fe->compression != COWFS_COMPRESS_NONE &&
		    fe->compression != COWFS_COMPRESS_ZSTD)
			return bad_item(err, key, fe->compression, COWFS_COMPRESS_ZSTD,
					"bad compression");
		return COWFS_BLOCK_OK;
	default:
		return bad_item(err, key, key->type, 0, "unknown item type in fs tree");
	}
}

enum cowfs_block_status cowfs_verify_item(uint64_t owner, const struct cowfs_key *key,
					  const void *data, uint32_t size,
					  struct cowfs_block_err *err)
{
	switch (owner) {
	case COWFS_FS_TREE:
		return check_fs_item(key, data, size, err);
	case COWFS_EXTENT_TREE:
		if (key->type != COWFS_EXTENT_ITEM)
			return bad_item(err, key, key->type, COWFS_EXTENT_ITEM,
					"unknown item type in extent tree");
		if (size != sizeof(struct cowfs_extent_item))
			return bad_item(err, key, size, sizeof(struct cowfs_extent_item),
					"bad extent item size");
		return COWFS_BLOCK_OK;
	case COWFS_CSUM_TREE:
		if (key->type != COWFS_EXTENT_CSUM || key->objectid != COWFS_CSUM_OBJECTID)
			return bad_item(err, key, key->type, COWFS_EXTENT_CSUM,
					"unknown item in csum tree");
		if (size == 0 || size % sizeof(uint32_t))
			return bad_item(err, key, size, sizeof(uint32_t), "bad csum item size");
		return COWFS_BLOCK_OK;
	default:
		return bad_item(err, key, owner, COWFS_FS_TREE, "unknown tree");
	}
}

/* ---- superblock ---- */

static int verify_root(const struct cowfs_super *sb, int i, struct cowfs_block_err *err)
{
	const struct cowfs_root_ptr *r = &sb->roots[i];
	uint64_t total = cowfs_super_total_bytes(sb), gen = cowfs_super_generation(sb);
	uint64_t bytenr = cowfs_root_ptr_bytenr(r), rgen = cowfs_root_ptr_generation(r);

	if (bytenr % COWFS_BLOCK_SIZE || bytenr < COWFS_RESERVED_BYTES ||
	    bytenr > total - COWFS_NODE_SIZE)
		return fail(err, COWFS_SUPER_BAD_ROOT, i, bytenr, 0,
			    "bad root %d bytenr, have %" PRIu64 " expect aligned in [%llu, %" PRIu64
			    ")", i, bytenr, COWFS_RESERVED_BYTES, total);
	if (r->level >= COWFS_MAX_LEVEL)
		return fail(err, COWFS_SUPER_BAD_ROOT, i, r->level, COWFS_MAX_LEVEL - 1,
			    "bad root %d level, have %d expect below %d", i, r->level,
			    COWFS_MAX_LEVEL);
	if (rgen == 0 || rgen > gen)
		return fail(err, COWFS_SUPER_BAD_ROOT, i, rgen, gen,
			    "bad root %d generation, have %" PRIu64 " expect (0, %" PRIu64 "]",
			    i, rgen, gen);
	return 0;
}

static int verify_super_fields(const struct cowfs_super *sb, uint64_t bytenr,
			       struct cowfs_block_err *err)
{
	uint64_t v, total = cowfs_super_total_bytes(sb);

	if (cowfs_super_magic(sb) != COWFS_MAGIC)
		return fail(err, COWFS_SUPER_BAD_MAGIC, -1, cowfs_super_magic(sb), COWFS_MAGIC,
			    "bad magic, have 0x%016" PRIx64 " expect 0x%016llx",
			    cowfs_super_magic(sb), COWFS_MAGIC);
	if (check_csum(sb, COWFS_SUPER_BAD_CSUM, err))
		return COWFS_SUPER_BAD_CSUM;
	v = cowfs_super_bytenr(sb);
	if (v != bytenr)
		return fail(err, COWFS_SUPER_BAD_BYTENR, -1, v, bytenr,
			    "bad bytenr, have %" PRIu64 " expect %" PRIu64, v, bytenr);
	v = cowfs_super_version(sb);
	if (v != COWFS_FORMAT_VERSION)
		return fail(err, COWFS_SUPER_BAD_VERSION, -1, v, COWFS_FORMAT_VERSION,
			    "bad format version, have %" PRIu64 " expect %d", v,
			    COWFS_FORMAT_VERSION);
	if (cowfs_super_block_size(sb) != COWFS_BLOCK_SIZE)
		return fail(err, COWFS_SUPER_BAD_GEOMETRY, -1, cowfs_super_block_size(sb),
			    COWFS_BLOCK_SIZE, "bad block size, have %" PRIu32 " expect %u",
			    cowfs_super_block_size(sb), COWFS_BLOCK_SIZE);
	if (cowfs_super_node_size(sb) != COWFS_NODE_SIZE)
		return fail(err, COWFS_SUPER_BAD_GEOMETRY, -1, cowfs_super_node_size(sb),
			    COWFS_NODE_SIZE, "bad node size, have %" PRIu32 " expect %u",
			    cowfs_super_node_size(sb), COWFS_NODE_SIZE);
	if (cowfs_super_csum_type(sb) != COWFS_CSUM_CRC32C)
		return fail(err, COWFS_SUPER_BAD_GEOMETRY, -1, cowfs_super_csum_type(sb),
			    COWFS_CSUM_CRC32C, "bad csum type, have %u expect %d",
			    cowfs_super_csum_type(sb), COWFS_CSUM_CRC32C);
	v = cowfs_super_incompat(sb) & ~(uint64_t)COWFS_FEATURES_SUPPORTED;
	if (v)
		return fail(err, COWFS_SUPER_BAD_FEATURES, -1, v, 0,
			    "unknown incompat features 0x%" PRIx64, v);
	if (total < COWFS_MIN_SIZE || total % COWFS_BLOCK_SIZE)
		return fail(err, COWFS_SUPER_BAD_SIZE, -1, total, COWFS_MIN_SIZE,
			    "bad total_bytes, have %" PRIu64 " expect aligned and at least %llu",
			    total, COWFS_MIN_SIZE);
	if (cowfs_super_generation(sb) == 0)
		return fail(err, COWFS_SUPER_BAD_GENERATION, -1, 0, 1, "bad generation 0");
	return 0;
}

int cowfs_verify_super(const struct cowfs_super *sb, uint64_t bytenr, uint64_t dev_size,
		       struct cowfs_block_err *err)
{
	uint64_t used = cowfs_super_bytes_used(sb), total = cowfs_super_total_bytes(sb);

	if (err) {
		memset(err, 0, sizeof(*err));
		err->slot = -1;
	}
	if (verify_super_fields(sb, bytenr, err))
		return -COWFS_EBADSUPER;
	for (int i = 0; i < COWFS_NR_TREES; i++)
		if (verify_root(sb, i, err))
			return -COWFS_EBADSUPER;
	if (used % COWFS_BLOCK_SIZE || used > total - COWFS_RESERVED_BYTES)
		return fail(err, COWFS_SUPER_BAD_USAGE, -1, used, total - COWFS_RESERVED_BYTES,
			    "bad bytes_used, have %" PRIu64 " expect aligned at most %" PRIu64,
			    used, (uint64_t)(total - COWFS_RESERVED_BYTES)), -COWFS_EBADSUPER;
	if (cowfs_super_next_ino(sb) <= COWFS_ROOT_INO)
		return fail(err, COWFS_SUPER_BAD_USAGE, -1, cowfs_super_next_ino(sb),
			    COWFS_ROOT_INO + 1, "bad next_ino, have %" PRIu64 " expect above %llu",
			    cowfs_super_next_ino(sb), COWFS_ROOT_INO), -COWFS_EBADSUPER;
	/* Last, so that a caller can tell a truncated image from a corrupt superblock. */
	if (total > dev_size)
		return fail(err, COWFS_SUPER_TOO_BIG, -1, total, dev_size,
			    "total_bytes past the device end, have %" PRIu64 " expect at most %"
			    PRIu64, total, dev_size), -COWFS_EBADSUPER;
	return 0;
}
