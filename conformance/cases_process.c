/* Conformance cases: exec, exit, cleanup. */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cases.h"
#include "containerd/runc/options.pb-c.h"
#include "pb.h"

static const char *const SLEEP[] = { "sleep", "3600", NULL };

static uint32_t
wait_status (sc_t *t, const char *id, const char *exec_id)
{
  uint32_t st = 0;
  T_OK (t, t_wait (t, id, exec_id, &st, NULL, NULL), "Wait");
  return st;
}

/* an exec started in the running task c1, with stdout/stderr FIFOs */
static uint32_t
started_exec (sc_t *t, const char *exec_id, const char *const *args, sc_io *io)
{
  if (io)
    t_io (t, exec_id, false, true, io);
  T_OK (t, t_exec (t, "c1", exec_id, args, io, false, NULL), "Exec");
  uint32_t pid = 0;
  T_OK (t, t_start (t, "c1", exec_id, &pid, NULL), "exec Start");
  return pid;
}

/* ------------------------------------------------------------------ exec */

CASE (exec_exit_code)
{
  t_running (t, "c1", SLEEP);
  static const char *const a[] = { "sh", "-c", "exit 6", NULL };
  started_exec (t, "e1", a, NULL);
  uint32_t st = wait_status (t, "c1", "e1");
  t_note (t, "exec Wait -> %u", st);
  T_REQUIRE (t, st == 6, "exec exit status %u, want 6", st);
  Containerd__Task__V2__DeleteResponse *d = NULL;
  T_OK (t, t_delete (t, "c1", "e1", &d, NULL), "exec Delete");
  uint32_t ds = d->exit_status;
  T_REQUIRE (t, ds == 6, "exec Delete exit status %u, want 6", ds);
}

CASE (exec_wait_after_exit)
{
  /* TestWaitStoppedProcess: a Wait before Start returns at the exit; a
   * second Wait, asked after the exec has exited, returns the same status
   * at once (containerd waits again whenever it reloads a process) */
  t_running (t, "c1", SLEEP);
  static const char *const a[] = { "sh", "-c", "exit 6", NULL };
  T_OK (t, t_exec (t, "c1", "e1", a, NULL, false, NULL), "Exec");
  sc_waiter *first = t_wait_async (t, "c1", "e1");
  T_OK (t, t_start (t, "c1", "e1", NULL, NULL), "exec Start");
  T_REQUIRE (t, t_wait_for (t, first, 10000), "the Wait asked before Start did not answer");
  T_REQUIRE (t, first->code == 0 && first->status == 6, "the first Wait: %s, exit %u (want 6)",
             sc_code_name (first->code), first->status);
  sc_waiter *again = t_wait_async (t, "c1", "e1");
  T_REQUIRE (t, t_wait_for (t, again, 5000), "a Wait asked after the exec exited did not answer within 5 s");
  t_note (t, "Wait before Start -> %u; Wait after the exit -> %s, %u", first->status, sc_code_name (again->code),
          again->status);
  T_REQUIRE (t, again->code == 0 && again->status == 6, "the Wait after the exit: %s, exit %u (want 6)",
             sc_code_name (again->code), again->status);
}

CASE (exec_output)
{
  t_running (t, "c1", SLEEP);
  static const char *const a[] = { "sh", "-c", "echo exec-out; echo exec-err >&2", NULL };
  sc_io io;
  started_exec (t, "e1", a, &io);
  char *out = t_io_read (t, io.out_fd, 10000, NULL);
  char *err = t_io_read (t, io.err_fd, 10000, NULL);
  t_note (t, "stdout \"%s\" stderr \"%s\"", out, err);
  T_REQUIRE (t, strcmp (out, "exec-out\n") == 0 && strcmp (err, "exec-err\n") == 0,
             "exec output differs");
  free (out);
  free (err);
  t_io_close (&io);
}

CASE (exec_event_order)
{
  t_running (t, "c1", SLEEP);
  static const char *const a[] = { "sh", "-c", "exit 5", NULL };
  uint32_t pid = started_exec (t, "e1", a, NULL);
  wait_status (t, "c1", "e1");
  const sc_event *ex = t_event (t, "/tasks/exit", "c1", "e1", 5000);
  const sc_event *st = t_event (t, "/tasks/exec-started", "c1", "e1", 1000);
  const sc_event *ad = t_event (t, "/tasks/exec-added", "c1", "e1", 1000);
  char *topics = t_topics (t, "c1");
  t_note (t, "events: %s", topics);
  free (topics);
  T_REQUIRE (t, ad->seq < st->seq && st->seq < ex->seq, "order must be exec-added, exec-started, exit");
  T_REQUIRE (t, st->msg && ((const Containerd__Events__TaskExecStarted *) st->msg)->pid == pid,
             "exec-started pid differs from Start's %u", pid);
  const Containerd__Events__TaskExit *e = (const void *) ex->msg;
  T_REQUIRE (t, e && e->pid == pid && e->exit_status == 5, "exit event pid/status wrong");
}

CASE (exec_duplicate_rejected)
{
  t_running (t, "c1", SLEEP);
  T_OK (t, t_exec (t, "c1", "e1", SLEEP, NULL, false, NULL), "Exec");
  T_NOT_OK (t, t_exec (t, "c1", "e1", SLEEP, NULL, false, NULL), "second Exec of e1");
}

CASE (exec_duplicate_already_exists)
{
  t_running (t, "c1", SLEEP);
  T_OK (t, t_exec (t, "c1", "e1", SLEEP, NULL, false, NULL), "Exec");
  T_CODE (t, t_exec (t, "c1", "e1", SLEEP, NULL, false, NULL), SC_ALREADY_EXISTS, "second Exec of e1");
}

CASE (exec_missing_binary_fails)
{
  t_running (t, "c1", SLEEP);
  static const char *const a[] = { "notfound404", NULL };
  char *msg = NULL;
  int code = t_exec (t, "c1", "e1", a, NULL, false, &msg);
  if (code == 0)
    {
      free (msg);
      code = t_start (t, "c1", "e1", NULL, &msg);
    }
  t_not_ok (t, code, &msg, "Exec/Start of a missing binary");
  sc_events_sink_wait_count (t->env.sink, 100, t_ms (t, 300));
  T_REQUIRE (t, t_count_events (t, "/tasks/exec-started", "c1", "e1") == 0,
             "exec-started published for an exec that failed");
}

CASE (exec_while_paused_rejected)
{
  t_running (t, "c1", SLEEP);
  char *msg = NULL;
  int pc = t_simple (t, "Pause", "c1", &msg);
  if (pc == SC_UNIMPLEMENTED)
    t_skip (t, "Pause is not implemented by this shim");
  t_ok (t, pc, &msg, "Pause");
  int code = t_exec (t, "c1", "e1", SLEEP, NULL, false, &msg);
  if (code == 0)
    code = t_start (t, "c1", "e1", NULL, &msg);
  t_not_ok (t, code, &msg, "Exec in a paused task");
  t_simple (t, "Resume", "c1", NULL);
}

