/* containerd-shim-ref-v1: the RPC surface of the task service (service.h).
 * Where we answer differently from the runc shim, reference-shim/README.md
 * says why. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "containerd/events/task.pb-c.h"
#include "fault.h"
#include "host.h"
#include "ids.h"
#include "jobs.h"
#include "log.h"
#include "oci_spec.h"
#include "ops.h"
#include "pb.h"
#include "process.h"
#include "registry.h"
#include "service.h"
#include "status.h"
#include "task_client.h"
#include "services.h"

#define NOT_CREATED "container not created: not found"

/* ------------------------------------------------------------------ helpers */

/* a task visible to the RPCs: created (not still being created) */
static container *
get_container (task_service *s, sc_ttrpc_call *call, const char *id)
{
  container *c = id ? registry_find (s, id) : NULL;
  if (c == NULL && fault ("stats-unknown-ok") && strcmp (sc_ttrpc_call_method (call), "Stats") == 0)
    {
      /* test build: metrics for a task that is not there */
      Containerd__Task__V2__StatsResponse empty = CONTAINERD__TASK__V2__STATS_RESPONSE__INIT;
      sc_ttrpc_call_reply_msg (call, &empty.base);
      return NULL;
    }
  if (c == NULL || c->init->state == PS_CREATING)
    {
      sc_ttrpc_call_error (call, SC_NOT_FOUND, NOT_CREATED);
      return NULL;
    }
  return c;
}

/* What a handler is given: the decoded request (owned here: a handler that
 * keeps it takes it with sc_steal), and the task and process it names when
 * its RPC has a target. */
typedef struct rpc_ctx
{
  task_service *s;
  sc_ttrpc_call *call;
  void *req;
  container *c;
  process *p;
} rpc_ctx;

/* the string field `name` of a decoded request ("" when it has none) */
static const char *
req_string (const ProtobufCMessage *m, const char *name)
{
  const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name (m->descriptor, name);
  return f ? *(char **) ((char *) m + f->offset) : "";
}

/* ------------------------------------------------------------------ Create / Start */

static void
h_create (rpc_ctx *x)
{
  create_task (x->s, x->call, sc_steal (x->req));
}

static void
h_start (rpc_ctx *x)
{
  sc_ttrpc_call *call = x->call;
  container *c = x->c;
  process *p = x->p;
  if (p->state != PS_CREATED && fault ("start-twice-ok"))
    {
      Containerd__Task__V2__StartResponse resp;
      ops_start_response (&resp, p->pid);
      sc_ttrpc_call_reply_msg (call, &resp.base);
    }
  else if (p->state != PS_CREATED)
    sc_ttrpc_call_error (call, SC_FAILED_PRECONDITION, "cannot start a %s process",
                         pstate_name (p->state));
  else if (!p->is_init && c->init->state != PS_RUNNING
           && !(c->init->state == PS_PAUSED && fault ("exec-while-paused-ok")))
    sc_ttrpc_call_error (call, SC_FAILED_PRECONDITION, "container %s init process is not running",
                         c->id);
  else
    {
      job *j = job_new (c, JOB_START, call, sc_steal (x->req), start_run);
      j->p = p;
      p->starts_queued++; /* a Delete behind it must wait (it holds p) */
      job_enqueue (j);
    }
}

/* ------------------------------------------------------------------ Kill / Exec / Delete */

/* an exec whose runtime exec has not run yet has no pid to signal */
static bool
exec_not_started (const process *p)
{
  return p->state == PS_CREATED || p->state == PS_STARTING || p->state == PS_START_EXITED;
}

