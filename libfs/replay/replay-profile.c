/* Profiles as a user names them: by kernel release, and switch by switch.
 *
 * The engine defines the profiles (libfs/engine/profile.c); this file adds the
 * release names that resolve to them and the switch table behind --set.  The
 * release ranges repeat what each profile's kernel text says; a unit test holds
 * the two together.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "replay/replay-priv.h"

/* A release as a number: 2.6.29 is 20629, 4.19 is 41900. */
#define REL(a, b, c) ((a) * 10000 + (b) * 100 + (c))

/* Every mainline release that had btrfs, series by series. */
static const struct {
	int major, minor, first, last;	/* minor 6 of 2: 2.6.first .. 2.6.last */
} series[] = {
	{ 2, 6, 29, 39 }, { 3, 0, 0, 19 }, { 4, 0, 0, 20 }, { 5, 0, 0, 19 }, { 6, 0, 0, 19 },
	{ 7, 0, 0, 1 },
};

#define NSERIES (sizeof(series) / sizeof(series[0]))

/* The releases each profile stands for (its default configuration). */
static const struct {
	const char *profile;
	int first, last;
} ranges[] = {
	{ "linux-2.6.29", REL(2, 6, 29), REL(3, 2, 0) },
	{ "linux-4.19", REL(3, 3, 0), REL(4, 19, 0) },
	{ "linux-4.20", REL(4, 20, 0), REL(5, 5, 0) },
	{ "linux-5.6", REL(5, 6, 0), REL(5, 8, 0) },
	{ "current", REL(5, 9, 0), REL(99, 0, 0) },	/* and every release after */
};

#define NRANGES (sizeof(ranges) / sizeof(ranges[0]))

/* One decimal component of at most 3 digits; the end pointer, NULL if none. */
static const char *component(const char *s, int *v)
{
	int n = 0;

	*v = 0;
	while (*s >= '0' && *s <= '9' && n < 4) {
		*v = *v * 10 + (*s++ - '0');
		n++;
	}
	return n && n < 4 && !(n > 1 && s[-n] == '0') ? s : NULL;
}

/* "linux-4.19", "linux-4.19.1", "linux-2.6.32", "linux-2.6.32.71": the release
 * number, or -1 when the name is not a mainline release that had btrfs. */
static int release_of(const char *name)
{
	int part[4], n = 0;
	const char *s;

	if (strncmp(name, "linux-", 6))
		return -1;
	for (s = name + 6;;) {
		if (n == 4 || !(s = component(s, &part[n++])))
			return -1;
		if (!*s)
			break;
		if (*s++ != '.')
			return -1;
	}
	for (size_t i = 0; i < NSERIES; i++) {
		int two6 = series[i].major == 2;

		if (part[0] != series[i].major || n < 2 + two6 || n > 3 + two6)
			continue;
		if (two6 && part[1] == series[i].minor && part[2] >= series[i].first &&
		    part[2] <= series[i].last)
			return REL(2, 6, part[2]);
		if (!two6 && part[1] >= series[i].first && part[1] <= series[i].last)
			return REL(part[0], part[1], 0);
	}
	return -1;
}

const struct cowfs_profile *cowfs_replay_profile_find(const char *name)
{
	const struct cowfs_profile *p = cowfs_profile_find(name);
	int rel = name && !p ? release_of(name) : -1;

	for (size_t i = 0; rel >= 0 && i < NRANGES; i++)
		if (rel >= ranges[i].first && rel <= ranges[i].last)
			return cowfs_profile_find(ranges[i].profile);
	return p;
}

static void release_name(int rel, char *buf, size_t size)
{
	if (rel / 10000 == 2)
		snprintf(buf, size, "linux-2.6.%d", rel % 100);
	else
		snprintf(buf, size, "linux-%d.%d", rel / 10000, rel / 100 % 100);
}

/* The newest release this table knows, for an open-ended range. */
static int newest_release(void)
{
	return REL(series[NSERIES - 1].major, series[NSERIES - 1].last, 0);
}

const char *cowfs_replay_profile_releases(const struct cowfs_profile *p, char *buf, size_t size)
{
	char first[32], last[32];

	if (size)
		buf[0] = '\0';
	for (size_t i = 0; p && i < NRANGES; i++) {
		if (strcmp(p->name, ranges[i].profile))
			continue;
		release_name(ranges[i].first, first, sizeof(first));
		release_name(ranges[i].last < newest_release() ? ranges[i].last : newest_release(),
			     last, sizeof(last));
		snprintf(buf, size, "%s ... %s", first, last);
	}
	return buf;
}

