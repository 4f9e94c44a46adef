/* Our ttrpc client against our ttrpc server, in process, over a socketpair
 * (or a path socket for the credential test): concurrency, deferred and
 * out-of-order replies, every server error behaviour of §1.5, disconnects and
 * deadlines. */
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
#include <grp.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "frame.h"
#include "pb.h"
#include "ttrpc/ttrpc.pb-c.h"
#include "ttrpc_client.h"
#include "ttrpc_server.h"

typedef struct fixture
{
  sc_loop *loop;
  sc_ttrpc_server *server;
  sc_ttrpc_client *client;
  sc_ttrpc_call *held[256];
  size_t nheld;
  size_t cancelled;
  size_t handled;
} fixture;

static void
echo (sc_ttrpc_call *call, void *data)
{
  fixture *f = data;
  f->handled++;
  size_t len;
  const uint8_t *p = sc_ttrpc_call_payload (call, &len);
  sc_ttrpc_call_reply (call, p, len);
}

static void
echo_plain (sc_ttrpc_call *call, void *data)
{
  size_t len;
  const uint8_t *p = sc_ttrpc_call_payload (call, &len);
  sc_ttrpc_call_reply (call, p, len);
}

static void
meta (sc_ttrpc_call *call, void *data)
{
  const char *ns = sc_ttrpc_call_metadata (call, SC_NAMESPACE_KEY);
  const char *x = sc_ttrpc_call_metadata (call, "x-test");
  char buf[256];
  int n = snprintf (buf, sizeof (buf), "ns=%s x=%s deadline=%d", ns ? ns : "-", x ? x : "-",
                    sc_ttrpc_call_deadline_ns (call) > 0);
  sc_ttrpc_call_reply (call, (const uint8_t *) buf, (size_t) n);
}

static void
forget_held (sc_ttrpc_call *call, void *data)
{
  fixture *f = data;
  f->cancelled++;
  for (size_t i = 0; i < f->nheld; i++)
    if (f->held[i] == call)
      {
        f->held[i] = f->held[--f->nheld];
        return;
      }
}

static void
hold (sc_ttrpc_call *call, void *data)
{
  fixture *f = data;
  sc_ttrpc_call_set_cancel (call, forget_held, f);
  f->held[f->nheld++] = call;
}

/* replies to every held call, newest first (out of order), then to itself */
static void
release (sc_ttrpc_call *call, void *data)
{
  fixture *f = data;
  while (f->nheld > 0)
    {
      sc_ttrpc_call *h = f->held[--f->nheld];
      size_t len;
      const uint8_t *p = sc_ttrpc_call_payload (h, &len);
      sc_ttrpc_call_reply (h, p, len);
    }
  sc_ttrpc_call_reply (call, NULL, 0);
}

static void
fail_notfound (sc_ttrpc_call *call, void *data)
{
  sc_ttrpc_call_error (call, SC_NOT_FOUND, "container %s not created", "c1");
}

static void
register_all (fixture *f)
{
  sc_ttrpc_server_register (f->server, "test.Svc", "Echo", echo, f);
  sc_ttrpc_server_register (f->server, "test.Svc", "Meta", meta, f);
  sc_ttrpc_server_register (f->server, "test.Svc", "Hold", hold, f);
  sc_ttrpc_server_register (f->server, "test.Svc", "Release", release, f);
  sc_ttrpc_server_register (f->server, "test.Svc", "Fail", fail_notfound, f);
}

