/* Interop with a real shim over runc: our launcher, client and schema against
 * it, and our server (the events sink) as the target of its event
 * publishing.  Run against the REAL containerd-shim-runc-v2 and against our
 * containerd-shim-ref-v1 with the same assertions:
 *   test_interop_shim SHIM_PATH [delete-needs-task]
 * Also: things that are not shims fail clearly within their deadlines and
 * leave nothing behind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle.h"
#include "containerd/events/task.pb-c.h"
#include "env.h"
#include "launcher.h"
#include "oci_spec.h"
#include "pb.h"

static const char *SHIM = "/usr/bin/containerd-shim-runc-v2";
/* runc-v2 reads <bundle>/runtime in delete: it fails when no task was created */
static bool delete_needs_task = false;

typedef struct fx
{
  sc_env env;
  sc_shim *shim;
  char *bundle;
} fx;

static int
setup (void **state)
{
  fx *f = calloc (1, sizeof (*f));
  sc_error err = SC_ERROR_INIT;
  assert_int_equal (sc_become_subreaper (&err), 0);
  if (sc_env_setup (&f->env, "sc-test", &err) < 0)
    fail_msg ("env: %s", err.msg);
  *state = f;
  return 0;
}

static int
teardown (void **state)
{
  fx *f = *state;
  sc_shim_free (f->shim);
  free (f->bundle);
  size_t killed = sc_env_teardown (&f->env, NULL);
  free (f);
  /* the launcher must already have killed everything it spawned */
  assert_int_equal (killed, 0);
  return 0;
}

static void
make_bundle (fx *f, const char *id, const char *const *args, bool rootfs)
{
  sc_error err = SC_ERROR_INIT;
  json_t *spec = sc_oci_default_spec (args, false);
  if (sc_bundle_create (f->env.state, f->env.ns, id, spec, &f->bundle, &err) < 0)
    fail_msg ("bundle: %s", err.msg);
  json_decref (spec);
  if (rootfs)
    {
      char *r = sc_xasprintf ("%s/rootfs", f->bundle);
      if (sc_rootfs_busybox (r, NULL, &err) < 0)
        fail_msg ("rootfs: %s", err.msg);
      free (r);
    }
}

static sc_launch_opts
opts (fx *f, const char *shim, const char *id)
{
  sc_launch_opts o = {
    .shim = shim,
    .ns = f->env.ns,
    .id = id,
    .bundle = f->bundle,
    .grpc_address = f->env.grpc_address,
    .ttrpc_address = f->env.ttrpc_address,
    .start_timeout_ms = 5000,
    .connect_timeout_ms = 5000,
  };
  return o;
}

