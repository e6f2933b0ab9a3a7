/* cowfs_strerror(): a name for every code a libfs function can return. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cowfs/error.h"

#define COWFS_NCODES (COWFS_ELAST - COWFS_EBASE - 1)

static const char *const cowfs_messages[COWFS_NCODES] = {
	[COWFS_EBADSUPER - COWFS_EBASE - 1] = "no valid superblock",
	[COWFS_EBADBLOCK - COWFS_EBASE - 1] = "metadata block failed validation",
	[COWFS_ECSUM - COWFS_EBASE - 1] = "data checksum mismatch",
	[COWFS_EFORMAT - COWFS_EBASE - 1] = "not a cowfs image or unknown format version",
	[COWFS_EEXISTFS - COWFS_EBASE - 1] = "target already holds a filesystem signature",
	[COWFS_ECORRUPT - COWFS_EBASE - 1] = "filesystem trees are inconsistent",
	[COWFS_ETRACE - COWFS_EBASE - 1] = "malformed trace",
	[COWFS_EREPLAY - COWFS_EBASE - 1] = "trace operation could not be replayed",
	[COWFS_ELOCKED - COWFS_EBASE - 1] = "image is opened for writing elsewhere",
	[COWFS_ETOOBIG - COWFS_EBASE - 1] = "exceeds a format limit",
	[COWFS_EIOSTOP - COWFS_EBASE - 1] = "fault injection stopped writing",
};

/* Unknown codes are formatted here, so two threads never share the text. */
static _Thread_local char unknown_buf[48];

static const char *errno_message(int e)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
	const char *s = strerrordesc_np(e);

	if (s)
		return s;
#elif defined(__GLIBC__)
	const char *s = strerror_r(e, unknown_buf, sizeof(unknown_buf));

	if (s && strncmp(s, "Unknown error", 13) != 0)
		return s;
#else
	if (strerror_r(e, unknown_buf, sizeof(unknown_buf)) == 0 &&
	    strncmp(unknown_buf, "Unknown error", 13) != 0)
		return unknown_buf;
#endif
	return NULL;
}

const char *cowfs_strerror(int err)
{
	const char *s = NULL;
	int e;

	if (err == INT_MIN)
		goto unknown;
	e = err < 0 ? -err : err;
	if (e > COWFS_EBASE && e < COWFS_ELAST)
		s = cowfs_messages[e - COWFS_EBASE - 1];
	else if (e < COWFS_EBASE)
		s = errno_message(e);
	if (s)
		return s;
unknown:
	snprintf(unknown_buf, sizeof(unknown_buf), "unknown error %d", err);
	return unknown_buf;
}
