/* The task service: all 17 RPCs of containerd.task.v2.Task (also served as
 * containerd.task.v3.Task).  State machines follow shim-protocol.md §5; where
 * we answer differently from the runc shim, reference-shim/README.md says why. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "address.h"
#include "containerd/events/task.pb-c.h"
#include "containerd/runc/options.pb-c.h"
#include "oci_spec.h"
#include "pb.h"
#include "proc.h"
#include "host.h"
#include "shim.h"
#include "task_client.h"

#define NOT_CREATED "container not created: not found"

/* ------------------------------------------------------------------ helpers */

static const char *
status_name (pstate s)
{
  static const char *const n[] = { "?", "created", "running", "stopped", "paused", "pausing", "deleted" };
  return s >= 1 && s <= 6 ? n[s] : "?";
}

static bool
check_id (sc_ttrpc_call *call, const char *id, const char *what)
{
  char *why = NULL;
  if (valid_id (id, &why))
    return true;
  sc_ttrpc_call_error (call, SC_INVALID_ARGUMENT, "%s: %s", what, why);
  free (why);
  return false;
}

static container *
get_container (sc_ttrpc_call *call, const char *id)
{
  container *c = id ? container_find (id) : NULL;
  if (c == NULL || c->creating)
    {
      sc_ttrpc_call_error (call, SC_NOT_FOUND, NOT_CREATED);
      return NULL;
    }
  return c;
}

static process *
get_process (sc_ttrpc_call *call, container *c, const char *exec_id)
{
  process *p = process_find (c, exec_id);
  if (p == NULL)
    sc_ttrpc_call_error (call, SC_NOT_FOUND, "process does not exist %s: not found", exec_id);
  return p;
}

/* Unpacks the request, then finds its container (field "id") and, when
 * want_process is set, its process (field "exec_id", empty = init).  On any
 * failure it has replied and frees what it unpacked: returns NULL. */
static void *
request_target (sc_ttrpc_call *call, const ProtobufCMessageDescriptor *desc, container **c,
                process **p)
{
  ProtobufCMessage *req = sc_ttrpc_call_unpack (call, desc);
  if (req == NULL)
    return NULL;
  const ProtobufCFieldDescriptor *fid = protobuf_c_message_descriptor_get_field_by_name (desc, "id");
  const ProtobufCFieldDescriptor *fex
    = protobuf_c_message_descriptor_get_field_by_name (desc, "exec_id");
  const char *id = *(char **) ((char *) req + fid->offset);
  const char *exec_id = fex ? *(char **) ((char *) req + fex->offset) : "";
  *c = get_container (call, id);
  if (*c != NULL && p != NULL)
    *p = get_process (call, *c, exec_id);
  if (*c == NULL || (p != NULL && *p == NULL))
    {
      protobuf_c_message_free_unpacked (req, NULL);
      return NULL;
    }
  return req;
}

static void
set_exited_at (Google__Protobuf__Timestamp *ts, int64_t ns)
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

static bool
is_exited (const process *p)
{
  if (p->state != PS_STOPPED && p->state != PS_DELETED)
    return false;
  return !(p->is_init && p->c->init_exit_held);
}

static const char *
runtime_base (const container *c)
{
  const char *s = strrchr (c->runtime, '/');
  return s ? s + 1 : c->runtime;
}

/* ------------------------------------------------------------------ exits */

static void
wake_waiters (process *p)
{
  if (fault ("wait-never-answers"))
    return;
  Containerd__Task__V2__WaitResponse r = CONTAINERD__TASK__V2__WAIT_RESPONSE__INIT;
  Google__Protobuf__Timestamp ts;
  set_exited_at (&ts, p->exited_at_ns);
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
  if (p->exit_published)
    return;
  p->exit_published = true;
  Containerd__Events__TaskExit e = CONTAINERD__EVENTS__TASK_EXIT__INIT;
  Google__Protobuf__Timestamp ts;
  set_exited_at (&ts, p->exited_at_ns);
  e.container_id = p->c->id;
  e.id = p->id;
  e.pid = (uint32_t) p->pid;
  e.exit_status = p->exit_status;
  e.exited_at = &ts;
  H->publish ("/tasks/exit", &e.base);
  if (fault ("double-exit-event"))
    H->publish ("/tasks/exit", &e.base);
}

static bool
execs_running (container *c)
{
  for (process *e = c->execs; e; e = e->next)
    if (e->starting || e->state == PS_RUNNING || e->state == PS_PAUSED || e->state == PS_PAUSING)
      return true;
  return false;
}

static void
release_init_exit (container *c)
{
  c->init_exit_held = false;
  publish_exit (c->init);
  wake_waiters (c->init);
}

static void kill_all_job (job *j);

static void
record_exit (process *p, uint32_t code, int64_t at_ns)
{
  if (fault ("wrong-exit-code"))
    code += 1;
  p->exit_status = code;
  p->exited_at_ns = at_ns;
  if (p->state == PS_DELETED)
    return; /* Delete of a never-started task: no exit event (create -> delete) */
  p->state = PS_STOPPED;
  container *c = p->c;
  shim_log ("debug", "process %s (pid %d) exited %u", p->id, (int) p->pid, code);
  if (p->is_init)
    {
      if (c->host_pidns)
        {
          /* no pid namespace of its own: nothing may outlive init */
          job_enqueue (job_new (c, NULL, NULL, kill_all_job));
        }
      if (execs_running (c) && !fault ("init-exit-first"))
        {
          c->init_exit_held = true; /* the init's exit is the last one */
          return;
        }
      release_init_exit (c);
      return;
    }
  publish_exit (p);
  wake_waiters (p);
  if (c->init_exit_held && !execs_running (c))
    release_init_exit (c);
}

void
task_process_exited (process *p, int status, int64_t at_ns)
{
  uint32_t code = WIFEXITED (status) ? (uint32_t) WEXITSTATUS (status)
                                     : 128u + (uint32_t) WTERMSIG (status);
  if (p->starting)
    {
      /* its start event must come first: finish the start, then this */
      p->exit_pending = true;
      p->pending_status = (int) code;
      p->pending_at_ns = at_ns;
      return;
    }
  record_exit (p, code, at_ns);
}

static void
handle_pending_exit (process *p)
{
  if (p->exit_pending)
    {
      p->exit_pending = false;
      record_exit (p, (uint32_t) p->pending_status, p->pending_at_ns);
    }
}

/* a pid whose exit the reaper saw before we knew it */
static void
claim_early_exit (process *p)
{
  int st;
  int64_t at;
  if (p->pid > 0 && H->take_early_exit (p->pid, &st, &at))
    task_process_exited (p, st, at);
}

