/* A fake host for the reference shim's task service (reference-shim/host.h):
 * an in-memory runc (containers, processes, pid files) with no processes,
 * mounts or file writes.  Runtime calls, exits and drains complete
 * asynchronously on the event loop, as the real ones do, so task.c's job
 * queue and exit ordering are exercised.  It also checks what the shim
 * publishes against what really happened (fuzz_task_dispatch.c's I5-I8). */
#ifndef SHIMCHECK_FAKE_HOST_H
#define SHIMCHECK_FAKE_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "check.h"
#include "host.h"

extern shim_host fake_host;

void fake_host_init (sc_loop *loop);
/* forgets every fake container, process, file and observed event */
void fake_host_reset (void);
/* completions (runtime calls, exits, drains) still queued */
bool fake_host_busy (void);
/* a live process (picked by `pick`) exits on its own with `code` (or by a
 * signal when code >= 128) */
void fake_host_exit_one (uint8_t pick, uint8_t code);
bool fake_host_shutdown_requested (void);

/* What the shim published, for the target's reply checks. */
size_t fake_host_exits_published (void);
/* exit status of the last /tasks/exit for (container, id) among those
 * published after the first `since`, -1 if none */
int64_t fake_host_published_exit (const char *container_id, const char *id, size_t since);

#endif
