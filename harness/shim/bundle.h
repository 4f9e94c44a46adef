/* Bundles as containerd lays them out (docs/shim-behaviour.md#start): a state dir
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
 * write broken ones on purpose), an empty rootfs/ (0711) and, as containerd
 * does, `work`: a symlink to <state>/../root/<ns>/<id>.  Returns the bundle
 * path (heap) in *path. */
int sc_bundle_create (const char *state, const char *ns, const char *id, const json_t *spec,
                      char **path, sc_error *err);

/* The mount points at or under path (a canonical path, as mountinfo has
 * them), unescaped, deepest first; free with sc_mounts_free. */
size_t sc_mounts_under (const char *path, char ***out);
void sc_mounts_free (char **v, size_t n);

/* rm -rf for what a shim may have left: first unmounts every mount under
 * path (mountinfo unescaped, stacked mounts too, until none is left), then
 * removes without ever descending into a mount point (device or mount id).
 * Fails naming a mount that could not be unmounted or a mount point it
 * refused to enter: the caller reports it. */
int sc_remove_tree (const char *path, sc_error *err);

#endif
