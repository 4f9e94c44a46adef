/* The case API (catalogue.h t_*): shim launch, RPCs with a transcript,
 * events, stdio FIFOs, and running one case in this process. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "bundle.h"
#include "catalogue.h"
#include "result.h"
#include "containerd/events/task.pb-c.h"
#include "containerd/runc/options.pb-c.h"
#include "oci_spec.h"
#include "pb.h"

const char *
sc_level_name (sc_level l)
{
  return l == SC_MUST ? "MUST" : l == SC_SHOULD ? "SHOULD" : "COMPAT";
}

const char *
sc_case_group (const sc_case *c)
{
  static __thread char buf[64];
  const char *dot = strchr (c->id, '.');
  size_t n = dot ? (size_t) (dot - c->id) : strlen (c->id);
  if (n >= sizeof (buf))
    n = sizeof (buf) - 1;
  memcpy (buf, c->id, n);
  buf[n] = '\0';
  return buf;
}

int64_t
t_ms (sc_t *t, int64_t ms)
{
  return (int64_t) (ms * (t->cfg->scale > 0 ? t->cfg->scale : 1.0));
}

/* ------------------------------------------------------------------ outcome */

static int64_t case_t0;

/* small files the runner reads to clean up after a case that died */
static void
record (sc_t *t, const char *name, const char *value)
{
  char *p = sc_xasprintf ("%s/%s", t->dir, name);
  FILE *f = fopen (p, "w");
  if (f)
    {
      fputs (value, f);
      fclose (f);
    }
  free (p);
}

static void
tlog (sc_t *t, const char *prefix, const char *fmt, va_list ap)
{
  char *m = sc_xvasprintf (fmt, ap);
  if (t->transcript_fd >= 0)
    dprintf (t->transcript_fd, "%8.1f ms %s%s\n", (sc_now_mono_ns () - case_t0) / 1e6, prefix, m);
  free (m);
}

void
t_log (sc_t *t, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  tlog (t, "", fmt, ap);
  va_end (ap);
}

void
t_note (sc_t *t, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  char *m = sc_xvasprintf (fmt, ap);
  va_end (ap);
  t->evidence = sc_xrealloc (t->evidence, (t->nevidence + 1) * sizeof (char *));
  t->evidence[t->nevidence++] = m;
  t_log (t, "note: %s", m);
}

static void
finish (sc_t *t, sc_status st, const char *fmt, va_list ap) __attribute__ ((noreturn));

static void
finish (sc_t *t, sc_status st, const char *fmt, va_list ap)
{
  char *m = sc_xvasprintf (fmt, ap);
  free (t->message);
  t->message = m;
  t->status = st;
  t_log (t, "%s: %s", st == SC_SKIP ? "skip" : st == SC_ERROR ? "ERROR" : "FAIL", m);
  longjmp (t->jb, 1);
}

/* shimcheck itself could not do its part: ERROR, not the shim's FAIL */
static void runner_error (sc_t *t, const char *fmt, ...) __attribute__ ((format (printf, 2, 3), noreturn));

static void
runner_error (sc_t *t, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  finish (t, SC_ERROR, fmt, ap);
}

void
t_fail (sc_t *t, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  finish (t, SC_FAIL, fmt, ap);
}

void
t_skip (sc_t *t, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  finish (t, SC_SKIP, fmt, ap);
}

/* ------------------------------------------------------------------ bundles and the shim */

json_t *
t_spec (sc_t *t, const char *const *args, bool terminal)
{
  static const char *const sleep_args[] = { "sleep", "3600", NULL };
  json_t *spec = sc_oci_default_spec (args ? args : sleep_args, terminal);
  json_object_set_new (spec, "root", json_pack ("{s:s, s:b}", "path", t->cfg->rootfs, "readonly", true));
  json_object_set_new (json_object_get (spec, "process"), "env",
                       json_pack ("[s, s]", "PATH=/bin:/usr/bin:/sbin:/usr/sbin", "TERM=xterm"));
  return spec;
}

char *
t_bundle_spec (sc_t *t, const char *id, json_t *spec)
{
  char *b = NULL;
  sc_error err = SC_ERROR_INIT;
  int rc = sc_bundle_create (t->env.state, t->env.ns, id, spec, &b, &err);
  json_decref (spec);
  if (rc < 0)
    t_fail (t, "shimcheck: bundle %s: %s", id, err.msg);
  return t_keep_str (t, b);
}

char *
t_bundle (sc_t *t, const char *id, const char *const *args, bool terminal)
{
  return t_bundle_spec (t, id, t_spec (t, args, terminal));
}

void
t_options_any (const char *binary_name, Google__Protobuf__Any *any)
{
  Containerd__Runc__V1__Options o = CONTAINERD__RUNC__V1__OPTIONS__INIT;
  o.binary_name = (char *) binary_name;
  sc_any_pack (any, &o.base);
}

void
t_options_any_root (const char *binary_name, const char *root, Google__Protobuf__Any *any)
{
  Containerd__Runc__V1__Options o = CONTAINERD__RUNC__V1__OPTIONS__INIT;
  o.binary_name = (char *) binary_name;
  o.root = (char *) root;
  sc_any_pack (any, &o.base);
}

