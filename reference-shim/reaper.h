/* containerd-shim-ref-v1: the reaper.  The daemon is a child subreaper:
 * every child (runtime CLI calls, and container processes re-parented to
 * us) is reaped here from a signalfd and handed to the callback watching
 * its pid.  It knows pids and callbacks only.  An exit nobody watches yet
 * (a container that dies before its pid file is read) is kept, bounded,
 * until a watch claims it. */
#ifndef REFSHIM_REAPER_H
#define REFSHIM_REAPER_H

#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "loop.h"

typedef struct reaper reaper;
/* raw wait status, wall-clock time of the reaping */
typedef void (*reaper_exit_cb) (pid_t pid, int status, int64_t at_ns, void *data);
/* SIGTERM or SIGINT arrived */
typedef void (*reaper_term_cb) (int signo, void *data);

/* blocks SIGCHLD/SIGTERM/SIGINT and reads them from a signalfd on loop */
int reaper_new (sc_loop *loop, reaper_term_cb on_term, void *data, reaper **out, sc_error *err);
/* cb once pid is reaped: at once (before returning) if it already was */
void reaper_watch (reaper *r, pid_t pid, reaper_exit_cb cb, void *data);
void reaper_unwatch (reaper *r, pid_t pid);

/* In a child the daemon forked, before exec: no signal blocked (the
 * reaper blocked some), SIGPIPE back to its default, and fds[i] (-1:
 * /dev/null) as the child's fd i for i < n, all other fds being
 * close-on-exec already.  -1 when an fd could not be set. */
int reaper_child_setup (const int *fds, int n);

#endif