static void
h_kill (rpc_ctx *x)
{
  sc_ttrpc_call *call = x->call;
  process *p = x->p;
  Containerd__Task__V2__KillRequest *req = x->req;
  sc_error err = SC_ERROR_INIT;
  if (req->signal == 0 || req->signal > 64)
    sc_ttrpc_call_error (call, SC_INVALID_ARGUMENT, "invalid signal %u", req->signal);
  else if (fault ("kill-noop"))
    sc_ttrpc_call_reply (call, NULL, 0); /* test build: Kill says OK and signals nothing */
  else if (p->is_init)
    {
      job *j = job_new (x->c, JOB_KILL, call, sc_steal (x->req), kill_run);
      j->p = p;
      job_enqueue (j);
    }
  else if (exec_not_started (p) && fault ("kill-created-exec-ok"))
    sc_ttrpc_call_reply (call, NULL, 0);
  else if (exec_not_started (p))
    sc_ttrpc_call_error (call, SC_FAILED_PRECONDITION, "process not created: failed precondition");
  else if ((process_exited (p) || p->pid <= 0) && fault ("kill-exited-ok"))
    sc_ttrpc_call_reply (call, NULL, 0); /* test build: as if it had been signalled */
  else if (process_exited (p) || p->pid <= 0)
    sc_ttrpc_call_error (call, SC_NOT_FOUND, "process already finished: not found");
  else if (HOST (x->s->host, kill, fault ("kill-exec-hits-init") ? x->c->init->pid : p->pid, (int) req->signal, &err)
           < 0)
    {
      sc_ttrpc_call_error (call, err.errnum == ESRCH ? SC_NOT_FOUND : SC_UNKNOWN, "%s", err.msg);
      sc_error_release (&err);
    }
  else
    sc_ttrpc_call_reply (call, NULL, 0);
}

/* the exec's OCI process object, validated */
static int
exec_spec (const Containerd__Task__V2__ExecProcessRequest *req, json_t **spec, sc_error *err)
{
  if (req->spec == NULL)
    return sc_error_make (err, 0, "exec %s: no process spec", req->exec_id);
  json_error_t jerr;
  *spec = json_loadb ((const char *) req->spec->value.data, req->spec->value.len, 0, &jerr);
  if (*spec == NULL)
    return sc_error_make (err, 0, "exec %s: process spec: %s", req->exec_id, jerr.text);
  if (sc_oci_validate_process (*spec, "process", err) < 0)
    {
      json_decref (*spec);
      *spec = NULL;
      return sc_error_wrap (err, "exec %s", req->exec_id);
    }
  return 0;
}

static void
h_exec (rpc_ctx *x)
{
  sc_ttrpc_call *call = x->call;
  container *c = x->c;
  Containerd__Task__V2__ExecProcessRequest *req = x->req;
  char *why = NULL;
  if (!valid_id (req->exec_id, &why))
    {
      sc_ttrpc_call_error (call, SC_INVALID_ARGUMENT, "exec id: %s", why);
      free (why);
      return;
    }
  bool exists = process_find (c, req->exec_id) != NULL;
  if (exists && fault ("allow-duplicate-exec"))
    {
      sc_ttrpc_call_reply (call, NULL, 0);
      return;
    }
  if (exists || strcmp (req->exec_id, c->id) == 0)
    {
      sc_ttrpc_call_error (call, SC_ALREADY_EXISTS, "id %s: already exists", req->exec_id);
      return;
    }
  pstate st = c->init->state;
  /* an exec of a task whose init has exited is still registered (its Start
   * fails), as containerd's TestIssue10589 expects */
  if (((st == PS_PAUSED || st == PS_PAUSING) && !fault ("exec-while-paused-ok")) || st == PS_DELETED)
    {
      sc_ttrpc_call_error (call, SC_FAILED_PRECONDITION, "cannot exec in a %s state",
                           pstate_name (st));
      return;
    }
  json_t *spec = NULL;
  sc_error err = SC_ERROR_INIT;
  if (exec_spec (req, &spec, &err) < 0)
    {
      sc_ttrpc_call_error (call, SC_INVALID_ARGUMENT, "%s", err.msg);
      sc_error_release (&err);
      return;
    }
  process *p = process_new (c, req->exec_id, false, req->terminal && !fault ("no-terminal"),
                            req->stdin, req->stdout, req->stderr);
  p->spec = spec;
  p->next = c->execs;
  c->execs = p;
  Containerd__Events__TaskExecAdded ev = CONTAINERD__EVENTS__TASK_EXEC_ADDED__INIT;
  ev.container_id = c->id;
  ev.exec_id = p->id;
  HOST (x->s->host, publish, "/tasks/exec-added", &ev.base);
  sc_ttrpc_call_reply (call, NULL, 0);
}

static void
exec_delete_drained (void *data)
{
  exec_delete (data);
}

