/* containerd-shim-ref-v1 driven directly by our harness client: many tasks
 * in one shim group, stdio through FIFOs (stdin, CloseIO -> EOF), terminals,
 * input validation, and no fd left behind after the tasks are gone.
 *   test_refshim PATH/TO/containerd-shim-ref-v1 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle.h"
#include "clock.h"
#include "containerd/cgroups/metrics.pb-c.h"
#include "containerd/events/task.pb-c.h"
#include "containerd/runc/options.pb-c.h"
#include "env.h"
#include "launcher.h"
#include "oci_spec.h"
#include "pb.h"

static const char *SHIM;
static const char *FAULTY; /* containerd-shim-reffault-v1, for the tests that need a fault */

typedef struct fx
{
  sc_env env;
  sc_shim *shim;
  char *rootfs; /* one busybox tree, bind-mounted read-only into each bundle */
} fx;

static int
setup (void **state)
{
  fx *f = calloc (1, sizeof (*f));
  sc_error err = SC_ERROR_INIT;
  assert_int_equal (sc_become_subreaper (&err), 0);
  if (sc_env_setup (&f->env, "sc-ref", &err) < 0)
    fail_msg ("env: %s", err.msg);
  f->rootfs = sc_xasprintf ("%s/busybox", f->env.dir);
  if (sc_rootfs_busybox (f->rootfs, NULL, &err) < 0)
    fail_msg ("rootfs: %s", err.msg);
  *state = f;
  return 0;
}

static int
teardown (void **state)
{
  fx *f = *state;
  if (f->shim)
    sc_shim_shutdown (f->shim, 10000); /* it may flush events for up to 5 s */
  sc_shim_free (f->shim);
  free (f->rootfs);
  size_t killed = sc_env_teardown (&f->env, NULL);
  free (f);
  assert_int_equal (killed, 0);
  return 0;
}

/* a bundle for id in one shim group ("g"), args as the process */
static char *
bundle (fx *f, const char *id, const char *const *args, bool terminal, const char *group)
{
  sc_error err = SC_ERROR_INIT;
  json_t *spec = sc_oci_default_spec (args, terminal);
  if (group)
    json_object_set_new (spec, "annotations",
                         json_pack ("{s:s}", "io.containerd.runc.v2.group", group));
  char *b = NULL;
  if (sc_bundle_create (f->env.state, f->env.ns, id, spec, &b, &err) < 0)
    fail_msg ("bundle: %s", err.msg);
  json_decref (spec);
  return b;
}

static void
launch (fx *f, const char *id, const char *b)
{
  sc_error err = SC_ERROR_INIT;
  sc_launch_opts o = { .shim = SHIM,
                       .ns = f->env.ns,
                       .id = id,
                       .bundle = b,
                       .grpc_address = f->env.grpc_address,
                       .ttrpc_address = f->env.ttrpc_address };
  if (sc_shim_start (f->env.loop, &o, &f->shim, &err) < 0 || sc_shim_connect (f->shim, &err) < 0)
    fail_msg ("launch: %s", err.msg);
  Containerd__Task__V2__ConnectRequest cq = CONTAINERD__TASK__V2__CONNECT_REQUEST__INIT;
  cq.id = (char *) id;
  Containerd__Task__V2__ConnectResponse *cr = NULL;
  sc_rpc_result r = { 0 };
  assert_int_equal (sc_task_call (&f->shim->task, "Connect", &cq.base, (ProtobufCMessage **) &cr, &r), 0);
  sc_shim_track (f->shim, (pid_t) cr->shim_pid);
  containerd__task__v2__connect_response__free_unpacked (cr, NULL);
  sc_rpc_result_release (&r);
}

/* the rootfs as containerd hands it over: a mount in the Create request */
static Containerd__Types__Mount *
rootfs_mount (fx *f)
{
  static Containerd__Types__Mount m;
  static char *opts[] = { (char *) "rbind", (char *) "ro" };
  containerd__types__mount__init (&m);
  m.type = (char *) "bind";
  m.source = f->rootfs;
  m.n_options = 2;
  m.options = opts;
  return &m;
}

/* --- async batches ---------------------------------------------------- */

typedef struct slot
{
  bool done;
  int code;
  char *msg;
  uint8_t *payload;
  size_t len;
} slot;

static void
slot_cb (sc_rpc_result *res, void *data)
{
  slot *s = data;
  s->done = true;
  s->code = res->code;
  s->msg = res->message;
  res->message = NULL;
  s->payload = res->payload;
  s->len = res->payload_len;
  res->payload = NULL;
}

typedef struct batch
{
  slot *s;
  size_t n;
} batch;

static bool
batch_done (void *data)
{
  batch *b = data;
  for (size_t i = 0; i < b->n; i++)
    if (!b->s[i].done)
      return false;
  return true;
}

static void
send (fx *f, const char *method, const ProtobufCMessage *m, slot *s)
{
  size_t len;
  uint8_t *buf = sc_pb_pack (m, &len);
  sc_call_opts o = { .timeout_ms = 60000 };
  memset (s, 0, sizeof (*s));
  sc_ttrpc_call_async (f->shim->rpc, f->shim->task.service, method, buf, len, &o, slot_cb, s);
  free (buf);
}

static void
run_batch (fx *f, slot *s, size_t n, const char *what)
{
  batch b = { s, n };
  if (sc_loop_run_until (f->env.loop, batch_done, &b, sc_deadline_in_ms (120000)) < 0)
    fail_msg ("%s: batch did not complete", what);
  for (size_t i = 0; i < n; i++)
    if (s[i].code != 0)
      fail_msg ("%s #%zu: %s: %s", what, i, sc_code_name (s[i].code), s[i].msg ? s[i].msg : "");
}

static void
free_slots (slot *s, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      free (s[i].msg);
      free (s[i].payload);
    }
}

/* "fd -> target" lines of a process's fd table */
static char *
fd_table (pid_t pid)
{
  char *out = sc_xstrdup ("");
  for (int fd = 0; fd < 1024; fd++)
    {
      char path[64], target[256];
      snprintf (path, sizeof (path), "/proc/%d/fd/%d", (int) pid, fd);
      ssize_t n = readlink (path, target, sizeof (target) - 1);
      if (n < 0)
        continue;
      target[n] = '\0';
      char *line = sc_xasprintf ("%s%d -> %s\n", out, fd, target);
      free (out);
      out = line;
    }
  return out;
}

#define N_TASKS 50