uint32_t
t_create_with_options (sc_t *t, const char *id, const char *const *args, Google__Protobuf__Any *any,
                       const char *what)
{
  char *b = t_bundle (t, id, args, false);
  t_launch_options (t, id, b, any);
  Containerd__Task__V2__CreateTaskRequest cr = CONTAINERD__TASK__V2__CREATE_TASK_REQUEST__INIT;
  cr.id = (char *) id;
  cr.bundle = b;
  cr.options = any;
  uint32_t pid = 0;
  int code = t_create_req (t, &cr, &pid, NULL);
  sc_any_clear (any);
  T_OK (t, code, what);
  return pid;
}

void
t_record_address (sc_t *t, const char *address)
{
  if (address == NULL || *address == '\0')
    return;
  if (strncmp (address, "unix://", 7) == 0)
    address += 7;
  char *p = sc_xasprintf ("%s/%s", t->dir, SC_CASE_ADDRESSES);
  FILE *f = fopen (p, "a");
  if (f)
    {
      fprintf (f, "%s\n", address);
      fclose (f);
    }
  free (p);
}

static void
trace (const char *line, void *data)
{
  t_log (data, "%s", line);
}

sc_shim *
t_launch (sc_t *t, const char *id, const char *bundle)
{
  return t_launch_options (t, id, bundle, NULL);
}

sc_shim *
t_launch_options (sc_t *t, const char *id, const char *bundle, const Google__Protobuf__Any *given)
{
  sc_error err = SC_ERROR_INIT;
  Google__Protobuf__Any any;
  uint8_t *opts = NULL;
  size_t opts_len = 0;
  if (given)
    opts = sc_pb_pack (&given->base, &opts_len);
  else if (t->cfg->runtime_binary)
    {
      t_options_any (t->cfg->runtime_binary, &any);
      opts = sc_pb_pack (&any.base, &opts_len);
      sc_any_clear (&any);
    }
  sc_launch_opts o = {
    .shim = t->cfg->shim,
    .ns = t->env.ns,
    .id = id,
    .bundle = bundle,
    .grpc_address = t->env.grpc_address,
    .ttrpc_address = t->env.ttrpc_address,
    .options = opts,
    .options_len = opts_len,
    .profile = t->cfg->profile,
    .debug = t->debug_launch,
    .socket_dir = t->socket_dir,
    .own_dir = t->env.dir,
    .start_timeout_ms = t_ms (t, 5000),
    .connect_timeout_ms = t_ms (t, 5000),
    .delete_timeout_ms = t_ms (t, 10000),
  };
  sc_shim *s = NULL;
  t_log (t, "launch %s -namespace %s -id %s start (cwd %s)", t->cfg->shim, t->env.ns, id, bundle);
  int rc = sc_shim_start (t->env.loop, &o, &s, &err);
  free (opts);
  if (s && s->start.out_len)
    t_log (t, "start printed \"%s\" (%s, %.1f ms)", s->start.out,
           sc_wait_status_str (s->start.status), s->start.elapsed_ns / 1e6);
  if (s && s->addr.name && !s->addr.abstract)
    {
      if (t->address == NULL)
        t->address = sc_xstrdup (s->addr.name);
      t_record_address (t, s->addr.name);
    }
  else if (s && s->start.out)
    {
      /* start failed the checks, but a daemon may be serving anyway: any
       * unix:// path in its output is a socket to clean up */
      for (const char *q = s->start.out; (q = strstr (q, "unix://")) != NULL; q += 7)
        {
          size_t n = strcspn (q + 7, " \t\r\n\"',}");
          char *path = sc_xstrndup (q + 7, n);
          t_record_address (t, path);
          free (path);
        }
    }
  if (rc == 0)
    rc = sc_shim_connect (s, &err);
  if (rc < 0)
    {
      if (t->shim == NULL)
        t->shim = s; /* so that teardown kills what it left */
      else
        sc_shim_free (s);
      t_fail (t, "%s", err.msg);
    }
  s->task.trace = trace;
  s->task.trace_data = t;
  s->task.timeout_ms = t_ms (t, 10000);
  Containerd__Task__V2__ConnectRequest cq = CONTAINERD__TASK__V2__CONNECT_REQUEST__INIT;
  cq.id = (char *) id;
  Containerd__Task__V2__ConnectResponse *cr = NULL;
  sc_rpc_result r = { 0 };
  if (sc_task_call (&s->task, "Connect", &cq.base, (ProtobufCMessage **) &cr, &r) == 0)
    {
      sc_shim_track (s, (pid_t) cr->shim_pid);
      containerd__task__v2__connect_response__free_unpacked (cr, NULL);
    }
  sc_rpc_result_release (&r);
  if (t->shim == NULL)
    t->shim = s;
  t->launches++;
  return s;
}

void
t_launched (sc_t *t, const char *id)
{
  t_launch (t, id, t_bundle (t, id, NULL, false));
}