/* TestIssue10589: an exec whose Start is inside the runtime when the init
 * is killed from outside, and a second exec started after that.  Both
 * Starts must fail (the container is gone), neither may be reported as
 * started, and the init's TaskExit is the container's last exit.  The
 * runtime is a wrapper that holds every `exec` until the case lets it go,
 * as containerd's test does with its runc-fp failpoint. */
CASE (exec_after_init_exit_rejected)
{
  char *dir = t->env.dir;
  char *ready = t_keep_str (t, sc_xasprintf ("%s/exec-ready", dir));
  char *go = t_keep_str (t, sc_xasprintf ("%s/exec-go", dir));
  char *wrapper = t_keep_str (t, sc_xasprintf ("%s/gated-runc", dir));
  char *text = t_keep_str (t, sc_xasprintf ("#!/bin/sh\n"
                                            "for a in \"$@\"; do\n"
                                            "  if [ \"$a\" = exec ]; then\n"
                                            "    : > '%s'\n"
                                            "    while [ ! -e '%s' ]; do sleep 0.01; done\n"
                                            "    break\n"
                                            "  fi\n"
                                            "done\n"
                                            "exec runc \"$@\"\n",
                                            ready, go));
  t_write_file (t, wrapper, text, 0755);
  Google__Protobuf__Any any;
  t_options_any (wrapper, &any);
  uint32_t pid = t_create_with_options (t, "c1", SLEEP, &any, "Create with a runtime that holds exec");
  T_OK (t, t_start (t, "c1", NULL, NULL, NULL), "Start");
  T_OK (t, t_exec (t, "c1", "e1", SLEEP, NULL, false, NULL), "Exec e1");
  Containerd__Task__V2__StartRequest s1 = CONTAINERD__TASK__V2__START_REQUEST__INIT;
  s1.id = (char *) "c1";
  s1.exec_id = (char *) "e1";
  sc_waiter *w1 = t_call_async (t, "Start", &s1.base);
  T_REQUIRE (t, t_wait_file (t, ready, 10000), "the runtime's exec for e1 never began");
  /* the init dies from outside while e1's exec is inside the runtime */
  T_REQUIRE (t, kill ((pid_t) pid, SIGKILL) == 0, "kill %u: %s", pid, strerror (errno));
  T_OK (t, t_exec (t, "c1", "e2", SLEEP, NULL, false, NULL), "Exec e2");
  Containerd__Task__V2__StartRequest s2 = s1;
  s2.exec_id = (char *) "e2";
  sc_waiter *w2 = t_call_async (t, "Start", &s2.base);
  t_write_file (t, go, "", 0644);
  T_REQUIRE (t, t_wait_for (t, w1, 20000) && t_wait_for (t, w2, 20000), "exec Start did not answer within 20 s");
  t_note (t, "e1 (held in the runtime as the init died): Start %s \"%s\"; e2 (after): Start %s \"%s\"",
          sc_code_name (w1->code), w1->message ? w1->message : "", sc_code_name (w2->code),
          w2->message ? w2->message : "");
  uint32_t st = 0;
  T_OK (t, t_wait (t, "c1", NULL, &st, NULL, NULL), "Wait for the init");
  T_EQ (t, st, 137);
  T_REQUIRE (t, t_event (t, "/tasks/exit", "c1", "c1", 5000) != NULL, "no TaskExit for the init");
  sc_events_sink_wait_count (t->env.sink, 100, t_ms (t, 300)); /* anything late arrives now */
  T_REQUIRE (t, w1->code != 0, "exec e1 Start succeeded in a container whose init died while it was starting");
  T_REQUIRE (t, w2->code != 0, "exec e2 Start succeeded after the init exited");
  char *topics = t_topics (t, "c1");
  t_note (t, "events: %s", topics);
  /* the init's exit is the container's last exit, and no exec started */
  size_t n = sc_events_sink_count (t->env.sink);
  long init_exit = -1, last_exit = -1, started = -1;
  for (size_t i = 0; i < n; i++)
    {
      const sc_event *e = sc_events_sink_get (t->env.sink, i);
      if (e->msg == NULL)
        continue;
      if (strcmp (e->topic, "/tasks/exit") == 0)
        {
          const Containerd__Events__TaskExit *x = (const void *) e->msg;
          if (strcmp (x->container_id, "c1") != 0)
            continue;
          last_exit = (long) i;
          if (strcmp (x->id, "c1") == 0)
            init_exit = (long) i;
        }
      if (strcmp (e->topic, "/tasks/exec-started") == 0)
        started = (long) i;
    }
  free (topics);
  T_REQUIRE (t, started < 0, "an exec whose Start failed was published as started");
  T_REQUIRE (t, t_count_events (t, "/tasks/exit", "c1", "c1") == 1, "the init has %zu TaskExit events",
             t_count_events (t, "/tasks/exit", "c1", "c1"));
  T_REQUIRE (t, init_exit == last_exit, "an exec's TaskExit came after the init's");
}

CASE (exec_user_cwd_env)
{
  /* the process spec containerd sends: its user, cwd and env are the
   * exec's, not the init's */
  t_running (t, "c1", SLEEP);
  sc_io io;
  t_io (t, "e1", false, true, &io);
  const char *js = "{\"args\":[\"sh\",\"-c\",\"id -u; id -g; pwd; echo $SC_MARK\"],\"cwd\":\"/tmp\","
                   "\"env\":[\"PATH=/bin:/usr/bin:/sbin:/usr/sbin\",\"SC_MARK=exec-env\"],"
                   "\"user\":{\"uid\":65534,\"gid\":65534},\"terminal\":false}";
  T_OK (t, t_exec_json (t, "c1", "e1", js, &io, false, NULL), "Exec as uid 65534 in /tmp with SC_MARK");
  T_OK (t, t_start (t, "c1", "e1", NULL, NULL), "exec Start");
  char *out = t_keep_str (t, t_io_read (t, io.out_fd, 10000, NULL));
  t_io_close (&io);
  t_note (t, "the exec printed \"%s\"", out);
  T_REQUIRE (t, strcmp (out, "65534\n65534\n/tmp\nexec-env\n") == 0,
             "the exec's uid, gid, cwd or env are not the process spec's (want 65534, 65534, /tmp, exec-env)");
}

CASE (exec_kill_running_exec)
{
  uint32_t init = t_running (t, "c1", SLEEP);
  started_exec (t, "e1", SLEEP, NULL);
  T_OK (t, t_kill (t, "c1", "e1", SIGKILL, false, NULL), "Kill of the running exec");
  uint32_t st = wait_status (t, "c1", "e1");
  Containerd__Task__V2__StateResponse *r = NULL;
  T_OK (t, t_state (t, "c1", NULL, &r, NULL), "State of the init");
  t_note (t, "exec Wait %u; the init (pid %u) is %s", st, init,
          r->status == CONTAINERD__V1__TYPES__STATUS__RUNNING ? "RUNNING" : "not RUNNING");
  T_EQ (t, st, 137);
  T_REQUIRE (t, r->status == CONTAINERD__V1__TYPES__STATUS__RUNNING && sc_pid_alive ((pid_t) init),
             "Kill of an exec reached the init");
  /* State alone can race: when the init of a pid namespace dies, the
   * kernel kills and reaps the rest before the init itself is reaped, so
   * the exec's exit can be seen while the init still looks alive.  A new
   * exec cannot: a dying pid namespace takes no new processes. */
  static const char *const a[] = { "echo", "alive", NULL };
  sc_io io;
  started_exec (t, "e2", a, &io);
  char *out = t_keep_str (t, t_io_read (t, io.out_fd, 10000, NULL));
  t_io_close (&io);
  uint32_t st2 = wait_status (t, "c1", "e2");
  t_note (t, "a second exec printed \"%s\" and exited %u", out, st2);
  T_REQUIRE (t, strcmp (out, "alive\n") == 0 && st2 == 0,
             "a second exec after the Kill did not run (printed \"%s\", exit %u): the init's namespace is gone", out,
             st2);
}