static void
shim_connect_state_shutdown_delete_and_exit (void **state)
{
  fx *f = *state;
  sc_error err = SC_ERROR_INIT;
  make_bundle (f, "c1", NULL, false);
  sc_launch_opts o = opts (f, SHIM, "c1");
  if (sc_shim_start (f->env.loop, &o, &f->shim, &err) < 0)
    fail_msg ("start: %s", err.msg);
  assert_false (f->shim->addr.abstract);
  assert_non_null (strstr (f->shim->addr.name, "/run/containerd/"));
  assert_int_equal (f->shim->addr.name[0], '/');
  struct stat st;
  assert_int_equal (stat (f->shim->addr.name, &st), 0);
  assert_true (S_ISSOCK (st.st_mode));
  assert_int_equal (sc_shim_connect (f->shim, &err), 0);

  Containerd__Task__V2__ConnectRequest creq = CONTAINERD__TASK__V2__CONNECT_REQUEST__INIT;
  creq.id = (char *) "c1";
  Containerd__Task__V2__ConnectResponse *cresp = NULL;
  sc_rpc_result r = { 0 };
  assert_int_equal (sc_task_call (&f->shim->task, "Connect", &creq.base,
                                  (ProtobufCMessage **) &cresp, &r),
                    SC_OK);
  assert_true (cresp->shim_pid > 0);
  assert_int_equal (cresp->task_pid, 0);
  assert_true (sc_pid_alive ((pid_t) cresp->shim_pid));
  /* it is the daemon, not the start process */
  assert_int_not_equal ((pid_t) cresp->shim_pid, f->shim->start.pid);
  sc_shim_track (f->shim, (pid_t) cresp->shim_pid);
  containerd__task__v2__connect_response__free_unpacked (cresp, NULL);
  sc_rpc_result_release (&r);

  Containerd__Task__V2__StateRequest sreq = CONTAINERD__TASK__V2__STATE_REQUEST__INIT;
  sreq.id = (char *) "nope";
  sc_task_call (&f->shim->task, "State", &sreq.base, NULL, &r);
  assert_int_equal (r.code, SC_NOT_FOUND);
  assert_false (r.local);
  assert_string_equal (r.message, "container not created: not found");
  sc_rpc_result_release (&r);

  Containerd__Task__V2__ShutdownRequest shreq = CONTAINERD__TASK__V2__SHUTDOWN_REQUEST__INIT;
  shreq.id = (char *) "c1";
  sc_task_call (&f->shim->task, "Shutdown", &shreq.base, NULL, &r);
  assert_true (r.code == SC_OK || (r.local && r.code == SC_UNAVAILABLE));
  sc_rpc_result_release (&r);
  sc_shim_disconnect (f->shim);
  assert_int_equal (sc_shim_wait_exit (f->shim, 5000), 0);
  assert_int_equal (stat (f->shim->addr.name, &st), -1);

  sc_run_result run;
  Containerd__Task__V2__DeleteResponse *d = NULL;
  if (delete_needs_task)
    {
      /* no task was created: runc-v2's delete fails reading <bundle>/runtime */
      assert_int_equal (sc_shim_delete (f->shim, NULL, &run, &err), -1);
      assert_true (run.exited);
      assert_non_null (strstr (err.msg, "runtime: no such file or directory"));
    }
  else
    {
      if (sc_shim_delete (f->shim, &d, &run, &err) < 0)
        fail_msg ("delete: %s", err.msg);
      assert_int_equal (d->pid, 0);
      assert_true (sc_ts_is_set (d->exited_at));
      containerd__task__v2__delete_response__free_unpacked (d, NULL);
    }
  sc_run_result_release (&run);
  sc_error_release (&err);
}

static const sc_event *
event_at (fx *f, size_t i)
{
  return sc_events_sink_get (f->env.sink, i);
}

typedef struct wait_ctx
{
  bool done;
  int code;
  uint32_t exit_status;
  bool exited_at_set;
} wait_ctx;

static void
wait_cb (sc_rpc_result *res, void *data)
{
  wait_ctx *w = data;
  w->done = true;
  w->code = res->code;
  if (res->code == SC_OK)
    {
      Containerd__Task__V2__WaitResponse *wr
        = containerd__task__v2__wait_response__unpack (NULL, res->payload_len, res->payload);
      if (wr)
        {
          w->exit_status = wr->exit_status;
          w->exited_at_set = sc_ts_is_set (wr->exited_at);
          containerd__task__v2__wait_response__free_unpacked (wr, NULL);
        }
      else
        w->code = SC_INTERNAL;
    }
}

static bool
wait_done (void *data)
{
  return ((wait_ctx *) data)->done;
}

