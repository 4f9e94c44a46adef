/* containerd-shim-ref-v1: Create, from the request to a created task: checks
 * what can be checked before anything runs, records what `delete` needs
 * after a crash, mounts the rootfs, then `runtime create` as a job. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "containerd/events/task.pb-c.h"
#include "containerd/runc/options.pb-c.h"
#include "fault.h"
#include "host.h"
#include "ids.h"
#include "jobs.h"
#include "log.h"
#include "options.h"
#include "oci_spec.h"
#include "ops.h"
#include "pb.h"
#include "process.h"
#include "registry.h"
#include "rtout.h"
#include "status.h"

static void create_fail (job *j, int code, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));

/* nothing of the failed task survives */
static void
create_fail (job *j, int code, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  cleanup_free char *m = sc_xvasprintf (fmt, ap);
  va_end (ap);
  container *c = j->c;
  shim_log ("warning", "create %s: %s", c->id, m);
  int leak[2];
  if (fault ("leak-pipe-on-failed-create") && pipe2 (leak, O_CLOEXEC) == 0)
    shim_log ("debug", "leaking pipe %d/%d", leak[0], leak[1]); /* test build */
  if (fault ("exit-event-on-failed-create"))
    process_publish_exit_now (c->init, 255, sc_now_wall_ns ());
  job_answer_error (j, code, "%s", m);
  HOST (c->svc->host, unmount_rootfs, c);
  container_drop (j);
}

static void
rt_ignore (const rt_result *r, void *data)
{
}

static void
publish_create (container *c, const Containerd__Task__V2__CreateTaskRequest *req)
{
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
  e.pid = (uint32_t) c->init->pid;
  HOST (c->svc->host, publish, "/tasks/create", &e.base);
}

static void
create_done (const rt_result *r, void *data)
{
  job *j = data;
  container *c = j->c;
  shim_host *h = c->svc->host;
  process *p = c->init;
  if (!rt_ok (r))
    {
      cleanup_free char *msg = rt_error_message (r);
      cleanup_free char *text = rt_failure ("create", ops_runtime_name (c), msg);
      create_fail (j, SC_UNKNOWN, "%s", text);
      return;
    }
  sc_error err = SC_ERROR_INIT;
  cleanup_free char *pidfile = sc_xasprintf ("%s/init.pid", c->bundle);
  pid_t pid = 0;
  if (HOST (h, read_pid, pidfile, &pid, &err) == 0 && HOST (h, stdio_start, p, &err) == 0)
    {
      process_created (p, pid);
      HOST (h, watch_oom, c, pid);
      publish_create (c, j->req);
      Containerd__Task__V2__CreateTaskResponse resp = CONTAINERD__TASK__V2__CREATE_TASK_RESPONSE__INIT;
      resp.pid = (uint32_t) pid;
      job_reply (j, &resp.base);
      process_watch (p); /* an exit seen before (a fast death) arrives now */
      return;
    }
  /* the runtime made it but we cannot serve it: take it down again */
  const char *args[] = { "delete", "--force", c->id, NULL };
  sc_error ignored = SC_ERROR_INIT;
  if (HOST (h, rt_run, c, args, NULL, NULL, rt_ignore, NULL, &ignored) < 0)
    sc_error_release (&ignored);
  create_fail (j, SC_UNKNOWN, "create %s: %s", c->id, err.msg);
  sc_error_release (&err);
}

/* A failure that comes from this machine's limits (no fd, memory or space
 * left) is not the request's fault: ResourceExhausted, not code. */
static int
unless_limit (int errnum, int code)
{
  switch (errnum)
    {
    case EMFILE:
    case ENFILE:
    case ENOMEM:
    case ENOSPC:
      return SC_RESOURCE_EXHAUSTED;
    default:
      return code;
    }
}

static void create_runtime (void *data, const char *logger_failed);

static void
create_run (job *j)
{
  container *c = j->c;
  shim_host *h = c->svc->host;
  sc_error err = SC_ERROR_INIT;
  if (HOST (h, stdio_prepare, c->init, j->u.create.fds, &j->u.create.console, &err) < 0)
    {
      create_fail (j, unless_limit (err.errnum, SC_INVALID_ARGUMENT), "stdio: %s", err.msg);
      sc_error_release (&err);
      return;
    }
  /* a binary:// logger must say it is ready before the process runs */
  HOST (h, stdio_when_ready, c->init, create_runtime, j);
}