static void
h_delete (rpc_ctx *x)
{
  sc_ttrpc_call *call = x->call;
  process *p = x->p;
  if (p->is_init)
    {
      job *j = job_new (x->c, JOB_DELETE, call, sc_steal (x->req), delete_run);
      j->p = p;
      job_enqueue (j);
      return;
    }
  /* a Start queued before this Delete comes first (it holds p): the process
   * counts as starting.  Freeing it under the queued job was a use after
   * free (found by task_dispatch: Pids, Pids, Start e1 pipelined, Delete e1) */
  if (p->starts_queued > 0 || p->state == PS_STARTING || p->state == PS_START_EXITED)
    {
      sc_ttrpc_call_error (call, SC_FAILED_PRECONDITION, "cannot delete a starting process");
      return;
    }
  if (!process_deletable (p) && fault ("delete-running-exec-ok"))
    {
      /* test build: answers as if it were gone, and leaves it running */
      Containerd__Task__V2__DeleteResponse lie = CONTAINERD__TASK__V2__DELETE_RESPONSE__INIT;
      sc_ttrpc_call_reply_msg (call, &lie.base);
      return;
    }
  if (!process_deletable (p))
    {
      sc_ttrpc_call_error (call, SC_FAILED_PRECONDITION, "cannot delete a %s process",
                           pstate_name (p->state));
      return;
    }
  bool started = process_delete (p);
  Containerd__Task__V2__DeleteResponse resp;
  Google__Protobuf__Timestamp ts;
  process_delete_response (&resp, &ts, p, started);
  if (fault ("exec-delete-waits-io"))
    usleep (12000000); /* test build: as if Delete waited for the exec's stdout to end */
  sc_ttrpc_call_reply_msg (call, &resp.base);
  /* its output is already out; give the copies up to 2 s to finish */
  HOST (x->s->host, stdio_when_drained, p, 2000, exec_delete_drained, p);
}

/* ------------------------------------------------------------------ Wait / State */

static void
h_wait (rpc_ctx *x)
{
  if (process_add_waiter (x->p, x->call) < 0)
    sc_ttrpc_call_error (x->call, SC_RESOURCE_EXHAUSTED, "too many waiters for %s", x->p->id);
}

static void
h_state (rpc_ctx *x)
{
  process *p = x->p;
  Containerd__Task__V2__StateResponse r = CONTAINERD__TASK__V2__STATE_RESPONSE__INIT;
  Google__Protobuf__Timestamp ts;
  bool exited = process_exited (p);
  process_set_timestamp (&ts, exited ? p->exited_at_ns : 0);
  r.id = p->id;
  r.bundle = x->c->bundle;
  r.pid = (uint32_t) p->pid;
  r.status = process_status (p);
  r.stdin = p->in;
  r.stdout = p->out;
  r.stderr = p->err;
  r.terminal = p->terminal;
  r.exit_status = exited ? p->exit_status : 0;
  r.exited_at = &ts;
  sc_ttrpc_call_reply_msg (x->call, &r.base);
}

/* ------------------------------------------------------------------ Update */

static void
h_update (rpc_ctx *x)
{
  sc_ttrpc_call *call = x->call;
  Containerd__Task__V2__UpdateTaskRequest *req = x->req;
  if (req->resources == NULL || req->resources->value.len == 0)
    {
      sc_ttrpc_call_error (call, SC_INVALID_ARGUMENT, "update: no resources");
      return;
    }
  json_error_t jerr;
  cleanup_json json_t *res = json_loadb ((const char *) req->resources->value.data,
                                         req->resources->value.len, 0, &jerr);
  if (!json_is_object (res))
    {
      sc_ttrpc_call_error (call, SC_INVALID_ARGUMENT, "update: resources are not a JSON object: %s",
                           res ? "wrong type" : jerr.text);
      return;
    }
  job *j = job_new (x->c, JOB_UPDATE, call, sc_steal (x->req), update_run);
  j->u.update.resources = json_dumps (res, JSON_COMPACT);
  job_enqueue (j);
}

/* ------------------------------------------------------------------ CloseIO / ResizePty */

static void
h_close_io (rpc_ctx *x)
{
  if (!fault ("ignore-closeio"))
    HOST (x->s->host, stdio_close_stdin, x->p);
  sc_ttrpc_call_reply (x->call, NULL, 0);
}

static void
h_resize_pty (rpc_ctx *x)
{
  sc_ttrpc_call *call = x->call;
  process *p = x->p;
  if (!p->is_init && fault ("resize-exec-hits-init"))
    p = p->c->init;
  Containerd__Task__V2__ResizePtyRequest *req = x->req;
  sc_error err = SC_ERROR_INIT;
  if (req->width > 65535 || req->height > 65535)
    sc_ttrpc_call_error (call, SC_INVALID_ARGUMENT, "window size %ux%u out of range", req->width,
                         req->height);
  else if (process_exited (p))
    sc_ttrpc_call_error (call, SC_FAILED_PRECONDITION, "cannot resize a stopped container");
  else if (!fault ("ignore-resize") && HOST (x->s->host, stdio_resize, p, req->width, req->height, &err) < 0)
    {
      sc_ttrpc_call_error (call, SC_UNKNOWN, "resize: %s", err.msg);
      sc_error_release (&err);
    }
  else
    sc_ttrpc_call_reply (call, NULL, 0);
}

