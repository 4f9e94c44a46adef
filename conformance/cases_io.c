/* Conformance cases: io, state/control, ttrpc robustness. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cases.h"
#include "containerd/cgroups/metrics.pb-c.h"
#include "containerd/cgroups/v2/metrics.pb-c.h"
#include "frame.h"
#include "proc.h"
#include "pb.h"
#include "ttrpc/ttrpc.pb-c.h"

static const char *const SLEEP[] = { "sleep", "3600", NULL };

static void still_alive (sc_t *t, const char *after);

/* a task with the given args and FIFOs, created and started */
static void
io_task (sc_t *t, const char *const *args, bool with_stdin, bool with_stderr, bool terminal, sc_io *io)
{
  char *b = t_bundle (t, "c1", args, terminal);
  t_launch (t, "c1", b);
  t_io (t, "c1", with_stdin, with_stderr, io);
  Containerd__Task__V2__CreateTaskRequest cr = CONTAINERD__TASK__V2__CREATE_TASK_REQUEST__INIT;
  cr.id = (char *) "c1";
  cr.bundle = b;
  cr.terminal = terminal;
  cr.stdin = io->in;
  cr.stdout = io->out;
  cr.stderr = io->err;
  T_OK (t, t_create_req (t, &cr, NULL, NULL), terminal ? "Create with a terminal" : "Create");
}

static void
start (sc_t *t)
{
  T_OK (t, t_start (t, "c1", NULL, NULL, NULL), "Start");
}

static uint32_t
wait_c1 (sc_t *t)
{
  uint32_t st = 0;
  T_OK (t, t_wait (t, "c1", NULL, &st, NULL, NULL), "Wait");
  return st;
}

/* writes line to c1's (or exec_id's) stdin, CloseIO's it as containerd does
 * at EOF, closes our end, and returns what came back on stdout */
static char *
through_stdin (sc_t *t, sc_io *io, const char *exec_id, const char *line)
{
  size_t len = strlen (line);
  T_REQUIRE (t, write (io->in_fd, line, len) == (ssize_t) len, "write stdin");
  Containerd__Task__V2__CloseIORequest c = CONTAINERD__TASK__V2__CLOSE_IOREQUEST__INIT;
  c.id = (char *) "c1";
  c.exec_id = (char *) (exec_id ? exec_id : "");
  c.stdin = true;
  T_OK (t, t_rpc (t, "CloseIO", &c.base, NULL, NULL), exec_id ? "CloseIO of the exec" : "CloseIO");
  close (io->in_fd);
  io->in_fd = -1;
  return t_io_read (t, io->out_fd, 10000, NULL);
}

/* ------------------------------------------------------------------ io */

CASE (io_stdin_cat_closeio)
{
  static const char *const a[] = { "cat", NULL };
  sc_io io;
  io_task (t, a, true, true, false, &io);
  start (t);
  const char line[] = "through stdin\n";
  char *out = through_stdin (t, &io, NULL, line);
  uint32_t st = wait_c1 (t);
  t_note (t, "cat echoed \"%s\" and exited %u after CloseIO", out, st);
  T_REQUIRE (t, strcmp (out, line) == 0, "stdin did not come back out");
  T_REQUIRE (t, st == 0, "cat did not see EOF (exit %u)", st);
  free (out);
  t_io_close (&io);
}

CASE (io_exec_stdin_closeio)
{
  /* what `ctr task exec` does: stdin, stdout and stderr FIFOs, then CloseIO
   * of the exec's stdin at EOF */
  t_running (t, "c1", NULL);
  static const char *const a[] = { "cat", NULL };
  sc_io io;
  t_io (t, "e1", true, true, &io);
  T_OK (t, t_exec (t, "c1", "e1", a, &io, false, NULL), "Exec with stdin");
  T_OK (t, t_start (t, "c1", "e1", NULL, NULL), "exec Start");
  const char line[] = "through exec stdin\n";
  char *out = through_stdin (t, &io, "e1", line);
  uint32_t st = 0;
  T_OK (t, t_wait (t, "c1", "e1", &st, NULL, NULL), "exec Wait");
  t_note (t, "the exec's cat echoed \"%s\" and exited %u after CloseIO", out, st);
  T_REQUIRE (t, strcmp (out, line) == 0, "the exec's stdin did not come back out");
  T_REQUIRE (t, st == 0, "the exec's cat did not see EOF (exit %u)", st);
  free (out);
  t_io_close (&io);
}

CASE (io_no_stdin)
{
  static const char *const a[] = { "sh", "-c", "echo no-stdin; cat", NULL };
  sc_io io;
  io_task (t, a, false, true, false, &io);
  start (t);
  Containerd__Task__V2__CloseIORequest c = CONTAINERD__TASK__V2__CLOSE_IOREQUEST__INIT;
  c.id = (char *) "c1";
  c.stdin = true;
  T_OK (t, t_rpc (t, "CloseIO", &c.base, NULL, NULL), "CloseIO without stdin");
  uint32_t st = wait_c1 (t);
  char *out = t_io_read (t, io.out_fd, 5000, NULL);
  t_note (t, "stdout \"%s\", exit %u (stdin is /dev/null)", out, st);
  T_REQUIRE (t, st == 0 && strcmp (out, "no-stdin\n") == 0, "TestContainerNoSTDIN behaviour differs");
  free (out);
  t_io_close (&io);
}

CASE (io_stdout_stderr_separated)
{
  static const char *const a[] = { "sh", "-c", "echo to-out; echo to-err >&2", NULL };
  sc_io io;
  io_task (t, a, false, true, false, &io);
  start (t);
  char *out = t_io_read (t, io.out_fd, 10000, NULL);
  char *err = t_io_read (t, io.err_fd, 10000, NULL);
  t_note (t, "stdout \"%s\" stderr \"%s\"", out, err);
  T_REQUIRE (t, strcmp (out, "to-out\n") == 0 && strcmp (err, "to-err\n") == 0, "streams mixed or lost");
  free (out);
  free (err);
  t_io_close (&io);
}