CASE (exec_delete_running_rejected)
{
  t_running (t, "c1", SLEEP);
  started_exec (t, "e1", SLEEP, NULL);
  char *msg = NULL;
  int code = t_delete (t, "c1", "e1", NULL, &msg);
  t_not_ok (t, code, &msg, "Delete of a running exec");
  T_OK (t, t_state (t, "c1", "e1", NULL, NULL), "State of the exec after the refused Delete");
  T_OK (t, t_kill (t, "c1", "e1", SIGKILL, false, NULL), "Kill of the exec");
  wait_status (t, "c1", "e1");
  T_OK (t, t_delete (t, "c1", "e1", NULL, NULL), "Delete of the exited exec");
}

CASE (exec_kill_exited_notfound)
{
  t_running (t, "c1", SLEEP);
  static const char *const a[] = { "true", NULL };
  started_exec (t, "e1", a, NULL);
  wait_status (t, "c1", "e1");
  char *msg = NULL;
  int code = t_kill (t, "c1", "e1", SIGKILL, false, &msg);
  t_note (t, "Kill of an exited exec -> %s \"%s\"", sc_code_name (code), msg ? msg : "");
  free (msg);
  T_REQUIRE (t, code == SC_NOT_FOUND, "Kill of an exited exec answered %s, not NotFound (what runc's shim says)",
             sc_code_name (code));
}

CASE (exec_background_child_holds_stdout)
{
  /* the exec exits, a child it left in the background keeps its stdout
   * open: the exec's exit still arrives, and Delete does not wait for the
   * child */
  t_running (t, "c1", SLEEP);
  static const char *const a[] = { "sh", "-c", "sleep 30 & echo started", NULL };
  sc_io io;
  started_exec (t, "e1", a, &io);
  sc_waiter *w = t_wait_async (t, "c1", "e1");
  T_REQUIRE (t, t_wait_for (t, w, 5000), "the exec's Wait did not answer within 5 s of its exit");
  int64_t t0 = sc_now_mono_ns ();
  T_OK (t, t_delete (t, "c1", "e1", NULL, NULL), "exec Delete");
  double ms = (sc_now_mono_ns () - t0) / 1e6;
  t_note (t, "exec exit %u; its Delete took %.0f ms with the background child still holding stdout", w->status, ms);
  t_io_close (&io);
  T_EQ (t, w->status, 0);
  T_REQUIRE (t, ms < 10000, "exec Delete waited %.0f ms for a child's stdout", ms);
}

CASE (exec_large_argument)
{
  t_running (t, "c1", SLEEP);
  char *big = sc_xmalloc (20001);
  memset (big, 'x', 20000);
  big[20000] = '\0';
  const char *const a[] = { "sh", "-c", "echo ${#1}", "sh", big, NULL };
  sc_io io;
  started_exec (t, "e1", a, &io);
  char *out = t_io_read (t, io.out_fd, 10000, NULL);
  t_note (t, "a 20000-character argument arrived as %s characters", out);
  T_REQUIRE (t, strcmp (out, "20000\n") == 0, "argument length seen: %s", out);
  free (out);
  free (big);
  t_io_close (&io);
}

CASE (exec_terminal)
{
  t_running (t, "c1", SLEEP);
  sc_io io;
  t_io (t, "e1", false, false, &io);
  static const char *const a[] = { "sh", "-c", "tty; echo tty-exec", NULL };
  T_OK (t, t_exec (t, "c1", "e1", a, &io, true, NULL), "Exec with a terminal");
  T_OK (t, t_start (t, "c1", "e1", NULL, NULL), "exec Start");
  char *out = t_io_read (t, io.out_fd, 10000, NULL);
  t_note (t, "tty output: %s", out);
  T_REQUIRE (t, strstr (out, "/dev/pts/") && strstr (out, "tty-exec\r\n"),
             "not a terminal stream (no /dev/pts, no CRLF)");
  free (out);
  t_io_close (&io);
}

CASE (exec_resize_pty)
{
  /* `ctr task exec -t` resizes the exec's terminal after its Start with
   * ResizePty{id, exec_id}: the size must reach that exec's pty, not the
   * init's.  The exec waits (5 s at most) until its terminal has the size. */
  t_running (t, "c1", SLEEP);
  sc_io io;
  t_io (t, "e1", false, false, &io);
  static const char *const a[] = { "sh", "-c",
                                   "i=0; while [ \"$(stty size)\" != '33 77' ] && [ $i -lt 100 ]; do "
                                   "sleep 0.05; i=$((i+1)); done; echo size $(stty size)",
                                   NULL };
  T_OK (t, t_exec (t, "c1", "e1", a, &io, true, NULL), "Exec with a terminal");
  T_OK (t, t_start (t, "c1", "e1", NULL, NULL), "exec Start");
  Containerd__Task__V2__ResizePtyRequest r = CONTAINERD__TASK__V2__RESIZE_PTY_REQUEST__INIT;
  r.id = (char *) "c1";
  r.exec_id = (char *) "e1";
  r.width = 77;
  r.height = 33;
  T_OK (t, t_rpc (t, "ResizePty", &r.base, NULL, NULL), "ResizePty of the exec");
  char *out = t_keep_str (t, t_io_read (t, io.out_fd, 10000, NULL));
  t_note (t, "the exec printed: %s", out);
  T_REQUIRE (t, strstr (out, "size 33 77") != NULL,
             "the exec's terminal never got the size ResizePty asked for (33 rows, 77 columns): %s", out);
  uint32_t st = 0;
  T_OK (t, t_wait (t, "c1", "e1", &st, NULL, NULL), "exec Wait");
  t_io_close (&io);
}

/* `seq 1 n` as a tty shows it: every line ends in CRLF */
static char *
seq_on_tty (int n, size_t *len)
{
  size_t cap = (size_t) n * 9 + 1, k = 0;
  char *s = sc_xmalloc (cap);
  for (int i = 1; i <= n; i++)
    k += (size_t) snprintf (s + k, cap - k, "%d\r\n", i);
  *len = k;
  return s;
}

