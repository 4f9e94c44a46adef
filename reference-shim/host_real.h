/* containerd-shim-ref-v1: the real host (host.c), built by the daemon from
 * its loop, reaper, event publisher and namespace; Shutdown with no task left calls
 * shutdown(data). */
#ifndef REFSHIM_HOST_REAL_H
#define REFSHIM_HOST_REAL_H

#include "events.h"
#include "host.h"
#include "reaper.h"

shim_host *real_host_new (sc_loop *loop, reaper *reap, publisher *pub, const char *ns,
                          void (*shutdown) (void *data), void *data);

#endif
