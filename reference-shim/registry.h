/* containerd-shim-ref-v1: the tasks a service knows, looked up by id. */
#ifndef REFSHIM_REGISTRY_H
#define REFSHIM_REGISTRY_H

#include "model.h"

/* any container with this id, also one still being created */
container *registry_find (task_service *s, const char *id);
/* the container using this bundle directory (trailing slashes ignored) */
container *registry_find_bundle (task_service *s, const char *bundle);
void registry_add (task_service *s, container *c);
void registry_remove (task_service *s, container *c);
/* the process exec_id of c; NULL or "" is the init */
process *process_find (container *c, const char *exec_id);

#endif