/* ---- switches ---- */

enum { SW_OOB, SW_WRITE_CLEANS, SW_DISK_I_SIZE, SW_NR };

static const char *const oob_values[] = {
	"none", "fixup-noreserve", "fixup-ebusy", "fixup", "reject", NULL
};
static const char *const yes_no[] = { "no", "yes", NULL };
static const char *const size_values[] = { "ordered", "i_size", NULL };

static const struct cowfs_replay_switch switches[SW_NR] = {
	[SW_OOB] = { "oob", "out-of-band", "out-of-band dirty page at writepage", oob_values },
	[SW_WRITE_CLEANS] = { "write-cleans-pages", NULL,
			      "buffered write cleans pages before the copy", yes_no },
	[SW_DISK_I_SIZE] = { "disk-i-size", NULL, "on-disk size at ordered completion",
			     size_values },
};

int cowfs_replay_switch_count(void)
{
	return SW_NR;
}

const struct cowfs_replay_switch *cowfs_replay_switch_at(int i)
{
	return i >= 0 && i < SW_NR ? &switches[i] : NULL;
}

/* The index of switch i's value in p. */
static int value_index(const struct cowfs_profile *p, int i)
{
	switch (i) {
	case SW_OOB:
		return (int)p->oob;
	case SW_WRITE_CLEANS:
		return !!p->write_cleans_pages;
	default:
		return !!p->disk_i_size_no_holes;
	}
}

const char *cowfs_replay_switch_value(const struct cowfs_profile *p, int i)
{
	if (!p || i < 0 || i >= SW_NR)
		return "unknown";
	if (i == SW_OOB)
		return cowfs_oob_mode_name(p->oob);
	return switches[i].values[value_index(p, i)];
}

const char *cowfs_replay_switch_commit(const struct cowfs_profile *p, int i)
{
	if (!p || i < 0 || i >= SW_NR)
		return "unknown";
	if (i == SW_OOB)
		return cowfs_oob_mode_commit(p->oob);
	if (i == SW_WRITE_CLEANS)
		return cowfs_write_cleans_commit(p->write_cleans_pages);
	return cowfs_disk_i_size_commit(p->disk_i_size_no_holes);
}

static int find_switch(const char *name, size_t len)
{
	for (int i = 0; i < SW_NR; i++) {
		const struct cowfs_replay_switch *s = &switches[i];

		if ((strlen(s->name) == len && !strncmp(s->name, name, len)) ||
		    (s->alias && strlen(s->alias) == len && !strncmp(s->alias, name, len)))
			return i;
	}
	return -1;
}

int cowfs_replay_switch_set(struct cowfs_profile *p, const char *assignment, int *sw)
{
	const char *eq = strchr(assignment, '=');
	int i, v;

	*sw = -1;
	if (!eq)
		return find_switch(assignment, strlen(assignment)) < 0 ? -ENOENT : -EINVAL;
	if ((i = find_switch(assignment, (size_t)(eq - assignment))) < 0)
		return -ENOENT;
	*sw = i;
	for (v = 0; switches[i].values[v]; v++)
		if (!strcmp(switches[i].values[v], eq + 1))
			break;
	if (!switches[i].values[v])
		return -EINVAL;
	if (i == SW_OOB)
		p->oob = (enum cowfs_oob_mode)v;
	else if (i == SW_WRITE_CLEANS)
		p->write_cleans_pages = v;
	else
		p->disk_i_size_no_holes = v;
	return 0;
}

/* ---- the seam of tests/mutation/run ---- */

/*
 * A mutation build defines COWFS_MUTATE_OOB=<enum cowfs_oob_mode> or
 * COWFS_MUTATE_WRITE_CLEANS (or COWFS_MUTATE_DISK_I_SIZE) to make that value
 * behave as current does; the regression suite must then fail.  The engine
 * needs no seam of its own: every profile reaches it through here.
 */
const struct cowfs_profile *replay_engine_profile(const struct cowfs_profile *p,
						  struct cowfs_profile *copy)
{
	if (!p)
		p = cowfs_profile_find("current");
	if (!p)
		return NULL;
	*copy = *p;
#ifdef COWFS_MUTATE_OOB
	if (copy->oob == (COWFS_MUTATE_OOB))
		copy->oob = COWFS_OOB_FIXUP;
#endif
#ifdef COWFS_MUTATE_WRITE_CLEANS
	copy->write_cleans_pages = 0;
#endif
#ifdef COWFS_MUTATE_DISK_I_SIZE
	copy->disk_i_size_no_holes = 1;
#endif
	return copy;
}
