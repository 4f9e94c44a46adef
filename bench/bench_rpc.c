/* Unary round-trip latency of our ttrpc client: N Connect calls against our
 * own ttrpc server (in a separate process, like a shim) and against the real
 * containerd-shim-runc-v2, measured in the same run.  Prints figures; never
 * asserts timings.
 *   bench_rpc [--calls N] [--shim PATH] */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "address.h"
#include "bundle.h"
#include "env.h"
#include "launcher.h"
#include "oci_spec.h"
#include "pb.h"
#include "ttrpc_server.h"
#include "services.h"

typedef struct stats
{
  double median, p90, p99, mean, min;
  int errors;
} stats;

static int
cmp (const void *a, const void *b)
{
  int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
  return (x > y) - (x < y);
}

static stats
measure (sc_ttrpc_client *c, const char *service, int n)
{
  Containerd__Task__V2__ConnectRequest req = CONTAINERD__TASK__V2__CONNECT_REQUEST__INIT;
  req.id = (char *) "bench";
  size_t len;
  uint8_t *payload = sc_pb_pack (&req.base, &len);
  int64_t *lat = calloc ((size_t) n, sizeof (int64_t));
  stats s = { 0 };
  sc_call_opts o = { .timeout_ms = 5000 };
  for (int i = -100; i < n; i++) /* 100 warm-up calls */
    {
      sc_rpc_result r;
      int64_t t0 = sc_now_mono_ns ();
      sc_ttrpc_call_sync (c, service, "Connect", payload, len, &o, &r);
      int64_t dt = sc_now_mono_ns () - t0;
      if (r.code != SC_OK)
        s.errors++;
      if (i >= 0)
        lat[i] = dt;
      sc_rpc_result_release (&r);
    }
  qsort (lat, (size_t) n, sizeof (int64_t), cmp);
  double sum = 0;
  for (int i = 0; i < n; i++)
    sum += (double) lat[i];
  s.median = lat[n / 2] / 1e3;
  s.p90 = lat[(n * 9) / 10] / 1e3;
  s.p99 = lat[(n * 99) / 100] / 1e3;
  s.min = lat[0] / 1e3;
  s.mean = sum / n / 1e3;
  free (lat);
  free (payload);
  return s;
}

static void
connect_handler (sc_ttrpc_call *call, void *data)
{
  Containerd__Task__V2__ConnectResponse resp = CONTAINERD__TASK__V2__CONNECT_RESPONSE__INIT;
  resp.shim_pid = (uint32_t) getpid ();
  sc_ttrpc_call_reply_msg (call, &resp.base);
}

static pid_t
spawn_our_server (const char *path)
{
  int ready[2];
  if (pipe (ready) < 0)
    return -1;
  pid_t pid = fork ();
  if (pid == 0)
    {
      close (ready[0]);
      sc_loop *loop;
      if (sc_loop_new (&loop, NULL) < 0)
        _exit (1);
      sc_ttrpc_server *s = sc_ttrpc_server_new (loop);
      sc_ttrpc_server_register (s, SC_TASK_V2_SERVICE, "Connect", connect_handler, NULL);
      if (sc_ttrpc_server_listen (s, path, 0600, NULL) < 0)
        _exit (1);
      if (write (ready[1], "r", 1) != 1)
        _exit (1);
      close (ready[1]);
      sc_loop_run (loop);
      _exit (0);
    }
  close (ready[1]);
  char b;
  ssize_t n = read (ready[0], &b, 1);
  close (ready[0]);
  return n == 1 ? pid : -1;
}

static void
row (const char *name, const stats *s, int n)
{
  printf ("| %-34s | %6d | %8.1f | %8.1f | %8.1f | %8.1f | %6d |\n", name, n, s->median, s->p90,
          s->p99, s->mean, s->errors);
}

int
main (int argc, char **argv)
{
  int n = 1000;
  const char *shim = "/usr/bin/containerd-shim-runc-v2";
  static const struct option lo[] = { { "calls", required_argument, NULL, 'n' },
                                      { "shim", required_argument, NULL, 's' },
                                      { NULL, 0, NULL, 0 } };
  int c;
  while ((c = getopt_long (argc, argv, "", lo, NULL)) != -1)
    switch (c)
      {
      case 'n':
        n = atoi (optarg);
        break;
      case 's':
        shim = optarg;
        break;
      default:
        fprintf (stderr, "usage: bench_rpc [--calls N] [--shim PATH]\n");
        return 2;
      }
  if (n < 10)
    n = 10;
  signal (SIGPIPE, SIG_IGN);
  sc_error err = SC_ERROR_INIT;
  sc_become_subreaper (NULL);
  sc_env env;
  if (sc_env_setup (&env, "sc-bench", &err) < 0)
    {
      fprintf (stderr, "bench_rpc: %s\n", err.msg);
      return 3;
    }

  /* 1. our client -> our server (separate process) */
  char *path = sc_xasprintf ("%s/ours.sock", env.dir);
  pid_t srv = spawn_our_server (path);
  sc_ttrpc_client *cl = NULL;
  stats ours = { 0 };
  if (srv > 0 && sc_ttrpc_client_dial (env.loop, path, 2000, &cl, &err) == 0)
    {
      ours = measure (cl, SC_TASK_V2_SERVICE, n);
      sc_ttrpc_client_free (cl);
    }
  else
    fprintf (stderr, "bench_rpc: our server: %s\n", err.msg ? err.msg : "spawn failed");
  if (srv > 0)
    {
      kill (srv, SIGKILL);
      waitpid (srv, NULL, 0);
    }

  /* 2. our client -> containerd-shim-runc-v2 */
  stats go = { 0 };
  bool have_go = false;
  json_t *spec = sc_oci_default_spec (NULL, false);
  char *bundle = NULL;
  sc_shim *sh = NULL;
  if (sc_bundle_create (env.state, env.ns, "bench", spec, &bundle, &err) == 0)
    {
      sc_launch_opts o = { .shim = shim,
                           .ns = env.ns,
                           .id = "bench",
                           .bundle = bundle,
                           .grpc_address = env.grpc_address,
                           .ttrpc_address = env.ttrpc_address };
      if (sc_shim_start (env.loop, &o, &sh, &err) == 0 && sc_shim_connect (sh, &err) == 0)
        {
          go = measure (sh->rpc, sh->addr.task_service, n);
          have_go = true;
          sc_shim_shutdown (sh, 5000);
        }
      else
        fprintf (stderr, "bench_rpc: %s: %s\n", shim, err.msg);
    }
  json_decref (spec);
  sc_shim_free (sh);
  free (bundle);
  free (path);
  sc_env_teardown (&env, NULL);

  printf ("\nttrpc unary round trip: %d Connect calls after 100 warm-up, one connection, "
          "latency in microseconds\n\n",
          n);
  printf ("| %-34s | %6s | %8s | %8s | %8s | %8s | %6s |\n", "server", "calls", "median", "p90",
          "p99", "mean", "errors");
  printf ("|%s|%s|%s|%s|%s|%s|%s|\n", "------------------------------------", "--------",
          "----------", "----------", "----------", "----------", "--------");
  row ("shimcheck ttrpc server (C)", &ours, n);
  if (have_go)
    row ("containerd-shim-runc-v2 (Go)", &go, n);
  if (have_go && go.median > 0)
    printf ("\nmedian ratio ours / runc-v2 shim: %.2f\n", ours.median / go.median);
  return (ours.errors || go.errors) ? 1 : 0;
}
