/* shimcheck probe: first contact with a shim.  Launches it as containerd
 * would, calls Connect and State of an unknown id, Shutdown, runs `delete`,
 * and verifies the daemon exited and its socket is gone. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bundle.h"
#include "cli.h"
#include "env.h"
#include "launcher.h"
#include "oci_spec.h"
#include "pb.h"

typedef struct step
{
  const char *name;
  bool held;
  bool warn;
  double ms;
  char *detail;
} step;

typedef struct probe
{
  step steps[16];
  int n;
  int64_t t0;
} probe;

static void
begin (probe *p)
{
  p->t0 = sc_now_mono_ns ();
}

static bool
record (probe *p, const char *name, bool held, bool warn, const char *fmt, ...)
  __attribute__ ((format (printf, 5, 6)));

static bool
record (probe *p, const char *name, bool held, bool warn, const char *fmt, ...)
{
  step *s = &p->steps[p->n++];
  s->name = name;
  s->held = held;
  s->warn = warn;
  s->ms = (sc_now_mono_ns () - p->t0) / 1e6;
  va_list ap;
  va_start (ap, fmt);
  s->detail = sc_xvasprintf (fmt, ap);
  va_end (ap);
  return held;
}

static void
probe_help (FILE *f)
{
  fprintf (f,
           "usage: shimcheck probe --shim PATH [options]\n"
           "\n"
           "Launches the shim as containerd does (bundle, log FIFO, start with containerd's\n"
           "argv and environment), calls Connect and State of an unknown id, Shutdown,\n"
           "runs the delete subcommand, and checks that the shim exited and removed its\n"
           "socket.\n"
           "\n"
           "options:\n"
           "  --shim PATH             shim binary (required)\n"
           "  --id ID                 task id used for the bundle (default probe)\n"
           "  --containerd VERSION    the containerd to act as: 1.6, 1.7, 2.0, 2.1 (default), 2.2, 2.3\n"
           "  --timeout-scale X       multiply every deadline by X (default 1)\n"
           "  --debug                 pass -debug to the shim\n"
           "  --keep                  keep the temp dir (bundle, log) for inspection\n"
           "  --show-log              print what the shim wrote to its log FIFO\n"
           "  -h, --help              this text\n"
           "\n"
           "exit codes: 0 every check held, 1 a check failed, 2 usage, 3 set-up error\n");
}

static bool
socket_gone (const sc_shim_address *a, char *why, size_t len)
{
  if (!a->abstract)
    {
      struct stat st;
      if (lstat (a->name, &st) == 0)
        {
          snprintf (why, len, "%s still exists", a->name);
          return false;
        }
      snprintf (why, len, "%s removed", a->name);
      return true;
    }
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  size_t n = strlen (a->name);
  if (n + 1 > sizeof (sa.sun_path))
    n = sizeof (sa.sun_path) - 1;
  memcpy (sa.sun_path + 1, a->name, n);
  bool gone = connect (fd, (struct sockaddr *) &sa,
                       (socklen_t) (offsetof (struct sockaddr_un, sun_path) + 1 + n))
              < 0;
  close (fd);
  snprintf (why, len, gone ? "abstract @%s no longer accepts" : "abstract @%s still accepts",
            a->name);
  return gone;
}

int
cmd_probe (int argc, char **argv)
{
  static const struct option longopts[] = {
    { "shim", required_argument, NULL, 's' },
    { "id", required_argument, NULL, 'i' },
    { "containerd", required_argument, NULL, 'c' },
    { "timeout-scale", required_argument, NULL, 't' },
    { "debug", no_argument, NULL, 'd' },
    { "keep", no_argument, NULL, 'k' },
    { "show-log", no_argument, NULL, 'l' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  const char *shim_path = NULL, *id = "probe";
  double scale = 1.0;
  bool debug = false, keep = false, show_log = false;
  const sc_profile *profile = sc_profile_default ();
  int c;
  optind = 1;
  while ((c = getopt_long (argc, argv, "h", longopts, NULL)) != -1)
    switch (c)
      {
      case 's':
        shim_path = optarg;
        break;
      case 'i':
        id = optarg;
        break;
      case 'c':
        if ((profile = sc_profile_find (optarg)) == NULL)
          {
            fprintf (stderr, "shimcheck probe: --containerd must be one of %s\n",
                     sc_profile_names ());
            return SC_EXIT_USAGE;
          }
        break;
      case 't':
        scale = strtod (optarg, NULL);
        if (scale <= 0 || scale > 100)
          {
            fprintf (stderr, "shimcheck probe: --timeout-scale must be in (0, 100]\n");
            return SC_EXIT_USAGE;
          }
        break;
      case 'd':
        debug = true;
        break;
      case 'k':
        keep = true;
        break;
      case 'l':
        show_log = true;
        break;
      case 'h':
        probe_help (stdout);
        return SC_EXIT_OK;
      default:
        probe_help (stderr);
        return SC_EXIT_USAGE;
      }
  if (shim_path == NULL || optind != argc)
    {
      fprintf (stderr, "shimcheck probe: %s\n",
               shim_path == NULL ? "--shim PATH is required" : "unexpected argument");
      probe_help (stderr);
      return SC_EXIT_USAGE;
    }

  if (access (shim_path, X_OK) < 0)
    {
      fprintf (stderr, "shimcheck probe: --shim %s: %s\n", shim_path, strerror (errno));
      return SC_EXIT_USAGE;
    }
  cleanup_error sc_error err = SC_ERROR_INIT;
  if (sc_become_subreaper (&err) < 0)
    {
      fprintf (stderr, "shimcheck probe: %s\n", err.msg);
      return SC_EXIT_ENV;
    }
  sc_env env;
  if (sc_env_setup (&env, "shimcheck-probe", &err) < 0)
    {
      fprintf (stderr, "shimcheck probe: set-up: %s\n", err.msg);
      sc_env_teardown (&env, NULL);
      return SC_EXIT_ENV;
    }
  env.keep = keep;
  static const char *const args[] = { "sleep", "3600", NULL };
  json_t *spec = sc_oci_default_spec (args, false);
  char *bundle = NULL;
  if (sc_bundle_create (env.state, env.ns, id, spec, &bundle, &err) < 0)
    {
      json_decref (spec);
      fprintf (stderr, "shimcheck probe: bundle: %s\n", err.msg);
      sc_env_teardown (&env, NULL);
      return SC_EXIT_ENV;
    }
  json_decref (spec);

  probe p = { 0 };
  printf ("shimcheck probe of %s\n", shim_path);
  printf ("  namespace %s, id %s, bundle %s\n", env.ns, id, bundle);

  sc_launch_opts lo = {
    .shim = shim_path,
    .ns = env.ns,
    .id = id,
    .bundle = bundle,
    .grpc_address = env.grpc_address,
    .ttrpc_address = env.ttrpc_address,
    .debug = debug,
    .profile = profile,
    .own_dir = env.dir,
    .start_timeout_ms = (int64_t) (5000 * scale),
    .connect_timeout_ms = (int64_t) (5000 * scale),
    .delete_timeout_ms = (int64_t) (10000 * scale),
  };
  sc_shim *shim = NULL;
  bool ok = true;
  char why[512];

  begin (&p);
  if (sc_shim_start (env.loop, &lo, &shim, &err) < 0)
    {
      ok = record (&p, "start", false, false, "%s", err.msg);
      goto done;
    }
  record (&p, "start", true, false, "printed %s%s (task service %s)", shim->addr.address,
          shim->addr.json ? " as JSON bootstrap params" : "", shim->addr.task_service);

  begin (&p);
  if (shim->addr.abstract)
    ok &= record (&p, "socket", false, false,
                  "abstract socket @%s: reachable from any process in the host network "
                  "namespace (CVE-2020-15257); use a filesystem path",
                  shim->addr.name);
  else
    {
      struct stat st;
      if (stat (shim->addr.name, &st) < 0)
        ok &= record (&p, "socket", false, false, "%s: %s", shim->addr.name, strerror (errno));
      else
        {
          bool is_sock = S_ISSOCK (st.st_mode);
          bool private_mode = (st.st_mode & 0077) == 0;
          ok &= record (&p, "socket", is_sock, !private_mode, "%s, mode %04o%s", shim->addr.name,
                        st.st_mode & 07777,
                        !is_sock ? ": not a socket"
                        : private_mode ? ""
                                       : " (group/other may connect; 0600 recommended)");
        }
    }

  begin (&p);
  if (sc_shim_connect (shim, &err) < 0)
    {
      ok = record (&p, "connect", false, false, "%s", err.msg);
      goto done;
    }
  record (&p, "connect", true, false, "ttrpc connection open");

  shim->task.timeout_ms = (int64_t) (5000 * scale);
  begin (&p);
  {
    Containerd__Task__V2__ConnectRequest req = CONTAINERD__TASK__V2__CONNECT_REQUEST__INIT;
    req.id = (char *) id;
    Containerd__Task__V2__ConnectResponse *resp = NULL;
    sc_rpc_result res = { 0 };
    sc_task_call (&shim->task, "Connect", &req.base, (ProtobufCMessage **) &resp, &res);
    if (res.code != SC_OK)
      {
        char *d = sc_rpc_result_describe (&res);
        ok &= record (&p, "Connect", false, false, "%s", d);
        free (d);
      }
    else
      {
        /* the truth is the process holding the socket (the kernel says),
         * never the pid the shim names: nothing is signalled because of it */
        sc_shim_track (shim, (pid_t) resp->shim_pid);
        bool right = shim->daemon_pid > 0 && (pid_t) resp->shim_pid == shim->daemon_pid;
        ok &= record (&p, "Connect", right, false,
                      "shim_pid %u%s, task_pid %u, version \"%s\"", resp->shim_pid,
                      right ? ""
                      : shim->daemon_pid > 0 ? " (not the process serving the socket)"
                                             : " (no process of ours serves the socket)",
                      resp->task_pid, resp->version);
        containerd__task__v2__connect_response__free_unpacked (resp, NULL);
      }
    sc_rpc_result_release (&res);
  }

  begin (&p);
  {
    Containerd__Task__V2__StateRequest req = CONTAINERD__TASK__V2__STATE_REQUEST__INIT;
    req.id = (char *) "shimcheck-unknown-task";
    sc_rpc_result res = { 0 };
    sc_task_call (&shim->task, "State", &req.base, NULL, &res);
    ok &= record (&p, "State(unknown id)", res.code == SC_NOT_FOUND, false,
                  "%s %s: \"%s\" (NotFound expected)", res.local ? "local" : "reply",
                  sc_code_name (res.code), res.message ? res.message : "");
    sc_rpc_result_release (&res);
  }

  begin (&p);
  {
    Containerd__Task__V2__ShutdownRequest req = CONTAINERD__TASK__V2__SHUTDOWN_REQUEST__INIT;
    req.id = (char *) id;
    sc_rpc_result res = { 0 };
    sc_task_call_timeout (&shim->task, "Shutdown", &req.base, (int64_t) (3000 * scale), NULL,
                          &res);
    /* containerd ignores ttrpc.ErrClosed here: the shim may exit before replying */
    bool held = res.code == SC_OK || (res.local && res.code == SC_UNAVAILABLE);
    ok &= record (&p, "Shutdown", held, false, "%s%s",
                  res.code == SC_OK ? "OK" : sc_code_name (res.code),
                  res.code == SC_OK ? ""
                  : held            ? " (connection closed before the reply; containerd accepts it)"
                                    : res.message);
    sc_rpc_result_release (&res);
  }
  sc_shim_disconnect (shim);

  begin (&p);
  {
    Containerd__Task__V2__DeleteResponse *d = NULL;
    sc_run_result run;
    if (sc_shim_delete (shim, &d, &run, &err) < 0)
      {
        /* containerd only logs a failing delete (cleanupAfterDeadShim), and
         * no task was ever created here: a clean non-zero exit is a warning;
         * a hang, a crash or undecodable stdout is a failure. */
        bool clean_exit = run.exited && !run.timed_out && WIFEXITED (run.status)
                          && WEXITSTATUS (run.status) != 0;
        ok &= record (&p, "delete", clean_exit, clean_exit, "%s%s", err.msg,
                      clean_exit ? " (tolerated: no task was created, containerd only logs this)"
                                 : "");
      }
    else
      {
        char ts[64];
        ok &= record (&p, "delete", true, false,
                      "DeleteResponse pid %u, exit_status %u, exited_at %s (%zu bytes)", d->pid,
                      d->exit_status, sc_ts_format (d->exited_at, ts, sizeof (ts)), run.out_len);
        containerd__task__v2__delete_response__free_unpacked (d, NULL);
      }
    sc_run_result_release (&run);
  }

  begin (&p);
  if (shim->daemon_pid <= 0)
    ok &= record (&p, "shim exited", false, false, "daemon pid unknown (Connect failed)");
  else if (sc_shim_wait_exit (shim, (int64_t) (SC_SHIM_EXIT_GRACE_MS * scale)) == 0)
    record (&p, "shim exited", true, false, "pid %d gone", (int) shim->daemon_pid);
  else
    ok &= record (&p, "shim exited", false, false, "pid %d still running %.1f s after Shutdown",
                  (int) shim->daemon_pid, SC_SHIM_EXIT_GRACE_MS / 1000.0 * scale);

  begin (&p);
  {
    /* the socket may be removed just after the process exits: poll briefly */
    bool gone = false;
    for (int i = 0; i < 50 && !(gone = socket_gone (&shim->addr, why, sizeof (why))); i++)
      usleep (20000);
    ok &= record (&p, "socket removed", gone, false, "%s", why);
  }