static void
shim_events_reach_our_sink_in_order_and_decode (void **state)
{
  fx *f = *state;
  sc_error err = SC_ERROR_INIT;
  static const char *const args[] = { "sleep", "3600", NULL };
  make_bundle (f, "task1", args, true);
  sc_launch_opts o = opts (f, SHIM, "task1");
  if (sc_shim_start (f->env.loop, &o, &f->shim, &err) < 0 || sc_shim_connect (f->shim, &err) < 0)
    fail_msg ("launch: %s", err.msg);
  sc_task_client *tc = &f->shim->task;
  sc_rpc_result r = { 0 };

  Containerd__Task__V2__CreateTaskRequest cr = CONTAINERD__TASK__V2__CREATE_TASK_REQUEST__INIT;
  cr.id = (char *) "task1";
  cr.bundle = f->bundle;
  Containerd__Task__V2__CreateTaskResponse *crr = NULL;
  if (sc_task_call (tc, "Create", &cr.base, (ProtobufCMessage **) &crr, &r) != SC_OK)
    fail_msg ("Create: %s: %s (log: %s)", sc_code_name (r.code), r.message,
              f->shim->log ? f->shim->log : "");
  uint32_t pid = crr->pid;
  assert_true (pid > 0);
  containerd__task__v2__create_task_response__free_unpacked (crr, NULL);
  sc_rpc_result_release (&r);

  Containerd__Task__V2__StartRequest sr = CONTAINERD__TASK__V2__START_REQUEST__INIT;
  sr.id = (char *) "task1";
  Containerd__Task__V2__StartResponse *srr = NULL;
  assert_int_equal (sc_task_call (tc, "Start", &sr.base, (ProtobufCMessage **) &srr, &r), SC_OK);
  assert_int_equal (srr->pid, pid);
  containerd__task__v2__start_response__free_unpacked (srr, NULL);
  sc_rpc_result_release (&r);

  /* a Wait blocks in the shim; State on the same connection still answers */
  Containerd__Task__V2__WaitRequest wr = CONTAINERD__TASK__V2__WAIT_REQUEST__INIT;
  wr.id = (char *) "task1";
  size_t wlen;
  uint8_t *wbuf = sc_pb_pack (&wr.base, &wlen);
  wait_ctx wc = { 0 };
  sc_call_opts wo = { .timeout_ms = 20000 };
  sc_ttrpc_call_async (tc->rpc, tc->service, "Wait", wbuf, wlen, &wo, wait_cb, &wc);
  free (wbuf);

  Containerd__Task__V2__StateRequest st = CONTAINERD__TASK__V2__STATE_REQUEST__INIT;
  st.id = (char *) "task1";
  Containerd__Task__V2__StateResponse *str = NULL;
  assert_int_equal (sc_task_call (tc, "State", &st.base, (ProtobufCMessage **) &str, &r), SC_OK);
  assert_int_equal (str->status, CONTAINERD__V1__TYPES__STATUS__RUNNING);
  assert_int_equal (str->pid, pid);
  assert_string_equal (str->id, "task1");
  containerd__task__v2__state_response__free_unpacked (str, NULL);
  sc_rpc_result_release (&r);

  Containerd__Task__V2__KillRequest kr = CONTAINERD__TASK__V2__KILL_REQUEST__INIT;
  kr.id = (char *) "task1";
  kr.signal = SIGKILL;
  assert_int_equal (sc_task_call (tc, "Kill", &kr.base, NULL, &r), SC_OK);
  sc_rpc_result_release (&r);

  long exit_idx = sc_events_sink_wait_topic (f->env.sink, "/tasks/exit", 0, 10000);
  assert_true (exit_idx >= 0);
  assert_int_equal (sc_loop_run_until (f->env.loop, wait_done, &wc, sc_deadline_in_ms (10000)), 0);
  assert_int_equal (wc.code, SC_OK);
  assert_int_equal (wc.exit_status, 137);
  assert_true (wc.exited_at_set);

  /* create -> start -> exit, each decoded with our schema */
  assert_true (sc_events_sink_count (f->env.sink) >= 3);
  const char *topics[] = { "/tasks/create", "/tasks/start", "/tasks/exit" };
  for (int i = 0; i < 3; i++)
    {
      const sc_event *e = event_at (f, (size_t) i);
      assert_string_equal (e->topic, topics[i]);
      assert_string_equal (e->ns, f->env.ns);
      assert_non_null (e->md_ns);
      assert_string_equal (e->md_ns, f->env.ns);
      assert_true (sc_ts_is_set (&e->timestamp));
      assert_non_null (e->msg);
    }
  const Containerd__Events__TaskCreate *ce = (const void *) event_at (f, 0)->msg;
  assert_string_equal (event_at (f, 0)->type_url, "containerd.events.TaskCreate");
  assert_string_equal (ce->container_id, "task1");
  assert_string_equal (ce->bundle, f->bundle);
  assert_int_equal (ce->pid, pid);
  assert_non_null (ce->io); /* always present, even when empty */
  const Containerd__Events__TaskStart *se = (const void *) event_at (f, 1)->msg;
  assert_string_equal (se->container_id, "task1");
  assert_int_equal (se->pid, pid);
  const Containerd__Events__TaskExit *ee = (const void *) event_at (f, (size_t) exit_idx)->msg;
  assert_string_equal (ee->container_id, "task1");
  assert_string_equal (ee->id, "task1");
  assert_int_equal (ee->pid, pid);
  assert_int_equal (ee->exit_status, 137);
  assert_true (sc_ts_is_set (ee->exited_at));

  /* Delete reports the status and publishes /tasks/delete */
  Containerd__Task__V2__DeleteRequest dr = CONTAINERD__TASK__V2__DELETE_REQUEST__INIT;
  dr.id = (char *) "task1";
  Containerd__Task__V2__DeleteResponse *drr = NULL;
  assert_int_equal (sc_task_call (tc, "Delete", &dr.base, (ProtobufCMessage **) &drr, &r), SC_OK);
  assert_int_equal (drr->pid, pid);
  assert_int_equal (drr->exit_status, 137);
  containerd__task__v2__delete_response__free_unpacked (drr, NULL);
  sc_rpc_result_release (&r);
  long del_idx = sc_events_sink_wait_topic (f->env.sink, "/tasks/delete", 0, 5000);
  assert_true (del_idx > exit_idx);
  const Containerd__Events__TaskDelete *de = (const void *) event_at (f, (size_t) del_idx)->msg;
  assert_string_equal (de->container_id, "task1");
  assert_int_equal (de->exit_status, 137);
  assert_int_equal (sc_events_sink_rejected (f->env.sink), 0);

  Containerd__Task__V2__ConnectRequest cq = CONTAINERD__TASK__V2__CONNECT_REQUEST__INIT;
  cq.id = (char *) "task1";
  Containerd__Task__V2__ConnectResponse *cqr = NULL;
  assert_int_equal (sc_task_call (tc, "Connect", &cq.base, (ProtobufCMessage **) &cqr, &r), SC_OK);
  sc_shim_track (f->shim, (pid_t) cqr->shim_pid);
  containerd__task__v2__connect_response__free_unpacked (cqr, NULL);
  sc_rpc_result_release (&r);

  Containerd__Task__V2__ShutdownRequest sh = CONTAINERD__TASK__V2__SHUTDOWN_REQUEST__INIT;
  sh.id = (char *) "task1";
  sc_task_call (tc, "Shutdown", &sh.base, NULL, &r);
  sc_rpc_result_release (&r);
  sc_shim_disconnect (f->shim);
  assert_int_equal (sc_shim_wait_exit (f->shim, 5000), 0);

  /* after a real task, `delete` succeeds and prints a raw DeleteResponse */
  Containerd__Task__V2__DeleteResponse *bd = NULL;
  if (sc_shim_delete (f->shim, &bd, NULL, &err) < 0)
    fail_msg ("delete: %s", err.msg);
  assert_int_equal (bd->exit_status, 137);
  assert_true (sc_ts_is_set (bd->exited_at));
  containerd__task__v2__delete_response__free_unpacked (bd, NULL);
}