static void
fifty_tasks_on_one_shim_group_with_execs_all_exit_codes_right (void **state)
{
  fx *f = *state;
  static const char *const args[] = { "sleep", "3600", NULL };
  char *ids[N_TASKS], *bundles[N_TASKS];
  for (int i = 0; i < N_TASKS; i++)
    {
      ids[i] = sc_xasprintf ("t%02d", i);
      bundles[i] = bundle (f, ids[i], args, false, "g");
    }
  launch (f, ids[0], bundles[0]);
  /* a second start for the same group answers with the same address */
  for (int i = 1; i < 3; i++)
    {
      sc_shim *other = NULL;
      sc_error err = SC_ERROR_INIT;
      sc_launch_opts o = { .shim = SHIM, .ns = f->env.ns, .id = ids[i], .bundle = bundles[i],
                           .grpc_address = f->env.grpc_address,
                           .ttrpc_address = f->env.ttrpc_address };
      if (sc_shim_start (f->env.loop, &o, &other, &err) < 0)
        fail_msg ("second start: %s", err.msg);
      assert_string_equal (other->addr.address, f->shim->addr.address);
      other->daemon_pid = 0; /* not its own daemon: do not kill the shared one */
      sc_shim_free (other);
    }
  int fds_before = sc_pid_count_fds (f->shim->daemon_pid);
  assert_true (fds_before > 0);
  char *table_before = fd_table (f->shim->daemon_pid);

  slot s[N_TASKS];
  Containerd__Types__Mount *mnt[] = { rootfs_mount (f) };
  for (int i = 0; i < N_TASKS; i++)
    {
      Containerd__Task__V2__CreateTaskRequest r = CONTAINERD__TASK__V2__CREATE_TASK_REQUEST__INIT;
      r.id = ids[i];
      r.bundle = bundles[i];
      r.n_rootfs = 1;
      r.rootfs = mnt;
      send (f, "Create", &r.base, &s[i]);
    }
  run_batch (f, s, N_TASKS, "Create");
  free_slots (s, N_TASKS);
  for (int i = 0; i < N_TASKS; i++)
    {
      Containerd__Task__V2__StartRequest r = CONTAINERD__TASK__V2__START_REQUEST__INIT;
      r.id = ids[i];
      send (f, "Start", &r.base, &s[i]);
    }
  run_batch (f, s, N_TASKS, "Start");
  free_slots (s, N_TASKS);

  /* an exec per task exiting with its own code */
  for (int i = 0; i < N_TASKS; i++)
    {
      char *json = sc_xasprintf ("{\"args\":[\"sh\",\"-c\",\"exit %d\"],\"cwd\":\"/\","
                                 "\"env\":[\"PATH=/bin\"],\"user\":{\"uid\":0,\"gid\":0}}",
                                 i + 1);
      Google__Protobuf__Any any;
      sc_any_set (&any, "types.containerd.io/opencontainers/runtime-spec/1/Process", json,
                  strlen (json));
      Containerd__Task__V2__ExecProcessRequest r = CONTAINERD__TASK__V2__EXEC_PROCESS_REQUEST__INIT;
      r.id = ids[i];
      r.exec_id = (char *) "x";
      r.spec = &any;
      send (f, "Exec", &r.base, &s[i]);
      sc_any_clear (&any);
      free (json);
    }
  run_batch (f, s, N_TASKS, "Exec");
  free_slots (s, N_TASKS);
  slot w[N_TASKS];
  for (int i = 0; i < N_TASKS; i++)
    {
      Containerd__Task__V2__WaitRequest r = CONTAINERD__TASK__V2__WAIT_REQUEST__INIT;
      r.id = ids[i];
      r.exec_id = (char *) "x";
      send (f, "Wait", &r.base, &w[i]);
    }
  for (int i = 0; i < N_TASKS; i++)
    {
      Containerd__Task__V2__StartRequest r = CONTAINERD__TASK__V2__START_REQUEST__INIT;
      r.id = ids[i];
      r.exec_id = (char *) "x";
      send (f, "Start", &r.base, &s[i]);
    }
  run_batch (f, s, N_TASKS, "exec Start");
  run_batch (f, w, N_TASKS, "exec Wait");
  for (int i = 0; i < N_TASKS; i++)
    {
      Containerd__Task__V2__WaitResponse *wr
        = containerd__task__v2__wait_response__unpack (NULL, w[i].len, w[i].payload);
      assert_non_null (wr);
      assert_int_equal (wr->exit_status, i + 1);
      assert_true (sc_ts_is_set (wr->exited_at));
      containerd__task__v2__wait_response__free_unpacked (wr, NULL);
    }
  free_slots (s, N_TASKS);
  free_slots (w, N_TASKS);

  /* kill every init; all Waits answer 137 */
  for (int i = 0; i < N_TASKS; i++)
    {
      Containerd__Task__V2__WaitRequest r = CONTAINERD__TASK__V2__WAIT_REQUEST__INIT;
      r.id = ids[i];
      send (f, "Wait", &r.base, &w[i]);
      Containerd__Task__V2__KillRequest k = CONTAINERD__TASK__V2__KILL_REQUEST__INIT;
      k.id = ids[i];
      k.signal = SIGKILL;
      send (f, "Kill", &k.base, &s[i]);
    }
  run_batch (f, s, N_TASKS, "Kill");
  run_batch (f, w, N_TASKS, "Wait");
  for (int i = 0; i < N_TASKS; i++)
    {
      Containerd__Task__V2__WaitResponse *wr
        = containerd__task__v2__wait_response__unpack (NULL, w[i].len, w[i].payload);
      assert_int_equal (wr->exit_status, 137);
      containerd__task__v2__wait_response__free_unpacked (wr, NULL);
    }
  free_slots (s, N_TASKS);
  free_slots (w, N_TASKS);
  for (int i = 0; i < N_TASKS; i++)
    {
      Containerd__Task__V2__DeleteRequest r = CONTAINERD__TASK__V2__DELETE_REQUEST__INIT;
      r.id = ids[i];
      send (f, "Delete", &r.base, &s[i]);
    }
  run_batch (f, s, N_TASKS, "Delete");
  free_slots (s, N_TASKS);

  /* every exit event once, right pid-less fields, and no fd left in the shim */
  sc_events_sink_wait_count (f->env.sink, (size_t) N_TASKS * 7, 10000);
  size_t exits = 0, deletes = 0;
  for (size_t i = 0; i < sc_events_sink_count (f->env.sink); i++)
    {
      const sc_event *e = sc_events_sink_get (f->env.sink, i);
      exits += strcmp (e->topic, "/tasks/exit") == 0;
      deletes += strcmp (e->topic, "/tasks/delete") == 0 && e->msg
                 && ((Containerd__Events__TaskDelete *) e->msg)->id[0] == '\0';
    }
  assert_int_equal (exits, 2 * N_TASKS);
  assert_int_equal (deletes, N_TASKS);
  /* the only new fd may be the events publisher's connection, opened with
   * the first event */
  int fds_after = sc_pid_count_fds (f->shim->daemon_pid);
  char *table_after = fd_table (f->shim->daemon_pid);
  if (fds_after != fds_before + 1 || strstr (table_after, "socket:") == NULL)
    fail_msg ("shim fds before the tasks:\n%s\nafter:\n%s", table_before, table_after);
  size_t sockets_before = 0, sockets_after = 0;
  for (const char *q = table_before; (q = strstr (q, "socket:")); q++)
    sockets_before++;
  for (const char *q = table_after; (q = strstr (q, "socket:")); q++)
    sockets_after++;
  assert_int_equal (sockets_after, sockets_before + 1);
  free (table_before);
  free (table_after);
  for (int i = 0; i < N_TASKS; i++)
    {
      free (ids[i]);
      free (bundles[i]);
    }
}