process *
task_process_by_pid (pid_t pid)
{
  for (container *c = S.containers; c; c = c->next)
    {
      if (c->init && c->init->pid == pid && c->init->exited_at_ns == 0)
        return c->init;
      for (process *e = c->execs; e; e = e->next)
        if (e->pid == pid && e->exited_at_ns == 0)
          return e;
    }
  return NULL;
}

static void
rt_noreply_done (const rt_result *r, void *data)
{
  job *j = data;
  if (!rt_ok (r))
    shim_log ("warning", "runtime: %s", r->err);
  job_done (j);
}

static void
kill_all_job (job *j)
{
  const char *args[] = { "kill", "--all", j->c->id, "9", NULL };
  char *err = NULL;
  if (H->rt_run (j->c, args, NULL, NULL, rt_noreply_done, j, &err) < 0)
    {
      shim_log ("warning", "kill --all: %s", err);
      free (err);
      job_done (j);
    }
}

/* ------------------------------------------------------------------ Create */

static void
create_fail (job *j, int code, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));

static void
create_fail (job *j, int code, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  char *m = sc_xvasprintf (fmt, ap);
  va_end (ap);
  container *c = j->c;
  shim_log ("warning", "create %s: %s", c->id, m);
  if (fault ("exit-event-on-failed-create"))
    {
      c->init->exited_at_ns = sc_now_wall_ns ();
      c->init->exit_status = 255;
      publish_exit (c->init);
    }
  if (j->call)
    sc_ttrpc_call_error (j->call, code, "%s", m);
  j->call = NULL;
  free (m);
  H->unmount_rootfs (c);
  container_drop (j); /* nothing of the failed task survives */
}

static void
rt_ignore (const rt_result *r, void *data)
{
}

static void
create_done (const rt_result *r, void *data)
{
  job *j = data;
  container *c = j->c;
  process *p = c->init;
  char *err = NULL;
  if (!rt_ok (r))
    {
      char *msg = rt_error_message (c, r);
      create_fail (j, SC_UNKNOWN, "OCI runtime create failed: %s create failed: %s",
                   runtime_base (c), msg);
      free (msg);
      return;
    }
  char *pidfile = sc_xasprintf ("%s/init.pid", c->bundle);
  err = H->read_pid (pidfile, &p->pid);
  free (pidfile);
  if (err == NULL && H->stdio_start (p, &err) == 0)
    {
      Containerd__Task__V2__CreateTaskRequest *req = j->req;
      c->creating = false;
      p->state = PS_CREATED;
      Containerd__Events__TaskCreate e = CONTAINERD__EVENTS__TASK_CREATE__INIT;
      Containerd__Events__TaskIO io = CONTAINERD__EVENTS__TASK_IO__INIT;
      io.stdin = req->stdin;
      io.stdout = req->stdout;
      io.stderr = req->stderr;
      io.terminal = req->terminal;
      e.container_id = c->id;
      e.bundle = c->bundle;
      e.n_rootfs = req->n_rootfs;
      e.rootfs = req->rootfs;
      e.io = &io;
      e.checkpoint = req->checkpoint;
      e.pid = (uint32_t) p->pid;
      H->publish ("/tasks/create", &e.base);
      if (j->call)
        {
          Containerd__Task__V2__CreateTaskResponse resp
            = CONTAINERD__TASK__V2__CREATE_TASK_RESPONSE__INIT;
          resp.pid = (uint32_t) p->pid;
          sc_ttrpc_call_reply_msg (j->call, &resp.base);
          j->call = NULL;
        }
      job_done (j);
      claim_early_exit (p);
      return;
    }
  /* the runtime made it but we cannot serve it: take it down again */
  const char *args[] = { "delete", "--force", c->id, NULL };
  char *ignored = NULL;
  if (H->rt_run (c, args, NULL, NULL, rt_ignore, NULL, &ignored) < 0)
    free (ignored);
  create_fail (j, SC_UNKNOWN, "create %s: %s", c->id, err);
  free (err);
}

static void
create_run (job *j)
{
  container *c = j->c;
  process *p = c->init;
  int fds[3];
  char *console = NULL, *err = NULL;
  if (H->stdio_prepare (p, fds, &console, &err) < 0)
    {
      create_fail (j, SC_INVALID_ARGUMENT, "stdio: %s", err);
      free (err);
      return;
    }
  char *pidfile = sc_xasprintf ("%s/init.pid", c->bundle);
  const char *args[16];
  int k = 0;
  args[k++] = "create";
  args[k++] = "--bundle";
  args[k++] = c->bundle;
  args[k++] = "--pid-file";
  args[k++] = pidfile;
  if (console)
    {
      args[k++] = "--console-socket";
      args[k++] = console;
    }
  if (c->no_pivot_root)
    args[k++] = "--no-pivot";
  if (c->no_new_keyring)
    args[k++] = "--no-new-keyring";
  args[k++] = c->id;
  args[k] = NULL;
  H->remove_file (pidfile);
  int rc = H->rt_run (c, args, fds, NULL, create_done, j, &err);
  free (pidfile);
  if (rc == 0 && fault ("block-loop-on-create"))
    usleep (3500000); /* test build: the loop stalls while the runtime works */
  if (rc < 0)
    {
      create_fail (j, SC_UNKNOWN, "OCI runtime create failed: %s", err);
      free (err);
    }
}

/* the same directory, spelled with or without trailing slashes */
static bool
same_dir (const char *a, const char *b)
{
  size_t la = strlen (a), lb = strlen (b);
  while (la > 1 && a[la - 1] == '/')
    la--;
  while (lb > 1 && b[lb - 1] == '/')
    lb--;
  return la == lb && memcmp (a, b, la) == 0;
}