done:
  if (show_log && shim && shim->log_len > 0)
    {
      sc_loop_run_once (env.loop, 0);
      printf ("--- shim log ---\n%s\n--- end of log ---\n", shim->log);
    }
  pid_t *left;
  size_t nleft = sc_proc_descendants (getpid (), &left);
  {
    begin (&p);
    char list[256] = "";
    size_t off = 0;
    for (size_t i = 0; i < nleft && off < sizeof (list) - 40; i++)
      {
        char comm[32];
        off += (size_t) snprintf (list + off, sizeof (list) - off, "%s%d (%s)", i ? ", " : "",
                                  (int) left[i], sc_pid_comm (left[i], comm, sizeof (comm)));
      }
    ok &= record (&p, "nothing left running", nleft == 0, false, "%s%s",
                  nleft ? "left behind: " : "no process left", list);
    free (left);
  }
  sc_shim_free (shim);
  free (bundle);
  {
    begin (&p);
    char *flood = sc_events_sink_flood (env.sink);
    ok &= record (&p, "events endpoint", flood == NULL, false, "%s",
                  flood ? flood : "within the limits (size, count, connections)");
    free (flood);
  }
  {
    /* what the shim left on disk: a mount under the bundle is unmounted and
     * never deleted into, and it is a failure of the shim */
    begin (&p);
    sc_error cerr = SC_ERROR_INIT;
    sc_env_teardown (&env, &cerr);
    ok &= record (&p, "nothing left mounted", cerr.msg == NULL, false, "%s",
                  cerr.msg ? cerr.msg : "the run's directory removed, no mount under it");
    sc_error_release (&cerr);
  }

  printf ("\n  %-22s %-6s %9s  %s\n", "step", "result", "time", "detail");
  for (int i = 0; i < p.n; i++)
    {
      step *s = &p.steps[i];
      printf ("  %-22s %-6s %7.1fms  %s\n", s->name, s->held ? (s->warn ? "warn" : "ok") : "FAIL",
              s->ms, s->detail ? s->detail : "");
      free (s->detail);
    }
  printf ("\nprobe %s\n", ok ? "passed" : "FAILED");
  return ok ? SC_EXIT_OK : SC_EXIT_FAILED;
}
