/* containerd-shim-ref-v1: OOM kills in a container's memory cgroup, so that
 * `/tasks/oom` reaches containerd (Docker's OOMKilled, Kubernetes' OOMKilled
 * reason).  The cgroup is the one the init was put in (/proc/<pid>/cgroup):
 * cgroup v1: an eventfd registered on memory.oom_control through
 * cgroup.event_control; cgroup v2: inotify on memory.events.  Either is only
 * a wake-up: what counts is the kernel's oom_kill counter in those files, so
 * the notification v1 also sends when the cgroup is removed is no OOM. */
#ifndef REFSHIM_OOM_H
#define REFSHIM_OOM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "loop.h"

typedef struct oom_watch oom_watch;

/* Watches the memory cgroup pid is in; cb(data) once per wake-up that saw
 * the oom_kill counter grow.  < 0 (err says why) when pid has no memory
 * cgroup to watch. */
int oom_watch_new (sc_loop *loop, pid_t pid, void (*cb) (void *data), void *data, oom_watch **out,
                   sc_error *err);
/* Delivers (cb) an OOM kill the wake-up has not reported yet: true if there
 * was one.  Called before the init's exit is published, so /tasks/oom comes
 * first. */
bool oom_watch_poll (oom_watch *w);
/* low, high, max, oom and oom_kill from a cgroup v2 memory.events; < 0 on
 * cgroup v1 or when the file cannot be read */
int oom_watch_memory_events (oom_watch *w, uint64_t out[5]);
void oom_watch_free (oom_watch *w);

#endif