static void
h_create (sc_ttrpc_call *call, void *data)
{
  Containerd__Task__V2__CreateTaskRequest *req
    = (void *) sc_ttrpc_call_unpack (call, &containerd__task__v2__create_task_request__descriptor);
  if (req == NULL)
    return;
  char *err = NULL;
  json_t *spec = NULL;
  Containerd__Runc__V1__Options *opts = NULL;
  char *cfg = NULL, *runtime = NULL;
  if (!check_id (call, req->id, "task id"))
    goto out;
  if (container_find (req->id))
    {
      if (fault ("allow-duplicate-create"))
        {
          Containerd__Task__V2__CreateTaskResponse ok = CONTAINERD__TASK__V2__CREATE_TASK_RESPONSE__INIT;
          ok.pid = (uint32_t) container_find (req->id)->init->pid;
          sc_ttrpc_call_reply_msg (call, &ok.base);
          goto out;
        }
      sc_ttrpc_call_error (call, SC_ALREADY_EXISTS, "container %s: already exists", req->id);
      goto out;
    }
  int berr = req->bundle[0] == '/' ? H->stat_bundle (req->bundle) : 0;
  if (req->bundle[0] != '/' || berr != 0)
    {
      sc_ttrpc_call_error (call, req->bundle[0] != '/' ? SC_INVALID_ARGUMENT : SC_NOT_FOUND,
                           "bundle %s: %s", req->bundle,
                           req->bundle[0] != '/' ? "not an absolute path" : strerror (berr));
      goto out;
    }
  /* a bundle holds one task's pid file and rootfs: a second task on it would
   * read the first one's init pid (found by task_dispatch: a start published
   * for a process whose exit was already out) */
  for (container *o = S.containers; o; o = o->next)
    if (same_dir (o->bundle, req->bundle))
      {
        sc_ttrpc_call_error (call, SC_FAILED_PRECONDITION, "bundle %s: in use by task %s",
                             req->bundle, o->id);
        goto out;
      }
  cfg = sc_xasprintf ("%s/config.json", req->bundle);
  sc_error e = SC_ERROR_INIT;
  if (H->read_spec (cfg, &spec, &e) < 0)
    {
      sc_ttrpc_call_error (call, e.errnum == ENOENT ? SC_NOT_FOUND : SC_INVALID_ARGUMENT, "%s",
                           e.msg);
      sc_error_release (&e);
      goto out;
    }
  if (req->options && req->options->type_url[0] != '\0'
      && strcmp (sc_any_type_name (req->options->type_url), REFSHIM_CRI_OPTIONS) != 0)
    {
      opts = (void *) sc_any_unpack (req->options, &containerd__runc__v1__options__descriptor);
      if (opts == NULL)
        {
          sc_ttrpc_call_error (call, SC_INVALID_ARGUMENT, "unsupported runtime options type %s",
                               req->options->type_url);
          goto out;
        }
    }
  const char *bin = opts && opts->binary_name[0] && !fault ("ignore-options") ? opts->binary_name : "runc";
  runtime = H->find_runtime (bin);
  if (runtime == NULL)
    {
      sc_ttrpc_call_error (call, SC_FAILED_PRECONDITION,
                           "OCI runtime create failed: runtime binary \"%s\": executable file not "
                           "found in $PATH",
                           bin);
      goto out;
    }
  if (req->checkpoint[0] != '\0')
    {
      sc_ttrpc_call_error (call, SC_UNIMPLEMENTED, "restore from a checkpoint is not supported by %s",
                           REFSHIM_NAME);
      goto out;
    }

  container *c = sc_xcalloc (1, sizeof (*c));
  c->id = sc_xstrdup (req->id);
  c->bundle = sc_xstrdup (req->bundle);
  c->runtime = runtime;
  runtime = NULL;
  c->root = sc_xasprintf ("%s/%s", opts && opts->root[0] ? opts->root : REFSHIM_DEFAULT_ROOT, S.ns);
  c->systemd_cgroup = opts && opts->systemd_cgroup;
  c->no_pivot_root = opts && opts->no_pivot_root;
  c->no_new_keyring = opts && opts->no_new_keyring;
  c->creating = true;
  c->host_pidns = !sc_oci_new_namespace (spec, "pid");
  process *p = sc_xcalloc (1, sizeof (*p));
  p->c = c;
  p->id = sc_xstrdup (req->id);
  p->is_init = true;
  p->terminal = req->terminal;
  p->in = sc_xstrdup (req->stdin);
  p->out = sc_xstrdup (req->stdout);
  p->err = sc_xstrdup (req->stderr);
  c->init = p;
  c->next = S.containers;
  S.containers = c;

  /* what `delete` needs after a crash: the runtime and its root */
  char *rtf = sc_xasprintf ("%s/runtime", c->bundle);
  char *optf = sc_xasprintf ("%s/options.json", c->bundle);
  json_t *oj = json_pack ("{s:s, s:s, s:b}", "binary_name", c->runtime, "root",
                          opts && opts->root[0] ? opts->root : REFSHIM_DEFAULT_ROOT,
                          "systemd_cgroup", c->systemd_cgroup);
  char *ojs = json_dumps (oj, 0);
  json_decref (oj);
  int wrc = H->write_file (rtf, c->runtime) | H->write_file (optf, ojs);
  free (ojs);
  free (rtf);
  free (optf);
  job *j = job_new (c, call, req, create_run);
  req = NULL;
  if (wrc != 0)
    {
      create_fail (j, SC_INTERNAL, "write bundle files: %s", strerror (errno));
      goto out;
    }
  Containerd__Task__V2__CreateTaskRequest *r = j->req;
  if (H->mount_rootfs (c, r->rootfs, r->n_rootfs, &err) < 0)
    {
      create_fail (j, SC_INVALID_ARGUMENT, "rootfs: %s", err);
      goto out;
    }
  job_enqueue (j);
out:
  free (err);
  free (cfg);
  free (runtime);
  json_decref (spec);
  if (opts)
    protobuf_c_message_free_unpacked (&opts->base, NULL);
  if (req)
    protobuf_c_message_free_unpacked (&req->base, NULL);
}

/* ------------------------------------------------------------------ Start */

static void
reply_pid (sc_ttrpc_call *call, pid_t pid)
{
  if (call == NULL)
    return;
  Containerd__Task__V2__StartResponse resp = CONTAINERD__TASK__V2__START_RESPONSE__INIT;
  resp.pid = (uint32_t) pid + (fault ("start-wrong-pid") ? 1 : 0);
  sc_ttrpc_call_reply_msg (call, &resp.base);
}

static void
start_init_done (const rt_result *r, void *data)
{
  job *j = data;
  process *p = j->p;
  p->starting = false;
  if (!rt_ok (r))
    {
      char *msg = rt_error_message (p->c, r);
      if (j->call)
        sc_ttrpc_call_error (j->call, SC_UNKNOWN, "OCI runtime start failed: %s start failed: %s",
                             runtime_base (p->c), msg);
      j->call = NULL;
      free (msg);
      job_done (j);
      handle_pending_exit (p);
      return;
    }
  p->state = PS_RUNNING;
  Containerd__Events__TaskStart e = CONTAINERD__EVENTS__TASK_START__INIT;
  e.container_id = p->c->id;
  e.pid = (uint32_t) p->pid;
  H->publish ("/tasks/start", &e.base);
  reply_pid (j->call, p->pid);
  j->call = NULL;
  job_done (j);
  handle_pending_exit (p);
}

