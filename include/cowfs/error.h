/* Error codes shared by every layer of libfs.
 *
 * The library never prints and never exits: every function returns 0 (or a
 * non-negative count) on success and a negative code on failure.  A code is
 * either -errno (EIO, ENOSPC, ENOENT, ...) or one of the COWFS_E* values
 * below, which sit in a range no errno uses.  cowfs_strerror() names both.
 */
#ifndef COWFS_ERROR_H
#define COWFS_ERROR_H

enum {
	COWFS_EBASE = 30700,
	COWFS_EBADSUPER,	/* no valid superblock */
	COWFS_EBADBLOCK,	/* a metadata block failed validation */
	COWFS_ECSUM,		/* a data checksum did not match */
	COWFS_EFORMAT,		/* not a cowfs image, or an unknown format version */
	COWFS_EEXISTFS,		/* the target already holds a filesystem signature */
	COWFS_ECORRUPT,		/* the trees contradict each other */
	COWFS_ETRACE,		/* a malformed trace */
	COWFS_EREPLAY,		/* a trace operation could not be replayed */
	COWFS_ELOCKED,		/* the image is opened for writing elsewhere */
	COWFS_ETOOBIG,		/* a name, item or extent exceeds a format limit */
	COWFS_EIOSTOP,		/* the fault-injection I/O layer stopped writing */
	COWFS_ELAST
};

/* Name of a code (negative or positive); never NULL. */
const char *cowfs_strerror(int err);

#endif
