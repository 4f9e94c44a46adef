/* containerd-shim-ref-v1: the per-container job queue (jobs.h). */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>

#include "error.h"
#include "jobs.h"
#include "log.h"
#include "status.h"

/* Per task: queued Pids, Stats, Pause, Resume and Update at most JOBS_MAX
 * (the running job included); Kill and Delete get JOBS_RESERVE more, so a
 * client that fills the queue cannot keep containerd from ending the task.
 * Create and Start are never refused: state allows one of each per process. */
#define JOBS_MAX 64
#define JOBS_RESERVE 64

/* the kinds that only read: once their client is gone nobody wants them */
static bool
read_only (job_kind k)
{
  return k == JOB_PIDS || k == JOB_STATS;
}

static void
job_cancelled (sc_ttrpc_call *call, void *data)
{
  job *j = data;
  /* an operation that changes something finishes anyway, unanswered; a
   * queued read is dropped when it would start (kick) */
  j->call = NULL;
  j->abandoned = true;
}

job *
job_new (container *c, job_kind kind, sc_ttrpc_call *call, void *req, void (*run) (job *))
{
  job *j = sc_xcalloc (1, sizeof (*j));
  j->c = c;
  j->kind = kind;
  j->call = call;
  j->req = req;
  j->run = run;
  if (call)
    sc_ttrpc_call_set_cancel (call, job_cancelled, j);
  return j;
}

/* what a job owns: its request and its kind's owned members */
static void
job_free (job *j)
{
  if (j->req)
    protobuf_c_message_free_unpacked (j->req, NULL);
  switch (j->kind)
    {
    case JOB_UPDATE:
      free (j->u.update.resources);
      break;
    case JOB_START:
      free (j->u.start.specfile);
      break;
    default:
      break;
    }
  free (j);
}

static void
kick (container *c)
{
  if (c->job_running)
    return;
  size_t dropped = 0;
  while (c->jobs && c->jobs->abandoned && read_only (c->jobs->kind))
    {
      job *j = c->jobs;
      c->jobs = j->next;
      job_free (j);
      dropped++;
    }
  if (dropped)
    shim_log ("debug", "task %s: dropped %zu queued requests whose client went away", c->id,
              dropped);
  if (c->jobs == NULL)
    return;
  c->job_running = true;
  c->jobs->run (c->jobs);
}

static size_t
bound_of (const job *j)
{
  switch (j->kind)
    {
    case JOB_CREATE:
    case JOB_START:
    case JOB_KILL_ALL:
      return SIZE_MAX;
    case JOB_KILL:
    case JOB_DELETE:
      return JOBS_MAX + JOBS_RESERVE;
    default:
      return JOBS_MAX;
    }
}

bool
job_enqueue (job *j)
{
  size_t n = 0;
  job **pp = &j->c->jobs;
  for (; *pp; pp = &(*pp)->next)
    n++;
  if (j->call && n >= bound_of (j))
    {
      job_answer_error (j, SC_RESOURCE_EXHAUSTED,
                        "task %s has %zu requests queued: resource exhausted", j->c->id, n);
      job_free (j);
      return false;
    }
  *pp = j;
  kick (j->c);
  return true;
}

static void
forget_call (job *j)
{
  if (j->call)
    sc_ttrpc_call_set_cancel (j->call, NULL, NULL);
  j->call = NULL;
}

void
job_answer (job *j, const ProtobufCMessage *m)
{
  if (j->call == NULL)
    return;
  sc_ttrpc_call *call = j->call;
  forget_call (j);
  if (m)
    sc_ttrpc_call_reply_msg (call, m);
  else
    sc_ttrpc_call_reply (call, NULL, 0);
}

static void
answer_errorv (job *j, int code, const char *fmt, va_list ap)
{
  if (j->call == NULL)
    return;
  sc_ttrpc_call *call = j->call;
  forget_call (j);
  char *m = sc_xvasprintf (fmt, ap);
  sc_ttrpc_call_error (call, code, "%s", m);
  free (m);
}

void
job_answer_error (job *j, int code, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  answer_errorv (j, code, fmt, ap);
  va_end (ap);
}

void
job_done (job *j)
{
  container *c = j->c;
  if (c->jobs == j)
    c->jobs = j->next;
  c->job_running = false;
  forget_call (j);
  job_free (j);
  kick (c);
}

void
job_reply (job *j, const ProtobufCMessage *m)
{
  job_answer (j, m);
  job_done (j);
}

void
job_fail (job *j, int code, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  answer_errorv (j, code, fmt, ap);
  va_end (ap);
  job_done (j);
}

void
jobs_end_all (job *j)
{
  container *c = j->c;
  job *rest = j->next;
  c->jobs = NULL;
  c->job_running = false;
  forget_call (j);
  job_free (j);
  /* queued jobs behind the last one answer NotFound (and free what they own:
   * a queued Update's resources once leaked here; found by task_dispatch) */
  while (rest)
    {
      job *n = rest->next;
      job_answer_error (rest, SC_NOT_FOUND, "container not created: not found");
      job_free (rest);
      rest = n;
    }
}

bool
jobs_idle (task_service *s)
{
  for (container *c = s->containers; c; c = c->next)
    if (c->job_running || c->jobs != NULL)
      return false;
  return true;
}
