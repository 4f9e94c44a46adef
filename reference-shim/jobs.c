/* containerd-shim-ref-v1: the per-container job queue (jobs.h). */
#include <stdarg.h>
#include <stdlib.h>

#include "error.h"
#include "jobs.h"
#include "status.h"

static void
job_cancelled (sc_ttrpc_call *call, void *data)
{
  job *j = data;
  j->call = NULL; /* finish the operation anyway; just do not reply */
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
  if (c->job_running || c->jobs == NULL)
    return;
  c->job_running = true;
  c->jobs->run (c->jobs);
}

void
job_enqueue (job *j)
{
  job **pp = &j->c->jobs;
  while (*pp)
    pp = &(*pp)->next;
  *pp = j;
  kick (j->c);
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
      if (rest->call)
        {
          sc_ttrpc_call *call = rest->call;
          forget_call (rest);
          sc_ttrpc_call_error (call, SC_NOT_FOUND, "container not created: not found");
        }
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