CASE (io_large_output_intact)
{
  /* 10 MiB of "0123456789abcde\n" */
  static const char *const a[] = { "sh", "-c", "yes 0123456789abcde | head -c 10485760", NULL };
  sc_io io;
  io_task (t, a, false, true, false, &io);
  start (t);
  size_t n;
  char *out = t_io_read (t, io.out_fd, 60000, &n);
  size_t bad = 0;
  for (size_t i = 0; i < n; i++)
    if (out[i] != "0123456789abcde\n"[i % 16])
      {
        bad = i + 1;
        break;
      }
  uint32_t st = wait_c1 (t);
  t_note (t, "%zu bytes of 10485760 arrived%s; exit %u", n, bad ? ", corrupted" : " intact", st);
  T_REQUIRE (t, n == 10485760 && bad == 0, "output lost or corrupted (first bad byte at %zu)", bad ? bad - 1 : n);
  free (out);
  t_io_close (&io);
}

CASE (io_tty_output_and_resize)
{
  static const char *const a[] = { "sh", "-c", "stty size; echo tty-ok", NULL };
  sc_io io;
  io_task (t, a, false, false, true, &io);
  Containerd__Task__V2__ResizePtyRequest r = CONTAINERD__TASK__V2__RESIZE_PTY_REQUEST__INIT;
  r.id = (char *) "c1";
  r.width = 100;
  r.height = 40;
  T_OK (t, t_rpc (t, "ResizePty", &r.base, NULL, NULL), "ResizePty before Start");
  start (t);
  char *out = t_io_read (t, io.out_fd, 10000, NULL);
  t_note (t, "tty output: %s", out);
  T_REQUIRE (t, strstr (out, "40 100"), "the window size did not reach the terminal");
  T_REQUIRE (t, strstr (out, "tty-ok\r\n"), "not a terminal stream (no CRLF)");
  free (out);
  t_io_close (&io);
}

CASE (io_resize_without_tty)
{
  t_running (t, "c1", SLEEP);
  Containerd__Task__V2__ResizePtyRequest r = CONTAINERD__TASK__V2__RESIZE_PTY_REQUEST__INIT;
  r.id = (char *) "c1";
  r.width = 80;
  r.height = 24;
  T_OK (t, t_rpc (t, "ResizePty", &r.base, NULL, NULL), "ResizePty on a task without a tty");
}

/* reads whatever the FIFO has into a growing buffer, on the case's loop
 * (it turns while an RPC waits) */
typedef struct drain_reader
{
  sc_watch w;
  char *buf;
  size_t len, cap;
  bool eof;
} drain_reader;

static void
drain_read (drain_reader *d, int fd)
{
  for (;;)
    {
      if (d->cap - d->len < 65536)
        {
          d->cap = d->cap ? d->cap * 2 : 1 << 20;
          d->buf = sc_xrealloc (d->buf, d->cap);
        }
      ssize_t n = read (fd, d->buf + d->len, d->cap - d->len);
      if (n > 0)
        d->len += (size_t) n;
      else
        {
          d->eof = n == 0;
          return;
        }
    }
}

static void
on_drain_readable (sc_watch *w, uint32_t ev)
{
  (void) ev;
  drain_reader *d = w->data;
  drain_read (d, w->fd);
  if (d->eof)
    sc_watch_stop (w);
}

static void
drain_reader_free (void *p)
{
  drain_reader *d = p;
  sc_watch_stop (&d->w);
  free (d->buf);
  free (d);
}

CASE (io_output_drained_before_delete)
{
  /* 348,904 bytes: more than a pipe, the shim's buffers and the FIFO hold
   * together.  We read all but the last 120,000 while the task runs, so it
   * can exit with that much still on its way; during Delete we read
   * again (containerd's copy never stops); once Delete answered, the FIFO
   * must already hold the rest. */
  static const char *const a[] = { "sh", "-c", "seq 1 60000; echo last-line", NULL };
  const size_t total = 348904, held = 120000;
  sc_io io;
  io_task (t, a, false, true, false, &io);
  start (t);
  drain_reader *d = t_keep (t, sc_xcalloc (1, sizeof (*d)), drain_reader_free);
  int64_t deadline = sc_deadline_in_ms (t_ms (t, 10000));
  while (d->len < total - held && !d->eof && sc_now_mono_ns () < deadline)
    {
      struct pollfd pf = { io.out_fd, POLLIN, 0 };
      poll (&pf, 1, 20);
      drain_read (d, io.out_fd);
    }
  T_REQUIRE (t, d->len >= total - held, "only %zu of %zu bytes arrived within 10 s", d->len, total);
  uint32_t st = wait_c1 (t);
  size_t before = d->len;
  T_REQUIRE (t, sc_watch_start (t->env.loop, &d->w, io.out_fd, EPOLLIN, on_drain_readable, d, NULL) == 0,
             "cannot watch stdout");
  T_OK (t, t_delete (t, "c1", NULL, NULL, NULL), "Delete");
  sc_watch_stop (&d->w);
  size_t during = d->len - before;
  drain_read (d, io.out_fd); /* what is in the FIFO now, without waiting */
  t_note (t, "exit %u; %zu bytes read before Delete, %zu while it ran, %zu right after it answered (%zu of %zu)", st,
          before, during, d->len - before - during, d->len, total);
  T_REQUIRE (t, d->len == total && memcmp (d->buf + total - 10, "last-line\n", 10) == 0,
             "Delete answered with %zu of %zu bytes of the task's output not yet in the FIFO", total - d->len, total);
  t_io_close (&io);
}

CASE (io_stdout_reader_reopens)
{
  /* the client's stdout reader goes away mid-stream and comes back (a
   * containerd restart does this): the shim must not die of SIGPIPE, the
   * task must not block or die, and output goes on to the end */
  static const char *const a[] = { "sh", "-c", "i=0; while [ $i -lt 300 ]; do echo line$i; i=$((i+1)); sleep 0.01; done", NULL };
  sc_io io;
  io_task (t, a, false, true, false, &io);
  start (t);
  char first[256];
  struct pollfd pf = { io.out_fd, POLLIN, 0 };
  T_REQUIRE (t, poll (&pf, 1, (int) t_ms (t, 5000)) == 1, "no output within 5 s");
  ssize_t n = read (io.out_fd, first, sizeof (first) - 1);
  first[n > 0 ? n : 0] = '\0';
  close (io.out_fd); /* the reader goes away... */
  io.out_fd = -1;
  sc_loop_run_once (t->env.loop, t_ms (t, 500)); /* ...while the task keeps writing */
  io.out_fd = open (io.out, O_RDONLY | O_NONBLOCK | O_CLOEXEC); /* and comes back */
  T_REQUIRE (t, io.out_fd >= 0, "cannot reopen %s", io.out);
  char *rest = t_keep_str (t, t_io_read (t, io.out_fd, 15000, NULL));
  uint32_t st = wait_c1 (t);
  size_t rl = strlen (rest);
  t_note (t, "first read \"%.20s...\", %zu bytes after the reader came back, exit %u", first, rl, st);
  T_REQUIRE (t, rl >= 8 && strcmp (rest + rl - 8, "line299\n") == 0, "the output after the reader came back does not end with line299");
  T_EQ (t, st, 0);
  still_alive (t, "its stdout reader went away and came back");
  t_io_close (&io);
}

