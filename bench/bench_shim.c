/* Reference shim vs containerd-shim-runc-v2, both over runc, in one run:
 *   - RSS / PSS / threads of the shim daemon idle with one running task
 *   - lifecycle latency of /bin/true: start -> Create -> Start -> Wait ->
 *     Delete -> Shutdown -> `delete` binary (median of N), and bare
 *     `runc run` of the same bundle for reference.
 * Prints figures; asserts nothing about them.
 *   - with --per-task: RSS of one shim group's daemon with 1, 10 and 100 running tasks
 *   bench_shim [--runs N] [--ref PATH] [--go PATH] [--steps] [--per-task] */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bundle.h"
#include "env.h"
#include "launcher.h"
#include "oci_spec.h"
#include "pb.h"

typedef struct mem
{
  long rss_kb, pss_kb, threads;
} mem;

static long
field_kb (const char *path, const char *key)
{
  FILE *f = fopen (path, "r");
  if (f == NULL)
    return -1;
  char line[256];
  long v = -1;
  size_t kl = strlen (key);
  while (fgets (line, sizeof (line), f))
    if (strncmp (line, key, kl) == 0)
      {
        v = strtol (line + kl, NULL, 10);
        break;
      }
  fclose (f);
  return v;
}

static int
cmp_d (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static double
median (double *v, int n)
{
  qsort (v, (size_t) n, sizeof (double), cmp_d);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static char *
make_bundle (sc_env *env, const char *id, const char *rootfs, const char *const *args)
{
  json_t *spec = sc_oci_default_spec (args, false);
  json_object_set_new (spec, "root", json_pack ("{s:s, s:b}", "path", rootfs, "readonly", true));
  char *b = NULL;
  sc_error err = SC_ERROR_INIT;
  if (sc_bundle_create (env->state, env->ns, id, spec, &b, &err) < 0)
    {
      fprintf (stderr, "bundle: %s\n", err.msg);
      exit (3);
    }
  json_decref (spec);
  return b;
}

#define PHASES 8
static const char *const phase_names[PHASES]
  = { "start+connect", "Create", "Start", "Wait", "Delete", "Shutdown", "delete binary", "total" };
static double *phase_ms[2][PHASES]; /* per shim, per phase, per run */
static int phase_n[2];

static int
rpc (sc_shim *s, const char *method, const ProtobufCMessage *m, sc_rpc_result *r)
{
  int rc = sc_task_call_timeout (&s->task, method, m, 30000, NULL, r);
  if (rc != 0)
    fprintf (stderr, "%s: %s\n", method, r->message);
  sc_rpc_result_release (r);
  return rc;
}

static sc_shim *
launch (sc_env *env, const char *shim, const char *id, const char *bundle)
{
  sc_launch_opts o = { .shim = shim, .ns = env->ns, .id = id, .bundle = bundle,
                       .grpc_address = env->grpc_address, .ttrpc_address = env->ttrpc_address };
  sc_shim *s = NULL;
  sc_error err = SC_ERROR_INIT;
  if (sc_shim_start (env->loop, &o, &s, &err) < 0 || sc_shim_connect (s, &err) < 0)
    {
      fprintf (stderr, "%s: %s\n", shim, err.msg);
      sc_shim_free (s);
      return NULL;
    }
  return s;
}

/* one full containerd-style lifecycle of /bin/true; ms, or -1 */
static double
lifecycle (sc_env *env, const char *shim, const char *id, const char *rootfs, int which)
{
  int64_t mark[PHASES + 1];
  int nm = 0;
  static const char *const args[] = { "/bin/true", NULL };
  char *b = make_bundle (env, id, rootfs, args);
  int64_t t0 = sc_now_mono_ns ();
  mark[nm++] = t0;
  sc_shim *s = launch (env, shim, id, b);
  mark[nm++] = sc_now_mono_ns ();
  double ms = -1;
  sc_rpc_result r = { 0 };
  if (s)
    {
      Containerd__Task__V2__CreateTaskRequest cr = CONTAINERD__TASK__V2__CREATE_TASK_REQUEST__INIT;
      cr.id = (char *) id;
      cr.bundle = b;
      Containerd__Task__V2__StartRequest sr = CONTAINERD__TASK__V2__START_REQUEST__INIT;
      sr.id = (char *) id;
      Containerd__Task__V2__WaitRequest wr = CONTAINERD__TASK__V2__WAIT_REQUEST__INIT;
      wr.id = (char *) id;
      Containerd__Task__V2__DeleteRequest dr = CONTAINERD__TASK__V2__DELETE_REQUEST__INIT;
      dr.id = (char *) id;
      Containerd__Task__V2__ShutdownRequest shr = CONTAINERD__TASK__V2__SHUTDOWN_REQUEST__INIT;
      shr.id = (char *) id;
      if (rpc (s, "Create", &cr.base, &r) == 0 && (mark[nm++] = sc_now_mono_ns ())
          && rpc (s, "Start", &sr.base, &r) == 0 && (mark[nm++] = sc_now_mono_ns ())
          && rpc (s, "Wait", &wr.base, &r) == 0 && (mark[nm++] = sc_now_mono_ns ())
          && rpc (s, "Delete", &dr.base, &r) == 0 && (mark[nm++] = sc_now_mono_ns ()))
        {
          sc_task_call_timeout (&s->task, "Shutdown", &shr.base, 3000, NULL, &r);
          sc_rpc_result_release (&r);
          sc_shim_disconnect (s);
          mark[nm++] = sc_now_mono_ns ();
          sc_error err = SC_ERROR_INIT;
          if (sc_shim_delete (s, NULL, NULL, &err) == 0)
            {
              mark[nm++] = sc_now_mono_ns ();
              ms = (sc_now_mono_ns () - t0) / 1e6;
              int k = phase_n[which]++;
              for (int p = 0; p < PHASES - 1; p++)
                phase_ms[which][p][k] = (mark[p + 1] - mark[p]) / 1e6;
              phase_ms[which][PHASES - 1][k] = ms;
            }
          else
            fprintf (stderr, "delete: %s\n", err.msg);
          sc_error_release (&err);
        }
    }
  sc_shim_free (s);
  sc_remove_tree (b, NULL);
  free (b);
  return ms;
}

static double
bare_runc (sc_env *env, const char *id, const char *rootfs, const char *runc_root)
{
  static const char *const args[] = { "/bin/true", NULL };
  char *b = make_bundle (env, id, rootfs, args);
  char *argv[] = { (char *) "runc", (char *) "--root", (char *) runc_root, (char *) "run",
                   (char *) "--bundle", b, (char *) id, NULL };
  sc_run_opts ro = { .path = "/usr/sbin/runc", .argv = argv, .cwd = b, .timeout_ms = 30000 };
  sc_run_result res;
  int64_t t0 = sc_now_mono_ns ();
  double ms = -1;
  if (sc_run (&ro, &res, NULL) == 0)
    {
      if (res.exited && WIFEXITED (res.status) && WEXITSTATUS (res.status) == 0)
        ms = (sc_now_mono_ns () - t0) / 1e6;
      else
        fprintf (stderr, "runc run: %s %s\n", res.out, res.err);
      sc_run_result_release (&res);
    }
  sc_remove_tree (b, NULL);
  free (b);
  return ms;
}

/* RSS/PSS/threads of the daemon of one shim group serving n running
 * tasks (sleep), all created and started through one connection */
static mem
idle_memory (sc_env *env, const char *shim, const char *rootfs, const char *prefix, int n)
{
  static const char *const args[] = { "sleep", "3600", NULL };
  mem m = { -1, -1, -1 };
  char **bundles = calloc ((size_t) n, sizeof (char *));
  char id[64];
  sc_shim *s = NULL;
  sc_rpc_result r = { 0 };
  int made = 0;
  for (int i = 0; i < n; i++)
    {
      snprintf (id, sizeof (id), "%s-%d", prefix, i);
      bundles[i] = make_bundle (env, id, rootfs, args);
      if (i == 0 && (s = launch (env, shim, id, bundles[0])) == NULL)
        goto out;
      Containerd__Task__V2__CreateTaskRequest cr = CONTAINERD__TASK__V2__CREATE_TASK_REQUEST__INIT;
      cr.id = id;
      cr.bundle = bundles[i];
      Containerd__Task__V2__StartRequest sr = CONTAINERD__TASK__V2__START_REQUEST__INIT;
      sr.id = id;
      if (rpc (s, "Create", &cr.base, &r))
        goto out;
      made++;
      if (rpc (s, "Start", &sr.base, &r))
        goto out;
    }
  snprintf (id, sizeof (id), "%s-0", prefix);
  Containerd__Task__V2__ConnectRequest cq = CONTAINERD__TASK__V2__CONNECT_REQUEST__INIT;
  cq.id = id;
  Containerd__Task__V2__ConnectResponse *cres = NULL;
  if (sc_task_call (&s->task, "Connect", &cq.base, (ProtobufCMessage **) &cres, &r) == 0)
    {
      sc_shim_track (s, (pid_t) cres->shim_pid);
      containerd__task__v2__connect_response__free_unpacked (cres, NULL);
    }
  sc_rpc_result_release (&r);
  usleep (1000000); /* idle */
  char path[64];
  snprintf (path, sizeof (path), "/proc/%d/smaps_rollup", (int) s->daemon_pid);
  m.rss_kb = field_kb (path, "Rss:");
  m.pss_kb = field_kb (path, "Pss:");
  snprintf (path, sizeof (path), "/proc/%d/status", (int) s->daemon_pid);
  m.threads = field_kb (path, "Threads:");
out:
  for (int i = 0; s && i < made; i++)
    {
      snprintf (id, sizeof (id), "%s-%d", prefix, i);
      Containerd__Task__V2__KillRequest kr = CONTAINERD__TASK__V2__KILL_REQUEST__INIT;
      kr.id = id;
      kr.signal = SIGKILL;
      Containerd__Task__V2__WaitRequest wr = CONTAINERD__TASK__V2__WAIT_REQUEST__INIT;
      wr.id = id;
      Containerd__Task__V2__DeleteRequest dr = CONTAINERD__TASK__V2__DELETE_REQUEST__INIT;
      dr.id = id;
      rpc (s, "Kill", &kr.base, &r);
      rpc (s, "Wait", &wr.base, &r);
      rpc (s, "Delete", &dr.base, &r);
    }
  if (s)
    {
      sc_shim_shutdown (s, 5000);
      sc_shim_delete (s, NULL, NULL, NULL);
    }
  sc_shim_free (s);
  for (int i = 0; i < n; i++)
    if (bundles[i])
      {
        sc_remove_tree (bundles[i], NULL);
        free (bundles[i]);
      }
  free (bundles);
  return m;
}

int
main (int argc, char **argv)
{
  int runs = 50;
  bool steps = false, per_task = false;
  const char *ref = "build/bin/containerd-shim-ref-v1";
  const char *go = "/usr/bin/containerd-shim-runc-v2";
  static const struct option lo[] = { { "runs", required_argument, NULL, 'n' },
                                      { "ref", required_argument, NULL, 'r' },
                                      { "go", required_argument, NULL, 'g' },
                                      { "steps", no_argument, NULL, 's' },
                                      { "per-task", no_argument, NULL, 't' },
                                      { NULL, 0, NULL, 0 } };
  int c;
  while ((c = getopt_long (argc, argv, "", lo, NULL)) != -1)
    switch (c)
      {
      case 'n':
        runs = atoi (optarg);
        break;
      case 'r':
        ref = optarg;
        break;
      case 'g':
        go = optarg;
        break;
      case 's':
        steps = true;
        break;
      case 't':
        per_task = true;
        break;
      default:
        fprintf (stderr, "usage: bench_shim [--runs N] [--ref PATH] [--go PATH] [--steps] [--per-task]\n");
        return 2;
      }
  if (runs < 5)
    runs = 5;
  signal (SIGPIPE, SIG_IGN);
  sc_become_subreaper (NULL);
  sc_env env;
  sc_error err = SC_ERROR_INIT;
  if (sc_env_setup (&env, "sc-bench", &err) < 0)
    {
      fprintf (stderr, "bench_shim: %s\n", err.msg);
      return 3;
    }
  char *rootfs = sc_xasprintf ("%s/rootfs", env.dir);
  char *runc_root = sc_xasprintf ("%s/runc-root", env.dir);
  if (sc_rootfs_busybox (rootfs, NULL, &err) < 0)
    {
      fprintf (stderr, "bench_shim: %s\n", err.msg);
      return 3;
    }
  const char *names[2] = { "containerd-shim-ref-v1 (C)", "containerd-shim-runc-v2 (Go)" };
  const char *bins[2] = { ref, go };
  mem m[2];
  double med[3] = { 0 };
  int ok[3] = { 0 };
  for (int k = 0; k < 2; k++)
    m[k] = idle_memory (&env, bins[k], rootfs, k ? "memgo" : "memref", 1);
  /* per-task cost: one shim group with 10 and 100 running tasks */
  static const int group_sizes[] = { 10, 100 };
  mem g[2][2];
  for (int t = 0; per_task && t < 2; t++)
    for (int k = 0; k < 2; k++)
      {
        char prefix[32];
        snprintf (prefix, sizeof (prefix), "%s%d", k ? "grpgo" : "grpref", group_sizes[t]);
        g[t][k] = idle_memory (&env, bins[k], rootfs, prefix, group_sizes[t]);
      }
  for (int k = 0; k < 2; k++)
    for (int p = 0; p < PHASES; p++)
      phase_ms[k][p] = calloc ((size_t) runs, sizeof (double));
  double *lat[3];
  for (int k = 0; k < 3; k++)
    lat[k] = calloc ((size_t) runs, sizeof (double));
  /* interleave the three so that machine noise hits them alike */
  for (int i = 0; i < runs; i++)
    for (int k = 0; k < 3; k++)
      {
        char id[32];
        snprintf (id, sizeof (id), "l%d-%d", k, i);
        double ms = k < 2 ? lifecycle (&env, bins[k], id, rootfs, k) : bare_runc (&env, id, rootfs, runc_root);
        if (ms >= 0)
          lat[k][ok[k]++] = ms;
      }
  for (int k = 0; k < 3; k++)
    med[k] = ok[k] ? median (lat[k], ok[k]) : -1;
  sc_env_teardown (&env, NULL);

  printf ("\nshim daemon idle with one running task (sleep), and the /bin/true lifecycle\n"
          "start -> Create -> Start -> Wait -> Delete -> Shutdown -> delete binary, over runc;\n"
          "median of %d interleaved runs\n\n",
          runs);
  printf ("| %-30s | %8s | %8s | %7s | %10s | %5s |\n", "", "RSS KiB", "PSS KiB", "threads",
          "lifecycle", "runs");
  printf ("|--------------------------------|----------|----------|---------|------------|-------|\n");
  for (int k = 0; k < 2; k++)
    printf ("| %-30s | %8ld | %8ld | %7ld | %7.1f ms | %5d |\n", names[k], m[k].rss_kb, m[k].pss_kb,
            m[k].threads, med[k], ok[k]);
  printf ("| %-30s | %8s | %8s | %7s | %7.1f ms | %5d |\n", "bare `runc run`", "-", "-", "-", med[2],
          ok[2]);
  if (med[0] > 0 && med[1] > 0)
    printf ("\nratios ref/Go: RSS %.2f, PSS %.2f, lifecycle %.2f; ref lifecycle - bare runc run: %+.1f ms\n",
            (double) m[0].rss_kb / m[1].rss_kb, (double) m[0].pss_kb / m[1].pss_kb, med[0] / med[1],
            med[0] - med[2]);
  if (per_task)
    {
      printf ("\nRSS of one shim group's daemon by running tasks, KiB (PSS in brackets):\n\n"
              "| %-30s | %15s | %15s | %15s | %12s |\n|--------------------------------|-----------------|"
              "-----------------|-----------------|--------------|\n",
              "", "1 task", "10 tasks", "100 tasks", "per task");
      for (int k = 0; k < 2; k++)
        printf ("| %-30s | %6ld [%6ld] | %6ld [%6ld] | %6ld [%6ld] | %8.1f KiB |\n", names[k], m[k].rss_kb,
                m[k].pss_kb, g[0][k].rss_kb, g[0][k].pss_kb, g[1][k].rss_kb, g[1][k].pss_kb,
                (g[1][k].rss_kb - m[k].rss_kb) / 99.0);
      printf ("\nratios ref/Go (RSS): 1 task %.2f, 10 tasks %.2f, 100 tasks %.2f\n",
              (double) m[0].rss_kb / m[1].rss_kb, (double) g[0][0].rss_kb / g[0][1].rss_kb,
              (double) g[1][0].rss_kb / g[1][1].rss_kb);
    }
  if (steps)
    {
      printf ("\nmedian per phase, ms (as the client sees it):\n\n| %-14s | %9s | %9s |\n|----------------|-----------|-----------|\n",
              "phase", "ref (C)", "Go");
      for (int p = 0; p < PHASES; p++)
        printf ("| %-14s | %9.1f | %9.1f |\n", phase_names[p],
                phase_n[0] ? median (phase_ms[0][p], phase_n[0]) : -1,
                phase_n[1] ? median (phase_ms[1][p], phase_n[1]) : -1);
    }
  for (int k = 0; k < 2; k++)
    for (int p = 0; p < PHASES; p++)
      free (phase_ms[k][p]);
  for (int k = 0; k < 3; k++)
    free (lat[k]);
  free (rootfs);
  free (runc_root);
  return ok[0] == runs && ok[1] == runs && ok[2] == runs ? 0 : 1;
}
