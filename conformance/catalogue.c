/* The catalogue table, built from SC_CASES in cases.h, and which cases
 * depend on the containerd version (docs/containerd-versions.md). */
#include "cases.h"

#include <stdio.h>
#include <string.h>

#define SC_ENTRY(fn, id, level, timeout, title, ref) { id, level, title, ref, fn, timeout },

const sc_case sc_catalogue[] = { SC_CASES (SC_ENTRY) };
const int sc_catalogue_len = (int) (sizeof (sc_catalogue) / sizeof (sc_catalogue[0]));

/* A version-sensitive case applies to profiles min..max (ranks, 106 =
 * 1.6) at level; several rows for one id give it different levels in
 * different ranges.  Under `--containerd all` these run once per profile. */
typedef struct versioned
{
  const char *id;
  int min, max;
  sc_level level;
} versioned;

#define ALL 0, 9999
static const versioned versions[] = {
  /* how start's output is read differs per version (plain; JSON v2; v3; protobuf) */
  { "bootstrap.start-prints-one-address", ALL, SC_MUST },
  /* only 1.6 cannot read JSON bootstrap params: a portability SHOULD there */
  { "bootstrap.containerd16-address", 106, 106, SC_SHOULD },
  /* 2.3's start protocol (runtime-v2 doc at v2.3: "MUST") */
  { "bootstrap.bootstrap-protocol", 203, 9999, SC_MUST },
  { "bootstrap.socket-dir-honoured", 203, 9999, SC_SHOULD },
  /* containerd 2.x runs -info */
  { "bootstrap.info-flag", 200, 9999, SC_SHOULD },
  /* binary-v2:// stdio exists from 2.3 (the runc shim's io.go) */
  { "io.binary-v2-logger-readiness", 203, 9999, SC_SHOULD },
  /* 2.x logs a shim's FIFO output only when it runs it with -debug */
  { "bootstrap.log-fifo-written", ALL, SC_COMPAT },
  /* 1.6's mount package has no target: every mount goes onto the rootfs */
  { "create.mount-targets", 107, 9999, SC_SHOULD },
  /* 1.6.20 makes no promise about exit order; 1.7.22+ and 2.x do */
  { "exit.init-exit-last", 106, 106, SC_COMPAT },
  { "exit.init-exit-last", 107, 9999, SC_SHOULD },
};
#undef ALL

const sc_case *
sc_case_find (const char *id)
{
  for (int k = 0; k < sc_catalogue_len; k++)
    if (strcmp (sc_catalogue[k].id, id) == 0)
      return &sc_catalogue[k];
  return NULL;
}

bool
sc_case_versioned (const sc_case *c)
{
  for (size_t i = 0; i < sizeof (versions) / sizeof (versions[0]); i++)
    if (strcmp (versions[i].id, c->id) == 0)
      return true;
  return false;
}

bool
sc_case_applies (const sc_case *c, const sc_profile *p, sc_level *level)
{
  bool listed = false;
  for (size_t i = 0; i < sizeof (versions) / sizeof (versions[0]); i++)
    {
      if (strcmp (versions[i].id, c->id) != 0)
        continue;
      listed = true;
      if (p->rank >= versions[i].min && p->rank <= versions[i].max)
        {
          if (level)
            *level = versions[i].level;
          return true;
        }
    }
  if (level)
    *level = c->level;
  return !listed;
}

static void
rank_name (char *buf, size_t n, int rank)
{
  snprintf (buf, n, "%d.%d", rank / 100, rank % 100);
}

const char *
sc_case_versions_text (const sc_case *c)
{
  static char buf[128];
  int lo = 9999, hi = 0;
  for (size_t i = 0; i < sizeof (versions) / sizeof (versions[0]); i++)
    if (strcmp (versions[i].id, c->id) == 0)
      {
        lo = versions[i].min < lo ? versions[i].min : lo;
        hi = versions[i].max > hi ? versions[i].max : hi;
      }
  char a[16], b[16];
  rank_name (a, sizeof (a), lo);
  rank_name (b, sizeof (b), hi);
  if (lo > hi || (lo == 0 && hi == 9999))
    snprintf (buf, sizeof (buf), "every containerd");
  else if (lo == hi)
    snprintf (buf, sizeof (buf), "containerd %s", a);
  else if (hi == 9999)
    snprintf (buf, sizeof (buf), "containerd >= %s", a);
  else if (lo == 0)
    snprintf (buf, sizeof (buf), "containerd <= %s", b);
  else
    snprintf (buf, sizeof (buf), "containerd %s to %s", a, b);
  return buf;
}

/* ------------------------------------------------------------------ capability tags */

