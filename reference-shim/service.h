/* containerd-shim-ref-v1: the task service, all 17 RPCs of
 * containerd.task.v2.Task (also served as containerd.task.v3.Task).  This is
 * the RPC surface: decode, validate, then answer at once or queue a job
 * (ops.h); the process state machine is process.h's. */
#ifndef REFSHIM_SERVICE_H
#define REFSHIM_SERVICE_H

#include "model.h"

/* A service acting through host for namespace ns on loop. */
task_service *task_service_new (sc_loop *loop, shim_host *host, const char *ns);
/* serves the task API under both service names */
void task_service_register (task_service *s, sc_ttrpc_server *server);
/* forgets every task at once (their pending Waits are answered NotFound) */
void task_service_forget_all (task_service *s);
void task_service_free (task_service *s);
/* no task left: Shutdown may end the shim */
bool task_service_empty (const task_service *s);

#endif
