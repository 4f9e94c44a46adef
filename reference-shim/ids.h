/* containerd-shim-ref-v1: names shared by `start`, `delete` and the serving
 * daemon, and containerd's identifier rule (task and exec ids become paths). */
#ifndef REFSHIM_IDS_H
#define REFSHIM_IDS_H

#include <stdbool.h>

#define REFSHIM_NAME "containerd-shim-ref-v1"
#define REFSHIM_RUNTIME "io.containerd.ref.v1"
#define REFSHIM_DEFAULT_ROOT "/run/containerd/runc"
#define REFSHIM_SOCKET_DIR "/run/containerd/ref"
#define REFSHIM_MAX_ID 76
/* what CRI sends as options for non-runc runtimes; accepted and ignored */
#define REFSHIM_CRI_OPTIONS "runtimeoptions.v1.Options"

/* containerd's identifiers.Validate: [A-Za-z0-9]+([._-][A-Za-z0-9]+)*, at
 * most 76 characters.  On false, *why is a heap message. */
bool valid_id (const char *id, char **why);

#endif
