/* containerd-shim-ref-v1: a process's stdio.  Pipes between the container
 * and the shim, copied to and from the client's FIFOs by loop watchers
 * (never a blocking open or write), file:// outputs, binary:// loggers
 * (logger.h), and terminals through
 * --console-socket + SCM_RIGHTS.  Behind the host seam: the contracts are
 * host.h's stdio_* operations. */
#ifndef REFSHIM_PROCIO_H
#define REFSHIM_PROCIO_H

#include <stdint.h>

#include "error.h"
#include "loop.h"
#include "model.h"
#include "reaper.h"

/* what every process's stdio shares: the loop, and a counter that names
 * console sockets */
typedef struct stdio_env
{
  sc_loop *loop;
  reaper *reaper;        /* reaps binary:// loggers */
  const char *ns;        /* the shim's namespace, for loggers */
  unsigned consoles;
} stdio_env;

int stdio_prepare (stdio_env *env, process *p, int child_fds[3], char **console_path, sc_error *err);
/* cb (data, NULL) when p's binary:// logger is ready (at once without
 * one), cb (data, why) when it failed to become ready */
void stdio_when_ready (process *p, void (*cb) (void *data, const char *why), void *data);
int stdio_start (process *p, sc_error *err);
void stdio_close_stdin (process *p);
int stdio_resize (process *p, uint32_t width, uint32_t height, sc_error *err);
void stdio_when_drained (process *p, int64_t timeout_ms, void (*cb) (void *), void *data);
void stdio_free (process *p);

#endif
