/* containerd-shim-ref-v1: the runtime operations of Start, Kill, Delete,
 * Pause/Resume, Update, Pids and Stats (ops.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "containerd/events/task.pb-c.h"
#include "containerd/runc/options.pb-c.h"
#include "fault.h"
#include "host.h"
#include "jobs.h"
#include "log.h"
#include "oci_spec.h"
#include "ops.h"
#include "pb.h"
#include "process.h"
#include "rtout.h"
#include "stats.h"
#include "status.h"

const char *
ops_runtime_name (const container *c)
{
  const char *s = strrchr (c->runtime, '/');
  return s ? s + 1 : c->runtime;
}

/* runs a runtime command whose output the job reads; a failure to start it
 * fails the job */
static void
run_query (job *j, const char *const *args, rt_cb cb, const char *stdin_data)
{
  sc_error err = SC_ERROR_INIT;
  if (HOST (j->c->svc->host, rt_run, j->c, args, NULL, stdin_data, cb, j, &err) < 0)
    {
      job_fail (j, SC_UNKNOWN, "%s: %s", args[0], err.msg);
      sc_error_release (&err);
    }
}

/* A query's result that needs no reading: its client went away, or the
 * runtime failed (answered code "<what> failed: <its message>").  True when
 * the job has ended. */
static bool
query_ended (job *j, const rt_result *r, int code, const char *what)
{
  if (j->call == NULL)
    {
      job_done (j);
      return true;
    }
  if (rt_ok (r))
    return false;
  cleanup_free char *msg = rt_error_message (r);
  job_fail (j, code, "%s: %s", what, msg);
  return true;
}

/* ------------------------------------------------------------------ Start */

void
ops_start_response (Containerd__Task__V2__StartResponse *resp, pid_t pid)
{
  containerd__task__v2__start_response__init (resp);
  resp->pid = (uint32_t) pid;
}

static void
reply_pid (job *j, pid_t pid)
{
  Containerd__Task__V2__StartResponse resp;
  ops_start_response (&resp, pid);
  job_reply (j, &resp.base);
}

/* the init runs: TaskStart, then what happened meanwhile (an exit) */
static void
start_init_publish (job *j)
{
  process *p = j->p;
  Containerd__Events__TaskStart e = CONTAINERD__EVENTS__TASK_START__INIT;
  e.container_id = p->c->id;
  e.pid = (uint32_t) p->pid;
  HOST (p->c->svc->host, publish, "/tasks/start", &e.base);
  process_start_ok (p, p->pid);
  reply_pid (j, p->pid);
}

#ifdef REFSHIM_FAULTS
/* test build, exit-before-start: waits (up to 1 s) for the init's exit,
 * then publishes it before the start */
typedef struct later
{
  sc_timer timer;
  job *j;
  int tries;
} later;

static void start_init_later (job *j, int tries);

static void
later_cb (sc_timer *t)
{
  later *l = t->data;
  job *j = l->j;
  int tries = l->tries;
  free (l);
  start_init_later (j, tries + 1);
}

static void
start_init_later (job *j, int tries)
{
  process *p = j->p;
  if (p->state == PS_STARTING && tries < 100)
    {
      later *l = sc_xcalloc (1, sizeof (*l));
      l->j = j;
      l->tries = tries;
      sc_timer_start (p->c->svc->loop, &l->timer, 10, later_cb, l);
      return;
    }
  bool exit_first = p->state == PS_START_EXITED;
  if (!exit_first)
    {
      start_init_publish (j);
      return;
    }
  Containerd__Events__TaskStart e = CONTAINERD__EVENTS__TASK_START__INIT;
  e.container_id = p->c->id;
  e.pid = (uint32_t) p->pid;
  process_start_ok (p, p->pid); /* the exit goes out now */
  HOST (p->c->svc->host, publish, "/tasks/start", &e.base);
  reply_pid (j, p->pid);
}
#endif

static void
start_init_done (const rt_result *r, void *data)
{
  job *j = data;
  process *p = j->p;
  if (!rt_ok (r))
    {
      cleanup_free char *msg = rt_error_message (r);
      cleanup_free char *text = rt_failure ("start", ops_runtime_name (p->c), msg);
      process_start_failed (p);
      job_fail (j, SC_UNKNOWN, "%s", text);
      return;
    }
#ifdef REFSHIM_FAULTS
  if (fault ("exit-before-start"))
    {
      start_init_later (j, 0);
      return;
    }
#endif
  start_init_publish (j);
}