/* --- things that are not shims --- */

static char *
script (fx *f, const char *name, const char *body)
{
  char *p = sc_xasprintf ("%s/%s", f->env.dir, name);
  FILE *fp = fopen (p, "w");
  fprintf (fp, "#!/bin/sh\n%s\n", body);
  fclose (fp);
  chmod (p, 0755);
  return p;
}

static void
expect_start_failure (fx *f, const char *shim, int64_t timeout_ms, const char *needle,
                      int64_t max_ms)
{
  sc_error err = SC_ERROR_INIT;
  sc_launch_opts o = opts (f, shim, "bad");
  o.start_timeout_ms = timeout_ms;
  o.connect_timeout_ms = 500;
  int64_t t0 = sc_now_mono_ns ();
  int rc = sc_shim_start (f->env.loop, &o, &f->shim, &err);
  if (rc == 0)
    rc = sc_shim_connect (f->shim, &err);
  int64_t ms = (sc_now_mono_ns () - t0) / 1000000;
  assert_int_equal (rc, -1);
  if (strstr (err.msg, needle) == NULL)
    fail_msg ("error \"%s\" does not mention \"%s\"", err.msg, needle);
  assert_true (ms <= max_ms);
  sc_shim_free (f->shim);
  f->shim = NULL;
  pid_t *left;
  size_t n = sc_proc_descendants (getpid (), &left);
  if (n > 0)
    {
      char comm[32];
      fail_msg ("%s left %zu process(es) behind, first %d (%s)", shim, n, (int) left[0],
                sc_pid_comm (left[0], comm, sizeof (comm)));
    }
  free (left);
  sc_error_release (&err);
}

