/* shimcheck run / list: the conformance runner.  Each case runs in its own
 * child process (its own shim, namespace, bundle, FIFOs and events sink)
 * with a deadline; whatever it spawned is killed and whatever it made is
 * removed, whatever happened. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <nettle/sha2.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bundle.h"
#include "env.h"
#include "catalogue.h"
#include "cli.h"
#include "pb.h"
#include "proc.h"
#include "report.h"
#include "result.h"

/* ------------------------------------------------------------------ list */

static void
list_help (FILE *f)
{
  fprintf (f, "usage: shimcheck list [--format text|json] [--filter REGEX] [--level must|should|compat]\n"
              "       shimcheck list --capabilities   the capability tags (run --without TAG) and their cases\n");
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
                                      { "capabilities", no_argument, NULL, 'c' },
                                      { NULL, 0, NULL, 0 } };
  bool json = false, caps = false;
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
      case 'c':
        caps = true;
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
  char *broken = NULL;
  if (sc_catalogue_selfcheck (&broken) < 0)
    {
      fprintf (stderr, "shimcheck list: internal error: %s\n", broken);
      return SC_EXIT_ENV;
    }
  if (caps)
    {
      for (int t = 0; t < sc_capabilities_len; t++)
        {
          printf ("%-14s %s\n", sc_capabilities[t].tag, sc_capabilities[t].what);
          for (int i = 0; i < sc_catalogue_len; i++)
            if (sc_case_has_tag (&sc_catalogue[i], sc_capabilities[t].tag))
              printf ("  %s\n", sc_catalogue[i].id);
        }
      return SC_EXIT_OK;
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
        json_array_append_new (arr, json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s}", "id", k->id, "group",
                                               sc_case_group (k), "level", sc_level_name (k->level),
                                               "title", k->title, "reference", k->ref, "tags",
                                               sc_case_tags (k)));
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
  char *s = sc_utf8_sanitize (r.out); /* a shim's -v may print anything */
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

static char *
hex_digest (struct sha256_ctx *ctx)
{
  uint8_t md[SHA256_DIGEST_SIZE];
  sha256_digest (ctx, sizeof (md), md);
  char hex[2 * SHA256_DIGEST_SIZE + 1];
  for (int i = 0; i < SHA256_DIGEST_SIZE; i++)
    snprintf (hex + 2 * i, 3, "%02x", md[i]);
  return sc_xstrdup (hex);
}

/* what the catalogue asks: every case's id, level, title and reference */
static char *
catalogue_digest (void)
{
  struct sha256_ctx ctx;
  sha256_init (&ctx);
  for (int i = 0; i < sc_catalogue_len; i++)
    {
      const sc_case *c = &sc_catalogue[i];
      const char *parts[] = { c->id, sc_level_name (c->level), c->title, c->ref };
      for (int k = 0; k < 4; k++)
        sha256_update (&ctx, strlen (parts[k]) + 1, (const uint8_t *) parts[k]);
    }
  return hex_digest (&ctx);
}

/* how the run was asked for: a report says what it certifies */
static json_t *
invocation (int argc, char **argv, const char *filter, int level, bool strict, int jobs,
            double scale, const char *baseline, char **base_ids, int nbase)
{
  json_t *args = json_array ();
  for (int i = 0; i < argc; i++)
    {
      char *a = sc_utf8_sanitize (argv[i]);
      json_array_append_new (args, json_string (a));
      free (a);
    }
  json_t *ids = json_array ();
  for (int i = 0; i < nbase; i++)
    json_array_append_new (ids, json_string (base_ids[i]));
  char *bsum = baseline ? sha256_file (baseline) : NULL;
  char *csum = catalogue_digest ();
  json_t *inv = json_pack ("{s:o, s:s?, s:s, s:b, s:i, s:f, s:{s:s?, s:s?, s:o}, s:s, s:s, s:s, s:i}",
                           "argv", args, "filter", filter, "level",
                           level == SC_MUST ? "must" : level == SC_SHOULD ? "should" : "compat",
                           "strict", strict, "jobs", jobs, "timeout_scale", scale, "baseline",
                           "file", baseline, "sha256", bsum, "ids", ids, "shimcheck_version",
                           SHIMCHECK_VERSION, "shimcheck_commit", SHIMCHECK_COMMIT,
                           "catalogue_sha256", csum, "catalogue_cases", sc_catalogue_len);
  free (bsum);
  free (csum);
  return inv;
}

