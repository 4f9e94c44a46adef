/* containerd-shim-ref-v1: the process state machine and exit ordering
 * (process.h).  Where the order of events differs from the runc shim,
 * reference-shim/README.md says why. */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "containerd/events/task.pb-c.h"
#include "containerd/task/shim.pb-c.h"
#include "fault.h"
#include "host.h"
#include "jobs.h"
#include "log.h"
#include "pb.h"
#include "process.h"
#include "registry.h"
#include "status.h"

/* ------------------------------------------------------------------ construction */

process *
process_new (container *c, const char *id, bool is_init, bool terminal, const char *in,
             const char *out, const char *err)
{
  process *p = sc_xcalloc (1, sizeof (*p));
  p->c = c;
  p->id = sc_xstrdup (id);
  p->is_init = is_init;
  p->state = is_init ? PS_CREATING : PS_CREATED;
  p->terminal = terminal;
  p->in = sc_xstrdup (in);
  p->out = sc_xstrdup (out);
  p->err = sc_xstrdup (err);
  return p;
}

void
process_free (process *p)
{
  if (p == NULL)
    return;
  shim_host *h = p->c->svc->host;
  if (p->watched)
    HOST (h, unwatch_exit, p->pid);
  HOST (h, stdio_free, p);
  for (size_t i = 0; i < p->nwaiters; i++)
    sc_ttrpc_call_error (p->waiters[i], SC_NOT_FOUND, "process %s was deleted", p->id);
  free (p->waiters);
  free (p->id);
  free (p->in);
  free (p->out);
  free (p->err);
  json_decref (p->spec);
  free (p);
}

void
container_free (container *c)
{
  HOST (c->svc->host, unwatch_oom, c);
  while (c->execs)
    {
      process *p = c->execs;
      c->execs = p->next;
      process_free (p);
    }
  process_free (c->init);
  free (c->id);
  for (int i = 0; c->mount_targets && i < c->mounts; i++)
    free (c->mount_targets[i]);
  free (c->mount_targets);
  free (c->bundle);
  free (c->runtime);
  free (c->root);
  free (c);
}

void
container_drop (job *j)
{
  container *c = j->c;
  jobs_end_all (j);
  registry_remove (c->svc, c);
  container_free (c);
}

/* ------------------------------------------------------------------ reporting */

const char *
pstate_name (pstate s)
{
  switch (s)
    {
    case PS_CREATING:
      return "creating";
    case PS_CREATED:
      return "created";
    case PS_STARTING:
    case PS_START_EXITED:
      return "starting";
    case PS_RUNNING:
      return "running";
    case PS_PAUSING:
      return "pausing";
    case PS_PAUSED:
      return "paused";
    case PS_EXIT_HELD:
    case PS_STOPPED:
      return "stopped";
    case PS_DELETED:
      return "deleted";
    }
  return "?";
}

Containerd__V1__Types__Status
process_status (const process *p)
{
  switch (p->state)
    {
    case PS_CREATING:
    case PS_CREATED:
    case PS_STARTING:
    case PS_START_EXITED:
      return CONTAINERD__V1__TYPES__STATUS__CREATED;
    case PS_RUNNING:
      /* an exec of a paused container reports paused */
      if (!p->is_init && (p->c->init->state == PS_PAUSED || p->c->init->state == PS_PAUSING))
        return process_status (p->c->init);
      return CONTAINERD__V1__TYPES__STATUS__RUNNING;
    case PS_EXIT_HELD:
      return CONTAINERD__V1__TYPES__STATUS__RUNNING; /* its exit is not published yet */
    case PS_PAUSING:
      return CONTAINERD__V1__TYPES__STATUS__PAUSING;
    case PS_PAUSED:
      return CONTAINERD__V1__TYPES__STATUS__PAUSED;
    case PS_STOPPED:
    case PS_DELETED:
      return CONTAINERD__V1__TYPES__STATUS__STOPPED;
    }
  return CONTAINERD__V1__TYPES__STATUS__UNKNOWN;
}

bool
process_exited (const process *p)
{
  return p->state == PS_STOPPED || p->state == PS_DELETED;
}

void
process_set_timestamp (Google__Protobuf__Timestamp *ts, int64_t ns)
{
  if (ns == 0 || fault ("exited-at-zero"))
    {
      sc_ts_set_go_zero (ts); /* "not exited", as Go's zero time */
      return;
    }
  google__protobuf__timestamp__init (ts);
  ts->seconds = ns / 1000000000;
  ts->nanos = (int32_t) (ns % 1000000000);
}

/* ------------------------------------------------------------------ exits */