/* --- stdio through FIFOs --------------------------------------------------- */

static char *
fifo (fx *f, const char *name)
{
  char *p = sc_xasprintf ("%s/%s", f->env.dir, name);
  unlink (p);
  assert_int_equal (mkfifo (p, 0700), 0);
  return p;
}

/* reads fd until EOF or timeout, running nothing else (the shim is another process) */
static char *
read_until_eof (int fd, int64_t timeout_ms, size_t *len)
{
  char *buf = sc_xmalloc (1);
  size_t n = 0;
  int64_t deadline = sc_deadline_in_ms (timeout_ms);
  for (;;)
    {
      int64_t left = (deadline - sc_now_mono_ns ()) / 1000000;
      if (left <= 0)
        break;
      struct pollfd p = { fd, POLLIN, 0 };
      if (poll (&p, 1, (int) left) <= 0)
        break;
      char tmp[4096];
      ssize_t k = read (fd, tmp, sizeof (tmp));
      if (k == 0)
        break;
      if (k < 0)
        {
          if (errno == EAGAIN)
            {
              usleep (1000);
              continue;
            }
          break;
        }
      buf = sc_xrealloc (buf, n + (size_t) k + 1);
      memcpy (buf + n, tmp, (size_t) k);
      n += (size_t) k;
    }
  buf[n] = '\0';
  *len = n;
  return buf;
}

static int
call (fx *f, const char *method, const ProtobufCMessage *m, ProtobufCMessage **resp,
      sc_rpc_result *r)
{
  return sc_task_call_timeout (&f->shim->task, method, m, 20000, resp, r);
}

/* Create `sleep 3600` as id, with the shared rootfs and options (an Any, or
 * NULL), launching the shim first if there is none: the code, *msg its
 * message (to free) */
static int
create_task (fx *f, const char *id, Google__Protobuf__Any *options, char **msg)
{
  static const char *const args[] = { "sleep", "3600", NULL };
  char *b = bundle (f, id, args, false, NULL);
  if (f->shim == NULL)
    launch (f, id, b);
  Containerd__Types__Mount *mnt[] = { rootfs_mount (f) };
  Containerd__Task__V2__CreateTaskRequest cr = CONTAINERD__TASK__V2__CREATE_TASK_REQUEST__INIT;
  cr.id = (char *) id;
  cr.bundle = b;
  cr.rootfs = mnt;
  cr.n_rootfs = 1;
  cr.options = options;
  sc_rpc_result r = { 0 };
  int code = call (f, "Create", &cr.base, NULL, &r);
  *msg = sc_xstrdup (r.message ? r.message : "");
  sc_rpc_result_release (&r);
  free (b);
  return code;
}

/* create + start `sleep 3600` as id (create_task) */
static void
running_task_with (fx *f, const char *id, Google__Protobuf__Any *options)
{
  char *msg = NULL;
  if (create_task (f, id, options, &msg) != 0)
    fail_msg ("Create: %s", msg);
  free (msg);
  sc_rpc_result r = { 0 };
  Containerd__Task__V2__StartRequest sr = CONTAINERD__TASK__V2__START_REQUEST__INIT;
  sr.id = (char *) id;
  if (call (f, "Start", &sr.base, NULL, &r) != 0)
    fail_msg ("Start: %s", r.message);
  sc_rpc_result_release (&r);
}

static void
running_task (fx *f, const char *id)
{
  running_task_with (f, id, NULL);
}

/* SIGKILL, Wait, Delete */
static void
end_task (fx *f, const char *id)
{
  sc_rpc_result r = { 0 };
  Containerd__Task__V2__KillRequest k = CONTAINERD__TASK__V2__KILL_REQUEST__INIT;
  k.id = (char *) id;
  k.signal = SIGKILL;
  assert_int_equal (call (f, "Kill", &k.base, NULL, &r), 0);
  sc_rpc_result_release (&r);
  Containerd__Task__V2__WaitRequest wr = CONTAINERD__TASK__V2__WAIT_REQUEST__INIT;
  wr.id = (char *) id;
  assert_int_equal (call (f, "Wait", &wr.base, NULL, &r), 0);
  sc_rpc_result_release (&r);
  Containerd__Task__V2__DeleteRequest dr = CONTAINERD__TASK__V2__DELETE_REQUEST__INIT;
  dr.id = (char *) id;
  assert_int_equal (call (f, "Delete", &dr.base, NULL, &r), 0);
  sc_rpc_result_release (&r);
}

static void
stdin_reaches_cat_and_closeio_gives_eof_stdout_stderr_separate (void **state)
{
  fx *f = *state;
  static const char *const args[] = { "sh", "-c", "cat; echo done >&2", NULL };
  char *b = bundle (f, "io1", args, false, NULL);
  launch (f, "io1", b);
  char *in = fifo (f, "in"), *out = fifo (f, "out"), *err = fifo (f, "err");
  /* as containerd's cio does, before Create */
  int ofd = open (out, O_RDONLY | O_NONBLOCK);
  int efd = open (err, O_RDONLY | O_NONBLOCK);
  int ifd = open (in, O_RDWR | O_NONBLOCK);
  Containerd__Types__Mount *mnt[] = { rootfs_mount (f) };
  Containerd__Task__V2__CreateTaskRequest cr = CONTAINERD__TASK__V2__CREATE_TASK_REQUEST__INIT;
  cr.id = (char *) "io1";
  cr.bundle = b;
  cr.rootfs = mnt;
  cr.n_rootfs = 1;
  cr.stdin = in;
  cr.stdout = out;
  cr.stderr = err;
  sc_rpc_result r = { 0 };
  if (call (f, "Create", &cr.base, NULL, &r) != 0)
    fail_msg ("Create: %s", r.message);
  sc_rpc_result_release (&r);
  Containerd__Task__V2__StartRequest sr = CONTAINERD__TASK__V2__START_REQUEST__INIT;
  sr.id = (char *) "io1";
  assert_int_equal (call (f, "Start", &sr.base, NULL, &r), 0);
  sc_rpc_result_release (&r);
  const char msg[] = "line through stdin\n";
  assert_int_equal (write (ifd, msg, sizeof (msg) - 1), (ssize_t) sizeof (msg) - 1);
  /* CloseIO, then our writer closes: cat sees EOF */
  Containerd__Task__V2__CloseIORequest ci = CONTAINERD__TASK__V2__CLOSE_IOREQUEST__INIT;
  ci.id = (char *) "io1";
  ci.stdin = true;
  assert_int_equal (call (f, "CloseIO", &ci.base, NULL, &r), 0);
  sc_rpc_result_release (&r);
  close (ifd);
  Containerd__Task__V2__WaitRequest wr = CONTAINERD__TASK__V2__WAIT_REQUEST__INIT;
  wr.id = (char *) "io1";
  Containerd__Task__V2__WaitResponse *wres = NULL;
  assert_int_equal (call (f, "Wait", &wr.base, (ProtobufCMessage **) &wres, &r), 0);
  assert_int_equal (wres->exit_status, 0);
  containerd__task__v2__wait_response__free_unpacked (wres, NULL);
  sc_rpc_result_release (&r);
  size_t ol, el;
  char *o = read_until_eof (ofd, 5000, &ol);
  char *e = read_until_eof (efd, 5000, &el);
  assert_string_equal (o, msg);
  assert_string_equal (e, "done\n");
  free (o);
  free (e);
  Containerd__Task__V2__DeleteRequest dr = CONTAINERD__TASK__V2__DELETE_REQUEST__INIT;
  dr.id = (char *) "io1";
  assert_int_equal (call (f, "Delete", &dr.base, NULL, &r), 0);
  sc_rpc_result_release (&r);
  close (ofd);
  close (efd);
  free (in);
  free (out);
  free (err);
  free (b);
}

