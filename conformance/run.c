/* shimcheck run / list: the conformance runner.  Each case runs in its own
 * child process (its own shim, namespace, bundle, FIFOs and events sink)
 * with a deadline; whatever it spawned is killed and whatever it made is
 * removed, whatever happened. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <nettle/sha2.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bundle.h"
#include "catalogue.h"
#include "cli.h"
#include "pb.h"
#include "proc.h"
#include "report.h"

/* ------------------------------------------------------------------ list */

static void
list_help (FILE *f)
{
  fprintf (f, "usage: shimcheck list [--format text|json] [--filter REGEX] [--level must|should|compat]\n");
}

static bool
level_selected (const sc_case *c, int max_level)
{
  return (int) c->level <= max_level;
}

static int
parse_level (const char *s)
{
  if (strcmp (s, "must") == 0)
    return SC_MUST;
  if (strcmp (s, "should") == 0)
    return SC_SHOULD;
  if (strcmp (s, "compat") == 0 || strcmp (s, "all") == 0)
    return SC_COMPAT;
  return -1;
}

int
cmd_list (int argc, char **argv)
{
  static const struct option lo[] = { { "format", required_argument, NULL, 'f' },
                                      { "filter", required_argument, NULL, 'F' },
                                      { "level", required_argument, NULL, 'l' },
                                      { "help", no_argument, NULL, 'h' },
                                      { NULL, 0, NULL, 0 } };
  bool json = false;
  const char *filter = NULL;
  int level = SC_COMPAT, c;
  optind = 1;
  while ((c = getopt_long (argc, argv, "h", lo, NULL)) != -1)
    switch (c)
      {
      case 'f':
        if (strcmp (optarg, "json") == 0)
          json = true;
        else if (strcmp (optarg, "text") != 0)
          {
            list_help (stderr);
            return SC_EXIT_USAGE;
          }
        break;
      case 'F':
        filter = optarg;
        break;
      case 'l':
        if ((level = parse_level (optarg)) < 0)
          {
            list_help (stderr);
            return SC_EXIT_USAGE;
          }
        break;
      case 'h':
        list_help (stdout);
        return SC_EXIT_OK;
      default:
        list_help (stderr);
        return SC_EXIT_USAGE;
      }
  regex_t re;
  if (filter && regcomp (&re, filter, REG_EXTENDED | REG_NOSUB) != 0)
    {
      fprintf (stderr, "shimcheck list: bad --filter regex\n");
      return SC_EXIT_USAGE;
    }
  json_t *arr = json_array ();
  for (int i = 0; i < sc_catalogue_len; i++)
    {
      const sc_case *k = &sc_catalogue[i];
      if (!level_selected (k, level) || (filter && regexec (&re, k->id, 0, NULL, 0) != 0))
        continue;
      if (json)
        json_array_append_new (arr, json_pack ("{s:s, s:s, s:s, s:s, s:s}", "id", k->id, "group",
                                               sc_case_group (k), "level", sc_level_name (k->level),
                                               "title", k->title, "reference", k->ref));
      else
        printf ("%-48s %-6s %s\n", k->id, sc_level_name (k->level), k->title);
    }
  if (json)
    {
      char *s = json_dumps (arr, JSON_INDENT (2));
      printf ("%s\n", s);
      free (s);
    }
  json_decref (arr);
  if (filter)
    regfree (&re);
  return SC_EXIT_OK;
}

/* ------------------------------------------------------------------ environment */

static char *
run_capture (char *const argv[], int64_t timeout_ms)
{
  sc_run_opts ro = { .path = argv[0], .argv = argv, .merge_stderr = true, .timeout_ms = timeout_ms,
                     .eof_grace_ms = 200 };
  sc_run_result r;
  if (sc_run (&ro, &r, NULL) < 0)
    return sc_xstrdup ("(cannot run)");
  char *s = sc_xstrdup (r.out);
  sc_run_result_release (&r);
  size_t n = strlen (s);
  while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
    s[--n] = '\0';
  return s;
}