static void
wake_waiters (process *p)
{
  if (fault ("wait-never-answers"))
    return;
  Containerd__Task__V2__WaitResponse r = CONTAINERD__TASK__V2__WAIT_RESPONSE__INIT;
  Google__Protobuf__Timestamp ts;
  process_set_timestamp (&ts, p->exited_at_ns);
  r.exit_status = p->exit_status;
  r.exited_at = &ts;
  size_t answered = fault ("wait-answers-one") && p->nwaiters > 1 ? 1 : p->nwaiters;
  for (size_t i = 0; i < answered; i++)
    {
      sc_ttrpc_call_set_cancel (p->waiters[i], NULL, NULL);
      sc_ttrpc_call_reply_msg (p->waiters[i], &r.base);
    }
  if (p->nwaiters > answered)
    memmove (p->waiters, p->waiters + answered, (p->nwaiters - answered) * sizeof (*p->waiters));
  p->nwaiters -= answered;
}

static void
publish_exit (process *p)
{
  Containerd__Events__TaskExit e = CONTAINERD__EVENTS__TASK_EXIT__INIT;
  Google__Protobuf__Timestamp ts;
  process_set_timestamp (&ts, p->exited_at_ns);
  e.container_id = p->c->id;
  e.id = p->id;
  e.pid = (uint32_t) p->pid;
  e.exit_status = p->exit_status;
  e.exited_at = &ts;
  shim_host *h = p->c->svc->host;
  /* an OOM kill the watch has not reported yet goes out before the init's
   * exit (Docker and Kubernetes read the exit in its light) */
  if (p->is_init)
    HOST (h, oom_poll, p->c);
  HOST (h, publish, "/tasks/exit", &e.base);
  if (fault ("double-exit-event"))
    HOST (h, publish, "/tasks/exit", &e.base);
}

void
process_publish_exit_now (process *p, uint32_t status, int64_t at_ns)
{
  p->exit_status = status;
  p->exited_at_ns = at_ns;
  publish_exit (p);
}

static bool
execs_running (container *c)
{
  for (process *e = c->execs; e; e = e->next)
    if (e->state == PS_STARTING || e->state == PS_START_EXITED || e->state == PS_RUNNING
        || e->state == PS_PAUSED || e->state == PS_PAUSING)
      return true;
  return false;
}

/* EXIT_HELD -> STOPPED: the init's exit goes out after every exec's */
static void
release_init_exit (container *c)
{
  c->init->state = PS_STOPPED;
  publish_exit (c->init);
  wake_waiters (c->init);
}

static void
kill_all_done (const rt_result *r, void *data)
{
  job *j = data;
  if (!WIFEXITED (r->status) || WEXITSTATUS (r->status) != 0)
    shim_log ("warning", "runtime: %s", r->err);
  job_done (j);
}

static void
kill_all_run (job *j)
{
  const char *args[] = { "kill", "--all", j->c->id, "9", NULL };
  sc_error err = SC_ERROR_INIT;
  if (HOST (j->c->svc->host, rt_run, j->c, args, NULL, NULL, kill_all_done, j, &err) < 0)
    {
      shim_log ("warning", "kill --all: %s", err.msg);
      sc_error_release (&err);
      job_done (j);
    }
}

/* the exit of a process that is not starting: -> STOPPED (or EXIT_HELD) */
static void
record_exit (process *p, uint32_t code, int64_t at_ns)
{
  if (fault ("wrong-exit-code"))
    code += 1;
  p->exit_status = code;
  p->exited_at_ns = at_ns;
  if (p->state == PS_DELETED)
    return; /* Delete of a never-started task: no exit event (create -> delete) */
  container *c = p->c;
  shim_log ("debug", "process %s (pid %d) exited %u", p->id, (int) p->pid, code);
  if (p->is_init)
    {
      if (c->host_pidns && !fault ("host-pidns-no-kill-all")) /* no pid namespace of its own: nothing may outlive init */
        job_enqueue (job_new (c, JOB_KILL_ALL, NULL, NULL, kill_all_run));
      if (execs_running (c) && !fault ("init-exit-first"))
        {
          p->state = PS_EXIT_HELD;
          return;
        }
      release_init_exit (c);
      return;
    }
  p->state = PS_STOPPED;
  publish_exit (p);
  wake_waiters (p);
  if (c->init->state == PS_EXIT_HELD && !execs_running (c))
    release_init_exit (c);
}

static void
process_exit_seen (pid_t pid, int status, int64_t at_ns, void *data)
{
  process *p = data;
  p->watched = false;
  uint32_t code = WIFEXITED (status) ? (uint32_t) WEXITSTATUS (status)
                                     : 128u + (uint32_t) WTERMSIG (status);
  if (p->state == PS_STARTING)
    {
      /* its start event must come first: recorded when the start ends */
      p->state = PS_START_EXITED;
      p->exit_status = code;
      p->exited_at_ns = at_ns;
      return;
    }
  record_exit (p, code, at_ns);
}