static void
terminal_exec_output_is_a_tty_stream (void **state)
{
  fx *f = *state;
  running_task (f, "tty1");

  sc_rpc_result r = { 0 };
  char *out = fifo (f, "ttyout");
  int ofd = open (out, O_RDONLY | O_NONBLOCK);
  const char *json = "{\"args\":[\"sh\",\"-c\",\"tty; echo hi\"],\"cwd\":\"/\",\"terminal\":true,"
                     "\"env\":[\"PATH=/bin\"],\"user\":{\"uid\":0,\"gid\":0}}";
  Google__Protobuf__Any any;
  sc_any_set (&any, "types.containerd.io/opencontainers/runtime-spec/1/Process", json, strlen (json));
  Containerd__Task__V2__ExecProcessRequest er = CONTAINERD__TASK__V2__EXEC_PROCESS_REQUEST__INIT;
  er.id = (char *) "tty1";
  er.exec_id = (char *) "t";
  er.terminal = true;
  er.stdout = out;
  er.spec = &any;
  if (call (f, "Exec", &er.base, NULL, &r) != 0)
    fail_msg ("Exec: %s", r.message);
  sc_rpc_result_release (&r);
  sc_any_clear (&any);
  Containerd__Task__V2__StartRequest sr = CONTAINERD__TASK__V2__START_REQUEST__INIT;
  sr.id = (char *) "tty1";
  sr.exec_id = (char *) "t";
  if (call (f, "Start", &sr.base, NULL, &r) != 0)
    fail_msg ("exec Start: %s", r.message);
  sc_rpc_result_release (&r);
  Containerd__Task__V2__ResizePtyRequest rz = CONTAINERD__TASK__V2__RESIZE_PTY_REQUEST__INIT;
  rz.id = (char *) "tty1";
  rz.exec_id = (char *) "t";
  rz.width = 100;
  rz.height = 40;
  int rzc = call (f, "ResizePty", &rz.base, NULL, &r);
  /* the exec may already be gone; then the shim says so */
  assert_true (rzc == 0 || rzc == SC_FAILED_PRECONDITION);
  sc_rpc_result_release (&r);
  size_t n;
  char *o = read_until_eof (ofd, 5000, &n);
  assert_non_null (strstr (o, "/dev/pts/"));
  assert_non_null (strstr (o, "hi\r\n"));
  free (o);
  close (ofd);
  end_task (f, "tty1");
  free (out);
}

static void
bad_ids_and_bad_configs_are_rejected_clearly_with_no_events (void **state)
{
  fx *f = *state;
  char *b = bundle (f, "v1", NULL, false, NULL);
  launch (f, "v1", b);
  sc_rpc_result r = { 0 };
  const char *bad[] = { "../etc", "a/b", "", "-lead", "x..y",
                        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" };
  for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++)
    {
      Containerd__Task__V2__CreateTaskRequest cr = CONTAINERD__TASK__V2__CREATE_TASK_REQUEST__INIT;
      cr.id = (char *) bad[i];
      cr.bundle = b;
      assert_int_equal (call (f, "Create", &cr.base, NULL, &r), SC_INVALID_ARGUMENT);
      sc_rpc_result_release (&r);
    }
  /* broken config.json variants: a clear InvalidArgument naming the field */
  const char *configs[][2] = {
    { "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"}}", "process" },
    { "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\"}}", "root" },
    { "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":\"sh\",\"cwd\":\"/\"},\"root\":{\"path\":\"r\"}}",
      "process.args" },
    { "{\"ociVersion\":1}", "ociVersion" },
    { "{not json", "line 1" },
  };
  char *cfg = sc_xasprintf ("%s/config.json", b);
  for (size_t i = 0; i < sizeof (configs) / sizeof (configs[0]); i++)
    {
      FILE *fp = fopen (cfg, "w");
      fputs (configs[i][0], fp);
      fclose (fp);
      Containerd__Task__V2__CreateTaskRequest cr = CONTAINERD__TASK__V2__CREATE_TASK_REQUEST__INIT;
      cr.id = (char *) "v1";
      cr.bundle = b;
      assert_int_equal (call (f, "Create", &cr.base, NULL, &r), SC_INVALID_ARGUMENT);
      if (strstr (r.message, configs[i][1]) == NULL)
        fail_msg ("\"%s\" does not name \"%s\"", r.message, configs[i][1]);
      sc_rpc_result_release (&r);
    }
  free (cfg);
  /* missing bundle, and a missing process binary */
  Containerd__Task__V2__CreateTaskRequest cr = CONTAINERD__TASK__V2__CREATE_TASK_REQUEST__INIT;
  cr.id = (char *) "v2";
  cr.bundle = (char *) "/nonexistent/bundle/v2";
  assert_int_equal (call (f, "Create", &cr.base, NULL, &r), SC_NOT_FOUND);
  sc_rpc_result_release (&r);
  static const char *const nobin[] = { "notfound404", NULL };
  char *b3 = bundle (f, "v3", nobin, false, NULL);
  Containerd__Types__Mount *mnt[] = { rootfs_mount (f) };
  cr.id = (char *) "v3";
  cr.bundle = b3;
  cr.rootfs = mnt;
  cr.n_rootfs = 1;
  assert_int_not_equal (call (f, "Create", &cr.base, NULL, &r), 0);
  assert_non_null (strstr (r.message, "notfound404"));
  /* said once, as the Go shim says it: runc's own message already starts
   * with "runc create failed" */
  const char *first = strstr (r.message, "runc create failed");
  assert_non_null (first);
  if (strstr (first + 1, "runc create failed"))
    fail_msg ("the runtime's prefix is repeated: %s", r.message);
  assert_int_equal (strncmp (r.message, "OCI runtime create failed: runc create failed: ", 47), 0);
  sc_rpc_result_release (&r);
  Containerd__Task__V2__StateRequest st = CONTAINERD__TASK__V2__STATE_REQUEST__INIT;
  st.id = (char *) "v3";
  assert_int_equal (call (f, "State", &st.base, NULL, &r), SC_NOT_FOUND);
  sc_rpc_result_release (&r);
  /* no event for any failed Create */
  sc_events_sink_wait_count (f->env.sink, 1, 300);
  assert_int_equal (sc_events_sink_count (f->env.sink), 0);
  /* the failed create's rootfs mount is gone */
  char *rootfs = sc_xasprintf ("%s/rootfs", b3);
  FILE *m = fopen ("/proc/self/mountinfo", "r");
  char line[4096];
  while (fgets (line, sizeof (line), m))
    assert_null (strstr (line, rootfs));
  fclose (m);
  free (rootfs);
  free (b3);
  free (b);
}