static void
exec_start_done (const rt_result *r, void *data)
{
  job *j = data;
  process *p = j->p;
  container *c = p->c;
  char *specfile = j->extra;
  H->remove_file (specfile);
  free (specfile);
  p->starting = false;
  char *err = NULL;
  if (!rt_ok (r))
    {
      char *msg = rt_error_message (c, r);
      err = sc_xasprintf ("OCI runtime exec failed: %s exec failed: %s", runtime_base (c), msg);
      free (msg);
    }
  else
    {
      char *pidfile = sc_xasprintf ("%s/%s.pid", c->bundle, p->id);
      char *perr = H->read_pid (pidfile, &p->pid);
      free (pidfile);
      if (perr == NULL && H->stdio_start (p, &perr) < 0)
        p->pid = 0;
      if (perr)
        err = perr;
    }
  if (err)
    {
      H->stdio_free (p);
      if (j->call)
        sc_ttrpc_call_error (j->call, SC_UNKNOWN, "%s", err);
      j->call = NULL;
      free (err);
      job_done (j);
      return;
    }
  p->state = PS_RUNNING;
  Containerd__Events__TaskExecStarted e = CONTAINERD__EVENTS__TASK_EXEC_STARTED__INIT;
  e.container_id = c->id;
  e.exec_id = p->id;
  e.pid = (uint32_t) p->pid;
  H->publish ("/tasks/exec-started", &e.base);
  reply_pid (j->call, p->pid);
  j->call = NULL;
  job_done (j);
  claim_early_exit (p);
  handle_pending_exit (p);
}

static void
start_run (job *j)
{
  process *p = j->p;
  container *c = p->c;
  char *err = NULL;
  p->starts_queued--;
  /* state may have changed while queued */
  if (p->state != PS_CREATED || (!p->is_init && c->init->state != PS_RUNNING))
    {
      if (j->call)
        sc_ttrpc_call_error (j->call, SC_FAILED_PRECONDITION,
                             p->is_init || c->init->state == PS_RUNNING
                               ? "cannot start a %s process"
                               : "container %s init process is not running",
                             p->is_init || c->init->state == PS_RUNNING ? status_name (p->state)
                                                                        : c->id);
      j->call = NULL;
      job_done (j);
      return;
    }
  p->starting = true;
  if (p->is_init)
    {
      const char *args[] = { "start", c->id, NULL };
      if (H->rt_run (c, args, NULL, NULL, start_init_done, j, &err) < 0)
        goto fail;
      return;
    }
  int fds[3];
  char *console = NULL;
  if (H->stdio_prepare (p, fds, &console, &err) < 0)
    goto fail;
  json_t *spec = json_deep_copy (p->spec);
  json_object_set_new (spec, "terminal", json_boolean (p->terminal));
  char *specfile = sc_xasprintf ("%s/.exec-%s.json", c->bundle, p->id);
  char *pidfile = sc_xasprintf ("%s/%s.pid", c->bundle, p->id);
  H->remove_file (pidfile);
  char *spectext = json_dumps (spec, JSON_COMPACT);
  int wrc = spectext ? H->write_file (specfile, spectext) : -1;
  free (spectext);
  json_decref (spec);
  if (wrc < 0)
    {
      err = sc_xasprintf ("write %s: %s", specfile, strerror (errno));
      free (specfile);
      free (pidfile);
      goto fail;
    }
  const char *args[12];
  int k = 0;
  args[k++] = "exec";
  args[k++] = "--process";
  args[k++] = specfile;
  args[k++] = "--detach";
  args[k++] = "--pid-file";
  args[k++] = pidfile;
  if (console)
    {
      args[k++] = "--console-socket";
      args[k++] = console;
    }
  args[k++] = c->id;
  args[k] = NULL;
  j->extra = specfile;
  int rc = H->rt_run (c, args, fds, NULL, exec_start_done, j, &err);
  free (pidfile);
  if (rc < 0)
    {
      H->remove_file (specfile);
      free (specfile);
      j->extra = NULL;
      goto fail;
    }
  return;
fail:
  p->starting = false;
  H->stdio_free (p);
  if (j->call)
    sc_ttrpc_call_error (j->call, SC_UNKNOWN, "start %s: %s", p->id, err);
  j->call = NULL;
  free (err);
  job_done (j);
}

static void
h_start (sc_ttrpc_call *call, void *data)
{
  container *c;
  process *p;
  Containerd__Task__V2__StartRequest *req
    = request_target (call, &containerd__task__v2__start_request__descriptor, &c, &p);
  if (req == NULL)
    return;
  if ((p->state != PS_CREATED || p->starting) && fault ("start-twice-ok"))
    {
      reply_pid (call, p->pid);
      protobuf_c_message_free_unpacked (&req->base, NULL);
      return;
    }
  if (p->state != PS_CREATED || p->starting)
    {
      sc_ttrpc_call_error (call, SC_FAILED_PRECONDITION, "cannot start a %s process",
                           p->starting ? "starting" : status_name (p->state));
      protobuf_c_message_free_unpacked (&req->base, NULL);
      return;
    }
  if (!p->is_init && c->init->state != PS_RUNNING)
    {
      sc_ttrpc_call_error (call, SC_FAILED_PRECONDITION, "container %s init process is not running",
                           c->id);
      protobuf_c_message_free_unpacked (&req->base, NULL);
      return;
    }
  job *j = job_new (c, call, req, start_run);
  j->p = p;
  p->starts_queued++;
  job_enqueue (j);
}

/* ------------------------------------------------------------------ Kill */

static void
kill_done (const rt_result *r, void *data)
{
  job *j = data;
  if (j->call)
    {
      if (rt_ok (r))
        sc_ttrpc_call_reply (j->call, NULL, 0);
      else
        {
          char *msg = rt_error_message (j->c, r);
          if (strstr (msg, "not running") || strstr (msg, "no such process")
              || strstr (msg, "process already finished"))
            sc_ttrpc_call_error (j->call, SC_NOT_FOUND, "process already finished: not found");
          else if (strstr (msg, "does not exist"))
            sc_ttrpc_call_error (j->call, SC_NOT_FOUND, "no such container: not found");
          else
            sc_ttrpc_call_error (j->call, SC_UNKNOWN, "unknown error after kill: %s", msg);
          free (msg);
        }
    }
  j->call = NULL;
  job_done (j);
}

static void
kill_run (job *j)
{
  Containerd__Task__V2__KillRequest *req = j->req;
  char sig[16], *err = NULL;
  snprintf (sig, sizeof (sig), "%u", req->signal);
  const char *args[6];
  int k = 0;
  args[k++] = "kill";
  if (req->all && !fault ("ignore-kill-all"))
    args[k++] = "--all";
  args[k++] = j->c->id;
  args[k++] = sig;
  args[k] = NULL;
  if (H->rt_run (j->c, args, NULL, NULL, kill_done, j, &err) < 0)
    {
      if (j->call)
        sc_ttrpc_call_error (j->call, SC_UNKNOWN, "kill: %s", err);
      j->call = NULL;
      free (err);
      job_done (j);
    }
}

