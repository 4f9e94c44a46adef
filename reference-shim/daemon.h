/* containerd-shim-ref-v1: the serving daemon.  One epoll loop holds the
 * ttrpc server, the reaper, the event publisher and every stdio copy; the
 * task service (service.h) acts through the real host (host_real.h). */
#ifndef REFSHIM_DAEMON_H
#define REFSHIM_DAEMON_H

#include "flags.h"

/* connections served at once; more are closed when accepted */
#define REFSHIM_MAX_CONNECTIONS 64

/* serves on fd 3 (or f->socket) until Shutdown with no task left, or
 * SIGTERM/SIGINT; exits the process */
int serve (const shim_flags *f);

#endif