CASE (exec_terminal_output_complete)
{
  t_running (t, "c1", SLEEP);
  enum { RUNS = 10, LINES = 100000 };
  size_t want_len;
  char *want = t_keep_str (t, seq_on_tty (LINES, &want_len));
  static const char *const a[] = { "seq", "1", "100000", NULL };
  for (int run = 0; run < RUNS; run++)
    {
      char id[8];
      snprintf (id, sizeof (id), "t%d", run);
      sc_io io;
      t_io (t, id, false, false, &io);
      T_OK (t, t_exec (t, "c1", id, a, &io, true, NULL), "Exec with a terminal");
      sc_waiter *w = t_wait_async (t, "c1", id);
      T_OK (t, t_start (t, "c1", id, NULL, NULL), "exec Start");
      /* read as a client does, to the end of the stream: the shim ends it
       * once it has copied everything */
      size_t n = 0;
      char *out = t_keep_str (t, t_io_read (t, io.out_fd, 20000, &n));
      T_REQUIRE (t, t_wait_for (t, w, t_ms (t, 10000)), "exec Wait: no answer");
      uint32_t st = w->status;
      T_OK (t, t_delete (t, "c1", id, NULL, NULL), "exec Delete");
      t_io_close (&io);
      size_t same = 0;
      while (same < n && same < want_len && out[same] == want[same])
        same++;
      if (n != want_len || same != n)
        t_fail (t, "tty exec %d of %d: %zu of %zu bytes arrived, identical up to byte %zu (exit %u)",
                run + 1, RUNS, n, want_len, same, st);
    }
  t_note (t, "%d tty execs of `seq 1 %d`: %zu bytes each, all complete", RUNS, LINES, want_len);
}

CASE (exec_pids_with_details)
{
  uint32_t init = t_running (t, "c1", SLEEP);
  uint32_t epid = started_exec (t, "e1", SLEEP, NULL);
  Containerd__Task__V2__PidsRequest q = CONTAINERD__TASK__V2__PIDS_REQUEST__INIT;
  q.id = (char *) "c1";
  Containerd__Task__V2__PidsResponse *r = NULL;
  T_OK (t, t_rpc (t, "Pids", &q.base, (ProtobufCMessage **) &r, NULL), "Pids");
  bool has_init = false, has_exec = false;
  for (size_t i = 0; i < r->n_processes; i++)
    {
      Containerd__V1__Types__ProcessInfo *p = r->processes[i];
      has_init |= p->pid == init;
      if (p->pid == epid && p->info)
        {
          Containerd__Runc__V1__ProcessDetails *d
            = (void *) sc_any_unpack (p->info, &containerd__runc__v1__process_details__descriptor);
          has_exec = d && strcmp (d->exec_id, "e1") == 0;
          if (d)
            protobuf_c_message_free_unpacked (&d->base, NULL);
        }
    }
  t_note (t, "%zu pids; init %u %s, exec %u %s", r->n_processes, init, has_init ? "listed" : "MISSING",
          epid, has_exec ? "with ProcessDetails{e1}" : "WITHOUT details");
  T_REQUIRE (t, has_init && has_exec, "Pids must list the init and the exec with its exec_id");
}

CASE (exec_delete_never_started)
{
  t_running (t, "c1", SLEEP);
  T_OK (t, t_exec (t, "c1", "e1", SLEEP, NULL, false, NULL), "Exec");
  Containerd__Task__V2__DeleteResponse *d = NULL;
  T_OK (t, t_delete (t, "c1", "e1", &d, NULL), "Delete of a never started exec");
  uint32_t st = d->exit_status;
  t_note (t, "exit_status %u", st);
  T_REQUIRE (t, st == 0, "want exit status 0 (TestDeleteContainerExecCreated)");
}

CASE (exec_state)
{
  t_running (t, "c1", SLEEP);
  uint32_t pid = started_exec (t, "e1", SLEEP, NULL);
  Containerd__Task__V2__StateResponse *s = NULL;
  T_OK (t, t_state (t, "c1", "e1", &s, NULL), "State of the exec");
  t_note (t, "State id %s pid %u status %d", s->id, s->pid, s->status);
  bool ok = s->pid == pid && s->status == CONTAINERD__V1__TYPES__STATUS__RUNNING;
  T_REQUIRE (t, ok, "exec State must be RUNNING with the started pid");
}

CASE (exec_unknown_state_notfound)
{
  t_running (t, "c1", SLEEP);
  T_CODE (t, t_state (t, "c1", "zz", NULL, NULL), SC_NOT_FOUND, "State of an unknown exec");
}

/* ------------------------------------------------------------------ exit */

CASE (exit_wait_zero)
{
  static const char *const a[] = { "true", NULL };
  t_running (t, "c1", a);
  uint32_t st = wait_status (t, "c1", NULL);
  t_note (t, "exit %u", st);
  T_REQUIRE (t, st == 0, "want 0");
}

CASE (exit_wait_code)
{
  static const char *const a[] = { "sh", "-c", "exit 7", NULL };
  t_running (t, "c1", a);
  uint32_t st = wait_status (t, "c1", NULL);
  Containerd__Task__V2__DeleteResponse *d = NULL;
  T_OK (t, t_delete (t, "c1", NULL, &d, NULL), "Delete");
  uint32_t ds = d->exit_status;
  t_note (t, "Wait %u, Delete %u", st, ds);
  T_REQUIRE (t, st == 7 && ds == 7, "want 7 from both (TestContainerStart)");
}

/* a task that exceeds a 16 MiB memory limit (busybox tail buffers
 * /dev/zero, which has no newline, until the kernel kills it) */
static void
oom_task (sc_t *t)
{
  static const char *const a[] = { "sh", "-c", "tail /dev/zero", NULL };
  json_t *spec = t_spec (t, a, false);
  json_t *lx = json_object_get (spec, "linux");
  json_t *res = json_object_get (lx, "resources");
  if (!json_is_object (res))
    json_object_set_new (lx, "resources", res = json_object ());
  json_object_set_new (res, "memory", json_pack ("{s:I}", "limit", (json_int_t) 16 << 20));
  char *b = t_bundle_spec (t, "c1", spec);
  t_launch (t, "c1", b);
  T_OK (t, t_create (t, "c1", b, NULL, NULL, NULL), "Create");
  T_OK (t, t_start (t, "c1", NULL, NULL, NULL), "Start");
  uint32_t st = wait_status (t, "c1", NULL);
  t_note (t, "the task over 16 MiB exited %u", st);
  T_REQUIRE (t, st == 137, "the task over its 16 MiB limit exited %u, not 137 (killed): is the "
                           "memory cgroup controller there?", st);
}

/* containerd restarting: its events endpoint (TTRPC_ADDRESS) is gone for a
 * while, and the task exits meanwhile.  The exit must arrive once the
 * endpoint is back, once, and the shim must go on serving. */