uint32_t
t_running (sc_t *t, const char *id, const char *const *args)
{
  char *b = t_bundle (t, id, args, false);
  if (t->shim == NULL)
    t_launch (t, id, b);
  uint32_t pid = 0;
  T_OK (t, t_create (t, id, b, NULL, &pid, NULL), "Create");
  T_OK (t, t_start (t, id, NULL, NULL, NULL), "Start");
  return pid;
}

/* ------------------------------------------------------------------ arena */

void *
t_keep (sc_t *t, void *p, void (*free_fn) (void *))
{
  if (p == NULL)
    return NULL;
  t->owned = sc_xrealloc (t->owned, (t->nowned + 1) * sizeof (*t->owned));
  t->owned[t->nowned].p = p;
  t->owned[t->nowned].free_fn = free_fn;
  t->nowned++;
  return p;
}

static void
pb_free (void *m)
{
  protobuf_c_message_free_unpacked (m, NULL);
}

void *
t_keep_pb (sc_t *t, void *msg)
{
  return t_keep (t, msg, pb_free);
}

char *
t_keep_str (sc_t *t, char *s)
{
  return t_keep (t, s, free);
}

/* what the case kept, newest first */
static void
arena_free (sc_t *t)
{
  while (t->nowned > 0)
    {
      t->nowned--;
      t->owned[t->nowned].free_fn (t->owned[t->nowned].p);
    }
  free (t->owned);
  t->owned = NULL;
}

static const char *
base_name (const char *file)
{
  const char *s = strrchr (file, '/');
  return s ? s + 1 : file;
}

void
t_expect_eq (sc_t *t, long long a, long long b, const char *ea, const char *eb, const char *file,
             int line)
{
  if (a != b)
    t_fail (t, "%s:%d: %s == %s failed: %lld != %lld", base_name (file), line, ea, eb, a, b);
}

void
t_expect_streq (sc_t *t, const char *a, const char *b, const char *ea, const char *eb,
                const char *file, int line)
{
  if (a == NULL || b == NULL || strcmp (a, b) != 0)
    t_fail (t, "%s:%d: %s == %s failed: \"%s\" != \"%s\"", base_name (file), line, ea, eb, a ? a : "(null)",
            b ? b : "(null)");
}

/* ------------------------------------------------------------------ RPCs */

int
t_rpc (sc_t *t, const char *method, const ProtobufCMessage *req, ProtobufCMessage **resp,
       char **message)
{
  if (t->shim == NULL || t->shim->rpc == NULL)
    t_fail (t, "shimcheck: %s without a connected shim", method);
  char *d = sc_pb_describe (req);
  t_log (t, "-> %s %s", method, d);
  free (d);
  sc_rpc_result r = { 0 };
  int code = sc_task_call (&t->shim->task, method, req, resp, &r);
  t->last_local = r.local;
  if (resp && *resp)
    t_keep_pb (t, *resp); /* the case's: freed when it ends */
  if (code == 0 && resp && *resp)
    {
      char *rd = sc_pb_describe (*resp);
      t_log (t, "<- %s", rd);
      free (rd);
    }
  free (t->last_message);
  t->last_message = sc_xstrdup (r.message ? r.message : "");
  if (message)
    {
      *message = r.message;
      r.message = NULL;
    }
  sc_rpc_result_release (&r);
  return code;
}

static void
fill_io (const sc_io *io, char **in, char **out, char **err)
{
  *in = (char *) (io ? io->in : "");
  *out = (char *) (io ? io->out : "");
  *err = (char *) (io ? io->err : "");
}

static void task_forget (sc_t *t, const char *id);

void
t_track_task (sc_t *t, const char *id)
{
  t->tasks = sc_xrealloc (t->tasks, (t->ntasks + 1) * sizeof (char *));
  t->tasks[t->ntasks++] = sc_xstrdup (id);
}

int
t_create_req (sc_t *t, Containerd__Task__V2__CreateTaskRequest *r, uint32_t *pid, char **message)
{
  Google__Protobuf__Any any;
  bool own_options = r->options == NULL && t->cfg->runtime_binary;
  if (own_options)
    {
      t_options_any (t->cfg->runtime_binary, &any);
      r->options = &any;
    }
  Containerd__Task__V2__CreateTaskResponse *resp = NULL;
  int code = t_rpc (t, "Create", &r->base, (ProtobufCMessage **) &resp, message);
  if (code == SC_UNIMPLEMENTED && t->shim && sc_shim_downgrade (t->shim))
    {
      /* containerd 2.x (core/runtime/v2/task_manager.go): a v3 Create that
       * answers Unimplemented is retried on containerd.task.v2.Task */
      t_log (t, "v3 Create answered Unimplemented: retrying on %s, as containerd %s does",
             SC_TASK_V2_SERVICE, t->cfg->profile->name);
      if (message)
        {
          free (*message);
          *message = NULL;
        }
      code = t_rpc (t, "Create", &r->base, (ProtobufCMessage **) &resp, message);
    }
  if (own_options)
    {
      sc_any_clear (&any);
      r->options = NULL;
    }
  if (code == 0)
    t_track_task (t, r->id);
  if (pid)
    *pid = resp ? resp->pid : 0;
  return code;
}