/* ------------------------------------------------------------------ Connect / Shutdown / Checkpoint */

static void
h_connect (rpc_ctx *x)
{
  Containerd__Task__V2__ConnectRequest *req = x->req;
  Containerd__Task__V2__ConnectResponse r = CONTAINERD__TASK__V2__CONNECT_RESPONSE__INIT;
  r.shim_pid = (uint32_t) getpid ();
  container *c = registry_find (x->s, req->id);
  if (c && c->init->state != PS_CREATING)
    r.task_pid = (uint32_t) c->init->pid;
  r.version = (char *) SHIMCHECK_VERSION;
  sc_ttrpc_call_reply_msg (x->call, &r.base);
}

static void
h_shutdown (rpc_ctx *x)
{
  sc_ttrpc_call_reply (x->call, NULL, 0);
  /* a shim with tasks left keeps serving them (`now` is ignored, as in runc) */
  if (task_service_empty (x->s) || fault ("shutdown-always"))
    HOST (x->s->host, request_shutdown);
}

static void
h_checkpoint (rpc_ctx *x)
{
  sc_ttrpc_call_error (x->call, SC_UNIMPLEMENTED,
                       "checkpoint is not supported by %s (no CRIU support): not implemented",
                       REFSHIM_NAME);
}

/* ------------------------------------------------------------------ registration */

/* An RPC: what its request must decode as, what it must name (a task, or
 * a task's process: NotFound otherwise), then a handler, or (Pids, Stats,
 * Pause, Resume) a job on the task's queue. */
typedef enum target
{
  T_NONE,    /* no request decoded (Checkpoint) */
  T_DECODE,  /* decoded only */
  T_TASK,    /* field id names a created task */
  T_PROCESS, /* ... and exec_id one of its processes ("" = init) */
} target;

typedef struct rpc
{
  const char *name;
  const ProtobufCMessageDescriptor *req;
  target target;
  void (*fn) (rpc_ctx *x);
  job_kind kind;
  void (*run) (job *j);
} rpc;

#define REQ(m) &containerd__task__v2__##m##__descriptor
#define HANDLER(name, m, target, fn) { name, m, target, fn, JOB_CREATE, NULL }
#define QUEUED(name, m, kind, run) { name, m, T_TASK, NULL, kind, run }

static const rpc rpcs[] = {
  HANDLER ("State", REQ (state_request), T_PROCESS, h_state),
  HANDLER ("Create", REQ (create_task_request), T_DECODE, h_create),
  HANDLER ("Start", REQ (start_request), T_PROCESS, h_start),
  HANDLER ("Delete", REQ (delete_request), T_PROCESS, h_delete),
  QUEUED ("Pids", REQ (pids_request), JOB_PIDS, pids_run),
  QUEUED ("Pause", REQ (pause_request), JOB_PAUSE, pause_run),
  QUEUED ("Resume", REQ (resume_request), JOB_RESUME, pause_run),
  HANDLER ("Checkpoint", NULL, T_NONE, h_checkpoint),
  HANDLER ("Kill", REQ (kill_request), T_PROCESS, h_kill),
  HANDLER ("Exec", REQ (exec_process_request), T_TASK, h_exec),
  HANDLER ("ResizePty", REQ (resize_pty_request), T_PROCESS, h_resize_pty),
  HANDLER ("CloseIO", REQ (close_iorequest), T_PROCESS, h_close_io),
  HANDLER ("Update", REQ (update_task_request), T_TASK, h_update),
  HANDLER ("Wait", REQ (wait_request), T_PROCESS, h_wait),
  QUEUED ("Stats", REQ (stats_request), JOB_STATS, stats_run),
  HANDLER ("Connect", REQ (connect_request), T_DECODE, h_connect),
  HANDLER ("Shutdown", REQ (shutdown_request), T_DECODE, h_shutdown),
};

#define NRPCS (sizeof (rpcs) / sizeof (rpcs[0]))