static void
h_kill (sc_ttrpc_call *call, void *data)
{
  container *c;
  process *p;
  Containerd__Task__V2__KillRequest *req
    = request_target (call, &containerd__task__v2__kill_request__descriptor, &c, &p);
  if (req == NULL)
    return;
  if (req->signal == 0 || req->signal > 64)
    {
      sc_ttrpc_call_error (call, SC_INVALID_ARGUMENT, "invalid signal %u", req->signal);
      goto out;
    }
  if (!p->is_init)
    {
      if (p->state == PS_CREATED && fault ("kill-created-exec-ok"))
        sc_ttrpc_call_reply (call, NULL, 0);
      else if (p->state == PS_CREATED)
        sc_ttrpc_call_error (call, SC_FAILED_PRECONDITION, "process not created: failed precondition");
      else if (is_exited (p) || p->pid <= 0)
        sc_ttrpc_call_error (call, SC_NOT_FOUND, "process already finished: not found");
      else if (H->kill (p->pid, (int) req->signal) < 0)
        sc_ttrpc_call_error (call, errno == ESRCH ? SC_NOT_FOUND : SC_UNKNOWN, "kill %d: %s",
                             (int) p->pid, strerror (errno));
      else
        sc_ttrpc_call_reply (call, NULL, 0);
      goto out;
    }
  job *j = job_new (c, call, req, kill_run);
  j->p = p;
  job_enqueue (j);
  return;
out:
  protobuf_c_message_free_unpacked (&req->base, NULL);
}

/* ------------------------------------------------------------------ Exec */

static void
h_exec (sc_ttrpc_call *call, void *data)
{
  Containerd__Task__V2__ExecProcessRequest *req
    = (void *) sc_ttrpc_call_unpack (call, &containerd__task__v2__exec_process_request__descriptor);
  if (req == NULL)
    return;
  container *c = get_container (call, req->id);
  if (c == NULL || !check_id (call, req->exec_id, "exec id"))
    goto out;
  if (process_find (c, req->exec_id) && fault ("allow-duplicate-exec"))
    {
      sc_ttrpc_call_reply (call, NULL, 0);
      goto out;
    }
  if (process_find (c, req->exec_id) || strcmp (req->exec_id, c->id) == 0)
    {
      sc_ttrpc_call_error (call, SC_ALREADY_EXISTS, "id %s: already exists", req->exec_id);
      goto out;
    }
  pstate st = c->init->state;
  if (st == PS_PAUSED || st == PS_PAUSING || st == PS_STOPPED || st == PS_DELETED)
    {
      sc_ttrpc_call_error (call, SC_FAILED_PRECONDITION, "cannot exec in a %s state",
                           status_name (st));
      goto out;
    }
  if (req->spec == NULL)
    {
      sc_ttrpc_call_error (call, SC_INVALID_ARGUMENT, "exec %s: no process spec", req->exec_id);
      goto out;
    }
  json_error_t jerr;
  json_t *spec = json_loadb ((const char *) req->spec->value.data, req->spec->value.len, 0, &jerr);
  sc_error e = SC_ERROR_INIT;
  if (spec == NULL)
    {
      sc_ttrpc_call_error (call, SC_INVALID_ARGUMENT, "exec %s: process spec: %s", req->exec_id,
                           jerr.text);
      goto out;
    }
  if (sc_oci_validate_process (spec, "process", &e) < 0)
    {
      sc_ttrpc_call_error (call, SC_INVALID_ARGUMENT, "exec %s: %s", req->exec_id, e.msg);
      sc_error_release (&e);
      json_decref (spec);
      goto out;
    }
  process *p = sc_xcalloc (1, sizeof (*p));
  p->c = c;
  p->id = sc_xstrdup (req->exec_id);
  p->state = PS_CREATED;
  p->terminal = req->terminal && !fault ("no-terminal");
  p->in = sc_xstrdup (req->stdin);
  p->out = sc_xstrdup (req->stdout);
  p->err = sc_xstrdup (req->stderr);
  p->spec = spec;
  p->next = c->execs;
  c->execs = p;
  Containerd__Events__TaskExecAdded ev = CONTAINERD__EVENTS__TASK_EXEC_ADDED__INIT;
  ev.container_id = c->id;
  ev.exec_id = p->id;
  H->publish ("/tasks/exec-added", &ev.base);
  sc_ttrpc_call_reply (call, NULL, 0);
out:
  protobuf_c_message_free_unpacked (&req->base, NULL);
}

/* ------------------------------------------------------------------ Delete */

static void
reply_delete (sc_ttrpc_call *call, process *p, bool started)
{
  Containerd__Task__V2__DeleteResponse resp = CONTAINERD__TASK__V2__DELETE_RESPONSE__INIT;
  Google__Protobuf__Timestamp ts;
  set_exited_at (&ts, started ? p->exited_at_ns : 0);
  resp.pid = (uint32_t) p->pid;
  resp.exit_status = started ? p->exit_status : 0;
  resp.exited_at = &ts;
  if (call)
    sc_ttrpc_call_reply_msg (call, &resp.base);
}

static void
publish_delete (process *p, bool started)
{
  Containerd__Events__TaskDelete e = CONTAINERD__EVENTS__TASK_DELETE__INIT;
  Google__Protobuf__Timestamp ts;
  set_exited_at (&ts, started ? p->exited_at_ns : 0);
  e.container_id = p->c->id;
  e.pid = (uint32_t) p->pid;
  e.exit_status = started ? p->exit_status : 0;
  e.exited_at = &ts;
  e.id = p->is_init ? (char *) "" : p->id;
  H->publish ("/tasks/delete", &e.base);
}

static void
delete_runtime_done (const rt_result *r, void *data)
{
  job *j = data;
  container *c = j->c;
  process *p = c->init;
  bool started = (intptr_t) j->extra != 0;
  if (!rt_ok (r))
    {
      char *msg = rt_error_message (c, r);
      if (strstr (msg, "does not exist") == NULL)
        {
          if (j->call)
            sc_ttrpc_call_error (j->call, SC_UNKNOWN, "OCI runtime delete failed: %s", msg);
          j->call = NULL;
          free (msg);
          p->state = started ? PS_STOPPED : PS_CREATED;
          job_done (j);
          return;
        }
      free (msg);
    }
  H->stdio_free (p);
  H->unmount_rootfs (c);
  char *pidfile = sc_xasprintf ("%s/init.pid", c->bundle);
  H->remove_file (pidfile);
  free (pidfile);
  publish_delete (p, started);
  reply_delete (j->call, p, started);
  j->call = NULL;
  container_drop (j);
}

static void
delete_after_drain (void *data)
{
  job *j = data;
  container *c = j->c;
  bool started = (intptr_t) j->extra != 0;
  const char *args[] = { "delete", "--force", c->id, NULL };
  const char *args_stopped[] = { "delete", c->id, NULL };
  char *err = NULL;
  if (H->rt_run (c, started ? args_stopped : args, NULL, NULL, delete_runtime_done, j, &err) < 0)
    {
      if (j->call)
        sc_ttrpc_call_error (j->call, SC_UNKNOWN, "delete: %s", err);
      j->call = NULL;
      free (err);
      job_done (j);
    }
}