static void
task_v3_service_answers_and_checkpoint_is_unimplemented (void **state)
{
  fx *f = *state;
  running_task (f, "v3t");
  /* containerd 2.x talks to containerd.task.v3.Task */
  f->shim->task.service = "containerd.task.v3.Task";
  Containerd__Task__V2__StateRequest st = CONTAINERD__TASK__V2__STATE_REQUEST__INIT;
  st.id = (char *) "v3t";
  Containerd__Task__V2__StateResponse *sr = NULL;
  sc_rpc_result r = { 0 };
  assert_int_equal (call (f, "State", &st.base, (ProtobufCMessage **) &sr, &r), 0);
  assert_int_equal (sr->status, CONTAINERD__V1__TYPES__STATUS__RUNNING);
  containerd__task__v2__state_response__free_unpacked (sr, NULL);
  sc_rpc_result_release (&r);
  Containerd__Task__V2__CheckpointTaskRequest cp = CONTAINERD__TASK__V2__CHECKPOINT_TASK_REQUEST__INIT;
  cp.id = (char *) "v3t";
  cp.path = f->env.dir;
  assert_int_equal (call (f, "Checkpoint", &cp.base, NULL, &r), SC_UNIMPLEMENTED);
  assert_non_null (strstr (r.message, "not implemented"));
  sc_rpc_result_release (&r);
  end_task (f, "v3t");
}

static uint64_t
memory_limit (fx *f, const char *id)
{
  Containerd__Task__V2__StatsRequest sq = CONTAINERD__TASK__V2__STATS_REQUEST__INIT;
  sq.id = (char *) id;
  Containerd__Task__V2__StatsResponse *sr = NULL;
  sc_rpc_result r = { 0 };
  if (call (f, "Stats", &sq.base, (ProtobufCMessage **) &sr, &r) != 0)
    fail_msg ("Stats: %s", r.message);
  sc_rpc_result_release (&r);
  assert_string_equal (sr->stats->type_url, "io.containerd.cgroups.v1.Metrics");
  Io__Containerd__Cgroups__V1__Metrics *m = io__containerd__cgroups__v1__metrics__unpack (
    NULL, sr->stats->value.len, sr->stats->value.data);
  assert_non_null (m);
  assert_non_null (m->memory);
  assert_non_null (m->memory->usage);
  assert_non_null (m->pids);
  assert_true (m->pids->current >= 1);
  uint64_t limit = m->memory->usage->limit;
  io__containerd__cgroups__v1__metrics__free_unpacked (m, NULL);
  containerd__task__v2__stats_response__free_unpacked (sr, NULL);
  return limit;
}

static void
update_changes_the_memory_limit_that_stats_report (void **state)
{
  fx *f = *state;
  running_task (f, "upd");
  const char *json = "{\"memory\":{\"limit\":67108864}}";
  Google__Protobuf__Any any;
  sc_any_set (&any, "types.containerd.io/opencontainers/runtime-spec/1/LinuxResources", json,
              strlen (json));
  Containerd__Task__V2__UpdateTaskRequest u = CONTAINERD__TASK__V2__UPDATE_TASK_REQUEST__INIT;
  u.id = (char *) "upd";
  u.resources = &any;
  sc_rpc_result r = { 0 };
  if (call (f, "Update", &u.base, NULL, &r) != 0)
    fail_msg ("Update: %s", r.message);
  sc_rpc_result_release (&r);
  assert_int_equal (memory_limit (f, "upd"), 67108864);
  sc_any_clear (&any);
  end_task (f, "upd");
  /* a deleted task has no stats */
  Containerd__Task__V2__StatsRequest sq = CONTAINERD__TASK__V2__STATS_REQUEST__INIT;
  sq.id = (char *) "upd";
  assert_int_equal (call (f, "Stats", &sq.base, NULL, &r), SC_NOT_FOUND);
  sc_rpc_result_release (&r);
}

static void
events_survive_a_failing_endpoint_and_keep_their_order (void **state)
{
  fx *f = *state;
  /* the first three Forward calls fail: the shim retries, in order */
  sc_events_sink_fail_next (f->env.sink, 3, SC_UNAVAILABLE);
  running_task (f, "ev1");
  end_task (f, "ev1");
  sc_events_sink_wait_count (f->env.sink, 4, 15000);
  const char *want[] = { "/tasks/create", "/tasks/start", "/tasks/exit", "/tasks/delete" };
  assert_int_equal (sc_events_sink_count (f->env.sink), 4);
  for (int i = 0; i < 4; i++)
    assert_string_equal (sc_events_sink_get (f->env.sink, (size_t) i)->topic, want[i]);
}

/* An exec id with a NUL byte: protobuf-c would hand it over cut at the NUL,
 * "e1\0x" as "e1".  It is refused, and no exec e1 appears. */
static void
an_id_with_a_nul_byte_is_refused_not_cut (void **state)
{
  fx *f = *state;
  running_task (f, "n1");
  static const char json[] = "{\"args\":[\"true\"],\"cwd\":\"/\"}";
  Google__Protobuf__Any any;
  sc_any_set (&any, "types.containerd.io/opencontainers/runtime-spec/1/Process", json,
              strlen (json));
  Containerd__Task__V2__ExecProcessRequest er = CONTAINERD__TASK__V2__EXEC_PROCESS_REQUEST__INIT;
  er.id = (char *) "n1";
  er.exec_id = (char *) "e1Zx";
  er.spec = &any;
  size_t len;
  uint8_t *buf = sc_pb_pack (&er.base, &len);
  sc_any_clear (&any);
  uint8_t *z = memchr (buf, 'Z', len);
  assert_non_null (z);
  *z = '\0';
  sc_rpc_result r = { 0 };
  sc_call_opts o = { .timeout_ms = 5000 };
  sc_ttrpc_call_sync (f->shim->rpc, f->shim->task.service, "Exec", buf, len, &o, &r);
  free (buf);
  if (r.code != SC_INVALID_ARGUMENT)
    fail_msg ("Exec of exec id \"e1\\0x\": %s (%s), want InvalidArgument", sc_code_name (r.code),
              r.message ? r.message : "");
  sc_rpc_result_release (&r);
  Containerd__Task__V2__StateRequest st = CONTAINERD__TASK__V2__STATE_REQUEST__INIT;
  st.id = (char *) "n1";
  st.exec_id = (char *) "e1";
  assert_int_equal (call (f, "State", &st.base, NULL, &r), SC_NOT_FOUND);
  sc_rpc_result_release (&r);
  end_task (f, "n1");
}