int
t_create (sc_t *t, const char *id, const char *bundle, const sc_io *io, uint32_t *pid,
          char **message)
{
  Containerd__Task__V2__CreateTaskRequest r = CONTAINERD__TASK__V2__CREATE_TASK_REQUEST__INIT;
  r.id = (char *) id;
  r.bundle = (char *) bundle;
  fill_io (io, &r.stdin, &r.stdout, &r.stderr);
  return t_create_req (t, &r, pid, message);
}

int
t_start (sc_t *t, const char *id, const char *exec_id, uint32_t *pid, char **message)
{
  Containerd__Task__V2__StartRequest r = CONTAINERD__TASK__V2__START_REQUEST__INIT;
  r.id = (char *) id;
  r.exec_id = (char *) (exec_id ? exec_id : "");
  Containerd__Task__V2__StartResponse *resp = NULL;
  int code = t_rpc (t, "Start", &r.base, (ProtobufCMessage **) &resp, message);
  if (pid)
    *pid = resp ? resp->pid : 0;
  return code;
}

int
t_kill (sc_t *t, const char *id, const char *exec_id, uint32_t sig, bool all, char **message)
{
  Containerd__Task__V2__KillRequest r = CONTAINERD__TASK__V2__KILL_REQUEST__INIT;
  r.id = (char *) id;
  r.exec_id = (char *) (exec_id ? exec_id : "");
  r.signal = sig;
  r.all = all;
  return t_rpc (t, "Kill", &r.base, NULL, message);
}

int
t_wait (sc_t *t, const char *id, const char *exec_id, uint32_t *status, int64_t *exited_at_ns,
        char **message)
{
  Containerd__Task__V2__WaitRequest r = CONTAINERD__TASK__V2__WAIT_REQUEST__INIT;
  r.id = (char *) id;
  r.exec_id = (char *) (exec_id ? exec_id : "");
  Containerd__Task__V2__WaitResponse *resp = NULL;
  int code = t_rpc (t, "Wait", &r.base, (ProtobufCMessage **) &resp, message);
  if (status)
    *status = resp ? resp->exit_status : 0;
  if (exited_at_ns)
    *exited_at_ns = resp && sc_ts_is_set (resp->exited_at) ? sc_ts_to_ns (resp->exited_at) : 0;
  return code;
}

int
t_delete (sc_t *t, const char *id, const char *exec_id, Containerd__Task__V2__DeleteResponse **resp,
          char **message)
{
  Containerd__Task__V2__DeleteRequest r = CONTAINERD__TASK__V2__DELETE_REQUEST__INIT;
  r.id = (char *) id;
  r.exec_id = (char *) (exec_id ? exec_id : "");
  Containerd__Task__V2__DeleteResponse *d = NULL;
  int code = t_rpc (t, "Delete", &r.base, (ProtobufCMessage **) &d, message);
  if ((code == 0 || code == SC_NOT_FOUND) && (exec_id == NULL || *exec_id == '\0'))
    task_forget (t, id);
  if (resp)
    *resp = d;
  return code;
}

int
t_state (sc_t *t, const char *id, const char *exec_id, Containerd__Task__V2__StateResponse **resp,
         char **message)
{
  Containerd__Task__V2__StateRequest r = CONTAINERD__TASK__V2__STATE_REQUEST__INIT;
  r.id = (char *) id;
  r.exec_id = (char *) (exec_id ? exec_id : "");
  Containerd__Task__V2__StateResponse *s = NULL;
  int code = t_rpc (t, "State", &r.base, (ProtobufCMessage **) &s, message);
  if (resp)
    *resp = s;
  return code;
}

int
t_exec_json (sc_t *t, const char *id, const char *exec_id, const char *process_json, const sc_io *io,
             bool terminal, char **message)
{
  Google__Protobuf__Any any;
  sc_any_set (&any, "types.containerd.io/opencontainers/runtime-spec/1/Process", process_json,
              strlen (process_json));
  Containerd__Task__V2__ExecProcessRequest r = CONTAINERD__TASK__V2__EXEC_PROCESS_REQUEST__INIT;
  r.id = (char *) id;
  r.exec_id = (char *) exec_id;
  r.terminal = terminal;
  fill_io (io, &r.stdin, &r.stdout, &r.stderr);
  r.spec = &any;
  int code = t_rpc (t, "Exec", &r.base, NULL, message);
  sc_any_clear (&any);
  return code;
}

int
t_exec (sc_t *t, const char *id, const char *exec_id, const char *const *args, const sc_io *io,
        bool terminal, char **message)
{
  json_t *p = json_pack ("{s:o, s:s, s:[s], s:{s:i, s:i}, s:b}", "args", json_array (), "cwd", "/",
                         "env", "PATH=/bin:/usr/bin:/sbin:/usr/sbin", "user", "uid", 0, "gid", 0,
                         "terminal", terminal);
  for (int i = 0; args[i]; i++)
    json_array_append_new (json_object_get (p, "args"), json_string (args[i]));
  char *js = json_dumps (p, JSON_COMPACT);
  json_decref (p);
  int code = t_exec_json (t, id, exec_id, js, io, terminal, message);
  free (js);
  return code;
}