static void
exec_start_done (const rt_result *r, void *data)
{
  job *j = data;
  process *p = j->p;
  container *c = p->c;
  shim_host *h = c->svc->host;
  HOST (h, remove_file, j->u.start.specfile);
  sc_error err = SC_ERROR_INIT;
  pid_t pid = 0;
  if (!rt_ok (r))
    {
      cleanup_free char *msg = rt_error_message (r);
      cleanup_free char *text = rt_failure ("exec", ops_runtime_name (c), msg);
      sc_error_make (&err, 0, "%s", text);
    }
  else
    {
      cleanup_free char *pidfile = sc_xasprintf ("%s/%s.pid", c->bundle, p->id);
      if (HOST (h, read_pid, pidfile, &pid, &err) == 0)
        HOST (h, stdio_start, p, &err);
    }
  if (err.msg)
    {
      if (fault ("exec-started-on-failure"))
        {
          /* test build: announced before it is known to have started */
          Containerd__Events__TaskExecStarted e = CONTAINERD__EVENTS__TASK_EXEC_STARTED__INIT;
          e.container_id = c->id;
          e.exec_id = p->id;
          HOST (h, publish, "/tasks/exec-started", &e.base);
        }
      HOST (h, stdio_free, p);
      process_start_failed (p);
      job_fail (j, SC_UNKNOWN, "%s", err.msg);
      sc_error_release (&err);
      return;
    }
  Containerd__Events__TaskExecStarted e = CONTAINERD__EVENTS__TASK_EXEC_STARTED__INIT;
  e.container_id = c->id;
  e.exec_id = p->id;
  e.pid = (uint32_t) pid;
  HOST (h, publish, "/tasks/exec-started", &e.base);
  process_start_ok (p, pid);
  reply_pid (j, pid);
  process_watch (p); /* an exit seen before we knew the pid arrives now */
}

static void exec_runtime (void *data, const char *logger_failed);

/* `runtime exec --process <spec> --detach` with p's stdio, once a
 * binary:// logger (if any) is ready */
static int
exec_begin (job *j, sc_error *err)
{
  process *p = j->p;
  shim_host *h = p->c->svc->host;
  if (HOST (h, stdio_prepare, p, j->u.start.fds, &j->u.start.console, err) < 0)
    return -1;
  HOST (h, stdio_when_ready, p, exec_runtime, j);
  return 0;
}

static int exec_runtime_call (job *j, sc_error *err);

static void
exec_runtime (void *data, const char *logger_failed)
{
  job *j = data;
  process *p = j->p;
  sc_error err = SC_ERROR_INIT;
  if (logger_failed)
    sc_error_make (&err, 0, "stdio: %s", logger_failed);
  else if (exec_runtime_call (j, &err) == 0)
    return;
  process_start_failed (p);
  HOST (p->c->svc->host, stdio_free, p);
  job_fail (j, SC_UNKNOWN, "start %s: %s", p->id, err.msg);
  sc_error_release (&err);
}

static int
exec_runtime_call (job *j, sc_error *err)
{
  process *p = j->p;
  container *c = p->c;
  shim_host *h = c->svc->host;
  int *fds = j->u.start.fds;
  char *console = j->u.start.console;
  cleanup_json json_t *spec = json_deep_copy (p->spec);
  json_object_set_new (spec, "terminal", json_boolean (p->terminal));
  if (fault ("exec-as-root"))
    {
      /* test build: the init's identity and directory, not the exec's */
      json_object_set_new (spec, "user", json_pack ("{s:i, s:i}", "uid", 0, "gid", 0));
      json_object_set_new (spec, "cwd", json_string ("/"));
    }
  if (fault ("truncate-exec-args"))
    {
      /* test build: a fixed 4 KiB buffer per argument */
      size_t i;
      json_t *a;
      json_array_foreach (json_object_get (spec, "args"), i, a)
        if (json_string_length (a) > 4096)
          {
            char cut[4097];
            memcpy (cut, json_string_value (a), 4096);
            cut[4096] = '\0';
            json_string_set (a, cut);
          }
    }
  cleanup_free char *specfile = sc_xasprintf ("%s/.exec-%s.json", c->bundle, p->id);
  cleanup_free char *pidfile = sc_xasprintf ("%s/%s.pid", c->bundle, p->id);
  HOST (h, remove_file, pidfile);
  cleanup_free char *spectext = json_dumps (spec, JSON_COMPACT);
  if (spectext == NULL)
    return sc_error_make (err, 0, "exec %s: process spec does not serialize", p->id);
  if (HOST (h, write_file, specfile, spectext, err) < 0)
    return -1;
  const char *args[12];
  int k = 0;
  args[k++] = "exec";
  if (fault ("exec-while-paused-ok"))
    args[k++] = "--ignore-paused"; /* test build: into the frozen cgroup */
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
  if (HOST (h, rt_run, c, args, fds, NULL, exec_start_done, j, err) < 0)
    {
      HOST (h, remove_file, specfile);
      return -1;
    }
  j->u.start.specfile = sc_steal (specfile);
  return 0;
}