struct binding
{
  task_service *s;
  const rpc *r;
};

/* the service and its bindings, one allocation */
typedef struct service_impl
{
  task_service pub;
  struct binding bindings[NRPCS];
} service_impl;

#ifdef REFSHIM_FAULTS
/* crash-on-<Method>, hang-on-<Method>, crash-on-garbage: true when the
 * call must not be handled */
static bool
robustness_fault (const rpc *r, sc_ttrpc_call *call)
{
  char name[64];
  snprintf (name, sizeof (name), "crash-on-%s", r->name);
  if (fault (name))
    abort ();
  snprintf (name, sizeof (name), "hang-on-%s", r->name);
  if (fault (name))
    return true; /* never replies: the call stays pending until the client leaves */
  if (fault ("crash-on-garbage"))
    {
      const ProtobufCMethodDescriptor *md = sc_task_method (r->name);
      size_t len;
      const uint8_t *pl = sc_ttrpc_call_payload (call, &len);
      ProtobufCMessage *m = md ? protobuf_c_message_unpack (md->input, NULL, len, pl) : NULL;
      if (md && m == NULL)
        abort ();
      if (m)
        protobuf_c_message_free_unpacked (m, NULL);
    }
  return false;
}
#else
#define robustness_fault(r, call) false
#endif

/* decode, find the target; false when the call has been answered */
static bool
resolve (const rpc *r, rpc_ctx *x)
{
  if (r->target == T_NONE)
    return true;
  if ((x->req = sc_ttrpc_call_unpack (x->call, r->req)) == NULL)
    return false;
  size_t len;
  const uint8_t *payload = sc_ttrpc_call_payload (x->call, &len);
  if (sc_pb_has_nul_string (r->req, payload, len))
    {
      /* "e1\0x" would otherwise be taken for "e1" */
      sc_ttrpc_call_error (x->call, SC_INVALID_ARGUMENT, "%s: a string field holds a NUL byte",
                           r->req->name);
      return false;
    }
  if (r->target == T_DECODE)
    return true;
  if ((x->c = get_container (x->s, x->call, req_string (x->req, "id"))) == NULL)
    return false;
  if (r->target == T_TASK)
    return true;
  const char *exec_id = req_string (x->req, "exec_id");
  if ((x->p = process_find (x->c, exec_id)) == NULL)
    {
      sc_ttrpc_call_error (x->call, SC_NOT_FOUND, "process does not exist %s: not found", exec_id);
      return false;
    }
  return true;
}

static void
dispatch (sc_ttrpc_call *call, void *data)
{
  const struct binding *b = data;
  const rpc *r = b->r;
  shim_log ("debug", "%s %s", sc_ttrpc_call_service (call), r->name);
  if (robustness_fault (r, call))
    return;
  rpc_ctx x = { .s = b->s, .call = call };
  if (resolve (r, &x))
    {
      if (r->fn)
        r->fn (&x);
      else
        job_enqueue (job_new (x.c, r->kind, call, sc_steal (x.req), r->run));
    }
  sc_pb_freep (&x.req);
}

task_service *
task_service_new (sc_loop *loop, shim_host *host, const char *ns)
{
  service_impl *impl = sc_xcalloc (1, sizeof (*impl));
  impl->pub.loop = loop;
  impl->pub.host = host;
  impl->pub.ns = ns;
  for (size_t i = 0; i < NRPCS; i++)
    impl->bindings[i] = (struct binding){ &impl->pub, &rpcs[i] };
  return &impl->pub;
}

void
task_service_register (task_service *s, sc_ttrpc_server *server)
{
  service_impl *impl = (service_impl *) s;
  for (size_t i = 0; i < NRPCS; i++)
    {
      sc_ttrpc_server_register (server, SC_TASK_V2_SERVICE, rpcs[i].name, dispatch, &impl->bindings[i]);
      if (!fault ("no-task-v3"))
        sc_ttrpc_server_register (server, SC_TASK_V3_SERVICE, rpcs[i].name, dispatch, &impl->bindings[i]);
    }
}

bool
task_service_empty (const task_service *s)
{
  return s->containers == NULL;
}

void
task_service_forget_all (task_service *s)
{
  while (s->containers)
    {
      container *c = s->containers;
      registry_remove (s, c);
      container_free (c);
    }
}

void
task_service_free (task_service *s)
{
  if (s == NULL)
    return;
  task_service_forget_all (s);
  free ((service_impl *) s);
}