static char selfcheck_buf[256];

const sc_capability sc_capabilities[] = {
  { "terminal", "terminals: a pty for the init or an exec, ResizePty on it" },
  { "pause", "Pause and Resume (the cgroup freezer)" },
  { "runc", "runc's own interface: runc.v1.Options binary_name, runc's ProcessDetails in Pids" },
  { "host-cgroups", "the task's cgroup on the host (limits read back from it)" },
  { "oom", "memory limits enforced and OOM kills published as /tasks/oom" },
  { "host-pidns", "tasks in the host's pid namespace" },
  { "binary-logger", "binary:// and binary-v2:// stdio loggers" },
};
const int sc_capabilities_len = (int) (sizeof (sc_capabilities) / sizeof (sc_capabilities[0]));

/* the cases that need more than the task API; every other case needs
 * only what any shim has (processes, stdio FIFOs, signals, events) */
static const struct
{
  const char *id;
  const char *tags;
} case_tags[] = {
  { "io.tty-output-and-resize", "terminal" },
  { "exec.terminal", "terminal" },
  { "exec.resize-pty", "terminal" },
  { "exec.terminal-output-complete", "terminal" },
  { "cleanup.fd-hygiene", "terminal" },
  { "control.pause-resume-status", "pause" },
  { "control.paused-resumed-events", "pause" },
  { "exec.while-paused-rejected", "pause" },
  { "create.options-binary-name", "runc" },
  { "create.options-missing-runtime", "runc" },
  { "ttrpc.slow-runtime-does-not-block", "runc" },
  { "exec.pids-with-details", "runc" },
  { "exec.after-init-exit-rejected", "runc" },
  { "signal.kill-after-runtime-deleted", "runc" },
  { "bootstrap.shim-cgroup", "runc" },
  { "create.init-dies-during-create", "runc" },
  { "control.update-resources", "host-cgroups" },
  { "control.stats-cgroup-version", "host-cgroups" },
  { "exit.oom-event", "oom" },
  { "exit.oom-before-exit", "oom" },
  { "exit.init-exit-last", "host-pidns" },
  { "exit.host-pidns-init-kill-takes-all", "host-pidns" },
  { "io.binary-logger", "binary-logger" },
  { "io.binary-logger-ready-first", "binary-logger" },
  { "io.binary-v2-logger-readiness", "binary-logger" },
};

const sc_capability *
sc_capability_find (const char *tag)
{
  for (int i = 0; i < sc_capabilities_len; i++)
    if (strcmp (sc_capabilities[i].tag, tag) == 0)
      return &sc_capabilities[i];
  return NULL;
}

const char *
sc_case_tags (const sc_case *c)
{
  for (size_t i = 0; i < sizeof (case_tags) / sizeof (case_tags[0]); i++)
    if (strcmp (case_tags[i].id, c->id) == 0)
      return case_tags[i].tags;
  return "";
}

bool
sc_case_has_tag (const sc_case *c, const char *tag)
{
  const char *s = sc_case_tags (c);
  size_t n = strlen (tag);
  while (*s)
    {
      const char *e = strchr (s, ',');
      size_t len = e ? (size_t) (e - s) : strlen (s);
      if (len == n && strncmp (s, tag, n) == 0)
        return true;
      s += len + (e ? 1 : 0);
    }
  return false;
}

int
sc_catalogue_selfcheck (char **why)
{
  *why = NULL;
  bool ok = true;
  for (size_t i = 0; ok && i < sizeof (case_tags) / sizeof (case_tags[0]); i++)
    {
      if (sc_case_find (case_tags[i].id) == NULL)
        {
          ok = false;
          snprintf (selfcheck_buf, sizeof (selfcheck_buf), "capability tags name an unknown case %s", case_tags[i].id);
        }
      char tags[128];
      snprintf (tags, sizeof (tags), "%s", case_tags[i].tags);
      for (char *save = NULL, *t = strtok_r (tags, ",", &save); ok && t; t = strtok_r (NULL, ",", &save))
        if (sc_capability_find (t) == NULL)
          {
            ok = false;
            snprintf (selfcheck_buf, sizeof (selfcheck_buf), "case %s has an unknown tag %s", case_tags[i].id, t);
          }
    }
  for (size_t i = 0; ok && i < sizeof (versions) / sizeof (versions[0]); i++)
    {
      if (sc_case_find (versions[i].id) == NULL)
        {
          ok = false;
          snprintf (selfcheck_buf, sizeof (selfcheck_buf), "the version table names an unknown case %s", versions[i].id);
        }
    }
  if (!ok)
    *why = selfcheck_buf;
  return ok ? 0 : -1;
}