void
start_run (job *j)
{
  process *p = j->p;
  container *c = p->c;
  p->starts_queued--;
  /* state may have changed while queued */
  if (!p->is_init && c->init->state != PS_RUNNING
      && !(c->init->state == PS_PAUSED && fault ("exec-while-paused-ok")))
    {
      job_fail (j, SC_FAILED_PRECONDITION, "container %s init process is not running", c->id);
      return;
    }
  if (p->state != PS_CREATED)
    {
      job_fail (j, SC_FAILED_PRECONDITION, "cannot start a %s process", pstate_name (p->state));
      return;
    }
  process_start_begin (p);
  sc_error err = SC_ERROR_INIT;
  int rc;
  if (p->is_init)
    {
      const char *args[] = { "start", c->id, NULL };
      rc = HOST (c->svc->host, rt_run, c, args, NULL, NULL, start_init_done, j, &err);
    }
  else
    rc = exec_begin (j, &err);
  if (rc == 0)
    return;
  process_start_failed (p);
  HOST (c->svc->host, stdio_free, p);
  job_fail (j, SC_UNKNOWN, "start %s: %s", p->id, err.msg);
  sc_error_release (&err);
}

/* ------------------------------------------------------------------ Kill */

static void
kill_done (const rt_result *r, void *data)
{
  job *j = data;
  if (rt_ok (r))
    {
      job_reply (j, NULL);
      return;
    }
  cleanup_free char *msg = rt_error_message (r);
  const char *text;
  int code = rt_kill_error (msg, &text);
  if (fault ("kill-error-unknown"))
    code = SC_UNKNOWN, text = NULL; /* test build: every kill failure is Unknown */
  if (text)
    job_fail (j, code, "%s", text);
  else
    job_fail (j, code, "unknown error after kill: %s", msg);
}

void
kill_run (job *j)
{
  Containerd__Task__V2__KillRequest *req = j->req;
  char sig[16];
  /* test build: signal-as-sigkill delivers every signal as SIGKILL */
  snprintf (sig, sizeof (sig), "%u", fault ("signal-as-sigkill") ? 9u : req->signal);
  const char *args[6];
  int k = 0;
  args[k++] = "kill";
  if (req->all && !fault ("ignore-kill-all"))
    args[k++] = "--all";
  args[k++] = j->c->id;
  args[k++] = sig;
  args[k] = NULL;
  sc_error err = SC_ERROR_INIT;
  if (HOST (j->c->svc->host, rt_run, j->c, args, NULL, NULL, kill_done, j, &err) < 0)
    {
      job_fail (j, SC_UNKNOWN, "kill: %s", err.msg);
      sc_error_release (&err);
    }
}

/* ------------------------------------------------------------------ Delete */

static void
reply_delete (job *j, process *p, bool started)
{
  Containerd__Task__V2__DeleteResponse resp;
  Google__Protobuf__Timestamp ts;
  process_delete_response (&resp, &ts, p, started);
  job_answer (j, &resp.base);
}