void
process_watch (process *p)
{
  if (p->pid <= 0 || p->watched)
    return;
  p->watched = true;
  HOST (p->c->svc->host, watch_exit, p->pid, process_exit_seen, p);
}

/* ------------------------------------------------------------------ transitions */

void
process_created (process *p, pid_t pid)
{
  if (p->state != PS_CREATING)
    return;
  p->pid = pid;
  p->state = PS_CREATED;
}

void
process_start_begin (process *p)
{
  if (p->state == PS_CREATED)
    p->state = PS_STARTING;
}

/* a start ended: an exit seen meanwhile is recorded now */
static void
start_ended (process *p, pstate next)
{
  if (p->state == PS_START_EXITED)
    {
      uint32_t code = p->exit_status;
      int64_t at = p->exited_at_ns;
      p->state = next;
      p->exit_status = 0;
      p->exited_at_ns = 0;
      record_exit (p, code, at);
      return;
    }
  if (p->state == PS_STARTING)
    p->state = next;
  /* an exec whose start failed while the init's exit was held for it:
   * nothing holds that exit any more (without this, the init's Wait never
   * answered: found by exec.after-init-exit-rejected) */
  container *c = p->c;
  if (!p->is_init && c->init->state == PS_EXIT_HELD && !execs_running (c) && !fault ("exit-held-after-failed-start"))
    release_init_exit (c);
}

void
process_start_ok (process *p, pid_t pid)
{
  p->pid = pid;
  start_ended (p, PS_RUNNING);
}

void
process_start_failed (process *p)
{
  start_ended (p, PS_CREATED);
}

void
process_pause_begin (process *p)
{
  if (p->state == PS_RUNNING)
    p->state = PS_PAUSING;
}

void
process_pause_ended (process *p, bool paused)
{
  /* an exit meanwhile wins */
  if (p->state == PS_PAUSING || p->state == PS_PAUSED || p->state == PS_RUNNING)
    p->state = paused ? PS_PAUSED : PS_RUNNING;
}

bool
process_delete (process *p)
{
  if (p->is_init && (p->state == PS_STOPPED || p->state == PS_EXIT_HELD))
    return true; /* stays until the runtime has deleted it */
  if (p->state != PS_CREATED && p->state != PS_STOPPED)
    return false;
  bool started = p->exited_at_ns != 0;
  p->state = PS_DELETED; /* a never-started init's exit (the runtime kills it) is silent */
  return started;
}

bool
process_deletable (const process *p)
{
  return p->state == PS_CREATED || p->state == PS_STOPPED
         || (p->is_init && p->state == PS_EXIT_HELD);
}

void
process_delete_failed (process *p)
{
  if (p->state == PS_DELETED)
    p->state = PS_CREATED;
}

/* ------------------------------------------------------------------ Wait */

static void
waiter_cancelled (sc_ttrpc_call *call, void *data)
{
  process *p = data;
  if (fault ("crash-on-cancel"))
    abort ();
  for (size_t i = 0; i < p->nwaiters; i++)
    if (p->waiters[i] == call)
      {
        p->waiters[i] = p->waiters[--p->nwaiters];
        return;
      }
}

int
process_add_waiter (process *p, sc_ttrpc_call *call)
{
  if (p->nwaiters >= 1024)
    return -1;
  p->waiters = sc_xrealloc (p->waiters, (p->nwaiters + 1) * sizeof (*p->waiters));
  p->waiters[p->nwaiters++] = call;
  sc_ttrpc_call_set_cancel (call, waiter_cancelled, p);
  if (process_exited (p) && p->exited_at_ns != 0 && !fault ("late-wait-unanswered"))
    wake_waiters (p);
  return 0;
}

/* ------------------------------------------------------------------ events */

void
process_delete_response (Containerd__Task__V2__DeleteResponse *resp,
                         Google__Protobuf__Timestamp *ts, const process *p, bool started)
{
  containerd__task__v2__delete_response__init (resp);
  process_set_timestamp (ts, started ? p->exited_at_ns : 0);
  resp->pid = (uint32_t) p->pid;
  resp->exit_status = started ? p->exit_status : fault ("exec-delete-created-255") && !p->is_init ? 255 : 0;
  resp->exited_at = ts;
}

void
process_publish_delete (process *p, bool started)
{
  Containerd__Events__TaskDelete e = CONTAINERD__EVENTS__TASK_DELETE__INIT;
  Google__Protobuf__Timestamp ts;
  process_set_timestamp (&ts, started ? p->exited_at_ns : 0);
  e.container_id = p->c->id;
  e.pid = (uint32_t) p->pid;
  e.exit_status = started ? p->exit_status : 0;
  e.exited_at = &ts;
  e.id = p->is_init ? (char *) "" : p->id;
  HOST (p->c->svc->host, publish, "/tasks/delete", &e.base);
}
