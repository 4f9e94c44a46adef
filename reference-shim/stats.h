/* containerd-shim-ref-v1: Stats, the runtime's `events --stats` JSON (runc's
 * types.Stats) as io.containerd.cgroups.v1.Metrics, or v2.Metrics on a
 * unified cgroup v2 host. */
#ifndef REFSHIM_STATS_H
#define REFSHIM_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* the packed Metrics message in a heap buffer, and its type name: v2 when
 * UNIFIED; MEMORY_EVENTS (low, high, max, oom, oom_kill from memory.events,
 * which runc's JSON lacks) or NULL */
int stats_from_runtime_json (const char *json, size_t len, bool unified,
                             const uint64_t *memory_events, uint8_t **out, size_t *out_len,
                             const char **type, sc_error *err);

#endif
