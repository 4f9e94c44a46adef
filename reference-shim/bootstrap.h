/* containerd-shim-ref-v1: the shim binary protocol's two actions.  `start`
 * prints the address and leaves a detached serving daemon holding the
 * listening socket as fd 3; `delete` cleans up after a dead shim and prints
 * a DeleteResponse on stdout. */
#ifndef REFSHIM_BOOTSTRAP_H
#define REFSHIM_BOOTSTRAP_H

#include "flags.h"

#include <stddef.h>

int action_start (const shim_flags *f);
/* fd's bytes up to max (EINTR-safe; the caller frees), *len set */
char *shim_read_all (int fd, size_t max, size_t *len);
int action_delete (const shim_flags *f);

#endif