CASE (exit_event_after_endpoint_outage)
{
  t_running (t, "c1", NULL);
  sc_events_sink_free (t->env.sink);
  t->env.sink = NULL;
  T_OK (t, t_kill (t, "c1", NULL, SIGKILL, false, NULL), "Kill while the events endpoint is down");
  uint32_t st = 0;
  T_OK (t, t_wait (t, "c1", NULL, &st, NULL, NULL), "Wait while the events endpoint is down");
  /* long enough for a publisher's first attempts to fail (not a verdict:
   * a shim that waits for the endpoint passes however long this is) */
  sc_loop_run_once (t->env.loop, t_ms (t, 1000));
  sc_error err = SC_ERROR_INIT;
  if (sc_events_sink_new (t->env.loop, t->env.ttrpc_address, &t->env.sink, &err) < 0)
    {
      t_keep_str (t, err.msg);
      t_fail (t, "the runner could not bring its events endpoint back: %s", err.msg);
    }
  const sc_event *e = t_event (t, "/tasks/exit", "c1", "c1", 15000);
  T_REQUIRE (t, e != NULL, "the TaskExit published while the endpoint was down never arrived after it came back (15 s)");
  const Containerd__Events__TaskExit *x = (const void *) e->msg;
  T_EQ (t, x->exit_status, 137);
  T_OK (t, t_delete (t, "c1", NULL, NULL, NULL), "Delete after the outage");
  T_REQUIRE (t, t_event (t, "/tasks/delete", "c1", NULL, 5000) != NULL, "no TaskDelete after the outage");
  size_t exits = t_count_events (t, "/tasks/exit", "c1", "c1");
  t_note (t, "after the endpoint came back: %zu TaskExit for the init, then TaskDelete", exits);
  T_REQUIRE (t, exits == 1, "%zu TaskExit events for one exit", exits);
}

CASE (exit_oom_event)
{
  oom_task (t);
  t_event (t, "/tasks/oom", "c1", NULL, 5000);
  char *topics = t_keep_str (t, t_topics (t, "c1"));
  t_note (t, "events: %s", topics);
}

CASE (exit_oom_before_exit)
{
  oom_task (t);
  /* events arrive in the order they were published, after Wait maybe */
  t_event (t, "/tasks/oom", "c1", NULL, 5000);
  t_event (t, "/tasks/exit", "c1", "c1", 5000);
  char *topics = t_keep_str (t, t_topics (t, "c1"));
  t_note (t, "events: %s", topics);
  const char *oom = strstr (topics, "oom"), *ex = strstr (topics, "exit");
  T_REQUIRE (t, oom && ex && oom < ex, "the TaskOOM came after the init's TaskExit (%s): a client "
                                       "that reads the exit first reports no OOM kill",
             topics);
}

CASE (exit_exited_at_sane)
{
  int64_t before = sc_now_wall_ns ();
  static const char *const a[] = { "true", NULL };
  t_running (t, "c1", a);
  int64_t at = 0;
  uint32_t st;
  T_OK (t, t_wait (t, "c1", NULL, &st, &at, NULL), "Wait");
  int64_t after = sc_now_wall_ns ();
  t_note (t, "exited_at %.3f s after the test started, %.3f s before Wait returned",
          (at - before) / 1e9, (after - at) / 1e9);
  T_REQUIRE (t, at != 0, "exited_at is unset");
  T_REQUIRE (t, at >= before - 1000000000LL, "exited_at is before the task started");
  T_REQUIRE (t, at <= after + 1000000000LL, "exited_at is in the future");
}

CASE (exit_concurrent_waiters)
{
  t_running (t, "c1", SLEEP);
  sc_waiter *w[5];
  for (int i = 0; i < 5; i++)
    w[i] = t_wait_async (t, "c1", NULL);
  T_OK (t, t_kill (t, "c1", NULL, SIGKILL, false, NULL), "Kill");
  for (int i = 0; i < 5; i++)
    {
      T_REQUIRE (t, t_wait_for (t, w[i], 10000), "waiter %d never answered", i);
      T_REQUIRE (t, w[i]->code == 0 && w[i]->status == 137, "waiter %d: %s status %u", i,
                 sc_code_name (w[i]->code), w[i]->status);
    }
  t_note (t, "5 concurrent waiters all answered 137");
}

CASE (exit_wait_after_exit)
{
  static const char *const a[] = { "sh", "-c", "exit 9", NULL };
  t_running (t, "c1", a);
  wait_status (t, "c1", NULL);
  int64_t t0 = sc_now_mono_ns ();
  uint32_t st = wait_status (t, "c1", NULL);
  double ms = (sc_now_mono_ns () - t0) / 1e6;
  t_note (t, "second Wait -> %u in %.1f ms", st, ms);
  T_REQUIRE (t, st == 9, "stored status %u, want 9", st);
  T_REQUIRE (t, ms < t_ms (t, 2000), "Wait after exit took %.0f ms", ms);
}

CASE (exit_single_event)
{
  static const char *const a[] = { "true", NULL };
  uint32_t pid = t_running (t, "c1", a);
  wait_status (t, "c1", NULL);
  T_OK (t, t_delete (t, "c1", NULL, NULL, NULL), "Delete");
  t_event (t, "/tasks/delete", "c1", NULL, 5000);
  sc_events_sink_wait_count (t->env.sink, 100, t_ms (t, 300));
  size_t n = t_count_events (t, "/tasks/exit", "c1", "c1");
  const sc_event *e = t_event (t, "/tasks/exit", "c1", "c1", 100);
  const Containerd__Events__TaskExit *x = (const void *) e->msg;
  t_note (t, "%zu /tasks/exit for c1 (pid %u status %u)", n, x ? x->pid : 0, x ? x->exit_status : 0);
  T_REQUIRE (t, n == 1, "%zu exit events for one process (TestRegressionIssue4769)", n);
  T_REQUIRE (t, x && x->pid == pid && x->exit_status == 0, "exit event pid/status wrong");
}

CASE (exit_no_event_after_failed_create)
{
  static const char *const args[] = { "notfound404", NULL };
  char *b = t_bundle (t, "c1", args, false);
  t_launch (t, "c1", b);
  T_NOT_OK (t, t_create (t, "c1", b, NULL, NULL, NULL), "Create of a missing binary");
  t_delete (t, "c1", NULL, NULL, NULL); /* containerd's cleanup after a failed Create */
  sc_events_sink_wait_count (t->env.sink, 100, t_ms (t, 1000));
  size_t n = t_count_events (t, "/tasks/exit", "c1", NULL);
  t_note (t, "%zu exit events after the failed Create", n);
  T_REQUIRE (t, n == 0, "an exit event for a task that never existed (TestRegressionIssue6429)");
}

/* a spec without a pid namespace of its own: the container's processes
 * live in the host's */
static char *
host_pidns_bundle (sc_t *t, const char *const *args)
{
  json_t *spec = t_spec (t, args, false);
  json_t *nss = json_object_get (json_object_get (spec, "linux"), "namespaces");
  for (size_t i = 0; i < json_array_size (nss); i++)
    if (strcmp (json_string_value (json_object_get (json_array_get (nss, i), "type")), "pid") == 0)
      {
        json_array_remove (nss, i);
        break;
      }
  return t_bundle_spec (t, "c1", spec);
}

/* the first child of pid (from /proc/<pid>/task/<pid>/children), 0 if none */
static pid_t
first_child (pid_t pid)
{
  char path[64], buf[256] = "";
  snprintf (path, sizeof (path), "/proc/%d/task/%d/children", (int) pid, (int) pid);
  FILE *f = fopen (path, "re");
  if (f == NULL)
    return 0;
  size_t n = fread (buf, 1, sizeof (buf) - 1, f);
  fclose (f);
  buf[n] = '\0';
  return (pid_t) atoi (buf);
}