/* containerd away for long: the shim's event queue fills up (4 entries in
 * this test build).  It may drop paused/resumed, never a lifecycle event:
 * once containerd is back, create, start, exit and delete all arrive, in
 * order.  The queue used to drop the oldest event, a TaskCreate here. */
static void
a_full_event_queue_keeps_every_lifecycle_event (void **state)
{
  fx *f = *state;
  if (FAULTY == NULL)
    skip ();
  const char *prod = SHIM;
  SHIM = FAULTY;
  setenv ("SHIMCHECK_FAULTS", "event-queue-max=4", 1);
  sc_events_sink_fail_next (f->env.sink, 1000000, SC_UNAVAILABLE);
  running_task (f, "q1");
  for (int i = 0; i < 4; i++)
    {
      sc_rpc_result r = { 0 };
      Containerd__Task__V2__PauseRequest pr = CONTAINERD__TASK__V2__PAUSE_REQUEST__INIT;
      pr.id = (char *) "q1";
      assert_int_equal (call (f, "Pause", &pr.base, NULL, &r), 0);
      sc_rpc_result_release (&r);
      Containerd__Task__V2__ResumeRequest rr = CONTAINERD__TASK__V2__RESUME_REQUEST__INIT;
      rr.id = (char *) "q1";
      assert_int_equal (call (f, "Resume", &rr.base, NULL, &r), 0);
      sc_rpc_result_release (&r);
    }
  end_task (f, "q1");
  unsetenv ("SHIMCHECK_FAULTS");
  SHIM = prod;
  sc_events_sink_fail_next (f->env.sink, 0, 0); /* containerd is back */
  assert_true (sc_events_sink_wait_topic (f->env.sink, "/tasks/delete", 0, 20000) >= 0);
  const char *want[] = { "/tasks/create", "/tasks/start", "/tasks/exit", "/tasks/delete" };
  size_t k = 0, others = 0, n = sc_events_sink_count (f->env.sink);
  for (size_t i = 0; i < n; i++)
    {
      const char *topic = sc_events_sink_get (f->env.sink, i)->topic;
      if (k < 4 && strcmp (topic, want[k]) == 0)
        k++;
      else
        others++;
    }
  print_message ("%zu events arrived: %zu lifecycle in order, %zu others of 8 paused/resumed\n", n,
                 k, others);
  assert_int_equal (k, 4);
  assert_true (others < 8); /* the queue was full: some were dropped */
}

static void
a_missing_events_endpoint_delays_no_rpc (void **state)
{
  fx *f = *state;
  /* nobody listens on TTRPC_ADDRESS: every RPC must still answer promptly
   * (each call has a 3 s deadline; a shim that waited for its events would
   * miss it) */
  sc_events_sink_free (f->env.sink);
  f->env.sink = NULL;
  static const char *const args[] = { "sleep", "3600", NULL };
  char *b = bundle (f, "noev", args, false, NULL);
  launch (f, "noev", b);
  f->shim->task.timeout_ms = 3000;
  Containerd__Types__Mount *mnt[] = { rootfs_mount (f) };
  Containerd__Task__V2__CreateTaskRequest cr = CONTAINERD__TASK__V2__CREATE_TASK_REQUEST__INIT;
  cr.id = (char *) "noev";
  cr.bundle = b;
  cr.rootfs = mnt;
  cr.n_rootfs = 1;
  sc_rpc_result r = { 0 };
  assert_int_equal (sc_task_call (&f->shim->task, "Create", &cr.base, NULL, &r), 0);
  sc_rpc_result_release (&r);
  Containerd__Task__V2__StartRequest sr = CONTAINERD__TASK__V2__START_REQUEST__INIT;
  sr.id = (char *) "noev";
  assert_int_equal (sc_task_call (&f->shim->task, "Start", &sr.base, NULL, &r), 0);
  sc_rpc_result_release (&r);
  Containerd__Task__V2__KillRequest k = CONTAINERD__TASK__V2__KILL_REQUEST__INIT;
  k.id = (char *) "noev";
  k.signal = SIGKILL;
  assert_int_equal (sc_task_call (&f->shim->task, "Kill", &k.base, NULL, &r), 0);
  sc_rpc_result_release (&r);
  Containerd__Task__V2__WaitRequest wr = CONTAINERD__TASK__V2__WAIT_REQUEST__INIT;
  wr.id = (char *) "noev";
  assert_int_equal (sc_task_call (&f->shim->task, "Wait", &wr.base, NULL, &r), 0);
  sc_rpc_result_release (&r);
  Containerd__Task__V2__DeleteRequest dr = CONTAINERD__TASK__V2__DELETE_REQUEST__INIT;
  dr.id = (char *) "noev";
  assert_int_equal (sc_task_call (&f->shim->task, "Delete", &dr.base, NULL, &r), 0);
  sc_rpc_result_release (&r);
  free (b);
}

/* An exec's Start pipelined behind a slow job (Pids runs the runtime), then
 * its Delete: the Start was asked first, so the process counts as starting
 * and the Delete is refused; the Start goes through.  The shim once freed the
 * process under the queued Start (use after free, found by task_dispatch). */
static void
exec_delete_pipelined_behind_its_queued_start_is_refused_and_the_start_runs (void **state)
{
  fx *f = *state;
  running_task (f, "q1");
  slot s[3];
  static const char json[] = "{\"args\":[\"sleep\",\"3600\"],\"cwd\":\"/\","
                             "\"env\":[\"PATH=/bin\"],\"user\":{\"uid\":0,\"gid\":0}}";
  Google__Protobuf__Any any;
  sc_any_set (&any, "types.containerd.io/opencontainers/runtime-spec/1/Process", json,
              strlen (json));
  Containerd__Task__V2__ExecProcessRequest er = CONTAINERD__TASK__V2__EXEC_PROCESS_REQUEST__INIT;
  er.id = (char *) "q1";
  er.exec_id = (char *) "x";
  er.spec = &any;
  send (f, "Exec", &er.base, &s[0]);
  sc_any_clear (&any);
  run_batch (f, s, 1, "Exec");
  free_slots (s, 1);

  /* back to back, no reply awaited in between */
  Containerd__Task__V2__PidsRequest pr = CONTAINERD__TASK__V2__PIDS_REQUEST__INIT;
  pr.id = (char *) "q1";
  send (f, "Pids", &pr.base, &s[0]);
  Containerd__Task__V2__StartRequest st = CONTAINERD__TASK__V2__START_REQUEST__INIT;
  st.id = (char *) "q1";
  st.exec_id = (char *) "x";
  send (f, "Start", &st.base, &s[1]);
  Containerd__Task__V2__DeleteRequest dr = CONTAINERD__TASK__V2__DELETE_REQUEST__INIT;
  dr.id = (char *) "q1";
  dr.exec_id = (char *) "x";
  send (f, "Delete", &dr.base, &s[2]);
  batch all = { s, 3 };
  assert_int_equal (sc_loop_run_until (f->env.loop, batch_done, &all, sc_deadline_in_ms (30000)), 0);
  assert_int_equal (s[0].code, SC_OK);
  assert_int_equal (s[1].code, SC_OK);
  if (s[2].code != SC_FAILED_PRECONDITION)
    fail_msg ("Delete of a process whose Start is queued: %s %s", sc_code_name (s[2].code),
              s[2].msg ? s[2].msg : "");
  free_slots (s, 3);

  /* the exec runs; the shim serves on; everything ends cleanly */
  Containerd__Task__V2__StateRequest sr = CONTAINERD__TASK__V2__STATE_REQUEST__INIT;
  sr.id = (char *) "q1";
  sr.exec_id = (char *) "x";
  Containerd__Task__V2__StateResponse *sp = NULL;
  sc_rpc_result r = { 0 };
  assert_int_equal (call (f, "State", &sr.base, (ProtobufCMessage **) &sp, &r), SC_OK);
  assert_int_equal (sp->status, CONTAINERD__V1__TYPES__STATUS__RUNNING);
  containerd__task__v2__state_response__free_unpacked (sp, NULL);
  sc_rpc_result_release (&r);
  Containerd__Task__V2__WaitRequest wr = CONTAINERD__TASK__V2__WAIT_REQUEST__INIT;
  wr.id = (char *) "q1";
  send (f, "Wait", &wr.base, &s[1]);
  Containerd__Task__V2__KillRequest k = CONTAINERD__TASK__V2__KILL_REQUEST__INIT;
  k.id = (char *) "q1";
  k.signal = SIGKILL;
  k.all = true;
  send (f, "Kill", &k.base, &s[0]);
  run_batch (f, s, 2, "Kill all, Wait");
  free_slots (s, 2);
  send (f, "Delete", &dr.base, &s[0]);
  dr.exec_id = (char *) "";
  send (f, "Delete", &dr.base, &s[1]);
  run_batch (f, s, 2, "Delete exec, Delete");
  free_slots (s, 2);
}