static json_t *
environment (const sc_run_config *cfg, bool all_profiles)
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
  /* a run id that names this run in the certificate (not a temp path) */
  uint8_t rnd[8] = { 0 };
  if (getrandom (rnd, sizeof (rnd), 0) != (ssize_t) sizeof (rnd))
    {
      int64_t now_ns = sc_now_wall_ns ();
      memcpy (rnd, &now_ns, sizeof (rnd));
    }
  char run_id[2 * sizeof (rnd) + 1];
  for (size_t i = 0; i < sizeof (rnd); i++)
    snprintf (run_id + 2 * i, 3, "%02x", rnd[i]);
  json_t *env = json_pack (
    "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "shimcheck", SHIMCHECK_VERSION, "shim",
    cfg->shim, "shim_sha256", sum, "shim_version", shim_v, "runtime", rt, "runtime_version", rt_v,
    "kernel", u.release, "cgroups", cg, "protocol",
    cfg->profile->bootstrap_params
      ? "runtime v2 with containerd 2.3's bootstrap protocol (protobuf BootstrapParams/Result), task API over ttrpc (unary)"
      : "runtime v2: start/delete binary protocol, task API over ttrpc (unary)",
    "date", when, "host", host);
  char *cd = all_profiles
               ? sc_xasprintf ("all: version-sensitive cases as each of %s (id@version); the "
                               "others as %s",
                               sc_profile_names (), cfg->profile->name)
               : sc_xasprintf ("%s (acts as containerd %s; facts read at %s%s%s)",
                               cfg->profile->name, cfg->profile->name, cfg->profile->source_tag,
                               cfg->profile->proven ? ", recorded against real containerd " : "",
                               cfg->profile->proven ? cfg->profile->proven : "");
  json_object_set_new (env, "containerd", json_string (cd));
  free (cd);
  json_object_set_new (env, "run_id", json_string (run_id));
  free (shim_v);
  free (rt);
  free (rt_v);
  free (sum);
  return env;
}

/* ------------------------------------------------------------------ running cases */

/* one case under one containerd profile */
typedef struct sc_job
{
  const sc_case *c;
  const sc_profile *profile;
  sc_level level;
  bool applies;  /* false: skipped with the reason, never run */
  const char *without; /* a tag the shim declared it lacks: not applicable, never run */
  char *id;      /* c->id, or c->id@profile in a run over several profiles */
} sc_job;

typedef struct slot
{
  pid_t pid;
  int idx;          /* into the selected list */
  char *dir;
  int64_t started;  /* mono ns */
  int64_t deadline; /* mono ns */
} slot;


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
        {
          kill (d[i], SIGKILL);
          sc_proc_thaw (d[i]); /* a frozen process dies only once thawed */
        }
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
      /* reap every child meanwhile, never one pid blocking: a dying pid
       * namespace init waits for its namespace's zombies, which may be
       * ours to reap (a runtime's half-started exec) */
      int64_t deadline = sc_deadline_in_ms (10000);
      while (sc_pid_alive (d[i]) && sc_now_mono_ns () < deadline)
        {
          sc_reap_children ();
          if (waitpid (d[i], NULL, WNOHANG) == d[i])
            break;
          usleep (10000);
        }
      if (sc_pid_alive (d[i]))
        fprintf (stderr, "shimcheck: a leftover process (pid %d) did not die within 10 s of SIGKILL\n",
                 (int) d[i]);
    }
  free (d);
}

/* what the case's process made outside its dir: runtime state, a socket */
static void
cleanup_case_leftovers (const char *dir, const sc_run_config *cfg)
{
  char *ns = sc_case_file_text (dir, SC_CASE_NS, 4096);
  if (ns)
    ns[strcspn (ns, "\n")] = '\0';
  if (ns && *ns)
    sc_env_cleanup_runtime_state (ns, cfg->runtime_for_cleanup ? cfg->runtime_for_cleanup : "runc");
  free (ns);
  char *all = sc_case_file_text (dir, SC_CASE_ADDRESSES, 64 * 1024);
  for (char *save = NULL, *addr = all ? strtok_r (all, "\n", &save) : NULL; addr;
       addr = strtok_r (NULL, "\n", &save))
    sc_unlink_dead_socket (addr, dir); /* a socket nobody accepts on is a dead shim's */
  free (all);
}

