/* containerd-shim-ref-v1: the shim binary protocol's two actions.  `start`
 * prints the address and leaves a detached serving daemon holding the
 * listening socket as fd 3; `delete` cleans up after a dead shim and prints
 * a DeleteResponse on stdout. */
#ifndef REFSHIM_BOOTSTRAP_H
#define REFSHIM_BOOTSTRAP_H

#include "flags.h"

int action_start (const shim_flags *f);
int action_delete (const shim_flags *f);

#endif