static char *
sha256_file (const char *path)
{
  FILE *f = fopen (path, "rb");
  if (f == NULL)
    return sc_xstrdup ("");
  struct sha256_ctx ctx;
  sha256_init (&ctx);
  uint8_t buf[65536];
  size_t n;
  while ((n = fread (buf, 1, sizeof (buf), f)) > 0)
    sha256_update (&ctx, n, buf);
  fclose (f);
  uint8_t md[SHA256_DIGEST_SIZE];
  sha256_digest (&ctx, sizeof (md), md);
  char hex[2 * SHA256_DIGEST_SIZE + 1];
  for (int i = 0; i < SHA256_DIGEST_SIZE; i++)
    snprintf (hex + 2 * i, 3, "%02x", md[i]);
  return sc_xstrdup (hex);
}

static json_t *
environment (const sc_run_config *cfg)
{
  char *v_argv[] = { (char *) cfg->shim, (char *) "-v", NULL };
  char *shim_v = run_capture (v_argv, 5000);
  const char *rt_name = cfg->runtime_binary ? cfg->runtime_binary : "runc";
  char *rt = sc_find_executable (rt_name);
  if (rt == NULL)
    rt = sc_xstrdup (rt_name);
  char *rt_argv[] = { rt, (char *) "--version", NULL };
  char *rt_v = run_capture (rt_argv, 5000);
  struct utsname u;
  uname (&u);
  struct stat st;
  const char *cg = stat ("/sys/fs/cgroup/cgroup.controllers", &st) == 0 ? "v2 (unified)"
                   : stat ("/sys/fs/cgroup/unified", &st) == 0        ? "hybrid (v1 + v2)"
                                                                       : "v1";
  char *sum = sha256_file (cfg->shim);
  char when[64];
  time_t now = time (NULL);
  strftime (when, sizeof (when), "%Y-%m-%dT%H:%M:%SZ", gmtime (&now));
  char host[256] = "";
  gethostname (host, sizeof (host) - 1);
  json_t *env = json_pack (
    "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "shimcheck", SHIMCHECK_VERSION, "shim",
    cfg->shim, "shim_sha256", sum, "shim_version", shim_v, "runtime", rt, "runtime_version", rt_v,
    "kernel", u.release, "cgroups", cg, "protocol",
    "containerd 1.6 runtime v2: start/delete binary protocol, containerd.task.v2.Task over ttrpc 1.1 (unary)",
    "date", when, "host", host);
  free (shim_v);
  free (rt);
  free (rt_v);
  free (sum);
  return env;
}

/* ------------------------------------------------------------------ running cases */

typedef struct slot
{
  pid_t pid;
  int idx;          /* into the selected list */
  char *dir;
  int64_t started;  /* mono ns */
  int64_t deadline; /* mono ns */
} slot;

static char *
read_text (const char *path, size_t max_tail)
{
  FILE *f = fopen (path, "r");
  if (f == NULL)
    return NULL;
  fseek (f, 0, SEEK_END);
  long size = ftell (f);
  long from = (size_t) size > max_tail ? size - (long) max_tail : 0;
  fseek (f, from, SEEK_SET);
  char *buf = sc_xmalloc ((size_t) (size - from) + 32);
  size_t n = fread (buf, 1, (size_t) (size - from), f);
  fclose (f);
  buf[n] = '\0';
  if (from > 0)
    {
      char *m = sc_xasprintf ("[... %ld bytes before ...]\n%s", from, buf);
      free (buf);
      return m;
    }
  return buf;
}

/* kill everything under pid (its shim, the task, ...), then pid */
static void
kill_tree (pid_t pid)
{
  kill (pid, SIGSTOP);
  for (int round = 0; round < 20; round++)
    {
      pid_t *d;
      size_t n = sc_proc_descendants (pid, &d);
      for (size_t i = 0; i < n; i++)
        kill (d[i], SIGKILL);
      free (d);
      if (n == 0)
        break;
      usleep (10000);
    }
  kill (pid, SIGKILL);
}