static void
not_a_shim_fails_clearly_within_deadline_and_leaves_nothing (void **state)
{
  fx *f = *state;
  make_bundle (f, "bad", NULL, false);
  expect_start_failure (f, "/bin/false", 2000, "shim start exited 1", 2000);
  char *s = script (f, "hang", "sleep 1000");
  expect_start_failure (f, s, 500, "did not exit within 0.5 s", 1500);
  free (s);
  s = script (f, "liar", "echo unix:///nonexistent/nobody.sock");
  expect_start_failure (f, s, 2000,
                        "unix:///nonexistent/nobody.sock: a socket outside the shim socket "
                        "directories; refusing to connect",
                        2000);
  free (s);
  /* where a shim socket may be, but nobody listens: the connect step says so */
  s = script (f, "deaf", "echo unix:///run/containerd/sc-interop-nobody.sock");
  mkdir ("/run/containerd", 0711);
  expect_start_failure (f, s, 2000, "connect to shim address unix:///run/containerd/sc-interop-nobody.sock",
                        2000);
  free (s);
  s = script (f, "holder", "sleep 1000 &\necho unix:///x.sock");
  expect_start_failure (f, s, 2000, "stayed open", 2500);
  free (s);
  s = script (f, "crash", "kill -SEGV $$");
  expect_start_failure (f, s, 2000, "killed by signal 11", 2000);
  free (s);
  s = script (f, "chatty", "echo starting up >&2\necho unix:///run/x.sock");
  expect_start_failure (f, s, 2000, "more than one line", 2000);
  free (s);
  expect_start_failure (f, "/nonexistent/containerd-shim-x-v1", 2000, "No such file", 100);
}

int
main (int argc, char **argv)
{
  if (argc > 1)
    SHIM = argv[1];
  delete_needs_task = argc > 2 && strcmp (argv[2], "delete-needs-task") == 0;
  if (access (SHIM, X_OK) != 0 || geteuid () != 0)
    {
      fprintf (stderr, "interop needs root and %s (ci/bootstrap.sh installs it)\n", SHIM);
      return 1;
    }
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (shim_connect_state_shutdown_delete_and_exit, setup,
                                     teardown),
    cmocka_unit_test_setup_teardown (shim_events_reach_our_sink_in_order_and_decode, setup,
                                     teardown),
    cmocka_unit_test_setup_teardown (not_a_shim_fails_clearly_within_deadline_and_leaves_nothing,
                                     setup, teardown),
  };
  return cmocka_run_group_tests_name (SHIM, tests, NULL, NULL);
}