int
t_simple (sc_t *t, const char *method, const char *id, char **message)
{
  /* the id-only requests share one shape: field 1 = id */
  const ProtobufCMethodDescriptor *md = sc_task_method (method);
  if (md == NULL)
    t_fail (t, "shimcheck: no method %s", method);
  ProtobufCMessage *req = sc_xcalloc (1, md->input->sizeof_message);
  md->input->message_init (req);
  const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name (md->input, "id");
  if (f)
    *(char **) ((char *) req + f->offset) = (char *) id;
  int code = t_rpc (t, method, req, NULL, message);
  free (req);
  return code;
}

/* ------------------------------------------------------------------ async Wait */

static void
waiter_cb (sc_rpc_result *res, void *data)
{
  sc_waiter *w = data;
  w->done = true;
  w->code = res->code;
  w->message = res->message;
  res->message = NULL;
  if (res->code == 0)
    {
      Containerd__Task__V2__WaitResponse *wr
        = containerd__task__v2__wait_response__unpack (NULL, res->payload_len, res->payload);
      if (wr)
        {
          w->status = wr->exit_status;
          w->exited_at_ns = sc_ts_is_set (wr->exited_at) ? sc_ts_to_ns (wr->exited_at) : 0;
          containerd__task__v2__wait_response__free_unpacked (wr, NULL);
        }
      else
        w->code = SC_INTERNAL;
    }
}

static void
waiter_free (void *p)
{
  sc_waiter *w = p;
  free (w->message);
  free (w);
}

/* in the case's arena, which outlives the shim's connection: an answer
 * that comes after the case gave up on it still has somewhere to go */
static sc_waiter *
new_waiter (sc_t *t)
{
  return t_keep (t, sc_xcalloc (1, sizeof (sc_waiter)), waiter_free);
}

sc_waiter *
t_wait_async (sc_t *t, const char *id, const char *exec_id)
{
  sc_waiter *w = new_waiter (t);
  Containerd__Task__V2__WaitRequest r = CONTAINERD__TASK__V2__WAIT_REQUEST__INIT;
  r.id = (char *) id;
  r.exec_id = (char *) (exec_id ? exec_id : "");
  size_t len;
  uint8_t *buf = sc_pb_pack (&r.base, &len);
  t_log (t, "-> Wait (async) id:%s exec_id:%s", id, exec_id ? exec_id : "");
  /* containerd's Wait carries no deadline: ours stays local */
  sc_call_opts o = { .timeout_ms = t_ms (t, 60000), .local_deadline = true };
  sc_ttrpc_call_async (t->shim->rpc, t->shim->task.service, "Wait", buf, len, &o, waiter_cb, w);
  free (buf);
  return w;
}

static void
call_cb (sc_rpc_result *res, void *data)
{
  sc_waiter *w = data;
  w->done = true;
  w->code = res->code;
  w->message = res->message;
  res->message = NULL;
}

sc_waiter *
t_call_async (sc_t *t, const char *method, const ProtobufCMessage *req)
{
  sc_waiter *w = new_waiter (t);
  size_t len;
  uint8_t *buf = sc_pb_pack (req, &len);
  t_log (t, "-> %s (async)", method);
  sc_call_opts o = { .timeout_ms = t_ms (t, 30000) };
  sc_ttrpc_call_async (t->shim->rpc, t->shim->task.service, method, buf, len, &o, call_cb, w);
  free (buf);
  return w;
}

static bool
waiter_done (void *data)
{
  return ((sc_waiter *) data)->done;
}

bool
t_wait_for (sc_t *t, sc_waiter *w, int64_t timeout_ms)
{
  sc_loop_run_until (t->env.loop, waiter_done, w, sc_deadline_in_ms (t_ms (t, timeout_ms)));
  if (w->done)
    t_log (t, "<- Wait (async) %s status %u", sc_code_name (w->code), w->status);
  return w->done;
}

/* ------------------------------------------------------------------ expectations */

static char *
take_message (sc_t *t, char **message)
{
  if (message == NULL)
    return sc_xstrdup (t->last_message ? t->last_message : "");
  char *m = *message;
  *message = NULL;
  return m ? m : sc_xstrdup ("");
}

void
t_ok (sc_t *t, int code, char **message, const char *what)
{
  char *m = take_message (t, message);
  if (code != 0)
    {
      char *copy = sc_xstrdup (m);
      free (m);
      t_fail (t, "%s failed: %s: %s", what, sc_code_name (code), copy);
    }
  free (m);
}

void
t_not_ok (sc_t *t, int code, char **message, const char *what)
{
  char *m = take_message (t, message);
  if (code == 0)
    {
      free (m);
      t_fail (t, "%s succeeded; an error was expected", what);
    }
  if (t->last_local)
    {
      char *e = sc_xasprintf ("%s: no reply from the shim (%s: %s)", what, sc_code_name (code), m);
      free (m);
      t_fail (t, "%s", e);
    }
  t_note (t, "%s -> %s: %s", what, sc_code_name (code), m);
  free (m);
}

