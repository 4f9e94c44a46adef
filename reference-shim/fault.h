/* containerd-shim-ref-v1: fault injection, compiled only into the test
 * binary containerd-shim-reffault-v1 (fault.c lists the faults).  In the
 * production binary fault() is the constant false and its branches vanish. */
#ifndef REFSHIM_FAULT_H
#define REFSHIM_FAULT_H

#include <stdbool.h>

#ifdef REFSHIM_FAULTS
bool fault (const char *name);
#else
#define fault(name) false
#endif

#endif