static void
delete_run (job *j)
{
  process *p = j->c->init;
  if (p->state != PS_CREATED && p->state != PS_STOPPED && fault ("delete-running-ok"))
    {
      reply_delete (j->call, p, false);
      j->call = NULL;
      job_done (j);
      return;
    }
  if (p->state != PS_CREATED && p->state != PS_STOPPED)
    {
      if (j->call)
        sc_ttrpc_call_error (j->call, SC_FAILED_PRECONDITION, "cannot delete a %s process",
                             status_name (p->state));
      j->call = NULL;
      job_done (j);
      return;
    }
  bool started = p->state == PS_STOPPED;
  j->extra = (void *) (intptr_t) started;
  if (!started && fault ("exit-on-created-delete"))
    publish_exit (p); /* as runc-v2 does */
  if (!started)
    p->state = PS_DELETED; /* its exit (runtime delete kills runc init) is silent */
  H->stdio_when_drained (p, 2000, delete_after_drain, j);
}

static void
exec_delete_drained (void *data)
{
  process *p = data;
  container *c = p->c;
  bool started = p->exited_at_ns != 0;
  for (process **pp = &c->execs; *pp; pp = &(*pp)->next)
    if (*pp == p)
      {
        *pp = p->next;
        break;
      }
  char *pidfile = sc_xasprintf ("%s/%s.pid", c->bundle, p->id);
  H->remove_file (pidfile);
  free (pidfile);
  if (started)
    publish_delete (p, true);
  process_free (p);
}