static void
delete_runtime_done (const rt_result *r, void *data)
{
  job *j = data;
  container *c = j->c;
  shim_host *h = c->svc->host;
  process *p = c->init;
  bool started = j->u.del.started;
  if (!rt_ok (r))
    {
      cleanup_free char *msg = rt_error_message (r);
      if (!rt_gone (msg))
        {
          process_delete_failed (p);
          job_fail (j, SC_UNKNOWN, "OCI runtime delete failed: %s", msg);
          return;
        }
    }
  HOST (h, stdio_free, p);
  HOST (h, unmount_rootfs, c);
  cleanup_free char *pidfile = sc_xasprintf ("%s/init.pid", c->bundle);
  HOST (h, remove_file, pidfile);
  process_publish_delete (p, started);
  reply_delete (j, p, started);
  container_drop (j);
}

static void
delete_after_drain (void *data)
{
  job *j = data;
  container *c = j->c;
  const char *args[] = { "delete", "--force", c->id, NULL };
  const char *args_stopped[] = { "delete", c->id, NULL };
  const char *args_nothing[] = { "state", c->id, NULL }; /* delete-keeps-created */
  sc_error err = SC_ERROR_INIT;
  if (HOST (c->svc->host, rt_run, c,
            j->u.del.started                    ? args_stopped
            : fault ("delete-keeps-created") ? args_nothing
                                                : args,
            NULL, NULL,
            delete_runtime_done, j, &err)
      < 0)
    {
      job_fail (j, SC_UNKNOWN, "delete: %s", err.msg);
      sc_error_release (&err);
    }
}

void
delete_run (job *j)
{
  process *p = j->c->init;
  if (!process_deletable (p) && fault ("delete-running-ok"))
    {
      reply_delete (j, p, false);
      job_done (j);
      return;
    }
  if (!process_deletable (p))
    {
      job_fail (j, SC_FAILED_PRECONDITION, "cannot delete a %s process", pstate_name (p->state));
      return;
    }
  if (p->state == PS_CREATED && fault ("exit-on-created-delete"))
    process_publish_exit_now (p, p->exit_status, p->exited_at_ns); /* as runc-v2 does */
  j->u.del.started = process_delete (p);
  if (fault ("delete-before-drain"))
    HOST (j->c->svc->host, stdio_free, p); /* test build: what is still being copied is lost */
  HOST (j->c->svc->host, stdio_when_drained, p, 2000, delete_after_drain, j);
}

void
exec_delete (process *p)
{
  container *c = p->c;
  bool started = p->exited_at_ns != 0;
  for (process **pp = &c->execs; *pp; pp = &(*pp)->next)
    if (*pp == p)
      {
        *pp = p->next;
        break;
      }
  cleanup_free char *pidfile = sc_xasprintf ("%s/%s.pid", c->bundle, p->id);
  HOST (c->svc->host, remove_file, pidfile);
  if (started)
    process_publish_delete (p, true);
  process_free (p);
}

/* ------------------------------------------------------------------ Pause / Resume */

static void
pause_done (const rt_result *r, void *data)
{
  job *j = data;
  container *c = j->c;
  bool pausing = j->kind == JOB_PAUSE;
  if (!rt_ok (r))
    {
      cleanup_free char *msg = rt_error_message (r);
      process_pause_ended (c->init, !pausing);
      job_fail (j, SC_UNKNOWN, "OCI runtime %s failed: %s", pausing ? "pause" : "resume", msg);
      return;
    }
  process_pause_ended (c->init, pausing);
  if (pausing)
    {
      Containerd__Events__TaskPaused e = CONTAINERD__EVENTS__TASK_PAUSED__INIT;
      e.container_id = c->id;
      HOST (c->svc->host, publish, "/tasks/paused", &e.base);
    }
  else
    {
      Containerd__Events__TaskResumed e = CONTAINERD__EVENTS__TASK_RESUMED__INIT;
      e.container_id = c->id;
      HOST (c->svc->host, publish, "/tasks/resumed", &e.base);
    }
  job_reply (j, NULL);
}

void
pause_run (job *j)
{
  container *c = j->c;
  bool pausing = j->kind == JOB_PAUSE;
  pstate need = pausing ? PS_RUNNING : PS_PAUSED;
  if (c->init->state != need)
    {
      job_fail (j, SC_FAILED_PRECONDITION, "cannot %s a %s task", pausing ? "pause" : "resume",
                pstate_name (c->init->state));
      return;
    }
  if (pausing)
    process_pause_begin (c->init);
  const char *args[] = { pausing ? "pause" : "resume", c->id, NULL };
  run_query (j, args, pause_done, NULL);
}