/* Processes a case left behind when its process ended are re-parented to us
 * (we are a child subreaper): every direct child that is not a live case
 * process is such an orphan; it dies with its subtree.  (No walking up parent
 * chains: a chain read while a process is being reaped would break and make
 * a live shim look orphaned.) */
static void
kill_orphans (slot *slots, int nslots)
{
  pid_t *d;
  size_t n = sc_proc_descendants (getpid (), &d);
  for (size_t i = 0; i < n; i++)
    {
      if (sc_pid_ppid (d[i]) != getpid ())
        continue;
      bool live = false;
      for (int s = 0; s < nslots; s++)
        live |= slots[s].pid > 0 && slots[s].pid == d[i];
      if (live)
        continue;
      kill_tree (d[i]);
      waitpid (d[i], NULL, 0);
    }
  free (d);
}

static char *
first_line_of (const char *path)
{
  char *t = read_text (path, 4096);
  if (t == NULL)
    return NULL;
  t[strcspn (t, "\n")] = '\0';
  return t;
}

/* what the case's process made outside its dir: runtime state, a socket */
static void
cleanup_case_leftovers (const char *dir, const sc_run_config *cfg)
{
  char *nsf = sc_xasprintf ("%s/ns", dir);
  char *ns = first_line_of (nsf);
  free (nsf);
  if (ns && *ns)
    sc_env_cleanup_runtime_state (ns, cfg->runtime_for_cleanup ? cfg->runtime_for_cleanup : "runc");
  free (ns);
  char *af = sc_xasprintf ("%s/address", dir);
  char *all = read_text (af, 64 * 1024);
  free (af);
  for (char *save = NULL, *addr = all ? strtok_r (all, "\n", &save) : NULL; addr;
       addr = strtok_r (NULL, "\n", &save))
    sc_unlink_dead_socket (addr); /* a socket nobody accepts on is a dead shim's */
  free (all);
}

static void
collect (sc_result *r, const slot *s, int wstatus, bool timed_out, const sc_run_config *cfg)
{
  r->seconds = (sc_now_mono_ns () - s->started) / 1e9;
  char *rp = sc_xasprintf ("%s/result.json", s->dir);
  json_error_t jerr;
  json_t *j = json_load_file (rp, 0, &jerr);
  if (j == NULL && getenv ("SHIMCHECK_DEBUG_KEEP")) { char *cmd = sc_xasprintf ("cp %s /tmp/bad-result.json", rp); if (system (cmd)) {} free (cmd); }
  free (rp);
  char *tp = sc_xasprintf ("%s/transcript.log", s->dir);
  r->transcript = read_text (tp, 64 * 1024);
  free (tp);
  if (r->transcript == NULL)
    r->transcript = sc_xstrdup ("");
  if (timed_out)
    {
      r->status = SC_FAIL;
      r->message = sc_xasprintf ("timed out after %.0f s (the shim did not answer in time; "
                                 "everything the case started was killed)",
                                 r->seconds);
      r->evidence = json_array ();
    }
  else if (j == NULL)
    {
      r->status = SC_FAIL;
      r->message = sc_xasprintf ("the case process ended without a result (%s; result.json: %s)",
                                 sc_wait_status_str (wstatus), jerr.text);
      r->evidence = json_array ();
    }
  else
    {
      r->status = (sc_status) json_integer_value (json_object_get (j, "status"));
      r->message = sc_xstrdup (json_string_value (json_object_get (j, "message")) ?: "");
      r->evidence = json_incref (json_object_get (j, "evidence"));
      if (!json_is_array (r->evidence))
        {
          json_decref (r->evidence);
          r->evidence = json_array ();
        }
    }
  json_decref (j);
  cleanup_case_leftovers (s->dir, cfg);
  sc_error err = SC_ERROR_INIT;
  if (sc_remove_tree (s->dir, &err) < 0)
    {
      /* a mount under the case's directory survived: the case fails */
      fprintf (stderr, "shimcheck: cleanup of %s: %s\n", s->dir, err.msg);
      if (r->status == SC_PASS || r->status == SC_SKIP)
        {
          r->status = SC_FAIL;
          free (r->message);
          r->message = sc_xasprintf ("left behind after the case: %s", err.msg);
        }
      sc_error_release (&err);
    }
}

