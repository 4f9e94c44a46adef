/* containerd-shim-ref-v1: the runtime options a task arrives with, whatever
 * type containerd packed them as (on `start`'s stdin and in Create):
 *   containerd.runc.v1.Options           what containerd sends for
 *                                        io.containerd.runc.* runtimes
 *   containerd.linux.runc.CreateOptions  what its Go client still builds from
 *                                        task options (WithNoPivotRoot, ...)
 *                                        for any other runtime name
 *   runtimeoptions.v1.Options            what CRI sends for other runtime
 *                                        types: nothing for this shim
 * Fields this shim has no use for are ignored with a log line. */
#ifndef REFSHIM_OPTIONS_H
#define REFSHIM_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "google/protobuf/any.pb-c.h"

typedef struct shim_options
{
  char *binary_name;   /* runtime binary; NULL: runc */
  char *root;          /* runtime --root; NULL: the default */
  bool systemd_cgroup;
  bool no_pivot_root;
  bool no_new_keyring;
  char *shim_cgroup;   /* where `start` puts the daemon; NULL: stay */
  uint32_t io_uid, io_gid; /* owner of the container's stdio pipes */
} shim_options;

/* any NULL or without a type: defaults.  An unknown type is an error. */
int shim_options_from_any (const Google__Protobuf__Any *any, shim_options *o, sc_error *err);
/* the same from the packed Any on `start`'s stdin */
int shim_options_from_bytes (const uint8_t *data, size_t len, shim_options *o, sc_error *err);
void shim_options_release (shim_options *o);

#endif