/* --- abandoned work ---------------------------------------------------- */

/* how many of pid's fds are unix sockets on the shim's address: its
 * listener and every connection it accepted (an accepted socket carries the
 * listener's name in /proc/net/unix) */
static int
sockets_on (pid_t pid, const sc_shim_address *a)
{
  char want[512];
  snprintf (want, sizeof (want), "%s%s", a->abstract ? "@" : "", a->name);
  FILE *nu = fopen ("/proc/net/unix", "r");
  assert_non_null (nu);
  unsigned long inos[64];
  size_t n_inos = 0;
  char line[1024];
  while (fgets (line, sizeof (line), nu))
    {
      unsigned long ino;
      char path[600] = "";
      if (sscanf (line, "%*s %*s %*s %*s %*s %*s %lu %599s", &ino, path) == 2
          && strcmp (path, want) == 0 && n_inos < 64)
        inos[n_inos++] = ino;
    }
  fclose (nu);
  int count = 0;
  for (int fd = 0; fd < 1024; fd++)
    {
      char p[64], target[128];
      snprintf (p, sizeof (p), "/proc/%d/fd/%d", (int) pid, fd);
      ssize_t len = readlink (p, target, sizeof (target) - 1);
      unsigned long ino;
      if (len < 0)
        continue;
      target[len] = '\0';
      if (sscanf (target, "socket:[%lu]", &ino) != 1)
        continue;
      for (size_t i = 0; i < n_inos; i++)
        if (inos[i] == ino)
          count++;
    }
  return count;
}

static int
lines_in (const char *path)
{
  FILE *fp = fopen (path, "r");
  if (fp == NULL)
    return 0;
  int n = 0, ch;
  while ((ch = fgetc (fp)) != EOF)
    n += ch == '\n';
  fclose (fp);
  return n;
}

#define QUEUE_BOUND 64

/* lets the runtime wrapper's held `ps` go on; true once the gate exists */
static bool
open_gate (const char *gate)
{
  int fd = open (gate, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd >= 0)
    close (fd);
  return fd >= 0;
}

/* 65 Pids pipelined on a second connection while the first one runs (a
 * runtime wrapper holds `ps` at a gate): the 65th is refused
 * ResourceExhausted, a Kill behind them is still taken, and once that client
 * has gone its 63 queued Pids are dropped, not run: exactly one `ps` ran and
 * the Kill then goes through.  (2,000 such Pids once delayed a Kill by 11.7 s.) */
static void
a_gone_clients_queued_pids_are_dropped_and_the_queue_is_bounded (void **state)
{
  fx *f = *state;
  char *count = sc_xasprintf ("%s/ps.count", f->env.dir);
  char *gate = sc_xasprintf ("%s/gate", f->env.dir);
  char *wrapper = sc_xasprintf ("%s/runc-gated", f->env.dir);
  FILE *w = fopen (wrapper, "w");
  assert_non_null (w);
  fprintf (w,
           "#!/bin/sh\n"
           "for a in \"$@\"; do\n"
           "  if [ \"$a\" = ps ]; then\n"
           "    echo ps >>'%s'\n"
           "    i=0\n"
           "    while [ ! -e '%s' ] && [ $i -lt 3000 ]; do sleep 0.01; i=$((i+1)); done\n"
           "    break\n"
           "  fi\n"
           "done\n"
           "exec runc \"$@\"\n",
           count, gate);
  assert_int_equal (fclose (w), 0);
  assert_int_equal (chmod (wrapper, 0755), 0);
  Containerd__Runc__V1__Options o = CONTAINERD__RUNC__V1__OPTIONS__INIT;
  o.binary_name = wrapper;
  Google__Protobuf__Any any;
  sc_any_pack (&any, &o.base);
  running_task_with (f, "ab", &any);
  sc_any_clear (&any);

  pid_t pid = f->shim->reported_pid;
  int before = sockets_on (pid, &f->shim->addr);
  sc_error err = SC_ERROR_INIT;
  sc_ttrpc_client *c2 = NULL;
  if (sc_ttrpc_client_dial_unix (f->env.loop, f->shim->addr.name, f->shim->addr.abstract, 10000,
                                 &c2, &err)
      < 0)
    fail_msg ("second connection: %s", err.msg);
  sc_ttrpc_client_set_namespace (c2, f->env.ns);

  slot *s = calloc (QUEUE_BOUND + 1, sizeof (*s));
  Containerd__Task__V2__PidsRequest pr = CONTAINERD__TASK__V2__PIDS_REQUEST__INIT;
  pr.id = (char *) "ab";
  size_t len;
  uint8_t *buf = sc_pb_pack (&pr.base, &len);
  sc_call_opts co = { .timeout_ms = 60000 };
  for (int i = 0; i <= QUEUE_BOUND; i++)
    sc_ttrpc_call_async (c2, f->shim->task.service, "Pids", buf, len, &co, slot_cb, &s[i]);
  free (buf);
  batch last = { &s[QUEUE_BOUND], 1 };
  if (sc_loop_run_until (f->env.loop, batch_done, &last, sc_deadline_in_ms (10000)) < 0)
    {
      open_gate (gate);
      fail_msg ("Pids #%d with %d queued: no answer in 10 s (ResourceExhausted expected)",
                QUEUE_BOUND + 1, QUEUE_BOUND);
    }
  if (s[QUEUE_BOUND].code != SC_RESOURCE_EXHAUSTED && open_gate (gate))
    fail_msg ("Pids #%d with %d queued: %s %s (ResourceExhausted expected)", QUEUE_BOUND + 1,
              QUEUE_BOUND, sc_code_name (s[QUEUE_BOUND].code),
              s[QUEUE_BOUND].msg ? s[QUEUE_BOUND].msg : "");
  for (int i = 0; i < QUEUE_BOUND; i++)
    if (s[i].done && open_gate (gate))
      fail_msg ("Pids #%d answered (%s) while the first is held at the gate", i + 1,
                sc_code_name (s[i].code));
  assert_int_equal (sockets_on (pid, &f->shim->addr), before + 1);

  /* containerd ends the task while the queue is full */
  slot k;
  Containerd__Task__V2__KillRequest kr = CONTAINERD__TASK__V2__KILL_REQUEST__INIT;
  kr.id = (char *) "ab";
  kr.signal = SIGKILL;
  send (f, "Kill", &kr.base, &k);

  /* the client goes; wait until the shim has closed its end, then open the gate */
  sc_ttrpc_client_free (c2);
  int64_t until = sc_deadline_in_ms (10000);
  while (sockets_on (pid, &f->shim->addr) != before)
    {
      if (sc_now_mono_ns () > until)
        fail_msg ("the shim kept the closed connection open for 10 s");
      sc_loop_run_once (f->env.loop, 10);
    }
  assert_true (open_gate (gate));

  batch kb = { &k, 1 };
  assert_int_equal (sc_loop_run_until (f->env.loop, batch_done, &kb, sc_deadline_in_ms (30000)), 0);
  if (k.code != SC_OK)
    fail_msg ("Kill behind a full queue: %s %s", sc_code_name (k.code), k.msg ? k.msg : "");
  free_slots (&k, 1);
  sc_rpc_result r = { 0 };
  Containerd__Task__V2__WaitRequest wr = CONTAINERD__TASK__V2__WAIT_REQUEST__INIT;
  wr.id = (char *) "ab";
  assert_int_equal (call (f, "Wait", &wr.base, NULL, &r), 0);
  sc_rpc_result_release (&r);
  int ran = lines_in (count);
  if (ran != 1)
    fail_msg ("%d runtime `ps` ran for %d Pids of a client that went away (1 expected: the one "
              "already running)",
              ran, QUEUE_BOUND);
  Containerd__Task__V2__DeleteRequest dr = CONTAINERD__TASK__V2__DELETE_REQUEST__INIT;
  dr.id = (char *) "ab";
  assert_int_equal (call (f, "Delete", &dr.base, NULL, &r), 0);
  sc_rpc_result_release (&r);
  free_slots (s, QUEUE_BOUND + 1);
  free (s);
  free (wrapper);
  free (gate);
  free (count);
}

