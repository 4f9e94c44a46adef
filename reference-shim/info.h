/* containerd-shim-ref-v1 -info: what containerd 2.x asks a runtime before it
 * relies on a feature (idmap mounts, ...).  stdin: the runtime options Any
 * (may be empty); stdout: a protobuf containerd.types.RuntimeInfo with the
 * shim's name and version, the options echoed, and the OCI runtime's
 * `features` JSON as a typed Any.  A runtime without `features` gives no
 * features, as the runc shim does for youki. */
#ifndef REFSHIM_INFO_H
#define REFSHIM_INFO_H

int action_info (void);

#endif
