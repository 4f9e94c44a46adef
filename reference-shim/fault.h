/* containerd-shim-ref-v1: fault injection, compiled only into the test
 * binary containerd-shim-reffault-v1 (fault.c lists the faults).  In the
 * production binary fault() is the constant false and its branches vanish. */
#ifndef REFSHIM_FAULT_H
#define REFSHIM_FAULT_H

#include <stdbool.h>

#ifdef REFSHIM_FAULTS
#include <stddef.h>
#include <stdint.h>
bool fault (const char *name);
/* the value of a fault given as name=value in SHIMCHECK_FAULTS, or NULL */
const char *fault_value (const char *name);
/* the ttrpc server's reply filter (sc_ttrpc_reply_filter) for the faults
 * that only alter what a reply says */
uint8_t *fault_reply_filter (const char *service, const char *method, const uint8_t *payload,
                             size_t len, size_t *out_len);
#else
#define fault(name) false
#endif

#endif
