/* containerd-shim-ref-v1: one runtime operation at a time per container.
 * A job holds the call it answers (NULL once answered, or once the client
 * went away: the operation still finishes, unanswered). */
#ifndef REFSHIM_JOBS_H
#define REFSHIM_JOBS_H

#include <protobuf-c/protobuf-c.h>

#include "model.h"

/* takes req (an unpacked request, freed with the job) */
job *job_new (container *c, job_kind kind, sc_ttrpc_call *call, void *req, void (*run) (job *));
/* queues j; it runs once every job before it is done.  Past the task's
 * bound for j's kind, j is answered ResourceExhausted and freed: false. */
bool job_enqueue (job *j);
/* answers the client if it is still there (m NULL: an empty reply) */
void job_answer (job *j, const ProtobufCMessage *m);
void job_answer_error (job *j, int code, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));
/* ends the running job and starts the next one */
void job_done (job *j);
/* job_answer / job_answer_error, then job_done */
void job_reply (job *j, const ProtobufCMessage *m);
void job_fail (job *j, int code, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));
/* ends the running job j for good: every job queued behind it is answered
 * NotFound and freed; the container's queue is left empty */
void jobs_end_all (job *j);
/* no job running or queued in any container of s */
bool jobs_idle (task_service *s);

#endif