CASE (exit_init_exit_last)
{
  /* in the host pid namespace an exec outlives its init until the shim ends
   * it, so the order of the two exits is the shim's choice, not a race */
  char *b = host_pidns_bundle (t, SLEEP);
  t_launch (t, "c1", b);
  T_OK (t, t_create (t, "c1", b, NULL, NULL, NULL), "Create (host pid namespace)");
  T_OK (t, t_start (t, "c1", NULL, NULL, NULL), "Start");
  started_exec (t, "e1", SLEEP, NULL);
  T_OK (t, t_kill (t, "c1", NULL, SIGKILL, false, NULL), "Kill of the init");
  wait_status (t, "c1", NULL);
  const sc_event *ei = t_event (t, "/tasks/exit", "c1", "c1", 5000);
  const sc_event *ee = t_event (t, "/tasks/exit", "c1", "e1", 5000);
  t_note (t, "exec exit #%llu, init exit #%llu", (unsigned long long) ee->seq,
          (unsigned long long) ei->seq);
  T_REQUIRE (t, ee->seq < ei->seq, "the init's exit came before its exec's");
}

CASE (exit_host_pidns_init_kill_takes_all)
{
  /* TestContainerKillInitPidHost: without a pid namespace of its own, the
   * kernel does not end the container's other processes with its init: the
   * shim must (the runc shim runs `runc kill --all` on the init's exit).  An
   * orphan of the init and an exec must be gone soon after the init's Wait. */
  static const char *const a[] = { "sh", "-c", "sleep 3600 & wait", NULL };
  char *b = host_pidns_bundle (t, a);
  t_launch (t, "c1", b);
  uint32_t pid = 0;
  T_OK (t, t_create (t, "c1", b, NULL, &pid, NULL), "Create (host pid namespace)");
  T_OK (t, t_start (t, "c1", NULL, NULL, NULL), "Start");
  pid_t child = 0;
  int64_t until = sc_now_mono_ns () + t_ms (t, 10000) * 1000000;
  while ((child = first_child ((pid_t) pid)) == 0 && sc_now_mono_ns () < until)
    sc_loop_run_once (t->env.loop, 20);
  T_REQUIRE (t, child > 0, "the init (pid %u) started no child", pid);
  uint32_t epid = started_exec (t, "e1", SLEEP, NULL);
  T_OK (t, t_kill (t, "c1", NULL, SIGKILL, false, NULL), "Kill of the init");
  wait_status (t, "c1", NULL);
  bool child_gone = false, exec_gone = false;
  until = sc_now_mono_ns () + t_ms (t, 10000) * 1000000;
  while (!(child_gone && exec_gone) && sc_now_mono_ns () < until)
    {
      child_gone = kill (child, 0) < 0 && errno == ESRCH;
      exec_gone = kill ((pid_t) epid, 0) < 0 && errno == ESRCH;
      if (!(child_gone && exec_gone))
        sc_loop_run_once (t->env.loop, 20);
    }
  t_note (t, "after the init's exit: its orphan %d %s, the exec %u %s", (int) child,
          child_gone ? "gone" : "STILL RUNNING", epid, exec_gone ? "gone" : "STILL RUNNING");
  T_REQUIRE (t, child_gone && exec_gone,
             "10 s after the init's exit, the container's other processes run on (orphan %s, exec %s): "
             "without a pid namespace only the shim can end them",
             child_gone ? "gone" : "running", exec_gone ? "gone" : "running");
}

CASE (exit_state_stopped)
{
  static const char *const a[] = { "sh", "-c", "exit 4", NULL };
  t_running (t, "c1", a);
  wait_status (t, "c1", NULL);
  Containerd__Task__V2__StateResponse *s = NULL;
  T_OK (t, t_state (t, "c1", NULL, &s, NULL), "State");
  t_note (t, "State status %d exit_status %u exited_at %s", s->status, s->exit_status,
          sc_ts_is_set (s->exited_at) ? "set" : "unset");
  bool ok = s->status == CONTAINERD__V1__TYPES__STATUS__STOPPED && s->exit_status == 4
            && sc_ts_is_set (s->exited_at);
  T_REQUIRE (t, ok, "State after exit must be STOPPED with exit_status 4 and exited_at");
}

CASE (exit_start_before_exit)
{
  /* `true` exits while the runtime's start may still be running: the exit
   * the shim sees first must still be published after the start */
  static const char *const a[] = { "true", NULL };
  for (int i = 0; i < 10; i++)
    {
      char id[16];
      snprintf (id, sizeof (id), "s%d", i);
      char *b = t_bundle (t, id, a, false);
      if (i == 0)
        t_launch (t, id, b);
      T_OK (t, t_create (t, id, b, NULL, NULL, NULL), "Create");
      T_OK (t, t_start (t, id, NULL, NULL, NULL), "Start");
      wait_status (t, id, NULL);
      t_event (t, "/tasks/exit", id, id, 5000);
      char *topics = t_keep_str (t, t_topics (t, id));
      const char *st = strstr (topics, "start"), *ex = strstr (topics, "exit");
      if (!(st && ex && st < ex))
        t_fail (t, "task %s: its TaskExit came before its TaskStart (%s); containerd's "
                   "runtime-v2 doc requires create, start, exit, delete", id, topics);
      T_OK (t, t_delete (t, id, NULL, NULL, NULL), "Delete");
    }
  t_note (t, "10 instantly-exiting tasks: create, start, exit each time");
}

CASE (exit_short_running_pid)
{
  static const char *const a[] = { "true", NULL };
  char *b = t_bundle (t, "c1", a, false);
  t_launch (t, "c1", b);
  uint32_t cpid = 0, spid = 0;
  T_OK (t, t_create (t, "c1", b, NULL, &cpid, NULL), "Create");
  T_OK (t, t_start (t, "c1", NULL, &spid, NULL), "Start");
  wait_status (t, "c1", NULL);
  const sc_event *e = t_event (t, "/tasks/exit", "c1", "c1", 5000);
  uint32_t epid = e->msg ? ((const Containerd__Events__TaskExit *) e->msg)->pid : 0;
  t_note (t, "Create %u, Start %u, exit event %u", cpid, spid, epid);
  T_REQUIRE (t, cpid > 0 && cpid == spid && spid == epid, "pids disagree (TestShortRunningTaskPid)");
}

/* ------------------------------------------------------------------ cleanup */

CASE (cleanup_delete_running_rejected)
{
  t_running (t, "c1", SLEEP);
  T_NOT_OK (t, t_delete (t, "c1", NULL, NULL, NULL), "Delete of a running task");
  Containerd__Task__V2__StateResponse *s = NULL;
  T_OK (t, t_state (t, "c1", NULL, &s, NULL), "State");
  bool running = s->status == CONTAINERD__V1__TYPES__STATUS__RUNNING;
  T_REQUIRE (t, running, "the task is no longer running after the refused Delete");
}

CASE (cleanup_delete_returns_status)
{
  static const char *const a[] = { "sh", "-c", "exit 3", NULL };
  uint32_t pid = t_running (t, "c1", a);
  wait_status (t, "c1", NULL);
  Containerd__Task__V2__DeleteResponse *d = NULL;
  T_OK (t, t_delete (t, "c1", NULL, &d, NULL), "Delete");
  char ts[64];
  t_note (t, "Delete pid %u exit_status %u exited_at %s", d->pid, d->exit_status,
          sc_ts_format (d->exited_at, ts, sizeof (ts)));
  bool ok = d->pid == pid && d->exit_status == 3 && sc_ts_is_set (d->exited_at);
  T_REQUIRE (t, ok, "Delete must return the pid, status 3 and exited_at");
}

