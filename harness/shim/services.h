/* The ttrpc services a shim serves and calls: the task API (v2; v3 is the
 * same service under containerd 2.x's name) and containerd's events API. */
#ifndef SHIMCHECK_SERVICES_H
#define SHIMCHECK_SERVICES_H

#define SC_TASK_V2_SERVICE "containerd.task.v2.Task"
#define SC_TASK_V3_SERVICE "containerd.task.v3.Task"
#define SC_EVENTS_SERVICE "containerd.services.events.ttrpc.v1.Events"

#endif
