/* containerd-shim-ref-v1: the OCI runtime CLI (runc or any runc-compatible
 * binary), asynchronously: a child process whose exit comes through the
 * reaper and whose output is read by loop watchers.  The loop never waits
 * for a runtime.  The contract is host.h's rt_run. */
#ifndef REFSHIM_RUNTIME_H
#define REFSHIM_RUNTIME_H

#include "host.h"
#include "reaper.h"

int rt_run (sc_loop *loop, reaper *reap, const container *c, const char *const *args,
            const int *child_stdio, const char *stdin_data, rt_cb cb, void *data, sc_error *err);

#endif