static volatile sig_atomic_t interrupted;

static void
on_interrupt (int sig)
{
  interrupted = 1;
}

static void
run_cases (const sc_run_config *cfg, const sc_case **sel, int n, int jobs, sc_result *results,
           const char *base)
{
  slot *slots = sc_xcalloc ((size_t) jobs, sizeof (slot));
  int next = 0, done = 0;
  while (done < n)
    {
      /* start what fits */
      for (int s = 0; s < jobs && next < n && !interrupted; s++)
        {
          if (slots[s].pid > 0)
            continue;
          const sc_case *c = sel[next];
          char *dir = sc_xasprintf ("%s/c%03d", base, next);
          mkdir (dir, 0700);
          fflush (NULL);
          pid_t pid = fork ();
          if (pid == 0)
            {
              prctl (PR_SET_PDEATHSIG, SIGKILL);
              signal (SIGINT, SIG_DFL);
              signal (SIGTERM, SIG_DFL);
              sc_case_run (c, cfg, dir);
              _exit (0);
            }
          int64_t timeout_s = c->timeout_s > 0 ? c->timeout_s : 30;
          slots[s] = (slot){ pid, next, dir, sc_now_mono_ns (),
                             sc_now_mono_ns () + (int64_t) (timeout_s * cfg->scale * 1e9) };
          next++;
        }
      if (interrupted && next < n)
        {
          for (int k = next; k < n; k++)
            {
              results[k].c = sel[k];
              results[k].status = SC_SKIP;
              results[k].message = sc_xstrdup ("interrupted");
              results[k].evidence = json_array ();
              results[k].transcript = sc_xstrdup ("");
            }
          done += n - next;
          next = n;
        }
      /* reap and enforce deadlines */
      bool any = false;
      for (int s = 0; s < jobs; s++)
        {
          if (slots[s].pid <= 0)
            continue;
          int st = 0;
          pid_t w = waitpid (slots[s].pid, &st, WNOHANG);
          if (w < 0 && errno == ECHILD)
            w = slots[s].pid; /* already reaped: it ended, status unknown */
          bool timed_out = false;
          if (w == 0 && (sc_now_mono_ns () > slots[s].deadline || interrupted))
            {
              kill_tree (slots[s].pid);
              waitpid (slots[s].pid, &st, 0);
              w = slots[s].pid;
              timed_out = true;
            }
          if (w != slots[s].pid)
            continue;
          any = true;
          slot fin = slots[s];
          slots[s].pid = 0;
          kill_orphans (slots, jobs);
          sc_result *r = &results[fin.idx];
          r->c = sel[fin.idx];
          collect (r, &fin, st, timed_out, cfg);
          done++;
          fprintf (stderr, "[%3d/%d] %-4s %-46s %-6s %6.1fs%s%s\n", done, n,
                   sc_status_name (r->status), r->c->id, sc_level_name (r->c->level), r->seconds,
                   r->status == SC_FAIL || r->status == SC_SKIP ? "  " : "",
                   r->status == SC_FAIL || r->status == SC_SKIP ? r->message : "");
          free (fin.dir);
        }
      if (!any)
        usleep (20000);
    }
  free (slots);
}

/* ------------------------------------------------------------------ run */