static void
h_delete (sc_ttrpc_call *call, void *data)
{
  container *c;
  process *p;
  Containerd__Task__V2__DeleteRequest *req
    = request_target (call, &containerd__task__v2__delete_request__descriptor, &c, &p);
  if (req == NULL)
    return;
  if (p->is_init)
    {
      job *j = job_new (c, call, req, delete_run);
      j->p = p;
      job_enqueue (j);
      return;
    }
  /* a Start queued before this Delete comes first (it holds p): the process
   * counts as starting.  Freeing it under the queued job was a use after
   * free (found by task_dispatch: Pids, Pids, Start e1 pipelined, Delete e1) */
  bool starting = p->starting || p->starts_queued > 0;
  if (starting || (p->state != PS_CREATED && p->state != PS_STOPPED))
    {
      sc_ttrpc_call_error (call, SC_FAILED_PRECONDITION, "cannot delete a %s process",
                           starting ? "starting" : status_name (p->state));
      goto out;
    }
  bool started = p->exited_at_ns != 0;
  reply_delete (call, p, started);
  /* output already exited; give the copies up to 2 s to finish, then free */
  p->state = PS_DELETED;
  H->stdio_when_drained (p, 2000, exec_delete_drained, p);
out:
  protobuf_c_message_free_unpacked (&req->base, NULL);
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

static void
h_wait (sc_ttrpc_call *call, void *data)
{
  container *c;
  process *p;
  Containerd__Task__V2__WaitRequest *req
    = request_target (call, &containerd__task__v2__wait_request__descriptor, &c, &p);
  if (req == NULL)
    return;
  protobuf_c_message_free_unpacked (&req->base, NULL);
  if (p->nwaiters >= 1024)
    {
      sc_ttrpc_call_error (call, SC_RESOURCE_EXHAUSTED, "too many waiters for %s", p->id);
      return;
    }
  p->waiters = sc_xrealloc (p->waiters, (p->nwaiters + 1) * sizeof (*p->waiters));
  p->waiters[p->nwaiters++] = call;
  sc_ttrpc_call_set_cancel (call, waiter_cancelled, p);
  if (is_exited (p) && p->exited_at_ns != 0)
    wake_waiters (p);
}

/* ------------------------------------------------------------------ State */

static void
h_state (sc_ttrpc_call *call, void *data)
{
  container *c;
  process *p;
  Containerd__Task__V2__StateRequest *req
    = request_target (call, &containerd__task__v2__state_request__descriptor, &c, &p);
  if (req)
    {
      Containerd__Task__V2__StateResponse r = CONTAINERD__TASK__V2__STATE_RESPONSE__INIT;
      Google__Protobuf__Timestamp ts;
      pstate st = p->state;
      if (!p->is_init && (c->init->state == PS_PAUSED || c->init->state == PS_PAUSING)
          && st == PS_RUNNING)
        st = c->init->state; /* an exec of a paused container reports paused */
      if (st == PS_DELETED)
        st = PS_STOPPED;
      if (p->is_init && c->init_exit_held)
        st = PS_RUNNING; /* its exit is not published yet */
      set_exited_at (&ts, is_exited (p) ? p->exited_at_ns : 0);
      r.id = p->id;
      r.bundle = c->bundle;
      r.pid = (uint32_t) p->pid + (fault ("state-wrong-pid") ? 1 : 0);
      r.status = fault ("state-wrong-status") ? CONTAINERD__V1__TYPES__STATUS__UNKNOWN
                                               : (Containerd__V1__Types__Status) st;
      r.stdin = p->in;
      r.stdout = p->out;
      r.stderr = p->err;
      r.terminal = p->terminal;
      r.exit_status = is_exited (p) ? p->exit_status : 0;
      r.exited_at = &ts;
      sc_ttrpc_call_reply_msg (call, &r.base);
      protobuf_c_message_free_unpacked (&req->base, NULL);
    }
}

/* ------------------------------------------------------------------ Pids */

static void
pids_done (const rt_result *r, void *data)
{
  job *j = data;
  if (j->call == NULL)
    ;
  else if (!rt_ok (r))
    {
      char *msg = rt_error_message (j->c, r);
      sc_ttrpc_call_error (j->call, SC_UNKNOWN, "OCI runtime ps failed: %s", msg);
      free (msg);
    }
  else
    {
      json_t *arr = json_loadb (r->out, r->out_len, 0, NULL);
      size_t n = json_is_array (arr) ? json_array_size (arr) : 0;
      Containerd__V1__Types__ProcessInfo *infos = sc_xcalloc (n, sizeof (*infos));
      Containerd__V1__Types__ProcessInfo **ptrs = sc_xcalloc (n, sizeof (*ptrs));
      Google__Protobuf__Any *anys = sc_xcalloc (n, sizeof (*anys));
      size_t k = 0;
      for (size_t i = 0; i < n; i++)
        {
          json_t *v = json_array_get (arr, i);
          if (!json_is_integer (v))
            continue;
          containerd__v1__types__process_info__init (&infos[k]);
          infos[k].pid = (uint32_t) json_integer_value (v);
          for (process *e = j->c->execs; e && !fault ("pids-no-details"); e = e->next)
            if (e->pid > 0 && (uint32_t) e->pid == infos[k].pid)
              {
                Containerd__Runc__V1__ProcessDetails d = CONTAINERD__RUNC__V1__PROCESS_DETAILS__INIT;
                d.exec_id = e->id;
                sc_any_pack (&anys[k], &d.base);
                infos[k].info = &anys[k];
              }
          ptrs[k] = &infos[k];
          k++;
        }
      Containerd__Task__V2__PidsResponse resp = CONTAINERD__TASK__V2__PIDS_RESPONSE__INIT;
      resp.n_processes = k;
      resp.processes = ptrs;
      sc_ttrpc_call_reply_msg (j->call, &resp.base);
      for (size_t i = 0; i < k; i++)
        if (infos[i].info)
          sc_any_clear (&anys[i]);
      free (anys);
      free (ptrs);
      free (infos);
      json_decref (arr);
    }
  j->call = NULL;
  job_done (j);
}

static void
runtime_query_run (job *j, const char *const *args, rt_cb cb, const char *stdin_data)
{
  char *err = NULL;
  if (H->rt_run (j->c, args, NULL, stdin_data, cb, j, &err) < 0)
    {
      if (j->call)
        sc_ttrpc_call_error (j->call, SC_UNKNOWN, "%s: %s", args[0], err);
      j->call = NULL;
      free (err);
      job_done (j);
    }
}

static void
pids_run (job *j)
{
  const char *args[] = { "ps", "--format", "json", j->c->id, NULL };
  runtime_query_run (j, args, pids_done, NULL);
}

static void
h_pids (sc_ttrpc_call *call, void *data)
{
  container *c;
  void *req = request_target (call, &containerd__task__v2__pids_request__descriptor, &c, NULL);
  if (req)
    job_enqueue (job_new (c, call, req, pids_run));
}

/* ------------------------------------------------------------------ Pause / Resume */

static void
pause_done (const rt_result *r, void *data)
{
  job *j = data;
  container *c = j->c;
  bool pausing = (intptr_t) j->extra != 0;
  if (!rt_ok (r))
    {
      char *msg = rt_error_message (c, r);
      c->init->state = pausing ? PS_RUNNING : PS_PAUSED;
      if (j->call)
        sc_ttrpc_call_error (j->call, SC_UNKNOWN, "OCI runtime %s failed: %s",
                             pausing ? "pause" : "resume", msg);
      free (msg);
    }
  else
    {
      if (c->init->state == PS_PAUSING || c->init->state == PS_PAUSED || c->init->state == PS_RUNNING)
        c->init->state = pausing ? PS_PAUSED : PS_RUNNING;
      if (pausing)
        {
          Containerd__Events__TaskPaused e = CONTAINERD__EVENTS__TASK_PAUSED__INIT;
          e.container_id = c->id;
          H->publish ("/tasks/paused", &e.base);
        }
      else
        {
          Containerd__Events__TaskResumed e = CONTAINERD__EVENTS__TASK_RESUMED__INIT;
          e.container_id = c->id;
          H->publish ("/tasks/resumed", &e.base);
        }
      if (j->call)
        sc_ttrpc_call_reply (j->call, NULL, 0);
    }
  j->call = NULL;
  job_done (j);
}

static void
pause_run (job *j)
{
  container *c = j->c;
  bool pausing = (intptr_t) j->extra != 0;
  pstate need = pausing ? PS_RUNNING : PS_PAUSED;
  if (c->init->state != need)
    {
      if (j->call)
        sc_ttrpc_call_error (j->call, SC_FAILED_PRECONDITION, "cannot %s a %s task",
                             pausing ? "pause" : "resume", status_name (c->init->state));
      j->call = NULL;
      job_done (j);
      return;
    }
  if (pausing)
    c->init->state = PS_PAUSING;
  const char *args[] = { pausing ? "pause" : "resume", c->id, NULL };
  runtime_query_run (j, args, pause_done, NULL);
}

static void
pause_or_resume (sc_ttrpc_call *call, bool pausing)
{
  container *c;
  void *req = request_target (call,
                              pausing ? &containerd__task__v2__pause_request__descriptor
                                      : &containerd__task__v2__resume_request__descriptor,
                              &c, NULL);
  if (req)
    {
      job *j = job_new (c, call, req, pause_run);
      j->extra = (void *) (intptr_t) pausing;
      job_enqueue (j);
    }
}

static void
h_pause (sc_ttrpc_call *call, void *data)
{
  pause_or_resume (call, true);
}

static void
h_resume (sc_ttrpc_call *call, void *data)
{
  pause_or_resume (call, false);
}

/* ------------------------------------------------------------------ CloseIO / ResizePty */

static void
h_close_io (sc_ttrpc_call *call, void *data)
{
  container *c;
  process *p;
  void *req = request_target (call, &containerd__task__v2__close_iorequest__descriptor, &c, &p);
  if (req == NULL)
    return;
  if (!fault ("ignore-closeio"))
    H->stdio_close_stdin (p);
  sc_ttrpc_call_reply (call, NULL, 0);
  protobuf_c_message_free_unpacked (req, NULL);
}

static void
h_resize_pty (sc_ttrpc_call *call, void *data)
{
  container *c;
  process *p;
  Containerd__Task__V2__ResizePtyRequest *req
    = request_target (call, &containerd__task__v2__resize_pty_request__descriptor, &c, &p);
  if (req)
    {
      if (req->width > 65535 || req->height > 65535)
        sc_ttrpc_call_error (call, SC_INVALID_ARGUMENT, "window size %ux%u out of range",
                             req->width, req->height);
      else if (is_exited (p))
        sc_ttrpc_call_error (call, SC_FAILED_PRECONDITION, "cannot resize a stopped container");
      else if (!fault ("ignore-resize") && H->stdio_resize (p, req->width, req->height) < 0)
        sc_ttrpc_call_error (call, SC_UNKNOWN, "resize: %s", strerror (errno));
      else
        sc_ttrpc_call_reply (call, NULL, 0);
      protobuf_c_message_free_unpacked (&req->base, NULL);
    }
}

/* ------------------------------------------------------------------ Update */

static void
update_done (const rt_result *r, void *data)
{
  job *j = data;
  if (j->call)
    {
      if (rt_ok (r))
        sc_ttrpc_call_reply (j->call, NULL, 0);
      else
        {
          char *msg = rt_error_message (j->c, r);
          sc_ttrpc_call_error (j->call, SC_UNKNOWN, "OCI runtime update failed: %s", msg);
          free (msg);
        }
    }
  j->call = NULL;
  job_done (j); /* frees the resources text (extra_free) */
}

static void
update_run (job *j)
{
  if (is_exited (j->c->init))
    {
      if (j->call)
        sc_ttrpc_call_error (j->call, SC_FAILED_PRECONDITION, "cannot update a stopped container");
      j->call = NULL;
      job_done (j);
      return;
    }
  const char *args[] = { "update", "--resources", "-", j->c->id, NULL };
  runtime_query_run (j, args, update_done, j->extra);
}

static void
h_update (sc_ttrpc_call *call, void *data)
{
  container *c;
  Containerd__Task__V2__UpdateTaskRequest *req
    = request_target (call, &containerd__task__v2__update_task_request__descriptor, &c, NULL);
  if (req == NULL)
    return;
  if (req->resources == NULL || req->resources->value.len == 0)
    {
      sc_ttrpc_call_error (call, SC_INVALID_ARGUMENT, "update: no resources");
      goto out;
    }
  json_error_t jerr;
  json_t *res = json_loadb ((const char *) req->resources->value.data, req->resources->value.len,
                            0, &jerr);
  if (!json_is_object (res))
    {
      sc_ttrpc_call_error (call, SC_INVALID_ARGUMENT, "update: resources are not a JSON object: %s",
                           res ? "wrong type" : jerr.text);
      json_decref (res);
      goto out;
    }
  job *j = job_new (c, call, req, update_run);
  j->extra = json_dumps (res, JSON_COMPACT);
  j->extra_free = free;
  json_decref (res);
  job_enqueue (j);
  return;
out:
  protobuf_c_message_free_unpacked (&req->base, NULL);
}

/* ------------------------------------------------------------------ Stats */

static void
stats_done (const rt_result *r, void *data)
{
  job *j = data;
  if (j->call)
    {
      uint8_t *buf = NULL;
      size_t len = 0;
      char *err = NULL;
      if (!rt_ok (r))
        {
          char *msg = rt_error_message (j->c, r);
          sc_ttrpc_call_error (j->call, SC_NOT_FOUND, "stats: %s", msg);
          free (msg);
        }
      else if (stats_from_runtime_json (r->out, r->out_len, &buf, &len, &err) < 0)
        {
          sc_ttrpc_call_error (j->call, SC_INTERNAL, "stats: %s", err);
          free (err);
        }
      else
        {
          Google__Protobuf__Any any;
          if (fault ("stats-garbage"))
            memset (buf, 0xff, len);
          sc_any_set (&any, "io.containerd.cgroups.v1.Metrics", buf, len);
          Containerd__Task__V2__StatsResponse resp = CONTAINERD__TASK__V2__STATS_RESPONSE__INIT;
          resp.stats = &any;
          sc_ttrpc_call_reply_msg (j->call, &resp.base);
          sc_any_clear (&any);
          free (buf);
        }
    }
  j->call = NULL;
  job_done (j);
}

static void
stats_run (job *j)
{
  const char *args[] = { "events", "--stats", j->c->id, NULL };
  runtime_query_run (j, args, stats_done, NULL);
}

static void
h_stats (sc_ttrpc_call *call, void *data)
{
  container *c;
  void *req = request_target (call, &containerd__task__v2__stats_request__descriptor, &c, NULL);
  if (req)
    job_enqueue (job_new (c, call, req, stats_run));
}

/* ------------------------------------------------------------------ Connect / Shutdown / Checkpoint */

static void
h_connect (sc_ttrpc_call *call, void *data)
{
  Containerd__Task__V2__ConnectRequest *req
    = (void *) sc_ttrpc_call_unpack (call, &containerd__task__v2__connect_request__descriptor);
  if (req == NULL)
    return;
  Containerd__Task__V2__ConnectResponse r = CONTAINERD__TASK__V2__CONNECT_RESPONSE__INIT;
  r.shim_pid = (uint32_t) getpid () + (fault ("connect-wrong-pid") ? 1 : 0);
  container *c = container_find (req->id);
  if (c && !c->creating && c->init)
    r.task_pid = (uint32_t) c->init->pid + (fault ("connect-wrong-pid") ? 1 : 0);
  r.version = (char *) SHIMCHECK_VERSION;
  sc_ttrpc_call_reply_msg (call, &r.base);
  protobuf_c_message_free_unpacked (&req->base, NULL);
}

static void
h_shutdown (sc_ttrpc_call *call, void *data)
{
  Containerd__Task__V2__ShutdownRequest *req
    = (void *) sc_ttrpc_call_unpack (call, &containerd__task__v2__shutdown_request__descriptor);
  if (req == NULL)
    return;
  protobuf_c_message_free_unpacked (&req->base, NULL);
  sc_ttrpc_call_reply (call, NULL, 0);
  /* a shim with tasks left keeps serving them (`now` is ignored, as in runc) */
  if (S.containers == NULL || fault ("shutdown-always"))
    H->request_shutdown ();
}

static void
h_checkpoint (sc_ttrpc_call *call, void *data)
{
  sc_ttrpc_call_error (call, SC_UNIMPLEMENTED,
                       "checkpoint is not supported by %s (no CRIU support): not implemented",
                       REFSHIM_NAME);
}

/* ------------------------------------------------------------------ registration */

typedef struct rpc
{
  const char *name;
  sc_ttrpc_handler fn;
} rpc;

static const rpc rpcs[] = {
  { "State", h_state },     { "Create", h_create },       { "Start", h_start },
  { "Delete", h_delete },   { "Pids", h_pids },           { "Pause", h_pause },
  { "Resume", h_resume },   { "Checkpoint", h_checkpoint }, { "Kill", h_kill },
  { "Exec", h_exec },       { "ResizePty", h_resize_pty }, { "CloseIO", h_close_io },
  { "Update", h_update },   { "Wait", h_wait },           { "Stats", h_stats },
  { "Connect", h_connect }, { "Shutdown", h_shutdown },
};

static void
dispatch (sc_ttrpc_call *call, void *data)
{
  const rpc *r = data;
  shim_log ("debug", "%s %s", sc_ttrpc_call_service (call), r->name);
#ifdef REFSHIM_FAULTS
  char name[64];
  snprintf (name, sizeof (name), "crash-on-%s", r->name);
  if (fault (name))
    abort ();
  snprintf (name, sizeof (name), "hang-on-%s", r->name);
  if (fault (name))
    return; /* never replies: the call stays pending until the client leaves */
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
#endif
  r->fn (call, NULL);
}

void
task_register (sc_ttrpc_server *server)
{
  for (size_t i = 0; i < sizeof (rpcs) / sizeof (rpcs[0]); i++)
    {
      sc_ttrpc_server_register (server, SC_TASK_V2_SERVICE, rpcs[i].name, dispatch, (void *) &rpcs[i]);
      sc_ttrpc_server_register (server, SC_TASK_V3_SERVICE, rpcs[i].name, dispatch, (void *) &rpcs[i]);
    }
}
