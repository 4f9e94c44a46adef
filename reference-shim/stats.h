/* containerd-shim-ref-v1: Stats, the runtime's `events --stats` JSON (runc's
 * types.Stats) as io.containerd.cgroups.v1.Metrics. */
#ifndef REFSHIM_STATS_H
#define REFSHIM_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* the packed Metrics message in a heap buffer */
int stats_from_runtime_json (const char *json, size_t len, uint8_t **out, size_t *out_len,
                             sc_error *err);

#endif