static void
create_runtime (void *data, const char *logger_failed)
{
  job *j = data;
  container *c = j->c;
  shim_host *h = c->svc->host;
  sc_error err = SC_ERROR_INIT;
  if (logger_failed)
    {
      create_fail (j, SC_UNKNOWN, "stdio: %s", logger_failed);
      return;
    }
  int *fds = j->u.create.fds;
  char *console = j->u.create.console;
  cleanup_free char *pidfile = sc_xasprintf ("%s/init.pid", c->bundle);
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
  HOST (h, remove_file, pidfile);
  if (HOST (h, rt_run, c, args, fds, NULL, create_done, j, &err) < 0)
    {
      create_fail (j, SC_UNKNOWN, "OCI runtime create failed: %s", err.msg);
      sc_error_release (&err);
      return;
    }
  if (fault ("block-loop-on-create"))
    usleep (3500000); /* test build: the loop stalls while the runtime works */
}

/* what `delete` needs after a crash: the runtime and its root */
static int
write_bundle_files (container *c, const char *root, sc_error *err)
{
  shim_host *h = c->svc->host;
  cleanup_free char *rtf = sc_xasprintf ("%s/runtime", c->bundle);
  cleanup_free char *optf = sc_xasprintf ("%s/options.json", c->bundle);
  cleanup_json json_t *oj = json_pack ("{s:s, s:s, s:b}", "binary_name", c->runtime, "root", root,
                                       "systemd_cgroup", c->systemd_cgroup);
  cleanup_free char *ojs = json_dumps (oj, 0);
  if (HOST (h, write_file, rtf, c->runtime, err) < 0 || HOST (h, write_file, optf, ojs, err) < 0)
    return sc_error_wrap (err, "write bundle files");
  return 0;
}