static void
collect (sc_result *r, const slot *s, int wstatus, bool timed_out, const sc_run_config *cfg)
{
  r->seconds = (sc_now_mono_ns () - s->started) / 1e9;
  sc_case_outcome o;
  sc_error rerr = SC_ERROR_INIT;
  int read_rc = sc_case_outcome_read (s->dir, &o, &rerr);
  r->transcript = sc_case_file_text (s->dir, SC_CASE_TRANSCRIPT, 64 * 1024);
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
  else if (read_rc < 0)
    {
      r->status = SC_FAIL;
      r->message = sc_xasprintf ("the case process ended without a result (%s; %s)",
                                 sc_wait_status_str (wstatus), rerr.msg);
      r->evidence = json_array ();
    }
  else
    {
      r->status = o.status;
      r->message = sc_steal (o.message);
      r->evidence = sc_steal (o.evidence);
    }
  sc_case_outcome_release (&o);
  sc_error_release (&rerr);
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

static volatile sig_atomic_t interrupted; /* the signal, 0 if none */
static int64_t budget_deadline;             /* the run's time budget ends (monotonic ns) */
static bool budget_out;                     /* ... and it ran out */

/* a reason to stop: a signal, or the run's time budget */
static bool
stopping (void)
{
  if (!budget_out && budget_deadline && sc_now_mono_ns () > budget_deadline)
    budget_out = true;
  return interrupted || budget_out;
}

static char *
stop_reason (void)
{
  return interrupted ? sc_xasprintf ("the run was interrupted (signal %d)", (int) interrupted)
                     : sc_xstrdup ("the run's time budget ran out");
}

static void
on_interrupt (int sig)
{
  interrupted = sig;
}

static void
run_cases (const sc_run_config *cfg, const sc_job *sel, int n, int jobs, sc_result *results,
           const char *base)
{
  for (int k = 0; k < n; k++)
    {
      results[k].c = sel[k].c;
      results[k].id = sel[k].id;
      results[k].level = sel[k].level;
      results[k].profile = sel[k].profile;
    }
  slot *slots = sc_xcalloc ((size_t) jobs, sizeof (slot));
  int next = 0, done = 0;
  while (done < n)
    {
      /* start what fits */
      for (int s = 0; s < jobs && next < n && !stopping (); s++)
        {
          if (slots[s].pid > 0)
            continue;
          const sc_case *c = sel[next].c;
          if (!sel[next].applies || sel[next].without)
            {
              sc_result *r = &results[next];
              r->status = SC_SKIP;
              if (sel[next].without)
                {
                  r->without = sel[next].without;
                  r->message = sc_xasprintf ("NOT APPLICABLE: the shim is declared without %s (%s)", r->without,
                                             sc_capability_find (r->without)->what);
                }
              else
                r->message = sc_xasprintf ("applies to %s; this run acts as containerd %s",
                                           sc_case_versions_text (c), sel[next].profile->name);
              r->evidence = json_array ();
              r->transcript = sc_xstrdup ("");
              done++;
              fprintf (stderr, "[%3d/%d] %-4s %-46s %-6s %6.1fs  %s\n", done, n, "skip", r->id,
                       sc_level_name (r->level), 0.0, r->message);
              next++;
              s--; /* this slot is still free */
              continue;
            }
          sc_run_config job_cfg = *cfg;
          job_cfg.profile = sel[next].profile;
          char *dir = sc_xasprintf ("%s/c%03d", base, next);
          mkdir (dir, 0700);
          fflush (NULL);
          pid_t pid = fork ();
          if (pid == 0)
            {
              prctl (PR_SET_PDEATHSIG, SIGKILL);
              signal (SIGINT, SIG_DFL);
              signal (SIGTERM, SIG_DFL);
              sc_case_run (c, &job_cfg, dir);
              _exit (0);
            }
          int64_t timeout_s = c->timeout_s > 0 ? c->timeout_s : 30;
          slots[s] = (slot){ pid, next, dir, sc_now_mono_ns (),
                             sc_now_mono_ns () + (int64_t) (timeout_s * cfg->scale * 1e9) };
          next++;
        }
      if (stopping () && next < n)
        {
          char *why = stop_reason ();
          for (int k = next; k < n; k++)
            {
              results[k].status = SC_INTERRUPTED;
              results[k].message = sc_xasprintf ("not run: %s", why);
              results[k].evidence = json_array ();
              results[k].transcript = sc_xstrdup ("");
            }
          free (why);
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
          bool timed_out = false, stopped = false;
          if (w == 0 && (stopping () || sc_now_mono_ns () > slots[s].deadline))
            {
              kill_tree (slots[s].pid);
              waitpid (slots[s].pid, &st, 0);
              w = slots[s].pid;
              stopped = stopping () && sc_now_mono_ns () <= slots[s].deadline;
              timed_out = !stopped;
            }
          if (w != slots[s].pid)
            continue;
          any = true;
          slot fin = slots[s];
          slots[s].pid = 0;
          kill_orphans (slots, jobs);
          sc_result *r = &results[fin.idx];
          collect (r, &fin, st, timed_out, cfg);
          if (stopped)
            {
              char *why = stop_reason ();
              r->status = SC_INTERRUPTED;
              free (r->message);
              r->message = sc_xasprintf ("stopped while running: %s; no verdict", why);
              free (why);
            }
          done++;
          fprintf (stderr, "[%3d/%d] %-4s %-46s %-6s %6.1fs%s%s\n", done, n,
                   sc_status_name (r->status), r->id, sc_level_name (r->level), r->seconds,
                   r->status != SC_PASS ? "  " : "", r->status != SC_PASS ? r->message : "");
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
           "  --max-run-time S       the run's time budget, scaled by --timeout-scale (default 180):\n"
           "                         cases not finished by then are INTERRUPTED, the run INCOMPLETE\n"
           "  --rootfs DIR           your own root filesystem (needs /bin/sh and busybox-like tools)\n"
           "  --busybox PATH         static busybox for the built-in rootfs (default /bin/busybox)\n"
           "  --containerd V|all     the containerd version to act as: 1.6, 1.7, 2.0, 2.1, 2.2 or 2.3\n"
           "                         (default: the newest proven against a real containerd, 2.1);\n"
           "                         all: the version-sensitive cases once per version (id@version)\n"
           "  --without TAG[,TAG]    capabilities the shim does not have: their cases are NOT\n"
           "                         APPLICABLE, listed on the certificate, never passed\n"
           "                         (`shimcheck list --capabilities` lists the tags)\n"
           "  -h, --help             this text\n"
           "\n"
           "exit codes: 0 the gate passed, 1 it failed, 2 usage, 3 set-up error\n");
}

/* the first of the declared-missing capabilities c needs, or NULL */
static const char *
lacking (const sc_case *c, const char *const *without, int n)
{
  for (int i = 0; i < n; i++)
    if (sc_case_has_tag (c, without[i]))
      return without[i];
  return NULL;
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
      if (sc_case_find (s) == NULL)
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
    { "max-run-time", required_argument, NULL, 'M' }, { "containerd", required_argument, NULL, 'C' },
    { "busybox", required_argument, NULL, 'B' },     { "help", no_argument, NULL, 'h' },
    { "without", required_argument, NULL, 'W' },     { NULL, 0, NULL, 0 },
  };
  const char *shim = NULL, *runtime_binary = NULL, *filter = NULL, *out = NULL, *baseline = NULL;
  const char *rootfs = NULL, *busybox = NULL;
  int level = SC_COMPAT, jobs = 1, c;
  double scale = 1.0, max_run_s = 180;
  bool strict = false, all_profiles = false;
  const sc_profile *profile = sc_profile_default ();
  const char *without[16];
  int nwithout = 0;
  char *broken = NULL;
  if (sc_catalogue_selfcheck (&broken) < 0)
    {
      fprintf (stderr, "shimcheck run: internal error: %s\n", broken);
      return SC_EXIT_ENV;
    }
  optind = 1;
  while ((c = getopt_long (argc, argv, "j:h", lo, NULL)) != -1)
    switch (c)
      {
      case 'W':
        for (char *save = NULL, *tag = strtok_r (optarg, ",", &save); tag; tag = strtok_r (NULL, ",", &save))
          {
            const sc_capability *cap = sc_capability_find (tag);
            if (cap == NULL)
              {
                fprintf (stderr, "shimcheck run: --without %s: not a capability tag; the tags are:\n", tag);
                for (int i = 0; i < sc_capabilities_len; i++)
                  fprintf (stderr, "  %-14s %s\n", sc_capabilities[i].tag, sc_capabilities[i].what);
                return SC_EXIT_USAGE;
              }
            bool dup = false;
            for (int i = 0; i < nwithout; i++)
              dup = dup || without[i] == cap->tag;
            if (!dup && nwithout < 16)
              without[nwithout++] = cap->tag;
          }
        break;
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
      case 'M':
        max_run_s = strtod (optarg, NULL);
        if (max_run_s <= 0)
          {
            fprintf (stderr, "shimcheck run: --max-run-time must be > 0\n");
            return SC_EXIT_USAGE;
          }
        break;
      case 'R':
        rootfs = optarg;
        break;
      case 'C':
        all_profiles = strcmp (optarg, "all") == 0;
        if (!all_profiles && (profile = sc_profile_find (optarg)) == NULL)
          {
            fprintf (stderr, "shimcheck run: --containerd must be one of %s, or all\n",
                     sc_profile_names ());
            return SC_EXIT_USAGE;
          }
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
  struct stat shim_st;
  if (realpath (shim, shim_abs) == NULL || stat (shim_abs, &shim_st) < 0 || access (shim_abs, X_OK) < 0)
    {
      fprintf (stderr, "shimcheck run: --shim %s: %s\n", shim, strerror (errno));
      return SC_EXIT_USAGE;
    }
  if (!S_ISREG (shim_st.st_mode))
    {
      fprintf (stderr, "shimcheck run: --shim %s: not a regular file (give the shim binary)\n", shim);
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
  if (out)
    {
      /* reports that cannot be written fail the run before any case runs */
      struct stat ost;
      char *probe = sc_xasprintf ("%s/.shimcheck-write-test", out);
      int fd = -1;
      if ((mkdir (out, 0755) < 0 && errno != EEXIST) || stat (out, &ost) < 0
          || (!S_ISDIR (ost.st_mode) && (errno = ENOTDIR))
          || (fd = open (probe, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
        {
          fprintf (stderr, "shimcheck run: --out %s: %s\n", out, strerror (errno));
          free (probe);
          return SC_EXIT_ENV;
        }
      close (fd);
      unlink (probe);
      free (probe);
    }

  /* the jobs: every selected case under the run's profile; with
   * --containerd all, the version-sensitive ones under every profile they
   * apply to (as id@profile), the others once under the default */
  sc_job *sel = sc_xcalloc ((size_t) sc_catalogue_len * (size_t) (sc_profiles_len + 1), sizeof (*sel));
  int n = 0;
  for (int i = 0; i < sc_catalogue_len; i++)
    {
      const sc_case *k = &sc_catalogue[i];
      if (!level_selected (k, level) || (filter && regexec (&re, k->id, 0, NULL, 0) != 0))
        continue;
      if (all_profiles && sc_case_versioned (k))
        {
          for (int p = 0; p < sc_profiles_len; p++)
            {
              sc_job *j = &sel[n];
              j->c = k;
              j->profile = &sc_profiles[p];
              if (!sc_case_applies (k, j->profile, &j->level))
                continue;
              j->applies = true;
              j->without = lacking (k, without, nwithout);
              j->id = sc_xasprintf ("%s@%s", k->id, j->profile->name);
              n++;
            }
          continue;
        }
      sc_job *j = &sel[n++];
      j->c = k;
      j->profile = profile;
      j->applies = sc_case_applies (k, profile, &j->level);
      j->without = lacking (k, without, nwithout);
      j->id = sc_xstrdup (k->id);
    }
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
  char base[PATH_MAX];
  snprintf (base, sizeof (base), "%s/shimcheck-run.XXXXXX", sc_tmpdir ());
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
                        .runtime_for_cleanup = runtime_binary ? runtime_binary : "runc",
                        .profile = profile };

  sc_report rep = { 0 };
  rep.environment = environment (&cfg, all_profiles);
  rep.strict = strict;
  rep.filter = filter;
  rep.level = level == SC_COMPAT ? NULL : level == SC_MUST ? "must" : "should";
  rep.without = without;
  rep.nwithout = nwithout;
  rep.invocation = invocation (argc, argv, filter, level, strict, jobs, scale, baseline, base_ids, nbase);
  json_object_set_new (rep.invocation, "max_run_time", json_real (max_run_s));
  rep.results = sc_xcalloc ((size_t) n, sizeof (sc_result));
  rep.n = n;
  fprintf (stderr, "shimcheck %s: %d cases against %s (-j %d)\n", SHIMCHECK_VERSION, n, shim_abs, jobs);
  int64_t t0 = sc_now_mono_ns ();
  budget_deadline = t0 + (int64_t) (max_run_s * scale * 1e9);
  run_cases (&cfg, sel, n, jobs, rep.results, base);
  rep.seconds = (sc_now_mono_ns () - t0) / 1e9;

  /* gate */
  int failed = 0, errors = 0, passed = 0, skipped = 0, expected = 0;
  for (int i = 0; i < n; i++)
    {
      sc_result *r = &rep.results[i];
      for (int b = 0; b < nbase; b++)
        r->in_baseline |= strcmp (base_ids[b], r->id) == 0 || strcmp (base_ids[b], r->c->id) == 0;
      r->gating = r->level == SC_MUST || strict;
      if (r->status == SC_PASS)
        {
          passed++;
          if (r->in_baseline)
            {
              rep.baseline_now_passing = sc_xrealloc (rep.baseline_now_passing,
                                                      (size_t) (rep.n_baseline_now_passing + 1) * sizeof (char *));
              rep.baseline_now_passing[rep.n_baseline_now_passing++] = (char *) r->id;
            }
        }
      else if (r->status == SC_SKIP)
        skipped++;
      else if (r->status == SC_ERROR)
        errors++;
      else if (r->status == SC_INTERRUPTED)
        ;
      else if (r->in_baseline)
        {
          expected++;
          rep.waived += r->gating;
        }
      else if (r->gating)
        failed++;
    }
  rep.interrupted_by = (int) interrupted;
  rep.budget_out = budget_out;
  rep.passed = failed == 0 && errors == 0 && !interrupted && !budget_out;

  printf ("TAP version 13\n1..%d\n", n);
  for (int i = 0; i < n; i++)
    sc_tap_result (stdout, &rep.results[i], i + 1);
  int nonpass_nongating = 0;
  for (int i = 0; i < n; i++)
    nonpass_nongating += rep.results[i].status == SC_FAIL && !rep.results[i].gating && !rep.results[i].in_baseline;
  printf ("# %d passed, %d failed (%d gating, %d not gating), %d expected failures, %d skipped, %d errors; %.1f s\n",
          passed, failed + nonpass_nongating, failed, nonpass_nongating, expected, skipped, errors, rep.seconds);
  int na = 0;
  for (int i = 0; i < n; i++)
    na += rep.results[i].without != NULL;
  if (nwithout)
    printf ("# %d of the skipped not applicable: the shim is declared without the capabilities they need\n", na);
  for (int i = 0; i < rep.n_baseline_now_passing; i++)
    printf ("# baseline entry now passes, remove it: %s\n", rep.baseline_now_passing[i]);
  int unfinished = n - passed - failed - nonpass_nongating - expected - skipped - errors;
  if (unfinished > 0)
    {
      char *why = stop_reason ();
      printf ("# %d cases did not finish (%s): this run is incomplete\n", unfinished, why);
      free (why);
    }
  sc_verdict verdict = sc_report_verdict (&rep);
  fprintf (stderr, "\n%s\n%s: %d passed, %d gating failures, %d other failures, %d expected, %d skipped, %d errors, %d interrupted in %.1f s\n",
           verdict.headline, rep.passed ? "PASSED" : "FAILED", passed, failed, nonpass_nongating,
           expected, skipped, errors, unfinished, rep.seconds);
  free (verdict.headline);
  bool reports_failed = false;
  if (out)
    {
      if (sc_report_write_all (&rep, out, &errmsg) < 0)
        {
          fprintf (stderr, "shimcheck run: reports: %s\n", errmsg);
          free (errmsg);
          reports_failed = true;
        }
      else
        fprintf (stderr, "reports: %s/{results.tap,junit.xml,report.json,report.html,badge.svg}\n", out);
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
  json_decref (rep.invocation);
  for (int b = 0; b < nbase; b++)
    free (base_ids[b]);
  free (base_ids);
  free (own_rootfs);
  for (int i = 0; i < n; i++)
    free (sel[i].id);
  free (sel);
  if (interrupted)
    return 128 + (int) interrupted;
  if (errors || reports_failed)
    return SC_EXIT_ENV;
  return rep.passed ? SC_EXIT_OK : SC_EXIT_FAILED;
}