/* the runtime-v2 doc's exec row: TaskDelete for an exec, after its exit */
CASE (exec_delete_event)
{
  t_running (t, "c1", SLEEP);
  static const char *const a[] = { "sh", "-c", "exit 5", NULL };
  T_OK (t, t_exec (t, "c1", "e1", a, NULL, false, NULL), "Exec");
  uint32_t pid = 0;
  T_OK (t, t_start (t, "c1", "e1", &pid, NULL), "exec Start");
  uint32_t st = 0;
  T_OK (t, t_wait (t, "c1", "e1", &st, NULL, NULL), "exec Wait");
  T_OK (t, t_delete (t, "c1", "e1", NULL, NULL), "exec Delete");
  const sc_event *e = t_event (t, "/tasks/delete", "c1", "e1", 2000); /* Delete has answered */
  T_REQUIRE (t, e != NULL, "no TaskDelete for the exec e1");
  const Containerd__Events__TaskDelete *d = (const void *) e->msg;
  t_note (t, "TaskDelete id %s pid %u exit_status %u (exec pid %u, exit %u)", d->id, d->pid, d->exit_status, pid, st);
  T_REQUIRE (t, d->pid == pid && d->exit_status == 5, "the exec's TaskDelete says pid %u status %u, not %u and 5",
             d->pid, d->exit_status, pid);
}

/* a process's fds by kind: pipes, ptys (ptmx and /dev/pts/N), all */
typedef struct fd_census
{
  int pipes, ptys, all;
} fd_census;

static fd_census
census (pid_t pid)
{
  fd_census c = { 0, 0, 0 };
  char dir[64];
  snprintf (dir, sizeof (dir), "/proc/%d/fd", (int) pid);
  DIR *d = opendir (dir);
  struct dirent *e;
  while (d && (e = readdir (d)) != NULL)
    {
      if (e->d_name[0] == '.')
        continue;
      char p[384], target[256];
      snprintf (p, sizeof (p), "%s/%s", dir, e->d_name);
      ssize_t n = readlink (p, target, sizeof (target) - 1);
      target[n > 0 ? n : 0] = '\0';
      c.all++;
      c.pipes += strncmp (target, "pipe:", 5) == 0;
      c.ptys += strcmp (target, "/dev/ptmx") == 0 || strncmp (target, "/dev/pts/", 9) == 0;
    }
  if (d)
    closedir (d);
  return c;
}

/* polls (the loop turning) until the shim is back to `want` pipes and ptys */
static fd_census
census_settles (sc_t *t, pid_t pid, fd_census want)
{
  int64_t deadline = sc_deadline_in_ms (t_ms (t, 3000));
  fd_census now;
  while ((now = census (pid)).pipes > want.pipes || now.ptys > want.ptys)
    {
      if (sc_now_mono_ns () >= deadline)
        break;
      sc_loop_run_once (t->env.loop, 20);
    }
  return now;
}

CASE (cleanup_fd_hygiene)
{
  uint32_t init = t_running (t, "c1", SLEEP);
  pid_t shim = t->shim->daemon_pid;
  T_REQUIRE (t, shim > 0, "no serving daemon identified");
  fd_census base = census (shim);
  /* a Create that fails in the runtime (TestShimDoesNotLeakPipes) */
  static const char *const missing[] = { "notfound404", NULL };
  char *b2 = t_bundle (t, "c2", missing, false);
  T_NOT_OK (t, t_create (t, "c2", b2, NULL, NULL, NULL), "Create of a missing binary");
  fd_census after_fail = census_settles (t, shim, base);
  /* a tty exec, run to its end and deleted */
  sc_io io;
  t_io (t, "e1", false, false, &io);
  static const char *const a[] = { "sh", "-c", "echo tty-exec", NULL };
  T_OK (t, t_exec (t, "c1", "e1", a, &io, true, NULL), "Exec with a terminal");
  T_OK (t, t_start (t, "c1", "e1", NULL, NULL), "exec Start");
  free (t_io_read (t, io.out_fd, 10000, NULL));
  wait_status (t, "c1", "e1");
  T_OK (t, t_delete (t, "c1", "e1", NULL, NULL), "exec Delete");
  t_io_close (&io);
  fd_census after_tty = census_settles (t, shim, base);
  fd_census inside = census ((pid_t) init);
  t_note (t, "shim fds: %d (%d pipes, %d ptys) at first; after a failed Create %d pipes; after a tty exec %d ptys; "
             "the container's init has %d fds",
          base.all, base.pipes, base.ptys, after_fail.pipes, after_tty.ptys, inside.all);
  T_REQUIRE (t, after_fail.pipes <= base.pipes, "a failed Create left %d more pipes in the shim",
             after_fail.pipes - base.pipes);
  T_REQUIRE (t, after_tty.ptys <= base.ptys, "a finished tty exec left %d pty fds in the shim",
             after_tty.ptys - base.ptys);
  T_REQUIRE (t, inside.all <= 3, "the container's init holds %d fds: more than its stdio", inside.all);
}

CASE (cleanup_delete_event)
{
  static const char *const a[] = { "sh", "-c", "exit 3", NULL };
  uint32_t pid = t_running (t, "c1", a);
  wait_status (t, "c1", NULL);
  T_OK (t, t_delete (t, "c1", NULL, NULL, NULL), "Delete");
  const sc_event *d = t_event (t, "/tasks/delete", "c1", NULL, 5000);
  const sc_event *x = t_event (t, "/tasks/exit", "c1", NULL, 1000);
  const Containerd__Events__TaskDelete *e = (const void *) d->msg;
  T_REQUIRE (t, e, "TaskDelete does not decode");
  t_note (t, "TaskDelete pid %u exit_status %u (#%llu after exit #%llu)", e->pid, e->exit_status,
          (unsigned long long) d->seq, (unsigned long long) x->seq);
  T_REQUIRE (t, x->seq < d->seq, "delete came before exit");
  T_REQUIRE (t, e->pid == pid && e->exit_status == 3, "TaskDelete pid/status wrong");
}

CASE (cleanup_second_delete_notfound)
{
  static const char *const a[] = { "true", NULL };
  t_running (t, "c1", a);
  wait_status (t, "c1", NULL);
  T_OK (t, t_delete (t, "c1", NULL, NULL, NULL), "Delete");
  T_CODE (t, t_delete (t, "c1", NULL, NULL, NULL), SC_NOT_FOUND, "second Delete");
}