void
t_code (sc_t *t, int code, char **message, int want, const char *what)
{
  char *m = take_message (t, message);
  if (code != want || t->last_local)
    {
      char *e = sc_xasprintf ("%s: got %s%s (\"%s\"), want %s", what, sc_code_name (code),
                              t->last_local ? " without a reply from the shim" : "", m,
                              sc_code_name (want));
      free (m);
      t_fail (t, "%s", e);
    }
  t_note (t, "%s -> %s", what, sc_code_name (code));
  free (m);
}

/* ------------------------------------------------------------------ events */

static bool
event_matches (const sc_event *e, const char *topic, const char *container_id, const char *id)
{
  if (strcmp (e->topic, topic) != 0)
    return false;
  if (e->msg == NULL)
    return container_id == NULL;
  const ProtobufCFieldDescriptor *f
    = protobuf_c_message_descriptor_get_field_by_name (e->msg->descriptor, "container_id");
  if (container_id && f && strcmp (*(char **) ((char *) e->msg + f->offset), container_id) != 0)
    return false;
  if (id)
    {
      const ProtobufCFieldDescriptor *fi
        = protobuf_c_message_descriptor_get_field_by_name (e->msg->descriptor, "exec_id");
      if (fi == NULL)
        fi = protobuf_c_message_descriptor_get_field_by_name (e->msg->descriptor, "id");
      if (fi == NULL || strcmp (*(char **) ((char *) e->msg + fi->offset), id) != 0)
        return false;
    }
  return true;
}

typedef struct ev_wait
{
  sc_t *t;
  const char *topic, *cid, *id;
  const sc_event *found;
} ev_wait;

static bool
ev_done (void *data)
{
  ev_wait *w = data;
  size_t n = sc_events_sink_count (w->t->env.sink);
  for (size_t i = 0; i < n; i++)
    {
      const sc_event *e = sc_events_sink_get (w->t->env.sink, i);
      if (event_matches (e, w->topic, w->cid, w->id))
        {
          w->found = e;
          return true;
        }
    }
  return false;
}

const sc_event *
t_event (sc_t *t, const char *topic, const char *container_id, const char *id, int64_t timeout_ms)
{
  ev_wait w = { t, topic, container_id, id, NULL };
  sc_loop_run_until (t->env.loop, ev_done, &w, sc_deadline_in_ms (t_ms (t, timeout_ms)));
  if (w.found == NULL)
    {
      char *have = t_topics (t, container_id);
      t_fail (t, "no %s event for %s%s%s within %.1f s (events so far: %s)", topic, container_id,
              id ? "/" : "", id ? id : "", t_ms (t, timeout_ms) / 1000.0, have);
    }
  char *d = sc_event_describe (w.found);
  t_log (t, "event %s", d);
  free (d);
  return w.found;
}

char *
t_topics (sc_t *t, const char *container_id)
{
  char *out = sc_xstrdup ("");
  size_t n = sc_events_sink_count (t->env.sink);
  for (size_t i = 0; i < n; i++)
    {
      const sc_event *e = sc_events_sink_get (t->env.sink, i);
      if (container_id && e->msg)
        {
          const ProtobufCFieldDescriptor *f
            = protobuf_c_message_descriptor_get_field_by_name (e->msg->descriptor, "container_id");
          if (f && strcmp (*(char **) ((char *) e->msg + f->offset), container_id) != 0)
            continue;
        }
      const char *name = strrchr (e->topic, '/');
      char *next = sc_xasprintf ("%s%s%s", out, *out ? "," : "", name ? name + 1 : e->topic);
      free (out);
      out = next;
    }
  return out;
}

size_t
t_count_events (sc_t *t, const char *topic, const char *container_id, const char *id)
{
  size_t c = 0, n = sc_events_sink_count (t->env.sink);
  for (size_t i = 0; i < n; i++)
    c += event_matches (sc_events_sink_get (t->env.sink, i), topic, container_id, id);
  return c;
}

/* ------------------------------------------------------------------ stdio */

static char *
make_fifo (sc_t *t, const char *name, const char *stream)
{
  char *p = sc_xasprintf ("%s/%s-%s", t->env.dir, name, stream);
  unlink (p);
  if (mkfifo (p, 0700) < 0)
    t_fail (t, "shimcheck: mkfifo %s: %s", p, strerror (errno));
  return p;
}