void
create_task (task_service *s, sc_ttrpc_call *call, Containerd__Task__V2__CreateTaskRequest *taken)
{
  cleanup_pb Containerd__Task__V2__CreateTaskRequest *req = taken;
  shim_host *h = s->host;
  sc_error err = SC_ERROR_INIT;
  char *why = NULL;
  if (!valid_id (req->id, &why))
    {
      sc_ttrpc_call_error (call, SC_INVALID_ARGUMENT, "task id: %s", why);
      free (why);
      return;
    }
  container *other = registry_find (s, req->id);
  if (other && fault ("allow-duplicate-create"))
    {
      Containerd__Task__V2__CreateTaskResponse ok = CONTAINERD__TASK__V2__CREATE_TASK_RESPONSE__INIT;
      ok.pid = (uint32_t) other->init->pid;
      sc_ttrpc_call_reply_msg (call, &ok.base);
      return;
    }
  if (other)
    {
      sc_ttrpc_call_error (call, SC_ALREADY_EXISTS, "container %s: already exists", req->id);
      return;
    }
  if (req->bundle[0] != '/')
    {
      sc_ttrpc_call_error (call, SC_INVALID_ARGUMENT, "bundle %s: not an absolute path", req->bundle);
      return;
    }
  if (HOST (h, stat_bundle, req->bundle, &err) < 0 && fault ("missing-bundle-ok"))
    {
      /* test build: a Create that claims success for nothing */
      sc_error_release (&err);
      Containerd__Task__V2__CreateTaskResponse ok = CONTAINERD__TASK__V2__CREATE_TASK_RESPONSE__INIT;
      sc_ttrpc_call_reply_msg (call, &ok.base);
      return;
    }
  if (err.msg)
    {
      sc_ttrpc_call_error (call, SC_NOT_FOUND, "bundle %s: %s", req->bundle, strerror (err.errnum));
      sc_error_release (&err);
      return;
    }
  /* a bundle holds one task's pid file and rootfs: a second task on it would
   * read the first one's init pid (found by task_dispatch: a start published
   * for a process whose exit was already out) */
  if ((other = registry_find_bundle (s, req->bundle)) != NULL)
    {
      sc_ttrpc_call_error (call, SC_FAILED_PRECONDITION, "bundle %s: in use by task %s",
                           req->bundle, other->id);
      return;
    }
  cleanup_free char *cfg = sc_xasprintf ("%s/config.json", req->bundle);
  cleanup_json json_t *spec = NULL;
  if (HOST (h, read_spec, cfg, &spec, &err) < 0)
    {
      if (fault ("create-event-on-failed-create"))
        {
          /* test build: the event goes out before the request is judged */
          Containerd__Events__TaskCreate e = CONTAINERD__EVENTS__TASK_CREATE__INIT;
          e.container_id = req->id;
          e.bundle = req->bundle;
          HOST (h, publish, "/tasks/create", &e.base);
        }
      sc_ttrpc_call_error (call,
                           err.errnum == ENOENT ? SC_NOT_FOUND
                                                : unless_limit (err.errnum, SC_INVALID_ARGUMENT),
                           "%s", err.msg);
      sc_error_release (&err);
      return;
    }
#ifdef REFSHIM_FAULTS
  if (fault ("drop-hostname"))
    {
      /* test build: the spec's hostname never reaches the runtime */
      json_object_del (spec, "hostname");
      json_dump_file (spec, cfg, JSON_COMPACT);
    }
  if (fault ("init-as-root"))
    {
      /* test build: the init's user never reaches the runtime */
      json_object_set_new (json_object_get (spec, "process"), "user",
                           json_pack ("{s:i, s:i}", "uid", 0, "gid", 0));
      json_dump_file (spec, cfg, JSON_COMPACT);
    }
  if (fault ("drop-ns-paths"))
    {
      /* test build: namespaces to join become new ones */
      size_t i;
      json_t *n;
      json_array_foreach (json_object_get (json_object_get (spec, "linux"), "namespaces"), i, n)
        json_object_del (n, "path");
      json_dump_file (spec, cfg, JSON_COMPACT);
    }
#endif
  shim_options opts;
  if (shim_options_from_any (req->options, &opts, &err) < 0)
    {
      sc_ttrpc_call_error (call, SC_INVALID_ARGUMENT, "%s", err.msg);
      sc_error_release (&err);
      return;
    }
  const char *bin = opts.binary_name && !fault ("ignore-options") ? opts.binary_name : "runc";
  cleanup_free char *runtime = NULL;
  if (HOST (h, find_runtime, bin, &runtime, &err) < 0)
    {
      sc_error_release (&err);
      sc_ttrpc_call_error (call, SC_FAILED_PRECONDITION,
                           "OCI runtime create failed: runtime binary \"%s\": executable file not "
                           "found in $PATH",
                           bin);
      shim_options_release (&opts); /* bin may point into it */
      return;
    }
  if (req->checkpoint[0] != '\0')
    {
      sc_ttrpc_call_error (call, SC_UNIMPLEMENTED, "restore from a checkpoint is not supported by %s",
                           REFSHIM_NAME);
      shim_options_release (&opts);
      return;
    }

  const char *root = opts.root ? opts.root : REFSHIM_DEFAULT_ROOT;
  container *c = sc_xcalloc (1, sizeof (*c));
  c->id = sc_xstrdup (req->id);
  c->bundle = sc_xstrdup (req->bundle);
  c->runtime = sc_steal (runtime);
  c->root = sc_xasprintf ("%s/%s", root, s->ns);
  c->systemd_cgroup = opts.systemd_cgroup;
  c->no_pivot_root = opts.no_pivot_root;
  c->no_new_keyring = opts.no_new_keyring;
  c->io_uid = opts.io_uid;
  c->io_gid = opts.io_gid;
  c->host_pidns = !sc_oci_new_namespace (spec, "pid");
  c->init = process_new (c, req->id, true, req->terminal, req->stdin, req->stdout, req->stderr);
  registry_add (s, c);

  job *j = job_new (c, JOB_CREATE, call, sc_steal (req), create_run);
  int wrc = write_bundle_files (c, root, &err);
  shim_options_release (&opts); /* root was copied by both */
  if (wrc < 0)
    {
      create_fail (j, SC_INTERNAL, "%s", err.msg);
      sc_error_release (&err);
      return;
    }
  const Containerd__Task__V2__CreateTaskRequest *r = j->req;
  if (HOST (h, mount_rootfs, c, r->rootfs, r->n_rootfs, &err) < 0)
    {
      create_fail (j, unless_limit (err.errnum, SC_INVALID_ARGUMENT), "rootfs: %s", err.msg);
      sc_error_release (&err);
      return;
    }
  job_enqueue (j);
}