static void
run_help (FILE *f)
{
  fprintf (f,
           "usage: shimcheck run --shim PATH [options]\n"
           "\n"
           "Certifies a containerd shim: runs the conformance catalogue against it, acting as\n"
           "containerd does (no containerd daemon needed).  Progress on stderr, TAP on stdout.\n"
           "\n"
           "options:\n"
           "  --shim PATH            shim binary under test (required)\n"
           "  --runtime-binary BIN   pass containerd.runc.v1.Options{binary_name: BIN} (crun, ...)\n"
           "  --filter REGEX         only cases whose id matches\n"
           "  --level must|should|compat   run cases up to this level (default compat: all)\n"
           "  -j, --jobs N           cases in parallel (default 1)\n"
           "  --out DIR              write results.tap, junit.xml, report.json, report.html\n"
           "  --baseline FILE        expected failures, one case id per line ('#' comments)\n"
           "  --timeout-scale X      multiply every deadline by X (slow machines, sanitizers)\n"
           "  --strict               SHOULD and COMPAT failures fail the run too\n"
           "  --rootfs DIR           your own root filesystem (needs /bin/sh and busybox-like tools)\n"
           "  --busybox PATH         static busybox for the built-in rootfs (default /bin/busybox)\n"
           "  -h, --help             this text\n"
           "\n"
           "exit codes: 0 the gate passed, 1 it failed, 2 usage, 3 set-up error\n");
}

static char **
read_baseline (const char *path, int *n, char **errmsg)
{
  FILE *f = fopen (path, "r");
  if (f == NULL)
    {
      *errmsg = sc_xasprintf ("--baseline %s: %s", path, strerror (errno));
      return NULL;
    }
  char **ids = NULL;
  *n = 0;
  char line[512];
  while (fgets (line, sizeof (line), f))
    {
      char *h = strchr (line, '#');
      if (h)
        *h = '\0';
      char *s = line;
      while (*s == ' ' || *s == '\t')
        s++;
      size_t l = strcspn (s, " \t\r\n");
      s[l] = '\0';
      if (*s == '\0')
        continue;
      bool known = false;
      for (int i = 0; i < sc_catalogue_len; i++)
        known |= strcmp (sc_catalogue[i].id, s) == 0;
      if (!known)
        fprintf (stderr, "shimcheck: baseline: %s is not a case id (ignored)\n", s);
      ids = sc_xrealloc (ids, (size_t) (*n + 1) * sizeof (char *));
      ids[(*n)++] = sc_xstrdup (s);
    }
  fclose (f);
  return ids;
}