void
t_io (sc_t *t, const char *name, bool with_stdin, bool with_stderr, sc_io *io)
{
  memset (io, 0, sizeof (*io));
  io->in_fd = io->out_fd = io->err_fd = -1;
  /* as containerd's cio: read ends of stdout/stderr and a write end of
   * stdin are open before Create / exec Start */
  io->out = make_fifo (t, name, "stdout");
  io->out_fd = open (io->out, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (with_stderr)
    {
      io->err = make_fifo (t, name, "stderr");
      io->err_fd = open (io->err, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    }
  else
    io->err = sc_xstrdup ("");
  if (with_stdin)
    {
      io->in = make_fifo (t, name, "stdin");
      io->in_fd = open (io->in, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    }
  else
    io->in = sc_xstrdup ("");
}

char *
t_io_read (sc_t *t, int fd, int64_t timeout_ms, size_t *len)
{
  size_t cap = 65536, n = 0;
  char *buf = sc_xmalloc (cap);
  int64_t deadline = sc_deadline_in_ms (t_ms (t, timeout_ms));
  while (fd >= 0)
    {
      /* keep our loop (the events sink) turning while we read */
      sc_loop_run_once (t->env.loop, 0);
      int64_t left = (deadline - sc_now_mono_ns ()) / 1000000;
      if (left <= 0)
        break;
      struct pollfd p = { fd, POLLIN, 0 };
      if (poll (&p, 1, left < 20 ? (int) left : 20) < 0)
        break;
      if (!(p.revents & (POLLIN | POLLHUP)))
        continue;
      if (n + 65536 > cap)
        buf = sc_xrealloc (buf, cap *= 2);
      ssize_t k = read (fd, buf + n, cap - n - 1);
      if (k == 0)
        break;
      if (k < 0)
        {
          if (errno == EAGAIN || errno == EINTR)
            continue;
          break;
        }
      n += (size_t) k;
    }
  buf[n] = '\0';
  if (len)
    *len = n;
  return buf;
}

/* as containerd hands over a snapshot: root.path "rootfs" and a bind mount
 * of the run's rootfs in the Create request; Create, not Start */
char *
t_create_with_rootfs_mount (sc_t *t, const char *id, const char *const *args)
{
  json_t *spec = t_spec (t, args, false);
  json_object_set_new (spec, "root", json_pack ("{s:s, s:b}", "path", "rootfs", "readonly", false));
  char *b = t_bundle_spec (t, id, spec);
  t_launch (t, id, b);
  Containerd__Types__Mount m = CONTAINERD__TYPES__MOUNT__INIT;
  char *opts[] = { (char *) "rbind", (char *) "ro" };
  m.type = (char *) "bind";
  m.source = (char *) t->cfg->rootfs;
  m.options = opts;
  m.n_options = 2;
  Containerd__Types__Mount *mounts[] = { &m };
  Containerd__Task__V2__CreateTaskRequest r = CONTAINERD__TASK__V2__CREATE_TASK_REQUEST__INIT;
  r.id = (char *) id;
  r.bundle = b;
  r.rootfs = mounts;
  r.n_rootfs = 1;
  T_OK (t, t_create_req (t, &r, NULL, NULL), "Create with a rootfs mount");
  return b;
}

/* is <bundle>/rootfs (or anything under it) a mount point? */
bool
t_mounted_under (const char *path)
{
  char real[PATH_MAX];
  char **mps = NULL;
  size_t n = sc_mounts_under (realpath (path, real) ? real : path, &mps);
  sc_mounts_free (mps, n);
  return n > 0;
}

bool
t_rootfs_mounted (const char *bundle)
{
  char *rootfs = sc_xasprintf ("%s/rootfs", bundle);
  bool mounted = t_mounted_under (rootfs);
  free (rootfs);
  return mounted;
}

char *
t_read_file (sc_t *t, const char *path)
{
  FILE *f = fopen (path, "re");
  if (f == NULL)
    return NULL;
  size_t cap = 4096, n = 0;
  char *buf = sc_xmalloc (cap);
  size_t got;
  while ((got = fread (buf + n, 1, cap - n - 1, f)) > 0)
    {
      n += got;
      if (n + 1 == cap)
        {
          if (cap >= (1u << 24))
            break; /* 16 MiB is more than any case writes */
          cap *= 2;
          buf = sc_xrealloc (buf, cap);
        }
    }
  fclose (f);
  buf[n] = '\0';
  return t_keep_str (t, buf);
}

void
t_write_file (sc_t *t, const char *path, const char *text, mode_t mode)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  size_t len = strlen (text);
  bool ok = fd >= 0 && write (fd, text, len) == (ssize_t) len && fchmod (fd, mode) == 0;
  int e = errno;
  if (fd >= 0)
    close (fd);
  if (!ok)
    runner_error (t, "cannot write %s: %s", path, strerror (e));
}

bool
t_wait_file (sc_t *t, const char *path, int64_t timeout_ms)
{
  int64_t deadline = sc_deadline_in_ms (t_ms (t, timeout_ms));
  for (;;)
    {
      if (access (path, F_OK) == 0)
        return true;
      if (sc_now_mono_ns () >= deadline)
        return false;
      sc_loop_run_once (t->env.loop, 10); /* the events sink keeps turning */
    }
}

void
t_io_close (sc_io *io)
{
  if (io->in_fd >= 0)
    close (io->in_fd);
  if (io->out_fd >= 0)
    close (io->out_fd);
  if (io->err_fd >= 0)
    close (io->err_fd);
  io->in_fd = io->out_fd = io->err_fd = -1;
  free (io->in);
  free (io->out);
  free (io->err);
  io->in = io->out = io->err = NULL;
}

char *
t_runtime_wrapper (sc_t *t, const char *name, int sleep_on_create_s)
{
  char *path = sc_xasprintf ("%s/%s", t->env.dir, name);
  char *log = sc_xasprintf ("%s/%s.calls", t->env.dir, name);
  FILE *f = fopen (path, "w");
  if (f == NULL)
    t_fail (t, "shimcheck: write %s: %s", path, strerror (errno));
  fprintf (f,
           "#!/bin/sh\n"
           "echo \"$*\" >> '%s'\n"
           "for a in \"$@\"; do [ \"$a\" = create ] && sleep %d && break; done\n"
           "exec runc \"$@\"\n",
           log, sleep_on_create_s);
  fclose (f);
  chmod (path, 0755);
  free (log);
  return path;
}

/* ------------------------------------------------------------------ teardown */

static void
task_forget (sc_t *t, const char *id)
{
  for (size_t i = 0; i < t->ntasks; i++)
    if (strcmp (t->tasks[i], id) == 0)
      {
        free (t->tasks[i]);
        t->tasks[i] = t->tasks[--t->ntasks];
        return;
      }
}

void
t_teardown (sc_t *t)
{
  sc_shim *s = t->shim;
  if (s && s->rpc && sc_ttrpc_client_connected (s->rpc))
    {
      s->task.timeout_ms = t_ms (t, 5000);
      /* what containerd does for every task still known: kill, wait, delete */
      while (t->ntasks > 0)
        {
          char *id = sc_xstrdup (t->tasks[t->ntasks - 1]);
          t_kill (t, id, NULL, SIGKILL, false, NULL);
          t_wait_for (t, t_wait_async (t, id, NULL), 5000);
          t_delete (t, id, NULL, NULL, NULL);
          task_forget (t, id);
          free (id);
        }
    }
  for (size_t i = 0; i < t->ntasks; i++)
    free (t->tasks[i]);
  free (t->tasks);
  t->tasks = NULL;
  t->ntasks = 0;
  if (s == NULL)
    return;
  sc_shim_shutdown (s, t_ms (t, SC_SHIM_EXIT_GRACE_MS));
  sc_shim_delete (s, NULL, NULL, NULL);
}

/* ------------------------------------------------------------------ running a case */

sc_status
sc_case_run (const sc_case *c, const sc_run_config *cfg, const char *dir)
{
  sc_t t;
  memset (&t, 0, sizeof (t));
  t.c = c;
  t.cfg = cfg;
  t.dir = sc_xstrdup (dir);
  case_t0 = sc_now_mono_ns ();
  char *tp = sc_xasprintf ("%s/%s", dir, SC_CASE_TRANSCRIPT);
  t.transcript_fd = open (tp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  free (tp);
  sc_error err = SC_ERROR_INIT;
  t.status = SC_PASS;
  if (sc_become_subreaper (&err) < 0 || sc_env_setup_in (&t.env, dir, "sc", &err) < 0)
    {
      t.status = SC_ERROR;
      t.message = sc_xasprintf ("shimcheck set-up: %s", err.msg);
    }
  else
    {
      if (cfg->runtime_for_cleanup)
        {
          free (t.env.runtime);
          t.env.runtime = sc_xstrdup (cfg->runtime_for_cleanup);
        }
      record (&t, SC_CASE_NS, t.env.ns);
      t_log (&t, "case %s (%s): %s", c->id, sc_level_name (c->level), c->title);
      if (setjmp (t.jb) == 0)
        {
          c->fn (&t);
          t_log (&t, "pass");
        }
      if (setjmp (t.jb) == 0)
        t_teardown (&t);
    }
  if (t.shim)
    {
      if (t.shim->log_len)
        t_log (&t, "shim log (last 2 KiB):\n%s",
               t.shim->log + (t.shim->log_len > 2048 ? t.shim->log_len - 2048 : 0));
      sc_shim_free (t.shim);
    }
  char *flood = t.env.sink ? sc_events_sink_flood (t.env.sink) : NULL;
  if (flood)
    {
      t_note (&t, "%s", flood);
      if (t.status == SC_PASS || t.status == SC_SKIP)
        {
          t.status = SC_FAIL;
          free (t.message);
          t.message = sc_xstrdup (flood);
        }
      free (flood);
    }
  arena_free (&t);
  free (t.last_message);
  sc_error cerr = SC_ERROR_INIT;
  sc_env_teardown (&t.env, &cerr);
  if (cerr.msg)
    {
      /* a mount the shim left that could not be unmounted, or that the
       * cleanup refused to enter: the shim's failure, whatever else held */
      t_note (&t, "%s", cerr.msg);
      if (t.status == SC_PASS || t.status == SC_SKIP)
        {
          t.status = SC_FAIL;
          free (t.message);
          t.message = sc_xasprintf ("left behind after the case: %s", cerr.msg);
        }
      sc_error_release (&cerr);
    }
  sc_unlink_dead_socket (t.address, dir);
  sc_error werr = SC_ERROR_INIT;
  if (sc_case_outcome_write (dir, t.status, t.message, t.address, t.evidence, t.nevidence, &werr)
      < 0)
    {
      fprintf (stderr, "shimcheck: case %s: %s\n", c->id, werr.msg);
      sc_error_release (&werr);
    }
  for (size_t i = 0; i < t.nevidence; i++)
    free (t.evidence[i]);
  free (t.evidence);
  if (t.transcript_fd >= 0)
    close (t.transcript_fd);
  sc_status st = t.status;
  free (t.message);
  free (t.address);
  free (t.dir);
  return st;
}
