/* Profiles: the engine's behaviour switches, named by the kernels that had them. */
#include <string.h>

#include "cowfs/engine.h"

static const struct cowfs_profile profiles[] = {
	{ "current", "Linux 5.9 and later (default)", COWFS_OOB_FIXUP, 0, 1 },
	{ "pre-fixup", "btrfs before 247e743cbe6e (2008)", COWFS_OOB_NONE, 1, 0 },
	{ "linux-2.6.29", "Linux 2.6.29 - 3.2", COWFS_OOB_FIXUP_NORESERVE, 1, 0 },
	{ "linux-4.19", "Linux 3.3 - 4.19", COWFS_OOB_FIXUP_EBUSY, 1, 0 },
	{ "linux-4.20", "Linux 4.20 - 5.5", COWFS_OOB_FIXUP_EBUSY, 0, 0 },
	{ "linux-5.6", "Linux 5.6 - 5.8", COWFS_OOB_FIXUP, 0, 0 },
	{ "linux-6.15-experimental", "Linux 6.15 and later, CONFIG_BTRFS_EXPERIMENTAL",
	  COWFS_OOB_REJECT, 0, 1 },
};

#define NPROFILES ((int)(sizeof(profiles) / sizeof(profiles[0])))

static const struct {
	const char *name;
	const char *commit;
} oob_modes[COWFS_OOB_NR] = {
	[COWFS_OOB_NONE] = { "none", "before 247e743cbe6e: no writepage start hook" },
	[COWFS_OOB_FIXUP_NORESERVE] = { "fixup-noreserve",
		"247e743cbe6e \"Btrfs: Use async helpers to deal with pages that have been "
		"improperly dirtied\"" },
	[COWFS_OOB_FIXUP_EBUSY] = { "fixup-ebusy",
		"87826df0ec36 \"btrfs: delalloc for page dirtied out-of-band in fixup worker\"" },
	[COWFS_OOB_FIXUP] = { "fixup",
		"25f3c5021985 \"Btrfs: keep pages dirty when using btrfs_writepage_fixup_worker\" "
		"+ f4b1363cae43 \"btrfs: do not do delalloc reservation under page lock\"" },
	[COWFS_OOB_REJECT] = { "reject",
		"7ca3e84980ef \"btrfs: reject out-of-band dirty folios during writeback\"" },
};

int cowfs_profile_count(void)
{
	return NPROFILES;
}

const struct cowfs_profile *cowfs_profile_at(int i)
{
	return i >= 0 && i < NPROFILES ? &profiles[i] : NULL;
}

const struct cowfs_profile *cowfs_profile_find(const char *name)
{
	for (int i = 0; name && i < NPROFILES; i++)
		if (!strcmp(profiles[i].name, name))
			return &profiles[i];
	return NULL;
}

const char *cowfs_oob_mode_name(enum cowfs_oob_mode mode)
{
	return (unsigned)mode < COWFS_OOB_NR ? oob_modes[mode].name : "unknown";
}

const char *cowfs_oob_mode_commit(enum cowfs_oob_mode mode)
{
	return (unsigned)mode < COWFS_OOB_NR ? oob_modes[mode].commit : "unknown";
}

const char *cowfs_write_cleans_commit(int cleans)
{
	return cleans ? "the original merge (73d59314e6ed) until 7703bdd8d23e"
		      : "7703bdd8d23e \"Btrfs: don't clean dirty pages during buffered writes\"";
}

const char *cowfs_disk_i_size_commit(int no_holes)
{
	return no_holes ? "\"btrfs: replace all uses of btrfs_ordered_update_i_size\" (2020): "
			  "i_size, with NO_HOLES"
			: "btrfs_ordered_update_i_size: up to the first unfinished ordered extent";
}
