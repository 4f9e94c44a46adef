/* containerd-shim-ref-v1: the process state machine (model.h draws it),
 * exit ordering and the lifecycle events that follow from it.  Each
 * transition checks the state it starts from; callers never assign
 * p->state themselves. */
#ifndef REFSHIM_PROCESS_H
#define REFSHIM_PROCESS_H

#include "containerd/task/shim.pb-c.h"
#include "containerd/types/task.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "model.h"

/* --- construction --- */
process *process_new (container *c, const char *id, bool is_init, bool terminal, const char *in,
                      const char *out, const char *err);
/* answers its pending Waits NotFound, stops watching it, frees its stdio */
void process_free (process *p);
void container_free (container *c);
/* ends the running job j of a container that is gone (failed Create, Delete):
 * the jobs queued behind it answer NotFound; the container leaves the
 * registry and is freed */
void container_drop (job *j);

/* --- what the RPCs report --- */
const char *pstate_name (pstate s);
/* the status State reports (an exec of a paused container is paused; an
 * init whose exit is held still runs) */
Containerd__V1__Types__Status process_status (const process *p);
/* its exit is known and published (not held, not pending behind a start) */
bool process_exited (const process *p);
/* ns, or Go's zero time for 0 */
void process_set_timestamp (Google__Protobuf__Timestamp *ts, int64_t ns);

/* --- transitions --- */
/* CREATING -> CREATED, with its pid; its exit is watched from here on */
void process_created (process *p, pid_t pid);
/* CREATED -> STARTING (a runtime start/exec is in flight) */
void process_start_begin (process *p);
/* STARTING -> RUNNING; from START_EXITED the exit is recorded at once */
void process_start_ok (process *p, pid_t pid);
/* STARTING -> CREATED; from START_EXITED the exit is recorded at once */
void process_start_failed (process *p);
/* watch p's pid for its exit (an exit seen before arrives now) */
void process_watch (process *p);
/* RUNNING -> PAUSING */
void process_pause_begin (process *p);
/* PAUSING/PAUSED/RUNNING -> PAUSED or RUNNING once the runtime answered */
void process_pause_ended (process *p, bool paused);
/* Delete may act on p now: CREATED or STOPPED (an init also EXIT_HELD) */
bool process_deletable (const process *p);
/* -> DELETED, returns whether it had run.  An init that had run keeps its
 * state until the runtime has deleted it (its held exit may still go out);
 * a never-started one becomes DELETED at once (its exit is then silent). */
bool process_delete (process *p);
/* DELETED -> CREATED: the runtime refused to delete a never-started init */
void process_delete_failed (process *p);

/* --- Wait --- */
/* queues a Wait call; answers at once if the exit is known.  < 0: too many */
int process_add_waiter (process *p, sc_ttrpc_call *call);

/* --- events and replies --- */
/* what Delete answers for p (ts holds its exit time) */
void process_delete_response (Containerd__Task__V2__DeleteResponse *resp,
                              Google__Protobuf__Timestamp *ts, const process *p, bool started);
void process_publish_delete (process *p, bool started);
/* a task's exit event without an exit (the exit-event-on-failed-create and
 * exit-on-created-delete faults of the test build) */
void process_publish_exit_now (process *p, uint32_t status, int64_t at_ns);

#endif