/* reads fd into buf (up to cap) until it ends with `want`, or the deadline */
static size_t
read_until (sc_t *t, int fd, char *buf, size_t cap, size_t have, const char *want, int64_t ms)
{
  int64_t end = sc_now_mono_ns () / 1000000 + t_ms (t, ms);
  size_t wl = strlen (want);
  while (!(have >= wl && memcmp (buf + have - wl, want, wl) == 0) && have < cap - 1)
    {
      int64_t left = end - sc_now_mono_ns () / 1000000;
      struct pollfd pf = { fd, POLLIN, 0 };
      if (left <= 0 || poll (&pf, 1, (int) left) != 1)
        break;
      ssize_t n = read (fd, buf + have, cap - 1 - have);
      if (n <= 0)
        break;
      have += (size_t) n;
    }
  buf[have] = '\0';
  return have;
}

CASE (io_stdin_reattach)
{
  /* TestContainerAttach, and `ctr task attach` twice: a client writes to
   * the task's stdin, goes away (its writer closes), another opens the same
   * FIFO and writes on; only CloseIO ends the task's stdin.  A shim that
   * passes the first writer's close on as EOF ends the task early. */
  static const char *const a[] = { "cat", NULL };
  sc_io io;
  io_task (t, a, true, true, false, &io);
  start (t);
  char out[256];
  T_REQUIRE (t, write (io.in_fd, "first\n", 6) == 6, "write stdin");
  size_t n = read_until (t, io.out_fd, out, sizeof (out), 0, "first\n", 5000);
  T_REQUIRE (t, strcmp (out, "first\n") == 0, "cat did not echo the first line (got \"%s\")", out);
  /* the client reloads the task (containerd: State), and detaches */
  Containerd__Task__V2__StateResponse *s = NULL;
  T_OK (t, t_state (t, "c1", NULL, &s, NULL), "State (the client reloads the task)");
  close (io.in_fd);
  io.in_fd = -1;
  sc_loop_run_once (t->env.loop, t_ms (t, 300));
  T_OK (t, t_state (t, "c1", NULL, &s, NULL), "State after the stdin writer closed");
  T_REQUIRE (t, s->status == CONTAINERD__V1__TYPES__STATUS__RUNNING,
             "the task stopped (status %d) when the client's stdin writer closed: the shim passed "
             "it on as EOF",
             (int) s->status);
  /* another client attaches to the same FIFO */
  io.in_fd = open (io.in, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  T_REQUIRE (t, io.in_fd >= 0, "cannot reopen the stdin FIFO %s for writing: %s (no reader: the shim "
                               "closed its end)", io.in, strerror (errno));
  T_REQUIRE (t, write (io.in_fd, "second\n", 7) == 7, "write stdin after re-attaching");
  n = read_until (t, io.out_fd, out, sizeof (out), n, "second\n", 5000);
  t_note (t, "stdout after the re-attach: \"%s\"", out);
  T_REQUIRE (t, strcmp (out, "first\nsecond\n") == 0,
             "what was written after the re-attach did not reach the task (stdout \"%s\")", out);
  Containerd__Task__V2__CloseIORequest c = CONTAINERD__TASK__V2__CLOSE_IOREQUEST__INIT;
  c.id = (char *) "c1";
  c.stdin = true;
  T_OK (t, t_rpc (t, "CloseIO", &c.base, NULL, NULL), "CloseIO");
  close (io.in_fd);
  io.in_fd = -1;
  uint32_t st = wait_c1 (t);
  T_REQUIRE (t, st == 0, "cat did not end cleanly at CloseIO (exit %u)", st);
  t_io_close (&io);
}

/* ------------------------------------------------------------------ stdio schemes */

/* A logger script in the case's directory: it records its environment
 * and arguments, copies fd 3 and fd 4 into files, signals readiness on
 * fd 5 as `ready` says (a shell snippet run with fd 5 open), and writes
 * "done" once both streams ended.  It ignores the SIGTERM a shim may
 * send at Delete (containerd's runc shim closes the pipes, then sends
 * it) and exits when its streams end.  The logger runs on the host with
 * only CONTAINER_ID and CONTAINER_NAMESPACE set: absolute paths. */
static char *
logger_script (sc_t *t, const char *ready)
{
  char *path = t_keep_str (t, sc_xasprintf ("%s/logger.sh", t->env.dir));
  char *text = t_keep_str (t, sc_xasprintf ("#!/bin/sh\n"
                                            "d=%s\n"
                                            "trap '' TERM\n"
                                            "printf '%%s\\n' \"$CONTAINER_ID\" \"$CONTAINER_NAMESPACE\" > $d/log-env\n"
                                            "printf '%%s\\n' \"$@\" > $d/log-args\n"
                                            "/bin/cat <&3 5>&- > $d/log-out &\n"
                                            "/bin/cat <&4 5>&- > $d/log-err &\n"
                                            "exec 3<&- 4<&-\n"
                                            "%s\n"
                                            "exec 5>&-\n"
                                            "wait\n"
                                            "echo done > $d/log-done\n",
                                            t->env.dir, ready));
  t_write_file (t, path, text, 0755);
  return path;
}

static char *
in_dir (sc_t *t, const char *name)
{
  return t_keep_str (t, sc_xasprintf ("%s/%s", t->env.dir, name));
}

/* Create of c1 in bundle b with stdout and stderr both `uri` (what
 * containerd's cio.BinaryIO and cio.LogFile send), no stdin */
static int
create_in_with_uri (sc_t *t, char *b, const char *uri, char **message)
{
  Containerd__Task__V2__CreateTaskRequest cr = CONTAINERD__TASK__V2__CREATE_TASK_REQUEST__INIT;
  cr.id = (char *) "c1";
  cr.bundle = b;
  cr.stdin = (char *) "";
  cr.stdout = (char *) uri;
  cr.stderr = (char *) uri;
  return t_create_req (t, &cr, NULL, message);
}

/* the same in a new bundle running args, with the shim launched */
static int
create_with_uri (sc_t *t, const char *const *args, const char *uri, char **message)
{
  char *b = t_bundle (t, "c1", args, false);
  t_launch (t, "c1", b);
  return create_in_with_uri (t, b, uri, message);
}

static const char *const OUT_ERR_3[] = { "sh", "-c", "echo to-out; echo to-err >&2; exit 3", NULL };

/* Delete of c1 (a shim may hold the logger's pipes until then), then the
 * logger's files once it wrote "done" */
static void
logger_output (sc_t *t, char **out, char **err)
{
  T_OK (t, t_delete (t, "c1", NULL, NULL, NULL), "Delete");
  T_REQUIRE (t, t_wait_file (t, in_dir (t, "log-done"), 10000),
             "the logger did not see its fds 3 and 4 end within 10 s of Delete");
  *out = t_read_file (t, in_dir (t, "log-out"));
  *err = t_read_file (t, in_dir (t, "log-err"));
  T_REQUIRE (t, *out && *err, "the logger wrote no output files");
}

CASE (io_binary_logger)
{
  char *script = logger_script (t, "");
  char *uri = t_keep_str (t, sc_xasprintf ("binary://%s?--tag=x1", script));
  char *msg = NULL;
  T_OK (t, create_with_uri (t, OUT_ERR_3, uri, &msg), "Create with a binary:// logger");
  start (t);
  uint32_t st = wait_c1 (t);
  char *out, *err;
  logger_output (t, &out, &err);
  char *env = t_read_file (t, in_dir (t, "log-env"));
  char *args = t_read_file (t, in_dir (t, "log-args"));
  t_note (t, "exit %u; the logger's fd 3 \"%s\", fd 4 \"%s\", CONTAINER_ID/NAMESPACE \"%s\", args \"%s\"", st, out,
          err, env ? env : "(none)", args ? args : "(none)");
  T_REQUIRE (t, st == 3, "the task's exit status %u is not 3", st);
  T_REQUIRE (t, strcmp (out, "to-out\n") == 0, "the container's stdout did not reach the logger's fd 3");
  T_REQUIRE (t, strcmp (err, "to-err\n") == 0, "the container's stderr did not reach the logger's fd 4");
  char *want_env = t_keep_str (t, sc_xasprintf ("c1\n%s\n", t->env.ns));
  T_REQUIRE (t, env && strcmp (env, want_env) == 0,
             "the logger's CONTAINER_ID and CONTAINER_NAMESPACE are not the task's id and namespace");
  T_REQUIRE (t, args && strcmp (args, "--tag\nx1\n") == 0,
             "the URI's query ?--tag=x1 did not become the logger's arguments --tag x1");
}

CASE (io_binary_logger_ready_first)
{
  /* the logger takes its time before it closes fd 5: Create must wait */
  char *script = logger_script (t, "/bin/sleep 0.3; echo > $d/log-ready");
  char *uri = t_keep_str (t, sc_xasprintf ("binary://%s", script));
  char *ready = in_dir (t, "log-ready");
  T_OK (t, create_with_uri (t, OUT_ERR_3, uri, NULL), "Create with a slow binary:// logger");
  bool was_ready = access (ready, F_OK) == 0;
  t_note (t, "when Create answered, the logger had %s signalled readiness", was_ready ? "already" : "not yet");
  T_REQUIRE (t, was_ready, "Create answered before the logger closed its readiness fd 5");
  start (t);
  uint32_t st = wait_c1 (t);
  char *out, *err;
  logger_output (t, &out, &err);
  T_REQUIRE (t, st == 3 && strcmp (out, "to-out\n") == 0, "the task did not run to the logger (exit %u, \"%s\")",
             st, out);
}

CASE (io_binary_v2_logger_readiness)
{
  /* binary-v2://: a closed fd 5 without the byte is a failure */
  char *script = logger_script (t, "");
  char *uri = t_keep_str (t, sc_xasprintf ("binary-v2://%s", script));
  char *b = t_bundle (t, "c1", OUT_ERR_3, false);
  t_launch (t, "c1", b);
  char *msg = NULL;
  int code = create_in_with_uri (t, b, uri, &msg);
  t_note (t, "a binary-v2:// logger that closed fd 5 without a byte: Create %s \"%s\"", sc_code_name (code),
          msg ? msg : "");
  T_REQUIRE (t, code != 0, "Create succeeded although the binary-v2:// logger never wrote its readiness byte");
  T_CODE (t, t_state (t, "c1", NULL, NULL, NULL), SC_NOT_FOUND, "State after the failed Create");
  free (msg);
  /* the same logger writing its byte runs the task */
  logger_script (t, "printf r >&5");
  T_OK (t, create_in_with_uri (t, b, uri, NULL),
        "Create with a binary-v2:// logger that writes its byte");
  start (t);
  uint32_t st = wait_c1 (t);
  char *out, *err;
  logger_output (t, &out, &err);
  T_REQUIRE (t, st == 3 && strcmp (out, "to-out\n") == 0 && strcmp (err, "to-err\n") == 0,
             "the task did not run to the ready binary-v2:// logger (exit %u, \"%s\", \"%s\")", st, out, err);
}

CASE (io_unknown_scheme_rejected)
{
  char *msg = NULL;
  int code = create_with_uri (t, OUT_ERR_3, "nosuch:///tmp/x", &msg);
  t_note (t, "stdout nosuch:///tmp/x: Create %s \"%s\"", sc_code_name (code), msg ? msg : "");
  T_REQUIRE (t, code != 0, "Create with an unknown stdio scheme succeeded");
  T_REQUIRE (t, msg && *msg, "Create failed without saying why");
  free (msg);
  T_CODE (t, t_state (t, "c1", NULL, NULL, NULL), SC_NOT_FOUND, "State after the failed Create");
}

CASE (io_stdio_not_a_fifo_rejected)
{
  /* a plain path is a FIFO containerd made; a regular file there is
   * someone's data: Create fails and leaves it as it was */
  char *victim = in_dir (t, "not-a-fifo");
  t_write_file (t, victim, "precious\n", 0644);
  char *msg = NULL;
  int code = create_with_uri (t, OUT_ERR_3, victim, &msg);
  char *after = t_read_file (t, victim);
  t_note (t, "stdout %s (a regular file): Create %s \"%s\"; the file holds \"%s\"", victim, sc_code_name (code),
          msg ? msg : "", after ? after : "(gone)");
  free (msg);
  T_REQUIRE (t, after && strcmp (after, "precious\n") == 0, "the regular file named as stdout was changed");
  T_REQUIRE (t, code != 0, "Create with a regular file as its stdout FIFO succeeded");
  T_CODE (t, t_state (t, "c1", NULL, NULL, NULL), SC_NOT_FOUND, "State after the failed Create");
}

/* a task running args writes its stdout and stderr to one file:// log
 * that held "before\n"; true when the file ends up holding want (or the
 * other order of the two lines, when either_order) */
static void
file_scheme_run (sc_t *t, const char *const *args, bool either_order)
{
  char *log = in_dir (t, "task.log");
  t_write_file (t, log, "before\n", 0644);
  char *uri = t_keep_str (t, sc_xasprintf ("file://%s", log));
  T_OK (t, create_with_uri (t, args, uri, NULL), "Create with file:// stdout and stderr");
  start (t);
  uint32_t st = wait_c1 (t);
  T_OK (t, t_delete (t, "c1", NULL, NULL, NULL), "Delete");
  /* the claim is where the output goes, not when: a shim may still be
   * copying a moment after Delete (the runc shim copies file:// output
   * through pipes too) */
  static const char want[] = "before\nto-out\nto-err\n";
  char *text = NULL;
  int64_t deadline = sc_deadline_in_ms (t_ms (t, 5000));
  while ((text = t_read_file (t, log)) != NULL && strlen (text) < strlen (want) && sc_now_mono_ns () < deadline)
    sc_loop_run_once (t->env.loop, 20);
  t_note (t, "exit %u; %s holds \"%s\"", st, log, text ? text : "(gone)");
  T_REQUIRE (t, st == 3, "the task's exit status %u is not 3", st);
  bool same = text && strcmp (text, want) == 0;
  /* the two streams may be copied apart: either order is fine */
  if (either_order)
    same |= text && strcmp (text, "before\nto-err\nto-out\n") == 0;
  T_REQUIRE (t, same, "the file does not hold what it had, then stdout and stderr appended");
}

CASE (io_file_scheme_appends)
{
  file_scheme_run (t, OUT_ERR_3, true);
}

CASE (io_file_scheme_stderr_after_stdout)
{
  /* stdout ends first: a shim that copies both streams into the file must
   * not let the end of one close the file under the other */
  static const char *const a[] = { "sh", "-c", "echo to-out; exec >&-; sleep 0.3; echo to-err >&2; exit 3", NULL };
  file_scheme_run (t, a, false);
}

/* ------------------------------------------------------------------ state / control */

CASE (control_pause_resume_status)
{
  t_running (t, "c1", SLEEP);
  T_OK (t, t_simple (t, "Pause", "c1", NULL), "Pause");
  Containerd__Task__V2__StateResponse *s = NULL;
  T_OK (t, t_state (t, "c1", NULL, &s, NULL), "State");
  int paused = s->status;
  T_OK (t, t_simple (t, "Resume", "c1", NULL), "Resume");
  T_OK (t, t_state (t, "c1", NULL, &s, NULL), "State");
  int resumed = s->status;
  t_note (t, "status after Pause %d, after Resume %d", paused, resumed);
  T_REQUIRE (t, paused == CONTAINERD__V1__TYPES__STATUS__PAUSED, "not PAUSED after Pause");
  T_REQUIRE (t, resumed == CONTAINERD__V1__TYPES__STATUS__RUNNING, "not RUNNING after Resume");
}

CASE (control_paused_resumed_events)
{
  t_running (t, "c1", SLEEP);
  T_OK (t, t_simple (t, "Pause", "c1", NULL), "Pause");
  T_OK (t, t_simple (t, "Resume", "c1", NULL), "Resume");
  const sc_event *r = t_event (t, "/tasks/resumed", "c1", NULL, 5000);
  const sc_event *p = t_event (t, "/tasks/paused", "c1", NULL, 1000);
  t_note (t, "paused #%llu, resumed #%llu", (unsigned long long) p->seq, (unsigned long long) r->seq);
  T_REQUIRE (t, p->seq < r->seq, "resumed came before paused");
}

CASE (control_update_resources)
{
  uint32_t pid = t_running (t, "c1", SLEEP);
  const char *json = "{\"memory\":{\"limit\":67108864}}";
  Google__Protobuf__Any any;
  sc_any_set (&any, "types.containerd.io/opencontainers/runtime-spec/1/LinuxResources", json, strlen (json));
  Containerd__Task__V2__UpdateTaskRequest u = CONTAINERD__TASK__V2__UPDATE_TASK_REQUEST__INIT;
  u.id = (char *) "c1";
  u.resources = &any;
  char *msg = NULL;
  int code = t_rpc (t, "Update", &u.base, NULL, &msg);
  sc_any_clear (&any);
  t_ok (t, code, &msg, "Update memory limit 64 MiB");
  /* applied, not only answered: the limit reads back from the task's memory
   * cgroup (containerd's TestTaskUpdate reads it the same way) */
  bool v2 = false;
  sc_error err = SC_ERROR_INIT;
  char *dir = t_keep_str (t, sc_proc_memory_cgroup ((pid_t) pid, &v2, &err));
  if (dir == NULL)
    {
      char *why = t_keep_str (t, sc_xstrdup (err.msg));
      sc_error_release (&err);
      t_skip (t, "cannot read the task's memory cgroup back: %s", why);
    }
  char *file = t_keep_str (t, sc_xasprintf ("%s/%s", dir, v2 ? "memory.max" : "memory.limit_in_bytes"));
  FILE *f = fopen (file, "re");
  char line[64] = "";
  if (f)
    {
      if (fgets (line, sizeof (line), f) == NULL)
        line[0] = '\0';
      fclose (f);
    }
  line[strcspn (line, "\n")] = '\0';
  t_note (t, "%s: %s", file, line);
  T_REQUIRE (t, strcmp (line, "67108864") == 0,
             "Update answered OK but the task's memory limit is %s, not 67108864 (read from %s)",
             line[0] ? line : "(unreadable)", file);
}

/* Stats of a running sleep: the reply's Any (the case's arena) */
static const Google__Protobuf__Any *
running_stats_pid (sc_t *t, uint32_t *pid)
{
  uint32_t p = t_running (t, "c1", SLEEP);
  if (pid)
    *pid = p;
  Containerd__Task__V2__StatsRequest q = CONTAINERD__TASK__V2__STATS_REQUEST__INIT;
  q.id = (char *) "c1";
  Containerd__Task__V2__StatsResponse *r = NULL;
  T_OK (t, t_rpc (t, "Stats", &q.base, (ProtobufCMessage **) &r, NULL), "Stats");
  T_REQUIRE (t, r->stats, "Stats returned no Any");
  return r->stats;
}

static const Google__Protobuf__Any *
running_stats (sc_t *t)
{
  return running_stats_pid (t, NULL);
}

CASE (control_stats_decodable)
{
  const Google__Protobuf__Any *st = running_stats (t);
  const char *type = sc_any_type_name (st->type_url);
  bool v1 = strcmp (type, "io.containerd.cgroups.v1.Metrics") == 0;
  bool v2 = strcmp (type, "io.containerd.cgroups.v2.Metrics") == 0;
  t_note (t, "Stats: %s, %zu bytes", st->type_url, st->value.len);
  T_REQUIRE (t, v1 || v2, "unknown stats type %s", st->type_url);
  if (v1)
    {
      Io__Containerd__Cgroups__V1__Metrics *m = io__containerd__cgroups__v1__metrics__unpack (
        NULL, st->value.len, st->value.data);
      T_REQUIRE (t, t_keep_pb (t, m), "the v1 Metrics do not decode");
      t_note (t, "pids.current %llu, memory usage %llu",
              (unsigned long long) (m->pids ? m->pids->current : 0),
              (unsigned long long) (m->memory && m->memory->usage ? m->memory->usage->usage : 0));
    }
  else
    {
      Io__Containerd__Cgroups__V2__Metrics *m = io__containerd__cgroups__v2__metrics__unpack (
        NULL, st->value.len, st->value.data);
      T_REQUIRE (t, t_keep_pb (t, m), "the v2 Metrics do not decode");
      t_note (t, "pids.current %llu, memory usage %llu, cpu usage %llu us",
              (unsigned long long) (m->pids ? m->pids->current : 0),
              (unsigned long long) (m->memory ? m->memory->usage : 0),
              (unsigned long long) (m->cpu ? m->cpu->usage_usec : 0));
    }
}

/* containerd picks the decoder by the type URL, but CRI and the runc shim
 * pair each cgroup mode with its own message: v2 fields hold nothing a v1
 * reader looks for, and the reverse */
CASE (control_stats_cgroup_version)
{
  const Google__Protobuf__Any *st = running_stats (t);
  const char *type = sc_any_type_name (st->type_url);
  bool unified = sc_cgroup_unified ();
  const char *want = unified ? "io.containerd.cgroups.v2.Metrics" : "io.containerd.cgroups.v1.Metrics";
  t_note (t, "host cgroup mode %s; Stats answered %s", unified ? "unified (v2)" : "v1/hybrid",
          st->type_url);
  T_REQUIRE (t, strcmp (type, want) == 0, "Stats answered %s on a %s host: containerd's runc shim answers %s",
             st->type_url, unified ? "cgroup v2 (unified)" : "cgroup v1", want);
}

CASE (control_stats_values)
{
  uint32_t pid = 0;
  const Google__Protobuf__Any *st = running_stats_pid (t, &pid);
  const char *type = sc_any_type_name (st->type_url);
  unsigned long long pids = 0, mem = 0;
  if (strcmp (type, "io.containerd.cgroups.v1.Metrics") == 0)
    {
      Io__Containerd__Cgroups__V1__Metrics *m
        = io__containerd__cgroups__v1__metrics__unpack (NULL, st->value.len, st->value.data);
      T_REQUIRE (t, t_keep_pb (t, m), "the v1 Metrics do not decode");
      pids = m->pids ? m->pids->current : 0;
      mem = m->memory && m->memory->usage ? m->memory->usage->usage : 0;
    }
  else if (strcmp (type, "io.containerd.cgroups.v2.Metrics") == 0)
    {
      Io__Containerd__Cgroups__V2__Metrics *m
        = io__containerd__cgroups__v2__metrics__unpack (NULL, st->value.len, st->value.data);
      T_REQUIRE (t, t_keep_pb (t, m), "the v2 Metrics do not decode");
      pids = m->pids ? m->pids->current : 0;
      mem = m->memory ? m->memory->usage : 0;
    }
  else
    T_REQUIRE (t, false, "unknown stats type %s", st->type_url);
  t_note (t, "%s: pids.current %llu, memory usage %llu", type, pids, mem);
  /* judged where the task's cgroup accounts them: a v2 cgroup without the
   * pids or memory controller has no pids.current or memory.current */
  if (sc_proc_cgroup_has ((pid_t) pid, "pids", "pids.current", "pids.current"))
    T_REQUIRE (t, pids >= 1, "Stats says the running task has %llu pids", pids);
  else
    t_note (t, "the task's cgroup has no pids controller: pids not judged");
  if (!sc_proc_cgroup_has ((pid_t) pid, "memory", "memory.usage_in_bytes", "memory.current"))
    {
      t_note (t, "the task's cgroup has no memory controller: memory usage not judged");
      return;
    }
  T_REQUIRE (t, mem > 0, "Stats says the running task uses %llu bytes of memory", mem);
}

CASE (control_connect_task_pid)
{
  uint32_t pid = t_running (t, "c1", SLEEP);
  Containerd__Task__V2__ConnectRequest q = CONTAINERD__TASK__V2__CONNECT_REQUEST__INIT;
  q.id = (char *) "c1";
  Containerd__Task__V2__ConnectResponse *r = NULL;
  T_OK (t, t_rpc (t, "Connect", &q.base, (ProtobufCMessage **) &r, NULL), "Connect");
  t_note (t, "Connect shim_pid %u task_pid %u (init %u)", r->shim_pid, r->task_pid, pid);
  bool ok = r->task_pid == pid && r->shim_pid > 0;
  T_REQUIRE (t, ok, "Connect must report the task's init pid");
}

CASE (control_state_fields)
{
  char *b = t_bundle (t, "c1", SLEEP, false);
  t_launch (t, "c1", b);
  sc_io io;
  t_io (t, "c1", false, true, &io);
  uint32_t pid = 0;
  T_OK (t, t_create (t, "c1", b, &io, &pid, NULL), "Create");
  Containerd__Task__V2__StateResponse *s = NULL;
  T_OK (t, t_state (t, "c1", NULL, &s, NULL), "State");
  t_note (t, "State id %s bundle %s pid %u stdout %s", s->id, s->bundle, s->pid, s->stdout);
  bool ok = strcmp (s->id, "c1") == 0 && strcmp (s->bundle, b) == 0 && s->pid == pid
            && strcmp (s->stdout, io.out) == 0 && strcmp (s->stderr, io.err) == 0;
  T_REQUIRE (t, ok, "State must echo id, bundle, pid and the stdio paths");
  t_io_close (&io);
}

CASE (control_pids_includes_init)
{
  uint32_t pid = t_running (t, "c1", SLEEP);
  Containerd__Task__V2__PidsRequest q = CONTAINERD__TASK__V2__PIDS_REQUEST__INIT;
  q.id = (char *) "c1";
  Containerd__Task__V2__PidsResponse *r = NULL;
  T_OK (t, t_rpc (t, "Pids", &q.base, (ProtobufCMessage **) &r, NULL), "Pids");
  bool found = false;
  for (size_t i = 0; i < r->n_processes; i++)
    found |= r->processes[i]->pid == pid;
  t_note (t, "%zu pids, init %u %s", r->n_processes, pid, found ? "listed" : "missing");
  T_REQUIRE (t, found, "Pids does not list the init");
}

/* ------------------------------------------------------------------ ttrpc */

static void
still_alive (sc_t *t, const char *after)
{
  Containerd__Task__V2__ConnectRequest q = CONTAINERD__TASK__V2__CONNECT_REQUEST__INIT;
  q.id = (char *) "c1";
  char *msg = NULL;
  int code = t_rpc (t, "Connect", &q.base, NULL, &msg);
  if (code != 0)
    t_fail (t, "the shim does not answer Connect after %s: %s: %s", after, sc_code_name (code), msg);
}

CASE (ttrpc_unknown_method_unimplemented)
{
  t_launched (t, "c1");
  sc_rpc_result r = { 0 };
  sc_call_opts o = { .timeout_ms = t_ms (t, 5000) };
  sc_ttrpc_call_sync (t->shim->rpc, t->shim->task.service, "NoSuchMethod", NULL, 0, &o, &r);
  t->last_local = r.local;
  t_code (t, r.code, &r.message, SC_UNIMPLEMENTED, "unknown method");
  sc_rpc_result_release (&r);
}

CASE (ttrpc_unknown_service_unimplemented)
{
  t_launched (t, "c1");
  sc_rpc_result r = { 0 };
  sc_call_opts o = { .timeout_ms = t_ms (t, 5000) };
  sc_ttrpc_call_sync (t->shim->rpc, "containerd.task.v9.Task", "State", NULL, 0, &o, &r);
  t->last_local = r.local;
  t_code (t, r.code, &r.message, SC_UNIMPLEMENTED, "unknown service");
  sc_rpc_result_release (&r);
}

CASE (ttrpc_oversized_request)
{
  t_launched (t, "c1");
  size_t n = SC_FRAME_MAX_DATA + 1;
  uint8_t *big = sc_xcalloc (1, n);
  sc_rpc_result r = { 0 };
  sc_ttrpc_call_raw_sync (t->shim->rpc, 0, SC_MSG_REQUEST, 0, big, n, NULL, 0, t_ms (t, 10000), &r);
  free (big);
  t->last_local = r.local;
  t_code (t, r.code, &r.message, SC_RESOURCE_EXHAUSTED, "a 4 MiB + 1 request");
  sc_rpc_result_release (&r);
  still_alive (t, "an oversized request");
}

CASE (ttrpc_garbage_envelope)
{
  t_launched (t, "c1");
  const uint8_t junk[] = { 0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01 };
  sc_rpc_result r = { 0 };
  sc_ttrpc_call_raw_sync (t->shim->rpc, 0, SC_MSG_REQUEST, 0, junk, sizeof (junk), NULL, 0,
                          t_ms (t, 5000), &r);
  t->last_local = r.local;
  t_code (t, r.code, &r.message, SC_INVALID_ARGUMENT, "a request that is not a ttrpc.Request");
  sc_rpc_result_release (&r);
  still_alive (t, "a garbage envelope");
}

CASE (ttrpc_even_stream_id)
{
  t_launched (t, "c1");
  Ttrpc__Request req = TTRPC__REQUEST__INIT;
  req.service = (char *) t->shim->task.service;
  req.method = (char *) "Connect";
  size_t len;
  uint8_t *body = sc_pb_pack (&req.base, &len);
  sc_rpc_result r = { 0 };
  sc_ttrpc_call_raw_sync (t->shim->rpc, 1000, SC_MSG_REQUEST, 0, body, len, NULL, 0, t_ms (t, 5000), &r);
  free (body);
  t->last_local = r.local;
  t_code (t, r.code, &r.message, SC_INVALID_ARGUMENT, "a request on an even stream id");
  sc_rpc_result_release (&r);
}

typedef struct tally
{
  int done, ok;
} tally;

static void
tally_cb (sc_rpc_result *res, void *data)
{
  tally *c = data;
  c->done++;
  c->ok += res->code == 0;
}

static bool
tally_full (void *data)
{
  return ((tally *) data)->done >= 100;
}

CASE (ttrpc_hundred_concurrent_calls)
{
  t_running (t, "c1", SLEEP);
  Containerd__Task__V2__StateRequest q = CONTAINERD__TASK__V2__STATE_REQUEST__INIT;
  q.id = (char *) "c1";
  size_t len;
  uint8_t *buf = sc_pb_pack (&q.base, &len);
  /* the arena's: answers after a failure still land somewhere */
  tally *c = t_keep (t, sc_xcalloc (1, sizeof (*c)), free);
  sc_call_opts o = { .timeout_ms = t_ms (t, 20000) };
  for (int i = 0; i < 100; i++)
    sc_ttrpc_call_async (t->shim->rpc, t->shim->task.service, "State", buf, len, &o, tally_cb, c);
  free (buf);
  sc_loop_run_until (t->env.loop, tally_full, c, sc_deadline_in_ms (t_ms (t, 25000)));
  t_note (t, "%d of 100 concurrent State calls answered OK", c->ok);
  T_REQUIRE (t, c->ok == 100, "%d answered, %d OK", c->done, c->ok);
}

CASE (ttrpc_disconnect_during_wait)
{
  t_running (t, "c1", SLEEP);
  /* a second connection blocks in Wait, then goes away */
  sc_ttrpc_client *other = NULL;
  sc_error err = SC_ERROR_INIT;
  T_REQUIRE (t, sc_ttrpc_client_dial_unix (t->env.loop, t->shim->addr.name, t->shim->addr.abstract,
                                           t_ms (t, 5000), &other, &err) == 0,
             "second connection: %s", err.msg);
  sc_ttrpc_client_set_namespace (other, t->env.ns);
  Containerd__Task__V2__WaitRequest w = CONTAINERD__TASK__V2__WAIT_REQUEST__INIT;
  w.id = (char *) "c1";
  size_t len;
  uint8_t *buf = sc_pb_pack (&w.base, &len);
  sc_ttrpc_call_async (other, t->shim->task.service, "Wait", buf, len, NULL, NULL, NULL);
  free (buf);
  sc_loop_run_once (t->env.loop, 100);
  sc_ttrpc_client_free (other);
  sc_loop_run_once (t->env.loop, 100);
  t_note (t, "a client went away during a blocked Wait");
  still_alive (t, "a client left during Wait");
  T_OK (t, t_kill (t, "c1", NULL, SIGKILL, false, NULL), "Kill");
  uint32_t st = 0;
  T_OK (t, t_wait (t, "c1", NULL, &st, NULL, NULL), "Wait on the first connection");
  T_REQUIRE (t, st == 137, "exit %u", st);
}

typedef struct create_ctx
{
  bool done;
  int code;
} create_ctx;

static void
create_cb (sc_rpc_result *res, void *data)
{
  create_ctx *c = data;
  c->done = true;
  c->code = res->code;
}

static bool
create_done (void *data)
{
  return ((create_ctx *) data)->done;
}

CASE (ttrpc_slow_runtime_does_not_block)
{
  t_running (t, "c1", SLEEP);
  char *slow = t_runtime_wrapper (t, "slow-runc", 3);
  char *b2 = t_bundle (t, "c2", SLEEP, false);
  Google__Protobuf__Any any;
  t_options_any (slow, &any);
  Containerd__Task__V2__CreateTaskRequest r = CONTAINERD__TASK__V2__CREATE_TASK_REQUEST__INIT;
  r.id = (char *) "c2";
  r.bundle = b2;
  r.options = &any;
  size_t len;
  uint8_t *buf = sc_pb_pack (&r.base, &len);
  sc_any_clear (&any);
  create_ctx *cc = t_keep (t, sc_xcalloc (1, sizeof (*cc)), free); /* outlives a failure */
  sc_call_opts o = { .timeout_ms = t_ms (t, 30000) };
  t_log (t, "-> Create c2 through a runtime that sleeps 3 s on create");
  sc_ttrpc_call_async (t->shim->rpc, t->shim->task.service, "Create", buf, len, &o, create_cb, cc);
  free (buf);
  t_track_task (t, "c2");
  /* wait until the runtime is really inside the slow create */
  char *calls = sc_xasprintf ("%s.calls", slow);
  bool inside = false;
  for (int i = 0; i < 500 && !inside; i++)
    {
      sc_loop_run_once (t->env.loop, 10);
      FILE *f = fopen (calls, "r");
      char line[512];
      while (f && fgets (line, sizeof (line), f))
        inside |= strstr (line, "create") != NULL;
      if (f)
        fclose (f);
    }
  free (calls);
  T_REQUIRE (t, inside, "the slow runtime was never called for Create");
  int64_t t0 = sc_now_mono_ns ();
  char *msg = NULL;
  int code = t_state (t, "c1", NULL, NULL, &msg);
  double ms = (sc_now_mono_ns () - t0) / 1e6;
  t_note (t, "State of another task took %.0f ms while Create c2 was in the runtime", ms);
  sc_loop_run_until (t->env.loop, create_done, cc, sc_deadline_in_ms (t_ms (t, 30000)));
  t_ok (t, code, &msg, "State during the slow Create");
  T_REQUIRE (t, ms < 1000, "State waited %.0f ms for another task's runtime call", ms);
  free (slow);
}

CASE (ttrpc_garbage_payload_every_rpc)
{
  t_running (t, "c1", SLEEP);
  const ProtobufCServiceDescriptor *sd = &containerd__task__v2__task__descriptor;
  const uint8_t junk[] = { 0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0xff };
  int accepted = 0;
  for (unsigned i = 0; i < sd->n_methods; i++)
    {
      sc_rpc_result r = { 0 };
      sc_call_opts o = { .timeout_ms = t_ms (t, 5000) };
      sc_ttrpc_call_sync (t->shim->rpc, t->shim->task.service, sd->methods[i].name, junk,
                          sizeof (junk), &o, &r);
      t_log (t, "%s with a garbage payload -> %s", sd->methods[i].name, sc_code_name (r.code));
      if (r.code == SC_OK || (r.local && r.code != SC_DEADLINE_EXCEEDED))
        accepted++;
      if (r.local)
        t_fail (t, "%s with a garbage payload: %s (the shim died or hung up)", sd->methods[i].name,
                r.message);
      sc_rpc_result_release (&r);
    }
  t_note (t, "17 RPCs with undecodable payloads: %d accepted", accepted);
  T_REQUIRE (t, accepted == 0, "%d RPCs accepted an undecodable payload", accepted);
  still_alive (t, "garbage payloads");
}

CASE (ttrpc_non_utf8_id_keeps_connection)
{
  t_running (t, "c1", SLEEP);
  /* StartRequest{id: "c1", exec_id: "\xff\xfe"}: a containerd client (Go)
   * cannot decode a reply that echoes those bytes, and runc-v2 cannot even
   * encode one */
  const uint8_t req[] = { 0x0a, 0x02, 'c', '1', 0x12, 0x02, 0xff, 0xfe };
  sc_rpc_result r = { 0 };
  sc_call_opts o = { .timeout_ms = t_ms (t, 5000) };
  sc_ttrpc_call_sync (t->shim->rpc, t->shim->task.service, "Start", req, sizeof (req), &o, &r);
  t->last_local = r.local;
  t_log (t, "Start of exec id \\xff\\xfe -> %s: %s", sc_code_name (r.code), r.message);
  if (r.local)
    t_fail (t, "Start of a non-UTF-8 exec id: %s (the shim dropped the connection)", r.message);
  bool utf8 = sc_utf8_valid (r.message ? r.message : "");
  int code = r.code;
  sc_rpc_result_release (&r);
  T_REQUIRE (t, code != SC_OK, "Start of an exec id that does not exist answered OK");
  T_REQUIRE (t, utf8, "the error message is not UTF-8: a Go client cannot decode the reply");
  still_alive (t, "a non-UTF-8 exec id");
}
