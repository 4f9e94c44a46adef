/* Bundles as containerd lays them out (shim-protocol.md §2.2): a state dir
 * <state>/<ns>/<id> (parent 0711, bundle 0700) holding config.json and
 * rootfs/, and a busybox-static root filesystem for test tasks. */
#ifndef SHIMCHECK_BUNDLE_H
#define SHIMCHECK_BUNDLE_H

#include <jansson.h>

#include "error.h"

#define SC_BUSYBOX_DEFAULT "/bin/busybox"

/* Fills dir (created if needed) with a static busybox and its common applets
 * as symlinks, plus /proc /dev /sys /tmp /etc mount points. */
int sc_rootfs_busybox (const char *dir, const char *busybox, sc_error *err);

/* Creates <state>/<ns>/<id>/ with config.json from spec (not validated: tests
 * write broken ones on purpose) and an empty rootfs/ (0711).  Returns the
 * bundle path (heap) in *path. */
int sc_bundle_create (const char *state, const char *ns, const char *id, const json_t *spec,
                      char **path, sc_error *err);

/* rm -rf that refuses to cross mount points (never deletes into a mount a
 * shim left behind) and unmounts leftover mounts under path first. */
int sc_remove_tree (const char *path, sc_error *err);

#endif