CASE (cleanup_shutdown_with_tasks_keeps_serving)
{
  t_running (t, "c1", SLEEP);
  Containerd__Task__V2__ShutdownRequest q = CONTAINERD__TASK__V2__SHUTDOWN_REQUEST__INIT;
  q.id = (char *) "c1";
  int code = t_rpc (t, "Shutdown", &q.base, NULL, NULL);
  t_note (t, "Shutdown with a task left -> %s", sc_code_name (code));
  /* a shim that wrongly obeys exits within moments of its reply: watch the
   * daemon (its pidfd wakes us at once) up to a deadline, then it must
   * still serve */
  T_REQUIRE (t, t->shim->daemon_pidfd >= 0, "no serving daemon identified");
  struct pollfd pf = { .fd = t->shim->daemon_pidfd, .events = POLLIN };
  int64_t t0 = sc_now_mono_ns (), deadline = sc_deadline_in_ms (t_ms (t, 3000));
  int exited = 0;
  while (exited == 0 && sc_now_mono_ns () < deadline)
    exited = poll (&pf, 1, (int) ((deadline - sc_now_mono_ns ()) / 1000000) + 1);
  T_REQUIRE (t, exited <= 0, "the shim exited %.2f s after Shutdown although a task was left",
             (sc_now_mono_ns () - t0) / 1e9);
  Containerd__Task__V2__StateResponse *s = NULL;
  T_OK (t, t_state (t, "c1", NULL, &s, NULL), "State after Shutdown");
  bool running = s->status == CONTAINERD__V1__TYPES__STATUS__RUNNING;
  T_REQUIRE (t, running, "the task did not survive Shutdown");
}

CASE (cleanup_shutdown_after_delete_exits)
{
  static const char *const a[] = { "true", NULL };
  t_running (t, "c1", a);
  wait_status (t, "c1", NULL);
  T_OK (t, t_delete (t, "c1", NULL, NULL, NULL), "Delete");
  sc_shim *s = t->shim;
  pid_t pid = s->daemon_pid;
  char *sock = s->addr.abstract ? NULL : sc_xstrdup (s->addr.name);
  int rc = sc_shim_shutdown (s, t_ms (t, SC_SHIM_EXIT_GRACE_MS));
  T_REQUIRE (t, rc == 0, "shim %d still running %.0f s after Shutdown", (int) pid,
             (double) t_ms (t, SC_SHIM_EXIT_GRACE_MS) / 1000);
  struct stat st;
  bool gone = sock == NULL || stat (sock, &st) < 0;
  t_note (t, "shim exited; socket %s", gone ? "removed" : "LEFT BEHIND");
  T_REQUIRE (t, gone, "socket %s left behind (TestShimDoesNotLeakSockets)", sock);
  free (sock);
}

CASE (cleanup_nothing_survives)
{
  /* a task as containerd makes one: its rootfs a mount the shim must undo */
  t_create_with_rootfs_mount (t, "c1", SLEEP);
  uint32_t pid = 0;
  T_OK (t, t_start (t, "c1", NULL, &pid, NULL), "Start");
  static const char *const a[] = { "sleep", "3600", NULL };
  T_OK (t, t_exec (t, "c1", "e1", a, NULL, false, NULL), "Exec");
  T_OK (t, t_start (t, "c1", "e1", NULL, NULL), "exec Start");
  T_OK (t, t_kill (t, "c1", NULL, SIGKILL, true, NULL), "Kill all");
  wait_status (t, "c1", NULL);
  T_OK (t, t_delete (t, "c1", NULL, NULL, NULL), "Delete");
  sc_shim *s = t->shim;
  char *bundle = sc_xasprintf ("%s/%s/c1", t->env.state, t->env.ns);
  sc_shim_shutdown (s, t_ms (t, SC_SHIM_EXIT_GRACE_MS));
  sc_shim_delete (s, NULL, NULL, NULL);
  /* what is left of the shim and the task? */
  pid_t *left;
  size_t n = sc_proc_descendants (getpid (), &left);
  char comm[32];
  char what[512] = "";
  for (size_t i = 0; i < n && strlen (what) < 400; i++)
    snprintf (what + strlen (what), sizeof (what) - strlen (what), "%d(%s) ", (int) left[i],
              sc_pid_comm (left[i], comm, sizeof (comm)));
  free (left);
  bool mounted = t_rootfs_mounted (bundle);
  struct stat st;
  bool sock = !s->addr.abstract && stat (s->addr.name, &st) == 0;
  t_note (t, "after Delete+Shutdown+delete: %zu processes left %s; mounts under the bundle: %s; socket: %s",
          n, what, mounted ? "yes" : "none", sock ? "left" : "gone");
  T_REQUIRE (t, n == 0, "processes survived: %s", what);
  T_REQUIRE (t, !sc_pid_alive ((pid_t) pid), "the task's init survived");
  T_REQUIRE (t, !mounted, "a mount under the bundle survived");
  T_REQUIRE (t, !sock, "the socket survived");
  free (bundle);
}

CASE (cleanup_delete_created_task)
{
  char *b = t_bundle (t, "c1", NULL, false);
  t_launch (t, "c1", b);
  uint32_t pid = 0;
  T_OK (t, t_create (t, "c1", b, NULL, &pid, NULL), "Create");
  Containerd__Task__V2__DeleteResponse *d = NULL;
  T_OK (t, t_delete (t, "c1", NULL, &d, NULL), "Delete of a created task");
  t_note (t, "Delete pid %u status %u", d->pid, d->exit_status);
  T_CODE (t, t_state (t, "c1", NULL, NULL, NULL), SC_NOT_FOUND, "State after Delete");
  T_REQUIRE (t, sc_pid_wait_gone ((pid_t) pid, t_ms (t, 3000), NULL) == 0,
             "the created process %u survived Delete", pid);
}

CASE (cleanup_created_task_events)
{
  char *b = t_bundle (t, "c1", NULL, false);
  t_launch (t, "c1", b);
  T_OK (t, t_create (t, "c1", b, NULL, NULL, NULL), "Create");
  T_OK (t, t_delete (t, "c1", NULL, NULL, NULL), "Delete");
  t_event (t, "/tasks/delete", "c1", NULL, 5000);
  sc_events_sink_wait_count (t->env.sink, 100, t_ms (t, 300));
  char *topics = t_topics (t, "c1");
  t_note (t, "events of a never started task: %s", topics);
  bool ok = strcmp (topics, "create,delete") == 0;
  free (topics);
  T_REQUIRE (t, ok, "a never started task's delete must come right after its create");
}

CASE (cleanup_deleted_task_notfound)
{
  static const char *const a[] = { "true", NULL };
  t_running (t, "c1", a);
  wait_status (t, "c1", NULL);
  T_OK (t, t_delete (t, "c1", NULL, NULL, NULL), "Delete");
  T_CODE (t, t_state (t, "c1", NULL, NULL, NULL), SC_NOT_FOUND, "State after Delete");
  T_CODE (t, t_kill (t, "c1", NULL, SIGKILL, false, NULL), SC_NOT_FOUND, "Kill after Delete");
  T_CODE (t, t_wait (t, "c1", NULL, NULL, NULL, NULL), SC_NOT_FOUND, "Wait after Delete");
  T_CODE (t, t_start (t, "c1", NULL, NULL, NULL), SC_NOT_FOUND, "Start after Delete");
}

CASE (cleanup_stats_after_delete)
{
  static const char *const a[] = { "true", NULL };
  t_running (t, "c1", a);
  wait_status (t, "c1", NULL);
  T_OK (t, t_delete (t, "c1", NULL, NULL, NULL), "Delete");
  T_NOT_OK (t, t_simple (t, "Stats", "c1", NULL), "Stats of a deleted task");
}
