/* containerd-shim-ref-v1: what `start` was asked, in either of containerd's
 * two start protocols (docs/containerd-versions.md):
 *   legacy (containerd <= 2.2, and 2.3 alongside):  -id, -namespace, -address,
 *     -publish-binary, -debug, TTRPC_ADDRESS, and the runtime options Any
 *     (or nothing) on stdin; the answer is the plain address
 *   bootstrap (containerd >= 2.3): a protobuf BootstrapParams on stdin
 *     (options as an extension, an optional socket_dir); the answer is a
 *     protobuf BootstrapResult
 * stdin decides: a BootstrapParams is recognised by the fields only it has
 * (containerd always fills its version and addresses), so an options Any,
 * which decodes as one too, is never mistaken for it. */
#ifndef REFSHIM_STARTPARAMS_H
#define REFSHIM_STARTPARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flags.h"

typedef struct start_params
{
  bool bootstrap;          /* came as a BootstrapParams: answer a BootstrapResult */
  char *id, *ns;
  char *grpc_address;      /* names the socket (hashed with ns and group) */
  char *ttrpc_address;     /* where the daemon publishes events; NULL: the env's */
  bool debug;
  char *socket_dir;        /* where the socket goes; REFSHIM_SOCKET_DIR by default */
  uint8_t *options;        /* a packed options Any, or NULL */
  size_t options_len;
} start_params;

/* Reads stdin's bytes (in) with the flags; an error names the problem:
 * params that contradict the flags, a bad id or namespace, a socket_dir that
 * is not an absolute, clean, short path. */
int start_params_read (const shim_flags *f, const uint8_t *in, size_t len, start_params *p,
                       char **errmsg);
void start_params_release (start_params *p);
/* the packed BootstrapResult for address (version 3: the shim serves
 * containerd.task.v3.Task as well as v2) */
uint8_t *start_params_result (const char *address, size_t *len);

#endif