/* --- the shim's own limits ------------------------------------------------ */

/* Create while the shim has no fd left: ResourceExhausted with the cause,
 * not InvalidArgument (the request was fine: it once said so); with its fds
 * back the same Create succeeds. */
static void
create_at_the_fd_limit_is_resource_exhausted_then_succeeds (void **state)
{
  fx *f = *state;
  running_task (f, "fd1");
  pid_t pid = f->shim->reported_pid;
  int lowest = 0;
  for (;; lowest++)
    {
      char p[64];
      snprintf (p, sizeof (p), "/proc/%d/fd/%d", (int) pid, lowest);
      if (access (p, F_OK) != 0)
        break;
    }
  struct rlimit old, lim;
  assert_int_equal (prlimit (pid, RLIMIT_NOFILE, NULL, &old), 0);
  lim.rlim_cur = (rlim_t) lowest;
  lim.rlim_max = old.rlim_max;
  assert_int_equal (prlimit (pid, RLIMIT_NOFILE, &lim, NULL), 0);
  char *msg = NULL;
  int code = create_task (f, "fd2", NULL, &msg);
  assert_int_equal (prlimit (pid, RLIMIT_NOFILE, &old, NULL), 0);
  if (code != SC_RESOURCE_EXHAUSTED || strstr (msg, "Too many open files") == NULL)
    fail_msg ("Create with no fd left in the shim (limit %d): %s \"%s\" (ResourceExhausted "
              "naming the cause expected)",
              lowest, sc_code_name (code), msg);
  free (msg);
  code = create_task (f, "fd2", NULL, &msg);
  if (code != SC_OK)
    fail_msg ("Create once fds are back: %s \"%s\"", sc_code_name (code), msg);
  free (msg);
  sc_rpc_result r = { 0 };
  Containerd__Task__V2__DeleteRequest dr = CONTAINERD__TASK__V2__DELETE_REQUEST__INIT;
  dr.id = (char *) "fd2";
  assert_int_equal (call (f, "Delete", &dr.base, NULL, &r), 0);
  sc_rpc_result_release (&r);
  end_task (f, "fd1");
}

int
main (int argc, char **argv)
{
  SHIM = argc > 1 ? argv[1] : "build/bin/containerd-shim-ref-v1";
  FAULTY = argc > 2 ? argv[2] : NULL;
  signal (SIGPIPE, SIG_IGN);
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (fifty_tasks_on_one_shim_group_with_execs_all_exit_codes_right,
                                     setup, teardown),
    cmocka_unit_test_setup_teardown (stdin_reaches_cat_and_closeio_gives_eof_stdout_stderr_separate,
                                     setup, teardown),
    cmocka_unit_test_setup_teardown (terminal_exec_output_is_a_tty_stream, setup, teardown),
    cmocka_unit_test_setup_teardown (
      exec_delete_pipelined_behind_its_queued_start_is_refused_and_the_start_runs, setup, teardown),
    cmocka_unit_test_setup_teardown (bad_ids_and_bad_configs_are_rejected_clearly_with_no_events,
                                     setup, teardown),
    cmocka_unit_test_setup_teardown (task_v3_service_answers_and_checkpoint_is_unimplemented,
                                     setup, teardown),
    cmocka_unit_test_setup_teardown (update_changes_the_memory_limit_that_stats_report, setup,
                                     teardown),
    cmocka_unit_test_setup_teardown (events_survive_a_failing_endpoint_and_keep_their_order, setup,
                                     teardown),
    cmocka_unit_test_setup_teardown (a_missing_events_endpoint_delays_no_rpc, setup, teardown),
    cmocka_unit_test_setup_teardown (a_full_event_queue_keeps_every_lifecycle_event, setup, teardown),
    cmocka_unit_test_setup_teardown (an_id_with_a_nul_byte_is_refused_not_cut, setup, teardown),
    cmocka_unit_test_setup_teardown (a_gone_clients_queued_pids_are_dropped_and_the_queue_is_bounded,
                                     setup, teardown),
    cmocka_unit_test_setup_teardown (create_at_the_fd_limit_is_resource_exhausted_then_succeeds,
                                     setup, teardown),
  };
  return cmocka_run_group_tests_name ("refshim", tests, NULL, NULL);
}
