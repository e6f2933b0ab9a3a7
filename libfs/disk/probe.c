/* libblkid: signatures already on a target, and UUID=/LABEL= specs. */
#include <blkid/blkid.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <uuid/uuid.h>

#include "cowfs/disk.h"
#include "cowfs/error.h"
#include "disk/dev.h"
#include "disk/format.h"
#include "disk/verify.h"

int cowfs_probe_signature(const char *path, char *type, size_t type_size)
{
	blkid_probe pr = blkid_new_probe_from_filename(path);
	const char *val = NULL;
	int ret;

	if (!pr)
		return errno ? -errno : -EIO;
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE);
	blkid_probe_enable_partitions(pr, 1);
	ret = blkid_do_safeprobe(pr);
	if (ret == 0) {
		if (blkid_probe_lookup_value(pr, "TYPE", &val, NULL) < 0 &&
		    blkid_probe_lookup_value(pr, "PTTYPE", &val, NULL) < 0)
			val = "unknown";
		if (type && type_size) {
			strncpy(type, val, type_size - 1);
			type[type_size - 1] = '\0';
		}
		ret = 1;
	} else if (ret == -2) {	/* several signatures at once */
		if (type && type_size) {
			strncpy(type, "ambivalent", type_size - 1);
			type[type_size - 1] = '\0';
		}
		ret = 1;
	} else if (ret == 1) {
		ret = 0;
	} else {
		ret = -EIO;
	}
	blkid_free_probe(pr);
	return ret;
}

/* Does the device at devname hold a cowfs whose UUID or label is value? */
static int cowfs_matches(const char *devname, int by_uuid, const char *value)
{
	struct cowfs_dev dev;
	struct cowfs_super sb;
	int match = 0;

	if (dev_open(&dev, devname, 0) < 0)
		return 0;
	if (dev_pread(&dev, &sb, sizeof(sb), COWFS_SUPER_OFFSET) == 0 &&
	    cowfs_verify_super(&sb, COWFS_SUPER_OFFSET, dev.size, NULL) == 0) {
		if (by_uuid) {
			char text[37];

			uuid_unparse_lower(sb.fsid, text);
			match = !strcasecmp(text, value);
		} else {
			match = !strncmp(sb.label, value, COWFS_LABEL_SIZE);
		}
	}
	dev_close(&dev);
	return match;
}

/* libblkid does not know cowfs: enumerate the block devices it knows and look. */
static char *scan_devices(int by_uuid, const char *value)
{
	blkid_cache cache = NULL;
	blkid_dev_iterate it;
	blkid_dev d;
	char *found = NULL;

	if (blkid_get_cache(&cache, "/dev/null") < 0)
		return NULL;
	blkid_probe_all(cache);
	it = blkid_dev_iterate_begin(cache);
	while (!found && blkid_dev_next(it, &d) == 0) {
		const char *name = blkid_dev_devname(d);

		if (cowfs_matches(name, by_uuid, value))
			found = strdup(name);
	}
	blkid_dev_iterate_end(it);
	blkid_put_cache(cache);
	return found;
}

int cowfs_resolve_spec(const char *spec, char **path)
{
	int by_uuid = !strncmp(spec, "UUID=", 5);

	*path = NULL;
	if (by_uuid || !strncmp(spec, "LABEL=", 6)) {
		const char *value = spec + (by_uuid ? 5 : 6);
		char *dev = blkid_evaluate_tag(spec, NULL, NULL);

		if (dev && !cowfs_matches(dev, by_uuid, value)) {
			free(dev);
			dev = NULL;
		}
		if (!dev)
			dev = scan_devices(by_uuid, value);
		if (!dev)
			return -ENOENT;
		*path = dev;
		return 0;
	}
	*path = strdup(spec);
	return *path ? 0 : -ENOMEM;
}