/* ------------------------------------------------------------------ Update */

static void
update_done (const rt_result *r, void *data)
{
  job *j = data;
  if (rt_ok (r))
    {
      job_reply (j, NULL);
      return;
    }
  cleanup_free char *msg = rt_error_message (r);
  job_fail (j, SC_UNKNOWN, "OCI runtime update failed: %s", msg);
}

void
update_run (job *j)
{
  if (process_exited (j->c->init))
    {
      job_fail (j, SC_FAILED_PRECONDITION, "cannot update a stopped container");
      return;
    }
  if (fault ("update-noop"))
    {
      job_reply (j, NULL); /* test build: says OK, changes nothing */
      return;
    }
  const char *args[] = { "update", "--resources", "-", j->c->id, NULL };
  run_query (j, args, update_done, j->u.update.resources);
}

/* ------------------------------------------------------------------ Pids */

static void
pids_done (const rt_result *r, void *data)
{
  job *j = data;
  if (query_ended (j, r, SC_UNKNOWN, "OCI runtime ps failed"))
    return;
  cleanup_free uint32_t *pids = NULL;
  size_t n = 0;
  rt_parse_pids (r->out, r->out_len, &pids, &n);
  cleanup_free Containerd__V1__Types__ProcessInfo *infos = sc_xcalloc (n, sizeof (*infos));
  cleanup_free Containerd__V1__Types__ProcessInfo **ptrs = sc_xcalloc (n, sizeof (*ptrs));
  cleanup_free Google__Protobuf__Any *anys = sc_xcalloc (n, sizeof (*anys));
  for (size_t i = 0; i < n; i++)
    {
      containerd__v1__types__process_info__init (&infos[i]);
      infos[i].pid = pids[i];
      for (process *e = j->c->execs; e; e = e->next)
        if (e->pid > 0 && (uint32_t) e->pid == pids[i])
          {
            Containerd__Runc__V1__ProcessDetails d = CONTAINERD__RUNC__V1__PROCESS_DETAILS__INIT;
            d.exec_id = e->id;
            sc_any_pack (&anys[i], &d.base);
            infos[i].info = &anys[i];
          }
      ptrs[i] = &infos[i];
    }
  Containerd__Task__V2__PidsResponse resp = CONTAINERD__TASK__V2__PIDS_RESPONSE__INIT;
  resp.n_processes = n;
  resp.processes = ptrs;
  job_reply (j, &resp.base);
  for (size_t i = 0; i < n; i++)
    if (infos[i].info)
      sc_any_clear (&anys[i]);
}

void
pids_run (job *j)
{
  const char *args[] = { "ps", "--format", "json", j->c->id, NULL };
  run_query (j, args, pids_done, NULL);
}

/* ------------------------------------------------------------------ Stats */

static void
stats_done (const rt_result *r, void *data)
{
  job *j = data;
  if (query_ended (j, r, SC_NOT_FOUND, "stats"))
    return;
  cleanup_free uint8_t *buf = NULL;
  size_t len = 0;
  sc_error err = SC_ERROR_INIT;
  shim_host *h = j->c->svc->host;
  bool unified = HOST (h, cgroup_unified) != fault ("stats-wrong-cgroup-version");
  uint64_t events[5];
  bool have_events = unified && HOST (h, memory_events, j->c, events) == 0;
  const char *type = NULL;
  if (stats_from_runtime_json (r->out, r->out_len, unified, have_events ? events : NULL, &buf, &len,
                               &type, &err)
      < 0)
    {
      job_fail (j, SC_INTERNAL, "stats: %s", err.msg);
      sc_error_release (&err);
      return;
    }
  Google__Protobuf__Any any;
  sc_any_set (&any, type, buf, len);
  Containerd__Task__V2__StatsResponse resp = CONTAINERD__TASK__V2__STATS_RESPONSE__INIT;
  resp.stats = &any;
  job_reply (j, &resp.base);
  sc_any_clear (&any);
}

void
stats_run (job *j)
{
  const char *args[] = { "events", "--stats", j->c->id, NULL };
  run_query (j, args, stats_done, NULL);
}
