/* containerd-shim-ref-v1: the task operations that run the runtime CLI, as
 * jobs of a container's queue (jobs.h): each `*_run` starts when the job
 * before it is done, checks the state again (it may have changed while
 * queued), runs the runtime and answers from its result. */
#ifndef REFSHIM_OPS_H
#define REFSHIM_OPS_H

#include "containerd/task/shim.pb-c.h"
#include "model.h"

/* Create (create.c): takes req */
void create_task (task_service *s, sc_ttrpc_call *call, Containerd__Task__V2__CreateTaskRequest *req);

void start_run (job *j);   /* JOB_START, j->p */
void kill_run (job *j);    /* JOB_KILL of the init, req KillRequest */
void delete_run (job *j);  /* JOB_DELETE of the init */
void pause_run (job *j);   /* JOB_PAUSE and JOB_RESUME */
void update_run (job *j);  /* JOB_UPDATE, u.update.resources */
void pids_run (job *j);    /* JOB_PIDS */
void stats_run (job *j);   /* JOB_STATS */

/* an exec Delete once its output is copied (or 2 s passed): the exec
 * leaves its container; its delete event if it had run */
void exec_delete (process *p);

/* a StartResponse for pid */
void ops_start_response (Containerd__Task__V2__StartResponse *resp, pid_t pid);

/* the runtime binary's base name, for messages */
const char *ops_runtime_name (const container *c);

#endif