int
cmd_run (int argc, char **argv)
{
  static const struct option lo[] = {
    { "shim", required_argument, NULL, 's' },        { "runtime-binary", required_argument, NULL, 'r' },
    { "filter", required_argument, NULL, 'F' },      { "level", required_argument, NULL, 'l' },
    { "jobs", required_argument, NULL, 'j' },        { "out", required_argument, NULL, 'o' },
    { "baseline", required_argument, NULL, 'b' },    { "timeout-scale", required_argument, NULL, 't' },
    { "strict", no_argument, NULL, 'S' },            { "rootfs", required_argument, NULL, 'R' },
    { "busybox", required_argument, NULL, 'B' },     { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  const char *shim = NULL, *runtime_binary = NULL, *filter = NULL, *out = NULL, *baseline = NULL;
  const char *rootfs = NULL, *busybox = NULL;
  int level = SC_COMPAT, jobs = 1, c;
  double scale = 1.0;
  bool strict = false;
  optind = 1;
  while ((c = getopt_long (argc, argv, "j:h", lo, NULL)) != -1)
    switch (c)
      {
      case 's':
        shim = optarg;
        break;
      case 'r':
        runtime_binary = optarg;
        break;
      case 'F':
        filter = optarg;
        break;
      case 'l':
        if ((level = parse_level (optarg)) < 0)
          {
            fprintf (stderr, "shimcheck run: --level must be must, should or compat\n");
            return SC_EXIT_USAGE;
          }
        break;
      case 'j':
        jobs = atoi (optarg);
        if (jobs < 1 || jobs > 64)
          {
            fprintf (stderr, "shimcheck run: -j must be 1..64\n");
            return SC_EXIT_USAGE;
          }
        break;
      case 'o':
        out = optarg;
        break;
      case 'b':
        baseline = optarg;
        break;
      case 't':
        scale = strtod (optarg, NULL);
        if (scale <= 0 || scale > 100)
          {
            fprintf (stderr, "shimcheck run: --timeout-scale must be in (0, 100]\n");
            return SC_EXIT_USAGE;
          }
        break;
      case 'S':
        strict = true;
        break;
      case 'R':
        rootfs = optarg;
        break;
      case 'B':
        busybox = optarg;
        break;
      case 'h':
        run_help (stdout);
        return SC_EXIT_OK;
      default:
        run_help (stderr);
        return SC_EXIT_USAGE;
      }
  if (shim == NULL || optind != argc)
    {
      fprintf (stderr, "shimcheck run: %s\n", shim ? "unexpected argument" : "--shim PATH is required");
      run_help (stderr);
      return SC_EXIT_USAGE;
    }
  char shim_abs[4096];
  if (realpath (shim, shim_abs) == NULL || access (shim_abs, X_OK) < 0)
    {
      fprintf (stderr, "shimcheck run: --shim %s: %s\n", shim, strerror (errno));
      return SC_EXIT_USAGE;
    }
  regex_t re;
  if (filter && regcomp (&re, filter, REG_EXTENDED | REG_NOSUB) != 0)
    {
      fprintf (stderr, "shimcheck run: bad --filter regex: %s\n", filter);
      return SC_EXIT_USAGE;
    }
  int nbase = 0;
  char **base_ids = NULL;
  char *errmsg = NULL;
  if (baseline && (base_ids = read_baseline (baseline, &nbase, &errmsg)) == NULL && errmsg)
    {
      fprintf (stderr, "shimcheck run: %s\n", errmsg);
      return SC_EXIT_USAGE;
    }
  if (out && mkdir (out, 0755) < 0 && errno != EEXIST)
    {
      fprintf (stderr, "shimcheck run: --out %s: %s\n", out, strerror (errno));
      return SC_EXIT_USAGE;
    }

  const sc_case **sel = sc_xcalloc ((size_t) sc_catalogue_len, sizeof (*sel));
  int n = 0;
  for (int i = 0; i < sc_catalogue_len; i++)
    if (level_selected (&sc_catalogue[i], level)
        && (filter == NULL || regexec (&re, sc_catalogue[i].id, 0, NULL, 0) == 0))
      sel[n++] = &sc_catalogue[i];
  if (filter)
    regfree (&re);
  if (n == 0)
    {
      fprintf (stderr, "shimcheck run: no case matches\n");
      free (sel);
      return SC_EXIT_USAGE;
    }

  signal (SIGPIPE, SIG_IGN);
  signal (SIGINT, on_interrupt);
  signal (SIGTERM, on_interrupt);
  sc_error err = SC_ERROR_INIT;
  if (sc_become_subreaper (&err) < 0)
    {
      fprintf (stderr, "shimcheck run: %s\n", err.msg);
      return SC_EXIT_ENV;
    }
  char base[] = "/tmp/shimcheck-run.XXXXXX";
  if (mkdtemp (base) == NULL)
    {
      fprintf (stderr, "shimcheck run: mkdtemp: %s\n", strerror (errno));
      return SC_EXIT_ENV;
    }
  char *own_rootfs = NULL;
  if (rootfs == NULL)
    {
      own_rootfs = sc_xasprintf ("%s/rootfs", base);
      if (sc_rootfs_busybox (own_rootfs, busybox, &err) < 0)
        {
          fprintf (stderr, "shimcheck run: rootfs: %s\n", err.msg);
          sc_remove_tree (base, NULL);
          return SC_EXIT_ENV;
        }
      rootfs = own_rootfs;
    }
  char rootfs_abs[4096];
  if (realpath (rootfs, rootfs_abs) == NULL)
    {
      fprintf (stderr, "shimcheck run: --rootfs %s: %s\n", rootfs, strerror (errno));
      return SC_EXIT_USAGE;
    }
  sc_run_config cfg = { .shim = shim_abs,
                        .runtime_binary = runtime_binary,
                        .rootfs = rootfs_abs,
                        .scale = scale,
                        .runtime_for_cleanup = runtime_binary ? runtime_binary : "runc" };

  sc_report rep = { 0 };
  rep.environment = environment (&cfg);
  rep.strict = strict;
  rep.results = sc_xcalloc ((size_t) n, sizeof (sc_result));
  rep.n = n;
  fprintf (stderr, "shimcheck %s: %d cases against %s (-j %d)\n", SHIMCHECK_VERSION, n, shim_abs, jobs);
  int64_t t0 = sc_now_mono_ns ();
  run_cases (&cfg, sel, n, jobs, rep.results, base);
  rep.seconds = (sc_now_mono_ns () - t0) / 1e9;

  /* gate */
  int failed = 0, errors = 0, passed = 0, skipped = 0, expected = 0;
  for (int i = 0; i < n; i++)
    {
      sc_result *r = &rep.results[i];
      for (int b = 0; b < nbase; b++)
        r->in_baseline |= strcmp (base_ids[b], r->c->id) == 0;
      r->gating = r->c->level == SC_MUST || strict;
      if (r->status == SC_PASS)
        {
          passed++;
          if (r->in_baseline)
            {
              rep.baseline_now_passing = sc_xrealloc (rep.baseline_now_passing,
                                                      (size_t) (rep.n_baseline_now_passing + 1) * sizeof (char *));
              rep.baseline_now_passing[rep.n_baseline_now_passing++] = (char *) r->c->id;
            }
        }
      else if (r->status == SC_SKIP)
        skipped++;
      else if (r->status == SC_ERROR)
        errors++;
      else if (r->in_baseline)
        expected++;
      else if (r->gating)
        failed++;
    }
  rep.passed = failed == 0 && errors == 0;

  printf ("TAP version 13\n1..%d\n", n);
  for (int i = 0; i < n; i++)
    sc_tap_result (stdout, &rep.results[i], i + 1);
  int nonpass_nongating = 0;
  for (int i = 0; i < n; i++)
    nonpass_nongating += rep.results[i].status == SC_FAIL && !rep.results[i].gating && !rep.results[i].in_baseline;
  printf ("# %d passed, %d failed (%d gating, %d not gating), %d expected failures, %d skipped, %d errors; %.1f s\n",
          passed, failed + nonpass_nongating, failed, nonpass_nongating, expected, skipped, errors, rep.seconds);
  for (int i = 0; i < rep.n_baseline_now_passing; i++)
    printf ("# baseline entry now passes, remove it: %s\n", rep.baseline_now_passing[i]);
  fprintf (stderr, "\n%s: %d passed, %d gating failures, %d other failures, %d expected, %d skipped, %d errors in %.1f s\n",
           rep.passed ? "PASSED" : "FAILED", passed, failed, nonpass_nongating, expected, skipped, errors, rep.seconds);
  if (out)
    {
      if (sc_report_write_all (&rep, out, &errmsg) < 0)
        {
          fprintf (stderr, "shimcheck run: reports: %s\n", errmsg);
          free (errmsg);
        }
      else
        fprintf (stderr, "reports: %s/{results.tap,junit.xml,report.json,report.html}\n", out);
    }
  sc_remove_tree (base, NULL);
  sc_proc_kill_descendants (getpid ());
  for (int i = 0; i < n; i++)
    {
      free (rep.results[i].message);
      free (rep.results[i].transcript);
      json_decref (rep.results[i].evidence);
    }
  free (rep.results);
  free (rep.baseline_now_passing);
  json_decref (rep.environment);
  for (int b = 0; b < nbase; b++)
    free (base_ids[b]);
  free (base_ids);
  free (own_rootfs);
  free (sel);
  if (errors)
    return SC_EXIT_ENV;
  return rep.passed ? SC_EXIT_OK : SC_EXIT_FAILED;
}