static int
setup (void **state)
{
  fixture *f = calloc (1, sizeof (*f));
  sc_error err = SC_ERROR_INIT;
  assert_int_equal (sc_loop_new (&f->loop, &err), 0);
  f->server = sc_ttrpc_server_new (f->loop);
  register_all (f);
  int sv[2];
  assert_int_equal (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  assert_int_equal (sc_ttrpc_server_add_connection (f->server, sv[0], &err), 0);
  f->client = sc_ttrpc_client_new (f->loop, sv[1], &err);
  assert_non_null (f->client);
  sc_ttrpc_client_set_namespace (f->client, "testns");
  *state = f;
  return 0;
}

static int
teardown (void **state)
{
  fixture *f = *state;
  sc_ttrpc_client_free (f->client);
  sc_ttrpc_server_free (f->server);
  assert_false (sc_loop_alive (f->loop)); /* nothing left registered */
  sc_loop_free (f->loop);
  free (f);
  return 0;
}

static void
call (fixture *f, const char *svc, const char *method, const char *payload, int64_t timeout_ms,
      sc_rpc_result *r)
{
  sc_call_opts o = { .timeout_ms = timeout_ms };
  sc_ttrpc_call_sync (f->client, svc, method, (const uint8_t *) payload,
                      payload ? strlen (payload) : 0, &o, r);
}

static void
unary_call_round_trips_payload (void **state)
{
  fixture *f = *state;
  sc_rpc_result r;
  call (f, "test.Svc", "Echo", "ping", 1000, &r);
  assert_int_equal (r.code, SC_OK);
  assert_int_equal (r.payload_len, 4);
  assert_memory_equal (r.payload, "ping", 4);
  sc_rpc_result_release (&r);
}

static void
namespace_and_metadata_and_deadline_reach_the_handler (void **state)
{
  fixture *f = *state;
  sc_kv md[] = { { "x-test", "42" } };
  sc_call_opts o = { .timeout_ms = 1000, .metadata = md, .n_metadata = 1 };
  sc_rpc_result r;
  sc_ttrpc_call_sync (f->client, "test.Svc", "Meta", NULL, 0, &o, &r);
  assert_int_equal (r.code, SC_OK);
  assert_memory_equal (r.payload, "ns=testns x=42 deadline=1", r.payload_len);
  sc_rpc_result_release (&r);
  call (f, "test.Svc", "Meta", NULL, 0, &r);
  assert_memory_equal (r.payload, "ns=testns x=- deadline=0", r.payload_len);
  sc_rpc_result_release (&r);
}

static void
handler_error_carries_code_and_message (void **state)
{
  fixture *f = *state;
  sc_rpc_result r;
  call (f, "test.Svc", "Fail", NULL, 1000, &r);
  assert_int_equal (r.code, SC_NOT_FOUND);
  assert_false (r.local);
  assert_string_equal (r.message, "container c1 not created");
  sc_rpc_result_release (&r);
}

typedef struct counter
{
  int done, ok;
  char expect[32];
} counter;

static void
count_cb (sc_rpc_result *res, void *data)
{
  counter *c = data;
  c->done++;
  if (res->code == SC_OK && res->payload_len == strlen (c->expect)
      && memcmp (res->payload, c->expect, res->payload_len) == 0)
    c->ok++;
}

static bool
all_done (void *data)
{
  counter *c = data;
  return c->done == 1;
}

static void
hundred_concurrent_calls_all_complete_with_their_own_payload (void **state)
{
  fixture *f = *state;
  counter cs[100];
  uint32_t last = 0;
  for (int i = 0; i < 100; i++)
    {
      memset (&cs[i], 0, sizeof (cs[i]));
      snprintf (cs[i].expect, sizeof (cs[i].expect), "call-%d", i);
      sc_call_opts o = { .timeout_ms = 5000 };
      uint32_t id = sc_ttrpc_call_async (f->client, "test.Svc", "Echo",
                                         (const uint8_t *) cs[i].expect, strlen (cs[i].expect),
                                         &o, count_cb, &cs[i]);
      assert_int_equal (id % 2, 1);  /* odd */
      assert_true (id > last);       /* increasing */
      last = id;
    }
  assert_int_equal (sc_ttrpc_client_pending (f->client), 100);
  for (int i = 0; i < 100; i++)
    assert_int_equal (sc_loop_run_until (f->loop, all_done, &cs[i], sc_deadline_in_ms (5000)), 0);
  for (int i = 0; i < 100; i++)
    assert_int_equal (cs[i].ok, 1);
  assert_int_equal (sc_ttrpc_client_pending (f->client), 0);
}

static void
blocked_call_does_not_delay_others_and_deferred_replies_arrive_out_of_order (void **state)
{
  fixture *f = *state;
  counter held[3];
  for (int i = 0; i < 3; i++)
    {
      memset (&held[i], 0, sizeof (held[i]));
      snprintf (held[i].expect, sizeof (held[i].expect), "wait-%d", i);
      sc_ttrpc_call_async (f->client, "test.Svc", "Hold", (const uint8_t *) held[i].expect,
                           strlen (held[i].expect), NULL, count_cb, &held[i]);
    }
  /* a State-like call completes while the three Waits are blocked */
  sc_rpc_result r;
  call (f, "test.Svc", "Echo", "state", 1000, &r);
  assert_int_equal (r.code, SC_OK);
  sc_rpc_result_release (&r);
  assert_int_equal (f->nheld, 3);
  for (int i = 0; i < 3; i++)
    assert_int_equal (held[i].done, 0);
  assert_int_equal (sc_ttrpc_server_calls_pending (f->server), 3);
  /* Release replies newest first: each reply must still reach its own call */
  call (f, "test.Svc", "Release", NULL, 1000, &r);
  assert_int_equal (r.code, SC_OK);
  sc_rpc_result_release (&r);
  for (int i = 0; i < 3; i++)
    {
      assert_int_equal (sc_loop_run_until (f->loop, all_done, &held[i], sc_deadline_in_ms (2000)), 0);
      assert_int_equal (held[i].ok, 1);
    }
  assert_int_equal (sc_ttrpc_server_calls_pending (f->server), 0);
}

static void
unknown_service_and_method_are_unimplemented (void **state)
{
  fixture *f = *state;
  sc_rpc_result r;
  call (f, "no.Such", "Echo", NULL, 1000, &r);
  assert_int_equal (r.code, SC_UNIMPLEMENTED);
  assert_string_equal (r.message, "service no.Such");
  sc_rpc_result_release (&r);
  call (f, "test.Svc", "Nope", NULL, 1000, &r);
  assert_int_equal (r.code, SC_UNIMPLEMENTED);
  assert_string_equal (r.message, "method Nope");
  sc_rpc_result_release (&r);
}

static void
garbage_envelope_is_invalid_argument_on_same_stream (void **state)
{
  fixture *f = *state;
  const uint8_t junk[] = { 0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01 };
  sc_rpc_result r;
  uint32_t id = 0;
  sc_ttrpc_call_raw_sync (f->client, id, SC_MSG_REQUEST, 0, junk, sizeof (junk), NULL, 0, 1000, &r);
  assert_int_equal (r.code, SC_INVALID_ARGUMENT);
  assert_false (r.local);
  assert_non_null (strstr (r.message, "unmarshal request error"));
  sc_rpc_result_release (&r);
  /* the connection is still good */
  call (f, "test.Svc", "Echo", "after", 1000, &r);
  assert_int_equal (r.code, SC_OK);
  sc_rpc_result_release (&r);
}

static void
oversized_frame_is_discarded_with_resource_exhausted_and_conn_kept (void **state)
{
  fixture *f = *state;
  size_t n = SC_FRAME_MAX_DATA + 1;
  uint8_t *big = calloc (1, n);
  sc_rpc_result r;
  sc_ttrpc_call_raw_sync (f->client, 0, SC_MSG_REQUEST, 0, big, n, NULL, 0, 5000, &r);
  assert_int_equal (r.code, SC_RESOURCE_EXHAUSTED);
  assert_false (r.local);
  assert_string_equal (r.message, "message length 4194305 exceed maximum message size of 4194304");
  sc_rpc_result_release (&r);
  free (big);
  call (f, "test.Svc", "Echo", "still here", 1000, &r);
  assert_int_equal (r.code, SC_OK);
  assert_memory_equal (r.payload, "still here", 10);
  sc_rpc_result_release (&r);
}

static void
even_stream_id_is_invalid_argument_on_that_id (void **state)
{
  fixture *f = *state;
  Ttrpc__Request req = TTRPC__REQUEST__INIT;
  req.service = (char *) "test.Svc";
  req.method = (char *) "Echo";
  size_t len;
  uint8_t *body = sc_pb_pack (&req.base, &len);
  sc_rpc_result r;
  sc_ttrpc_call_raw_sync (f->client, 4, SC_MSG_REQUEST, 0, body, len, NULL, 0, 1000, &r);
  assert_int_equal (r.code, SC_INVALID_ARGUMENT);
  assert_string_equal (r.message, "StreamID must be odd for client initiated streams");
  assert_int_equal (f->handled, 0);
  sc_rpc_result_release (&r);
  free (body);
}

static void
non_request_frames_are_ignored_and_conn_kept (void **state)
{
  fixture *f = *state;
  sc_rpc_result r;
  /* a Data frame on a new stream: ttrpc 1.1 ignores it, so no reply comes */
  sc_ttrpc_call_raw_sync (f->client, 0, SC_MSG_DATA, 0, (const uint8_t *) "x", 1, NULL, 0, 200, &r);
  assert_int_equal (r.code, SC_DEADLINE_EXCEEDED);
  assert_true (r.local);
  sc_rpc_result_release (&r);
  call (f, "test.Svc", "Echo", "ok", 1000, &r);
  assert_int_equal (r.code, SC_OK);
  sc_rpc_result_release (&r);
}

static void
deadline_expires_locally_and_late_reply_is_dropped (void **state)
{
  fixture *f = *state;
  sc_rpc_result r;
  int64_t t0 = sc_now_mono_ns ();
  call (f, "test.Svc", "Hold", "late", 100, &r);
  int64_t ms = (sc_now_mono_ns () - t0) / 1000000;
  assert_int_equal (r.code, SC_DEADLINE_EXCEEDED);
  assert_true (r.local);
  assert_in_range (ms, 90, 1000);
  sc_rpc_result_release (&r);
  /* the server still holds it; its late reply must be ignored harmlessly */
  assert_int_equal (f->nheld, 1);
  call (f, "test.Svc", "Release", NULL, 1000, &r);
  assert_int_equal (r.code, SC_OK);
  sc_rpc_result_release (&r);
  assert_int_equal (sc_ttrpc_client_stray_frames (f->client), 1);
}

static void
oversized_outgoing_request_fails_locally_and_conn_kept (void **state)
{
  fixture *f = *state;
  size_t n = SC_FRAME_MAX_DATA + 100;
  uint8_t *big = calloc (1, n);
  sc_rpc_result r;
  sc_call_opts o = { .timeout_ms = 1000 };
  sc_ttrpc_call_sync (f->client, "test.Svc", "Echo", big, n, &o, &r);
  free (big);
  assert_int_equal (r.code, SC_RESOURCE_EXHAUSTED);
  assert_true (r.local);
  sc_rpc_result_release (&r);
  call (f, "test.Svc", "Echo", "fine", 1000, &r);
  assert_int_equal (r.code, SC_OK);
  sc_rpc_result_release (&r);
}

static void
server_going_away_mid_call_fails_pending_calls_unavailable (void **state)
{
  fixture *f = *state;
  counter c = { 0 };
  sc_ttrpc_call_async (f->client, "test.Svc", "Hold", NULL, 0, NULL, count_cb, &c);
  sc_rpc_result r;
  call (f, "test.Svc", "Echo", "x", 1000, &r); /* Hold has reached the server */
  sc_rpc_result_release (&r);
  assert_int_equal (f->nheld, 1);
  /* clean shutdown of the server: cancels the held call, closes the conn */
  sc_ttrpc_server_free (f->server);
  f->server = NULL;
  assert_int_equal (f->cancelled, 1);
  assert_int_equal (f->nheld, 0);
  assert_int_equal (sc_loop_run_until (f->loop, all_done, &c, sc_deadline_in_ms (2000)), 0);
  assert_int_equal (c.ok, 0);
  assert_false (sc_ttrpc_client_connected (f->client));
  /* later calls fail fast, not at a deadline */
  int64_t t0 = sc_now_mono_ns ();
  call (f, "test.Svc", "Echo", "x", 5000, &r);
  assert_int_equal (r.code, SC_UNAVAILABLE);
  assert_true ((sc_now_mono_ns () - t0) < 1000000000);
  sc_rpc_result_release (&r);
}

static bool
no_conns (void *data)
{
  return sc_ttrpc_server_connections (data) == 0;
}

static void
client_disconnect_cancels_deferred_calls_and_server_stays_healthy (void **state)
{
  fixture *f = *state;
  sc_ttrpc_call_async (f->client, "test.Svc", "Hold", NULL, 0, NULL, NULL, NULL);
  sc_rpc_result r;
  call (f, "test.Svc", "Echo", "x", 1000, &r);
  sc_rpc_result_release (&r);
  assert_int_equal (f->nheld, 1);
  sc_ttrpc_client_free (f->client);
  assert_int_equal (sc_loop_run_until (f->loop, no_conns, f->server, sc_deadline_in_ms (2000)), 0);
  assert_int_equal (f->cancelled, 1);
  assert_int_equal (f->nheld, 0);
  /* a new client on the same server works */
  int sv[2];
  assert_int_equal (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  assert_int_equal (sc_ttrpc_server_add_connection (f->server, sv[0], NULL), 0);
  f->client = sc_ttrpc_client_new (f->loop, sv[1], NULL);
  call (f, "test.Svc", "Echo", "again", 1000, &r);
  assert_int_equal (r.code, SC_OK);
  sc_rpc_result_release (&r);
}

/* --- path socket: credentials and clean shutdown --- */

static void
other_uid_is_closed_without_reply_same_uid_is_served (void **state)
{
  fixture *f = *state;
  if (geteuid () != 0)
    skip ();
  char dir[] = "/tmp/sc-rpc.XXXXXX";
  assert_non_null (mkdtemp (dir));
  chmod (dir, 0755);
  char path[128];
  snprintf (path, sizeof (path), "%s/s.sock", dir);
  sc_error err = SC_ERROR_INIT;
  assert_int_equal (sc_ttrpc_server_listen (f->server, path, 0666, &err), 0);

  /* a child as nobody connects and sends a valid request */
  int pfd[2];
  assert_int_equal (pipe (pfd), 0);
  pid_t pid = fork ();
  if (pid == 0)
    {
      close (pfd[0]);
      if (setgroups (0, NULL) < 0 || setgid (65534) < 0 || setuid (65534) < 0)
        _exit (10);
      int fd = socket (AF_UNIX, SOCK_STREAM, 0);
      struct sockaddr_un sa = { .sun_family = AF_UNIX };
      strcpy (sa.sun_path, path);
      if (connect (fd, (struct sockaddr *) &sa, sizeof (sa)) < 0)
        _exit (11);
      Ttrpc__Request req = TTRPC__REQUEST__INIT;
      req.service = (char *) "test.Svc";
      req.method = (char *) "Echo";
      size_t len;
      uint8_t *body = sc_pb_pack (&req.base, &len);
      uint8_t hdr[SC_FRAME_HEADER_LEN];
      sc_frame_header h = { (uint32_t) len, 1, SC_MSG_REQUEST, 0 };
      sc_frame_header_encode (&h, hdr);
      if (write (fd, hdr, sizeof (hdr)) < 0 || write (fd, body, len) < 0)
        {
          /* EPIPE is also a closed connection */
        }
      char buf[64];
      ssize_t n = read (fd, buf, sizeof (buf));
      char verdict = n == 0 || (n < 0 && errno == ECONNRESET) ? 'C' : 'R';
      if (write (pfd[1], &verdict, 1) < 0)
        _exit (12);
      _exit (0);
    }
  close (pfd[1]);
  /* serve until the child reports */
  char verdict = 0;
  for (int i = 0; i < 500 && verdict == 0; i++)
    {
      sc_loop_run_once (f->loop, 10);
      struct timeval tv = { 0, 0 };
      fd_set rs;
      FD_ZERO (&rs);
      FD_SET (pfd[0], &rs);
      if (select (pfd[0] + 1, &rs, NULL, NULL, &tv) > 0)
        assert_int_equal (read (pfd[0], &verdict, 1), 1);
    }
  int st;
  waitpid (pid, &st, 0);
  close (pfd[0]);
  assert_true (WIFEXITED (st));
  assert_int_equal (WEXITSTATUS (st), 0);
  assert_int_equal (verdict, 'C');
  assert_int_equal (f->handled, 0);

  /* same uid: served */
  sc_ttrpc_client *c2;
  assert_int_equal (sc_ttrpc_client_dial (f->loop, path, 1000, &c2, &err), 0);
  sc_rpc_result r;
  sc_call_opts o = { .timeout_ms = 1000 };
  sc_ttrpc_call_sync (c2, "test.Svc", "Echo", (const uint8_t *) "me", 2, &o, &r);
  assert_int_equal (r.code, SC_OK);
  sc_rpc_result_release (&r);
  sc_ttrpc_client_free (c2);

  /* clean shutdown removes the socket it bound */
  sc_ttrpc_server_free (f->server);
  f->server = NULL;
  struct stat sst;
  assert_int_equal (stat (path, &sst), -1);
  assert_int_equal (errno, ENOENT);
  rmdir (dir);
}


/* CPU ticks (user + system) a process has used, from /proc/<pid>/stat */
static long
cpu_ticks (pid_t pid)
{
  char path[64], buf[1024];
  snprintf (path, sizeof (path), "/proc/%d/stat", (int) pid);
  FILE *f = fopen (path, "r");
  if (f == NULL)
    return -1;
  size_t n = fread (buf, 1, sizeof (buf) - 1, f);
  fclose (f);
  buf[n] = '\0';
  char *p = strrchr (buf, ')');
  long ut = 0, st = 0;
  /* after the comm: state ppid pgrp session tty tpgid flags minflt cminflt
   * majflt cmajflt utime stime */
  if (p == NULL || sscanf (p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %ld %ld", &ut, &st) != 2)
    return -1;
  return ut + st;
}

static void
quit_handler (sc_ttrpc_call *call, void *data)
{
  sc_ttrpc_call_reply (call, NULL, 0);
  *(bool *) data = true;
}

static bool
is_true (void *data)
{
  return *(bool *) data;
}

/* A server out of fds rests its listener instead of spinning on the
 * connection it cannot accept (7,655 failing accept4 per second at 98% CPU
 * before), and serves again once fds are free. */
static void
server_out_of_fds_does_not_spin_and_recovers (void **state)
{
  char dir[] = "/tmp/sc-rpc.XXXXXX";
  assert_non_null (mkdtemp (dir));
  char path[128];
  snprintf (path, sizeof (path), "%s/s.sock", dir);
  int ready[2];
  assert_int_equal (pipe (ready), 0);
  pid_t child = fork ();
  if (child == 0)
    {
      close (ready[0]);
      sc_loop *loop;
      sc_error err = SC_ERROR_INIT;
      if (sc_loop_new (&loop, &err) < 0)
        _exit (20);
      sc_ttrpc_server *srv = sc_ttrpc_server_new (loop);
      bool quit = false;
      sc_ttrpc_server_register (srv, "test.Svc", "Echo", echo_plain, NULL);
      sc_ttrpc_server_register (srv, "test.Svc", "Quit", quit_handler, &quit);
      if (sc_ttrpc_server_listen (srv, path, 0600, &err) < 0)
        _exit (21);
      /* room for a few connections only */
      int top = dup (0);
      struct rlimit rl = { (rlim_t) top + 4, (rlim_t) top + 4 };
      close (top);
      if (setrlimit (RLIMIT_NOFILE, &rl) < 0)
        _exit (22);
      if (write (ready[1], "r", 1) != 1)
        _exit (23);
      sc_loop_run_until (loop, is_true, &quit, sc_deadline_in_ms (20000));
      size_t pauses = sc_ttrpc_server_accept_pauses (srv);
      sc_ttrpc_server_free (srv);
      sc_loop_free (loop);
      _exit (quit ? (pauses > 0 ? 0 : 30) : 31);
    }
  close (ready[1]);
  char c;
  assert_int_equal (read (ready[0], &c, 1), 1);
  close (ready[0]);
  /* more clients than it has fds for, all kept open */
  int clients[16];
  for (int i = 0; i < 16; i++)
    {
      clients[i] = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      struct sockaddr_un sa = { .sun_family = AF_UNIX };
      strcpy (sa.sun_path, path);
      assert_int_equal (connect (clients[i], (struct sockaddr *) &sa, sizeof (sa)), 0);
    }
  usleep (200000); /* let it take what it can and run out */
  long before = cpu_ticks (child);
  usleep (1000000);
  long used = cpu_ticks (child) - before;
  long hz = sysconf (_SC_CLK_TCK);
  /* a spinning listener uses the whole second */
  if (used > hz / 5)
    fail_msg ("out of fds, the server used %ld of %ld CPU ticks in 1 s", used, hz);
  for (int i = 0; i < 16; i++)
    close (clients[i]);
  /* fds free again: a new client is served */
  sc_loop *loop;
  sc_error err = SC_ERROR_INIT;
  assert_int_equal (sc_loop_new (&loop, &err), 0);
  sc_ttrpc_client *cl;
  assert_int_equal (sc_ttrpc_client_dial (loop, path, 2000, &cl, &err), 0);
  sc_rpc_result r;
  sc_call_opts o = { .timeout_ms = 5000 };
  sc_ttrpc_call_sync (cl, "test.Svc", "Echo", (const uint8_t *) "back", 4, &o, &r);
  assert_int_equal (r.code, SC_OK);
  assert_int_equal (r.payload_len, 4);
  sc_rpc_result_release (&r);
  sc_ttrpc_call_sync (cl, "test.Svc", "Quit", NULL, 0, &o, &r);
  sc_rpc_result_release (&r);
  sc_ttrpc_client_free (cl);
  sc_loop_free (loop);
  int st;
  assert_int_equal (waitpid (child, &st, 0), child);
  assert_true (WIFEXITED (st));
  assert_int_equal (WEXITSTATUS (st), 0); /* it did rest, and quit when asked */
  unlink (path);
  rmdir (dir);
}

static int
teardown_maybe_freed (void **state)
{
  fixture *f = *state;
  if (f->server == NULL)
    {
      /* already freed by the test: skip the loop-empty check's server */
      sc_ttrpc_client_free (f->client);
      assert_false (sc_loop_alive (f->loop));
      sc_loop_free (f->loop);
      free (f);
      return 0;
    }
  return teardown (state);
}

/* the next Response in buf[*at..n) on stream_id, or NULL once buf is used up */
static Ttrpc__Response *
next_response (sc_frame_reader *rd, const uint8_t *buf, size_t n, size_t *at, uint32_t stream_id)
{
  while (*at < n)
    {
      sc_frame fr;
      size_t used = 0;
      sc_frame_result r = sc_frame_reader_next (rd, buf + *at, n - *at, &used, &fr);
      *at += used;
      if (r == SC_FRAME_NEED_MORE)
        break;
      assert_int_equal (r, SC_FRAME_COMPLETE);
      assert_int_equal (fr.header.type, SC_MSG_RESPONSE);
      assert_int_equal (fr.header.stream_id, stream_id);
      Ttrpc__Response *resp = ttrpc__response__unpack (NULL, fr.header.length, fr.data);
      assert_non_null (resp);
      return resp;
    }
  return NULL;
}

/* A peer that pipelines 20,000 requests (1 KiB each, 20 MB of replies) and
 * reads nothing: once SC_TTRPC_SERVER_OUTPUT_LIMIT of replies waits the
 * server reads no more, so what it holds stays near the limit (without it:
 * every reply, 20 MB).  When the peer reads, every request is answered with
 * its own payload, in order. */
#define PIPELINED 20000
#define PIPE_PAYLOAD 1024

static void
a_peer_that_never_reads_cannot_grow_the_server (void **state)
{
  fixture *f = *state;
  sc_error err = SC_ERROR_INIT;
  int sv[2];
  assert_int_equal (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  assert_int_equal (sc_ttrpc_server_add_connection (f->server, sv[0], &err), 0);
  assert_int_equal (fcntl (sv[1], F_SETFL, O_NONBLOCK), 0);

  uint8_t payload[PIPE_PAYLOAD];
  memset (payload, 'p', sizeof (payload));
  Ttrpc__Request req = TTRPC__REQUEST__INIT;
  req.service = (char *) "test.Svc";
  req.method = (char *) "Echo";
  req.payload.data = payload;
  req.payload.len = sizeof (payload);
  size_t blen;
  uint8_t *body = sc_pb_pack (&req.base, &blen);
  size_t flen = SC_FRAME_HEADER_LEN + blen;
  uint8_t *frame = malloc (flen);
  memcpy (frame + SC_FRAME_HEADER_LEN, body, blen);
  free (body);

  size_t sent = 0, off = 0; /* frames fully written; bytes of the current one */
  size_t received = 0, peak = 0;
  bool reading = false;
  sc_frame_reader rd;
  sc_frame_reader_init (&rd, SC_FRAME_MAX_DATA);
  int64_t until = sc_deadline_in_ms (60000);
  while (received < PIPELINED)
    {
      if (sc_now_mono_ns () > until)
        fail_msg ("60 s: %zu sent, %zu answered, %zu handled", sent, received, f->handled);
      bool wrote = false;
      while (sent < PIPELINED)
        {
          if (off == 0)
            {
              sc_frame_header h = { (uint32_t) blen, (uint32_t) (2 * sent + 1), SC_MSG_REQUEST, 0 };
              sc_frame_header_encode (&h, frame);
            }
          ssize_t n = write (sv[1], frame + off, flen - off);
          if (n < 0)
            {
              assert_int_equal (errno, EAGAIN);
              break;
            }
          wrote = true;
          off += (size_t) n;
          if (off == flen)
            {
              off = 0;
              sent++;
            }
        }
      int ran = sc_loop_run_once (f->loop, 0);
      assert_true (ran >= 0);
      size_t q = sc_ttrpc_server_queued_bytes (f->server);
      peak = q > peak ? q : peak;
      if (!reading && (sent == PIPELINED || (!wrote && ran == 0)))
        {
          /* stalled (or all sent) without reading a byte: judge what it holds */
          if (f->handled == PIPELINED)
            fail_msg ("all %d requests were read and answered into a queue of %zu bytes while "
                      "the peer read nothing",
                      PIPELINED, q);
          assert_true (sc_ttrpc_server_read_pauses (f->server) >= 1);
          reading = true;
        }
      if (!reading)
        continue;
      uint8_t buf[65536];
      ssize_t n = read (sv[1], buf, sizeof (buf));
      if (n < 0)
        {
          assert_int_equal (errno, EAGAIN);
          continue;
        }
      assert_true (n > 0);
      size_t at = 0;
      Ttrpc__Response *resp;
      while ((resp = next_response (&rd, buf, (size_t) n, &at, 2 * received + 1)) != NULL)
        {
          assert_true (resp->status == NULL || resp->status->code == 0);
          assert_int_equal (resp->payload.len, PIPE_PAYLOAD);
          assert_memory_equal (resp->payload.data, payload, PIPE_PAYLOAD);
          ttrpc__response__free_unpacked (resp, NULL);
          received++;
        }
    }
  /* the limit plus what one read (64 KiB of requests) can add */
  size_t bound = SC_TTRPC_SERVER_OUTPUT_LIMIT + 65536 + 65536 / 8;
  if (peak > bound)
    fail_msg ("the server held %zu reply bytes for a peer that did not read (bound %zu)", peak,
              bound);
  print_message ("peak %zu queued bytes, %zu pauses\n", peak,
                 sc_ttrpc_server_read_pauses (f->server));
  sc_frame_reader_release (&rd);
  free (frame);
  close (sv[1]);
  sc_loop_run_once (f->loop, 0); /* the server sees the close */
}

/* writes all of buf to a non-blocking fd, running the server meanwhile */
static void
pump_write (fixture *f, int fd, const uint8_t *buf, size_t len)
{
  int64_t until = sc_deadline_in_ms (30000);
  size_t off = 0;
  while (off < len)
    {
      ssize_t n = write (fd, buf + off, len - off);
      if (n > 0)
        off += (size_t) n;
      else
        assert_int_equal (errno, EAGAIN);
      assert_true (sc_loop_run_once (f->loop, 0) >= 0);
      if (sc_now_mono_ns () > until)
        fail_msg ("30 s to write %zu of %zu bytes", off, len);
    }
  while (sc_loop_run_once (f->loop, 0) > 0)
    ;
}

/* reads one Response frame from a non-blocking fd, running the server */
static Ttrpc__Response *
pump_response (fixture *f, int fd, uint32_t stream_id)
{
  sc_frame_reader rd;
  sc_frame_reader_init (&rd, SC_FRAME_MAX_DATA);
  int64_t until = sc_deadline_in_ms (30000);
  Ttrpc__Response *resp = NULL;
  uint8_t buf[65536];
  while (resp == NULL)
    {
      assert_true (sc_loop_run_once (f->loop, 10) >= 0);
      ssize_t n = read (fd, buf, sizeof (buf));
      if (n < 0)
        assert_int_equal (errno, EAGAIN);
      if (sc_now_mono_ns () > until)
        fail_msg ("no response on stream %u in 30 s", stream_id);
      size_t at = 0;
      if (n > 0)
        resp = next_response (&rd, buf, (size_t) n, &at, stream_id);
    }
  sc_frame_reader_release (&rd);
  return resp;
}

static int
raw_peer (fixture *f)
{
  sc_error err = SC_ERROR_INIT;
  int sv[2];
  assert_int_equal (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  assert_int_equal (sc_ttrpc_server_add_connection (f->server, sv[0], &err), 0);
  assert_int_equal (fcntl (sv[1], F_SETFL, O_NONBLOCK), 0);
  return sv[1];
}

/* Peers that each start a 4 MiB request and stop after one byte of it: the
 * server holds at most SC_TTRPC_SERVER_INPUT_BUDGET for all of them (it once
 * held 4 MiB for each of 50).  The request past the budget is read,
 * discarded and answered ResourceExhausted; small requests are served all
 * along; once the holders are gone a big request passes again. */
static void
partial_big_requests_share_one_input_budget (void **state)
{
  fixture *f = *state;
  const size_t big = SC_FRAME_MAX_DATA - 16;
  enum { HOLDERS = 4 }; /* 4 x (4 MiB - 16) fill the 16 MiB budget */
  assert_true (HOLDERS * big <= SC_TTRPC_SERVER_INPUT_BUDGET);
  assert_true ((HOLDERS + 1) * big > SC_TTRPC_SERVER_INPUT_BUDGET);
  uint8_t start[SC_FRAME_HEADER_LEN + 1];
  sc_frame_header h = { (uint32_t) big, 1, SC_MSG_REQUEST, 0 };
  sc_frame_header_encode (&h, start);
  start[SC_FRAME_HEADER_LEN] = 0x0a;
  int holder[HOLDERS];
  for (int i = 0; i < HOLDERS; i++)
    {
      holder[i] = raw_peer (f);
      pump_write (f, holder[i], start, sizeof (start));
    }
  if (sc_ttrpc_server_input_held (f->server) != HOLDERS * big)
    fail_msg ("%d partial requests of %zu bytes: %zu bytes of the budget held", HOLDERS, big,
              sc_ttrpc_server_input_held (f->server));

  /* one more, sent whole: refused, the connection kept */
  int late = raw_peer (f);
  uint8_t *frame = calloc (1, SC_FRAME_HEADER_LEN + big);
  memcpy (frame, start, sizeof (start));
  pump_write (f, late, frame, SC_FRAME_HEADER_LEN + big);
  assert_int_equal (sc_ttrpc_server_input_held (f->server), HOLDERS * big);
  Ttrpc__Response *resp = pump_response (f, late, 1);
  if (resp->status == NULL || resp->status->code != SC_RESOURCE_EXHAUSTED)
    fail_msg ("a 4 MiB request past the budget: code %d %s (ResourceExhausted expected)",
              resp->status ? resp->status->code : 0, resp->status ? resp->status->message : "");
  assert_non_null (strstr (resp->status->message, "refused"));
  ttrpc__response__free_unpacked (resp, NULL);
  assert_int_equal (sc_ttrpc_server_refused_requests (f->server), 1);
  assert_int_equal (f->handled, 0);

  sc_rpc_result r;
  call (f, "test.Svc", "Echo", "small", 1000, &r);
  assert_int_equal (r.code, SC_OK);
  sc_rpc_result_release (&r);

  for (int i = 0; i < HOLDERS; i++)
    close (holder[i]);
  while (sc_loop_run_once (f->loop, 0) > 0)
    ;
  assert_int_equal (sc_ttrpc_server_input_held (f->server), 0);

  /* a real 1 MiB Echo on the refused peer's connection passes now */
  size_t plen = (size_t) 1 << 20;
  Ttrpc__Request req = TTRPC__REQUEST__INIT;
  req.service = (char *) "test.Svc";
  req.method = (char *) "Echo";
  req.payload.data = frame + SC_FRAME_HEADER_LEN; /* zeros */
  req.payload.len = plen;
  size_t blen;
  uint8_t *body = sc_pb_pack (&req.base, &blen);
  sc_frame_header h3 = { (uint32_t) blen, 3, SC_MSG_REQUEST, 0 };
  uint8_t hdr[SC_FRAME_HEADER_LEN];
  sc_frame_header_encode (&h3, hdr);
  pump_write (f, late, hdr, sizeof (hdr));
  pump_write (f, late, body, blen);
  resp = pump_response (f, late, 3);
  assert_true (resp->status == NULL || resp->status->code == 0);
  assert_int_equal (resp->payload.len, plen);
  ttrpc__response__free_unpacked (resp, NULL);
  free (body);
  free (frame);
  close (late);
  while (sc_loop_run_once (f->loop, 0) > 0)
    ;
  assert_int_equal (sc_ttrpc_server_input_held (f->server), 0);
}

int
main (void)
{
  signal (SIGPIPE, SIG_IGN);
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (unary_call_round_trips_payload, setup, teardown),
    cmocka_unit_test (server_out_of_fds_does_not_spin_and_recovers),
    cmocka_unit_test_setup_teardown (namespace_and_metadata_and_deadline_reach_the_handler, setup,
                                     teardown),
    cmocka_unit_test_setup_teardown (handler_error_carries_code_and_message, setup, teardown),
    cmocka_unit_test_setup_teardown (hundred_concurrent_calls_all_complete_with_their_own_payload,
                                     setup, teardown),
    cmocka_unit_test_setup_teardown (
      blocked_call_does_not_delay_others_and_deferred_replies_arrive_out_of_order, setup, teardown),
    cmocka_unit_test_setup_teardown (unknown_service_and_method_are_unimplemented, setup, teardown),
    cmocka_unit_test_setup_teardown (garbage_envelope_is_invalid_argument_on_same_stream, setup,
                                     teardown),
    cmocka_unit_test_setup_teardown (
      oversized_frame_is_discarded_with_resource_exhausted_and_conn_kept, setup, teardown),
    cmocka_unit_test_setup_teardown (even_stream_id_is_invalid_argument_on_that_id, setup, teardown),
    cmocka_unit_test_setup_teardown (non_request_frames_are_ignored_and_conn_kept, setup, teardown),
    cmocka_unit_test_setup_teardown (deadline_expires_locally_and_late_reply_is_dropped, setup,
                                     teardown),
    cmocka_unit_test_setup_teardown (oversized_outgoing_request_fails_locally_and_conn_kept, setup,
                                     teardown),
    cmocka_unit_test_setup_teardown (server_going_away_mid_call_fails_pending_calls_unavailable,
                                     setup, teardown_maybe_freed),
    cmocka_unit_test_setup_teardown (
      client_disconnect_cancels_deferred_calls_and_server_stays_healthy, setup, teardown),
    cmocka_unit_test_setup_teardown (other_uid_is_closed_without_reply_same_uid_is_served, setup,
                                     teardown_maybe_freed),
    cmocka_unit_test_setup_teardown (a_peer_that_never_reads_cannot_grow_the_server, setup,
                                     teardown),
    cmocka_unit_test_setup_teardown (partial_big_requests_share_one_input_budget, setup, teardown),
  };
  return cmocka_run_group_tests_name ("rpc", tests, NULL, NULL);
}
